"""The directory setting's migration is reversible: down to the previous revision and up."""

from __future__ import annotations

from typing import Any

from tests.migrations import catalog_state, round_trip

REVISION = "0012_directory"


async def _state(url: str) -> tuple[Any, ...]:
    return await catalog_state(url, tables={"people_settings"}, secured_tables={"people_settings"})


def test_downgrade_removes_the_settings_table_and_upgrade_restores_it(
    database_urls: tuple[str, str],
) -> None:
    up, down, up_again = round_trip(database_urls, REVISION, _state)
    assert up == up_again == (REVISION, {"people_settings"}, {"people_settings"})
    assert down == ("0011_pending_managers", set(), set())
