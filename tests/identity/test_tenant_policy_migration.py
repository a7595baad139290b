"""The tenant-policy migration is reversible: per-row policies down, one read per statement up."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg
from sqlalchemy.engine import make_url

from service.db import asyncpg_dsn, drop_database, migrate, provision

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
    admin_url = make_url(database_urls[0]).set(database="postgres").render_as_string(False)
    suffix = secrets.token_hex(4)
    database, role = f"careerpath_mig_{suffix}", f"careerpath_mig_app_{suffix}"
    provisioned = asyncio.run(provision(admin_url, database, role, secrets.token_urlsafe(12)))
    try:
        migrate(provisioned.owner_url, REVISION, app_role=role)
        assert asyncio.run(_state(provisioned.owner_url)) == (REVISION, {True})
        migrate(provisioned.owner_url, "-1", app_role=role)
        assert asyncio.run(_state(provisioned.owner_url)) == (BEFORE, {False})
        migrate(provisioned.owner_url, REVISION, app_role=role)
        assert asyncio.run(_state(provisioned.owner_url)) == (REVISION, {True})
    finally:
        asyncio.run(drop_database(admin_url, database, role))
