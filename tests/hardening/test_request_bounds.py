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
