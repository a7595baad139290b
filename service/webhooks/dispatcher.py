"""The dispatcher: claims due deliveries, sends them, records every attempt.

Any number of dispatchers may run at once (one inside each ``careerpath serve`` process,
plus ``careerpath worker`` processes). Each loop:

1. claims up to as many due deliveries as it has free slots with ``webhook_claim``
   (``FOR UPDATE SKIP LOCKED`` across organizations): each claimed delivery gets a lease
   (``claimed_until``) and this claim's token, committed at once, so no other dispatcher
   takes it while the lease lasts;
2. reads what it needs per organization in a tenant transaction, and sends each delivery
   with httpx through the SSRF guard;
3. records the attempt and the delivery's new state in one tenant transaction, only if the
   claim is still its own (same token).

A dispatcher killed at any point leaves its claimed deliveries ``PENDING``: when their lease
expires another dispatcher takes them, so nothing is lost (a receiver may then see the same
``webhook-id`` twice: delivery is at-least-once). Dispatchers sleep until the next delivery
is due, a ``NOTIFY`` from a committed event wakes them at once, and they look anyway every
``poll_seconds`` (a lost listener connection only costs latency).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import orjson
import structlog
from prometheus_client import Counter, Histogram
from sqlalchemy import text, update

from service.audit import service as audit
from service.auth.principal import system_principal
from service.config import WebhookSettings
from service.db import ConnectionExecutor, Database, asyncpg_dsn
from service.webhooks import signing
from service.webhooks.models import (
    WebhookDisabledReason,
    WebhookEndpointStatus,
    webhook_endpoints,
)
from service.webhooks.outbox import NOTIFY_CHANNEL
from service.webhooks.service import disable
from service.webhooks.ssrf import AddressPolicy, BlockedAddress, guarded_client, resolve

log = structlog.get_logger("careerpath.webhooks")

ATTEMPTS = Counter(
    "careerpath_webhook_attempts_total", "Webhook delivery attempts by outcome.", ["outcome"]
)
ATTEMPT_SECONDS = Histogram(
    "careerpath_webhook_attempt_seconds", "Duration of webhook delivery attempts."
)

JITTER = 0.2
CONNECTIONS_PER_CLIENT = 8
PRUNE_EVERY = dt.timedelta(hours=1)

_CLAIM = text("select id, org_id from webhook_claim(:batch, make_interval(secs => :lease), :token)")
_NEXT_DUE = text("select webhook_next_due()")
_PRUNE = text("select webhook_prune(:cutoff)")
_LOAD = text(
    """
    select d.id, d.attempts, e.id as event_id, e.type, e.data::text as data, e.occurred_at,
           p.id as endpoint_id, p.url, p.status as endpoint_status, p.secret,
           case when p.previous_secret_expires_at > now() then p.previous_secret end
               as previous_secret
      from webhook_deliveries d
      join webhook_events e on e.org_id = d.org_id and e.id = d.event_id
      join webhook_endpoints p on p.org_id = d.org_id and p.id = d.endpoint_id
     where d.id = any(:ids) and d.claim_token = :token and d.status = 'PENDING'
    """
)
_RECORD = text(
    """
    with o as (
        select * from unnest(
            cast(:ids as uuid[]), cast(:tokens as uuid[]), cast(:statuses as text[]),
            cast(:nexts as timestamptz[]), cast(:codes as integer[]), cast(:errors as text[]),
            cast(:bodies as text[]), cast(:starts as timestamptz[]),
            cast(:durations as integer[]), cast(:oks as boolean[])
        ) as o(id, token, status, next_at, code, error, body, started, duration, ok)
    ), d as (
        update webhook_deliveries w
           set status = o.status, attempts = w.attempts + 1, next_attempt_at = o.next_at,
               claimed_until = null, claim_token = null, last_status_code = o.code,
               last_error = o.error, updated_at = now(),
               finished_at = case when o.status = 'PENDING' then null else now() end
          from o
         where w.id = o.id and w.claim_token = o.token and w.status = 'PENDING'
        returning w.id, w.org_id, w.attempts, w.endpoint_id, o.started, o.duration, o.code,
                  o.error, o.body, o.next_at, o.ok
    ), a as (
        insert into webhook_attempts (org_id, delivery_id, attempt, started_at, duration_ms,
                                      status_code, error, response_body, next_attempt_at)
        select org_id, id, attempts, started, duration, code, error, body, next_at from d
    ), per_endpoint as (
        select endpoint_id, bool_or(ok) as any_ok, count(*) filter (where not ok) as failures
          from d group by endpoint_id
    ), ep as (
        update webhook_endpoints p
           set consecutive_failures =
                   case when e.any_ok then 0 else p.consecutive_failures + e.failures end,
               failing_since =
                   case when e.any_ok then null else coalesce(p.failing_since, now()) end
          from per_endpoint e
         where p.id = e.endpoint_id and (e.failures > 0 or p.consecutive_failures <> 0)
        returning p.id, p.status, p.consecutive_failures, now() - p.failing_since as failing_for
    )
    select (select count(*) from d) as recorded, ep.id as endpoint_id, ep.status,
           ep.consecutive_failures, ep.failing_for
      from (select 1) one left join ep on true
    """
)
#: Outcomes are written in batches: whatever finished while the previous batch was being
#: written, at most this many per transaction.
MAX_RECORD_BATCH = 200


@dataclass(frozen=True)
class Job:
    """A claimed delivery with what sending it needs."""

    org_id: uuid.UUID
    delivery_id: uuid.UUID
    attempts: int
    token: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    data: str
    occurred_at: dt.datetime
    endpoint_id: uuid.UUID
    url: str
    endpoint_enabled: bool
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave."""

    started_at: dt.datetime
    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    body: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


