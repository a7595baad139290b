"""The scheduler in `serve` and `worker`: approved cases take effect when their date comes,
once, however many schedulers run."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select

from service.people.models import position_history
from service.promotions.models import promotions
from service.promotions.scheduler import run_scheduler
from tests.conftest import Org
from tests.promotions.conftest import Framework, decide, propose


async def test_schedulers_apply_a_due_case_once(team: Org, fw: Framework) -> None:
    due = dt.date.today() + dt.timedelta(days=9)
    case = (await propose(team, fw, effective=due))["promotion"]
    assert (await decide(team, "approvePromotion", case["id"]))["promotion"]["status"] == "APPROVED"

    stop = asyncio.Event()
    early = asyncio.create_task(
        run_scheduler(team.runtime.db, stop, 0.05, lambda: due - dt.timedelta(days=1))
    )
    await asyncio.sleep(0.3)
    async with team.runtime.db.transaction(team.id) as conn:
        assert (await conn.execute(select(promotions.c.status))).scalar_one() == "APPROVED"
    stop.set()
    await early

    stop = asyncio.Event()
    racing = [
        asyncio.create_task(run_scheduler(team.runtime.db, stop, 0.05, lambda: due))
        for _ in range(3)
    ]
    for _ in range(100):
        async with team.runtime.db.transaction(team.id) as conn:
            status = (await conn.execute(select(promotions.c.status))).scalar_one()
        if status == "EFFECTIVE":
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # a few more rounds of every scheduler
    stop.set()
    await asyncio.gather(*racing)
    async with team.runtime.db.transaction(team.id) as conn:
        assert (await conn.execute(select(promotions.c.status))).scalar_one() == "EFFECTIVE"
        promotions_recorded = (
            await conn.execute(
                select(func.count())
                .select_from(position_history)
                .where(position_history.c.kind == "PROMOTION")
            )
        ).scalar_one()
    assert promotions_recorded == 1
