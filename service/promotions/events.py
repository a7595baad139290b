"""Events of the promotions domain, with their documented payloads.

Each event's ``data`` carries IDs and facts of the case, never the justification or the
evidence (private career data: receivers fetch those with their own credentials).
"""

from __future__ import annotations

from typing import Any

PROMOTION_PROPOSED = "promotion.proposed"
PROMOTION_APPROVED = "promotion.approved"
PROMOTION_REJECTED = "promotion.rejected"
PROMOTION_CANCELLED = "promotion.cancelled"
PROMOTION_EFFECTIVE = "promotion.effective"

DESCRIPTIONS = {
    PROMOTION_PROPOSED: "A promotion was proposed for an employee (status PROPOSED).",
    PROMOTION_APPROVED: "An HR admin approved a promotion; it becomes effective on its date.",
    PROMOTION_REJECTED: "An HR admin rejected a promotion, with a note.",
    PROMOTION_CANCELLED: "A promotion was withdrawn before it became effective.",
    PROMOTION_EFFECTIVE: "A promotion took effect: the employee now holds the new role "
    "(an `employee.role_changed` event follows in the same transaction).",
}

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
    "additionalProperties": False,
}


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
