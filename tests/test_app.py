"""HTTP surface: health probes, metrics, malformed requests, an unreachable database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from service.app import Runtime, build_runtime, create_app
from service.config import Settings
from tests.conftest import Org


async def test_health_probes_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert "process_" in metrics.text or "python_" in metrics.text


async def test_malformed_json_and_graphql_are_400_not_500(
    client: httpx.AsyncClient, team: Org
) -> None:
    headers = {"Authorization": f"Bearer {team.token('alice')}", "Content-Type": "application/json"}
    bad_json = await client.post("/graphql", content=b"{not json", headers=headers)
    assert bad_json.status_code == 400
    bad_query = await client.post("/graphql", json={"query": "{ me { "}, headers=headers)
    assert bad_query.status_code == 200
    assert bad_query.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    unknown_field = await client.post(
        "/graphql", json={"query": "{ me { salary } }"}, headers=headers
    )
    assert unknown_field.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.fixture
async def unreachable(settings: Settings) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    # Port 1 on loopback refuses connections at once: a database that is down.
    down = settings.model_copy(
        update={"database_url": "postgresql://careerpath@127.0.0.1:1/careerpath"}
    )
    runtime = build_runtime(down)
    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield runtime, c
    await runtime.db.dispose()


async def test_database_down_gives_503_ready_and_a_masked_error(
    unreachable: tuple[Runtime, httpx.AsyncClient], team: Org
) -> None:
    _runtime, client = unreachable
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": "unreachable"}
    assert (await client.get("/healthz")).status_code == 200
    token = team.token("alice")
    response = await client.post(
        "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "127.0.0.1" not in response.text
    assert "Traceback" not in response.text


def test_a_refused_statement_is_an_internal_error_and_a_dropped_connection_an_outage() -> None:
    from sqlalchemy.exc import InterfaceError

    from service.graphql.execution import _is_unavailable

    refused = InterfaceError("select …", None, Exception("too many arguments"))
    dropped = InterfaceError("select …", None, Exception("connection is closed"))
    dropped.connection_invalidated = True
    assert not _is_unavailable(refused)
    assert _is_unavailable(dropped)
    assert _is_unavailable(ConnectionRefusedError())
