"""The webhooks migration is reversible: down to the tenant policies and up again."""

from __future__ import annotations

import asyncpg

from service.db import asyncpg_dsn
from tests.migrations import round_trip

REVISION, BEFORE = "0006_webhooks", "0005_tenant_policy_once"
TABLES = {"webhook_endpoints", "webhook_events", "webhook_deliveries", "webhook_attempts"}
FUNCTIONS = {"webhook_claim", "webhook_next_due", "webhook_prune"}


async def _state(url: str) -> tuple[str, set[str], set[str]]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        version = await conn.fetchval("select version_num from alembic_version")
        tables = await conn.fetch(
            "select tablename from pg_tables where schemaname = 'public' "
            "and tablename = any($1::text[])",
            list(TABLES),
        )
        functions = await conn.fetch(
            "select proname from pg_proc where proname = any($1::text[])", list(FUNCTIONS)
        )
        return version, {r["tablename"] for r in tables}, {r["proname"] for r in functions}
    finally:
        await conn.close()


def test_downgrade_removes_the_webhook_tables_and_upgrade_restores_them(
    database_urls: tuple[str, str],
) -> None:
    up, down, up_again = round_trip(database_urls, REVISION, _state)
    assert up == up_again == (REVISION, TABLES, FUNCTIONS)
    assert down == (BEFORE, set(), set())