def retry_delay(
    settings: WebhookSettings, attempts_made: int, retry_after: float | None
) -> float | None:
    """Seconds until the next try after ``attempts_made`` failed attempts, or ``None`` to
    give up. The schedule's delay with ±20% jitter, never sooner than ``Retry-After``."""
    schedule = settings.retry_schedule_seconds
    if attempts_made > len(schedule):
        return None
    delay = schedule[attempts_made - 1] * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.max_retry_after_seconds))
    return delay


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


class Dispatcher:
    """Delivers due webhooks until stopped."""

    def __init__(self, db: Database, settings: WebhookSettings) -> None:
        self.db = db
        self.settings = settings
        self.policy = AddressPolicy.from_entries(settings.allow_hosts)
        # httpx's connection pool scans every connection for every waiting request, so
        # its cost grows with the square of the requests in flight: several small pools
        # (a delivery always uses the same one) keep that flat.
        shards = max(1, -(-settings.concurrency // CONNECTIONS_PER_CLIENT))
        self.clients = [
            guarded_client(
                self.policy,
                settings.timeout_seconds,
                min(settings.concurrency, CONNECTIONS_PER_CLIENT),
            )
            for _ in range(shards)
        ]
        self.woken = asyncio.Event()
        self.outcomes: asyncio.Queue[tuple[Job, Outcome]] = asyncio.Queue()
        self.recorder: asyncio.Task[None] | None = None
        self.inflight: set[asyncio.Task[None]] = set()
        self.last_prune: float | None = None

    # --- the loop -----------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and deliver until ``stop`` is set; then finish what is in flight."""
        listener = asyncio.create_task(self._listen(stop))
        try:
            while not stop.is_set():
                try:
                    claimed = await self.dispatch_due()
                    await self._prune_if_due()
                except Exception:
                    log.exception("webhook dispatch failed; retrying")
                    claimed = 0
                    await _wait(stop, self.settings.poll_seconds)
                    continue
                if claimed and not self.busy():
                    continue  # more may be due right now
                await self._sleep(stop)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            await self.drain()
            await self.close()

    async def close(self) -> None:
        """Stop the recorder and close the HTTP clients (``run`` does it when it stops)."""
        if self.recorder is not None:
            self.recorder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.recorder
            self.recorder = None
        for client in self.clients:
            await client.aclose()

    async def drain(self, within: float | None = None) -> None:
        """Wait for the deliveries in flight and their outcomes to be written (leases cover
        anything unfinished)."""
        limit = within or self.settings.timeout_seconds + 5
        if self.inflight:
            await asyncio.wait(set(self.inflight), timeout=limit)
        if self.recorder is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.outcomes.join(), limit)

    def busy(self) -> bool:
        """Every slot taken: sending, or waiting for its outcome to be written."""
        return len(self.inflight) + self.outcomes.qsize() >= self.settings.concurrency

    async def _sleep(self, stop: asyncio.Event) -> None:
        """Until a slot frees, the next delivery is due, a notification, or the poll."""
        if self.busy():
            if self.inflight:
                await asyncio.wait(set(self.inflight), return_when=asyncio.FIRST_COMPLETED)
            else:
                await asyncio.sleep(0.005)  # the recorder catches up
            return
        # Cleared before looking: anything committed after the look wakes us.
        self.woken.clear()
        wait = self.settings.poll_seconds
        async with self.db.engine.connect() as conn:
            due = (await conn.execute(_NEXT_DUE)).scalar()
        if due is not None:
            wait = min(wait, max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()))
        if wait <= 0:
            return
        stopped = asyncio.create_task(stop.wait())
        woken = asyncio.create_task(self.woken.wait())
        _done, pending = await asyncio.wait(
            {stopped, woken}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()

    async def _listen(self, stop: asyncio.Event) -> None:
        """Keep a connection listening on the channel; reconnect when it drops."""
        while not stop.is_set():
            conn = None
            try:
                conn = await asyncpg.connect(asyncpg_dsn(self.db.url))
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(NOTIFY_CHANNEL, lambda *_a: self.woken.set())
                self.woken.set()  # anything committed while not listening
                await lost.wait()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("webhook listener unavailable; polling", error=str(exc))
            finally:
                if conn is not None and not conn.is_closed():
                    await conn.close()
            await _wait(stop, self.settings.poll_seconds)

    # --- one round ----------------------------------------------------------------------

    async def dispatch_due(self) -> int:
        """Claim what is due (as much as there are free slots) and start sending it."""
        free = self.settings.concurrency - len(self.inflight) - self.outcomes.qsize()
        if free <= 0:
            return 0
        if self.recorder is None:
            self.recorder = asyncio.create_task(self._record_loop())
        token = uuid.uuid4()
        async with self.db.engine.begin() as conn:
            rows = (
                await conn.execute(
                    _CLAIM,
                    {"batch": free, "lease": self.settings.lease_seconds, "token": token},
                )
            ).all()
        by_org: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for row in rows:
            by_org[row.org_id].append(row.id)
        for org_id, ids in by_org.items():
            for job in await self._load(org_id, ids, token):
                task = asyncio.create_task(self.deliver(job))
                self.inflight.add(task)
                task.add_done_callback(self.inflight.discard)
        return len(rows)

    async def _load(
        self, org_id: uuid.UUID, ids: Sequence[uuid.UUID], token: uuid.UUID
    ) -> list[Job]:
        async with self.db.transaction(org_id) as conn:
            rows = (await conn.execute(_LOAD, {"ids": list(ids), "token": token})).all()
        return [
            Job(
                org_id=org_id,
                delivery_id=r.id,
                attempts=r.attempts,
                token=token,
                event_id=r.event_id,
                event_type=r.type,
                data=r.data,
                occurred_at=r.occurred_at,
                endpoint_id=r.endpoint_id,
                url=r.url,
                endpoint_enabled=r.endpoint_status == WebhookEndpointStatus.ENABLED,
                secrets=tuple(s for s in (r.secret, r.previous_secret) if s),
            )
            for r in rows
        ]

    async def deliver(self, job: Job) -> None:
        """Send one delivery and queue its outcome for the recorder."""
        try:
            outcome = await self.send(job)
        except Exception:
            # The lease runs out and another round tries again.
            log.exception("webhook delivery failed", delivery_id=str(job.delivery_id))
            return
        self.outcomes.put_nowait((job, outcome))

    async def send(self, job: Job) -> Outcome:
        """One HTTP attempt; every failure becomes an ``Outcome``, nothing raises."""
        started_at = dt.datetime.now(dt.UTC)
        clock = time.perf_counter()

        def done(**fields: Any) -> Outcome:
            elapsed = time.perf_counter() - clock
            ATTEMPT_SECONDS.observe(elapsed)
            return Outcome(started_at, int(elapsed * 1000), **fields)

        if not job.endpoint_enabled:
            return done(error="the endpoint is disabled")
        payload = signing.body(job.event_type, job.occurred_at, orjson.Fragment(job.data))
        headers = signing.headers(
            signing.webhook_id(job.event_id), payload, job.secrets, started_at
        )
        try:
            url = httpx.URL(job.url)
            if url.scheme != "https":
                addresses = await resolve(url.host, url.port or 80)
                if not self.policy.plain_http_allowed(url.host, addresses):
                    raise BlockedAddress("plain http is allowed only for hosts in the allow-list")
            async with asyncio.timeout(self.settings.timeout_seconds):
                client = self.clients[job.delivery_id.int % len(self.clients)]
                request = client.build_request("POST", url, content=payload, headers=headers)
                response = await client.send(request, stream=True)
                try:
                    body = await _read_capped(response, self.settings.max_response_bytes)
                finally:
                    await response.aclose()
        except BlockedAddress as exc:
            return done(error=f"refused by the SSRF guard: {exc}")
        except (TimeoutError, httpx.TimeoutException):
            return done(error=f"timed out after {self.settings.timeout_seconds:g} s")
        except (httpx.HTTPError, OSError) as exc:
            return done(error=f"{type(exc).__name__}: {exc}"[:500])
        retry_after = parse_retry_after(response.headers.get("retry-after"), started_at)
        status = response.status_code
        error = None
        if 300 <= status < 400:
            error = f"redirects are not followed (HTTP {status})"
        elif not 200 <= status < 300:
            error = f"HTTP {status}"
        return done(status_code=status, error=error, body=body, retry_after=retry_after)

    async def _record_loop(self) -> None:
        """Write outcomes as they come, in batches (one transaction per organization)."""
        while True:
            batch = [await self.outcomes.get()]
            while len(batch) < MAX_RECORD_BATCH and not self.outcomes.empty():
                batch.append(self.outcomes.get_nowait())
            try:
                await self.record(batch)
            except Exception:
                # Their leases run out and another round sends them again.
                log.exception("webhook outcomes not recorded", count=len(batch))
            finally:
                for _ in batch:
                    self.outcomes.task_done()

    async def record(self, batch: Sequence[tuple[Job, Outcome]]) -> None:
        """The attempts, the deliveries' new states, and the endpoints' failure streaks."""
        by_org: dict[uuid.UUID, list[tuple[Job, Outcome]]] = defaultdict(list)
        for job, outcome in batch:
            ATTEMPTS.labels("success" if outcome.ok else "failure").inc()
            by_org[job.org_id].append((job, outcome))
        for org_id, items in by_org.items():
            await self._record_org(org_id, items)

    async def _record_org(self, org_id: uuid.UUID, items: list[tuple[Job, Outcome]]) -> None:
        columns: dict[str, list[Any]] = defaultdict(list)
        gone = set()
        for job, outcome in items:
            delay = None
            if not outcome.ok and not outcome.gone and job.endpoint_enabled:
                delay = retry_delay(self.settings, job.attempts + 1, outcome.retry_after)
            next_at = (
                outcome.started_at + dt.timedelta(seconds=delay) if delay is not None else None
            )
            if outcome.gone:
                gone.add(job.endpoint_id)
            for key, value in (
                ("ids", job.delivery_id),
                ("tokens", job.token),
                ("statuses", "SUCCEEDED" if outcome.ok else ("PENDING" if next_at else "FAILED")),
                ("nexts", next_at),
                ("codes", outcome.status_code),
                ("errors", outcome.error),
                ("bodies", outcome.body),
                ("starts", outcome.started_at),
                ("durations", outcome.duration_ms),
                ("oks", outcome.ok),
            ):
                columns[key].append(value)
        async with self.db.transaction(org_id) as conn:
            rows = (await conn.execute(_RECORD, columns)).all()
            if rows[0].recorded < len(items):
                log.info(
                    "webhook claims lost before recording", count=len(items) - rows[0].recorded
                )
            for row in rows:
                if row.endpoint_id is None or row.status != WebhookEndpointStatus.ENABLED:
                    continue
                reason = None
                if row.endpoint_id in gone:
                    reason = WebhookDisabledReason.GONE
                elif row.consecutive_failures >= self.settings.disable_after_failures and (
                    row.failing_for.total_seconds() >= self.settings.disable_after_failing_seconds
                ):
                    reason = WebhookDisabledReason.FAILING
                if reason is not None:
                    await self._disable(ConnectionExecutor(conn), org_id, row.endpoint_id, reason)

    async def _disable(
        self, db: ConnectionExecutor, org_id: uuid.UUID, endpoint_id: uuid.UUID, reason: str
    ) -> None:
        endpoint = (
            await db.execute(
                update(webhook_endpoints)
                .where(
                    webhook_endpoints.c.id == endpoint_id,
                    webhook_endpoints.c.status == WebhookEndpointStatus.ENABLED.value,
                )
                .values(
                    status=WebhookEndpointStatus.DISABLED.value,
                    disabled_reason=reason,
                    disabled_at=text("now()"),
                    version=webhook_endpoints.c.version + 1,
                    updated_at=text("now()"),
                )
                .returning(*webhook_endpoints.c)
            )
        ).first()
        if endpoint is None:
            return  # another dispatcher disabled it first
        principal = system_principal(org_id)
        await disable(db, principal, endpoint, reason)
        await audit.record(
            db,
            principal,
            "webhook_endpoint.disable",
            "WebhookEndpoint",
            endpoint_id,
            {"status": {"from": "ENABLED", "to": "DISABLED"}, "reason": {"to": reason}},
        )
        log.warning("webhook endpoint disabled", endpoint_id=str(endpoint_id), reason=reason)

    # --- retention ----------------------------------------------------------------------

    async def prune(self, now: dt.datetime | None = None) -> int:
        """Remove events older than the retention period whose deliveries are all finished."""
        cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=self.settings.retention_days)
        async with self.db.engine.begin() as conn:
            return int((await conn.execute(_PRUNE, {"cutoff": cutoff})).scalar_one())

    async def _prune_if_due(self) -> None:
        now = time.monotonic()
        if self.last_prune is None or now - self.last_prune >= PRUNE_EVERY.total_seconds():
            self.last_prune = now
            pruned = await self.prune()
            if pruned:
                log.info("webhook events pruned", count=pruned)


async def _read_capped(response: httpx.Response, cap: int) -> str:
    """The start of the response body, at most ``cap`` bytes, decoded leniently."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size >= cap:
            break
    return b"".join(chunks)[:cap].decode("utf-8", "replace")


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def run_dispatcher(db: Database, settings: WebhookSettings, stop: asyncio.Event) -> None:
    """Run one dispatcher until ``stop`` is set (the app's lifespan, ``careerpath worker``)."""
    log.info("webhook dispatcher started", concurrency=settings.concurrency)
    await Dispatcher(db, settings).run(stop)
    log.info("webhook dispatcher stopped")
