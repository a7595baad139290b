"""Events of the promotions domain; their documented payloads are in ``events.json``.

Each event's ``data`` carries IDs and facts of the case, never the justification or the
evidence (private career data: receivers fetch those with their own credentials).
"""

from __future__ import annotations

from typing import Any

from service.webhooks.outbox import register_event_types

_TYPES = register_event_types(__name__)
PROMOTION_PROPOSED = _TYPES["promotion.proposed"].name
PROMOTION_APPROVED = _TYPES["promotion.approved"].name
PROMOTION_REJECTED = _TYPES["promotion.rejected"].name
PROMOTION_CANCELLED = _TYPES["promotion.cancelled"].name
PROMOTION_EFFECTIVE = _TYPES["promotion.effective"].name


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
