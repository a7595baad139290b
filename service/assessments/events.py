"""Events of the assessments domain.

careerpath tells other systems what happened through a transactional outbox (DESIGN §7).
Until the outbox exists, this module is the one place assessment events leave from: each
function is called inside the transaction of the change it reports, so writing the
outbox row here will commit or roll back together with the change.
"""

from __future__ import annotations

from typing import Any

from service.auth.principal import Principal
from service.db import Executor

ASSESSMENT_SUBMITTED = "assessment.submitted"


def assessment_submitted_data(assessment: Any) -> dict[str, Any]:
    """The documented ``data`` of an ``assessment.submitted`` event: IDs and the kind only,
    never ratings or evidence (receivers fetch those with their own credentials)."""
    return {
        "assessment_id": str(assessment.id),
        "subject_id": str(assessment.subject_id),
        "assessor_id": str(assessment.assessor_id) if assessment.assessor_id else None,
        "kind": assessment.kind,
        "cycle_id": str(assessment.cycle_id) if assessment.cycle_id else None,
        "submitted_at": assessment.submitted_at.isoformat() if assessment.submitted_at else None,
    }


async def assessment_submitted(db: Executor, principal: Principal, assessment: Any) -> None:
    """An assessment was submitted (or a calibration recorded), in the caller's transaction.

    This is where the ``assessment.submitted`` outbox row is to be written (type
    ``ASSESSMENT_SUBMITTED``, data ``assessment_submitted_data(assessment)``) once the
    webhooks outbox lands. Imports of past ratings do not call it: they are history, not
    news.
    """
    return None
