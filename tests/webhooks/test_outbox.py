"""The outbox: events are written with the change that caused them, one delivery per
subscribed endpoint, and the dispatcher is woken when the transaction commits."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, insert, select

from service.db import ConnectionExecutor, asyncpg_dsn
from service.webhooks import events as webhook_events_module  # noqa: F401 (registers types)
from service.webhooks.models import webhook_deliveries, webhook_endpoints, webhook_events
from service.webhooks.outbox import (
    NOTIFY_CHANNEL,
    UnknownEventType,
    emit,
    patterns_matching,
    register_event_type,
)
from tests.conftest import Org

register_event_type(
    "outbox_test.happened",
    "Used by the outbox tests.",
    {"type": "object"},
    example={"n": 1},
)
register_event_type("outbox_test.other", "Used by the outbox tests.", {"type": "object"})


async def add_endpoint(org: Org, event_types: list[str], status: str = "ENABLED") -> uuid.UUID:
    async with org.runtime.db.transaction(org.id) as conn:
        return (
            await conn.execute(
                insert(webhook_endpoints)
                .values(
                    org_id=org.id,
                    url="https://hooks.example.com/x",
                    event_types=event_types,
                    status=status,
                    secret="whsec_" + "A" * 32,
                )
                .returning(webhook_endpoints.c.id)
            )
        ).scalar_one()


async def deliveries_of(org: Org, event_id: uuid.UUID) -> set[uuid.UUID]:
    async with org.runtime.db.transaction(org.id) as conn:
        rows = await conn.execute(
            select(webhook_deliveries.c.endpoint_id).where(
                webhook_deliveries.c.event_id == event_id
            )
        )
        return {r.endpoint_id for r in rows}


async def emit_then_fail(org: Org, event_type: str) -> None:
    """Emit in a transaction that then fails, so the change and its event roll back."""
    async with org.runtime.db.transaction(org.id) as conn:
        await emit(ConnectionExecutor(conn), org.id, event_type, {"n": 2})
        raise RuntimeError("the change failed")


def test_subscription_patterns_of_a_type() -> None:
    assert patterns_matching("promotion.approved") == ["promotion.approved", "promotion.*", "*"]
    assert patterns_matching("a.b.c") == ["a.b.c", "a.b.*", "a.*", "*"]


async def test_one_delivery_per_subscribed_enabled_endpoint(org: Org) -> None:
    exact = await add_endpoint(org, ["outbox_test.happened"])
    wildcard = await add_endpoint(org, ["outbox_test.*"])
    everything = await add_endpoint(org, ["*"])
    await add_endpoint(org, ["outbox_test.other"])
    await add_endpoint(org, ["outbox_test.*"], status="DISABLED")
    await add_endpoint(org, ["outbox.*"])

    event_id = await org.run(emit, "outbox_test.happened", {"n": 1})

    assert await deliveries_of(org, event_id) == {exact, wildcard, everything}
    async with org.runtime.db.transaction(org.id) as conn:
        event = (
            await conn.execute(select(webhook_events).where(webhook_events.c.id == event_id))
        ).one()
        due = (
            await conn.execute(
                select(func.count()).where(
                    webhook_deliveries.c.event_id == event_id,
                    webhook_deliveries.c.status == "PENDING",
                    webhook_deliveries.c.next_attempt_at.is_not(None),
                )
            )
        ).scalar_one()
    assert (event.type, event.data, event.org_id) == ("outbox_test.happened", {"n": 1}, org.id)
    assert due == 3


async def test_an_event_without_subscribers_is_still_recorded(org: Org) -> None:
    event_id = await org.run(emit, "outbox_test.other", {"at": uuid.UUID(int=7)})
    assert await deliveries_of(org, event_id) == set()
    async with org.runtime.db.transaction(org.id) as conn:
        data = (
            await conn.execute(select(webhook_events.c.data).where(webhook_events.c.id == event_id))
        ).scalar_one()
    assert data == {"at": str(uuid.UUID(int=7))}


async def test_a_rolled_back_change_never_has_an_event(org: Org) -> None:
    await add_endpoint(org, ["*"])

    with pytest.raises(RuntimeError):
        await emit_then_fail(org, "outbox_test.happened")
    async with org.runtime.db.transaction(org.id) as conn:
        events = (await conn.execute(select(func.count()).select_from(webhook_events))).scalar()
        queued = (await conn.execute(select(func.count()).select_from(webhook_deliveries))).scalar()
    assert (events, queued) == (0, 0)


async def test_endpoints_of_other_organizations_are_never_matched(
    org: Org, org_factory: Any
) -> None:
    other = await org_factory()
    await add_endpoint(other, ["*"])
    mine = await add_endpoint(org, ["*"])
    event_id = await org.run(emit, "outbox_test.happened", {"n": 3})
    assert await deliveries_of(org, event_id) == {mine}
    async with other.runtime.db.transaction(other.id) as conn:
        seen = (await conn.execute(select(func.count()).select_from(webhook_deliveries))).scalar()
    assert seen == 0


async def test_unknown_event_types_are_refused(org: Org) -> None:
    with pytest.raises(UnknownEventType):
        await org.run(emit, "outbox_test.nope", {})
    with pytest.raises(ValueError, match="lower_snake"):
        register_event_type("Bad Name", "x", {})
    with pytest.raises(ValueError, match="differently"):
        register_event_type("outbox_test.happened", "changed", {"type": "object"})


async def test_the_dispatcher_is_notified_on_commit_only(org: Org, database_urls: Any) -> None:
    await add_endpoint(org, ["outbox_test.other"])
    received: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(asyncpg_dsn(database_urls[1]))
    try:
        await listener.add_listener(NOTIFY_CHANNEL, lambda *args: received.put_nowait(args[2]))
        with pytest.raises(RuntimeError):
            await emit_then_fail(org, "outbox_test.other")
        await org.run(emit, "outbox_test.happened", {})  # nobody subscribed: nobody woken
        await asyncio.sleep(0.2)
        assert received.empty()
        await org.run(emit, "outbox_test.other", {})
        assert await asyncio.wait_for(received.get(), 5) == NOTIFY_CHANNEL
    finally:
        await listener.close()
