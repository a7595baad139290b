"""Read side of development: rows by ID, DataLoader batch functions, the visibility of
plans, the team's plans, the learning catalogue, completion figures, and what drafting
a plan looks up (catalogue resources and mentors for a competency).

**Progress.** A goal's progress is 0–100: what its editors report, raised by the share of
its actions done, and 100 once achieved. A plan's progress is the mean progress of its
goals that are not dropped (0 without goals). A goal is *overdue* when it is open and its
due date has passed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    false,
    func,
    literal,
    select,
    text,
    true,
)

from service.assessments.queries import Rules, resolved_lateral
from service.auth.policies import Reach
from service.db import Executor
from service.development.models import (
    GoalStatus,
    development_actions,
    development_check_ins,
    development_goals,
    development_plans,
    learning_resource_competencies,
    learning_resources,
    mentor_competencies,
)
from service.kit import batch_by_key, batch_grouped, in_ids, loader_by_id, loader_grouped, matching
from service.people.models import employees

plans_by_id = loader_by_id(development_plans)
goals_by_id = loader_by_id(development_goals)
actions_by_id = loader_by_id(development_actions)
check_ins_by_id = loader_by_id(development_check_ins)
resources_by_id = loader_by_id(learning_resources)


MENTORS = select(employees.c.id, employees.c.name, employees.c.title).where(in_ids(employees.c.id))


async def mentors_by_id(db: Executor, ids: Sequence[uuid.UUID]) -> list[Any | None]:
    """Mentors by employee ID, in order: their name and title, all a mentee sees."""
    return await batch_by_key(db, MENTORS, "id", ids)


class Mentor(NamedTuple):
    """A mentor as read with an action (``actions_by_goal``)."""

    id: uuid.UUID
    name: str
    title: str | None


#: Each plan's goals in their order.
goals_by_plan = loader_grouped(
    development_goals.c.plan_id, development_goals.c.position, development_goals.c.id
)
_ACTION, _MENTOR = development_actions.c, employees.c
ACTIONS_BY_GOAL = (
    select(
        development_actions,
        _MENTOR.name.label("mentor_name"),
        _MENTOR.title.label("mentor_title"),
    )
    .outerjoin(employees, _MENTOR.id == _ACTION.mentor_id)
    .where(in_ids(_ACTION.goal_id))
    .order_by(_ACTION.goal_id, _ACTION.position, _ACTION.id)
)


async def actions_by_goal(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    """Each goal's actions in their order, each with its mentor's name and title
    (``mentor_name``, ``mentor_title``: all a mentee sees of them), so the mentors of a
    page of actions cost no statement of their own."""
    return await batch_grouped(db, ACTIONS_BY_GOAL, "goal_id", ids)


#: Each plan's check-ins, newest first.
check_ins_by_plan = loader_grouped(
    development_check_ins.c.plan_id,
    development_check_ins.c.held_on.desc(),
    development_check_ins.c.created_at.desc(),
)
#: Each employee's plans, newest first.
plans_by_employee = loader_grouped(
    development_plans.c.employee_id, development_plans.c.created_at.desc(), development_plans.c.id
)
#: Each resource's competencies with the level range it helps with.
resource_competencies = loader_grouped(
    learning_resource_competencies.c.resource_id,
    learning_resource_competencies.c.min_level,
    learning_resource_competencies.c.competency_id,
)
#: The competencies each employee has offered to mentor.
mentoring_by_employee = loader_grouped(
    mentor_competencies.c.employee_id, mentor_competencies.c.created_at
)


# --- progress -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanStats:
    """A plan's progress and goal counts (see the module docstring)."""

    progress: int
    goals: int
    achieved: int
    overdue: int


def overdue(today: dt.date) -> ColumnElement[bool]:
    g = development_goals.c
    return and_(g.status == GoalStatus.OPEN.value, g.due_on < today)


