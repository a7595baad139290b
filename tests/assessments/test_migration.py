"""The assessments migration is reversible: down to the framework and up again."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg
from sqlalchemy.engine import make_url

from service.db import asyncpg_dsn, drop_database, migrate, provision

REVISION, BEFORE = "0004_assessments", "0003_framework"
TABLES = {
    "assessment_cycles",
    "assessment_cycle_employees",
    "assessments",
    "ratings",
    "current_proficiencies",
}


async def _state(url: str) -> tuple[str, set[str]]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        version = await conn.fetchval("select version_num from alembic_version")
        rows = await conn.fetch(
            "select tablename from pg_tables where schemaname = 'public' "
            "and tablename = any($1::text[])",
            list(TABLES),
        )
        return version, {r["tablename"] for r in rows}
    finally:
        await conn.close()


def test_downgrade_removes_the_assessment_tables_and_upgrade_restores_them(
    database_urls: tuple[str, str],
) -> None:
    admin_url = make_url(database_urls[0]).set(database="postgres").render_as_string(False)
    suffix = secrets.token_hex(4)
    database, role = f"careerpath_mig_{suffix}", f"careerpath_mig_app_{suffix}"
    provisioned = asyncio.run(provision(admin_url, database, role, secrets.token_urlsafe(12)))
    try:
        migrate(provisioned.owner_url, REVISION, app_role=role)
        assert asyncio.run(_state(provisioned.owner_url)) == (REVISION, TABLES)
        migrate(provisioned.owner_url, "-1", app_role=role)
        assert asyncio.run(_state(provisioned.owner_url)) == (BEFORE, set())
        migrate(provisioned.owner_url, REVISION, app_role=role)
        assert asyncio.run(_state(provisioned.owner_url)) == (REVISION, TABLES)
    finally:
        asyncio.run(drop_database(admin_url, database, role))
