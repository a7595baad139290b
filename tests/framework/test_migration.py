"""The framework migration is reversible: down to service accounts and up again."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg
from sqlalchemy.engine import make_url

from service.db import asyncpg_dsn, drop_database, migrate, provision

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
    admin_url = make_url(database_urls[0]).set(database="postgres").render_as_string(False)
    suffix = secrets.token_hex(4)
    database, role = f"careerpath_mig_{suffix}", f"careerpath_mig_app_{suffix}"
    provisioned = asyncio.run(provision(admin_url, database, role, secrets.token_urlsafe(12)))
    try:
        migrate(provisioned.owner_url, REVISION, app_role=role)
        assert asyncio.run(_state(provisioned.owner_url)) == (REVISION, TABLES, FOREIGN_KEYS)
        migrate(provisioned.owner_url, "-1", app_role=role)
        assert asyncio.run(_state(provisioned.owner_url)) == (BEFORE, set(), set())
        migrate(provisioned.owner_url, REVISION, app_role=role)
        assert asyncio.run(_state(provisioned.owner_url)) == (REVISION, TABLES, FOREIGN_KEYS)
    finally:
        asyncio.run(drop_database(admin_url, database, role))
