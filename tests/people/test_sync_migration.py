"""The HRIS sync migration is reversible: down to the previous revision and up again."""

from __future__ import annotations

from typing import Any

import asyncpg

from service.db import asyncpg_dsn
from tests.migrations import catalog_state, round_trip

REVISION = "0009_hris_sync"
INDEXES = {"ix_employees_updated_at", "ix_position_history_created_at"}


async def _state(url: str) -> tuple[str, bool, set[str]]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        version = await conn.fetchval("select version_num from alembic_version")
        table = await conn.fetchval(
            "select rowsecurity from pg_tables where schemaname = 'public' "
            "and tablename = 'sync_requests'"
        )
        rows = await conn.fetch(
            "select indexname from pg_indexes where indexname = any($1::text[])", list(INDEXES)
        )
        return version, bool(table), {r["indexname"] for r in rows}
    finally:
        await conn.close()


def test_downgrade_removes_the_sync_table_and_upgrade_restores_it(
    database_urls: tuple[str, str],
) -> None:
    up, down, up_again = round_trip(database_urls, REVISION, _state)
    assert up == up_again == (REVISION, True, INDEXES)
    assert down == ("0008_promotions", False, set())


PENDING_REVISION = "0011_pending_managers"


async def _pending_state(url: str) -> tuple[Any, ...]:
    return await catalog_state(url, constraints={"ck_employees_pending_manager"})


def test_pending_manager_references_migrate_down_and_up(database_urls: tuple[str, str]) -> None:
    up, down, up_again = round_trip(database_urls, PENDING_REVISION, _pending_state)
    assert up == up_again == (PENDING_REVISION, {"ck_employees_pending_manager"})
    assert down == ("0010_development_plans", set())
