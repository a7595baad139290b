"""`careerpath promotions apply-due`: approved cases whose date has come take effect."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from service.promotions.models import promotions
from tests.conftest import Org
from tests.promotions.conftest import Framework, decide, propose
from tests.test_cli import cli_env as cli_env  # the fixture
from tests.test_cli import run


async def test_apply_due_makes_due_cases_effective_once(
    team: Org, fw: Framework, cli_env: dict[str, str]
) -> None:
    due = dt.date.today() + dt.timedelta(days=12)
    case = (await propose(team, fw, effective=due))["promotion"]
    assert (await decide(team, "approvePromotion", case["id"]))["promotion"]["status"] == "APPROVED"

    early = await run(
        cli_env, "promotions", "apply-due", "--on", (due - dt.timedelta(days=1)).isoformat()
    )
    assert early.exit_code == 0, early.output
    async with team.runtime.db.transaction(team.id) as conn:
        assert (await conn.execute(select(promotions.c.status))).scalar_one() == "APPROVED"

    applied = await run(cli_env, "promotions", "apply-due", "--on", due.isoformat())
    assert applied.exit_code == 0, applied.output
    assert "took effect" in applied.output
    async with team.runtime.db.transaction(team.id) as conn:
        assert (await conn.execute(select(promotions.c.status))).scalar_one() == "EFFECTIVE"

    bad = await run(cli_env, "promotions", "apply-due", "--on", "next tuesday")
    assert bad.exit_code == 1
    assert "not a date" in bad.output
