"""The promotions migration is reversible: down to the previous revision and up again."""

from __future__ import annotations

import asyncpg

from service.db import asyncpg_dsn
from tests.migrations import round_trip

REVISION = "0008_promotions"
TABLES = {
    "promotion_settings",
    "promotions",
    "readiness_snapshots",
    "succession_plans",
    "successors",
}


async def _state(url: str) -> tuple[str, set[str]]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        version = await conn.fetchval("select version_num from alembic_version")
        rows = await conn.fetch(
            "select tablename from pg_tables where schemaname = 'public' "
            "and tablename = any($1::text[]) and rowsecurity",
            list(TABLES),
        )
        return version, {r["tablename"] for r in rows}
    finally:
        await conn.close()


def test_downgrade_removes_the_promotion_tables_and_upgrade_restores_them(
    database_urls: tuple[str, str],
) -> None:
    up, down, up_again = round_trip(database_urls, REVISION, _state)
    assert up == up_again == (REVISION, TABLES)
    assert down[1] == set()
    assert down[0] != REVISION
