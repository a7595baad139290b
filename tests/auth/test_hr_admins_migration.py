"""The HR admins migration is reversible: the table and its tenant policy come and go."""

from __future__ import annotations

import asyncpg

from service.db import asyncpg_dsn
from tests.migrations import round_trip

REVISION, BEFORE = "0007_hr_admins", "0006_webhooks"


async def _state(url: str) -> tuple[str, bool, bool]:
    """The schema's revision, whether ``hr_admins`` exists, and whether it is under its
    tenant policy with Row Level Security forced."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        version = await conn.fetchval("select version_num from alembic_version")
        table = await conn.fetchrow(
            "select relrowsecurity, relforcerowsecurity from pg_class where relname = 'hr_admins'"
        )
        policy = await conn.fetchval(
            "select count(*) from pg_policies where tablename = 'hr_admins' "
            "and policyname = 'tenant_isolation'"
        )
        secured = table is not None and table[0] and table[1] and policy == 1
        return version, table is not None, bool(secured)
    finally:
        await conn.close()


def test_hr_admins_table_round_trips(database_urls: tuple[str, str]) -> None:
    up, down, up_again = round_trip(database_urls, REVISION, _state)
    assert up == up_again == (REVISION, True, True)
    assert down == (BEFORE, False, False)
