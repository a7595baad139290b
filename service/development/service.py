"""Use cases of development plans: plans, goals, actions and check-ins, approval and
archiving, drafting a plan from a gap analysis, mentors' opt-ins, and the learning
catalogue with completions reported by a learning platform.

**Who.** A plan is private career data (``policies.can_see_private``): the employee, the
managers above them (``career:manager``) and HR admins see and edit it; nobody else,
HRIS integrations included, learns that it exists (NOT_FOUND, as for an unknown plan).
Approval (DRAFT → ACTIVE) is for the manager chain and HR admins, never the employee
alone. The learning catalogue is imported by HR admins and HRIS integrations; a learning
platform reports completions by external IDs (``complete_learning_action``) and learns
nothing of the plans in return.

**Life cycle.** DRAFT → ACTIVE (approved: who and when) → COMPLETED when every goal that
is not dropped is achieved (``progress.complete_finished_plans``); DRAFT or ACTIVE →
ARCHIVED. Completed and archived plans, their goals and actions, no longer change.

Every edit takes the ``version`` the caller read and goes through ``update_versioned``;
every function checks all of its input at once (``UserInputError``, nothing written).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, delete, func, insert, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from service.assessments import queries as assessment_queries
from service.assessments.queries import rules_for
from service.audit import service as audit
from service.auth import policies
from service.auth.principal import Principal
from service.auth.scopes import Scope
from service.db import Executor
from service.development import progress, queries
from service.development.models import (
    OPEN_PLAN_STATUSES,
    ActionKind,
    ActionStatus,
    GoalStatus,
    PlanStatus,
    ResourceKind,
    development_actions,
    development_check_ins,
    development_goals,
    development_plans,
    learning_resource_competencies,
    learning_resources,
    mentor_competencies,
)
from service.entities import insert_row, update_row
from service.errors import ErrorCode, FieldError, UserInputError, Validator
from service.framework import queries as framework_queries
from service.framework import service as framework
from service.framework.models import competencies, roles, scale_levels
from service.kit import INVALID, NOT_GIVEN, check_version, given
from service.people import service as people
from service.people.models import EmployeeStatus, employees

MAX_TITLE = 200
MAX_TEXT = 4000
MAX_URL = 2000
MAX_GOALS = 10
MAX_ACTIONS = 10
MAX_MENTORING = 20
MAX_IMPORT = 1000
MAX_RESOURCE_COMPETENCIES = 20
#: Drafting: goals from this many top gaps, catalogue resources per goal, goal due dates.
DRAFT_GOALS = 3
DRAFT_RESOURCES = 2
DRAFT_GOAL_DAYS = 180
DRAFT_PLAN_DAYS = 365

Path = tuple[str, ...]


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def _reach(db: Executor, principal: Principal) -> policies.Reach:
    cached = getattr(db, "reach", None)
    if cached is not None:  # the GraphQL context computes it once per request
        return await cached()
    return await policies.compute_reach(db, principal)  # type: ignore[arg-type]


def _actor(principal: Principal) -> tuple[str, Any]:
    return principal.actor_type.value, principal.actor_id


def require_planner(principal: Principal | None) -> Principal:
    """Who may work on plans at all: employees (their own), managers, HR admins."""
    return policies.require_private_reader(principal)


async def may_see_plans_of(db: Executor, principal: Principal, employee_id: uuid.UUID) -> bool:
    """The employee, the managers above them and HR admins: private career data."""
    if policies.can_see_own_private(principal, employee_id):
        return True
    return policies.can_see_private(await _reach(db, principal), employee_id)


async def _may_approve(db: Executor, principal: Principal, employee_id: uuid.UUID) -> bool:
    if policies.is_admin(principal):
        return True
    if principal.employee_id == employee_id or not principal.has(Scope.MANAGER):
        return False
    return employee_id in (await _reach(db, principal)).private


def _not_found(path: Path, what: str) -> UserInputError:
    return UserInputError.one(path, f"no such {what}", ErrorCode.NOT_FOUND)


async def _employee(db: Executor, principal: Principal, employee_id: Any, path: Path) -> Any:
    """The employee whose plans the caller may edit; NOT_FOUND otherwise, alike for
    someone unknown and someone the caller may not see."""
    row = await people.get_employee(db, employee_id)
    if row is None or not await may_see_plans_of(db, principal, row.id):
        raise _not_found(path, "employee")
    return row


async def load_plan(
    db: Executor, principal: Principal, plan_id: uuid.UUID, path: Path = ("input", "id")
) -> Any:
    """The plan if the caller may see it; NOT_FOUND otherwise (whether it exists or not)."""
    row = (await queries.plans_by_id(db, [plan_id]))[0]
    if row is None or not await may_see_plans_of(db, principal, row.employee_id):
        raise _not_found(path, "development plan")
    return row


def _require_open(plan: Any, path: Path) -> None:
    if plan.status not in OPEN_PLAN_STATUSES:
        raise UserInputError.one(
            path,
            f"the plan is {plan.status.lower()}; it no longer changes",
            ErrorCode.INVALID_STATE,
        )


async def _open_plan(db: Executor, principal: Principal, plan_id: uuid.UUID, path: Path) -> Any:
    plan = await load_plan(db, principal, plan_id, path)
    _require_open(plan, path)
    return plan


async def _goal(db: Executor, principal: Principal, goal_id: uuid.UUID, path: Path) -> Any:
    """The goal and its plan, if the caller may see the plan."""
    goal = (await queries.goals_by_id(db, [goal_id]))[0]
    if goal is None:
        raise _not_found(path, "goal")
    try:
        plan = await load_plan(db, principal, goal.plan_id, path)
    except UserInputError:
        raise _not_found(path, "goal") from None
    return goal, plan


# --- shared checks ----------------------------------------------------------------------


def _period(v: Validator, starts: dt.date | None, ends: dt.date | None) -> None:
    if starts is not None and ends is not None and ends < starts:
        v.add(("input", "endsOn"), "is before the plan starts")


def _due(v: Validator, plan: Any, due: dt.date | None, path: Path) -> None:
    if due is None:
        return
    if due < plan.starts_on:
        v.add(path, f"is before the plan starts ({plan.starts_on.isoformat()})")
    elif plan.ends_on is not None and due > plan.ends_on:
        v.add(path, f"is after the plan ends ({plan.ends_on.isoformat()})")


async def scale_of(db: Executor, competency_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Active competencies by ID with the values of their scale (``levels``)."""
    if not competency_ids:
        return {}
    stmt = (
        select(
            competencies.c.id,
            competencies.c.key,
            competencies.c.name,
            func.array_agg(scale_levels.c.value).label("levels"),
        )
        .join(scale_levels, scale_levels.c.scale_id == competencies.c.scale_id)
        .where(competencies.c.id.in_(set(competency_ids)), competencies.c.archived_at.is_(None))
        .group_by(competencies.c.id)
    )
    return {r.id: r for r in (await db.execute(stmt)).all()}


