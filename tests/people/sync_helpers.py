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
    results { externalId status id errors { field message code } }
    applied replayed
    summary { created updated unchanged terminated failed }
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
