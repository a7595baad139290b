"""A migration's round trip on a scratch database: up to it, one step down, up again."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from service.db import asyncpg_dsn, drop_database, migrate, provision

#: Kinds of schema objects ``catalog_state`` looks for, each a query of their names.
CATALOG = {
    "tables": "select tablename from pg_tables where schemaname = 'public'",
    "secured_tables": "select tablename from pg_tables where schemaname = 'public' and rowsecurity",
    "functions": "select proname from pg_proc",
    "constraints": "select conname from pg_constraint",
}


async def catalog_state(url: str, **wanted: Collection[str]) -> tuple[Any, ...]:
    """The schema's revision, then for each keyword (a kind in ``CATALOG``) which of the
    given names exist, e.g. ``catalog_state(url, tables={"roles"})``."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        found: list[Any] = [await conn.fetchval("select version_num from alembic_version")]
        for kind, names in wanted.items():
            rows = await conn.fetch(
                f"select * from ({CATALOG[kind]}) c(name) where name = any($1::text[])",
                list(names),
            )
            found.append({r["name"] for r in rows})
        return tuple(found)
    finally:
        await conn.close()


def round_trip(
    database_urls: tuple[str, str],
    revision: str,
    state: Callable[[str], Awaitable[Any]],
) -> tuple[Any, Any, Any]:
    """``state(owner_url)`` after upgrading to ``revision``, after one step down, and after
    upgrading again, on a database of its own (dropped afterwards)."""
    admin_url = make_url(database_urls[0]).set(database="postgres").render_as_string(False)
    suffix = secrets.token_hex(4)
    database, role = f"careerpath_mig_{suffix}", f"careerpath_mig_app_{suffix}"
    provisioned = asyncio.run(provision(admin_url, database, role, secrets.token_urlsafe(12)))
    try:
        found = []
        for target in (revision, "-1", revision):
            migrate(provisioned.owner_url, target, app_role=role)
            found.append(asyncio.run(state(provisioned.owner_url)))
        return found[0], found[1], found[2]
    finally:
        asyncio.run(drop_database(admin_url, database, role))
