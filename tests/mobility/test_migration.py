"""The mobility migration is reversible: down to the previous revision and up again."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from tests.migrations import catalog_state, round_trip

REVISION = "0013_mobility"
TABLES = {
    "mobility_settings",
    "career_aspirations",
    "postings",
    "posting_requirements",
    "applications",
}


def _state(url: str) -> Awaitable[tuple[Any, ...]]:
    return catalog_state(url, secured_tables=TABLES)


def test_downgrade_removes_the_mobility_tables_and_upgrade_restores_them(
    database_urls: tuple[str, str],
) -> None:
    up, down, up_again = round_trip(database_urls, REVISION, _state)
    assert up == up_again == (REVISION, TABLES)
    assert down[1] == set()
    assert down[0] != REVISION
