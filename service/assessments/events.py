"""Events of the assessments domain, sent through the webhooks outbox (DESIGN §7); their
documented payloads are in ``events.json``.

Each function is called inside the transaction of the change it reports, so the event
commits or rolls back together with the change. ``data`` carries IDs and facts only, never
ratings or evidence: receivers fetch those with their own credentials.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.auth.principal import Principal
from service.db import Executor
from service.webhooks.outbox import emit, register_event_types

_TYPES = register_event_types(__name__)
ASSESSMENT_SUBMITTED = _TYPES["assessment.submitted"].name
ASSESSMENT_IMPORTED = _TYPES["assessment.imported"].name


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
