"""Authorization matrix entries of promotions and succession (see tests/authz_matrix.py).

The subject is Alice; Max manages her, Mia manages another team, Bob is her peer, Ada is
an HR admin. Each operation sets up what it needs in organization A: the framework tests' small
framework with Alice a designer (the next step is senior designer), and a case or plan of
its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, insert, select, update

from service.auth.principal import ActorType, Principal
from service.db import ConnectionExecutor
from service.framework.models import roles
from service.graphql.ids import parse_global_id
from service.people.models import employees
from service.promotions import service as promotions
from service.promotions.models import OPEN_STATUSES, readiness_snapshots
from service.promotions.models import promotions as promotions_table
from tests.authz_matrix import (
    ADMIN_ONLY_WRITE,
    FORBIDDEN,
    HIDDEN,
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

PAYLOAD = "promotion { id status employee { id } } userErrors { field code }"
PLAN_PAYLOAD = "successionPlan { id criticality successors { readiness } } userErrors { code }"


def _state(w: World) -> dict[str, Any]:
    return w.__dict__.setdefault("_promotions", {})  # type: ignore[no-any-return]


async def _roles(w: World) -> tuple[Any, Any]:
    """The framework tests' small framework (designer → senior designer on a track) in A,
    with Alice a designer."""
    ids = await framework(w)
    designer, senior = (
        parse_global_id(ids[f"Role:{key}"]) for key in ("designer", "senior-designer")
    )
    assert designer is not None
    assert senior is not None
    async with w.org.runtime.db.transaction(w.org.id) as conn:
        await conn.execute(
            update(employees).where(employees.c.id == w.subject.id).values(role_id=designer[1])
        )
        found = {
            r.id: r
            for r in (
                await conn.execute(select(roles).where(roles.c.id.in_([designer[1], senior[1]])))
            ).all()
        }
    return found[designer[1]], found[senior[1]]


def _principal(w: World, key: str, scopes: str) -> Principal:
    person = w.org.people[key]
    return Principal(
        org_id=w.org.id,
        subject=person.auth_subject,
        scopes=frozenset(scopes.split()),
        actor_type=ActorType.EMPLOYEE,
        employee_id=person.id,
    )


async def new_case(w: World, *, by: str = "manager") -> Any:
    """A fresh proposal for Alice (closing any open one first), dated in a month."""
    _, target = await _roles(w)
    async with w.org.runtime.db.transaction(w.org.id) as conn:
        await conn.execute(
            update(promotions_table)
            .where(promotions_table.c.status.in_(OPEN_STATUSES))
            .values(
                status="CANCELLED",
                decided_at=func.now(),
                effective_at=None,
                version=promotions_table.c.version + 1,
            )
        )
        row = await promotions.propose_promotion(
            ConnectionExecutor(conn),
            _principal(w, by, "career:employee career:manager"),
            promotions.ProposeInput(
                employee_id=w.subject.id,
                to_role_id=target.id,
                justification="Ready for more.",
                effective_date=dt.date.today() + dt.timedelta(days=30),
            ),
        )
    _state(w)["case"] = row
    return row


async def new_plan(w: World) -> Any:
    _, target = await _roles(w)
    row = await w.org.run(
        promotions.create_succession_plan,
        promotions.PlanInput(role_id=target.id, incumbent_id=w.org.people["boss"].id),
    )
    _state(w)["plan"] = row
    return row


def case_markers(w: World) -> set[str]:
    return w.subject_markers() | {w.gid("Promotion", _state(w)["case"])}


def plan_markers(w: World) -> set[str]:
    return {w.gid("SuccessionPlan", _state(w)["plan"])}


def shows_plan(result: Result) -> None:
    assert result.world.gid("SuccessionPlan", _state(result.world)["plan"]) in result.response.text


# --- queries ------------------------------------------------------------------------------


async def promotions_list(w: World) -> Op:
    await new_case(w)
    return Op("{ promotions(first: 100) { nodes { id status employee { id email } } } }")


async def passed_over(w: World) -> Op:
    source, target = await _roles(w)
    async with w.org.runtime.db.transaction(w.org.id) as conn:
        await conn.execute(
            insert(readiness_snapshots).values(
                org_id=w.org.id,
                employee_id=w.subject.id,
                role_id=source.id,
                target_role_id=target.id,
                readiness=0.95,
                taken_at=func.now() - dt.timedelta(days=400),
            )
        )
    return Op(
        "{ passedOver(filter: {minReadiness: 0.9, minMonths: 6}) { nodes { readiness "
        "employee { id email } readinessHistory { readiness } promotions { status } } } }"
    )


async def succession_plans(w: World) -> Op:
    await new_plan(w)
    return Op(
        "{ successionPlans(first: 100) { nodes { id criticality role { title } "
        "benchStrength { readyNow total } successors { readiness } } } }"
    )


def promotion_settings(w: World) -> Op:
    return Op("{ promotionSettings { requireSecondApprover showOpenCasesToEmployee version } }")


# --- mutations ----------------------------------------------------------------------------


async def propose(w: World) -> Op:
    _, target = await _roles(w)
    async with w.org.runtime.db.transaction(w.org.id) as conn:
        await conn.execute(
            update(promotions_table)
            .where(promotions_table.c.status.in_(OPEN_STATUSES))
            .values(status="CANCELLED", decided_at=func.now(), effective_at=None)
        )
    return Op(
        f"mutation($i: ProposePromotionInput!) {{ proposePromotion(input: $i) {{ {PAYLOAD} }} }}",
        {
            "i": {
                "employeeId": w.gid("Employee", w.subject),
                "toRoleId": w.gid("Role", target),
                "justification": "Ready for more.",
                "effectiveDate": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
            }
        },
    )


def _decision(mutation: str, input_type: str, **extra: Any) -> Any:
    async def build(w: World) -> Op:
        case = await new_case(w)
        return Op(
            f"mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ {PAYLOAD} }} }}",
            {"i": {"id": w.gid("Promotion", case), **extra}},
        )

    return build


async def update_settings(w: World) -> Op:
    return Op(
        "mutation($i: UpdatePromotionSettingsInput!) { updatePromotionSettings(input: $i) "
        "{ settings { requireSecondApprover version } userErrors { code } } }",
        {"i": {"requireSecondApprover": True}},
    )


async def create_plan(w: World) -> Op:
    _, target = await _roles(w)
    return Op(
        "mutation($i: CreateSuccessionPlanInput!) { createSuccessionPlan(input: $i) "
        f"{{ {PLAN_PAYLOAD} }} }}",
        {
            "i": {
                "roleId": w.gid("Role", target),
                "incumbentId": w.gid("Employee", w.org.people["boss"]),
                "criticality": "HIGH",
            }
        },
    )


async def update_plan(w: World) -> Op:
    plan = await new_plan(w)
    return Op(
        "mutation($i: UpdateSuccessionPlanInput!) { updateSuccessionPlan(input: $i) "
        f"{{ {PLAN_PAYLOAD} }} }}",
        {"i": {"id": w.gid("SuccessionPlan", plan), "criticality": "CRITICAL"}},
    )


async def set_successor(w: World) -> Op:
    plan = await new_plan(w)
    return Op(
        f"mutation($i: SetSuccessorInput!) {{ setSuccessor(input: $i) {{ {PLAN_PAYLOAD} }} }}",
        {
            "i": {
                "planId": w.gid("SuccessionPlan", plan),
                "employeeId": w.gid("Employee", w.subject),
                "readiness": "READY_NOW",
            }
        },
    )


async def remove_successor(w: World) -> Op:
    plan = await new_plan(w)
    await w.org.run(
        promotions.set_successor,
        plan.id,
        promotions.SuccessorInput(employee_id=w.subject.id, readiness="ONE_TO_TWO_YEARS"),
    )
    return Op(
        "mutation($i: RemoveSuccessorInput!) { removeSuccessor(input: $i) "
        f"{{ {PLAN_PAYLOAD} }} }}",
        {
            "i": {
                "planId": w.gid("SuccessionPlan", plan),
                "employeeId": w.gid("Employee", w.subject),
            }
        },
    )


def _rows(**outcomes: Any) -> dict[Row, Any]:
    out: dict[Row, Any] = {row: FORBIDDEN for row in Row}
    out[Row.ANONYMOUS] = UNAUTHENTICATED
    out[Row.OTHER_ORG] = HIDDEN
    out.update({Row[name]: outcome for name, outcome in outcomes.items()})
    return out


AUTHZ = {
    "Query.promotions": Entry(
        promotions_list,
        _rows(
            MANAGER_OF=allowed(shows_subject),
            MANAGER_NOT_OF=HIDDEN,
            ADMIN=allowed(shows_subject),
            SERVICE_ACCOUNT=allowed(shows_subject),
        ),
        subject=case_markers,
    ),
    "Query.passedOver": Entry(passed_over, admin_only_read(shows_subject)),
    "Query.successionPlans": Entry(
        succession_plans, admin_only_read(shows_plan), subject=plan_markers
    ),
    "Query.promotionSettings": Entry(
        promotion_settings,
        {
            **{row: allowed() for row in Row},
            Row.ANONYMOUS: UNAUTHENTICATED,
            Row.OTHER_ORG: HIDDEN,
        },
    ),
    "Mutation.proposePromotion": Entry(
        propose,
        _rows(MANAGER_OF=allowed(shows_subject), MANAGER_NOT_OF=HIDDEN, ADMIN=allowed()),
    ),
    "Mutation.approvePromotion": Entry(
        _decision("approvePromotion", "ApprovePromotionInput"),
        ADMIN_ONLY_WRITE,
        subject=case_markers,
    ),
    "Mutation.rejectPromotion": Entry(
        _decision("rejectPromotion", "RejectPromotionInput", note="Not this cycle."),
        ADMIN_ONLY_WRITE,
        subject=case_markers,
    ),
    "Mutation.cancelPromotion": Entry(
        _decision("cancelPromotion", "CancelPromotionInput"),
        _rows(MANAGER_OF=allowed(), MANAGER_NOT_OF=HIDDEN, ADMIN=allowed()),
        subject=case_markers,
    ),
    "Mutation.updatePromotionSettings": Entry(update_settings, ADMIN_ONLY_WRITE),
    "Mutation.createSuccessionPlan": Entry(create_plan, ADMIN_ONLY_WRITE),
    "Mutation.updateSuccessionPlan": Entry(update_plan, ADMIN_ONLY_WRITE, subject=plan_markers),
    "Mutation.setSuccessor": Entry(set_successor, ADMIN_ONLY_WRITE, subject=plan_markers),
    "Mutation.removeSuccessor": Entry(remove_successor, ADMIN_ONLY_WRITE, subject=plan_markers),
}


async def _promotion_node(w: World) -> str:
    return w.gid("Promotion", await new_case(w))


async def _plan_node(w: World) -> str:
    return w.gid("SuccessionPlan", await new_plan(w))


NODES = {"Promotion": _promotion_node, "SuccessionPlan": _plan_node}