def _level(v: Validator, competency: Any, level: int | None, path: Path) -> None:
    if level is None:
        v.add(path, "is required with a competency", ErrorCode.REQUIRED)
    elif level not in competency.levels:
        low, high = min(competency.levels), max(competency.levels)
        v.add(path, f'is not a level of the scale of "{competency.name}" ({low} to {high})')


async def _competency_level(
    db: Executor,
    v: Validator,
    competency_id: Any,
    level: int | None,
    paths: tuple[Path, Path],
) -> None:
    if competency_id is INVALID:
        return
    if competency_id is None:
        if level is not None:
            v.add(paths[1], "needs a competency")
        return
    found = (await scale_of(db, [competency_id])).get(competency_id)
    if found is None:
        v.add(paths[0], "no such competency", ErrorCode.NOT_FOUND)
    else:
        _level(v, found, level, paths[1])


async def _touch(db: Executor, table: Any, row_id: uuid.UUID) -> None:
    """A change below an aggregate is a change of it: a new version."""
    await db.execute(
        update(table)
        .where(table.c.id == row_id)
        .values(version=table.c.version + 1, updated_at=func.now())
    )


# --- plans -------------------------------------------------------------------------------


async def _write_plan(
    db: Executor,
    principal: Principal,
    plan: Any,
    values: dict[str, Any],
    expected_version: int | None,
    verb: str,
) -> Any:
    return await update_row(
        db,
        principal,
        development_plans,
        plan,
        values,
        expected_version=expected_version,
        what="development plan",
        action=f"development_plan.{verb}",
        entity_type="DevelopmentPlan",
    )


@dataclass
class PlanInput:
    """A plan's fields; ``NOT_GIVEN`` leaves one as it is in an update."""

    employee_id: Any = NOT_GIVEN
    title: Any = NOT_GIVEN
    target_role_id: Any = NOT_GIVEN
    starts_on: Any = NOT_GIVEN
    ends_on: Any = NOT_GIVEN


async def _insert_plan(
    db: Executor, principal: Principal, employee: Any, values: dict[str, Any]
) -> Any:
    created_type, created_id = _actor(principal)
    return await insert_row(
        db,
        principal,
        development_plans,
        {"employee_id": employee.id, **values},
        "development_plan.create",
        "DevelopmentPlan",
        unaudited={"created_by_type": created_type, "created_by_id": created_id},
    )


async def create_plan(
    db: Executor, principal: Principal, data: PlanInput, input_errors: Sequence[FieldError] = ()
) -> Any:
    """A DRAFT plan for an employee, by themself, a manager above them or an HR admin."""
    require_planner(principal)
    v = Validator(input_errors)
    employee = None
    if given(data.employee_id):
        employee = await _employee(db, principal, data.employee_id, ("input", "employeeId"))
        if employee.status == EmployeeStatus.TERMINATED:
            v.add(("input", "employeeId"), "the employee has left", ErrorCode.INVALID_STATE)
    title = v.text("title", data.title, required=True, max_length=MAX_TITLE)
    role = await framework.active_role(db, v, data.target_role_id, ("input", "targetRoleId"))
    starts = data.starts_on if given(data.starts_on) and data.starts_on else today()
    ends = data.ends_on if given(data.ends_on) else None
    _period(v, starts, ends)
    v.raise_if_any()
    assert employee is not None
    values = {
        "title": title,
        "target_role_id": role.id if role is not None else None,
        "starts_on": starts,
        "ends_on": ends,
    }
    return await _insert_plan(db, principal, employee, values)


