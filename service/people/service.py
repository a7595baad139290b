"""Use cases of the people domain: org units and employees, with their position history."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, text, update

from service.audit import service as audit
from service.auth import policies
from service.auth.principal import Principal
from service.db import Executor
from service.entities import insert_row, write_settings
from service.errors import ErrorCode, FieldError, UserInputError, Validator
from service.framework import queries as framework_queries
from service.framework.models import roles
from service.framework.queries import role_level_ranks
from service.kit import NOT_GIVEN, active_row, check_version, given, update_versioned
from service.people import events as people_events
from service.people.models import (
    EmployeeStatus,
    PositionChangeKind,
    employees,
    org_units,
    people_settings,
    position_history,
)
from service.people.queries import (
    EMPLOYEE_COLUMNS,
    PeopleSettings,
    people_settings_of,
    unit_is_within,
)
from service.promotions import queries as promotion_queries

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class OrgUnitInput:
    name: str | None = None
    external_id: str | None = None
    parent_id: uuid.UUID | None = None


@dataclass
class EmployeeInput:
    """Fields of an employee; in updates ``NOT_GIVEN`` means "leave as is"."""

    email: Any = NOT_GIVEN
    name: Any = NOT_GIVEN
    title: Any = NOT_GIVEN
    external_id: Any = NOT_GIVEN
    auth_subject: Any = NOT_GIVEN
    org_unit_id: Any = NOT_GIVEN
    manager_id: Any = NOT_GIVEN
    location: Any = NOT_GIVEN
    hire_date: Any = NOT_GIVEN
    status: Any = NOT_GIVEN
    role_id: Any = NOT_GIVEN
    extra: dict[str, Any] = field(default_factory=dict)


def _require_writer(principal: Principal) -> None:
    policies.require_people_writer(principal)


# --- org units --------------------------------------------------------------------------


async def create_org_unit(
    db: Executor,
    principal: Principal,
    data: OrgUnitInput,
    *,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Add an org unit. ``input_errors``: malformed IDs found while reading the request
    (their fields hold ``INVALID``), reported with the other problems."""
    _require_writer(principal)
    v = Validator(input_errors)
    name = v.text("name", data.name, required=True, max_length=200)
    external_id = v.text("externalId", data.external_id, max_length=200) or None
    parent_id = data.parent_id
    if given(parent_id) and parent_id is not None and not await _exists(db, org_units, parent_id):
        v.add(("input", "parentId"), "no such org unit", ErrorCode.NOT_FOUND)
    if external_id and await _taken(db, org_units.c.external_id, external_id):
        v.add(
            ("input", "externalId"),
            f'"{external_id}" is already used by another org unit',
            ErrorCode.TAKEN,
        )
    v.raise_if_any()
    values = {"name": name, "external_id": external_id, "parent_id": data.parent_id}
    return await insert_row(db, principal, org_units, values, "org_unit.create", "OrgUnit")


