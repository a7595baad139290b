"""The assessments migration is reversible: down to the framework and up again."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from tests.migrations import catalog_state, round_trip

REVISION, BEFORE = "0004_assessments", "0003_framework"
TABLES = {
    "assessment_cycles",
    "assessment_cycle_employees",
    "assessments",
    "ratings",
    "current_proficiencies",
}


def _state(url: str) -> Awaitable[tuple[Any, ...]]:
    return catalog_state(url, tables=TABLES)


def test_downgrade_removes_the_assessment_tables_and_upgrade_restores_them(
    database_urls: tuple[str, str],
) -> None:
    up, down, up_again = round_trip(database_urls, REVISION, _state)
    assert up == up_again == (REVISION, TABLES)
    assert down == (BEFORE, set())