async def update_plan(
    db: Executor,
    principal: Principal,
    plan_id: uuid.UUID,
    data: PlanInput,
    *,
    expected_version: int | None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Change a DRAFT or ACTIVE plan's title, target role or period."""
    require_planner(principal)
    plan = await _open_plan(db, principal, plan_id, ("input", "id"))
    check_version(plan, expected_version, "development plan")
    v = Validator(input_errors)
    values: dict[str, Any] = {}
    if given(data.title):
        values["title"] = v.text("title", data.title, required=True, max_length=MAX_TITLE)
    if given(data.target_role_id) or data.target_role_id is None:
        role = await framework.active_role(db, v, data.target_role_id, ("input", "targetRoleId"))
        values["target_role_id"] = role.id if role is not None else None
    if given(data.starts_on):
        if data.starts_on is None:
            v.add(("input", "startsOn"), "is required", ErrorCode.REQUIRED)
        values["starts_on"] = data.starts_on
    if given(data.ends_on):
        values["ends_on"] = data.ends_on
    starts = values.get("starts_on", plan.starts_on)
    ends = values.get("ends_on", plan.ends_on)
    _period(v, starts, ends)
    if "starts_on" in values or "ends_on" in values:
        await _goals_within(db, v, plan.id, starts, ends)
    v.raise_if_any()
    return await _write_plan(
        db,
        principal,
        plan,
        {k: val for k, val in values.items() if getattr(plan, k) != val},
        expected_version,
        "update",
    )


async def _goals_within(
    db: Executor, v: Validator, plan_id: uuid.UUID, starts: dt.date | None, ends: dt.date | None
) -> None:
    """A new period must still hold every goal's due date."""
    g = development_goals.c
    outside = [g.due_on < starts] if starts is not None else []
    if ends is not None:
        outside.append(g.due_on > ends)
    if not outside:
        return
    found = (
        (
            await db.execute(
                select(g.title).where(g.plan_id == plan_id, g.due_on.is_not(None), or_(*outside))
            )
        )
        .scalars()
        .all()
    )
    if found:
        v.add(
            ("input", "startsOn"),
            "goals would fall outside the plan's period: " + ", ".join(f'"{t}"' for t in found),
        )


async def approve_plan(
    db: Executor, principal: Principal, plan_id: uuid.UUID, *, expected_version: int | None
) -> Any:
    """DRAFT → ACTIVE, by a manager above the employee or an HR admin."""
    require_planner(principal)
    plan = await load_plan(db, principal, plan_id)
    check_version(plan, expected_version, "development plan")
    if not await _may_approve(db, principal, plan.employee_id):
        raise UserInputError.one(
            ("input", "id"),
            "only a manager above the employee or an HR admin approves a plan",
            ErrorCode.INVALID_STATE,
        )
    if plan.status != PlanStatus.DRAFT:
        raise UserInputError.one(
            ("input", "id"),
            f"a {plan.status.lower()} plan cannot be approved; only drafts are",
            ErrorCode.INVALID_STATE,
        )
    approver_type, approver_id = _actor(principal)
    row = await _write_plan(
        db,
        principal,
        plan,
        {
            "status": PlanStatus.ACTIVE.value,
            "approved_by_type": approver_type,
            "approved_by_id": approver_id,
            "approved_at": func.now(),
        },
        expected_version,
        "approve",
    )
    # Goals achieved while it was a draft may already make it complete.
    done = await progress.complete_finished_plans(db, principal, [row.id])
    return (await queries.plans_by_id(db, [row.id]))[0] if done else row


async def archive_plan(
    db: Executor, principal: Principal, plan_id: uuid.UUID, *, expected_version: int | None
) -> Any:
    """DRAFT or ACTIVE → ARCHIVED: kept, no longer worked on."""
    require_planner(principal)
    plan = await load_plan(db, principal, plan_id)
    check_version(plan, expected_version, "development plan")
    _require_open(plan, ("input", "id"))
    return await _write_plan(
        db,
        principal,
        plan,
        {"status": PlanStatus.ARCHIVED.value, "archived_at": func.now()},
        expected_version,
        "archive",
    )


# --- goals -------------------------------------------------------------------------------


@dataclass
class GoalInput:
    plan_id: Any = NOT_GIVEN
    title: Any = NOT_GIVEN
    description: Any = NOT_GIVEN
    competency_id: Any = NOT_GIVEN
    target_level: Any = NOT_GIVEN
    due_on: Any = NOT_GIVEN
    progress: Any = NOT_GIVEN
    status: Any = NOT_GIVEN


def _progress(v: Validator, value: Any) -> None:
    if value is None:
        v.add(("input", "progress"), "is required", ErrorCode.REQUIRED)
    elif not 0 <= value <= 100:
        v.add(("input", "progress"), "must be between 0 and 100")


async def _count(db: Executor, table: Any, column: str, parent: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(table).where(table.c[column] == parent)
    return int((await db.execute(stmt)).scalar_one())


async def add_goal(
    db: Executor, principal: Principal, data: GoalInput, input_errors: Sequence[FieldError] = ()
) -> Any:
    """A goal on a DRAFT or ACTIVE plan, optionally a competency and the level to reach."""
    require_planner(principal)
    plan = await _open_plan(db, principal, data.plan_id, ("input", "planId"))
    v = Validator(input_errors)
    title = v.text("title", data.title, required=True, max_length=MAX_TITLE)
    description = v.text("description", _opt(data.description), max_length=MAX_TEXT) or None
    competency_id, level = _opt(data.competency_id), _opt(data.target_level)
    await _competency_level(
        db, v, competency_id, level, (("input", "competencyId"), ("input", "targetLevel"))
    )
    due = _opt(data.due_on)
    _due(v, plan, due, ("input", "dueOn"))
    count = await _count(db, development_goals, "plan_id", plan.id)
    v.too_many(("input", "planId"), count + 1, MAX_GOALS, f"a plan has at most {MAX_GOALS} goals")
    v.raise_if_any()
    values = {
        "plan_id": plan.id,
        "position": count + 1,
        "title": title,
        "description": description,
        "competency_id": competency_id,
        "target_level": level if competency_id is not None else None,
        "due_on": due,
    }
    return await _insert_child(db, principal, development_goals, values, "development_goal", plan)


def _opt(value: Any) -> Any:
    return None if value is NOT_GIVEN or value is INVALID else value


async def _insert_child(
    db: Executor, principal: Principal, table: Any, values: dict[str, Any], action: str, plan: Any
) -> Any:
    entity = "".join(w.title() for w in action.split("_"))
    row = await insert_row(db, principal, table, values, f"{action}.create", entity)
    await _touch(db, development_plans, plan.id)
    return row


async def update_goal(
    db: Executor,
    principal: Principal,
    goal_id: uuid.UUID,
    data: GoalInput,
    *,
    expected_version: int | None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Change a goal: its text, target level, due date, progress or status (an editor may
    mark it ACHIEVED or DROPPED, or reopen it). Its competency stays."""
    require_planner(principal)
    goal, plan = await _goal(db, principal, goal_id, ("input", "id"))
    _require_open(plan, ("input", "id"))
    check_version(goal, expected_version, "goal")
    v = Validator(input_errors)
    values: dict[str, Any] = {}
    if given(data.title):
        values["title"] = v.text("title", data.title, required=True, max_length=MAX_TITLE)
    if given(data.description):
        values["description"] = v.text("description", data.description, max_length=MAX_TEXT) or None
    if given(data.target_level):
        if goal.competency_id is None:
            v.add(("input", "targetLevel"), "the goal has no competency")
        else:
            found = (await scale_of(db, [goal.competency_id])).get(goal.competency_id)
            if found is not None:
                _level(v, found, data.target_level, ("input", "targetLevel"))
            values["target_level"] = data.target_level
    if given(data.due_on):
        _due(v, plan, data.due_on, ("input", "dueOn"))
        values["due_on"] = data.due_on
    if given(data.progress):
        _progress(v, data.progress)
        values["progress"] = data.progress
    if given(data.status) and data.status != goal.status:
        if data.status is None:
            v.add(("input", "status"), "is required", ErrorCode.REQUIRED)
        elif data.status == GoalStatus.ACHIEVED:
            values.update(status=data.status, progress=100, achieved_at=func.now())
        else:
            values.update(
                status=data.status,
                achieved_at=None,
                achieved_level=None,
                achieved_assessment_id=None,
            )
            if goal.status == GoalStatus.ACHIEVED and not given(data.progress):
                values["progress"] = 0
    if (
        values.get("status", goal.status) == GoalStatus.ACHIEVED
        and values.get("progress", 100) != 100
    ):
        v.add(("input", "progress"), "an achieved goal is at 100")
    v.raise_if_any()
    row = await update_row(
        db,
        principal,
        development_goals,
        goal,
        {k: val for k, val in values.items() if k == "achieved_at" or getattr(goal, k) != val},
        expected_version=expected_version,
        what="goal",
        action="development_goal.update",
        entity_type="DevelopmentGoal",
    )
    if row is not goal:
        await _touch(db, development_plans, plan.id)
        await progress.complete_finished_plans(db, principal, [plan.id])
    return row


# --- actions -----------------------------------------------------------------------------


@dataclass
class ActionInput:
    goal_id: Any = NOT_GIVEN
    kind: Any = NOT_GIVEN
    title: Any = NOT_GIVEN
    url: Any = NOT_GIVEN
    resource_id: Any = NOT_GIVEN
    mentor_id: Any = NOT_GIVEN
    due_on: Any = NOT_GIVEN
    status: Any = NOT_GIVEN


async def _mentor(db: Executor, v: Validator, mentor_id: Any, employee_id: uuid.UUID) -> None:
    """A mentor is an active colleague who opted in; anyone else (unknown, left, not
    mentoring) is answered alike."""
    if mentor_id is None or mentor_id is INVALID:
        return
    stmt = (
        select(employees.c.id)
        .join(mentor_competencies, mentor_competencies.c.employee_id == employees.c.id)
        .where(employees.c.id == mentor_id, employees.c.status != EmployeeStatus.TERMINATED)
        .limit(1)
    )
    if mentor_id == employee_id or (await db.execute(stmt)).first() is None:
        v.add(
            ("input", "mentorId"),
            "no such mentor: a mentor is a colleague who offers to mentor",
            ErrorCode.NOT_FOUND,
        )


async def _resource(db: Executor, v: Validator, resource_id: Any) -> Any:
    if resource_id is None or resource_id is INVALID:
        return None
    row = (await queries.resources_by_id(db, [resource_id]))[0]
    if row is None or row.archived_at is not None:
        v.add(("input", "resourceId"), "no such learning resource", ErrorCode.NOT_FOUND)
        return None
    return row


async def add_action(
    db: Executor, principal: Principal, data: ActionInput, input_errors: Sequence[FieldError] = ()
) -> Any:
    """An action toward a goal: a course, stretch assignment, mentoring, project, …"""
    require_planner(principal)
    goal, plan = await _goal(db, principal, data.goal_id, ("input", "goalId"))
    _require_open(plan, ("input", "goalId"))
    v = Validator(input_errors)
    resource = await _resource(db, v, _opt(data.resource_id))
    title = _opt(data.title) or (resource.title if resource is not None else None)
    title = v.text("title", title, required=True, max_length=MAX_TITLE)
    url = v.text("url", _opt(data.url) or (resource.url if resource else None), max_length=MAX_URL)
    mentor_id = _opt(data.mentor_id)
    await _mentor(db, v, mentor_id, plan.employee_id)
    due = _opt(data.due_on)
    _due(v, plan, due, ("input", "dueOn"))
    count = await _count(db, development_actions, "goal_id", goal.id)
    v.too_many(
        ("input", "goalId"), count + 1, MAX_ACTIONS, f"a goal has at most {MAX_ACTIONS} actions"
    )
    v.raise_if_any()
    values = {
        "goal_id": goal.id,
        "plan_id": plan.id,
        "position": count + 1,
        "kind": data.kind,
        "title": title,
        "url": url or None,
        "resource_id": resource.id if resource is not None else None,
        "mentor_id": mentor_id,
        "due_on": due,
    }
    return await _insert_child(
        db, principal, development_actions, values, "development_action", plan
    )


async def update_action(
    db: Executor,
    principal: Principal,
    action_id: uuid.UUID,
    data: ActionInput,
    *,
    expected_version: int | None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Change an action's title, link, mentor, due date or status."""
    require_planner(principal)
    action = (await queries.actions_by_id(db, [action_id]))[0]
    if action is None:
        raise _not_found(("input", "id"), "action")
    try:
        plan = await load_plan(db, principal, action.plan_id)
    except UserInputError:
        raise _not_found(("input", "id"), "action") from None
    _require_open(plan, ("input", "id"))
    check_version(action, expected_version, "action")
    v = Validator(input_errors)
    values: dict[str, Any] = {}
    if given(data.title):
        values["title"] = v.text("title", data.title, required=True, max_length=MAX_TITLE)
    if given(data.url):
        values["url"] = v.text("url", data.url, max_length=MAX_URL) or None
    if given(data.mentor_id) or data.mentor_id is None:
        await _mentor(db, v, data.mentor_id, plan.employee_id)
        values["mentor_id"] = data.mentor_id
    if given(data.due_on):
        _due(v, plan, data.due_on, ("input", "dueOn"))
        values["due_on"] = data.due_on
    if given(data.status):
        if data.status is None:
            v.add(("input", "status"), "is required", ErrorCode.REQUIRED)
        elif data.status != action.status:
            values["status"] = data.status
            values["completed_at"] = func.now() if data.status == ActionStatus.DONE else None
    v.raise_if_any()
    values = {
        k: val for k, val in values.items() if k == "completed_at" or getattr(action, k) != val
    }
    row = await update_row(
        db,
        principal,
        development_actions,
        action,
        values,
        expected_version=expected_version,
        what="action",
        action="development_action.update",
        entity_type="DevelopmentAction",
    )
    if "status" in values:
        await progress.actions_changed(db, principal, [action.goal_id])
    if row is not action:
        await _touch(db, development_plans, plan.id)
    return row


# --- check-ins ---------------------------------------------------------------------------


async def add_check_in(
    db: Executor,
    principal: Principal,
    plan_id: uuid.UUID,
    note: str | None,
    held_on: dt.date | None,
) -> Any:
    """A dated note on a plan's progress, by the employee or someone above them."""
    require_planner(principal)
    plan = await load_plan(db, principal, plan_id, ("input", "planId"))
    v = Validator()
    text = v.text("note", note, required=True, max_length=MAX_TEXT)
    held = held_on or today()
    if held > today():
        v.add(("input", "heldOn"), "is in the future")
    if plan.status == PlanStatus.ARCHIVED:
        v.add(("input", "planId"), "the plan is archived", ErrorCode.INVALID_STATE)
    v.raise_if_any()
    author_type, author_id = _actor(principal)
    values = {"plan_id": plan.id, "held_on": held, "note": text}
    row = (
        await db.execute(
            insert(development_check_ins)
            .values(org_id=principal.org_id, author_type=author_type, author_id=author_id, **values)
            .returning(*development_check_ins.c)
        )
    ).one()
    await audit.record(
        db,
        principal,
        "development_check_in.create",
        "DevelopmentCheckIn",
        row.id,
        {"plan_id": {"to": str(plan.id)}},
    )
    await _touch(db, development_plans, plan.id)
    return row


# --- mentors -----------------------------------------------------------------------------


async def set_mentoring(db: Executor, principal: Principal, competency_ids: Sequence[Any]) -> Any:
    """The caller's own offer to mentor: exactly these competencies (none withdraws it).
    Returns the caller's employee row."""
    require_planner(principal)
    if principal.employee_id is None:
        raise UserInputError.one(
            ("input", "competencyIds"), "only an employee offers to mentor", ErrorCode.INVALID_STATE
        )
    v = Validator()
    ids = list(dict.fromkeys(i for i in competency_ids if i is not INVALID))
    v.too_many(
        ("input", "competencyIds"), len(ids), MAX_MENTORING, f"at most {MAX_MENTORING} competencies"
    )
    found = await scale_of(db, ids)
    for i, cid in enumerate(ids):
        if cid not in found:
            v.add(("input", "competencyIds", str(i)), "no such competency", ErrorCode.NOT_FOUND)
    v.raise_if_any()
    me = principal.employee_id
    before = {r.competency_id for r in (await queries.mentoring_by_employee(db, [me]))[0]}
    await db.execute(
        delete(mentor_competencies).where(
            mentor_competencies.c.employee_id == me,
            mentor_competencies.c.competency_id.not_in(ids) if ids else true(),
        )
    )
    if ids:
        await db.execute(
            pg_insert(mentor_competencies)
            .values(
                [{"org_id": principal.org_id, "employee_id": me, "competency_id": c} for c in ids]
            )
            .on_conflict_do_nothing()
        )
    if before != set(ids):
        await audit.record(
            db,
            principal,
            "mentoring.update",
            "Employee",
            me,
            {"mentoring": {"from": sorted(map(str, before)), "to": sorted(map(str, ids))}},
        )
    return await people.get_employee(db, me)


# --- drafting from gaps ---------------------------------------------------------------------


async def draft_plan(
    db: Executor,
    principal: Principal,
    employee_id: uuid.UUID,
    target_role_id: uuid.UUID | None = None,
    *,
    title: str | None = None,
) -> Any:
    """Draft a development plan for ``employee_id`` toward ``target_role_id`` and return
    the new DRAFT plan's row.

    ``target_role_id`` defaults to the employee's next role (the first of their current
    role's next roles). ``principal`` must be allowed to edit the employee's plans (the
    employee, a manager above them, an HR admin, or the system principal of a domain acting
    on their behalf, e.g. mobility after an accepted move). ``title`` defaults to
    "Toward <role title>".

    The plan has one goal per top gap of the assessments' gap analysis against the role
    (``gap_rows`` and ``top_gaps`` of ``service.assessments.queries``; at most ``DRAFT_GOALS``, largest weight × gap first),
    each with the required level as its target, due ``DRAFT_GOAL_DAYS`` from today, and
    suggested actions mixing modalities: catalogue resources for the competency and
    levels to climb, a mentor (a colleague who opted in for the competency at or above the
    target, outside the employee's team when there is one) and a stretch assignment.
    Raises ``UserInputError`` (nothing written) for an unknown or unseen employee, an
    unknown role, or no role to aim at.
    """
    require_planner(principal)
    employee = await _employee(db, principal, employee_id, ("input", "employeeId"))
    v = Validator()
    if employee.status == EmployeeStatus.TERMINATED:
        v.add(("input", "employeeId"), "the employee has left", ErrorCode.INVALID_STATE)
    role = await framework.active_role(db, v, target_role_id, ("input", "targetRoleId"))
    v.raise_if_any()
    if role is None and target_role_id is None and employee.role_id is not None:
        moves = (await framework_queries.moves_from(db, [employee.role_id]))[0]
        following = next((m.to_role_id for m in moves if m.kind == "PROMOTION"), None)
        if following is not None:
            role = await framework_queries.one_by_id(db, roles, following)
    if role is None:
        raise UserInputError.one(
            ("input", "targetRoleId"),
            "the employee's role leads to no next role; name a target role",
            ErrorCode.REQUIRED,
        )
    rows = (await assessment_queries.gap_rows(db, rules_for(db), [(employee.id, role.id)]))[0]
    gaps = assessment_queries.top_gaps(rows, DRAFT_GOALS)
    start = today()
    plan = await _insert_plan(
        db,
        principal,
        employee,
        {
            "title": (title or f"Toward {role.title}")[:MAX_TITLE],
            "target_role_id": role.id,
            "starts_on": start,
            "ends_on": start + dt.timedelta(days=DRAFT_PLAN_DAYS),
        },
    )
    await _draft_goals(db, principal, plan, employee.id, gaps, start)
    return plan


async def _draft_goals(
    db: Executor,
    principal: Principal,
    plan: Any,
    employee_id: uuid.UUID,
    gaps: Sequence[tuple[Any, Any]],
    start: dt.date,
) -> None:
    if not gaps:
        return
    climbs = [(g.competency_id, int(g.current_level) + 1, g.required_level) for g, _ in gaps]
    resources = await queries.resources_for(db, climbs, DRAFT_RESOURCES)
    mentors = await queries.mentors_for(
        db,
        rules_for(db),
        employee_id,
        [(g.competency_id, g.required_level) for g, _ in gaps],
    )
    descriptors = await framework_queries.descriptors_by_competency(
        db, [g.competency_id for g, _ in gaps]
    )
    due = start + dt.timedelta(days=DRAFT_GOAL_DAYS)
    goal_values = [
        {
            "org_id": principal.org_id,
            "plan_id": plan.id,
            "position": i + 1,
            "title": f"Grow {c.name} to level {g.required_level}"[:MAX_TITLE],
            "description": (
                f"From level {g.current_level:g} to {g.required_level}, as the role expects."
            ),
            "competency_id": g.competency_id,
            "target_level": g.required_level,
            "due_on": due,
        }
        for i, (g, c) in enumerate(gaps)
    ]
    goal_rows = (
        await db.execute(insert(development_goals).returning(development_goals.c.id), goal_values)
    ).all()
    actions = []
    for goal, (g, c), described in zip(goal_rows, gaps, descriptors, strict=True):
        for r in resources.get(g.competency_id, []):
            kind = ActionKind.READING if r.kind == ResourceKind.READING else ActionKind.COURSE
            actions.append((goal.id, kind, r.title, r.url, r.id, None))
        mentor = mentors.get(g.competency_id)
        if mentor is not None:
            actions.append(
                (
                    goal.id,
                    ActionKind.MENTORING,
                    f"Mentoring on {c.name} with {mentor.name}",
                    None,
                    None,
                    mentor.employee_id,
                )
            )
        target = next((d.description for d in described if d.level == g.required_level), None)
        stretch = (
            f"Stretch assignment: take on work that needs {c.name} at level {g.required_level}"
        )
        if target:
            stretch += f" ({target})"
        actions.append((goal.id, ActionKind.STRETCH_ASSIGNMENT, stretch, None, None, None))
    positions: dict[uuid.UUID, int] = {}
    rows = []
    for goal_id, kind, title, url, resource_id, mentor_id in actions:
        positions[goal_id] = positions.get(goal_id, 0) + 1
        rows.append(
            {
                "org_id": principal.org_id,
                "goal_id": goal_id,
                "plan_id": plan.id,
                "position": positions[goal_id],
                "kind": kind.value,
                "title": title[:MAX_TITLE],
                "url": url,
                "resource_id": resource_id,
                "mentor_id": mentor_id,
                "due_on": due,
            }
        )
    await db.execute(insert(development_actions), rows)
    await audit.record(
        db,
        principal,
        "development_plan.draft",
        "DevelopmentPlan",
        plan.id,
        {"goals": {"to": len(goal_rows)}, "actions": {"to": len(rows)}},
    )


# --- the learning catalogue ---------------------------------------------------------------


def require_catalogue_writer(principal: Principal | None) -> Principal:
    """HR admins and HRIS integrations (a learning platform's sync) keep the catalogue."""
    return policies.require_any(principal, Scope.ADMIN, Scope.HRIS)


@dataclass
class ResourceCompetency:
    key: str
    min_level: int
    max_level: int


@dataclass
class ResourceRecord:
    external_id: str | None
    title: str | None
    kind: str
    url: str | None = None
    provider: str | None = None
    duration_minutes: int | None = None
    description: str | None = None
    archived: bool = False
    competencies: list[ResourceCompetency] = field(default_factory=list)


@dataclass
class ImportResult:
    external_id: str
    status: str  # CREATED, UPDATED, UNCHANGED
    row: Any


async def import_learning_resources(
    db: Executor, principal: Principal, records: Sequence[ResourceRecord]
) -> list[ImportResult]:
    """Create or update catalogue resources by external ID (a learning platform's sync):
    at most ``MAX_IMPORT`` per call, idempotent (sending the same records again changes
    nothing). All or nothing: any refused record refuses the call, each problem at its
    record's path."""
    require_catalogue_writer(principal)
    v = Validator()
    if len(records) > MAX_IMPORT:
        raise UserInputError.one(
            ("input", "resources"),
            f"at most {MAX_IMPORT} resources per call",
            ErrorCode.LIMIT_EXCEEDED,
        )
    keys = {c.key for r in records for c in r.competencies}
    comp_rows = (
        (
            await db.execute(
                select(competencies.c.id, competencies.c.key, competencies.c.scale_id).where(
                    competencies.c.key.in_(keys), competencies.c.archived_at.is_(None)
                )
            )
        ).all()
        if keys
        else []
    )
    by_key = {r.key: r for r in comp_rows}
    scales = await scale_of(db, [r.id for r in comp_rows])
    seen: dict[str, int] = {}
    cleaned = []
    for i, rec in enumerate(records):
        p = ("input", "resources", str(i))
        ext = v.text("externalId", rec.external_id, required=True, max_length=200, prefix=p)
        if ext and ext in seen:
            v.add((*p, "externalId"), f"repeats resources[{seen[ext]}]", ErrorCode.TAKEN)
        elif ext:
            seen[ext] = i
        title = v.text("title", rec.title, required=True, max_length=MAX_TITLE, prefix=p)
        url = v.text("url", rec.url, max_length=MAX_URL, prefix=p) or None
        provider = v.text("provider", rec.provider, max_length=MAX_TITLE, prefix=p) or None
        description = v.text("description", rec.description, max_length=MAX_TEXT, prefix=p) or None
        if rec.duration_minutes is not None and not 1 <= rec.duration_minutes <= 100000:
            v.add((*p, "durationMinutes"), "must be between 1 and 100000")
        v.too_many(
            (*p, "competencies"),
            len(rec.competencies),
            MAX_RESOURCE_COMPETENCIES,
            f"at most {MAX_RESOURCE_COMPETENCIES} competencies",
        )
        links: dict[uuid.UUID, tuple[int, int]] = {}
        for j, c in enumerate(rec.competencies):
            cp = (*p, "competencies", str(j))
            found = by_key.get(c.key)
            if found is None:
                v.add((*cp, "key"), f'no such competency "{c.key}"', ErrorCode.NOT_FOUND)
                continue
            if found.id in links:
                v.add((*cp, "key"), f'"{c.key}" is named twice')
            levels = scales[found.id].levels if found.id in scales else []
            for name, level in (("minLevel", c.min_level), ("maxLevel", c.max_level)):
                if level not in levels:
                    v.add((*cp, name), f'is not a level of the scale of "{c.key}"')
            if c.min_level > c.max_level:
                v.add((*cp, "maxLevel"), "is below minLevel")
            links[found.id] = (c.min_level, c.max_level)
        cleaned.append(
            (
                ext,
                {
                    "title": title,
                    "url": url,
                    "provider": provider,
                    "kind": rec.kind,
                    "duration_minutes": rec.duration_minutes,
                    "description": description,
                },
                rec.archived,
                links,
            )
        )
    v.raise_if_any()
    return await _upsert_resources(db, principal, cleaned)


Links = dict[uuid.UUID, tuple[int, int]]
RESOURCE_FIELDS = ("title", "url", "provider", "kind", "duration_minutes", "description")


async def _upsert_resources(
    db: Executor,
    principal: Principal,
    cleaned: list[tuple[Any, dict[str, Any], bool, Links]],
) -> list[ImportResult]:
    """Write the records that differ from what is stored, in set-based statements: one
    upsert (a concurrent import of the same external IDs meets ``ON CONFLICT``), one
    replacement of their competency links, one batch of audit events."""
    r, c = learning_resources.c, learning_resource_competencies.c
    ext_ids = [e for e, *_ in cleaned]
    existing = {
        row.external_id: row
        for row in (
            await db.execute(select(learning_resources).where(r.external_id.in_(ext_ids)))
        ).all()
    }
    links_before: dict[uuid.UUID, Links] = {}
    for row in (
        await db.execute(
            select(learning_resource_competencies).where(
                c.resource_id.in_([e.id for e in existing.values()])
            )
        )
    ).all():
        links_before.setdefault(row.resource_id, {})[row.competency_id] = (
            row.min_level,
            row.max_level,
        )
    statuses: dict[str, str] = {}
    changed = []
    for ext, values, archived, links in cleaned:
        before = existing.get(ext)
        wanted = {**values, "archived": archived}
        if before is None:
            statuses[ext] = "CREATED"
        elif {
            **{k: getattr(before, k) for k in values},
            "archived": before.archived_at is not None,
        } != wanted or links_before.get(before.id, {}) != links:
            statuses[ext] = "UPDATED"
        else:
            statuses[ext] = "UNCHANGED"
            continue
        changed.append(
            {
                "org_id": principal.org_id,
                "external_id": ext,
                **values,
                "archived_at": func.now() if archived else None,
            }
        )
    written: dict[str, Any] = {}
    if changed:
        stmt = pg_insert(learning_resources).values(changed)
        upsert = stmt.on_conflict_do_update(
            index_elements=["org_id", "external_id"],
            index_where=r.external_id.is_not(None),
            set_={
                **{k: stmt.excluded[k] for k in RESOURCE_FIELDS},
                # An archived resource that stays archived keeps its date.
                "archived_at": case(
                    (stmt.excluded.archived_at.is_(None), None),
                    else_=func.coalesce(r.archived_at, stmt.excluded.archived_at),
                ),
                "version": r.version + 1,
                "updated_at": func.now(),
            },
        ).returning(*learning_resources.c)
        written = {row.external_id: row for row in (await db.execute(upsert)).all()}
        ids = [row.id for row in written.values()]
        await db.execute(delete(learning_resource_competencies).where(c.resource_id.in_(ids)))
        link_rows = [
            {
                "org_id": principal.org_id,
                "resource_id": written[ext].id,
                "competency_id": cid,
                "min_level": low,
                "max_level": high,
            }
            for ext, _, _, links in cleaned
            if ext in written
            for cid, (low, high) in links.items()
        ]
        if link_rows:
            await db.execute(insert(learning_resource_competencies), link_rows)
        await audit.record_many(
            db,
            [
                audit.event(
                    principal,
                    f"learning_resource.{'create' if statuses[ext] == 'CREATED' else 'update'}",
                    "LearningResource",
                    row.id,
                    audit.diff(
                        dict(existing[ext]._mapping) if ext in existing else None,
                        {k: getattr(row, k) for k in RESOURCE_FIELDS},
                    ),
                )
                for ext, row in written.items()
            ],
        )
    return [
        ImportResult(ext, statuses[ext], written.get(ext) or existing[ext]) for ext, *_ in cleaned
    ]


async def complete_learning_action(
    db: Executor,
    principal: Principal,
    employee_external_id: str | None,
    resource_external_id: str | None,
    completed_on: dt.date | None = None,
) -> int:
    """A learning platform reports that an employee completed a resource: every open
    action of theirs using it, in a DRAFT or ACTIVE plan, becomes DONE. Returns how many;
    the caller learns nothing else of the plans."""
    require_catalogue_writer(principal)
    v = Validator()
    emp = v.text("employeeExternalId", employee_external_id, required=True)
    ext = v.text("resourceExternalId", resource_external_id, required=True)
    if completed_on is not None and completed_on > today():
        v.add(("input", "completedOn"), "is in the future")
    v.raise_if_any()
    employee = (
        await db.execute(select(employees.c.id).where(employees.c.external_id == emp))
    ).first()
    resource = (
        await db.execute(
            select(learning_resources.c.id).where(learning_resources.c.external_id == ext)
        )
    ).first()
    if employee is None:
        v.add(("input", "employeeExternalId"), "no such employee", ErrorCode.NOT_FOUND)
    if resource is None:
        v.add(("input", "resourceExternalId"), "no such learning resource", ErrorCode.NOT_FOUND)
    v.raise_if_any()
    assert employee is not None
    assert resource is not None
    a, p = development_actions.c, development_plans.c
    when = (
        dt.datetime.combine(completed_on, dt.time(12), tzinfo=dt.UTC)
        if completed_on
        else func.now()
    )
    done = (
        await db.execute(
            update(development_actions)
            .where(
                a.resource_id == resource.id,
                a.status.in_((ActionStatus.PLANNED.value, ActionStatus.IN_PROGRESS.value)),
                a.plan_id.in_(
                    select(p.id).where(
                        p.employee_id == employee.id, p.status.in_(OPEN_PLAN_STATUSES)
                    )
                ),
            )
            .values(
                status=ActionStatus.DONE.value,
                completed_at=when,
                version=a.version + 1,
                updated_at=func.now(),
            )
            .returning(a.id, a.goal_id, a.plan_id)
        )
    ).all()
    for row in done:
        await audit.record(
            db,
            principal,
            "development_action.complete",
            "DevelopmentAction",
            row.id,
            {"status": {"to": ActionStatus.DONE.value}, "resource_external_id": ext},
        )
    await progress.actions_changed(db, principal, [r.goal_id for r in done])
    for plan_id in {r.plan_id for r in done}:
        await _touch(db, development_plans, plan_id)
    return len(done)
