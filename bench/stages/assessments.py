"""Assessments: two closed review cycles with self and manager ratings for everyone and
peer ratings for about a quarter, then the derived current proficiencies.

Each person has a true level per competency of their role: the required level plus a
personal offset (most people a little below, some above), a little higher in the second
cycle. Self ratings lean high, manager ratings are near the truth, peers scatter. Every
assessment is SUBMITTED within its cycle's window; the cycles closed about 6 months and
1 month before the day of generation, so ratings are fresh (only their dates depend on
that day; everything else on the seed). Current proficiencies are computed with the
service's own refresh statement (``service.assessments.queries.REFRESH_SQL``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg

from bench.stages.base import World, insert_rows, seeded_uuid
from bench.stages.framework import Framework, Role
from bench.stages.people import Person

PEER_SHARE = 0.25
REFRESH_BATCH = 5_000


def cycles(today: dt.date) -> list[tuple[str, dt.date, dt.date, float]]:
    """(name, starts, ends, growth) of the two cycles."""
    late = today - dt.timedelta(days=30)
    early = today - dt.timedelta(days=180)
    return [
        (f"Review {early:%Y-%m}", early - dt.timedelta(days=21), early, 0.0),
        (f"Review {late:%Y-%m}", late - dt.timedelta(days=21), late, 0.3),
    ]


def clamp(value: float) -> int:
    return max(1, min(5, round(value)))


class AssessmentsStage:
    name = "assessments"
    version = 1

    async def load(self, conn: asyncpg.Connection, world: World) -> dict[str, int]:
        rng = world.rng("assessments")
        people: list[Person] = world.data["people"]
        fw: Framework = world.data["framework"]
        roles: dict[int, Role] = world.data["roles_by_person"]
        org = world.org_id
        children: dict[int, list[int]] = {}
        for p in people:
            if p.manager is not None:
                children.setdefault(p.manager, []).append(p.index)
        rated = [p for p in people if p.status != "TERMINATED" and p.index in roles]
        offset = {p.index: rng.gauss(-0.4, 0.7) for p in rated}

        cycle_rows: list[tuple[Any, ...]] = []
        assessment_rows: list[tuple[Any, ...]] = []
        rating_rows: list[tuple[Any, ...]] = []
        today = dt.date.today()
        for name, starts, ends, growth in cycles(today):
            cycle_id = seeded_uuid(rng)
            opened = dt.datetime.combine(starts, dt.time(9), dt.UTC)
            closed = dt.datetime.combine(ends, dt.time(18), dt.UTC)
            cycle_rows.append(
                (
                    cycle_id,
                    org,
                    name,
                    starts,
                    ends,
                    "CLOSED",
                    ["SELF", "MANAGER", "PEER"],
                    "ALL",
                    opened,
                    closed,
                )
            )
            window = int((closed - opened).total_seconds())
            for p in rated:
                role = roles[p.index]
                truth = {
                    c: level + offset[p.index] + growth + rng.gauss(0, 0.3)
                    for c, level, _, _ in role.expectations
                }
                assessors: list[tuple[str, Person, float, float]] = [("SELF", p, 0.4, 0.6)]
                manager = people[p.manager] if p.manager is not None else None
                if manager is not None and manager.status != "TERMINATED":
                    assessors.append(("MANAGER", manager, 0.0, 0.4))
                if rng.random() < PEER_SHARE and manager is not None:
                    peers = [i for i in children[manager.index] if i != p.index]
                    for i in rng.sample(peers, min(len(peers), rng.randint(1, 2))):
                        if people[i].status != "TERMINATED":
                            assessors.append(("PEER", people[i], 0.1, 0.8))
                for kind, assessor, bias, noise in assessors:
                    assessment_id = seeded_uuid(rng)
                    submitted = opened + dt.timedelta(seconds=rng.randrange(window))
                    assessment_rows.append(
                        (
                            assessment_id,
                            org,
                            cycle_id,
                            p.id,
                            assessor.id,
                            kind,
                            "SUBMITTED",
                            submitted,
                            submitted,
                            submitted,
                        )
                    )
                    for c, value in truth.items():
                        level = clamp(value + bias + rng.gauss(0, noise))
                        evidence = (
                            "Shown in this cycle's project work." if rng.random() < 0.1 else None
                        )
                        rating_rows.append(
                            (
                                org,
                                assessment_id,
                                fw.competencies[c][0],
                                level,
                                evidence,
                                submitted,
                                submitted,
                            )
                        )
        # Two rows, and an array column (which unnest would flatten): one insert each.
        await conn.executemany(
            "insert into assessment_cycles (id, org_id, name, starts_on, ends_on, status, kinds,"
            " coverage, opened_at, closed_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            cycle_rows,
        )
        counts = {"assessment_cycles": len(cycle_rows)}
        counts["assessments"] = await insert_rows(
            conn,
            "assessments",
            "id uuid, org_id uuid, cycle_id uuid, subject_id uuid, assessor_id uuid, kind text, "
            "status text, submitted_at timestamptz, created_at timestamptz, "
            "updated_at timestamptz",
            assessment_rows,
        )
        counts["ratings"] = await insert_rows(
            conn,
            "ratings",
            "org_id uuid, assessment_id uuid, competency_id uuid, level int4, evidence text, "
            "created_at timestamptz, updated_at timestamptz",
            rating_rows,
        )
        counts["current_proficiencies"] = await refresh_current(conn, [p.id for p in rated])
        return counts

    async def facts(self, conn: asyncpg.Connection, org_id: uuid.UUID) -> dict[str, Any]:
        return {
            "ratings": await conn.fetchval("select count(*) from ratings where org_id = $1", org_id)
        }


async def refresh_current(conn: asyncpg.Connection, employee_ids: list[uuid.UUID]) -> int:
    """The service's refresh of the derived current proficiencies, in batches."""
    from service.assessments.queries import REFRESH_SQL

    sql = str(REFRESH_SQL.text).replace(":ids", "$1")
    for start in range(0, len(employee_ids), REFRESH_BATCH):
        await conn.execute(sql, employee_ids[start : start + REFRESH_BATCH])
    return int(await conn.fetchval("select count(*) from current_proficiencies"))
