"""Events of the development domain, with their documented payloads.

``data`` carries IDs and facts, never the plan's goals, notes or check-ins (private career
data: receivers fetch those with their own credentials).
"""

from __future__ import annotations

from typing import Any

from service.webhooks.outbox import register_event_type

_ID = {"type": "string", "format": "uuid"}

DEVELOPMENT_PLAN_COMPLETED = register_event_type(
    "development_plan.completed",
    "Every goal of an active development plan that was not dropped is achieved (by "
    "assessments reaching the goals' levels or by the plan's editors): the plan is COMPLETED.",
    {
        "type": "object",
        "required": [
            "development_plan_id",
            "employee_id",
            "target_role_id",
            "goal_count",
            "completed_at",
            "version",
        ],
        "properties": {
            "development_plan_id": _ID,
            "employee_id": _ID,
            "target_role_id": {
                "type": ["string", "null"],
                "format": "uuid",
                "description": "The role the plan prepares for; null for a plan without one.",
            },
            "goal_count": {"type": "integer", "description": "Goals achieved (not dropped)."},
            "completed_at": {"type": "string", "format": "date-time"},
            "version": {"type": "integer", "description": "The plan's version after the change."},
        },
        "additionalProperties": True,
    },
    example={
        "development_plan_id": "2b7c0e4a-6d1f-4b8e-9a3c-5f7e1d2c3b4a",
        "employee_id": "9e2b1a7c-4f3d-4b8e-8c1a-3d5e7f9a1b2c",
        "target_role_id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
        "goal_count": 3,
        "completed_at": "2026-06-30T09:12:44.120000+00:00",
        "version": 7,
    },
).name


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