def plan_stats(goals: Sequence[Any], today: dt.date) -> PlanStats:
    """Progress and counts of a plan from its goals' rows (``goals_by_plan``), so a plan
    read with its goals costs no statement more."""
    live = [g.progress for g in goals if g.status != GoalStatus.DROPPED.value]
    n = len(live)
    return PlanStats(
        # The mean rounded half up, as PostgreSQL's round(avg(...)) would.
        progress=(2 * sum(live) + n) // (2 * n) if n else 0,
        goals=n,
        achieved=sum(g.status == GoalStatus.ACHIEVED.value for g in goals),
        overdue=sum(is_overdue(g, today) for g in goals),
    )


def is_overdue(goal: Any, today: dt.date) -> bool:
    """``overdue(today)`` for a goal's row in hand: open with its due date passed."""
    return goal.status == GoalStatus.OPEN.value and goal.due_on is not None and goal.due_on < today


# --- visibility and lists -----------------------------------------------------------------


def visible_plans(reach: Reach) -> ColumnElement[bool]:
    """Plans the caller may see: private career data (``policies.can_see_private``)."""
    if reach.admin:
        return true()
    if not reach.private:
        return false()
    return development_plans.c.employee_id.in_(sorted(reach.private))


@dataclass(frozen=True)
class TeamFilter:
    """Whose plans a team view lists: everyone below ``manager_id`` (or only direct
    reports), in the given statuses, optionally only plans with overdue goals."""

    manager_id: uuid.UUID
    direct_only: bool = False
    statuses: tuple[str, ...] = ("DRAFT", "ACTIVE")
    overdue_only: bool = False


TEAM_SQL = text(
    """
    with recursive below as (
        select id, 1 as depth from employees where manager_id = :manager
        union all
        select e.id, b.depth + 1 from below b cross join lateral (
            select id from employees where manager_id = b.id offset 0) e
        where not :direct_only
    )
    select id from below
    """
).columns(id=employees.c.id.type)


def team_plans_select(f: TeamFilter, today: dt.date) -> Select[Any]:
    """The plans of the people below a manager, by employee name then newest first."""
    p, e, g = development_plans.c, employees.c, development_goals.c
    below = TEAM_SQL.bindparams(manager=f.manager_id, direct_only=f.direct_only).subquery("below")
    stmt = (
        select(development_plans)
        .join(employees, e.id == p.employee_id)
        .where(p.employee_id.in_(select(below.c.id)))
        .where(p.status.in_(f.statuses))
        .order_by(e.name, e.id, p.created_at.desc(), p.id)
    )
    if f.overdue_only:
        stmt = stmt.where(select(literal(1)).where(g.plan_id == p.id, overdue(today)).exists())
    return stmt


def employee_plans_select(employee_id: uuid.UUID) -> Select[Any]:
    p = development_plans.c
    return (
        select(development_plans)
        .where(p.employee_id == employee_id)
        .order_by(p.created_at.desc(), p.id)
    )


def catalogue_select(
    competency_id: uuid.UUID | None,
    level: int | None,
    search: str | None,
    include_archived: bool = False,
) -> Select[Any]:
    """Learning resources, by title: those developing ``competency_id`` (at ``level``:
    within the level range they help with), matching ``search`` in title or provider."""
    r, c = learning_resources.c, learning_resource_competencies.c
    stmt = select(learning_resources).order_by(r.title, r.id)
    if not include_archived:
        stmt = stmt.where(r.archived_at.is_(None))
    if competency_id is not None or level is not None:
        cond = [c.resource_id == r.id]
        if competency_id is not None:
            cond.append(c.competency_id == competency_id)
        if level is not None:
            cond += [c.min_level <= level, c.max_level >= level]
        stmt = stmt.where(select(literal(1)).where(*cond).exists())
    if search:
        stmt = stmt.where(matching(search, r.title, r.provider))
    return stmt


# --- drafting ----------------------------------------------------------------------------


