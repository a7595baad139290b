"""Abuse limits, on by default: depth, aliases, tokens, cost, body size, batching; and in
production no introspection, no GraphiQL, no field suggestions, masked errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from service.people.types import Employee
from tests.auth.helpers import Production
from tests.conftest import Org


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    (error,) = body["errors"]
    return error  # type: ignore[no-any-return]


async def post(org: Org, query: str) -> dict[str, Any]:
    return await org.gql(query, token=org.token("alice"))


async def test_depth_limit(team: Org) -> None:
    limit = team.runtime.settings.max_query_depth

    def nested(depth: int) -> str:
        # `me` is depth 0; every `manager` below it adds one.
        return "{ me { " + "manager { " * depth + "id" + " }" * depth + " } }"

    ok = await post(team, nested(limit - 1))
    assert "errors" not in ok, ok
    error = error_of(await post(team, nested(limit + 1)))
    assert error["message"] == f"'anonymous' exceeds maximum operation depth of {limit}"
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_alias_limit(team: Org) -> None:
    limit = team.runtime.settings.max_aliases

    def aliased(n: int) -> str:
        return "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(n)) + " }"

    assert "errors" not in await post(team, aliased(limit))
    error = error_of(await post(team, aliased(limit + 1)))
    assert error["message"] == f"{limit + 1} aliases found. Allowed: {limit}"


async def test_token_limit(team: Org) -> None:
    limit = team.runtime.settings.max_tokens
    # `{ me { ... } }` is 5 tokens; the rest are `id`s. At the limit the document parses.
    at_limit = await post(team, "{ me { " + "id " * (limit - 5) + "} }")
    assert "GRAPHQL_PARSE_FAILED" not in str(at_limit)
    error = error_of(await post(team, "{ me { " + "id " * (limit - 4) + "} }"))
    assert f"more than {limit} tokens" in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_cost_limit_names_the_cost_and_the_limit(team: Org) -> None:
    await team.close_directory()  # what each caller reaches without the directory
    limit = team.runtime.settings.max_query_cost
    query = (
        "{ employees(first: 100) { nodes { directReports(first: 100) { nodes { "
        "directReports(first: 100) { nodes { id } } } } } } }"
    )
    error = error_of(await post(team, query))
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["limit"] == limit
    assert error["extensions"]["cost"] > limit
    assert f"exceeds the limit {limit}" in error["message"]
    # Variables count with their actual values, not the default page size.
    body = await team.gql(
        "query($n: Int) { employees(first: $n) { nodes { directReports(first: $n) "
        "{ nodes { directReports(first: $n) { nodes { id } } } } } } }",
        {"n": 100},
        token=team.token("alice"),
    )
    assert error_of(body)["extensions"]["code"] == "QUERY_TOO_COSTLY"
    small = await team.gql(
        "query($n: Int) { employees(first: $n) { nodes { directReports(first: $n) "
        "{ nodes { directReports(first: $n) { nodes { id } } } } } } }",
        {"n": 5},
        token=team.token("alice"),
    )
    assert "errors" not in small, small


async def test_body_size_limit(org: Org) -> None:
    limit = org.runtime.settings.max_body_bytes
    big = b'{"query": "{ me { id } }", "variables": {"x": "' + b"x" * limit + b'"}}'
    response = await org.client.post(
        "/graphql", content=big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"

    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the limit counts the bytes as they arrive.
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    streamed = await org.client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_batching_is_off(team: Org) -> None:
    response = await team.client.post(
        "/graphql",
        json=[{"query": "{ me { id } }"}, {"query": "{ me { name } }"}],
        headers={"Authorization": f"Bearer {team.token('alice')}"},
    )
    assert response.status_code == 400
    assert "Batching is not enabled" in response.text


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'"a string"', "application/json"),
        (b"42", "application/json"),
        (b"null", "application/json"),
        (b"{not json", "application/json"),
        (b'{"query": 5}', "application/json"),
        (b'{"query": "{ me { id } }", "variables": [1]}', "application/json"),
        (b"query={ me { id } }", "application/x-www-form-urlencoded"),
    ],
)
async def test_malformed_bodies_are_400_not_500(
    org: Org, content: bytes, content_type: str
) -> None:
    response = await org.client.post(
        "/graphql", content=content, headers={"content-type": content_type}
    )
    assert response.status_code == 400, response.text


async def test_dev_mode_has_introspection_graphiql_and_suggestions(team: Org) -> None:
    body = await post(team, "{ __schema { queryType { name } } }")
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    page = await team.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert "Did you mean 'me'?" in error_of(await post(team, "{ mee }"))["message"]


# --- production -------------------------------------------------------------------------


async def test_production_refuses_introspection(team: Org, production: Production) -> None:
    token = await production.token(team, "alice")
    for query in ("{ __schema { types { name } } }", '{ __type(name: "Employee") { name } }'):
        response = await production.gql(query, token)
        assert response.status_code == 200
        body = response.json()
        assert body["data"] is None
        assert body["errors"]
        for error in body["errors"]:
            assert "introspection has been disabled" in error["message"]
    # Ordinary queries work, including __typename.
    ok = await production.gql("{ me { __typename name } }", token)
    assert ok.json() == {"data": {"me": {"__typename": "Employee", "name": "Alice Anders"}}}


async def test_production_has_no_graphiql(production: Production) -> None:
    page = await production.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code != 200
    assert "graphiql" not in page.text.lower()
    assert (await production.client.get("/openapi.json")).status_code == 404


async def test_production_gives_no_field_suggestions(team: Org, production: Production) -> None:
    token = await production.token(team, "alice")
    error = error_of((await production.gql("{ mee }", token)).json())
    assert error["message"] == "Cannot query field 'mee' on type 'Query'."
    error = error_of((await production.gql("{ me { nmae } }", token)).json())
    assert "Did you mean" not in error["message"]


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        # An argument name, an enum value in the document, an enum value in a variable.
        ("{ employees(frist: 5) { totalCount } }", {}, "Unknown argument 'frist'"),
        ("{ employees(filter: {status: ACTIV}) { totalCount } }", {}, "ACTIV"),
        (
            "query($s: EmployeeStatus) { employees(filter: {status: $s}) { totalCount } }",
            {"s": "ACTIV"},
            "ACTIV",
        ),
    ],
)
async def test_production_suggests_no_names_of_the_schema(
    team: Org, production: Production, query: str, variables: dict[str, Any], expected: str
) -> None:
    token = await production.token(team, "alice")
    error = error_of((await production.gql(query, token, **variables)).json())
    assert expected in error["message"]
    assert "Did you mean" not in error["message"]
    assert "ACTIVE" not in error["message"]


async def test_production_masks_unexpected_errors(
    team: Org, production: Production, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection string postgres://secret@db/careerpath")

    monkeypatch.setattr(Employee, "from_row", broken)
    token = await production.token(team, "alice")
    response = await production.gql("{ me { name } }", token)
    assert response.status_code == 200
    error = error_of(response.json())
    assert error == {
        "message": "Internal server error.",
        "locations": error["locations"],
        "path": ["me"],
        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
    }
    assert "secret" not in response.text

    # The same fault in dev mode shows its message, for the developer at hand.
    dev = await team.gql("{ me { name } }", token=team.token("alice"))
    assert "secret" in error_of(dev)["message"]
