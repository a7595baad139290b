"""The framework revision migration is reversible: its column, functions and triggers go
and come back."""

from __future__ import annotations

from typing import Any

import asyncpg

from service.db import asyncpg_dsn
from tests.migrations import catalog_state, round_trip

REVISION, BEFORE = "0015_framework_revision", "0014_current_levels"
FUNCTIONS = {"framework_changed", "framework_changed_trigger"}


async def _state(url: str) -> tuple[Any, ...]:
    found = await catalog_state(url, functions=FUNCTIONS)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        columns = await conn.fetchval(
            "select count(*) from information_schema.columns "
            "where table_name = 'organizations' and column_name = 'framework_revision'"
        )
        triggers = await conn.fetchval(
            "select count(*) from pg_trigger where tgname like 'tr_%_framework_revision'"
        )
    finally:
        await conn.close()
    return (*found, columns, triggers)


def test_downgrade_removes_the_revision_and_upgrade_restores_it(
    database_urls: tuple[str, str],
) -> None:
    up, down, up_again = round_trip(database_urls, REVISION, _state)
    assert up == up_again == (REVISION, FUNCTIONS, 1, 12)
    assert down == (BEFORE, set(), 0, 0)
