"""Events of the development domain; their documented payloads are in ``events.json``.

``data`` carries IDs and facts, never the plan's goals, notes or check-ins (private career
data: receivers fetch those with their own credentials).
"""

from __future__ import annotations

from typing import Any

from service.webhooks.outbox import register_event_types

_TYPES = register_event_types(__name__)
DEVELOPMENT_PLAN_COMPLETED = _TYPES["development_plan.completed"].name


def completed_data(row: Any, goal_count: int) -> dict[str, Any]:
    """The documented ``data`` of ``development_plan.completed``."""
    return {
        "development_plan_id": str(row.id),
        "employee_id": str(row.employee_id),
        "target_role_id": str(row.target_role_id) if row.target_role_id else None,
        "goal_count": goal_count,
        "completed_at": row.completed_at.isoformat(),
        "version": row.version,
    }