async def resources_for(
    db: Executor, wants: Sequence[tuple[uuid.UUID, int, int]], per_competency: int
) -> dict[uuid.UUID, list[Any]]:
    """For each (competency, from level, to level): up to ``per_competency`` active
    resources developing it whose level range overlaps the climb, closest fit first. One
    statement."""
    if not wants:
        return {}
    stmt = text(
        """
        select w.competency_id, r.*
        from unnest(cast(:competencies as uuid[]), cast(:lows as int[]), cast(:highs as int[]))
             as w(competency_id, low, high)
        cross join lateral (
            select r.*
            from learning_resource_competencies c
            join learning_resources r on r.id = c.resource_id and r.archived_at is null
            where c.competency_id = w.competency_id
              and c.min_level <= w.high and c.max_level >= w.low
            order by abs(c.max_level - w.high) + abs(c.min_level - w.low), r.title, r.id
            limit :n
        ) r
        """
    )
    rows = (
        await db.execute(
            stmt,
            {
                "competencies": [w[0] for w in wants],
                "lows": [w[1] for w in wants],
                "highs": [w[2] for w in wants],
                "n": per_competency,
            },
        )
    ).all()
    out: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        out.setdefault(row.competency_id, []).append(row)
    return out


MENTORS_SQL = text(
    f"""
    select w.competency_id, m.employee_id, m.name, m.title, m.level, m.outside
    from unnest(cast(:competencies as uuid[]), cast(:targets as int[])) as w(competency_id, target)
    cross join lateral (
        select e.id as employee_id, e.name, e.title, cur.level,
               not (e.manager_id is not distinct from me.manager_id
                    or e.id = me.manager_id or e.manager_id = me.id) as outside
        from mentor_competencies mc
        join employees e on e.id = mc.employee_id and e.status <> 'TERMINATED'
        cross join (select id, manager_id from employees where id = :employee) me
        join {resolved_lateral("e.id", "mc.competency_id")} cur on true
        where mc.competency_id = w.competency_id and e.id <> me.id
          and cur.level >= w.target
        order by outside desc, cur.level desc, e.name, e.id
        limit 1
    ) m
    """  # noqa: S608
)


async def mentors_for(
    db: Executor, rules: Rules, employee_id: uuid.UUID, wants: Sequence[tuple[uuid.UUID, int]]
) -> dict[uuid.UUID, Any]:
    """For each (competency, target level): the best colleague who opted in to mentor it
    and whose current level is at least the target, preferring people outside the
    employee's team (their manager, peers under the same manager, their own reports).
    One statement."""
    if not wants:
        return {}
    rows = (
        await db.execute(
            MENTORS_SQL,
            {
                "competencies": [w[0] for w in wants],
                "targets": [w[1] for w in wants],
                "employee": employee_id,
                **rules.params(),
            },
        )
    ).all()
    return {r.competency_id: r for r in rows}


# --- completion figures ----------------------------------------------------------------


async def completion_by_org_unit(
    db: Executor, start: dt.date, end: dt.date, org_unit_id: uuid.UUID | None
) -> list[Any]:
    """Per org unit of the employees: goals due in [start, end] (not dropped) and how many
    of them are achieved. One statement."""
    g, p, e = development_goals.c, development_plans.c, employees.c
    due = and_(g.due_on >= start, g.due_on <= end, g.status != GoalStatus.DROPPED.value)
    stmt = (
        select(
            e.org_unit_id,
            func.count().label("due"),
            func.count().filter(g.status == GoalStatus.ACHIEVED.value).label("completed"),
        )
        .select_from(development_goals)
        .join(development_plans, p.id == g.plan_id)
        .join(employees, e.id == p.employee_id)
        .where(due, p.status != "ARCHIVED")
        .group_by(e.org_unit_id)
        .order_by(e.org_unit_id)
    )
    if org_unit_id is not None:
        stmt = stmt.where(e.org_unit_id == org_unit_id)
    return list((await db.execute(stmt)).all())
