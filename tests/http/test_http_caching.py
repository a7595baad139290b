"""GraphQL over HTTP: GET for queries, media types and status codes, ETags and 304s,
automatic persisted queries, GraphQL-shaped refusals."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from service.graphql.http import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    PersistedQueries,
    negotiate,
)
from service.people.models import org_units
from tests.conftest import ALL_SCOPES, Org

ME = "query Me { me { name } }"


def bearer(org: Org, who: str = "alice", scopes: str = "career:employee") -> dict[str, str]:
    return {"Authorization": f"Bearer {org.token(who, scopes)}"}


def get(
    org: Org, query: str | None = None, *, headers: dict[str, str] | None = None, **params: Any
) -> Any:
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    if query is not None:
        encoded["query"] = query
    return org.client.get("/graphql", params=encoded, headers=headers or {})


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(digest: str, version: Any = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json().get("errors", [])]


async def unit_count(org: Org) -> int:
    async with org.runtime.db.transaction(org.id) as conn:
        return (await conn.execute(select(func.count()).select_from(org_units))).scalar_one()


# --- GET, ETag, 304 ----------------------------------------------------------------------


async def test_a_query_over_get_is_cacheable_privately_and_revalidates_with_304(
    team: Org,
) -> None:
    first = await get(team, ME, headers=bearer(team))
    assert first.status_code == 200, first.text
    assert first.json() == {"data": {"me": {"name": "Alice Anders"}}}
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert "Authorization" in first.headers["Vary"]
    assert first.headers["Content-Type"] == "application/json"

    again = await get(team, ME, headers={**bearer(team), "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    weak = await get(team, ME, headers={**bearer(team), "If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304

    # Another caller's answer differs, and so does its tag: a stale tag gets the full answer.
    bob = await get(team, ME, headers={**bearer(team, "bob"), "If-None-Match": etag})
    assert bob.status_code == 200
    assert bob.json() == {"data": {"me": {"name": "Bob Brown"}}}
    assert bob.headers["ETag"] != etag


async def test_the_two_media_types_of_one_result_have_different_tags(team: Org) -> None:
    plain = await get(team, ME, headers=bearer(team))
    spec = await get(team, ME, headers={**bearer(team), "Accept": GRAPHQL_RESPONSE_JSON})
    assert spec.status_code == 200
    assert spec.headers["Content-Type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert spec.json() == plain.json()
    assert spec.headers["ETag"] != plain.headers["ETag"]
    assert "Accept" in spec.headers["Vary"]


async def test_answers_with_errors_and_post_answers_are_not_stored(team: Org) -> None:
    denied = await get(team, ME)  # no token: UNAUTHENTICATED
    assert denied.status_code == 401
    assert "ETag" not in denied.headers
    assert denied.headers["Cache-Control"] == "no-store"
    posted = await team.client.post("/graphql", json={"query": ME}, headers=bearer(team))
    assert posted.status_code == 200
    assert "ETag" not in posted.headers
    assert posted.headers["Cache-Control"] == "no-store"


async def test_variables_travel_in_the_url(team: Org) -> None:
    query = "query Name($id: ID!) { node(id: $id) { ... on Employee { name } } }"
    me = (await team.gql("{ me { id } }", as_="alice"))["data"]["me"]["id"]
    response = await get(team, query, headers=bearer(team), variables={"id": me})
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"node": {"name": "Alice Anders"}}}


async def test_a_mutation_over_get_is_405_and_writes_nothing(team: Org) -> None:
    before = await unit_count(team)
    mutation = 'mutation { createOrgUnit(input: {name: "Over GET"}) { userErrors { code } } }'
    for accept in (JSON, GRAPHQL_RESPONSE_JSON):
        response = await get(
            team, mutation, headers={**bearer(team, "admin", ALL_SCOPES), "Accept": accept}
        )
        assert response.status_code == 405, response.text
        assert response.headers["Allow"] == "POST"
        assert response.headers["Content-Type"].startswith(accept)
        assert codes(response) == ["METHOD_NOT_ALLOWED"]
    assert await unit_count(team) == before
    # The same mutation over POST is saved.
    posted = await team.client.post(
        "/graphql", json={"query": mutation}, headers=bearer(team, "admin", ALL_SCOPES)
    )
    assert posted.json()["data"]["createOrgUnit"]["userErrors"] == []
    assert await unit_count(team) == before + 1


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_a_method_graphql_does_not_serve_is_a_graphql_shaped_405(
    team: Org, method: str
) -> None:
    response = await team.client.request(
        method, "/graphql", json={"query": ME}, headers=bearer(team)
    )
    assert response.status_code == 405, response.text
    assert response.headers["Allow"] == "GET, POST"
    assert response.headers["Content-Type"] == JSON
    assert codes(response) == ["METHOD_NOT_ALLOWED"]
    assert method in response.json()["errors"][0]["message"]
    # Other routes keep their own answers.
    assert (await team.client.request(method, "/healthz")).json() == {
        "detail": "Method Not Allowed"
    }


# --- media types and status codes ----------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json;q=0.5", JSON),
        ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0, application/json", JSON),
        ("application/graphql-response+json;q=nan", JSON),
        ("text/html", JSON),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON; charset=utf-8", GRAPHQL_RESPONSE_JSON),
    ],
)
def test_the_media_type_is_negotiated_from_accept(accept: str | None, expected: str) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{ me { "}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ me { salary } }"}, "GRAPHQL_VALIDATION_FAILED"),
        (
            {"query": "query Q($id: ID!) { node(id: $id) { id } }", "variables": {"id": None}},
            "BAD_USER_INPUT",
        ),
        (
            {"query": "query Q($id: ID!) { node(id: $id) { id } }", "variables": {"id": "a\x00"}},
            "BAD_USER_INPUT",
        ),
        ({"query": "{ me { " + "id " * 5100 + "} }"}, "GRAPHQL_PARSE_FAILED"),
    ],
    ids=["parse", "validation", "variables", "nul", "tokens"],
)
async def test_a_request_that_cannot_run_is_400_without_data_for_graphql_response_json(
    team: Org, body: dict[str, Any], code: str | None
) -> None:
    headers = bearer(team)
    spec = await team.client.post(
        "/graphql", json=body, headers={**headers, "Accept": GRAPHQL_RESPONSE_JSON}
    )
    assert spec.status_code == 400, spec.text
    assert spec.headers["Content-Type"] == f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
    assert "data" not in spec.json()
    if code:
        assert codes(spec) == [code]
    # Clients that ask for application/json get the 200 they have always had.
    plain = await team.client.post("/graphql", json=body, headers=headers)
    assert plain.status_code == 200
    assert plain.json()["data"] is None
    assert codes(plain) == codes(spec)


async def test_a_query_over_the_cost_limit_is_400_for_graphql_response_json(
    team: Org, custom_app: Any
) -> None:
    query = "{ employees(first: 100) { nodes { id name } } }"
    async with custom_app(max_query_cost=100) as (_, client):
        spec = await client.post(
            "/graphql",
            json={"query": query},
            headers={**bearer(team, "admin", ALL_SCOPES), "Accept": GRAPHQL_RESPONSE_JSON},
        )
    assert spec.status_code == 400, spec.text
    assert codes(spec) == ["QUERY_TOO_COSTLY"]
    assert "data" not in spec.json()


async def test_a_field_error_keeps_its_data_and_a_200(team: Org) -> None:
    # Alice sees her manager's manager by name, not their hire date.
    query = "{ me { manager { name manager { name hireDate } } } }"
    response = await team.client.post(
        "/graphql",
        json={"query": query},
        headers={**bearer(team), "Accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["me"]["manager"]["manager"]["name"] == "Bea Boss"
    assert codes(response) == ["FORBIDDEN"]


async def test_malformed_http_gets_a_graphql_shaped_4xx(team: Org) -> None:
    cases = [
        await get(team, ME, variables="{not json"),
        await get(team, ME, variables="[1]"),
        await get(team, ME, extensions='"text"'),
        await team.client.post("/graphql", content=b"{not json", headers={"Content-Type": JSON}),
        await team.client.post("/graphql", content=json.dumps({"query": ME}).encode()),
        await team.client.post("/graphql", json={"query": ME, "operationName": 5}),
        await team.client.post("/graphql", json={"query": ME, "operationName": ["Me"]}),
    ]
    for response in cases:
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["Content-Type"] == JSON
        assert codes(response) == ["BAD_REQUEST"], response.text
        assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize("name", ["variables", "extensions"])
async def test_a_get_parameter_that_is_not_json_is_named(team: Org, name: str) -> None:
    response = await get(team, ME, headers=bearer(team), **{name: "{not json"})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["message"] == f"The {name} parameter is not JSON."


# --- automatic persisted queries -------------------------------------------------------


async def test_persisted_queries_register_once_and_then_run_by_digest(team: Org) -> None:
    query = "query Persisted { me { name } }"
    digest = sha256(query)
    unknown = await get(team, headers=bearer(team), extensions=persisted(digest))
    assert unknown.status_code == 200
    assert codes(unknown) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"

    registered = await team.client.post(
        "/graphql", json={"query": query, "extensions": persisted(digest)}, headers=bearer(team)
    )
    assert registered.json() == {"data": {"me": {"name": "Alice Anders"}}}

    by_digest = await get(team, headers=bearer(team, "bob"), extensions=persisted(digest))
    assert by_digest.status_code == 200, by_digest.text
    assert by_digest.json() == {"data": {"me": {"name": "Bob Brown"}}}
    assert by_digest.headers["Cache-Control"] == "private, no-cache"
    again = await get(
        team,
        headers={**bearer(team, "bob"), "If-None-Match": by_digest.headers["ETag"]},
        extensions=persisted(digest),
    )
    assert again.status_code == 304
    posted = await team.client.post(
        "/graphql", json={"extensions": persisted(digest.upper())}, headers=bearer(team)
    )
    assert posted.json() == {"data": {"me": {"name": "Alice Anders"}}}


async def test_a_hash_only_get_from_a_browser_is_an_operation_not_the_ide(team: Org) -> None:
    response = await get(
        team, headers={**bearer(team), "Accept": "text/html,*/*"}, extensions=persisted("a" * 64)
    )
    assert response.status_code == 200
    assert codes(response) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_a_document_that_does_not_validate_is_not_kept(team: Org) -> None:
    query = "{ me { salary } }"
    digest = sha256(query)
    sent = await team.client.post(
        "/graphql", json={"query": query, "extensions": persisted(digest)}, headers=bearer(team)
    )
    assert codes(sent) == ["GRAPHQL_VALIDATION_FAILED"]
    later = await get(team, headers=bearer(team), extensions=persisted(digest))
    assert codes(later) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.parametrize(
    ("extensions", "query"),
    [
        (persisted(sha256("{ me { id } }")), "{ me { name } }"),  # another document's digest
        (persisted(sha256(ME), version=2), ME),
        (persisted("not-a-digest"), ME),
        ({"persistedQuery": "yes"}, ME),
        (persisted(sha256(ME), version=2), None),
        (persisted(sha256(ME), version=True), ME),
        (persisted(sha256(ME), version=1.0), ME),
    ],
    ids=["mismatch", "version", "digest", "shape", "version-hash-only", "true", "float"],
)
async def test_bad_persisted_queries_are_400(
    team: Org, extensions: dict[str, Any], query: str | None
) -> None:
    response = await team.client.post(
        "/graphql", json={"query": query, "extensions": extensions}, headers=bearer(team)
    )
    assert response.status_code == 400, response.text
    assert codes(response) == ["BAD_REQUEST"]


def test_the_store_keeps_the_most_recently_used_within_its_bound() -> None:
    store = PersistedQueries(max_chars=30)
    store.put("a" * 64, "x" * 10)
    store.put("b" * 64, "y" * 10)
    assert store.get("A" * 64) == "x" * 10  # a is now the most recently used
    store.put("c" * 64, "z" * 15)  # 35 characters: the least recently used (b) goes
    assert store.get("b" * 64) is None
    assert store.get("a" * 64) == "x" * 10
    assert store.get("c" * 64) == "z" * 15
    store.put("d" * 64, "w" * 31)  # larger than the whole store: not kept
    assert store.get("d" * 64) is None
    assert len(store) == 2


async def test_persisted_queries_can_be_turned_off(team: Org, custom_app: Any) -> None:
    async with custom_app(persisted_queries_max_chars=0) as (_, client):
        response = await client.post(
            "/graphql",
            json={"query": ME, "extensions": persisted(sha256(ME))},
            headers=bearer(team),
        )
    assert response.status_code == 200
    assert codes(response) == ["PERSISTED_QUERY_NOT_SUPPORTED"]
