"""Events of the people domain: ``employee.role_changed`` and ``employee.terminated``.

Every path that changes someone's role (``updateEmployee``, an HRIS sync, a promotion
becoming effective, an accepted mobility offer) reports it through
``employee_role_changed``, inside the transaction of the change, so consumers see one
story whatever caused it. Likewise every termination (``terminateEmployee``, a sync record
with status TERMINATED, an employee missing from a FULL sync) reports
``employee.terminated`` once, when the status becomes TERMINATED. Their documented payloads
are in ``events.json``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from service.webhooks.outbox import emit, register_event_types

_TYPES = register_event_types(__name__)
EMPLOYEE_ROLE_CHANGED = _TYPES["employee.role_changed"].name
EMPLOYEE_TERMINATED = _TYPES["employee.terminated"].name


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
