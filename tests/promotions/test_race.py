"""Concurrency: a promotion is applied exactly once, whoever races for it."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select

from service.db import ConnectionExecutor
from service.people.models import position_history
from service.promotions import service as promotions
from service.promotions.models import promotions as promotions_table
from tests.conftest import Org
from tests.promotions.conftest import APPROVE, Framework, decide, propose


async def _promotion_entries(org: Org) -> int:
    async with org.runtime.db.transaction(org.id) as conn:
        return int(
            (
                await conn.execute(
                    select(func.count())
                    .select_from(position_history)
                    .where(position_history.c.kind == "PROMOTION")
                )
            ).scalar_one()
        )


async def test_two_concurrent_approvals_apply_the_promotion_once(team: Org, fw: Framework) -> None:
    await team.employee("admin2", name="Ari Admin", hr_admin=True)
    case = (await propose(team, fw))["promotion"]
    scopes = "career:employee career:admin"
    bodies = await asyncio.gather(
        *(
            team.gql(APPROVE, {"i": {"id": case["id"]}}, as_=who, scopes=scopes)
            for who in ("admin", "admin2")
        )
    )
    results = [b["data"]["approvePromotion"] for b in bodies]
    winners = [r for r in results if r["promotion"] is not None]
    losers = [r for r in results if r["promotion"] is None]
    assert len(winners) == 1
    assert winners[0]["promotion"]["status"] == "EFFECTIVE"
    assert [e["code"] for e in losers[0]["userErrors"]] in (["STALE_VERSION"], ["INVALID_STATE"])
    assert await _promotion_entries(team) == 1


async def test_two_scheduler_runs_at_once_apply_a_due_promotion_once(
    team: Org, fw: Framework
) -> None:
    due = dt.date.today() + dt.timedelta(days=7)
    case = (await propose(team, fw, effective=due))["promotion"]
    assert (await decide(team, "approvePromotion", case["id"]))["promotion"]["status"] == "APPROVED"
    engine = team.runtime.db
    async with engine.transaction(team.id) as first:
        applied = await promotions.apply_due_promotions(ConnectionExecutor(first), due)
        assert len(applied) == 1

        async def second_worker() -> int:
            async with engine.transaction(team.id) as conn:
                return len(await promotions.apply_due_promotions(ConnectionExecutor(conn), due))

        # The second worker waits on the first one's row lock while it is uncommitted...
        other = asyncio.create_task(second_worker())
        await asyncio.sleep(0.3)
        assert not other.done()
    # ...and once the first commits, finds nothing left to apply.
    assert await other == 0
    assert await _promotion_entries(team) == 1
    async with engine.transaction(team.id) as conn:
        status = (await conn.execute(select(promotions_table.c.status))).scalar_one()
    assert status == "EFFECTIVE"


async def test_the_scheduler_runs_over_every_organization(team: Org, fw: Framework) -> None:
    due = dt.date.today() + dt.timedelta(days=3)
    case = (await propose(team, fw, effective=due))["promotion"]
    await decide(team, "approvePromotion", case["id"])
    runs = await asyncio.gather(
        promotions.apply_due_everywhere(team.runtime.db, due),
        promotions.apply_due_everywhere(team.runtime.db, due),
    )
    assert sum(runs) >= 1
    assert await _promotion_entries(team) == 1
