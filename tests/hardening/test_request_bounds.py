"""Bounds on a request besides its cost: the size of its response and its running time."""

from __future__ import annotations

from typing import Any

from tests.conftest import Org


async def test_a_response_over_the_size_limit_is_replaced_by_an_error(
    custom_app: Any, team: Org
) -> None:
    query = {"query": "{ __schema { types { name description fields { name description } } } }"}
    headers = {"Authorization": f"Bearer {team.token('alice')}"}
    full = await team.client.post("/graphql", json=query, headers=headers)
    assert len(full.content) > 20_000
    async with custom_app(max_response_bytes=20_000) as (_runtime, client):
        response = await client.post("/graphql", json=query, headers=headers)
        small = await client.post("/graphql", json={"query": "{ me { name } }"}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "RESPONSE_TOO_LARGE", "limit": 20_000}
    assert len(response.content) < 1000
    assert small.json() == {"data": {"me": {"name": "Alice Anders"}}}


async def test_a_request_past_its_time_stops_and_is_503(custom_app: Any, team: Org) -> None:
    headers = {"Authorization": f"Bearer {team.token('admin', 'career:employee career:admin')}"}
    query = {"query": "{ employees(first: 5) { nodes { name directReports { nodes { name } } } } }"}
    async with custom_app(request_timeout_seconds=0.000001) as (_runtime, client):
        response = await client.post("/graphql", json=query, headers=headers)
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "took too long" in body["errors"][0]["message"]
    ok = await team.client.post("/graphql", json=query, headers=headers)
    assert len(ok.json()["data"]["employees"]["nodes"]) == 5


def test_parsed_documents_are_kept_within_a_character_budget() -> None:
    """Many distinct documents near the token limit cannot grow a process without end:
    the parsed documents kept are bounded by their text's length, and a document longer
    than the largest kept is parsed for its request only."""
    from graphql import parse

    from service.graphql.execution import PreparedDocuments
    from service.graphql.schema import schema

    documents = PreparedDocuments(rules=[], max_tokens=5000, max_chars=10_000, largest=2_000)
    graphql_schema = schema._schema
    texts = [f"{{ me {{ name {' '.join(['title'] * 200)} }} }} # {i}" for i in range(20)]
    for text in texts:
        prepared = documents.prepare(graphql_schema, text, parse(text))
        assert prepared.errors == ()
    kept = [t for t in texts if documents.get(t) is not None]
    assert sum(len(t) for t in kept) <= 10_000
    assert kept == texts[-len(kept) :]  # the least recently used went first
    assert len(kept) >= 5

    large = "{ me { name " + "title " * 500 + "} }"
    assert len(large) > 2_000
    assert documents.prepare(graphql_schema, large, parse(large)).errors == ()
    assert documents.get(large) is None
