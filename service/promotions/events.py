"""Events of the promotions domain, with their documented payloads.

Each event's ``data`` carries IDs and facts of the case, never the justification or the
evidence (private career data: receivers fetch those with their own credentials).
"""

from __future__ import annotations

from typing import Any

from service.webhooks.outbox import register_event_type

_ID = {"type": "string", "format": "uuid"}
_OPTIONAL_ID = {"type": ["string", "null"], "format": "uuid"}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "promotion_id",
        "employee_id",
        "from_role_id",
        "to_role_id",
        "status",
        "effective_date",
        "proposer_id",
        "decider_id",
        "version",
    ],
    "properties": {
        "promotion_id": _ID,
        "employee_id": _ID,
        "from_role_id": _OPTIONAL_ID,
        "to_role_id": _ID,
        "status": {
            "type": "string",
            "enum": ["PROPOSED", "APPROVED", "REJECTED", "CANCELLED", "EFFECTIVE"],
        },
        "effective_date": {"type": "string", "format": "date"},
        "proposer_id": {
            **_OPTIONAL_ID,
            "description": "The employee or service account that proposed the case.",
        },
        "decider_id": {
            **_OPTIONAL_ID,
            "description": "Who approved, rejected or cancelled it; null while proposed and "
            "when the scheduler acted.",
        },
        "version": {"type": "integer", "description": "The case's version after the change."},
    },
    "additionalProperties": True,
}

EXAMPLE = {
    "promotion_id": "5d1c3f4e-8a3b-4d9e-9a54-2a7c6f1e0b21",
    "employee_id": "9e2b1a7c-4f3d-4b8e-8c1a-3d5e7f9a1b2c",
    "from_role_id": "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b",
    "to_role_id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
    "status": "APPROVED",
    "effective_date": "2026-04-01",
    "proposer_id": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
    "decider_id": "0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a",
    "version": 2,
}


def _register(name: str, description: str, status: str) -> str:
    return register_event_type(
        name, description, SCHEMA, example={**EXAMPLE, "status": status}
    ).name


PROMOTION_PROPOSED = _register(
    "promotion.proposed",
    "A promotion was proposed for an employee (status PROPOSED).",
    "PROPOSED",
)
PROMOTION_APPROVED = _register(
    "promotion.approved",
    "An HR admin approved a promotion; it takes effect on its date (at once when the date "
    "has come: a `promotion.effective` event follows in the same transaction).",
    "APPROVED",
)
PROMOTION_REJECTED = _register(
    "promotion.rejected", "An HR admin rejected a promotion, with a note.", "REJECTED"
)
PROMOTION_CANCELLED = _register(
    "promotion.cancelled",
    "A promotion was withdrawn before it took effect (by its proposer or an HR admin, or "
    "because the employee left).",
    "CANCELLED",
)
PROMOTION_EFFECTIVE = _register(
    "promotion.effective",
    "A promotion took effect: the employee now holds the new role (an "
    "`employee.role_changed` event is written in the same transaction).",
    "EFFECTIVE",
)


def promotion_data(row: Any) -> dict[str, Any]:
    """The documented ``data`` of every ``promotion.*`` event."""
    return {
        "promotion_id": str(row.id),
        "employee_id": str(row.employee_id),
        "from_role_id": str(row.from_role_id) if row.from_role_id else None,
        "to_role_id": str(row.to_role_id),
        "status": row.status,
        "effective_date": row.effective_date.isoformat(),
        "proposer_id": str(row.proposer_id) if row.proposer_id else None,
        "decider_id": str(row.decider_id) if row.decider_id else None,
        "version": row.version,
    }
