"""Browsers and error shapes: CORS preflights, and GraphQL-shaped refusals of bad tokens."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import httpx
import pytest

from service.config import DEV_CORS_ORIGINS, Environment, Settings
from tests.conftest import Org

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:3000"])
async def test_a_browser_preflight_from_a_dev_origin_is_answered(
    client: httpx.AsyncClient, origin: str
) -> None:
    response = await client.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == origin
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed


async def test_the_actual_request_carries_cors_headers_and_others_are_refused(
    client: httpx.AsyncClient, team: Org
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ me { name } }"},
        headers={
            "Origin": "http://localhost:3000",
            "Authorization": f"Bearer {team.token('alice')}",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    evil = await client.options(
        "/graphql",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert evil.status_code == 400
    assert "access-control-allow-origin" not in evil.headers


def test_cors_origins_default_by_environment_and_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(env=Environment.DEV).allowed_origins == list(DEV_CORS_ORIGINS)
    assert "http://localhost:5173" in DEV_CORS_ORIGINS
    assert Settings(env=Environment.PRODUCTION).allowed_origins == []
    monkeypatch.setenv("CAREERPATH_CORS_ORIGINS", '["https://app.example.com"]')
    assert Settings(env=Environment.PRODUCTION).allowed_origins == ["https://app.example.com"]


def assert_unauthenticated(response: httpx.Response, *, invalid_token: bool) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert ('error="invalid_token"' in challenge) is invalid_token


async def test_bad_expired_and_missing_tokens_get_one_graphql_shaped_error(
    client: httpx.AsyncClient, team: Org
) -> None:
    query = {"query": "{ me { name } }"}
    missing = await client.post("/graphql", json=query)
    assert_unauthenticated(missing, invalid_token=False)
    garbage = await client.post("/graphql", json=query, headers={"Authorization": "Bearer nope"})
    assert_unauthenticated(garbage, invalid_token=True)
    expired = team.token("alice", ttl=dt.timedelta(seconds=-3600))
    old = await client.post("/graphql", json=query, headers={"Authorization": f"Bearer {expired}"})
    assert_unauthenticated(old, invalid_token=True)
    scheme = await client.post("/graphql", json=query, headers={"Authorization": "Basic eDp5"})
    assert_unauthenticated(scheme, invalid_token=True)


def test_every_error_code_a_client_can_see_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Errors", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", section, re.MULTILINE))
    source = "\n".join(p.read_text() for p in (ROOT / "service").rglob("*.py"))
    raised = set(re.findall(r"""(?:"code"\s*:\s*|\bcode\s*=\s*)"([A-Z][A-Z_]{3,})\"""", source))
    assert raised, "no codes found in the source"
    assert raised <= documented, sorted(raised - documented)
    for code in ("BAD_USER_INPUT", "QUERY_TOO_COSTLY", "SERVICE_UNAVAILABLE", "RESPONSE_TOO_LARGE"):
        assert code in documented
