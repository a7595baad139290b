"""The framework migration is reversible: down to service accounts and up again."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from tests.migrations import catalog_state, round_trip

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


def _state(url: str) -> Awaitable[tuple[Any, ...]]:
    return catalog_state(url, tables=TABLES, constraints=FOREIGN_KEYS)


def test_downgrade_removes_the_framework_and_upgrade_restores_it(
    database_urls: tuple[str, str],
) -> None:
    up, down, up_again = round_trip(database_urls, REVISION, _state)
    assert up == up_again == (REVISION, TABLES, FOREIGN_KEYS)
    assert down == (BEFORE, set(), set())
