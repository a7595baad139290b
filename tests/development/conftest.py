"""Fixtures and helpers for development plan tests: the assessments tests' small framework
(engineer → senior → staff, four competencies on a five-step scale) with Alice and Bob
engineers under Max, and the GraphQL operations of plans."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from service.audit.models import audit_events
from service.development.models import (
    development_actions,
    development_check_ins,
    development_goals,
    development_plans,
    learning_resources,
)
from service.graphql.ids import encode_id
from tests.assessments.conftest import ADMIN, MANAGER, Framework, act, codes, data, rate
from tests.assessments.conftest import fw as fw  # the fixture
from tests.conftest import Org, gid

ADMIN_SCOPES = "career:employee career:admin"
ERRORS = "userErrors { field code message }"
PLAN_FIELDS = """
    id title status version startsOn endsOn approvedAt progress goalCount achievedGoalCount
    overdueGoalCount employee { id } approvedBy { id } targetRole { key }
"""
GOAL_FIELDS = """
    id title status version progress targetLevel dueOn overdue achievedLevel achievedAt
    competency { key }
"""
ACTION_FIELDS = "id kind title url status version dueOn resource { title } mentor { name title }"

CREATE_PLAN = f"""
mutation($i: CreateDevelopmentPlanInput!) {{
  createDevelopmentPlan(input: $i) {{ developmentPlan {{ {PLAN_FIELDS} }} {ERRORS} }}
}}
"""
DRAFT_PLAN = f"""
mutation($i: DraftDevelopmentPlanInput!) {{
  draftDevelopmentPlan(input: $i) {{
    developmentPlan {{ {PLAN_FIELDS} goals {{ {GOAL_FIELDS} actions {{ {ACTION_FIELDS} }} }} }}
    {ERRORS}
  }}
}}
"""
UPDATE_PLAN = f"""
mutation($i: UpdateDevelopmentPlanInput!) {{
  updateDevelopmentPlan(input: $i) {{ developmentPlan {{ {PLAN_FIELDS} }} {ERRORS} }}
}}
"""
APPROVE_PLAN = f"""
mutation($i: DevelopmentPlanTransitionInput!) {{
  approveDevelopmentPlan(input: $i) {{ developmentPlan {{ {PLAN_FIELDS} }} {ERRORS} }}
}}
"""
ARCHIVE_PLAN = f"""
mutation($i: DevelopmentPlanTransitionInput!) {{
  archiveDevelopmentPlan(input: $i) {{ developmentPlan {{ {PLAN_FIELDS} }} {ERRORS} }}
}}
"""
ADD_GOAL = f"""
mutation($i: AddDevelopmentGoalInput!) {{
  addDevelopmentGoal(input: $i) {{ goal {{ {GOAL_FIELDS} }} {ERRORS} }}
}}
"""
UPDATE_GOAL = f"""
mutation($i: UpdateDevelopmentGoalInput!) {{
  updateDevelopmentGoal(input: $i) {{ goal {{ {GOAL_FIELDS} }} {ERRORS} }}
}}
"""
ADD_ACTION = f"""
mutation($i: AddDevelopmentActionInput!) {{
  addDevelopmentAction(input: $i) {{ action {{ {ACTION_FIELDS} }} {ERRORS} }}
}}
"""
UPDATE_ACTION = f"""
mutation($i: UpdateDevelopmentActionInput!) {{
  updateDevelopmentAction(input: $i) {{ action {{ {ACTION_FIELDS} }} {ERRORS} }}
}}
"""
ADD_CHECK_IN = f"""
mutation($i: AddDevelopmentCheckInInput!) {{
  addDevelopmentCheckIn(input: $i) {{ checkIn {{ id heldOn note author {{ id }} }} {ERRORS} }}
}}
"""
SET_MENTORING = f"""
mutation($i: SetMentoringInput!) {{
  setMentoring(input: $i) {{ mentorProfile {{ name title competencies {{ key }} }} {ERRORS} }}
}}
"""
IMPORT_RESOURCES = f"""
mutation($i: ImportLearningResourcesInput!) {{
  importLearningResources(input: $i) {{
    results {{ externalId status resource {{ id title version archived }} }}
    {ERRORS}
  }}
}}
"""
COMPLETE_ACTION = """
mutation($i: CompleteLearningActionInput!) {
  completeLearningAction(input: $i) { completedCount {ERRORS} }
}
""".replace("{ERRORS}", ERRORS)


def role_gid(role_id: Any) -> str:
    return encode_id("Role", role_id)


def competency_gid(competency_id: Any) -> str:
    return encode_id("Competency", competency_id)


async def call(
    org: Org,
    query: str,
    field: str,
    variables: dict[str, Any],
    *,
    as_: str = "alice",
    scopes: str = "career:employee",
) -> dict[str, Any]:
    """Run a mutation (or query) and return its field's value."""
    body = await org.gql(query, variables, as_=as_, scopes=scopes)
    return data(body)[field]  # type: ignore[no-any-return]


async def new_plan(
    org: Org, *, as_: str = "alice", scopes: str = "career:employee", **fields: Any
) -> dict[str, Any]:
    variables = {
        "i": {"employeeId": gid("Employee", org.people["alice"]), "title": "Grow", **fields}
    }
    result = await call(
        org, CREATE_PLAN, "createDevelopmentPlan", variables, as_=as_, scopes=scopes
    )
    assert result["userErrors"] == [], result
    return result["developmentPlan"]  # type: ignore[no-any-return]


async def counts(org: Org) -> dict[str, int]:
    """Rows of the development tables and the audit log: to show nothing was written."""
    out = {}
    async with org.runtime.db.transaction(org.id) as conn:
        for name, table in (
            ("plans", development_plans),
            ("goals", development_goals),
            ("actions", development_actions),
            ("check_ins", development_check_ins),
            ("resources", learning_resources),
            ("audit", audit_events),
        ):
            out[name] = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
    return out


def error_codes(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(".".join(e["field"]), e["code"]) for e in payload["userErrors"]]


__all__ = ["ADMIN", "MANAGER", "Framework", "act", "codes", "rate"]
