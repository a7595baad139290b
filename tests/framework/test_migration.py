"""The framework migration is reversible: down to service accounts and up again."""

from __future__ import annotations

import asyncpg

from service.db import asyncpg_dsn
from tests.migrations import round_trip

REVISION, BEFORE = "0003_framework", "0002_service_accounts"
TABLES = {
    "framework_settings",
    "proficiency_scales",
    "scale_levels",
    "levels",
    "job_families",
    "roles",
    "competencies",
    "competency_descriptors",
    "role_expectations",
    "tracks",
    "track_steps",
    "role_transitions",
}
FOREIGN_KEYS = {
    "fk_employees_role",
    "fk_position_history_role_id",
    "fk_position_history_previous_role_id",
}


async def _state(url: str) -> tuple[str, set[str], set[str]]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        version = await conn.fetchval("select version_num from alembic_version")
        tables = await conn.fetch(
            "select tablename from pg_tables where schemaname = 'public' "
            "and tablename = any($1::text[])",
            list(TABLES),
        )
        keys = await conn.fetch(
            "select conname from pg_constraint where conname = any($1::text[])",
            list(FOREIGN_KEYS),
        )
        return version, {r["tablename"] for r in tables}, {r["conname"] for r in keys}
    finally:
        await conn.close()


def test_downgrade_removes_the_framework_and_upgrade_restores_it(
    database_urls: tuple[str, str],
) -> None:
    up, down, up_again = round_trip(database_urls, REVISION, _state)
    assert up == up_again == (REVISION, TABLES, FOREIGN_KEYS)
    assert down == (BEFORE, set(), set())
