"""Authorization matrix entries of development plans and the learning catalogue (see
tests/authz_matrix.py).

The subject is Alice; Max manages her, Mia manages another team, Bob is her peer, Ada is
an HR admin, ``hris-sync`` an HRIS integration. Plans are private career data: Alice, the
managers above her and HR admins see and edit them; approval is for the managers and
admins; nobody else learns a plan exists, the HRIS integration included. The catalogue is
read by every reader and written by admins and HRIS integrations.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update

from service.auth.principal import system_principal
from service.db import ConnectionExecutor
from service.development import service as development
from service.graphql.ids import parse_global_id
from service.people.models import employees
from tests.authz_matrix import (
    FORBIDDEN,
    HIDDEN,
    PEOPLE_WRITE,
    UNAUTHENTICATED,
    Entry,
    Op,
    Result,
    Row,
    World,
    admin_only_read,
    allowed,
    shows_subject,
)
from tests.framework.authz import framework

ERRORS = "userErrors { field code }"
PLAN_PAYLOAD = f"developmentPlan {{ id status employee {{ id }} }} {ERRORS}"
RESOURCE_EXTERNAL_ID = "lms-101"
ALICE_EXTERNAL_ID = "hr-alice"


def _state(w: World) -> dict[str, Any]:
    return w.__dict__.setdefault("_development", {})  # type: ignore[no-any-return]


async def _framework(w: World) -> dict[str, Any]:
    """The framework tests' small framework in A with Alice a designer (next: senior
    designer); the IDs of its roles and competencies."""
    ids = await framework(w)
    out = {}
    for key in ("Role:designer", "Role:senior-designer", "Competency:craft", "Competency:empathy"):
        parsed = parse_global_id(ids[key])
        assert parsed is not None
        out[key] = parsed[1]
    async with w.org.runtime.db.transaction(w.org.id) as conn:
        await conn.execute(
            update(employees)
            .where(employees.c.id == w.subject.id)
            .values(role_id=out["Role:designer"], external_id=ALICE_EXTERNAL_ID)
        )
    return out


async def _as_system(w: World, fn: Any, *args: Any, **kwargs: Any) -> Any:
    async with w.org.runtime.db.transaction(w.org.id) as conn:
        return await fn(ConnectionExecutor(conn), system_principal(w.org.id), *args, **kwargs)


async def new_plan(w: World, *, active: bool = False) -> Any:
    """A fresh plan for Alice with one goal on craft (and one action), as the system."""
    ids = await _framework(w)
    plan = await _as_system(
        w,
        development.create_plan,
        development.PlanInput(employee_id=w.subject.id, title="Grow craft"),
    )
    goal = await _as_system(
        w,
        development.add_goal,
        development.GoalInput(
            plan_id=plan.id,
            title="Craft to expert",
            competency_id=ids["Competency:craft"],
            target_level=3,
        ),
    )
    action = await _as_system(
        w,
        development.add_action,
        development.ActionInput(goal_id=goal.id, kind="COURSE", title="Craft course"),
    )
    if active:
        plan = await _as_system(w, development.approve_plan, plan.id, expected_version=None)
    _state(w).update(plan=plan, goal=goal, action=action)
    return plan


async def new_resource(w: World) -> Any:
    await _framework(w)
    results = await _as_system(
        w,
        development.import_learning_resources,
        [
            development.ResourceRecord(
                external_id=RESOURCE_EXTERNAL_ID,
                title="Craft Fundamentals",
                kind="COURSE",
                competencies=[development.ResourceCompetency("craft", 1, 3)],
            )
        ],
    )
    _state(w)["resource"] = results[0].row
    return results[0].row


def plan_markers(w: World) -> set[str]:
    return w.subject_markers() | {w.gid("DevelopmentPlan", _state(w)["plan"])}


def resource_markers(w: World) -> set[str]:
    return {w.gid("LearningResource", _state(w)["resource"]), "Craft Fundamentals"}


def shows_resource(result: Result) -> None:
    assert "Craft Fundamentals" in result.response.text, result.body


# --- queries ------------------------------------------------------------------------------


async def learning_resources(w: World) -> Op:
    await new_resource(w)
    return Op(
        "{ learningResources(first: 100) { nodes { id title competencies { minLevel "
        "competency { key } } } } }"
    )


async def team_development(w: World) -> Op:
    await new_plan(w)
    return Op(
        "query($m: ID!) { teamDevelopment(managerId: $m, first: 100) { nodes { id progress "
        "employee { id } overdueGoals { id } } } }",
        {"m": w.gid("Employee", w.org.people["manager"])},
    )


async def development_completion(w: World) -> Op:
    await new_plan(w)
    today = dt.date.today()
    return Op(
        "query($f: Date!, $t: Date!) { developmentCompletion(from: $f, to: $t) "
        "{ dueGoals completedGoals rate orgUnit { name } } }",
        {"f": (today - dt.timedelta(days=30)).isoformat(), "t": today.isoformat()},
    )


# --- mutations ----------------------------------------------------------------------------


async def create_plan(w: World) -> Op:
    await _framework(w)
    return Op(
        f"mutation($i: CreateDevelopmentPlanInput!) {{ createDevelopmentPlan(input: $i) "
        f"{{ {PLAN_PAYLOAD} }} }}",
        {"i": {"employeeId": w.gid("Employee", w.subject), "title": "Grow"}},
    )


async def draft_plan(w: World) -> Op:
    await _framework(w)
    return Op(
        f"mutation($i: DraftDevelopmentPlanInput!) {{ draftDevelopmentPlan(input: $i) "
        f"{{ {PLAN_PAYLOAD} }} }}",
        {"i": {"employeeId": w.gid("Employee", w.subject)}},
    )


def _on_plan(mutation: str, input_type: str, payload: str = PLAN_PAYLOAD, **extra: Any) -> Any:
    async def build(w: World) -> Op:
        plan = await new_plan(w)
        return Op(
            f"mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ {payload} }} }}",
            {"i": {"id": w.gid("DevelopmentPlan", plan), **extra}},
        )

    return build


async def add_goal(w: World) -> Op:
    plan = await new_plan(w)
    return Op(
        "mutation($i: AddDevelopmentGoalInput!) { addDevelopmentGoal(input: $i) "
        f"{{ goal {{ id }} {ERRORS} }} }}",
        {"i": {"planId": w.gid("DevelopmentPlan", plan), "title": "Empathy interviews"}},
    )


async def update_goal(w: World) -> Op:
    await new_plan(w)
    return Op(
        "mutation($i: UpdateDevelopmentGoalInput!) { updateDevelopmentGoal(input: $i) "
        f"{{ goal {{ id progress }} {ERRORS} }} }}",
        {"i": {"id": w.gid("DevelopmentGoal", _state(w)["goal"]), "progress": 30}},
    )


async def add_action(w: World) -> Op:
    await new_plan(w)
    return Op(
        "mutation($i: AddDevelopmentActionInput!) { addDevelopmentAction(input: $i) "
        f"{{ action {{ id }} {ERRORS} }} }}",
        {
            "i": {
                "goalId": w.gid("DevelopmentGoal", _state(w)["goal"]),
                "kind": "PROJECT",
                "title": "Redesign the onboarding flow",
            }
        },
    )


async def update_action(w: World) -> Op:
    await new_plan(w)
    return Op(
        "mutation($i: UpdateDevelopmentActionInput!) { updateDevelopmentAction(input: $i) "
        f"{{ action {{ id status }} {ERRORS} }} }}",
        {"i": {"id": w.gid("DevelopmentAction", _state(w)["action"]), "status": "IN_PROGRESS"}},
    )


async def add_check_in(w: World) -> Op:
    plan = await new_plan(w)
    return Op(
        "mutation($i: AddDevelopmentCheckInInput!) { addDevelopmentCheckIn(input: $i) "
        f"{{ checkIn {{ id }} {ERRORS} }} }}",
        {"i": {"planId": w.gid("DevelopmentPlan", plan), "note": "On track."}},
    )


async def set_mentoring(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "mutation($i: SetMentoringInput!) { setMentoring(input: $i) "
        f"{{ mentorProfile {{ name }} {ERRORS} }} }}",
        {"i": {"competencyIds": [ids["Competency:empathy"]]}},
    )


async def import_resources(w: World) -> Op:
    await _framework(w)
    return Op(
        "mutation($i: ImportLearningResourcesInput!) { importLearningResources(input: $i) "
        f"{{ results {{ status resource {{ id }} }} {ERRORS} }} }}",
        {
            "i": {
                "resources": [
                    {
                        "externalId": "lms-202",
                        "title": "Empathy in Research",
                        "kind": "COURSE",
                        "competencies": [{"key": "empathy", "minLevel": 1, "maxLevel": 2}],
                    }
                ]
            }
        },
    )


async def complete_action(w: World) -> Op:
    resource = await new_resource(w)
    await new_plan(w)
    await _as_system(
        w,
        development.add_action,
        development.ActionInput(
            goal_id=_state(w)["goal"].id, kind="COURSE", resource_id=resource.id
        ),
    )
    return Op(
        "mutation($i: CompleteLearningActionInput!) { completeLearningAction(input: $i) "
        f"{{ completedCount {ERRORS} }} }}",
        {
            "i": {
                "employeeExternalId": ALICE_EXTERNAL_ID,
                "resourceExternalId": RESOURCE_EXTERNAL_ID,
            }
        },
    )


def _rows(**outcomes: Any) -> dict[Row, Any]:
    out: dict[Row, Any] = {row: HIDDEN for row in Row}
    out[Row.ANONYMOUS] = UNAUTHENTICATED
    out[Row.SERVICE_ACCOUNT] = FORBIDDEN
    out.update({Row[name]: outcome for name, outcome in outcomes.items()})
    return out


#: Editing Alice's plans: Alice, Max and Ada; the others learn nothing.
EDIT = _rows(SELF=allowed(), MANAGER_OF=allowed(), ADMIN=allowed())
#: Approving: Max and Ada; Alice is refused (a userError, nothing written).
APPROVE = _rows(MANAGER_OF=allowed(), ADMIN=allowed())
#: Anyone who may work on plans offers to mentor for themself.
OWN = {
    **_rows(),
    **{
        r: allowed()
        for r in (Row.SELF, Row.OTHER_EMPLOYEE, Row.MANAGER_OF, Row.MANAGER_NOT_OF, Row.ADMIN)
    },
}

AUTHZ = {
    "Query.learningResources": Entry(
        learning_resources,
        {
            **{row: allowed(shows_resource) for row in Row},
            Row.ANONYMOUS: UNAUTHENTICATED,
            Row.OTHER_ORG: HIDDEN,
        },
        subject=resource_markers,
    ),
    "Query.teamDevelopment": Entry(
        team_development,
        {
            **_rows(MANAGER_OF=allowed(shows_subject), ADMIN=allowed(shows_subject)),
            Row.SELF: FORBIDDEN,
            Row.OTHER_EMPLOYEE: FORBIDDEN,
            Row.MANAGER_NOT_OF: FORBIDDEN,
        },
        subject=plan_markers,
    ),
    "Query.developmentCompletion": Entry(development_completion, admin_only_read()),
    "Mutation.createDevelopmentPlan": Entry(create_plan, EDIT),
    "Mutation.draftDevelopmentPlan": Entry(draft_plan, EDIT),
    "Mutation.updateDevelopmentPlan": Entry(
        _on_plan("updateDevelopmentPlan", "UpdateDevelopmentPlanInput", title="Grow more"),
        EDIT,
        subject=plan_markers,
    ),
    "Mutation.approveDevelopmentPlan": Entry(
        _on_plan("approveDevelopmentPlan", "DevelopmentPlanTransitionInput"),
        APPROVE,
        subject=plan_markers,
    ),
    "Mutation.archiveDevelopmentPlan": Entry(
        _on_plan("archiveDevelopmentPlan", "DevelopmentPlanTransitionInput"),
        EDIT,
        subject=plan_markers,
    ),
    "Mutation.addDevelopmentGoal": Entry(add_goal, EDIT, subject=plan_markers),
    "Mutation.updateDevelopmentGoal": Entry(update_goal, EDIT, subject=plan_markers),
    "Mutation.addDevelopmentAction": Entry(add_action, EDIT, subject=plan_markers),
    "Mutation.updateDevelopmentAction": Entry(update_action, EDIT, subject=plan_markers),
    "Mutation.addDevelopmentCheckIn": Entry(add_check_in, EDIT, subject=plan_markers),
    "Mutation.setMentoring": Entry(set_mentoring, OWN),
    "Mutation.importLearningResources": Entry(import_resources, PEOPLE_WRITE),
    "Mutation.completeLearningAction": Entry(complete_action, PEOPLE_WRITE),
}


async def _plan_node(w: World) -> str:
    return w.gid("DevelopmentPlan", await new_plan(w))


async def _goal_node(w: World) -> str:
    await new_plan(w)
    return w.gid("DevelopmentGoal", _state(w)["goal"])


async def _action_node(w: World) -> str:
    await new_plan(w)
    return w.gid("DevelopmentAction", _state(w)["action"])


async def _check_in_node(w: World) -> str:
    plan = await new_plan(w)
    row = await _as_system(w, development.add_check_in, plan.id, "Kick-off.", None)
    return w.gid("DevelopmentCheckIn", row)


async def _resource_node(w: World) -> str:
    return w.gid("LearningResource", await new_resource(w))


NODES = {
    "DevelopmentPlan": _plan_node,
    "DevelopmentGoal": _goal_node,
    "DevelopmentAction": _action_node,
    "DevelopmentCheckIn": _check_in_node,
    "LearningResource": _resource_node,
}
