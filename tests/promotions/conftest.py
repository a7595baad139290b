"""Fixtures and helpers for promotion tests: the assessments tests' small framework (an IC
track engineer → senior → staff, and an operator role in another family), people in roles,
and the GraphQL operations of promotion cases."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select

from service.audit.models import audit_events
from service.people.models import position_history
from service.promotions.models import promotions
from tests.assessments.conftest import ADMIN, MANAGER, Framework, act, codes, data, rate
from tests.assessments.conftest import fw as fw  # the fixture
from tests.conftest import Org, gid

PROMOTION_FIELDS = """
    id status version effectiveDate decisionNote
    employee { id name } fromRole { key } toRole { key }
    proposer { id } decider { id }
"""
PROPOSE = f"""
mutation($i: ProposePromotionInput!) {{
  proposePromotion(input: $i) {{
    promotion {{ {PROMOTION_FIELDS} justification overrideReason
      evidence {{ readiness roleTitle capturedAt
        expectations {{ competencyName requiredLevel currentLevel gap status weight core }} }} }}
    userErrors {{ field code message }}
  }}
}}
"""
APPROVE = f"""
mutation($i: ApprovePromotionInput!) {{
  approvePromotion(input: $i) {{
    promotion {{ {PROMOTION_FIELDS} effectiveAt }} userErrors {{ field code message }}
  }}
}}
"""
REJECT = f"""
mutation($i: RejectPromotionInput!) {{
  rejectPromotion(input: $i) {{
    promotion {{ {PROMOTION_FIELDS} }} userErrors {{ field code message }}
  }}
}}
"""
CANCEL = f"""
mutation($i: CancelPromotionInput!) {{
  cancelPromotion(input: $i) {{
    promotion {{ {PROMOTION_FIELDS} }} userErrors {{ field code message }}
  }}
}}
"""
SETTINGS = """
mutation($i: UpdatePromotionSettingsInput!) {
  updatePromotionSettings(input: $i) {
    settings { requireSecondApprover showOpenCasesToEmployee version }
    userErrors { field code message }
  }
}
"""
ADMIN_SCOPES = "career:employee career:admin"


def proposal(
    org: Org,
    fw: Framework,
    employee: str = "alice",
    role: str = "senior",
    *,
    effective: dt.date | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "i": {
            "employeeId": gid("Employee", org.people[employee]),
            "toRoleId": gid_of_role(fw.role[role]),
            "justification": "Leads the payments rewrite; mentors two engineers.",
            "effectiveDate": (effective or dt.date.today()).isoformat(),
            **extra,
        }
    }


def gid_of_role(role_id: uuid.UUID) -> str:
    from service.graphql.ids import encode_id

    return encode_id("Role", role_id)


async def propose(
    org: Org, fw: Framework, *, as_: str = "manager", scopes: str = MANAGER, **kwargs: Any
) -> dict[str, Any]:
    body = await org.gql(PROPOSE, proposal(org, fw, **kwargs), as_=as_, scopes=scopes)
    return data(body)["proposePromotion"]  # type: ignore[no-any-return]


DECISIONS = {"approvePromotion": APPROVE, "rejectPromotion": REJECT, "cancelPromotion": CANCEL}


async def decide(
    org: Org,
    field: str,
    promotion_id: str,
    *,
    as_: str = "admin",
    scopes: str = ADMIN_SCOPES,
    **extra: Any,
) -> dict[str, Any]:
    """Run ``approvePromotion``, ``rejectPromotion`` or ``cancelPromotion`` on a case."""
    variables = {"i": {"id": promotion_id, **extra}}
    body = await org.gql(DECISIONS[field], variables, as_=as_, scopes=scopes)
    return data(body)[field]  # type: ignore[no-any-return]


async def counts(org: Org) -> dict[str, int]:
    """Rows of promotions, position history and the audit log: to show nothing was written."""
    out = {}
    async with org.runtime.db.transaction(org.id) as conn:
        for name, table in (
            ("promotions", promotions),
            ("history", position_history),
            ("audit", audit_events),
        ):
            out[name] = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
    return out


__all__ = ["ADMIN", "act", "codes", "rate"]
