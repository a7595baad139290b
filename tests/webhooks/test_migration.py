"""The webhooks migration is reversible: down to the tenant policies and up again."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from tests.migrations import catalog_state, round_trip

REVISION, BEFORE = "0006_webhooks", "0005_tenant_policy_once"
TABLES = {"webhook_endpoints", "webhook_events", "webhook_deliveries", "webhook_attempts"}
FUNCTIONS = {"webhook_claim", "webhook_next_due", "webhook_prune"}


def _state(url: str) -> Awaitable[tuple[Any, ...]]:
    return catalog_state(url, tables=TABLES, functions=FUNCTIONS)


def test_downgrade_removes_the_webhook_tables_and_upgrade_restores_them(
    database_urls: tuple[str, str],
) -> None:
    up, down, up_again = round_trip(database_urls, REVISION, _state)
    assert up == up_again == (REVISION, TABLES, FUNCTIONS)
    assert down == (BEFORE, set(), set())
