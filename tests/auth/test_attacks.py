"""Hostile and broken tokens sent over HTTP through the app: every one is refused with 401
(or UNAUTHENTICATED), none gives data or a 500. The validator's own unit tests are in
tests/auth/; these prove the app wires it in front of every request."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from joserfc.jwk import RSAKey

from service.auth.dev_issuer import KEY_FILE_NAME, DevIssuer
from service.people import service as people
from tests.auth.helpers import b64, b64json, sign_raw
from tests.conftest import Org

QUERY = "{ me { name email } }"


def dev_issuer(org: Org) -> DevIssuer:
    issuer = org.runtime.dev_issuer
    assert issuer is not None
    return issuer


def signing_key(org: Org) -> RSAKey:
    """The dev issuer's private key, as `careerpath serve` keeps it on disk."""
    path = org.runtime.settings.data_dir / KEY_FILE_NAME
    key = RSAKey.import_key(json.loads(path.read_text()))
    assert key.kid == dev_issuer(org).kid
    return key


def claims(org: Org, key: str = "alice", **overrides: Any) -> dict[str, Any]:
    """Claims exactly like the dev issuer's, for Alice unless told otherwise."""
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": dev_issuer(org).issuer,
        "aud": org.runtime.settings.auth.audience,
        "sub": org.people[key].auth_subject,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "scope": "career:employee",
        "org_id": org.slug,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def signed(org: Org, header: dict[str, Any] | None = None, **overrides: Any) -> str:
    key = signing_key(org)
    full = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid, **(header or {})}
    return sign_raw(full, claims(org, **overrides), key, "RS256")


async def send(org: Org, authorization: str | bytes) -> httpx.Response:
    return await org.client.post(
        "/graphql", json={"query": QUERY}, headers={"Authorization": authorization}
    )


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge
    assert "Alice" not in response.text
    assert "alice@" not in response.text


async def test_a_valid_token_works(team: Org) -> None:
    response = await send(team, f"Bearer {signed(team)}")
    assert response.json() == {
        "data": {"me": {"name": "Alice Anders", "email": f"alice@{team.slug}.example"}}
    }


def forged_tokens(org: Org) -> dict[str, str]:
    """Tokens the validator must refuse, by the attack they stand for."""
    # Key confusion: HMAC keyed with the public key anyone can fetch from the JWKS.
    public_pem = RSAKey.import_key(dev_issuer(org).jwks()["keys"][0]).as_pem(private=False)
    hs_input = f"{b64json({'alg': 'HS256', 'typ': 'JWT', 'kid': signing_key(org).kid})}."
    hs_input += b64json(claims(org))
    hs_mac = hmac.new(public_pem, hs_input.encode(), hashlib.sha256).digest()
    stranger = RSAKey.generate_key(2048, parameters={"kid": "attacker-key"})
    valid = signed(org)
    head, _, signature = valid.split(".")
    admin_claims = claims(org, scope="career:employee career:admin")
    return {
        "alg none": f"{b64json({'alg': 'none', 'typ': 'JWT'})}.{b64json(claims(org))}.",
        "alg none with a signature": (
            f"{b64json({'alg': 'none', 'kid': signing_key(org).kid})}.{b64json(claims(org))}."
            f"{signature}"
        ),
        "HS256 signed with the RSA public key": f"{hs_input}.{b64(hs_mac)}",
        "expired": dev_issuer(org).mint(
            org.people["alice"].auth_subject,
            org=org.slug,
            scopes=["career:employee"],
            ttl=timedelta(seconds=-120),
        ),
        "nbf in the future": signed(org, nbf=int(time.time()) + 3600),
        "iat in the future": signed(org, iat=int(time.time()) + 3600),
        "wrong iss": signed(org, iss="https://evil.example.test"),
        "wrong aud": signed(org, aud="another-api"),
        "no aud": signed(org, aud=None),
        "no exp": signed(org, exp=None),
        "unknown kid": sign_raw(
            {"alg": "RS256", "typ": "JWT", "kid": "attacker-key"}, claims(org), stranger, "RS256"
        ),
        "known kid, another key": sign_raw(
            {"alg": "RS256", "typ": "JWT", "kid": signing_key(org).kid},
            claims(org),
            stranger,
            "RS256",
        ),
        "tampered payload": f"{head}.{b64json(admin_claims).rstrip('=')}.{signature}",
        "missing sub": signed(org, sub=None),
        "an ID token, not an access token": signed(org, header={"typ": "id_token+jwt"}),
        "garbage": "not.a.token",
        "oversize": signed(org, padding="x" * 10_000),
    }


async def test_forged_and_broken_tokens_are_refused(team: Org) -> None:
    for attack, token in forged_tokens(team).items():
        response = await send(team, f"Bearer {token}")
        try:
            assert_invalid_token(response)
        except AssertionError as exc:
            raise AssertionError(f"{attack}: {exc}") from None


@pytest.mark.parametrize(
    "header",
    [
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer",
        "Bearer ",
        "Token abc.def.ghi",
        "Bearer a.b.c d.e.f",
        "Bearer \t",
        b"Bearer \xff\xfe.\x00.x",
    ],
)
async def test_malformed_authorization_headers_are_refused(org: Org, header: str | bytes) -> None:
    assert_invalid_token(await send(org, header))


def assert_unauthenticated(response: httpx.Response) -> None:
    assert_invalid_token(response)
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


async def test_valid_tokens_that_name_no_one_here_are_refused(team: Org, org_factory: Any) -> None:
    issuer = dev_issuer(team)
    unknown = issuer.mint("nobody-at-all", org=team.slug, scopes=["career:admin"])
    assert_unauthenticated(await send(team, f"Bearer {unknown}"))

    no_such_org = issuer.mint(team.people["alice"].auth_subject, org="no-such-org", scopes=[])
    assert_unauthenticated(await send(team, f"Bearer {no_such_org}"))

    no_org = issuer.mint(team.people["alice"].auth_subject, org="", scopes=["career:employee"])
    assert_unauthenticated(await send(team, f"Bearer {no_org}"))

    # A real employee of another organization, with a token naming this one.
    other = await org_factory()
    await other.employee("admin")
    crossing = issuer.mint(
        other.people["admin"].auth_subject, org=team.slug, scopes=["career:admin"]
    )
    assert_unauthenticated(await send(team, f"Bearer {crossing}"))
    # ...and the same person with their own organization's token sees only themself.
    own = await send(team, f"Bearer {other.token('admin', 'career:admin')}")
    assert own.json()["data"]["me"]["email"] == other.people["admin"].email


async def test_token_of_a_terminated_employee_is_refused(team: Org) -> None:
    token = team.token("bob")
    assert (await send(team, f"Bearer {token}")).status_code == 200
    await team.run(people.terminate_employee, team.people["bob"].id, dt.date.today(), None, None)
    assert_unauthenticated(await send(team, f"Bearer {token}"))


async def test_no_token_is_unauthenticated_without_an_error_code(team: Org) -> None:
    response = await team.client.post("/graphql", json={"query": QUERY})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="careerpath"'
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["UNAUTHENTICATED"]
