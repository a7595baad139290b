"""Shared pieces of the HRIS sync tests: the sync caller, the operations, counts of rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from service.audit.models import audit_events
from service.people.models import employees, org_units, position_history
from service.webhooks.models import webhook_events
from tests.auth.helpers import add_service_account, client_token
from tests.conftest import Org

SYNC_RESULT = """
    results { externalId status id errors { field message code } notices { field code } }
    applied replayed
    summary { created updated unchanged terminated failed pending }
    userErrors { field message code }
"""
SYNC_UNITS = f"""
mutation($input: SyncOrgUnitsInput!) {{ syncOrgUnits(input: $input) {{ {SYNC_RESULT} }} }}
"""
SYNC_EMPLOYEES = f"""
mutation($input: SyncEmployeesInput!) {{ syncEmployees(input: $input) {{ {SYNC_RESULT} }} }}
"""


class Hris:
    """An HRIS integration of one organization: a service account holding `career:hris`."""

    def __init__(self, org: Org, token: str) -> None:
        self.org = org
        self.token = token

    @classmethod
    async def of(cls, org: Org) -> Hris:
        client_id = "workday-sync"
        await add_service_account(org, client_id, "career:hris")
        return cls(org, client_token(org, client_id, "career:hris"))

    async def post(
        self, query: str, variables: dict[str, Any], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        response = await self.org.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}", **(headers or {})},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    async def units(self, units: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
        data = await self.post(SYNC_UNITS, {"input": {"units": units, **options}})
        return data["syncOrgUnits"]  # type: ignore[no-any-return]

    async def employees(
        self, people: list[dict[str, Any]], headers: dict[str, str] | None = None, **options: Any
    ) -> dict[str, Any]:
        data = await self.post(SYNC_EMPLOYEES, {"input": {"employees": people, **options}}, headers)
        return data["syncEmployees"]  # type: ignore[no-any-return]


async def counts(org: Org) -> dict[str, int]:
    """Rows of organization ``org`` in the tables a sync writes."""
    async with org.runtime.db.transaction(org.id) as conn:
        out = {}
        for name, table in (
            ("employees", employees),
            ("units", org_units),
            ("history", position_history),
            ("audit", audit_events),
            ("events", webhook_events),
        ):
            out[name] = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
        out["versions"] = (
            await conn.execute(select(func.coalesce(func.sum(employees.c.version), 0)))
        ).scalar_one()
        return out


async def rows(org: Org, stmt: Any) -> list[Any]:
    """The rows ``stmt`` reads in organization ``org``."""
    async with org.runtime.db.transaction(org.id) as conn:
        return list((await conn.execute(stmt)).all())


async def by_external_id(org: Org) -> dict[str, Any]:
    """The organization's employees by external ID."""
    return {r.external_id: r for r in await rows(org, select(employees))}


async def events_of(org: Org, event_type: str) -> list[dict[str, Any]]:
    """The ``data`` of the organization's webhook events of one type, oldest first."""
    found = await rows(
        org,
        select(webhook_events.c.data)
        .where(webhook_events.c.type == event_type)
        .order_by(webhook_events.c.occurred_at),
    )
    return [r.data for r in found]


def statuses(payload: dict[str, Any]) -> list[str]:
    return [r["status"] for r in payload["results"]]


def person(ext: str, **fields: Any) -> dict[str, Any]:
    """An employee record with a name and an email derived from its external ID."""
    return {
        "externalId": ext,
        "name": f"Person {ext}",
        "email": f"{ext.lower()}@example.com",
        **fields,
    }
