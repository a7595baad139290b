"""Read side of promotions: who sees which case, lists, DataLoader batch functions,
readiness history, the "passed over" view, time in role and succession plans.

**Who sees a case.** HR admins and HRIS integrations see every case; managers see the
cases of the people below them; a proposer sees the cases they proposed; an employee sees
their own *decided* cases (APPROVED, REJECTED, EFFECTIVE), and their proposed or
cancelled ones only when the organization's setting ``showOpenCasesToEmployee`` is on.
The justification, evidence and override reason are private career data: visible to the
admins, the managers above the employee, the proposer and (when the case is visible to
them) the employee; not to HRIS integrations.

**Readiness history.** ``readiness_snapshots`` holds, per employee and role held, their
readiness for the next role (the lowest-level promotion from the role, as in the team
matrix) each time it changed. Someone is *passed over* when, in their current role, every
snapshot since some moment at least ``minMonths`` ago is at or above ``minReadiness``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    any_,
    bindparam,
    column,
    false,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from service.assessments.queries import (
    NEXT_ROLE_SQL,
    READINESS_TERM_SQL,
    Rules,
    resolved_lateral,
    rules_for,
)
from service.auth import policies
from service.auth.principal import Principal
from service.db import Executor
from service.kit import batch_grouped, in_ids, loader_by_id
from service.people.models import employees
from service.people.queries import unit_subtree
from service.promotions.models import (
    DECIDED_STATUSES,
    promotion_settings,
    promotions,
    readiness_snapshots,
    succession_plans,
    successors,
)


@dataclass(frozen=True)
class PromotionSettings:
    """The organization's promotion settings (defaults until an admin changes them)."""

    require_second_approver: bool = False
    show_open_cases_to_employee: bool = False
    version: int = 0


SETTINGS = select(*promotion_settings.c)


async def settings(db: Executor) -> PromotionSettings:
    row = (await db.execute(SETTINGS)).first()
    if row is None:
        return PromotionSettings()
    return PromotionSettings(
        require_second_approver=row.require_second_approver,
        show_open_cases_to_employee=row.show_open_cases_to_employee,
        version=row.version,
    )


def _uuid_array(name: str, values: Sequence[uuid.UUID]) -> Any:
    return any_(bindparam(name, list(values), type_=ARRAY(UUID(as_uuid=True))))


def visible(principal: Principal, reach: policies.Reach, s: PromotionSettings) -> Any:
    """SQL condition: the cases the caller may see (see the module docstring)."""
    if policies.reads_whole_org(principal):
        return true()
    me = principal.employee_id
    if me is None:
        return false()
    own = promotions.c.employee_id == me
    if not s.show_open_cases_to_employee:
        own = and_(own, promotions.c.status.in_(DECIDED_STATUSES))
    others = [i for i in reach.private if i != me]
    conditions = [own, promotions.c.proposer_id == me]
    if others:
        conditions.append(promotions.c.employee_id == _uuid_array("reach_ids", others))
    return or_(*conditions)


def can_see(principal: Principal, reach: policies.Reach, s: PromotionSettings, row: Any) -> bool:
    """The same rule as ``visible``, for one case in hand."""
    if policies.reads_whole_org(principal):
        return True
    me = principal.employee_id
    if me is None:
        return False
    if row.proposer_id == me or (row.employee_id != me and row.employee_id in reach.private):
        return True
    return row.employee_id == me and (
        s.show_open_cases_to_employee or row.status in DECIDED_STATUSES
    )


def can_see_details(principal: Principal, reach: policies.Reach, row: Any) -> bool:
    """Justification, evidence and override reason of a case the caller sees."""
    if principal.employee_id is not None and row.proposer_id == principal.employee_id:
        return True
    return policies.can_see_private(reach, row.employee_id)


@dataclass(frozen=True)
class PromotionFilter:
    statuses: tuple[str, ...] = ()
    org_unit_id: uuid.UUID | None = None
    employee_id: uuid.UUID | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


