"""Read side of the people domain: filtered selects and DataLoader batch functions."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, any_, bindparam, or_, select, text, true
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from service.auth.policies import Reach
from service.db import Executor
from service.kit import batch_by_key, batch_grouped, in_ids, loader_by_id, matching, where_given
from service.people.models import (
    EmployeeStatus,
    employees,
    org_units,
    people_settings,
    position_history,
)

EMPLOYEE_COLUMNS = [c for c in employees.c]


@dataclass(frozen=True)
class EmployeeFilter:
    org_unit_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    status: str | None = None
    search: str | None = None
    role_id: uuid.UUID | None = None
    updated_since: dt.datetime | None = None


def listable(reach: Reach, *, directory: bool = True) -> Any:
    """A SQL condition limiting employees to those the caller may list: everyone for
    admins; else the caller and (managers) their reports, and with the directory open
    (and ``directory``) everyone still employed. The management chain above the caller is
    reachable by name through ``manager`` but is not listed for its own sake."""
    if reach.everyone:
        return true()
    # One array parameter, whatever the reach's size (asyncpg takes at most 32,767 binds).
    own = employees.c.id == any_(
        bindparam("reach_ids", list(reach.private), type_=ARRAY(UUID(as_uuid=True)))
    )
    if directory and reach.directory:
        return or_(own, employees.c.status != EmployeeStatus.TERMINATED.value)
    return own


def employees_select(reach: Reach, f: EmployeeFilter) -> Select[Any]:
    """Employees the caller may list, filtered. Conditions on fields the directory does
    not show (status, ``updatedSince``, email) apply to the people whose record the caller
    sees: they never tell anything about someone seen through the directory alone."""
    own = listable(reach, directory=False)
    detail_filter = f.status is not None or f.updated_since is not None
    stmt = select(*EMPLOYEE_COLUMNS).where(own if detail_filter else listable(reach))
    stmt = where_given(
        stmt,
        (employees.c.org_unit_id, f.org_unit_id),
        (employees.c.manager_id, f.manager_id),
        (employees.c.status, f.status),
        (employees.c.role_id, f.role_id),
    )
    if f.updated_since is not None:
        stmt = stmt.where(employees.c.updated_at >= f.updated_since)
    if f.search:
        by_email = matching(f.search, employees.c.email)
        stmt = stmt.where(
            or_(
                matching(f.search, employees.c.name, employees.c.title),
                by_email if reach.everyone else and_(by_email, own),
            )
        )
    return stmt.order_by(employees.c.name, employees.c.id)


EMPLOYEES_BY_ID = select(*EMPLOYEE_COLUMNS).where(in_ids(employees.c.id))
POSITION_HISTORY_BY_EMPLOYEE = (
    select(position_history)
    .where(in_ids(position_history.c.employee_id))
    .order_by(position_history.c.effective_date.desc(), position_history.c.created_at.desc())
)


async def employees_by_id(db: Executor, ids: Sequence[uuid.UUID]) -> list[Any | None]:
    return await batch_by_key(db, EMPLOYEES_BY_ID, "id", ids)


async def reachable_by_id(db: Any, ids: Sequence[uuid.UUID]) -> list[Any | None]:
    """Employees by ID within the caller's reach (``Reach.sees_profile``), the directory
    aside: for relations whose domain shows people only to those who reach them."""
    reach = await db.reach()
    visible = [i for i in ids if reach.sees_profile(i)]
    found = dict(zip(visible, await db.loader(employees_by_id).load_many(visible), strict=True))
    return [found.get(i) for i in ids]


async def visible_by_id(db: Any, ids: Sequence[uuid.UUID]) -> list[Any | None]:
    """Employees by ID, None for those the caller may not see at all
    (``Reach.sees_directory``), through the request's loader (``db.loader``, ``db.reach``):
    people are loaded only when visible."""
    reach = await db.reach()
    shown = reach.in_directory_view(ids)
    rows = await db.loader(employees_by_id).load_many([i for i in ids if i in shown])
    found = {r.id: r for r in in_directory_rows(reach, [r for r in rows if r is not None])}
    return [found.get(i) for i in ids]


def in_directory(reach: Reach, row: Any) -> bool:
    """Whether a loaded employee ``row`` is visible by name: in the caller's reach, or
    in the open directory while employed."""
    if reach.sees_profile(row.id):
        return True
    return reach.directory and row.status != EmployeeStatus.TERMINATED.value


def in_directory_rows(reach: Reach, rows: Iterable[Any]) -> list[Any]:
    """Those of the loaded employee ``rows`` that ``in_directory`` holds for, in order (all
    of them for a caller who sees everyone)."""
    if reach.everyone:
        return list(rows)
    return [r for r in rows if in_directory(reach, r)]


org_units_by_id = loader_by_id(org_units)


async def position_history_by_employee(
    db: Executor, employee_ids: Sequence[uuid.UUID]
) -> list[list[Any]]:
    return await batch_grouped(db, POSITION_HISTORY_BY_EMPLOYEE, "employee_id", employee_ids)


UNIT_SUBTREE = text(
    """
    with recursive units(id) as (
        select id from org_units where id = :org_unit_id
        union
        select u.id from org_units u join units on u.parent_id = units.id
    ) select id from units
    """
).columns(org_units.c.id)


def unit_subtree(org_unit_id: uuid.UUID) -> Select[Any]:
    """The IDs of an org unit and of every unit below it."""
    units = UNIT_SUBTREE.bindparams(org_unit_id=org_unit_id).subquery()
    return select(units.c.id)


UNIT_WITHIN_SQL = text(
    """
    with recursive up as (
        select id, parent_id from org_units where id = :unit
        union
        select u.id, u.parent_id from org_units u join up on u.id = up.parent_id
    )
    select exists (select 1 from up where id = :ancestor)
    """
)


async def unit_is_within(db: Executor, unit_id: uuid.UUID, ancestor_id: uuid.UUID) -> bool:
    """Whether ``unit_id`` is ``ancestor_id`` or lies below it."""
    result = await db.execute(UNIT_WITHIN_SQL, {"unit": unit_id, "ancestor": ancestor_id})
    return bool(result.scalar())


def org_units_select() -> Select[Any]:
    return select(org_units).order_by(org_units.c.name, org_units.c.id)


# --- settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PeopleSettings:
    """An organization's people settings (the defaults when it has none stored)."""

    directory_visible: bool = True
    version: int = 0
    updated_at: dt.datetime | None = None


PEOPLE_SETTINGS = select(people_settings)


async def people_settings_of(db: Executor) -> PeopleSettings:
    """The caller's organization's people settings."""
    row = (await db.execute(PEOPLE_SETTINGS)).first()
    if row is None:
        return PeopleSettings()
    return PeopleSettings(row.directory_visible, row.version, row.updated_at)


def holders_select(reach: Reach) -> Select[Any]:
    """Employees holding a role today (not terminated) whom the caller may list, without
    order or role condition (``role_holders`` pages them per role)."""
    return (
        employees_select(reach, EmployeeFilter())
        .order_by(None)
        .where(employees.c.status != EmployeeStatus.TERMINATED.value)
    )
