"""The request's transaction as PostgreSQL sees it: what each request sends down the wire,
and what a pooled connection keeps afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text

from service.app import Runtime
from tests.conftest import Org


@asynccontextmanager
async def wire(runtime: Runtime) -> AsyncIterator[list[str]]:
    """Every query the driver sends while the block runs, on any pooled connection (the
    driver's own query log: it sees what SQLAlchemy's events do not, BEGIN and ROLLBACK)."""
    sent: list[str] = []

    def log(record: Any) -> None:
        sent.append(record.query)

    def checkout(dbapi_conn: Any, *_: Any) -> None:
        dbapi_conn.driver_connection.add_query_logger(log)

    def checkin(dbapi_conn: Any, *_: Any) -> None:
        if dbapi_conn is not None:
            dbapi_conn.driver_connection.remove_query_logger(log)

    pool = runtime.db.engine.sync_engine.pool
    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    try:
        yield sent
        await asyncio.sleep(0)  # the driver hands its log records over on the next turn
    finally:
        event.remove(pool, "checkout", checkout)
        event.remove(pool, "checkin", checkin)


async def test_a_read_answered_by_the_callers_statement_runs_no_transaction(team: Org) -> None:
    async with wire(team.runtime) as sent:
        body = await team.gql("{ me { id name } }", as_="alice")
    assert body["data"]["me"]["name"] == "Alice Anders"
    # The caller's statement sets the tenant itself: nothing to begin or roll back.
    assert len(sent) == 1, sent
    assert "set_config" in sent[0], sent
    assert "BEGIN" not in sent[0].upper(), sent


async def test_a_read_of_more_begins_read_only_with_the_tenant_in_the_same_round_trip(
    team: Org,
) -> None:
    async with wire(team.runtime) as sent:
        body = await team.gql("{ me { name manager { name } } }", as_="alice")
    assert body["data"]["me"]["manager"] is not None
    begins = [q for q in sent if q.upper().startswith("BEGIN")]
    assert begins == [f"BEGIN READ ONLY; SELECT set_config('app.org_id', '{team.id}', true)"]
    assert sent[-1] == "ROLLBACK", sent


async def test_a_mutation_begins_before_the_caller_is_resolved(team: Org) -> None:
    async with wire(team.runtime) as sent:
        body = await team.gql(
            "mutation { setCareerAspiration(input: {discoverable: false}) "
            "{ userErrors { code } } }",
            as_="alice",
        )
    assert body["data"]["setCareerAspiration"]["userErrors"] == [], body
    assert sent[0] == "BEGIN", sent
    assert sent[-1] == "COMMIT", sent


async def test_no_pooled_connection_keeps_a_tenant(team: Org, runtime: Runtime) -> None:
    """Whether a request ran a transaction or not, the tenant it set ends with it: no
    connection handed out later still carries it."""
    queries = ["{ me { id } }", "{ me { name manager { name } } }"]
    for query in queries * 3:
        assert "errors" not in await team.gql(query, as_="alice")
    engine = runtime.db.engine
    idle = engine.sync_engine.pool.checkedin()
    assert idle >= 1
    conns = [await engine.connect() for _ in range(idle)]
    try:
        tenants = await asyncio.gather(
            *(c.scalar(text("select current_setting('app.org_id', true)")) for c in conns)
        )
    finally:
        for c in conns:
            await c.close()
    assert all(not t for t in tenants), tenants