def promotions_select(condition: Any, f: PromotionFilter) -> Select[Any]:
    """Cases meeting ``condition`` and the filter, newest first."""
    stmt = select(*promotions.c).where(condition)
    if f.statuses:
        stmt = stmt.where(promotions.c.status.in_(f.statuses))
    if f.employee_id is not None:
        stmt = stmt.where(promotions.c.employee_id == f.employee_id)
    if f.org_unit_id is not None:
        stmt = stmt.where(
            promotions.c.employee_id.in_(
                select(employees.c.id).where(
                    employees.c.org_unit_id.in_(unit_subtree(f.org_unit_id))
                )
            )
        )
    day = dt.timedelta(days=1)
    if f.created_from is not None:
        stmt = stmt.where(promotions.c.created_at >= f.created_from)
    if f.created_to is not None and f.created_to < dt.date.max:  # the last day bounds nothing
        stmt = stmt.where(promotions.c.created_at < f.created_to + day)
    if f.effective_from is not None:
        stmt = stmt.where(promotions.c.effective_date >= f.effective_from)
    if f.effective_to is not None:
        stmt = stmt.where(promotions.c.effective_date <= f.effective_to)
    return stmt.order_by(promotions.c.created_at.desc(), promotions.c.id)


PROMOTIONS_BY_EMPLOYEE = (
    select(*promotions.c)
    .where(in_ids(promotions.c.employee_id))
    .order_by(promotions.c.created_at.desc(), promotions.c.id)
)


promotions_by_id = loader_by_id(promotions)


