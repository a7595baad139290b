"""Events of the people domain: ``employee.role_changed`` and ``employee.terminated``.

Every path that changes someone's role (``updateEmployee``, an HRIS sync, a promotion
becoming effective, an accepted mobility offer) reports it through
``employee_role_changed``, inside the transaction of the change, so consumers see one
story whatever caused it. Likewise every termination (``terminateEmployee``, a sync record
with status TERMINATED, an employee missing from a FULL sync) reports
``employee.terminated`` once, when the status becomes TERMINATED.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from service.webhooks.outbox import emit, register_event_type

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["employee_id", "role_id", "previous_role_id", "kind", "effective_date"],
    "properties": {
        "employee_id": {"type": "string", "format": "uuid"},
        "role_id": {"type": ["string", "null"], "format": "uuid"},
        "previous_role_id": {"type": ["string", "null"], "format": "uuid"},
        "kind": {
            "type": "string",
            "enum": ["HIRE", "PROMOTION", "LATERAL_MOVE", "DEMOTION"],
            "description": "How the change is recorded in the position history.",
        },
        "effective_date": {"type": "string", "format": "date"},
        "source_type": {
            "type": ["string", "null"],
            "description": "What caused it, e.g. `Promotion`; null for a direct edit.",
        },
        "source_id": {"type": ["string", "null"], "format": "uuid"},
    },
    "additionalProperties": True,
}

EMPLOYEE_ROLE_CHANGED = register_event_type(
    "employee.role_changed",
    "An employee's role in the career framework changed: by a promotion becoming "
    "effective, by `updateEmployee` or an HRIS sync, or by a mobility move.",
    SCHEMA,
    example={
        "employee_id": "9e2b1a7c-4f3d-4b8e-8c1a-3d5e7f9a1b2c",
        "role_id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
        "previous_role_id": "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b",
        "kind": "PROMOTION",
        "effective_date": "2026-04-01",
        "source_type": "Promotion",
        "source_id": "5d1c3f4e-8a3b-4d9e-9a54-2a7c6f1e0b21",
    },
).name


def role_changed_data(
    employee_id: uuid.UUID,
    role_id: uuid.UUID | None,
    previous_role_id: uuid.UUID | None,
    kind: str,
    effective_date: dt.date,
    source_type: str | None = None,
    source_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The documented ``data`` of an ``employee.role_changed`` event (IDs only)."""
    return {
        "employee_id": str(employee_id),
        "role_id": str(role_id) if role_id else None,
        "previous_role_id": str(previous_role_id) if previous_role_id else None,
        "kind": kind,
        "effective_date": effective_date.isoformat(),
        "source_type": source_type,
        "source_id": str(source_id) if source_id else None,
    }


async def employee_role_changed(db: Any, principal: Any, data: dict[str, Any]) -> None:
    """Report a role change (``data`` from ``role_changed_data``) in the caller's
    transaction."""
    await emit(db, principal, EMPLOYEE_ROLE_CHANGED, data)


EMPLOYEE_TERMINATED = register_event_type(
    "employee.terminated",
    "An employee left the organization: by `terminateEmployee`, by an HRIS sync record "
    "with status TERMINATED, or by missing from a FULL HRIS sync. Sent once per "
    "termination; the reason is not included (HR admins only).",
    {
        "type": "object",
        "required": ["employee_id", "termination_date", "source_type"],
        "properties": {
            "employee_id": {"type": "string", "format": "uuid"},
            "termination_date": {"type": "string", "format": "date"},
            "source_type": {
                "type": ["string", "null"],
                "description": "What caused it: `HrisSync` for a sync; null for "
                "`terminateEmployee`.",
            },
            "missing_from_snapshot": {
                "type": "boolean",
                "description": "Whether a FULL sync terminated the employee because its "
                "snapshot did not list them.",
            },
        },
        "additionalProperties": True,
    },
    example={
        "employee_id": "9e2b1a7c-4f3d-4b8e-8c1a-3d5e7f9a1b2c",
        "termination_date": "2026-04-30",
        "source_type": "HrisSync",
        "missing_from_snapshot": False,
    },
).name


async def employee_terminated(
    db: Any,
    principal: Any,
    employee_id: uuid.UUID,
    termination_date: dt.date,
    *,
    source_type: str | None = None,
    missing_from_snapshot: bool = False,
) -> None:
    """Report a termination in the caller's transaction (IDs and the date only)."""
    await emit(
        db,
        principal,
        EMPLOYEE_TERMINATED,
        {
            "employee_id": str(employee_id),
            "termination_date": termination_date.isoformat(),
            "source_type": source_type,
            "missing_from_snapshot": missing_from_snapshot,
        },
    )
