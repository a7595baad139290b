"""Events of the mobility domain; their documented payloads are in ``events.json``.

``data`` carries IDs and facts, never an application's note or feedback (private career
data: receivers fetch those with their own credentials). An application's event says
whether it is confidential, so that receivers can keep it from the applicant's manager
chain as careerpath does.
"""

from __future__ import annotations

from typing import Any

from service.webhooks.outbox import register_event_types

_TYPES = register_event_types(__name__)
POSTING_OPENED = _TYPES["posting.opened"].name
POSTING_FILLED = _TYPES["posting.filled"].name
APPLICATION_STATUS_CHANGED = _TYPES["application.status_changed"].name


def posting_data(row: Any) -> dict[str, Any]:
    """The documented ``data`` of every ``posting.*`` event."""
    return {
        "posting_id": str(row.id),
        "kind": row.kind,
        "status": row.status,
        "role_id": str(row.role_id) if row.role_id else None,
        "org_unit_id": str(row.org_unit_id),
        "hiring_manager_id": str(row.hiring_manager_id),
        "filled_by_application_id": str(row.filled_by_application_id)
        if row.filled_by_application_id
        else None,
        "version": row.version,
    }


def application_data(row: Any, previous_status: str | None) -> dict[str, Any]:
    """The documented ``data`` of ``application.status_changed``."""
    return {
        "application_id": str(row.id),
        "posting_id": str(row.posting_id),
        "employee_id": str(row.employee_id),
        "status": row.status,
        "previous_status": previous_status,
        "confidential": bool(row.confidential),
        "version": row.version,
    }