async def update_org_unit(
    db: Executor,
    principal: Principal,
    unit_id: uuid.UUID,
    data: OrgUnitInput,
    *,
    set_parent: bool,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Rename, re-key or move an org unit; ``set_parent`` says whether ``parent_id`` was
    given. ``input_errors`` as for ``create_org_unit``."""
    _require_writer(principal)
    before = (await db.execute(select(org_units).where(org_units.c.id == unit_id))).first()
    if before is None:
        raise UserInputError.one(("input", "id"), "no such org unit", ErrorCode.NOT_FOUND)
    v = Validator(input_errors)
    changes: dict[str, Any] = {}
    if data.name is not None:
        changes["name"] = v.text("name", data.name, required=True, max_length=200)
    if data.external_id is not None:
        ext = v.text("externalId", data.external_id, max_length=200) or None
        if ext and ext != before.external_id and await _taken(db, org_units.c.external_id, ext):
            v.add(
                ("input", "externalId"),
                f'"{ext}" is already used by another org unit',
                ErrorCode.TAKEN,
            )
        changes["external_id"] = ext
    if set_parent and given(data.parent_id):
        parent = data.parent_id
        if parent is not None:
            if not await _exists(db, org_units, parent):
                v.add(("input", "parentId"), "no such org unit", ErrorCode.NOT_FOUND)
            elif await unit_is_within(db, parent, unit_id):
                v.add(("input", "parentId"), "would put the unit inside itself", ErrorCode.CYCLE)
        changes["parent_id"] = parent
    v.raise_if_any()
    if not changes:
        return before
    row = (
        await db.execute(
            update(org_units)
            .where(org_units.c.id == unit_id)
            .values(**changes, updated_at=func.now())
            .returning(*org_units.c)
        )
    ).one()
    await audit.record(
        db,
        principal,
        "org_unit.update",
        "OrgUnit",
        unit_id,
        audit.diff(dict(before._mapping), changes),
    )
    return row


# --- employees --------------------------------------------------------------------------


async def get_employee(db: Executor, employee_id: uuid.UUID) -> Any | None:
    return (
        await db.execute(select(*EMPLOYEE_COLUMNS).where(employees.c.id == employee_id))
    ).first()


async def active_employee(
    db: Executor, v: Validator, employee_id: uuid.UUID, path: tuple[str, ...]
) -> Any | None:
    """The employee a reference names, when they exist and have not left; else None, with
    the problem in ``v`` at ``path``."""
    employee = await get_employee(db, employee_id)
    if employee is None:
        v.add(path, "no such employee", ErrorCode.NOT_FOUND)
        return None
    if employee.status == EmployeeStatus.TERMINATED:
        v.add(path, "the employee has left", ErrorCode.INVALID_STATE)
        return None
    return employee


async def _employee_to_change(
    db: Executor, principal: Principal, employee_id: uuid.UUID, expected_version: int | None
) -> Any:
    """The employee an HR writer is about to change, at the version they read."""
    _require_writer(principal)
    current = await get_employee(db, employee_id)
    if current is None:
        raise UserInputError.one(("input", "id"), "no such employee", ErrorCode.NOT_FOUND)
    check_version(current, expected_version, "employee")
    return current


async def create_employee(
    db: Executor,
    principal: Principal,
    data: EmployeeInput,
    *,
    effective: dt.date | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Add an employee. ``input_errors`` (e.g. malformed IDs found while parsing the
    request) are reported together with this function's own checks."""
    _require_writer(principal)
    values = await _validated(db, data, creating=True, current=None, input_errors=input_errors)
    values.setdefault("status", EmployeeStatus.ACTIVE.value)
    row = (
        await db.execute(
            insert(employees).values(org_id=principal.org_id, **values).returning(*EMPLOYEE_COLUMNS)
        )
    ).one()
    await _record_position(
        db,
        principal,
        row,
        PositionChangeKind.HIRE,
        effective or row.hire_date or dt.date.today(),
        None,
    )
    await audit.record(
        db, principal, "employee.create", "Employee", row.id, audit.diff(None, values)
    )
    return row


async def update_employee(
    db: Executor,
    principal: Principal,
    employee_id: uuid.UUID,
    data: EmployeeInput,
    *,
    expected_version: int | None = None,
    effective: dt.date | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    current = await _employee_to_change(db, principal, employee_id, expected_version)
    values = await _validated(db, data, creating=False, current=current, input_errors=input_errors)
    values = {k: v for k, v in values.items() if getattr(current, k) != v}
    if not values:
        return current
    written = await update_versioned(
        db,
        employees,
        employee_id,
        values,
        expected_version=expected_version,
        what="employee",
        returning=EMPLOYEE_COLUMNS,
    )
    # History and audit describe the row as it was when locked, not as first read.
    before, changed = written.before, written.changed(values)
    kind = await _position_change_kind(db, changed, before.role_id)
    row = written.after
    if kind is not None:
        await _record_position(db, principal, row, kind, effective or dt.date.today(), before)
    if kind is not None and "role_id" in changed:
        await people_events.employee_role_changed(
            db,
            principal,
            people_events.role_changed_data(
                row.id, row.role_id, before.role_id, kind.value, effective or dt.date.today()
            ),
        )
        await promotion_queries.record_readiness(db, [row.id])
    await audit.record(
        db, principal, "employee.update", "Employee", employee_id, audit.diff(before, changed)
    )
    return row


async def _position_change_kind(
    db: Executor, values: dict[str, Any], previous_role_id: uuid.UUID | None
) -> PositionChangeKind | None:
    ranks: dict[uuid.UUID, int] = {}
    if values.get("role_id") is not None and previous_role_id is not None:
        ranks = await role_level_ranks(db, [previous_role_id, values["role_id"]])
    return position_change_kind(values, previous_role_id, ranks)


def position_change_kind(
    values: Mapping[str, Any], previous_role_id: uuid.UUID | None, ranks: Mapping[uuid.UUID, int]
) -> PositionChangeKind | None:
    """How an update is recorded in position history; a role change (e.g. from an HRIS
    sync) is a promotion, demotion or lateral move by the ranks of the two roles' levels
    (``ranks``: level rank by role ID)."""
    if "role_id" in values and values["role_id"] is not None and previous_role_id is not None:
        before, after = ranks.get(previous_role_id), ranks.get(values["role_id"])
        if before is not None and after is not None and after != before:
            return PositionChangeKind.PROMOTION if after > before else PositionChangeKind.DEMOTION
        return PositionChangeKind.LATERAL_MOVE
    if "role_id" in values:
        return PositionChangeKind.LATERAL_MOVE
    if "org_unit_id" in values:
        return PositionChangeKind.TRANSFER
    if "manager_id" in values:
        return PositionChangeKind.MANAGER_CHANGE
    return None


async def terminate_employee(
    db: Executor,
    principal: Principal,
    employee_id: uuid.UUID,
    termination_date: dt.date,
    reason: str | None,
    new_manager_id: uuid.UUID | None,
    *,
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Terminate an employee, moving their reports to ``new_manager_id`` when given.
    ``input_errors``: malformed IDs found while reading the request (their fields hold
    ``INVALID``), reported with the other problems."""
    current = await _employee_to_change(db, principal, employee_id, expected_version)
    v = Validator(input_errors)
    reason = v.text("reason", reason, max_length=2000) or None
    if current.status == EmployeeStatus.TERMINATED:
        v.add(("input", "id"), "the employee is already terminated", ErrorCode.INVALID_STATE)
    if current.hire_date and termination_date < current.hire_date:
        v.add(("input", "terminationDate"), "is before the hire date", ErrorCode.INVALID)
    reports = (
        (await db.execute(select(employees.c.id).where(employees.c.manager_id == employee_id)))
        .scalars()
        .all()
    )
    if not given(new_manager_id):
        new_manager_id = None  # malformed: already among the problems
    if new_manager_id is not None:
        target = await get_employee(db, new_manager_id)
        if target is None:
            v.add(("input", "newManagerId"), "no such employee", ErrorCode.NOT_FOUND)
        elif new_manager_id == employee_id or target.status == EmployeeStatus.TERMINATED:
            v.add(
                ("input", "newManagerId"), "must be an active employee other than the one leaving"
            )
    v.raise_if_any()
    written = await update_versioned(
        db,
        employees,
        employee_id,
        {
            "status": EmployeeStatus.TERMINATED.value,
            "termination_date": termination_date,
            "termination_reason": reason,
        },
        expected_version=expected_version,
        what="employee",
        returning=EMPLOYEE_COLUMNS,
    )
    current, row = written.before, written.after
    if current.status == EmployeeStatus.TERMINATED:  # a concurrent termination got there first
        raise UserInputError.one(
            ("input", "id"), "the employee is already terminated", ErrorCode.INVALID_STATE
        )
    await _record_position(
        db, principal, row, PositionChangeKind.TERMINATION, termination_date, current
    )
    await people_events.employee_terminated(db, principal, row.id, termination_date)
    for report_id in reports if new_manager_id is not None else []:
        if report_id == new_manager_id:
            continue
        await update_employee(
            db,
            principal,
            report_id,
            EmployeeInput(manager_id=new_manager_id),
            effective=termination_date,
        )
    await audit.record(
        db,
        principal,
        "employee.terminate",
        "Employee",
        employee_id,
        audit.diff(
            current,
            {
                "status": "TERMINATED",
                "termination_date": termination_date,
                "termination_reason": reason,
            },
        ),
    )
    return row


async def _record_position(
    db: Executor,
    principal: Principal,
    row: Any,
    kind: PositionChangeKind,
    effective: dt.date,
    previous: Any | None,
    *,
    source_type: str | None = None,
    source_id: uuid.UUID | None = None,
    note: str | None = None,
) -> None:
    await db.execute(
        insert(position_history).values(
            org_id=principal.org_id,
            employee_id=row.id,
            kind=kind.value,
            effective_date=effective,
            role_id=row.role_id,
            previous_role_id=previous.role_id if previous is not None else None,
            org_unit_id=row.org_unit_id,
            previous_org_unit_id=previous.org_unit_id if previous is not None else None,
            manager_id=row.manager_id,
            previous_manager_id=previous.manager_id if previous is not None else None,
            title=row.title,
            source_type=source_type,
            source_id=source_id,
            note=note,
        )
    )


record_position = _record_position


async def _validated(
    db: Executor,
    data: EmployeeInput,
    *,
    creating: bool,
    current: Any | None,
    input_errors: Sequence[FieldError] = (),
) -> dict[str, Any]:
    """Check every given field at once; return the column values to write."""
    v = Validator(input_errors)
    out: dict[str, Any] = {}
    own_id = current.id if current is not None else None

    if creating or data.email is not NOT_GIVEN:
        email = v.text(
            "email",
            data.email if data.email is not NOT_GIVEN else None,
            required=True,
            max_length=320,
        )
        if email and not EMAIL_RE.match(email):
            v.add(("input", "email"), "is not an email address")
        elif email and await _taken(db, func.lower(employees.c.email), email.lower(), own_id):
            v.add(
                ("input", "email"),
                f'"{email}" is already used by another employee',
                ErrorCode.TAKEN,
            )
        out["email"] = email
    if creating or data.name is not NOT_GIVEN:
        out["name"] = v.text(
            "name", data.name if data.name is not NOT_GIVEN else None, required=True
        )
    for attr, name, limit in (("title", "title", 200), ("location", "location", 200)):
        value = getattr(data, attr)
        if value is not NOT_GIVEN:
            out[attr] = v.text(name, value, max_length=limit) or None
    for attr, name, column in (
        ("external_id", "externalId", employees.c.external_id),
        ("auth_subject", "authSubject", employees.c.auth_subject),
    ):
        value = getattr(data, attr)
        if value is NOT_GIVEN:
            continue
        cleaned = v.text(name, value, max_length=255) or None
        if cleaned and await _taken(db, column, cleaned, own_id):
            v.add(
                ("input", name), f'"{cleaned}" is already used by another employee', ErrorCode.TAKEN
            )
        out[attr] = cleaned
    if given(data.org_unit_id):
        if data.org_unit_id is not None and not await _exists(db, org_units, data.org_unit_id):
            v.add(("input", "orgUnitId"), "no such org unit", ErrorCode.NOT_FOUND)
        out["org_unit_id"] = data.org_unit_id
    if given(data.manager_id):
        manager_id = data.manager_id
        if manager_id is not None:
            manager = await get_employee(db, manager_id)
            if manager is None:
                v.add(("input", "managerId"), "no such employee", ErrorCode.NOT_FOUND)
            elif manager.status == EmployeeStatus.TERMINATED:
                v.add(
                    ("input", "managerId"),
                    "the manager has been terminated",
                    ErrorCode.INVALID_STATE,
                )
            elif own_id is not None and (
                manager_id == own_id or await policies.is_above(db, own_id, manager_id)
            ):
                v.add(("input", "managerId"), "would create a reporting cycle", ErrorCode.CYCLE)
        out["manager_id"] = manager_id
        if current is not None and current.pending_manager_external_id is not None:
            out["pending_manager_external_id"] = None  # set by hand: no longer waiting
    if data.status is not NOT_GIVEN:
        if data.status == EmployeeStatus.TERMINATED:
            v.add(
                ("input", "status"),
                "use terminateEmployee to terminate an employee",
                ErrorCode.INVALID,
            )
        elif current is not None and current.status == EmployeeStatus.TERMINATED:
            v.add(
                ("input", "status"),
                "a terminated employee cannot change status",
                ErrorCode.INVALID_STATE,
            )
        out["status"] = data.status
    if data.hire_date is not NOT_GIVEN:
        hire = data.hire_date
        if hire is not None and hire > dt.date.today() + dt.timedelta(days=366):
            v.add(("input", "hireDate"), "is more than a year in the future")
        if hire is not None and hire < dt.date(1900, 1, 1):
            v.add(("input", "hireDate"), "is before 1900")
        out["hire_date"] = hire
    if given(data.role_id):
        role_id = data.role_id
        if role_id is not None and not (current is not None and role_id == current.role_id):
            role = await framework_queries.one_by_id(db, roles, role_id)
            active_row(v, ("input", "roleId"), role, "role")
        out["role_id"] = role_id
    v.raise_if_any()
    return out


async def _exists(db: Executor, table: Any, row_id: uuid.UUID) -> bool:
    return (await db.execute(select(table.c.id).where(table.c.id == row_id))).first() is not None


async def _taken(db: Executor, column: Any, value: Any, own_id: uuid.UUID | None = None) -> bool:
    """Whether another row of the column's table (employees for expressions) has ``value``."""
    table = getattr(column, "table", employees)
    stmt = select(table.c.id).where(column == value)
    if own_id is not None:
        stmt = stmt.where(table.c.id != own_id)
    return (await db.execute(stmt)).first() is not None


# --- settings ---------------------------------------------------------------------------

_SETTINGS_ROW = text(
    "insert into people_settings (org_id) values (:org_id) on conflict (org_id) do nothing"
)


async def update_people_settings(
    db: Executor, principal: Principal, *, directory_visible: Any = NOT_GIVEN
) -> PeopleSettings:
    """Change the organization's people settings (HR admins), audited when something
    changes. Concurrent changes queue on the settings row, so the audit log tells the
    story in order."""
    policies.require_admin(principal)
    if directory_visible is None:
        raise UserInputError.one(
            ("input", "directoryVisible"), "must be true or false", ErrorCode.REQUIRED
        )
    await db.execute(_SETTINGS_ROW, {"org_id": principal.org_id})
    before = (await db.execute(select(people_settings).with_for_update())).one()
    changes = {}
    if directory_visible is not NOT_GIVEN and directory_visible != before.directory_visible:
        changes["directory_visible"] = bool(directory_visible)
    if changes:
        await write_settings(
            db,
            principal,
            people_settings,
            {"directory_visible": before.directory_visible},
            changes,
            "people_settings.update",
            "PeopleSettings",
        )
    return await people_settings_of(db)


# --- organizations ----------------------------------------------------------------------

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


async def create_organization(db: Executor, slug: str, name: str) -> uuid.UUID:
    """Register a tenant. Not exposed over GraphQL: organizations are created by operators."""
    if not SLUG_RE.match(slug) or len(slug) > 64:
        raise UserInputError.one("slug", "must be lowercase letters, digits and dashes")
    from service.people.models import organizations

    existing = (
        await db.execute(select(organizations.c.id).where(organizations.c.slug == slug))
    ).scalar()
    if existing is not None:
        raise UserInputError.one("slug", f'"{slug}" is already taken', ErrorCode.TAKEN)
    return (
        await db.execute(
            insert(organizations).values(slug=slug, name=name).returning(organizations.c.id)
        )
    ).scalar_one()
