"""Shared helpers for the identity and access tests: signing, an external issuer, service
accounts, the authorization matrix's world, a production-mode app."""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc.jwk import Key, KeySet
from joserfc.jws import JWSRegistry

from service.app import Runtime, build_runtime, create_app
from service.auth import service as accounts
from service.auth.principal import system_principal
from service.auth.tokens import StaticKeySource
from service.config import AuthSettings, Environment, Settings
from service.db import ConnectionExecutor, set_tenant
from service.people import service as people
from tests.authz_matrix import SERVICE_ACCOUNT_CLIENT_ID, SERVICE_ACCOUNT_SCOPES, World
from tests.conftest import Org

ISSUER = "https://idp.example.test"
AUDIENCE = "careerpath"
#: Pass as a claim or header value to leave that member out.
DROP: Any = object()

Signer = Callable[..., str]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64(json.dumps(value).encode())


def sign_raw(header: dict[str, Any], claims: dict[str, Any] | bytes, key: Key, alg: str) -> str:
    """Sign exactly this header and payload, even ones a JOSE library would refuse to emit."""
    payload = b64(claims) if isinstance(claims, bytes) else b64json(claims)
    signing_input = f"{b64json(header)}.{payload}"
    signature = JWSRegistry.algorithms[alg].sign(signing_input.encode(), key)
    return f"{signing_input}.{b64(signature)}"


def jwks_of(*keys: Key) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}


class CountingKeySource:
    """A static key source that records every call (and whether it forced a refresh)."""

    def __init__(self, *keys: Key) -> None:
        self._inner = StaticKeySource(jwks_of(*keys))
        self.calls: list[bool] = []

    async def get_keys(self, *, force_refresh: bool = False) -> KeySet:
        self.calls.append(force_refresh)
        return await self._inner.get_keys()

    @property
    def refreshes(self) -> int:
        return sum(self.calls)


def default_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "scope": "career:employee",
        "org_id": "acme",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not DROP}


@dataclass
class ExternalIssuer:
    """Handle on the issuer process started by the ``external_issuer`` fixture."""

    url: str

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            response = await client.request(method, path, json=body)
            response.raise_for_status()
            return response.json()

    async def stats(self) -> dict[str, int]:
        return dict(await self._call("GET", "/stats"))

    async def rotate(self) -> str:
        return str((await self._call("POST", "/rotate"))["kid"])

    async def mint(self, *, unpublished: bool = False, **claims: Any) -> str:
        path = "/token?unpublished=1" if unpublished else "/token"
        body = default_claims(**{"iss": self.url, **claims})
        return str((await self._call("POST", path, body))["token"])


async def add_service_account(
    org: Org, client_id: str = SERVICE_ACCOUNT_CLIENT_ID, scopes: str = SERVICE_ACCOUNT_SCOPES
) -> Any:
    data = accounts.ServiceAccountInput(
        client_id=client_id, name=f"{client_id} job", scopes=scopes.split()
    )
    return await org.run(accounts.create_service_account, data)


def client_token(org: Org, client_id: str, scopes: str, **extra: Any) -> str:
    """A client-credentials token from the dev issuer (``sub`` = ``client_id``)."""
    issuer = org.runtime.dev_issuer
    assert issuer is not None
    return issuer.mint(
        client_id, org=org.slug, scopes=scopes.split(), extra={"client_id": client_id, **extra}
    )


#: The people of organization A: (key, name, manager key).
TEAM = [
    ("admin", "Ada Admin", None),
    ("boss", "Bea Boss", None),
    ("manager", "Max Manager", "boss"),
    ("alice", "Alice Anders", "manager"),
    ("bob", "Bob Brown", "manager"),
    ("manager2", "Mia Second", "boss"),
    ("carol", "Carol Chen", "manager2"),
]


async def build_world(runtime: Runtime, client: httpx.AsyncClient) -> World:
    """Organizations A and B of the authorization matrix, built in one transaction."""
    a = Org(id=uuid.uuid4(), slug=f"org-{secrets.token_hex(5)}", runtime=runtime, client=client)
    b = Org(id=uuid.uuid4(), slug=f"org-{secrets.token_hex(5)}", runtime=runtime, client=client)
    async with runtime.db.transaction(None) as conn:
        db = ConnectionExecutor(conn)
        a.id = await people.create_organization(db, a.slug, a.slug.title())
        b.id = await people.create_organization(db, b.slug, b.slug.title())

        await set_tenant(conn, a.id)
        system = system_principal(a.id)
        unit = await people.create_org_unit(
            db, system, people.OrgUnitInput(name=f"Engineering {a.slug}")
        )
        for key, name, manager in TEAM:
            a.people[key] = await people.create_employee(
                db,
                system,
                people.EmployeeInput(
                    email=f"{key}@{a.slug}.example",
                    name=name,
                    auth_subject=f"sub-{key}-{a.slug}",
                    manager_id=a.people[manager].id if manager else None,
                    org_unit_id=unit.id if key == "alice" else None,
                ),
            )
        await accounts.grant_hr_admin(db, system, a.people["admin"].id)
        account = await accounts.create_service_account(
            db,
            system,
            accounts.ServiceAccountInput(
                client_id=SERVICE_ACCOUNT_CLIENT_ID,
                name="HRIS sync",
                scopes=SERVICE_ACCOUNT_SCOPES.split(),
            ),
        )

        await set_tenant(conn, b.id)
        b.people["admin"] = await people.create_employee(
            db,
            system_principal(b.id),
            people.EmployeeInput(
                email=f"admin@{b.slug}.example",
                name="Olga Other",
                auth_subject=f"sub-admin-{b.slug}",
            ),
        )
        await accounts.grant_hr_admin(db, system_principal(b.id), b.people["admin"].id)
    return World(org=a, other=b, unit=unit, service_account=account)


@dataclass
class Production:
    """careerpath as deployed: ``CAREERPATH_ENV=production``, tokens from an external issuer."""

    runtime: Runtime
    client: httpx.AsyncClient
    issuer: ExternalIssuer

    async def token(
        self, org: Org, key: str, scopes: str = "career:employee", **claims: Any
    ) -> str:
        """A token from the external issuer for ``org``'s employee ``key``; ``claims`` override
        (``DROP`` from tests.auth.helpers leaves one out)."""
        base = {"sub": org.people[key].auth_subject, "org_id": org.slug, "scope": scopes}
        return await self.issuer.mint(**{**base, **claims})

    async def gql(self, query: str, token: str | None = None, **variables: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )


@asynccontextmanager
async def production_app(
    settings: Settings, issuer: ExternalIssuer, **auth: Any
) -> AsyncIterator[Production]:
    """A production-mode app on the test database, trusting the external issuer process."""
    prod_settings = settings.model_copy(
        update={
            "env": Environment.PRODUCTION,
            "auth": AuthSettings(issuer=issuer.url, audience=AUDIENCE, **auth),
        }
    )
    runtime = build_runtime(prod_settings)
    assert runtime.dev_issuer is None
    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield Production(runtime=runtime, client=client, issuer=issuer)
    await runtime.db.dispose()
