"""Read side of the people domain: filtered selects and DataLoader batch functions."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, any_, bindparam, or_, select, true
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from service.auth.policies import Reach
from service.db import Executor
from service.people.models import employees, org_units, position_history

EMPLOYEE_COLUMNS = [c for c in employees.c]


@dataclass(frozen=True)
class EmployeeFilter:
    org_unit_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    status: str | None = None
    search: str | None = None
    role_id: uuid.UUID | None = None
    updated_since: dt.datetime | None = None


def listable(reach: Reach) -> Any:
    """A SQL condition limiting employees to those the caller reaches in full: everyone for
    admins, else the caller and (managers) their reports. The management chain above the
    caller is reachable by name through ``manager`` but is not listed."""
    if reach.everyone:
        return true()
    # One array parameter, whatever the reach's size (asyncpg takes at most 32,767 binds).
    return employees.c.id == any_(
        bindparam("reach_ids", list(reach.private), type_=ARRAY(UUID(as_uuid=True)))
    )


def employees_select(reach: Reach, f: EmployeeFilter) -> Select[Any]:
    stmt = select(*EMPLOYEE_COLUMNS).where(listable(reach))
    if f.org_unit_id is not None:
        stmt = stmt.where(employees.c.org_unit_id == f.org_unit_id)
    if f.manager_id is not None:
        stmt = stmt.where(employees.c.manager_id == f.manager_id)
    if f.status is not None:
        stmt = stmt.where(employees.c.status == f.status)
    if f.role_id is not None:
        stmt = stmt.where(employees.c.role_id == f.role_id)
    if f.updated_since is not None:
        stmt = stmt.where(employees.c.updated_at >= f.updated_since)
    if f.search:
        pattern = "%" + f.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(employees.c.name.ilike(pattern), employees.c.email.ilike(pattern)))
    return stmt.order_by(employees.c.name, employees.c.id)


def _ids() -> Any:
    """One array parameter ``ids`` for a batch of keys: the statement is the same whatever
    the batch's size, so it is compiled and prepared once."""
    return any_(bindparam("ids", type_=ARRAY(UUID(as_uuid=True))))


EMPLOYEES_BY_ID = select(*EMPLOYEE_COLUMNS).where(employees.c.id == _ids())
ORG_UNITS_BY_ID = select(org_units).where(org_units.c.id == _ids())
POSITION_HISTORY_BY_EMPLOYEE = (
    select(position_history)
    .where(position_history.c.employee_id == _ids())
    .order_by(position_history.c.effective_date.desc(), position_history.c.created_at.desc())
)


async def employees_by_id(db: Executor, ids: Sequence[uuid.UUID]) -> list[Any | None]:
    rows = (await db.execute(EMPLOYEES_BY_ID, {"ids": list(set(ids))})).all()
    found = {r.id: r for r in rows}
    return [found.get(i) for i in ids]


async def visible_by_id(db: Any, ids: Sequence[uuid.UUID]) -> list[Any | None]:
    """Employees by ID, None for those the caller may not see at all
    (``Reach.sees_profile``), through the request's loader (``db.loader``, ``db.reach``):
    people are loaded only when visible."""
    reach = await db.reach()
    visible = [i for i in ids if reach.sees_profile(i)]
    found = dict(zip(visible, await db.loader(employees_by_id).load_many(visible), strict=True))
    return [found.get(i) for i in ids]


async def org_units_by_id(db: Executor, ids: Sequence[uuid.UUID]) -> list[Any | None]:
    rows = (await db.execute(ORG_UNITS_BY_ID, {"ids": list(set(ids))})).all()
    found = {r.id: r for r in rows}
    return [found.get(i) for i in ids]


async def position_history_by_employee(
    db: Executor, employee_ids: Sequence[uuid.UUID]
) -> list[list[Any]]:
    rows = (await db.execute(POSITION_HISTORY_BY_EMPLOYEE, {"ids": list(set(employee_ids))})).all()
    grouped: dict[uuid.UUID, list[Any]] = {}
    for r in rows:
        grouped.setdefault(r.employee_id, []).append(r)
    return [grouped.get(i, []) for i in employee_ids]


def org_units_select() -> Select[Any]:
    return select(org_units).order_by(org_units.c.name, org_units.c.id)
