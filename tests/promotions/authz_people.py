"""People reached through promotions and succession, and mutation inputs naming a person
(see tests/authz_matrix.py: ``RELATIONS`` and ``PERSON_INPUTS``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func

from service.db import ConnectionExecutor
from service.promotions import service as promotions
from service.promotions.models import readiness_snapshots
from tests.authz_matrix import (
    FORBIDDEN,
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
from tests.promotions.authz import (
    _principal,
    _state,
    create_plan,
    new_case,
    new_plan,
    passed_over,
    propose,
    remove_successor,
    set_successor,
    update_plan,
)

FULL, NAMED = View.FULL, View.NAMED


async def decided_case(w: World) -> Op:
    """Alice's case, proposed by Max and rejected by Ada (one per world)."""
    if "decided" not in _state(w):
        case = await new_case(w)
        async with w.org.runtime.db.transaction(w.org.id) as conn:
            await promotions.reject_promotion(
                ConnectionExecutor(conn),
                _principal(w, "admin", "career:employee career:admin"),
                case.id,
                "Not this cycle.",
            )
        _state(w)["decided"] = Op(
            "query($id: ID!) { node(id: $id) { ... on Promotion { "
            f"employee {{ {PERSON_FIELDS} }} proposer {{ {PERSON_FIELDS} }} "
            f"decider {{ {PERSON_FIELDS} }} }} }} }}",
            {"id": w.gid("Promotion", case)},
        )
    return _state(w)["decided"]  # type: ignore[no-any-return]


async def plan_people(w: World) -> Op:
    """A plan for Bea's role with Alice a successor (one per world)."""
    if "plan_people" not in _state(w):
        plan = await new_plan(w)
        await w.org.run(
            promotions.set_successor,
            plan.id,
            promotions.SuccessorInput(employee_id=w.subject.id, readiness="READY_NOW"),
        )
        _state(w)["plan_people"] = Op(
            "query($id: ID!) { node(id: $id) { ... on SuccessionPlan { "
            f"incumbent {{ {PERSON_FIELDS} }} successors {{ employee {{ {PERSON_FIELDS} }} }} "
            "} } }",
            {"id": w.gid("SuccessionPlan", plan)},
        )
    return _state(w)["plan_people"]  # type: ignore[no-any-return]


async def passed_over_people(w: World) -> Op:
    """Alice, a designer rated ready for over a year (readiness taken since by other
    entries in the shared world set aside)."""
    await passed_over(w)
    async with w.org.runtime.db.transaction(w.org.id) as conn:
        await conn.execute(
            delete(readiness_snapshots).where(
                readiness_snapshots.c.employee_id == w.subject.id,
                readiness_snapshots.c.taken_at > func.now() - dt.timedelta(days=300),
            )
        )
    return Op(
        "{ passedOver(filter: {minReadiness: 0.9, minMonths: 6}) { nodes { "
        f"employee {{ {PERSON_FIELDS} }} }} }} }}"
    )


def _case(employee: View, proposer: View, decider: View | None = None) -> Any:
    people = {"node.employee": ("alice", employee), "node.proposer": ("manager", proposer)}
    if decider is not None:
        people["node.decider"] = ("admin", decider)
    return shows(people)


#: Alice's decided case: she sees it, her managers, HR admins and HRIS integrations do;
#: who decided is for HR admins and integrations.
CASE = {
    **{row: HIDDEN for row in Row},
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: _case(FULL, NAMED),
    Row.MANAGER_OF: _case(FULL, FULL),
    Row.ADMIN: _case(FULL, FULL, FULL),
    Row.SERVICE_ACCOUNT: _case(FULL, FULL, FULL),
}
#: Succession plans are for HR admins.
PLAN = {
    **{row: HIDDEN for row in Row},
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.ADMIN: shows(
        {"node.incumbent": ("boss", FULL), "node.successors.0.employee": ("alice", FULL)}
    ),
}
PASSED_OVER = {
    **{row: FORBIDDEN for row in Row},
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.ADMIN: shows({"passedOver.nodes.0.employee": ("alice", FULL)}),
    Row.OTHER_ORG: HIDDEN,
}

RELATIONS = {
    "Promotion.employee": Entry(decided_case, CASE),
    "Promotion.proposer": Entry(decided_case, CASE),
    "Promotion.decider": Entry(decided_case, CASE),
    "SuccessionPlan.incumbent": Entry(plan_people, PLAN),
    "Successor.employee": Entry(plan_people, PLAN),
    "PassedOverEntry.employee": Entry(passed_over_people, PASSED_OVER),
}

PERSON_INPUTS = {
    "Mutation.proposePromotion input.employeeId": PersonInput(
        (person_in(propose, employeeId=PERSON),)
    ),
    "Mutation.setSuccessor input.employeeId": PersonInput(
        (person_in(set_successor, employeeId=PERSON),)
    ),
    "Mutation.removeSuccessor input.employeeId": PersonInput(
        (person_in(remove_successor, employeeId=PERSON),)
    ),
    "Mutation.createSuccessionPlan input.incumbentId": PersonInput(
        (person_in(create_plan, incumbentId=PERSON),)
    ),
    "Mutation.updateSuccessionPlan input.incumbentId": PersonInput(
        (person_in(update_plan, incumbentId=PERSON),)
    ),
}
