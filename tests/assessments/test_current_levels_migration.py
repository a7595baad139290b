"""The current levels migration is reversible, and it backfills the pivot from the derived
proficiencies already there, organization by organization under Row Level Security."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from service.db import asyncpg_dsn
from tests.assessments.migration_seed import organization
from tests.migrations import catalog_state, round_trip

REVISION, BEFORE = "0014_current_levels", "0013_mobility"
ORG, EMPLOYEE, SCALE, CODING, DESIGN = (uuid.UUID(int=i) for i in range(1, 6))


async def _seed(conn: asyncpg.Connection) -> None:
    """An organization with one employee rated on two competencies: coding by self,
    manager and three peers, design by a calibration only."""
    async with organization(conn, ORG, SCALE, {CODING: "coding", DESIGN: "design"}):
        await conn.execute(
            "insert into employees (id, org_id, email, name) values ($1, $2, 'e@o', 'E')",
            EMPLOYEE,
            ORG,
        )
        for competency, kind, level, day, count in (
            (CODING, "SELF", 4, 1, 1),
            (CODING, "MANAGER", 3, 2, 1),
            (CODING, "PEER", 2.7, 3, 3),
            (DESIGN, "CALIBRATION", 5, 4, 1),
        ):
            await conn.execute(
                "insert into current_proficiencies (org_id, employee_id, competency_id, "
                "source_kind, level, as_of, rating_count, assessment_ids) values "
                "($1, $2, $3, $4, $5, timestamptz '2026-01-01' + make_interval(days => $6), "
                "$7, '{}')",
                ORG,
                EMPLOYEE,
                competency,
                kind,
                level,
                day,
                count,
            )


async def _state(url: str) -> tuple[Any, ...]:
    revision, tables = await catalog_state(url, tables={"current_levels"})
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if revision == BEFORE:
            await _seed(conn)
            return revision, tables, None
        async with conn.transaction():
            await conn.execute("select set_config('app.org_id', $1, true)", str(ORG))
            rows = await conn.fetch(
                "select competency_id, self_level, manager_level, peer_level, peer_count, "
                "calibration_level, extract(day from manager_as_of) as manager_day "
                "from current_levels order by competency_id"
            )
        return revision, tables, [tuple(r) for r in rows]
    finally:
        await conn.close()


def test_downgrade_removes_current_levels_and_upgrade_backfills_them(
    database_urls: tuple[str, str],
) -> None:
    up, down, up_again = round_trip(database_urls, REVISION, _state)
    assert up == (REVISION, {"current_levels"}, [])
    assert down == (BEFORE, set(), None)
    revision, tables, rows = up_again
    assert (revision, tables) == (REVISION, {"current_levels"})
    assert [
        tuple(float(v) if v is not None and not isinstance(v, uuid.UUID) else v for v in r)
        for r in rows
    ] == [
        (CODING, 4.0, 3.0, 2.7, 3.0, None, 3.0),
        (DESIGN, None, None, None, None, 5.0, None),
    ]
