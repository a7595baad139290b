"""Fixtures and helpers for framework tests: the demo framework in a fresh organization."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from service.audit.models import audit_events
from service.framework import transfer
from tests.conftest import Org

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = ROOT / "service" / "demo" / "framework.yaml"
DEMO = DEMO_FILE.read_text(encoding="utf-8")

ADMIN = {"as_": "admin", "scopes": "career:employee career:admin"}
EMPLOYEE = {"as_": "alice", "scopes": "career:employee"}


@pytest.fixture
async def demo(team: Org) -> Org:
    """The team's organization with the demo framework imported."""
    await team.run(transfer.import_framework, DEMO)
    return team


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def payload(body: dict[str, Any], name: str) -> dict[str, Any]:
    return data(body)[name]  # type: ignore[no-any-return]


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def table_counts(org: Org) -> dict[str, int]:
    """Rows in every framework table and the audit log: to show nothing was written."""
    async with org.runtime.db.transaction(org.id) as conn:
        from service.db import ConnectionExecutor

        counts = await transfer.counts_by_table(ConnectionExecutor(conn))
        counts["audit_events"] = (
            await conn.execute(select(func.count()).select_from(audit_events))
        ).scalar_one()
        return counts


async def role_id(org: Org, key: str) -> str:
    body = await org.gql("query($k: String) { role(key: $k) { id } }", {"k": key}, **ADMIN)
    return data(body)["role"]["id"]  # type: ignore[no-any-return]


async def global_id(org: Org, kind: str, key: str) -> str:
    field = kind[0].lower() + kind[1:]
    body = await org.gql(f"query($k: String) {{ {field}(key: $k) {{ id }} }}", {"k": key}, **ADMIN)
    return data(body)[field]["id"]  # type: ignore[no-any-return]
