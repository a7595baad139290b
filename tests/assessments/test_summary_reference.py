"""The one-statement organization summary over ``current_levels`` gives exactly what the
per-grouping statements over ``current_proficiencies`` gave (``summary_reference``), for
every grouping, filter and setting of the resolution rule, on an organization with every
kind of rating, stale ones, thin peer panels and people without a unit or ratings."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import select

from service.assessments import queries
from service.assessments import service as assessments
from service.assessments.models import current_levels, current_proficiencies
from service.config import AssessmentSettings
from service.db import ConnectionExecutor
from service.people import service as people
from tests.assessments.conftest import Framework, load_framework
from tests.assessments.summary_reference import reference_summary
from tests.conftest import Org

GROUPINGS = ("ORG_UNIT", "JOB_FAMILY", "LEVEL", "COMPETENCY")
KINDS = ("SELF", "MANAGER", "PEER", "CALIBRATION")


async def build(org: Org, fw: Framework) -> dict[str, Any]:
    """Three units (one without people), 40 people over four roles, seven of them without a
    unit; ratings of every kind, some a year and a half old, peer panels of one to four."""
    rng = random.Random(17)
    units = [
        await org.run(people.create_org_unit, people.OrgUnitInput(name=name))
        for name in ("Unit A", "Unit B", "Unit C")
    ]
    await org.employee("admin")
    await org.employee("lead")
    keys = []
    for i in range(40):
        key = f"p{i}"
        unit = None if i % 6 == 5 else units[i % 2]
        await org.employee(
            key,
            manager="lead",
            role_id=fw.role[("engineer", "senior", "staff", "operator")[i % 4]],
            org_unit_id=unit.id if unit else None,
        )
        keys.append(key)
    today = dt.date.today()
    rows = []
    for subject in keys[:34]:  # the last six are never rated
        for competency in rng.sample(sorted(fw.competency.values()), rng.randint(1, 4)):
            for kind in rng.sample(KINDS, rng.randint(1, 3)):
                assessors = (
                    rng.sample([k for k in keys if k != subject], rng.randint(1, 4))
                    if kind == "PEER"
                    else ["lead" if kind == "MANAGER" else subject if kind == "SELF" else None]
                )
                for assessor in assessors:
                    old = rng.random() < 0.3
                    rows.append(
                        assessments.ImportRow(
                            subject_id=org.people[subject].id,
                            competency_id=competency,
                            level=rng.randint(1, 5),
                            kind=kind,
                            rated_on=today - dt.timedelta(days=540 if old else rng.randint(1, 60)),
                            assessor_id=org.people[assessor].id if assessor else None,
                        )
                    )
    await org.run(assessments.import_ratings, rows)
    return {"unit": units[0].id}


# Columns of the one statement that the per-grouping reference has no need of: the
# grouping's tag, and the group's ID again under the name of its kind of object.
OWN_COLUMNS = {"grouped_by", "unit_id", "family_id", "level_id", "competency_id"}
# and the org unit's row (its columns under this prefix), checked below to be the group's
UNIT_ROW = "unit__"

OWN_ID_COLUMN = {
    "ORG_UNIT": "unit_id",
    "JOB_FAMILY": "family_id",
    "LEVEL": "level_id",
    "COMPETENCY": "competency_id",
}

SETTINGS = [
    AssessmentSettings(),
    AssessmentSettings(prefer_fresh=False),
    AssessmentSettings(resolution_order=["SELF", "PEER"], min_peer_count=2),
    AssessmentSettings(resolution_order=["PEER", "MANAGER", "CALIBRATION"], stale_after_days=30),
    AssessmentSettings(min_peer_count=4, min_group_size=3),
]


async def compare_with_reference(
    db: ConnectionExecutor,
    settings_list: list[AssessmentSettings],
    filters: list[queries.SummaryFilter],
) -> int:
    """Every grouping of the one statement, asked together and alone, against the
    reference, under each settings and filter; how many groups were compared."""
    compared = 0
    for settings in settings_list:
        rules = queries.Rules.from_settings(settings)
        for f in filters:
            together = await queries.skill_gap_summaries(db, rules, GROUPINGS, f)
            for group_by in GROUPINGS:
                expected = [
                    dict(r._mapping) for r in await reference_summary(db, rules, group_by, f)
                ]
                found = [
                    {
                        k: v
                        for k, v in r._mapping.items()
                        if k not in OWN_COLUMNS and not k.startswith(UNIT_ROW)
                    }
                    for r in together[group_by]
                ]
                assert found == expected, (settings, f, group_by)
                own = OWN_ID_COLUMN[group_by]
                for r in together[group_by]:
                    ids_of = {c: r._mapping[c] for c in OWN_COLUMNS - {"grouped_by"}}
                    assert ids_of.pop(own) == r.group_id
                    assert set(ids_of.values()) == {None}
                    assert r._mapping["unit__id"] == r.unit_id
                alone = await queries.skill_gap_summary(db, rules, group_by, f)
                assert [r.group_id for r in alone] == [r["group_id"] for r in expected]
                compared += len(expected)
    return compared


async def test_one_statement_equals_the_per_grouping_reference(org: Org) -> None:
    fw = await load_framework(org)
    ids = await build(org, fw)
    filters = [
        queries.SummaryFilter(),
        queries.SummaryFilter(org_unit_id=ids["unit"]),
        queries.SummaryFilter(competency_id=fw.competency["coding"]),
    ]
    async with org.runtime.db.transaction(org.id) as conn:
        db = ConnectionExecutor(conn)
        levels = (await conn.execute(select(current_levels))).all()
        kinds = (await conn.execute(select(current_proficiencies))).all()
        # The pivot holds every (employee, competency) of the derived table once.
        assert {(r.employee_id, r.competency_id) for r in levels} == {
            (r.employee_id, r.competency_id) for r in kinds
        }
        assert len(levels) < len(kinds)
        compared = await compare_with_reference(db, SETTINGS, filters)
    # The comparison covered real groups, figures and suppressions.
    assert compared > 100
