"""Events of the mobility domain, with their documented payloads.

``data`` carries IDs and facts, never an application's note or feedback (private career
data: receivers fetch those with their own credentials). An application's event says
whether it is confidential, so that receivers can keep it from the applicant's manager
chain as careerpath does.
"""

from __future__ import annotations

from typing import Any

from service.webhooks.outbox import register_event_type

_ID = {"type": "string", "format": "uuid"}
_OPTIONAL_ID = {"type": ["string", "null"], "format": "uuid"}
_KINDS = ["ROLE", "PROJECT", "GIG", "ROTATION", "MENTORSHIP"]

POSTING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "posting_id",
        "kind",
        "status",
        "role_id",
        "org_unit_id",
        "hiring_manager_id",
        "version",
    ],
    "properties": {
        "posting_id": _ID,
        "kind": {"type": "string", "enum": _KINDS},
        "status": {"type": "string", "enum": ["DRAFT", "OPEN", "CLOSED", "FILLED"]},
        "role_id": {**_OPTIONAL_ID, "description": "The role offered; null for other kinds."},
        "org_unit_id": _ID,
        "hiring_manager_id": _ID,
        "filled_by_application_id": {
            **_OPTIONAL_ID,
            "description": "The accepted application, once filled.",
        },
        "version": {"type": "integer", "description": "The posting's version after the change."},
    },
    "additionalProperties": True,
}
POSTING_EXAMPLE = {
    "posting_id": "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "kind": "ROLE",
    "status": "OPEN",
    "role_id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
    "org_unit_id": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
    "hiring_manager_id": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
    "filled_by_application_id": None,
    "version": 2,
}
APPLICATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "application_id",
        "posting_id",
        "employee_id",
        "status",
        "previous_status",
        "confidential",
        "version",
    ],
    "properties": {
        "application_id": _ID,
        "posting_id": _ID,
        "employee_id": _ID,
        "status": {
            "type": "string",
            "enum": [
                "SUBMITTED",
                "IN_REVIEW",
                "INTERVIEWING",
                "OFFERED",
                "ACCEPTED",
                "REJECTED",
                "WITHDRAWN",
            ],
        },
        "previous_status": {
            "type": ["string", "null"],
            "description": "The status before the change; null for a new application.",
        },
        "confidential": {
            "type": "boolean",
            "description": "The applicant asked to keep it from their current manager chain "
            "until the organization's `confidentialUntil` stage.",
        },
        "version": {"type": "integer"},
    },
    "additionalProperties": True,
}

POSTING_OPENED = register_event_type(
    "posting.opened",
    "A posting was opened: employees can now find it and apply.",
    POSTING_SCHEMA,
    example=POSTING_EXAMPLE,
).name
POSTING_FILLED = register_event_type(
    "posting.filled",
    "An applicant accepted the posting's offer and the posting is filled. For a ROLE "
    "posting an `employee.role_changed` event is written in the same transaction.",
    POSTING_SCHEMA,
    example={
        **POSTING_EXAMPLE,
        "status": "FILLED",
        "filled_by_application_id": "8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e",
        "version": 3,
    },
).name
APPLICATION_STATUS_CHANGED = register_event_type(
    "application.status_changed",
    "An application was submitted or moved along its pipeline (including a rejection, a "
    "withdrawal and an accepted offer).",
    APPLICATION_SCHEMA,
    example={
        "application_id": "8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e",
        "posting_id": "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "employee_id": "9e2b1a7c-4f3d-4b8e-8c1a-3d5e7f9a1b2c",
        "status": "INTERVIEWING",
        "previous_status": "IN_REVIEW",
        "confidential": False,
        "version": 3,
    },
).name


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
