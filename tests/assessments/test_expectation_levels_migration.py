"""The expectation levels migration is reversible: its table, functions and triggers go and
come back, and the upgrade backfills one row per active employee and expectation of their
role, with their current levels, organization by organization under Row Level Security."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import asyncpg

from service.db import asyncpg_dsn
from tests.assessments.migration_seed import organization
from tests.migrations import catalog_state, round_trip

REVISION, BEFORE = "0016_expectation_levels", "0015_framework_revision"
FUNCTIONS = {
    "expectation_levels_people_changed",
    "expectation_levels_roles_changed",
    "expectation_levels_levels_changed",
}
ORG, SCALE, CODING, DESIGN, LEVEL, FAMILY, ROLE, ACTIVE, LEFT, NO_ROLE, UNIT = (
    uuid.UUID(int=i) for i in range(1, 12)
)


async def _seed(conn: asyncpg.Connection) -> None:
    """A role expecting coding 3 and design 2; one active employee in it (rated 3.5 on
    coding by their manager), one who left and one without a role."""
    async with organization(conn, ORG, SCALE, {CODING: "coding", DESIGN: "design"}):
        await conn.execute(
            "insert into levels (id, org_id, key, name, rank) values ($1, $2, 'l', 'L', 1)",
            LEVEL,
            ORG,
        )
        await conn.execute(
            "insert into job_families (id, org_id, key, name) values ($1, $2, 'f', 'F')",
            FAMILY,
            ORG,
        )
        await conn.execute(
            "insert into roles (id, org_id, key, title, family_id, level_id) "
            "values ($1, $2, 'r', 'R', $3, $4)",
            ROLE,
            ORG,
            FAMILY,
            LEVEL,
        )
        for competency, required in ((CODING, 3), (DESIGN, 2)):
            await conn.execute(
                "insert into role_expectations (org_id, role_id, competency_id, required_level) "
                "values ($1, $2, $3, $4)",
                ORG,
                ROLE,
                competency,
                required,
            )
        await conn.execute(
            "insert into org_units (id, org_id, name) values ($1, $2, 'U')", UNIT, ORG
        )
        for employee, role, status in (
            (ACTIVE, ROLE, "ACTIVE"),
            (LEFT, ROLE, "TERMINATED"),
            (NO_ROLE, None, "ACTIVE"),
        ):
            await conn.execute(
                "insert into employees (id, org_id, email, name, role_id, org_unit_id, status) "
                "values ($1, $2, $6, 'E', $3, $4, $5)",
                employee,
                ORG,
                role,
                UNIT,
                status,
                f"{employee}@o",
            )
        await conn.execute(
            "insert into current_levels (org_id, employee_id, competency_id, manager_level, "
            "manager_as_of) values ($1, $2, $3, 3.5, timestamptz '2026-01-02')",
            ORG,
            ACTIVE,
            CODING,
        )


async def _state(url: str) -> tuple[Any, ...]:
    revision, tables, functions = await catalog_state(
        url, tables={"expectation_levels"}, functions=FUNCTIONS
    )
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        triggers = await conn.fetchval(
            "select count(*) from pg_trigger where tgname like 'tr_%_expectation_levels_%'"
        )
        if revision == BEFORE:
            await _seed(conn)
            return revision, tables, functions, triggers, None
        async with conn.transaction():
            await conn.execute("select set_config('app.org_id', $1, true)", str(ORG))
            rows = await conn.fetch(
                "select employee_id, competency_id, org_unit_id, role_id, required_level, "
                "manager_level, self_level from expectation_levels order by competency_id"
            )
        return revision, tables, functions, triggers, [tuple(r) for r in rows]
    finally:
        await conn.close()


def test_downgrade_removes_expectation_levels_and_upgrade_backfills_them(
    database_urls: tuple[str, str],
) -> None:
    states = round_trip(database_urls, REVISION, _state)
    present = (REVISION, {"expectation_levels"}, FUNCTIONS, 8)
    assert [s[:4] for s in states] == [present, (BEFORE, set(), set(), 0), present]
    # Nothing to backfill on the way up from scratch; the seeded organization's active
    # employee on the way up again (not the one who left, nor the one without a role).
    assert [s[4] for s in states] == [
        [],
        None,
        [
            (ACTIVE, CODING, UNIT, ROLE, 3, Decimal("3.5"), None),
            (ACTIVE, DESIGN, UNIT, ROLE, 2, None, None),
        ],
    ]
