"""Fixtures of the webhook tests: fast retry settings, a receiver on 127.0.0.1, endpoints
and dispatchers running against the test database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select

from service.app import Runtime
from service.config import WebhookSettings
from service.db import asyncpg_dsn
from service.webhooks import service as webhooks
from service.webhooks.dispatcher import Dispatcher
from service.webhooks.models import webhook_attempts, webhook_deliveries
from service.webhooks.ssrf import AddressPolicy
from tests.conftest import Org
from tests.webhooks.receiver import Receiver, running

LOOPBACK = AddressPolicy.from_entries(["127.0.0.1"])


def fast_settings(**overrides: Any) -> WebhookSettings:
    """Delivery settings for tests: loopback allowed, retries in fractions of a second."""
    values: dict[str, Any] = {
        "allow_hosts": ["127.0.0.1"],
        "retry_schedule_seconds": [0.2, 0.2, 0.2, 0.2],
        "timeout_seconds": 2.0,
        "lease_seconds": 3,
        "poll_seconds": 0.5,
        "concurrency": 16,
    }
    values.update(overrides)
    return WebhookSettings(**values)


@pytest.fixture(autouse=True)
async def quiet_queue(database_urls: tuple[str, str]) -> None:
    """Deliveries other tests left pending (to addresses nobody answers) fail before each
    test here, so the dispatchers of this test deliver only what it queues."""
    conn = await asyncpg.connect(asyncpg_dsn(database_urls[0]))
    try:
        await conn.execute(
            "update webhook_deliveries set status = 'FAILED', next_attempt_at = null, "
            "claim_token = null, claimed_until = null, last_error = 'left by an earlier test' "
            "where status = 'PENDING'"
        )
    finally:
        await conn.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running(Receiver()) as r:
        yield r


async def add_endpoint(
    org: Org, url: str, event_types: list[str] | None = None, receiver: Receiver | None = None
) -> Any:
    """An endpoint created through the service, its secret given to ``receiver``."""
    row, secret = await org.run(
        webhooks.create_endpoint,
        webhooks.EndpointInput(url=url, event_types=event_types or ["*"]),
        LOOPBACK,
    )
    if receiver is not None:
        receiver.secrets.append(secret)
    return row


@asynccontextmanager
async def dispatching(
    runtime: Runtime, settings: WebhookSettings | None = None
) -> AsyncIterator[Dispatcher]:
    """A dispatcher running in the background until the block ends."""
    dispatcher = Dispatcher(runtime.db, settings or fast_settings())
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    try:
        yield dispatcher
    finally:
        stop.set()
        await task


async def deliveries(org: Org, event_id: uuid.UUID | None = None) -> list[Any]:
    async with org.runtime.db.transaction(org.id) as conn:
        stmt = select(webhook_deliveries).order_by(webhook_deliveries.c.created_at)
        if event_id is not None:
            stmt = stmt.where(webhook_deliveries.c.event_id == event_id)
        return list((await conn.execute(stmt)).all())


async def attempts(org: Org, delivery_id: uuid.UUID) -> list[Any]:
    async with org.runtime.db.transaction(org.id) as conn:
        return list(
            (
                await conn.execute(
                    select(webhook_attempts)
                    .where(webhook_attempts.c.delivery_id == delivery_id)
                    .order_by(webhook_attempts.c.attempt)
                )
            ).all()
        )


async def eventually(check: Callable[[], Any], timeout: float = 15) -> Any:
    """Poll ``check`` (async) until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(0.05)
