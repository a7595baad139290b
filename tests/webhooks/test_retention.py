"""Retention: finished events older than the retention period go, with their deliveries and
attempts; anything still pending stays, whatever its age."""

from __future__ import annotations

import asyncpg

from service.db import asyncpg_dsn
from service.webhooks.dispatcher import Dispatcher
from service.webhooks.outbox import emit
from tests.conftest import Org
from tests.webhooks.conftest import (
    add_endpoint,
    attempts,
    deliveries,
    dispatching,
    eventually,
    fast_settings,
)
from tests.webhooks.receiver import Receiver


async def test_old_finished_events_are_pruned_pending_ones_kept(
    org: Org, receiver: Receiver, database_urls: tuple[str, str]
) -> None:
    await add_endpoint(org, receiver.url, ["*"], receiver)
    async with dispatching(org.runtime):
        old = await org.run(emit, "webhook.test", {"endpoint_id": "x", "message": "old"})
        recent = await org.run(emit, "webhook.test", {"endpoint_id": "x", "message": "recent"})

        async def done() -> bool:
            rows = await deliveries(org)
            return len(rows) == 2 and all(r.status == "SUCCEEDED" for r in rows)

        await eventually(done)
    [old_delivery] = await deliveries(org, old)
    assert len(await attempts(org, old_delivery.id)) == 1
    stuck = await org.run(emit, "webhook.test", {"endpoint_id": "x", "message": "stuck"})
    owner = await asyncpg.connect(asyncpg_dsn(database_urls[0]))
    try:
        await owner.execute(
            "update webhook_events set occurred_at = now() - interval '40 days' "
            "where id = any($1::uuid[])",
            [old, stuck],
        )
        # Stuck: pending, due in the future (a long Retry-After, say).
        await owner.execute(
            "update webhook_deliveries set next_attempt_at = now() + interval '1 day' "
            "where event_id = $1",
            stuck,
        )
    finally:
        await owner.close()
    dispatcher = Dispatcher(org.runtime.db, fast_settings(retention_days=30))
    try:
        assert await dispatcher.prune() >= 1
    finally:
        await dispatcher.close()
    assert await deliveries(org, old) == []
    assert await attempts(org, old_delivery.id) == []
    assert len(await deliveries(org, recent)) == 1
    assert [d.status for d in await deliveries(org, stuck)] == ["PENDING"]
