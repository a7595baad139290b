"""The tenant-policy migration is reversible: per-row policies down, one read per statement up."""

from __future__ import annotations

import asyncpg

from service.db import asyncpg_dsn
from tests.migrations import round_trip

REVISION, BEFORE = "0005_tenant_policy_once", "0004_assessments"


async def _state(url: str) -> tuple[str, set[bool]]:
    """The schema's revision, and for each tenant policy whether it reads the tenant in a
    sub-select."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        version = await conn.fetchval("select version_num from alembic_version")
        rows = await conn.fetch(
            "select qual, with_check from pg_policies where policyname = 'tenant_isolation'"
        )
        return version, {"SELECT" in r["qual"] and "SELECT" in r["with_check"] for r in rows}
    finally:
        await conn.close()


def test_downgrade_restores_per_row_policies_and_upgrade_rewrites_them(
    database_urls: tuple[str, str],
) -> None:
    up, down, up_again = round_trip(database_urls, REVISION, _state)
    assert up == up_again == (REVISION, {True})
    assert down == (BEFORE, {False})
