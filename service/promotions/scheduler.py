"""The promotion scheduler: approved cases whose effective date has come take effect.

It runs inside `careerpath serve` and in every `careerpath worker`, every
``CAREERPATH_PROMOTION_SCHEDULE_SECONDS``. Any number may run at once: a case is claimed by
a conditional update, so it takes effect exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable

import structlog

from service.db import Database
from service.promotions.service import apply_due_everywhere, today

log = structlog.get_logger("careerpath.promotions")


async def run_scheduler(
    database: Database,
    stop: asyncio.Event,
    every_seconds: float,
    clock: Callable[[], dt.date] = today,
) -> None:
    """Apply due promotions now and then every ``every_seconds`` until ``stop`` is set.
    A failed round is logged and retried on the next one."""
    while not stop.is_set():
        try:
            applied = await apply_due_everywhere(database, clock())
            if applied:
                log.info("promotions took effect", count=applied)
        except Exception as exc:  # a database outage must not end the loop
            log.warning("promotion scheduler round failed", error=type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_seconds)
