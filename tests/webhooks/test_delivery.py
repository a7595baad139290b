"""Deliveries to a real receiver on 127.0.0.1, verified with standardwebhooks and svix:
signatures, retries, Retry-After, 410, timeouts, auto-disable, rotation, two dispatchers."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from service.webhooks import service as webhooks
from service.webhooks.dispatcher import Dispatcher, parse_retry_after, retry_delay
from service.webhooks.outbox import emit, register_event_type
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

register_event_type(
    "delivery_test.happened",
    "Used by the delivery tests.",
    {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}},
    example={"n": 1},
)


def answering(*statuses: int, headers: dict[str, str] | None = None) -> Any:
    """A handler answering with ``statuses`` in turn, then 204 for ever."""
    queue = list(statuses)

    async def handler(request: Request, receiver: Receiver) -> Response:
        return Response(status_code=queue.pop(0) if queue else 204, headers=headers or {})

    return handler


async def finished(org: Org, event_id: Any) -> list[Any]:
    async def check() -> Any:
        rows = await deliveries(org, event_id)
        return rows if rows and all(r.status != "PENDING" for r in rows) else None

    return await eventually(check)  # type: ignore[no-any-return]


async def test_a_delivery_is_signed_verified_and_recorded(org: Org, receiver: Receiver) -> None:
    endpoint = await add_endpoint(org, receiver.url, ["delivery_test.*"], receiver)
    async with dispatching(org.runtime):
        event_id = await org.run(emit, "delivery_test.happened", {"n": 1})
        [delivery] = await finished(org, event_id)
    [got] = receiver.requests
    assert got.verified_by == receiver.secrets  # standardwebhooks and svix both accept it
    assert got.webhook_id == f"evt_{event_id.hex}"
    assert got.payload is not None
    assert got.payload["type"] == "delivery_test.happened"
    assert got.payload["data"] == {"n": 1}
    assert got.payload["timestamp"].endswith("Z")
    assert got.headers["content-type"] == "application/json"
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("SUCCEEDED", 1, 204)
    assert delivery.endpoint_id == endpoint.id
    [attempt] = await attempts(org, delivery.id)
    assert (attempt.status_code, attempt.error, attempt.next_attempt_at) == (204, None, None)
    assert attempt.duration_ms >= 0


async def test_receiver_down_then_up_gets_the_event_by_retries(
    org: Org, receiver: Receiver
) -> None:
    receiver.handler = answering(503, 500)
    await add_endpoint(org, receiver.url, ["delivery_test.happened"], receiver)
    async with dispatching(org.runtime):
        event_id = await org.run(emit, "delivery_test.happened", {"n": 2})
        [delivery] = await finished(org, event_id)
    assert [len(r.verified_by) for r in receiver.requests] == [1, 1, 1]
    assert len({r.webhook_id for r in receiver.requests}) == 1  # same id on every retry
    assert (delivery.status, delivery.attempts) == ("SUCCEEDED", 3)
    tried = await attempts(org, delivery.id)
    assert [a.status_code for a in tried] == [503, 500, 204]
    assert [a.error for a in tried] == ["HTTP 503", "HTTP 500", None]
    assert all(a.next_attempt_at is not None for a in tried[:2])
    gaps = [b.started_at - a.started_at for a, b in itertools.pairwise(tried)]
    assert all(g >= dt.timedelta(seconds=0.15) for g in gaps)  # the schedule, jittered


async def test_a_delivery_gives_up_after_the_schedule(org: Org, receiver: Receiver) -> None:
    receiver.handler = answering(*[500] * 10)
    await add_endpoint(org, receiver.url, ["*"], receiver)
    async with dispatching(org.runtime, fast_settings(retry_schedule_seconds=[0.1, 0.1])):
        event_id = await org.run(emit, "delivery_test.happened", {"n": 3})
        [delivery] = await finished(org, event_id)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("FAILED", 3, None)
    assert len(receiver.requests) == 3


async def test_retry_after_is_honoured(org: Org, receiver: Receiver) -> None:
    receiver.handler = answering(429, headers={"Retry-After": "1"})
    await add_endpoint(org, receiver.url, ["*"], receiver)
    async with dispatching(org.runtime, fast_settings(retry_schedule_seconds=[0.05])):
        event_id = await org.run(emit, "delivery_test.happened", {"n": 4})
        [delivery] = await finished(org, event_id)
    first, second = receiver.requests
    assert delivery.status == "SUCCEEDED"
    assert second.at - first.at >= 0.95


def test_retry_delays_follow_the_schedule_with_jitter() -> None:
    settings = fast_settings(retry_schedule_seconds=[5, 300, 1800], max_retry_after_seconds=600)
    for attempt, base in ((1, 5), (2, 300), (3, 1800)):
        delay = retry_delay(settings, attempt, None)
        assert delay is not None
        assert base * 0.8 <= delay <= base * 1.2
    assert retry_delay(settings, 4, None) is None
    retried = retry_delay(settings, 1, 3600)
    assert retried == 600  # Retry-After, capped
    now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Mon, 02 Mar 2026 09:01:00 GMT", now) == 60
    assert parse_retry_after("soon", now) is None


async def test_redirects_are_failures_and_never_followed(org: Org, receiver: Receiver) -> None:
    receiver.handler = answering(302, headers={"Location": "http://127.0.0.1:1/elsewhere"})
    await add_endpoint(org, receiver.url, ["*"], receiver)
    async with dispatching(org.runtime):
        event_id = await org.run(emit, "delivery_test.happened", {"n": 5})
        [delivery] = await finished(org, event_id)
    tried = await attempts(org, delivery.id)
    assert (tried[0].status_code, tried[0].error) == (302, "redirects are not followed (HTTP 302)")
    assert delivery.status == "SUCCEEDED"  # the retry got a 204
    assert len(receiver.requests) == 2


async def test_410_disables_the_endpoint_and_reports_it(org: Org, receiver: Receiver) -> None:
    receiver.handler = answering(410)
    gone = await add_endpoint(org, receiver.url + "?gone", ["delivery_test.*"], receiver)
    watcher = await add_endpoint(org, receiver.url + "?watcher", ["webhook_endpoint.*"], receiver)
    async with dispatching(org.runtime):
        event_id = await org.run(emit, "delivery_test.happened", {"n": 6})
        [delivery] = await finished(org, event_id)
        await receiver.wait_for(lambda rs: len(rs) == 2)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("FAILED", 1, 410)
    endpoint = await org.run(_endpoint, gone.id)
    assert (endpoint.status, endpoint.disabled_reason) == ("DISABLED", "GONE")
    report = receiver.requests[1].payload
    assert report is not None
    assert report["type"] == "webhook_endpoint.disabled"
    assert report["data"]["endpoint_id"] == str(gone.id)
    assert report["data"]["reason"] == "GONE"
    assert (await org.run(_endpoint, watcher.id)).status == "ENABLED"
    # Nothing more goes to the disabled endpoint.
    later = await org.run(emit, "delivery_test.happened", {"n": 7})
    assert await deliveries(org, later) == []


async def _endpoint(db: Any, principal: Any, endpoint_id: Any) -> Any:
    return await webhooks._get(db, endpoint_id)


async def test_an_endpoint_failing_long_enough_is_disabled(org: Org, receiver: Receiver) -> None:
    receiver.handler = answering(*[500] * 100)
    endpoint = await add_endpoint(org, receiver.url, ["delivery_test.*"], receiver)
    settings = fast_settings(
        disable_after_failures=3, disable_after_failing_seconds=0, retry_schedule_seconds=[0.1] * 5
    )
    async with dispatching(org.runtime, settings):
        first = await org.run(emit, "delivery_test.happened", {"n": 8})
        second = await org.run(emit, "delivery_test.happened", {"n": 9})
        rows = [*(await finished(org, first)), *(await finished(org, second))]
    assert {r.status for r in rows} == {"FAILED"}
    # The third failure in a row disabled it (outcomes written in the same batch as the
    # third may count too), long before the schedule's six tries each ran out.
    assert 3 <= sum(r.attempts for r in rows) <= 4
    current = await org.run(_endpoint, endpoint.id)
    assert (current.status, current.disabled_reason) == ("DISABLED", "FAILING")
    assert "the endpoint was disabled" in {r.last_error for r in rows}


async def test_a_slow_receiver_times_out_then_the_retry_arrives(
    org: Org, receiver: Receiver
) -> None:
    calls = 0

    async def slow_once(request: Request, r: Receiver) -> Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(3)
        return Response(status_code=200)

    receiver.handler = slow_once
    await add_endpoint(org, receiver.url, ["*"], receiver)
    async with dispatching(org.runtime, fast_settings(timeout_seconds=0.5)):
        event_id = await org.run(emit, "delivery_test.happened", {"n": 10})
        [delivery] = await finished(org, event_id)
    tried = await attempts(org, delivery.id)
    assert [a.error for a in tried] == ["timed out after 0.5 s", None]
    assert tried[0].status_code is None
    assert 400 <= tried[0].duration_ms < 2000
    assert delivery.status == "SUCCEEDED"


async def test_responses_are_kept_up_to_the_cap(org: Org, receiver: Receiver) -> None:
    async def chatty(request: Request, r: Receiver) -> Response:
        return Response(content=b"x" * 100_000, status_code=200)

    receiver.handler = chatty
    await add_endpoint(org, receiver.url, ["*"], receiver)
    async with dispatching(org.runtime, fast_settings(max_response_bytes=64)):
        event_id = await org.run(emit, "delivery_test.happened", {"n": 11})
        [delivery] = await finished(org, event_id)
    [attempt] = await attempts(org, delivery.id)
    assert attempt.response_body == "x" * 64


async def test_after_rotation_both_secrets_verify_until_the_grace_ends(
    org: Org, receiver: Receiver
) -> None:
    endpoint = await add_endpoint(org, receiver.url, ["*"], receiver)
    old = receiver.secrets[0]
    _, new = await org.run(
        webhooks.rotate_secret, endpoint.id, dt.timedelta(hours=1), expected_version=None
    )
    receiver.secrets.append(new)
    async with dispatching(org.runtime):
        event_id = await org.run(emit, "delivery_test.happened", {"n": 12})
        await finished(org, event_id)
        # No grace: only the new secret signs.
        _, newest = await org.run(webhooks.rotate_secret, endpoint.id, dt.timedelta(0))
        receiver.secrets.append(newest)
        second = await org.run(emit, "delivery_test.happened", {"n": 13})
        await finished(org, second)
    first, after = receiver.requests
    assert set(first.verified_by) == {old, new}
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    assert after.verified_by == [newest]


async def test_two_dispatchers_never_claim_the_same_delivery(org: Org, receiver: Receiver) -> None:
    await add_endpoint(org, receiver.url, ["delivery_test.*"], receiver)
    await add_endpoint(org, receiver.url + "?second", ["*"], receiver)
    ids = []
    for n in range(60):
        ids.append(await org.run(emit, "delivery_test.happened", {"n": n}))
    async with dispatching(org.runtime) as one, dispatching(org.runtime) as two:
        await receiver.wait_for(lambda rs: len(rs) >= 120, timeout=30)
        await asyncio.sleep(0.5)  # anything doubled would arrive meanwhile
    assert len(receiver.requests) == 120
    keys = {(r.webhook_id, r.headers.get("user-agent"), r.body) for r in receiver.requests}
    assert len({r.webhook_id for r in receiver.requests}) == 60
    assert len(keys) == 60  # each event twice: once per endpoint, never more
    rows = [d for i in ids for d in await deliveries(org, i)]
    assert {(r.status, r.attempts) for r in rows} == {("SUCCEEDED", 1)}
    assert one is not two


async def test_claims_race_exactly_one_winner(org: Org) -> None:
    """Dispatchers claiming at the same moment split the due deliveries between them."""
    await add_endpoint(org, "http://127.0.0.1:9/never", ["delivery_test.*"])
    for n in range(40):
        await org.run(emit, "delivery_test.happened", {"n": n})
    claimers = [Dispatcher(org.runtime.db, fast_settings(concurrency=50)) for _ in range(4)]
    originals = [c.deliver for c in claimers]
    claimed: list[list[Any]] = [[] for _ in claimers]
    for i, c in enumerate(claimers):

        async def keep(job: Any, i: int = i) -> None:
            claimed[i].append(job.delivery_id)

        c.deliver = keep  # type: ignore[method-assign]
    await asyncio.gather(*(c.dispatch_due() for c in claimers))
    for c in claimers:
        await c.drain()
    mine = {d.id for d in await deliveries(org)}
    got = [d for ds in claimed for d in ds if d in mine]
    assert len(got) == len(set(got))  # never the same delivery twice
    assert set(got) == mine  # 4 x 50 slots cover the 40
    for c, original in zip(claimers, originals, strict=True):
        c.deliver = original  # type: ignore[method-assign]
        await c.close()
