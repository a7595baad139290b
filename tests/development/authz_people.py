"""People reached through development plans, and mutation inputs naming a person (see
tests/authz_matrix.py: ``RELATIONS`` and ``PERSON_INPUTS``)."""

from __future__ import annotations

from typing import Any

from service.auth.principal import ActorType, Principal
from service.db import ConnectionExecutor
from service.development import service as development
from tests.authz_matrix import (
    HIDDEN,
    PERSON,
    PERSON_FIELDS,
    UNAUTHENTICATED,
    Entry,
    Op,
    PersonInput,
    Row,
    View,
    World,
    person_in,
    shows,
)
from tests.development.authz import (
    _state,
    add_action,
    create_plan,
    draft_plan,
    new_plan,
    update_action,
)

FULL, NAMED = View.FULL, View.NAMED


def _max(w: World) -> Principal:
    person = w.org.people["manager"]
    return Principal(
        org_id=w.org.id,
        subject=person.auth_subject,
        scopes=frozenset({"career:employee", "career:manager"}),
        actor_type=ActorType.EMPLOYEE,
        employee_id=person.id,
    )


async def approved_plan(w: World) -> Op:
    """Alice's plan, approved by Max, with a check-in by Max (one per world)."""
    if "people_op" not in _state(w):
        plan = await new_plan(w)
        async with w.org.runtime.db.transaction(w.org.id) as conn:
            db = ConnectionExecutor(conn)
            await development.approve_plan(db, _max(w), plan.id, expected_version=None)
            await development.add_check_in(db, _max(w), plan.id, "Kick-off.", None)
        _state(w)["people_op"] = Op(
            "query($id: ID!) { node(id: $id) { ... on DevelopmentPlan { "
            f"employee {{ {PERSON_FIELDS} }} approvedBy {{ {PERSON_FIELDS} }} "
            f"checkIns {{ author {{ {PERSON_FIELDS} }} }} }} }} }}",
            {"id": w.gid("DevelopmentPlan", plan)},
        )
    return _state(w)["people_op"]  # type: ignore[no-any-return]


def _plan(alice: View, max_: View) -> Any:
    return shows(
        {
            "node.employee": ("alice", alice),
            "node.approvedBy": ("manager", max_),
            "node.checkIns.0.author": ("manager", max_),
        }
    )


#: Alice sees her manager by name only; Max and Ada see both in full; nobody else sees the plan.
PLAN = {
    **{row: HIDDEN for row in Row},
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: _plan(FULL, NAMED),
    Row.MANAGER_OF: _plan(FULL, FULL),
    Row.ADMIN: _plan(FULL, FULL),
}

RELATIONS = {
    "DevelopmentPlan.employee": Entry(approved_plan, PLAN),
    "DevelopmentPlan.approvedBy": Entry(approved_plan, PLAN),
    "DevelopmentCheckIn.author": Entry(approved_plan, PLAN),
}

PERSON_INPUTS = {
    "Mutation.createDevelopmentPlan input.employeeId": PersonInput(
        (person_in(create_plan, employeeId=PERSON),)
    ),
    "Mutation.draftDevelopmentPlan input.employeeId": PersonInput(
        (person_in(draft_plan, employeeId=PERSON),)
    ),
    "Mutation.addDevelopmentAction input.mentorId": PersonInput(
        (person_in(add_action, kind="MENTORING", mentorId=PERSON),), colleagues=True
    ),
    "Mutation.updateDevelopmentAction input.mentorId": PersonInput(
        (person_in(update_action, mentorId=PERSON),), colleagues=True
    ),
}