async def promotions_by_employee(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    """Every case of each employee, newest first (callers filter by visibility)."""
    return await batch_grouped(db, PROMOTIONS_BY_EMPLOYEE, "employee_id", ids)


# --- time in role -------------------------------------------------------------------------

ROLE_SINCE_SQL = text(
    """
    select e.id as employee_id,
           coalesce((select ph.effective_date from position_history ph
                     where ph.employee_id = e.id and ph.role_id is not null
                       and ph.role_id is distinct from ph.previous_role_id
                     order by ph.effective_date desc, ph.created_at desc limit 1),
                    e.hire_date) as since
    from employees e
    where e.id = any(cast(:ids as uuid[])) and e.role_id is not null
    """
)


async def role_since(db: Executor, ids: Sequence[uuid.UUID]) -> list[dt.date | None]:
    """Since when each employee has held their current role: the latest role change in
    their position history, else their hire date; None without a role."""
    rows = (await db.execute(ROLE_SINCE_SQL, {"ids": list(set(ids))})).all()
    found = {r.employee_id: r.since for r in rows}
    return [found.get(i) for i in ids]


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (0 when ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


# --- readiness history --------------------------------------------------------------------

# Readiness of each employee of :ids for the next role of their current role, written when
# it differs from the latest snapshot for the same role held and target.
SNAPSHOT_SQL = text(
    f"""
    with emp as (
        select e.org_id, e.id as employee_id, e.role_id
        from employees e
        where e.id = any(cast(:ids as uuid[])) and e.role_id is not null
          and e.status <> 'TERMINATED'
    ), nxt as (
        {NEXT_ROLE_SQL.format(roles="select role_id from emp")}
    ), scored as (
        select emp.org_id, emp.employee_id, emp.role_id, nxt.role_id as target_role_id,
               round(cast(sum({READINESS_TERM_SQL}) / sum(x.weight) as numeric), 4)
                   as readiness
        from emp
        join nxt on nxt.from_role_id = emp.role_id
        join role_expectations x on x.role_id = nxt.role_id
        left join {resolved_lateral("emp.employee_id", "x.competency_id")} cur on true
        group by emp.org_id, emp.employee_id, emp.role_id, nxt.role_id
    )
    insert into readiness_snapshots
        (org_id, employee_id, role_id, target_role_id, readiness, taken_at)
    select s.org_id, s.employee_id, s.role_id, s.target_role_id, s.readiness,
           coalesce(cast(:taken_at as timestamptz), now())
    from scored s
    where not exists (
        select 1 from (
            select rs.readiness from readiness_snapshots rs
            where rs.employee_id = s.employee_id and rs.role_id = s.role_id
              and rs.target_role_id = s.target_role_id
            order by rs.taken_at desc limit 1
        ) latest
        where latest.readiness is not distinct from s.readiness
    )
    """  # noqa: S608
)


async def snapshot_readiness(
    db: Executor,
    rules: Rules,
    employee_ids: Sequence[uuid.UUID],
    taken_at: dt.datetime | None = None,
) -> None:
    """Record the current next-role readiness of ``employee_ids`` where it changed: one
    statement."""
    ids = sorted(set(employee_ids))
    if ids:
        await db.execute(SNAPSHOT_SQL, {"ids": ids, "taken_at": taken_at, **rules.params()})


async def record_readiness(
    db: Executor, employee_ids: Sequence[uuid.UUID], taken_at: dt.datetime | None = None
) -> None:
    """Snapshot the next-role readiness of ``employee_ids`` where it changed. Called
    whenever their proficiencies or their role change."""
    await snapshot_readiness(db, rules_for(db), employee_ids, taken_at)


HISTORY_BY_EMPLOYEE = (
    select(*readiness_snapshots.c)
    .select_from(
        readiness_snapshots.join(
            employees,
            and_(
                employees.c.id == readiness_snapshots.c.employee_id,
                employees.c.role_id == readiness_snapshots.c.role_id,
            ),
        )
    )
    .where(in_ids(readiness_snapshots.c.employee_id))
    .order_by(readiness_snapshots.c.employee_id, readiness_snapshots.c.taken_at)
)


async def readiness_history(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    """Each employee's snapshots in their current role, oldest first."""
    return await batch_grouped(db, HISTORY_BY_EMPLOYEE, "employee_id", ids)


# --- passed over --------------------------------------------------------------------------


@dataclass(frozen=True)
class PassedOverFilter:
    min_readiness: float
    min_months: int
    org_unit_id: uuid.UUID | None = None


# Per active employee with a role: the moment since which every snapshot in that role is at
# or above :min_readiness (after the last one below it), if that run reaches today.
PASSED_OVER_SQL = """
    with emp as (
        select e.id, e.role_id from employees e
        where e.status = 'ACTIVE' and e.role_id is not null {unit_filter}
    ), snaps as (
        select s.employee_id, s.taken_at, s.readiness, s.target_role_id,
               max(s.taken_at) filter (where coalesce(s.readiness, 0) < :min_readiness)
                   over (partition by s.employee_id) as last_below
        from readiness_snapshots s
        join emp on emp.id = s.employee_id and emp.role_id = s.role_id
    ), runs as (
        select employee_id, min(taken_at) as since,
               (array_agg(readiness order by taken_at desc))[1] as readiness,
               (array_agg(target_role_id order by taken_at desc))[1] as target_role_id
        from snaps
        where last_below is null or taken_at > last_below
        group by employee_id
    )
    select runs.employee_id as id, runs.since, cast(runs.readiness as float8) as readiness,
           runs.target_role_id, e.name
    from runs join employees e on e.id = runs.employee_id
    where cast(runs.since as date)
          <= cast(cast(:today as date) - make_interval(months => :min_months) as date)
"""


def passed_over_select(f: PassedOverFilter, today: dt.date) -> Select[Any]:
    unit_filter = ""
    params: dict[str, Any] = {
        "min_readiness": f.min_readiness,
        "min_months": f.min_months,
        "today": today,
    }
    if f.org_unit_id is not None:
        unit_filter = (
            "and e.org_unit_id in (with recursive units(id) as ("
            "select id from org_units where id = :org_unit_id union "
            "select u.id from org_units u join units on u.parent_id = units.id) "
            "select id from units)"
        )
        params["org_unit_id"] = f.org_unit_id
    found = (
        text(PASSED_OVER_SQL.format(unit_filter=unit_filter))
        .bindparams(**params)
        .columns(
            column("id"),
            column("since"),
            column("readiness"),
            column("target_role_id"),
            column("name"),
        )
        .subquery("passed_over")
    )
    return select(*found.c).order_by(found.c.since, found.c.name, found.c.id)


# --- succession ---------------------------------------------------------------------------


def plans_select(include_archived: bool) -> Select[Any]:
    stmt = select(*succession_plans.c)
    if not include_archived:
        stmt = stmt.where(succession_plans.c.archived_at.is_(None))
    criticality = text(
        "array_position(array['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'], succession_plans.criticality)"
    )
    return stmt.order_by(criticality, succession_plans.c.created_at, succession_plans.c.id)


SUCCESSORS_BY_PLAN = (
    select(*successors.c)
    .where(in_ids(successors.c.plan_id))
    .order_by(
        successors.c.plan_id,
        text(
            "array_position(array['READY_NOW', 'ONE_TO_TWO_YEARS', 'THREE_PLUS_YEARS'], "
            "successors.readiness)"
        ),
        successors.c.created_at,
        successors.c.employee_id,
    )
)


plans_by_id = loader_by_id(succession_plans)


async def successors_by_plan(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    """Each plan's successors, ready now first."""
    return await batch_grouped(db, SUCCESSORS_BY_PLAN, "plan_id", ids)
