"""Events of the assessments domain, sent through the webhooks outbox (DESIGN §7).

Each function is called inside the transaction of the change it reports, so the event
commits or rolls back together with the change. ``data`` carries IDs and facts only, never
ratings or evidence: receivers fetch those with their own credentials.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.auth.principal import Principal
from service.db import Executor
from service.webhooks.outbox import emit, register_event_type

_UUID = {"type": "string", "format": "uuid"}
_OPTIONAL_UUID = {"type": ["string", "null"], "format": "uuid"}
_KIND = {"enum": ["SELF", "MANAGER", "PEER", "CALIBRATION"]}

ASSESSMENT_SUBMITTED = register_event_type(
    "assessment.submitted",
    "An assessment was submitted, or a calibration recorded.",
    {
        "type": "object",
        "required": ["assessment_id", "subject_id", "assessor_id", "kind", "cycle_id"],
        "additionalProperties": True,
        "properties": {
            "assessment_id": _UUID,
            "subject_id": {**_UUID, "description": "The employee assessed."},
            "assessor_id": {
                **_OPTIONAL_UUID,
                "description": "Who assessed; null for PEER assessments (peers stay anonymous).",
            },
            "kind": _KIND,
            "cycle_id": _OPTIONAL_UUID,
            "submitted_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    example={
        "assessment_id": "5d1c3f4e-8a3b-4d9e-9a54-2a7c6f1e0b21",
        "subject_id": "9e2b1a7c-4f3d-4b8e-8c1a-3d5e7f9a1b2c",
        "assessor_id": "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b",
        "kind": "MANAGER",
        "cycle_id": None,
        "submitted_at": "2026-03-02T09:30:00+00:00",
    },
).name

ASSESSMENT_IMPORTED = register_event_type(
    "assessment.imported",
    "Ratings of a past review were imported with `importRatings`: one event per import, "
    "naming the submitted assessments it created.",
    {
        "type": "object",
        "required": ["assessment_ids", "subject_ids", "rating_count", "cycle_id"],
        "additionalProperties": True,
        "properties": {
            "assessment_ids": {"type": "array", "items": _UUID},
            "subject_ids": {
                "type": "array",
                "items": _UUID,
                "description": "The employees whose current proficiencies may have changed.",
            },
            "rating_count": {"type": "integer", "minimum": 1},
            "cycle_id": _OPTIONAL_UUID,
        },
    },
    example={
        "assessment_ids": ["5d1c3f4e-8a3b-4d9e-9a54-2a7c6f1e0b21"],
        "subject_ids": ["9e2b1a7c-4f3d-4b8e-8c1a-3d5e7f9a1b2c"],
        "rating_count": 5,
        "cycle_id": None,
    },
).name


def assessment_submitted_data(assessment: Any) -> dict[str, Any]:
    """The documented ``data`` of an ``assessment.submitted`` event: IDs and the kind only,
    never ratings or evidence. A peer's identity is not sent (peers stay anonymous)."""
    peer = assessment.kind == "PEER"
    return {
        "assessment_id": str(assessment.id),
        "subject_id": str(assessment.subject_id),
        "assessor_id": str(assessment.assessor_id) if assessment.assessor_id and not peer else None,
        "kind": assessment.kind,
        "cycle_id": str(assessment.cycle_id) if assessment.cycle_id else None,
        "submitted_at": assessment.submitted_at.isoformat() if assessment.submitted_at else None,
    }


async def assessment_submitted(db: Executor, principal: Principal, assessment: Any) -> None:
    """An assessment was submitted (or a calibration recorded), in the caller's transaction."""
    await emit(db, principal, ASSESSMENT_SUBMITTED, assessment_submitted_data(assessment))


async def assessments_imported(
    db: Executor,
    principal: Principal,
    assessments: Sequence[dict[str, Any]],
    rating_count: int,
    cycle_id: Any,
) -> None:
    """Past ratings were imported: one summary event, not one per assessment (history,
    not news)."""
    await emit(
        db,
        principal,
        ASSESSMENT_IMPORTED,
        {
            "assessment_ids": [str(a["id"]) for a in assessments],
            "subject_ids": sorted({str(a["subject_id"]) for a in assessments}),
            "rating_count": rating_count,
            "cycle_id": str(cycle_id) if cycle_id is not None else None,
        },
    )
