"""The demo organization's "2026 mid-year review": a closed cycle with a SELF and a MANAGER
assessment of every employee who has a role.

Deterministic: each person's ratings come from a random generator seeded with their key,
so the same person gets the same ratings every time, whatever else changes. Plausible:
people sit near their role's expectations; about one in five is ahead of the role, one
in four still growing into it, and self ratings run a little higher than managers'.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select

from service.assessments import queries
from service.assessments.models import (
    AssessmentCycleStatus,
    AssessmentKind,
    AssessmentStatus,
    assessment_cycles,
    assessments,
    ratings,
)
from service.db import Executor
from service.demo.people import DemoPerson
from service.framework.models import competencies, role_expectations, roles, scale_levels

CYCLE_NAME = "2026 mid-year review"
CYCLE_START = dt.date(2026, 6, 1)
CYCLE_END = dt.date(2026, 6, 30)

# How a person's manager rating departs from the required level, by profile.
PROFILES = [
    ("ahead", 0.2, [1, 1, 0, 0, 1]),
    ("on track", 0.55, [0, 0, 0, 0, 1, -1]),
    ("growing", 0.25, [-1, -1, 0, -1, 0]),
]
SELF_BIAS = [0, 0, 0, 1, 1, -1]

EVIDENCE = {
    1: "Consistently works above what the role asks here; ready to take on more.",
    -1: "Still growing into this part of the role; agreed focus for the second half.",
}


@dataclass(frozen=True)
class Expectation:
    competency: str
    required: int
    scale_size: int


@dataclass(frozen=True)
class DemoRating:
    competency: str
    self_level: int
    manager_level: int


def demo_ratings(key: str, expectations: Sequence[Expectation]) -> list[DemoRating]:
    """Self and manager ratings of one person against their role's expectations."""
    rng = random.Random(f"careerpath-demo-2026-mid-year:{key}")  # noqa: S311 (demo data)
    roll, profile = rng.random(), PROFILES[-1][2]
    for _, share, deltas in PROFILES:
        if roll < share:
            profile = deltas
            break
        roll -= share
    out = []
    for e in sorted(expectations, key=lambda e: e.competency):
        manager = min(max(e.required + rng.choice(profile), 1), e.scale_size)
        own = min(max(manager + rng.choice(SELF_BIAS), 1), e.scale_size)
        out.append(DemoRating(e.competency, own, manager))
    return out


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


async def load_mid_year_review(
    db: Executor,
    org_id: uuid.UUID,
    persons: Sequence[DemoPerson],
    ids: dict[str, uuid.UUID],
) -> None:
    """Write the closed cycle, its assessments and ratings, and the current proficiencies
    they give, in a fixed number of statements."""
    rows = (
        await db.execute(
            select(
                roles.c.key.label("role"),
                competencies.c.key.label("competency"),
                competencies.c.id.label("competency_id"),
                role_expectations.c.required_level,
                select(scale_levels.c.value)
                .where(scale_levels.c.scale_id == competencies.c.scale_id)
                .order_by(scale_levels.c.value.desc())
                .limit(1)
                .scalar_subquery()
                .label("scale_size"),
            )
            .join(role_expectations, role_expectations.c.role_id == roles.c.id)
            .join(competencies, competencies.c.id == role_expectations.c.competency_id)
        )
    ).all()
    by_role: dict[str, list[Expectation]] = {}
    competency_ids: dict[str, uuid.UUID] = {}
    for r in rows:
        by_role.setdefault(r.role, []).append(
            Expectation(r.competency, r.required_level, r.scale_size)
        )
        competency_ids[r.competency] = r.competency_id
    cycle_id = uuid.uuid4()
    await db.execute(
        insert(assessment_cycles).values(
            id=cycle_id,
            org_id=org_id,
            name=CYCLE_NAME,
            description="Self and manager assessments against each role's expectations.",
            starts_on=CYCLE_START,
            ends_on=CYCLE_END,
            status=AssessmentCycleStatus.CLOSED.value,
            kinds=[AssessmentKind.SELF.value, AssessmentKind.MANAGER.value],
            opened_at=_at(CYCLE_START, 8),
            closed_at=_at(CYCLE_END + dt.timedelta(days=1), 8),
        )
    )
    new_assessments: list[dict[str, object]] = []
    new_ratings: list[dict[str, object]] = []
    subjects: set[uuid.UUID] = set()
    for n, person in enumerate(persons):
        expected = by_role.get(person.role or "")
        if not expected:
            continue
        found = demo_ratings(person.key, expected)
        subjects.add(ids[person.key])
        pairs = [(AssessmentKind.SELF, person.key, 5 + n % 10, lambda d: d.self_level)]
        if person.manager is not None:
            pairs.append(
                (AssessmentKind.MANAGER, person.manager, 16 + n % 12, lambda d: d.manager_level)
            )
        for kind, assessor, day, level_of in pairs:
            assessment_id = uuid.uuid4()
            new_assessments.append(
                {
                    "id": assessment_id,
                    "org_id": org_id,
                    "cycle_id": cycle_id,
                    "subject_id": ids[person.key],
                    "assessor_id": ids[assessor],
                    "kind": kind.value,
                    "status": AssessmentStatus.SUBMITTED.value,
                    "submitted_at": _at(dt.date(2026, 6, day), 9 + n % 8),
                }
            )
            for d in found:
                level = level_of(d)
                evidence = None
                if kind == AssessmentKind.MANAGER:
                    required = next(e.required for e in expected if e.competency == d.competency)
                    evidence = EVIDENCE.get(max(-1, min(1, level - required)))
                new_ratings.append(
                    {
                        "org_id": org_id,
                        "assessment_id": assessment_id,
                        "competency_id": competency_ids[d.competency],
                        "level": level,
                        "evidence": evidence,
                    }
                )
    if new_assessments:
        await db.execute(insert(assessments), new_assessments)
        await db.execute(insert(ratings), new_ratings)
        await queries.refresh_current(db, sorted(subjects))
