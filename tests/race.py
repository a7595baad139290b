"""Concurrent writers over HTTP: N requests at once, each on its own database connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import select

from service.app import build_runtime, create_app
from service.audit.models import audit_events
from service.config import Settings
from tests.conftest import Org

WRITERS = 12


@asynccontextmanager
async def wide_client(settings: Settings, writers: int = WRITERS) -> AsyncIterator[Any]:
    """A client of an app whose pool holds a connection for every writer, so no request
    waits for another to return its connection before reaching the database."""
    runtime = build_runtime(settings.model_copy(update={"pool_size": writers}))
    app = create_app(runtime=runtime)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            yield client
    finally:
        await runtime.db.dispose()


async def race(
    client: httpx.AsyncClient, token: str, query: str, variables: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Send one request per variables at once; the ``data`` of each, in order."""

    async def one(v: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": v},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    return list(await asyncio.gather(*(one(v) for v in variables)))


def only_winner(payloads: list[dict[str, Any]], loser_code: str = "STALE_VERSION") -> int:
    """The index of the one payload without userErrors; every other lost with ``loser_code``."""
    winners = [i for i, p in enumerate(payloads) if not p["userErrors"]]
    assert len(winners) == 1, payloads
    for i, p in enumerate(payloads):
        if i != winners[0]:
            assert [e["code"] for e in p["userErrors"]] == [loser_code], p
    return winners[0]


async def audit_changes(org: Org, action: str) -> list[dict[str, Any]]:
    """The ``changes`` of every audit event with ``action`` (in no particular order)."""
    async with org.runtime.db.transaction(org.id) as conn:
        rows = await conn.execute(
            select(audit_events.c.changes)
            .where(audit_events.c.action == action)
            .order_by(audit_events.c.id)
        )
        return [r.changes for r in rows]


def one_chain(edges: list[tuple[Any, Any]], start: Any) -> list[Any]:
    """The values visited following ``(from, to)`` edges from ``start``; asserts the edges
    form one path through all of them (each change starts where the previous one ended)."""
    by_source = {}
    for source, target in edges:
        assert source not in by_source, f"two changes start from {source}: {edges}"
        by_source[source] = target
    path = [start]
    while path[-1] in by_source:
        path.append(by_source.pop(path[-1]))
    assert not by_source, f"changes not on one path from {start}: {edges}"
    return path
