"""Fixtures for the identity and access tests: a second organization, a service account,
the world of the authorization matrix, and a production-mode app against a real issuer."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from service.app import Runtime, build_runtime, create_app
from service.auth import service as accounts
from service.auth.principal import system_principal
from service.config import AuthSettings, Environment, Settings
from service.db import ConnectionExecutor, set_tenant
from service.people import service as people
from tests.auth import conftest as auth_conftest
from tests.auth.helpers import AUDIENCE, ExternalIssuer
from tests.authz_matrix import SERVICE_ACCOUNT_CLIENT_ID, SERVICE_ACCOUNT_SCOPES, World
from tests.conftest import Org


@pytest.fixture
async def other_org(org_factory: Any) -> Org:
    """A second organization with an admin, Olga."""
    other = await org_factory()
    await other.employee("admin", name="Olga Other")
    return other


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


@pytest.fixture
async def world(runtime: Runtime, client: httpx.AsyncClient) -> World:
    """The authorization matrix's world (see tests/authz_matrix.py)."""
    return await build_world(runtime, client)


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


# The separate OIDC issuer process of the auth tests, for the production-mode app here.
external_issuer = auth_conftest.external_issuer


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


@pytest.fixture(scope="session")
async def production(
    settings: Settings, external_issuer: ExternalIssuer
) -> AsyncIterator[Production]:
    """One production-mode app for the session (see ``production_app``)."""
    async with production_app(settings, external_issuer) as app:
        yield app
