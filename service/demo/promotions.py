"""The demo organization's promotions: readiness history from its reviews, a decided
(rejected) and an open case, one marketer who has been ready for a long time without a
promotion, and two succession plans."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import insert, select

from service.assessments.queries import Rules
from service.auth.principal import system_principal
from service.config import get_settings
from service.db import Executor
from service.demo.common import MANAGER, person
from service.promotions import queries
from service.promotions import service as promotions
from service.promotions.models import readiness_snapshots

MID_YEAR = dt.datetime(2026, 6, 30, 18, tzinfo=dt.UTC)
LAST_YEAR_END = dt.datetime(2025, 12, 12, 18, tzinfo=dt.UTC)

# Ready for principal marketing specialist since last year's review, without a promotion:
# his case was rejected in the July committee.
PASSED_OVER = "mkt-senior-2"
# (employee, proposer, target role, effective date)
DECIDED = (PASSED_OVER, "mkt-senior-manager", "principal-marketing-specialist", dt.date(2026, 8, 1))
REJECTION = "Budget freeze for senior roles this half; to be revisited in January."
OPEN = ("mkt-specialist-1", "mkt-manager", "senior-marketing-specialist", dt.date(2027, 1, 1))
# (incumbent, criticality, note, [(successor, readiness)])
PLANS = [
    (
        "eng-director",
        "CRITICAL",
        "Engineering leadership: the director also owns the platform budget.",
        [
            ("eng-senior-manager", "READY_NOW"),
            ("eng-principal", "ONE_TO_TWO_YEARS"),
            ("platform-manager", "THREE_PLUS_YEARS"),
        ],
    ),
    (
        "mkt-director",
        "HIGH",
        "Marketing leadership ahead of the 2027 product launch.",
        [("mkt-senior-manager", "ONE_TO_TWO_YEARS"), ("mkt-manager", "THREE_PLUS_YEARS")],
    ),
]


async def load_promotions(
    db: Executor,
    org_id: uuid.UUID,
    ids: dict[str, uuid.UUID],
    role_ids: dict[str, uuid.UUID],
) -> None:
    """Write the demo's readiness history, cases and succession plans."""
    rules = Rules.from_settings(get_settings().assessments)
    await queries.snapshot_readiness(db, rules, list(ids.values()), MID_YEAR)
    # The engineer passed over: as ready at last year's review as at mid-year.
    mid_year = (
        await db.execute(
            select(readiness_snapshots).where(readiness_snapshots.c.employee_id == ids[PASSED_OVER])
        )
    ).one()
    await db.execute(
        insert(readiness_snapshots).values(
            org_id=org_id,
            employee_id=mid_year.employee_id,
            role_id=mid_year.role_id,
            target_role_id=mid_year.target_role_id,
            readiness=mid_year.readiness,
            taken_at=LAST_YEAR_END,
        )
    )
    hr = system_principal(org_id)
    for employee, proposer, role, effective in (DECIDED, OPEN):
        case = await promotions.propose_promotion(
            db,
            person(org_id, ids[proposer], MANAGER),
            promotions.ProposeInput(
                employee_id=ids[employee],
                to_role_id=role_ids[role],
                justification="Consistently operates at the next level; see the mid-year review.",
                effective_date=effective,
            ),
        )
        if (employee, proposer, role, effective) == DECIDED:
            await promotions.reject_promotion(db, hr, case.id, REJECTION)
    for incumbent, criticality, note, successors in PLANS:
        plan = await promotions.create_succession_plan(
            db,
            hr,
            promotions.PlanInput(incumbent_id=ids[incumbent], criticality=criticality, note=note),
        )
        for successor, readiness in successors:
            await promotions.set_successor(
                db,
                hr,
                plan.id,
                promotions.SuccessorInput(employee_id=ids[successor], readiness=readiness),
            )
