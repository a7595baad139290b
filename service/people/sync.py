"""HRIS sync: bulk, idempotent, ordering-free upserts of org units and employees.

An HRIS (Workday, BambooHR, Personio, HiBob, a custom job) sends batches of records keyed
by its own IDs (``externalId``). One call:

1. takes the organization's sync lock, so concurrent syncs of one organization run one
   after the other (the second sees what the first wrote and reports it UNCHANGED);
2. reads the current org units / employees, the referenced units and roles, in a few
   statements whatever the batch size;
3. checks every record in Python against the state the whole batch would leave: a
   manager may come after their reports, references resolve at the end, reporting
   cycles are refused per record;
4. writes the differences set-based: one INSERT of the new rows (``ON CONFLICT DO
   NOTHING``: a row that appeared concurrently refuses the call), one version-checked
   UPDATE of the changed ones, one INSERT of position history and one of audit events;
   ``employee.role_changed`` events go through the people service's emitter.

A record equal to what is stored is UNCHANGED and writes nothing: no version bump, no
history, no audit. With ``atomic`` (the default) nothing is written when any record
fails; without it, the records that fail are left out (and so are references to them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from service.audit import service as audit
from service.auth import policies
from service.auth.principal import Principal
from service.db import Executor
from service.errors import ErrorCode, FieldError, UserInputError
from service.framework import queries as framework_queries
from service.kit import NOT_GIVEN
from service.people import events as people_events
from service.people.models import EmployeeStatus, PositionChangeKind, employees, org_units
from service.people.queries import EMPLOYEE_COLUMNS
from service.people.service import EMAIL_RE, position_change_kind

#: Most records one sync call accepts (org units or employees).
MAX_RECORDS = 1000
#: The reason recorded for employees a FULL sync terminates.
MISSING_REASON = "Missing from a full HRIS sync"
#: The ``source_type`` of position history and events a sync writes.
SOURCE_TYPE = "HrisSync"
_LOCK_KEY = 7_314_001  # first half of the advisory lock of an organization's syncs
_EMPLOYEE_TEXT_LIMITS = {"name": 200, "title": 200, "email": 320, "auth_subject": 255}
_CAMEL = {
    "external_id": "externalId",
    "auth_subject": "authSubject",
    "org_unit_external_id": "orgUnitExternalId",
    "manager_external_id": "managerExternalId",
    "role_key": "roleKey",
    "hire_date": "hireDate",
    "parent_external_id": "parentExternalId",
}


class SyncMode(StrEnum):
    PARTIAL = "PARTIAL"
    FULL = "FULL"


class SyncRecordStatus(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    TERMINATED = "TERMINATED"
    ERROR = "ERROR"


@dataclass
class RecordResult:
    """What happened to one record (or would have, when the call was not applied)."""

    external_id: str | None
    status: SyncRecordStatus
    errors: list[FieldError] = field(default_factory=list)
    id: uuid.UUID | None = None
    #: Problems that did not refuse the record, e.g. a manager not synced yet (PENDING).
    notices: list[FieldError] = field(default_factory=list)


@dataclass
class SyncOutcome:
    """The answer of one sync call."""

    results: list[RecordResult]
    applied: bool
    errors: list[FieldError] = field(default_factory=list)
    replayed: bool = False

    def count(self, status: SyncRecordStatus) -> int:
        return sum(1 for r in self.results if r.status == status)

    def to_json(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "errors": [_error_json(e) for e in self.errors],
            "results": [
                {
                    "external_id": r.external_id,
                    "status": r.status.value,
                    "id": str(r.id) if r.id else None,
                    "errors": [_error_json(e) for e in r.errors],
                    "notices": [_error_json(e) for e in r.notices],
                }
                for r in self.results
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, replayed: bool) -> SyncOutcome:
        return cls(
            results=[
                RecordResult(
                    r["external_id"],
                    SyncRecordStatus(r["status"]),
                    [_error_from(e) for e in r["errors"]],
                    uuid.UUID(r["id"]) if r["id"] else None,
                    [_error_from(e) for e in r.get("notices", [])],
                )
                for r in data["results"]
            ],
            applied=data["applied"],
            errors=[_error_from(e) for e in data["errors"]],
            replayed=replayed,
        )


def _error_json(e: FieldError) -> dict[str, Any]:
    return {"field": list(e.field), "message": e.message, "code": e.code.value}


def _error_from(data: Mapping[str, Any]) -> FieldError:
    return FieldError(tuple(data["field"]), data["message"], ErrorCode(data["code"]))


# --- the call's frame: lock, idempotency, limits --------------------------------------


async def _lock(db: Executor, org_id: uuid.UUID) -> None:
    """Serialize the syncs of one organization until the transaction ends."""
    await db.execute(
        text("select pg_advisory_xact_lock(:k, hashtext(:org))"),
        {"k": _LOCK_KEY, "org": str(org_id)},
    )


def request_hash(operation: str, value: Any) -> str:
    """A digest of a call's decoded input, to tell a retry from a different request."""
    return hashlib.sha256(
        orjson.dumps([operation, _plain(value)], option=orjson.OPT_SORT_KEYS, default=str)
    ).hexdigest()


def _plain(value: Any) -> Any:
    if value is NOT_GIVEN:
        return {"~": "not given"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "__dict__"):
        return {k: _plain(v) for k, v in vars(value).items()}
    return value


_IDEMPOTENCY_READ = text(
    """
    select operation, request_hash, response from sync_requests
     where idempotency_key = :key and created_at > now() - make_interval(hours => :hours)
    """
)
_IDEMPOTENCY_WRITE = text(
    """
    insert into sync_requests (org_id, idempotency_key, operation, request_hash, response)
    values (:org_id, :key, :operation, :hash, cast(:response as jsonb))
    on conflict (org_id, idempotency_key) do update
       set operation = excluded.operation, request_hash = excluded.request_hash,
           response = excluded.response, created_at = now()
    """
)


@dataclass(frozen=True)
class Idempotency:
    """An ``Idempotency-Key`` and the digest of the request it came with."""

    key: str
    request_hash: str
    hours: int = 24


def _check_key(key: str) -> None:
    if not key.strip() or len(key) > 255 or not key.isprintable():
        raise UserInputError.one(
            ("headers", "Idempotency-Key"), "must be 1 to 255 printable characters"
        )


async def _framed(
    db: Executor,
    principal: Principal,
    operation: str,
    size: int,
    idempotency: Idempotency | None,
    body: Any,
) -> SyncOutcome:
    """Authorize, lock, replay a retried call or run ``body`` and remember its answer."""
    policies.require_people_writer(principal)
    if idempotency is not None:
        _check_key(idempotency.key)
    if size > MAX_RECORDS:
        raise UserInputError.one(
            ("input", "employees" if operation == "syncEmployees" else "units"),
            f"at most {MAX_RECORDS} records per call (got {size}); send several batches",
            ErrorCode.LIMIT_EXCEEDED,
        )
    await _lock(db, principal.org_id)
    if idempotency is not None:
        seen = (
            await db.execute(
                _IDEMPOTENCY_READ, {"key": idempotency.key, "hours": idempotency.hours}
            )
        ).first()
        if seen is not None:
            if seen.operation != operation or seen.request_hash != idempotency.request_hash:
                raise UserInputError.one(
                    ("headers", "Idempotency-Key"),
                    "this Idempotency-Key was used for a different request; "
                    "use a new key for new data",
                    ErrorCode.CONFLICT,
                )
            return SyncOutcome.from_json(seen.response, replayed=True)
    outcome: SyncOutcome = await body()
    if idempotency is not None and outcome.applied:
        await db.execute(
            _IDEMPOTENCY_WRITE,
            {
                "org_id": principal.org_id,
                "key": idempotency.key,
                "operation": operation,
                "hash": idempotency.request_hash,
                "response": orjson.dumps(outcome.to_json()).decode(),
            },
        )
    return outcome


# --- shared helpers -------------------------------------------------------------------


class _Errors:
    """Field errors per record index, with paths into the input list."""

    def __init__(self, list_name: str) -> None:
        self.list_name = list_name
        self.by_index: dict[int, list[FieldError]] = {}

    def add(self, i: int, attr: str, message: str, code: ErrorCode = ErrorCode.INVALID) -> None:
        path = ("input", self.list_name, str(i), _CAMEL.get(attr, attr))
        self.by_index.setdefault(i, []).append(FieldError(path, message, code))

    def text(
        self, i: int, attr: str, value: Any, *, required: bool, limit: int
    ) -> str | Any | None:
        """A trimmed string (``NOT_GIVEN`` passes through), checked for presence and length."""
        if value is NOT_GIVEN or value is None:
            if required:
                self.add(i, attr, "is required", ErrorCode.REQUIRED)
            return value
        cleaned = str(value).strip()
        if required and not cleaned:
            self.add(i, attr, "must not be blank", ErrorCode.REQUIRED)
        if len(cleaned) > limit:
            self.add(i, attr, f"is longer than {limit} characters", ErrorCode.TOO_LONG)
        return cleaned or None

    def __contains__(self, i: int) -> bool:
        return i in self.by_index


def _external_ids(records: Sequence[Any], errors: _Errors) -> list[str | None]:
    """Each record's cleaned external ID; duplicates in the batch are errors on each."""
    ids = [
        errors.text(i, "external_id", r.external_id, required=True, limit=255)
        for i, r in enumerate(records)
    ]
    seen: dict[str, list[int]] = {}
    for i, ext in enumerate(ids):
        if isinstance(ext, str) and ext:
            seen.setdefault(ext, []).append(i)
    for ext, where in seen.items():
        if len(where) > 1:
            for i in where:
                errors.add(
                    i,
                    "external_id",
                    f'"{ext}" appears {len(where)} times in this batch',
                    ErrorCode.CONFLICT,
                )
    return [e if isinstance(e, str) else None for e in ids]


def _cycle_members(
    parent_of: Mapping[uuid.UUID, uuid.UUID | None], starts: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of ``starts`` that are their own ancestor in ``parent_of``."""
    found: set[uuid.UUID] = set()
    for start in starts:
        seen: set[uuid.UUID] = set()
        node = parent_of.get(start)
        while node is not None and node not in seen:
            if node == start:
                found.add(start)
                break
            seen.add(node)
            node = parent_of.get(node)
    return found


_JSON_ROWS = "jsonb_to_recordset(cast(:rows as jsonb))"


def _json_rows(rows: list[dict[str, Any]]) -> str:
    return orjson.dumps(rows, default=str).decode()


def _results(
    external_ids: Sequence[str | None],
    statuses: Mapping[int, SyncRecordStatus],
    errors: _Errors,
    ids: Mapping[int, uuid.UUID],
    notices: _Errors | None = None,
) -> list[RecordResult]:
    return [
        RecordResult(
            ext,
            SyncRecordStatus.ERROR if i in errors else statuses[i],
            errors.by_index.get(i, []),
            None if i in errors else ids.get(i),
            [] if notices is None or i in errors else notices.by_index.get(i, []),
        )
        for i, ext in enumerate(external_ids)
    ]


def _refused(failed: int, total: int, list_name: str) -> FieldError:
    return FieldError(
        ("input", list_name),
        f"{failed} of {total} records have errors; nothing was written (atomic)",
        ErrorCode.INVALID,
    )


# --- org units ------------------------------------------------------------------------

_UNIT_INSERT = text(  # fixed text, values are bound
    f"""
    insert into org_units (id, org_id, external_id, name, parent_id)
    select r.id, :org_id, r.external_id, r.name, r.parent_id
      from {_JSON_ROWS} as r(id uuid, external_id text, name text, parent_id uuid)
    on conflict do nothing
    returning id
    """  # noqa: S608
)
_UNIT_UPDATE = text(  # fixed text, values are bound
    f"""
    update org_units u set name = r.name, parent_id = r.parent_id, updated_at = now()
      from {_JSON_ROWS} as r(id uuid, name text, parent_id uuid)
     where u.id = r.id
    returning u.id
    """  # noqa: S608
)


async def sync_org_units(
    db: Executor,
    principal: Principal,
    records: Sequence[Any],
    *,
    atomic: bool = True,
    idempotency: Idempotency | None = None,
) -> SyncOutcome:
    """Upsert org units by ``external_id``; records have ``external_id``, ``name`` and
    ``parent_external_id`` (``NOT_GIVEN`` leaves a field as it is)."""

    async def body() -> SyncOutcome:
        return await _sync_units(db, principal, records, atomic=atomic)

    return await _framed(db, principal, "syncOrgUnits", len(records), idempotency, body)


async def _sync_units(
    db: Executor, principal: Principal, records: Sequence[Any], *, atomic: bool
) -> SyncOutcome:
    errors = _Errors("units")
    ext_ids = _external_ids(records, errors)
    rows = (await db.execute(select(org_units))).all()
    by_ext = {r.external_id: r for r in rows if r.external_id}
    names = [
        errors.text(
            i,
            "name",
            r.name,
            required=r.name is not NOT_GIVEN or by_ext.get(ext_ids[i]) is None,
            limit=200,
        )
        for i, r in enumerate(records)
    ]
    new_ids = {i: uuid.uuid4() for i in range(len(records))}

    while True:
        failed = set(errors.by_index)
        ids = {
            i: (by_ext[ext].id if ext in by_ext else new_ids[i])
            for i, ext in enumerate(ext_ids)
            if ext is not None and i not in failed
        }
        in_batch = {str(ext_ids[i]): ids[i] for i in ids}
        parent_of = {r.id: r.parent_id for r in rows}
        finals: dict[int, dict[str, Any]] = {}
        for i, row_id in ids.items():
            r, current = records[i], by_ext.get(ext_ids[i])
            final = {
                "id": row_id,
                "external_id": ext_ids[i],
                "name": names[i] if names[i] is not NOT_GIVEN or current is None else current.name,
                "parent_id": current.parent_id if current is not None else None,
            }
            if r.parent_external_id is not NOT_GIVEN:
                parent_ext = (r.parent_external_id or "").strip() or None
                if parent_ext is None:
                    final["parent_id"] = None
                elif parent_ext in in_batch:
                    final["parent_id"] = in_batch[parent_ext]
                elif parent_ext in by_ext:
                    final["parent_id"] = by_ext[parent_ext].id
                else:
                    errors.add(
                        i,
                        "parent_external_id",
                        f'no org unit "{parent_ext}" here or in this batch',
                        ErrorCode.NOT_FOUND,
                    )
                    continue
            finals[i] = final
            parent_of[row_id] = final["parent_id"]
        moved = {finals[i]["id"]: i for i in finals}
        for unit_id in _cycle_members(parent_of, moved):
            errors.add(
                moved[unit_id],
                "parent_external_id",
                "would put the unit inside itself",
                ErrorCode.CYCLE,
            )
        if atomic or set(errors.by_index) == failed:
            break

    statuses: dict[int, SyncRecordStatus] = {}
    inserts, updates, audits = [], [], []
    for i, final in finals.items():
        current = by_ext.get(ext_ids[i])
        if current is None:
            statuses[i] = SyncRecordStatus.CREATED
            inserts.append(final)
            audits.append(
                ("org_unit.create", "OrgUnit", final["id"], audit.diff(None, _audited(final)))
            )
            continue
        changed = {k: v for k, v in final.items() if getattr(current, k) != v}
        statuses[i] = SyncRecordStatus.UPDATED if changed else SyncRecordStatus.UNCHANGED
        if changed:
            updates.append(final)
            audits.append(
                (
                    "org_unit.update",
                    "OrgUnit",
                    final["id"],
                    audit.diff(dict(current._mapping), changed),
                )
            )
    results = _results(ext_ids, statuses, errors, ids)
    if errors.by_index and atomic:
        return SyncOutcome(results, False, [_refused(len(errors.by_index), len(records), "units")])
    await _write_all(db, _UNIT_INSERT, inserts, "units", principal.org_id)
    await _write_all(db, _UNIT_UPDATE, updates, "units")
    await audit.record_many(db, [audit.event(principal, *a) for a in audits])
    return SyncOutcome(results, True)


async def _write_all(
    db: Executor,
    statement: Any,
    rows: list[dict[str, Any]],
    list_name: str,
    org_id: uuid.UUID | None = None,
) -> None:
    """Run one set-based write over ``rows``; a row it could not write (taken or changed
    by someone else meanwhile) refuses the whole call, so nothing is half-written."""
    if not rows:
        return
    written = (await db.execute(statement, {"rows": _json_rows(rows), "org_id": org_id})).all()
    if len(written) != len(rows):
        raise UserInputError.one(
            ("input", list_name),
            "some records were changed by someone else while this sync ran; nothing was "
            "written, send the batch again",
            ErrorCode.CONFLICT,
        )


# --- employees ------------------------------------------------------------------------

_EMPLOYEE_COLS = (
    "name text, email text, title text, auth_subject text, org_unit_id uuid, manager_id uuid,"
    " role_id uuid, hire_date date, status text, termination_date date,"
    " termination_reason text, pending_manager_external_id text"
)
_EMPLOYEE_SET = (
    "name",
    "email",
    "title",
    "auth_subject",
    "org_unit_id",
    "manager_id",
    "role_id",
    "hire_date",
    "status",
    "termination_date",
    "termination_reason",
    "pending_manager_external_id",
)
_EMPLOYEE_INSERT = text(  # fixed text, values are bound
    f"""
    insert into employees (id, org_id, external_id, {", ".join(_EMPLOYEE_SET)})
    select r.id, :org_id, r.external_id, {", ".join("r." + c for c in _EMPLOYEE_SET)}
      from {_JSON_ROWS} as r(id uuid, external_id text, {_EMPLOYEE_COLS})
    on conflict do nothing
    returning id
    """  # noqa: S608
)
_EMPLOYEE_UPDATE = text(  # fixed text, values are bound
    f"""
    update employees e
       set {", ".join(f"{c} = r.{c}" for c in _EMPLOYEE_SET)},
           version = e.version + 1, updated_at = now()
      from {_JSON_ROWS} as r(id uuid, version integer, {_EMPLOYEE_COLS})
     where e.id = r.id and e.version = r.version
    returning e.id
    """  # noqa: S608
)
_HISTORY_INSERT = text(  # fixed text, values are bound
    f"""
    insert into position_history (org_id, employee_id, kind, effective_date, role_id,
        previous_role_id, org_unit_id, previous_org_unit_id, manager_id, previous_manager_id,
        title, source_type, note)
    select :org_id, r.employee_id, r.kind, r.effective_date, r.role_id, r.previous_role_id,
           r.org_unit_id, r.previous_org_unit_id, r.manager_id, r.previous_manager_id,
           r.title, :source_type, r.note
      from {_JSON_ROWS} as r(employee_id uuid, kind text, effective_date date, role_id uuid,
           previous_role_id uuid, org_unit_id uuid, previous_org_unit_id uuid, manager_id uuid,
           previous_manager_id uuid, title text, note text)
    """  # noqa: S608
)


@dataclass
class _Lookups:
    units: dict[str, uuid.UUID]
    roles: dict[str, Any]  # key → row(id, key, rank, archived_at)


async def _lookups(db: Executor, records: Sequence[Any]) -> _Lookups:
    unit_keys = {
        str(r.org_unit_external_id).strip()
        for r in records
        if r.org_unit_external_id not in (NOT_GIVEN, None)
    }
    role_keys = {str(r.role_key).strip() for r in records if r.role_key not in (NOT_GIVEN, None)}
    units: dict[str, uuid.UUID] = {}
    if unit_keys:
        found = await db.execute(
            select(org_units.c.external_id, org_units.c.id).where(
                org_units.c.external_id.in_(sorted(unit_keys))
            )
        )
        units = {r.external_id: r.id for r in found}
    roles = await framework_queries.roles_by_key(db, sorted(role_keys)) if role_keys else {}
    return _Lookups(units, roles)


def _parse_date(errors: _Errors, i: int, value: Any) -> Any:
    if value is NOT_GIVEN or value is None:
        return value
    try:
        parsed = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(i, "hire_date", "is not a date (YYYY-MM-DD)")
        return NOT_GIVEN
    if parsed < dt.date(1900, 1, 1):
        errors.add(i, "hire_date", "is before 1900")
    elif parsed > dt.date.today() + dt.timedelta(days=366):
        errors.add(i, "hire_date", "is more than a year in the future")
    return parsed


async def sync_employees(
    db: Executor,
    principal: Principal,
    records: Sequence[Any],
    *,
    mode: SyncMode = SyncMode.PARTIAL,
    atomic: bool = True,
    force: bool = False,
    max_termination_share: float = 0.1,
    idempotency: Idempotency | None = None,
    today: dt.date | None = None,
) -> SyncOutcome:
    """Upsert employees by ``external_id`` (see the module docstring). Records have the
    attributes of ``EmployeeSyncRecord`` by Python name; ``NOT_GIVEN`` leaves a field as it
    is. FULL also terminates employees with an external ID missing from ``records``,
    refusing when they are more than ``max_termination_share`` of those employees unless
    ``force``."""

    async def body() -> SyncOutcome:
        return await _sync_employees(
            db,
            principal,
            records,
            mode=mode,
            atomic=atomic,
            force=force,
            max_share=max_termination_share,
            today=today or dt.date.today(),
        )

    return await _framed(db, principal, "syncEmployees", len(records), idempotency, body)


def _final_state(
    i: int,
    r: Any,
    current: Any | None,
    row_id: uuid.UUID,
    ext: str,
    cleaned: Mapping[str, Any],
    look: _Lookups,
    errors: _Errors,
    today: dt.date,
) -> dict[str, Any]:
    """The row a record leaves (without its manager, resolved later)."""
    final: dict[str, Any] = {"id": row_id, "external_id": ext}
    for column in _EMPLOYEE_SET:
        final[column] = getattr(current, column) if current is not None else None
    if current is None:
        final["status"] = EmployeeStatus.ACTIVE.value
    for attr, value in cleaned.items():
        if value is not NOT_GIVEN:
            final[attr] = value
    if r.org_unit_external_id is not NOT_GIVEN:
        key = (r.org_unit_external_id or "").strip() or None
        if key is not None and key not in look.units:
            errors.add(i, "org_unit_external_id", f'no org unit "{key}"', ErrorCode.NOT_FOUND)
        final["org_unit_id"] = look.units.get(key) if key else None
    if r.role_key is not NOT_GIVEN:
        key = (r.role_key or "").strip() or None
        role = look.roles.get(key) if key else None
        if key is not None and role is None:
            errors.add(i, "role_key", f'no role "{key}"', ErrorCode.NOT_FOUND)
        elif (
            role is not None
            and role.archived_at is not None
            and (current is None or current.role_id != role.id)
        ):
            errors.add(i, "role_key", f'the role "{key}" is archived', ErrorCode.INVALID_STATE)
        final["role_id"] = role.id if role is not None else None
    if r.status is not NOT_GIVEN and r.status is not None:
        was = current.status if current is not None else None
        if was == EmployeeStatus.TERMINATED and r.status != EmployeeStatus.TERMINATED:
            errors.add(
                i, "status", "a terminated employee cannot change status", ErrorCode.INVALID_STATE
            )
        final["status"] = r.status
        if r.status == EmployeeStatus.TERMINATED and was != EmployeeStatus.TERMINATED:
            final["termination_date"] = today
            final["termination_reason"] = None
    return final


def _keys(values: Iterable[Any]) -> set[str]:
    """The given, non-blank values of a reference field, trimmed."""
    return {str(v).strip() for v in values if v not in (NOT_GIVEN, None) and str(v).strip()}


# Each branch joins the batch's keys (``unnest``) to an index, and the union decides: the
# cost follows the batch, not the organization. (An ``OR`` of ``= any(:array)`` conditions
# cannot use the indexes, and under a generic plan compares every row with every key.)
_KNOWN = text(
    """
    select e.* from employees e where e.id in (
        select id from employees join unnest(cast(:exts as text[])) k(v) on external_id = k.v
        union all
        select id from employees join unnest(cast(:emails as text[])) k(v) on lower(email) = k.v
        union all
        select id from employees join unnest(cast(:subjects as text[])) k(v)
            on auth_subject = k.v
        union all
        select id from employees join unnest(cast(:exts as text[])) k(v)
            on pending_manager_external_id = k.v
        union all
        select id from employees
         where cast(:full as boolean) and external_id is not null and status <> 'TERMINATED'
    )
    """
)


async def _known_employees(
    db: Executor,
    external_ids: set[str],
    emails: set[str],
    subjects: set[str],
    *,
    full: bool,
) -> list[Any]:
    """The stored employees a batch can touch, in one statement: those it names (records
    and managers), those holding its emails or identity subjects, those waiting for one
    of its records as their manager, and for a FULL sync every synced employee still
    employed (the candidates for termination)."""
    params = {
        "exts": sorted(external_ids),
        "emails": sorted(emails),
        "subjects": sorted(subjects),
        "full": full,
    }
    return list((await db.execute(_KNOWN, params)).all())


async def _chains(db: Executor, ids: set[uuid.UUID]) -> list[Any]:
    """``ids`` and everyone above them in the stored org chart (one recursive statement),
    to check a batch's new reporting lines for cycles."""
    start = select(*EMPLOYEE_COLUMNS).where(
        employees.c.id == any_(bindparam("ids", sorted(ids), type_=ARRAY(UUID(as_uuid=True))))
    )
    up = start.cte("up", recursive=True)
    up = up.union(
        select(*EMPLOYEE_COLUMNS).select_from(employees.join(up, employees.c.id == up.c.manager_id))
    )
    return list((await db.execute(select(up))).all())


def _moves_managers(
    records: Sequence[Any],
    ext_ids: Sequence[str | None],
    by_ext: Mapping[str, Any],
    known: Sequence[Any],
) -> bool:
    """Whether the batch may change any reporting line (else no cycle can appear and the
    org chart above need not be read): a new record with a manager, a manager different
    from the stored one, or a pending reference the batch resolves."""
    listed = {e for e in ext_ids if e}
    if any(r.pending_manager_external_id in listed for r in known):
        return True
    for i, r in enumerate(records):
        if r.manager_external_id is NOT_GIVEN:
            continue
        key = str(r.manager_external_id or "").strip()
        current = by_ext.get(ext_ids[i] or "")
        target = by_ext[key].id if key in by_ext else None
        if current is None or (key and target is None) or target != current.manager_id:
            return True
    return False


async def _sync_employees(
    db: Executor,
    principal: Principal,
    records: Sequence[Any],
    *,
    mode: SyncMode,
    atomic: bool,
    force: bool,
    max_share: float,
    today: dt.date,
) -> SyncOutcome:
    errors = _Errors("employees")
    notices = _Errors("employees")
    ext_ids = _external_ids(records, errors)
    look = await _lookups(db, records)
    known = await _known_employees(
        db,
        {e for e in ext_ids if e} | _keys(r.manager_external_id for r in records),
        {e.lower() for e in _keys(r.email for r in records)},
        _keys(r.auth_subject for r in records),
        full=mode == SyncMode.FULL,
    )
    by_ext = {r.external_id: r for r in known if r.external_id}
    rows = {r.id: r for r in known}
    if _moves_managers(records, ext_ids, by_ext, known):
        starts = set(rows) | {r.manager_id for r in known if r.manager_id is not None}
        rows |= {r.id: r for r in await _chains(db, starts) if r.id not in rows}
    new_ids = {i: uuid.uuid4() for i in range(len(records))}
    batch_keys = {e for e in ext_ids if e}

    cleaned: dict[int, dict[str, Any]] = {}
    for i, r in enumerate(records):
        creating = by_ext.get(ext_ids[i]) is None
        c: dict[str, Any] = {}
        for attr, limit in _EMPLOYEE_TEXT_LIMITS.items():
            required = attr in ("name", "email") and (creating or getattr(r, attr) is not NOT_GIVEN)
            c[attr] = errors.text(i, attr, getattr(r, attr), required=required, limit=limit)
        if isinstance(c["email"], str) and not EMAIL_RE.match(c["email"]):
            errors.add(i, "email", "is not an email address")
        c["hire_date"] = _parse_date(errors, i, r.hire_date)
        cleaned[i] = c

    terminated_missing: list[Any] = []
    resolved: dict[uuid.UUID, uuid.UUID] = {}
    while True:
        failed = set(errors.by_index)
        notices.by_index.clear()
        ids = {
            i: (by_ext[ext].id if ext in by_ext else new_ids[i])
            for i, ext in enumerate(ext_ids)
            if ext is not None and i not in failed
        }
        in_batch = {str(ext_ids[i]): ids[i] for i in ids}
        finals: dict[int, dict[str, Any]] = {}
        state = {row_id: dict(r._mapping) for row_id, r in rows.items()}
        for i, row_id in ids.items():
            ext = ext_ids[i]
            assert ext is not None
            final = _final_state(
                i, records[i], by_ext.get(ext), row_id, ext, cleaned[i], look, errors, today
            )
            finals[i] = final
            state[row_id] = final
        if mode == SyncMode.FULL:
            terminated_missing = [
                r
                for r in known
                if r.external_id
                and r.external_id not in batch_keys
                and r.status != EmployeeStatus.TERMINATED
            ]
            for r in terminated_missing:
                state[r.id] = {**state[r.id], "status": EmployeeStatus.TERMINATED.value}
        resolved = _resolve_managers(
            records, ids, in_batch, batch_keys, by_ext, state, errors, notices
        )
        _check_unique(finals, state, errors)
        if atomic or set(errors.by_index) == failed:
            break
    finals = {i: f for i, f in finals.items() if i not in errors}

    statuses: dict[int, SyncRecordStatus] = {}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    audits: list[tuple[str, str, uuid.UUID, dict[str, Any]]] = []
    role_changes: list[tuple[dict[str, Any], Any, PositionChangeKind]] = []
    terminated: list[tuple[uuid.UUID, bool]] = []
    ranks = await _ranks(db, look, finals, by_ext, ext_ids)
    for i, final in finals.items():
        current = by_ext.get(ext_ids[i])
        if current is None:
            statuses[i] = SyncRecordStatus.CREATED
            inserts.append(final)
            history.append(
                _history(final, None, PositionChangeKind.HIRE, final["hire_date"] or today)
            )
            audits.append(
                ("employee.create", "Employee", final["id"], audit.diff(None, _audited(final)))
            )
            continue
        changed = {k: v for k, v in final.items() if getattr(current, k) != v}
        if not changed:
            statuses[i] = SyncRecordStatus.UNCHANGED
            continue
        terminating = changed.get("status") == EmployeeStatus.TERMINATED
        statuses[i] = SyncRecordStatus.TERMINATED if terminating else SyncRecordStatus.UPDATED
        _record_update(final, current, changed, ranks, today, updates, history, audits)
        moves = {k: v for k, v in changed.items() if k in _MOVES}
        if "role_id" in moves:
            kind = position_change_kind(moves, current.role_id, ranks)
            assert kind is not None
            role_changes.append((final, current, kind))
        if terminating:
            terminated.append((final["id"], False))

    # Employees outside the batch whose pending manager arrived in it.
    batch_rows = {f["id"] for f in finals.values()}
    waiting = [rows[row_id] for row_id in resolved if row_id not in batch_rows]
    for current in waiting:
        final = {c: getattr(current, c) for c in ("id", "external_id", *_EMPLOYEE_SET)}
        final |= {"manager_id": resolved[current.id], "pending_manager_external_id": None}
        changed = {k: v for k, v in final.items() if getattr(current, k) != v}
        _record_update(final, current, changed, ranks, today, updates, history, audits)

    results = _results(ext_ids, statuses, errors, ids, notices)
    results += [RecordResult(r.external_id, SyncRecordStatus.UPDATED, [], r.id) for r in waiting]
    results += [
        RecordResult(r.external_id, SyncRecordStatus.TERMINATED, [], r.id)
        for r in terminated_missing
    ]
    call_errors: list[FieldError] = []
    if errors.by_index and atomic:
        call_errors.append(_refused(len(errors.by_index), len(records), "employees"))
    managed = sum(1 for r in known if r.external_id and r.status != EmployeeStatus.TERMINATED)
    if terminated_missing and not force and len(terminated_missing) > max_share * managed:
        call_errors.append(
            FieldError(
                ("input", "mode"),
                f"a FULL sync would terminate {len(terminated_missing)} of {managed} synced "
                f"employees, more than the allowed {max_share:.0%}; check the snapshot is "
                "complete, or send `force: true`",
                ErrorCode.LIMIT_EXCEEDED,
            )
        )
    if call_errors:
        return SyncOutcome(results, False, call_errors)

    terminations = _terminations(terminated_missing, today)
    for r in terminated_missing:
        values = terminations[r.id]
        final = {**{str(k): v for k, v in r._mapping.items()}, **values}
        updates.append(final)
        history.append(_history(final, r, PositionChangeKind.TERMINATION, today, MISSING_REASON))
        audits.append(
            ("employee.terminate", "Employee", r.id, audit.diff(dict(r._mapping), values))
        )
        terminated.append((r.id, True))

    await _write_employees(db, principal, inserts, updates, history)
    for final, current, kind in role_changes:
        await people_events.employee_role_changed(
            db,
            principal,
            people_events.role_changed_data(
                final["id"], final["role_id"], current.role_id, kind.value, today
            ),
        )
    for employee_id, missing in terminated:
        await people_events.employee_terminated(
            db,
            principal,
            employee_id,
            today,
            source_type=SOURCE_TYPE,
            missing_from_snapshot=missing,
        )
    await audit.record_many(db, [audit.event(principal, *a) for a in audits])
    return SyncOutcome(results, True)


_MOVES = ("role_id", "org_unit_id", "manager_id")


def _record_update(
    final: dict[str, Any],
    current: Any,
    changed: Mapping[str, Any],
    ranks: Mapping[uuid.UUID, int],
    today: dt.date,
    updates: list[dict[str, Any]],
    history: list[dict[str, Any]],
    audits: list[tuple[str, str, uuid.UUID, dict[str, Any]]],
) -> None:
    """Queue the version-checked update of a stored employee, its position history
    (role, unit or manager moves; a termination) and its audit event."""
    updates.append({**final, "version": current.version})
    terminating = changed.get("status") == EmployeeStatus.TERMINATED
    moves = {k: v for k, v in changed.items() if k in _MOVES}
    if moves:
        kind = position_change_kind(moves, current.role_id, ranks)
        if kind is not None:
            history.append(_history(final, current, kind, today))
    if terminating:
        history.append(_history(final, current, PositionChangeKind.TERMINATION, today))
    action = "employee.terminate" if terminating else "employee.update"
    audits.append((action, "Employee", final["id"], audit.diff(dict(current._mapping), changed)))


async def _ranks(
    db: Executor,
    look: _Lookups,
    finals: Mapping[int, dict[str, Any]],
    by_ext: Mapping[str, Any],
    ext_ids: Sequence[str | None],
) -> dict[uuid.UUID, int]:
    """Level ranks of the new roles and of the roles they replace (one statement, only
    when some role changes)."""
    ranks = {role.id: role.rank for role in look.roles.values()}
    previous = set()
    for i, final in finals.items():
        current = by_ext.get(ext_ids[i] or "")
        if (
            current is not None
            and current.role_id is not None
            and current.role_id != final["role_id"]
        ):
            previous.add(current.role_id)
    missing = previous - set(ranks)
    if missing:
        ranks |= await framework_queries.role_level_ranks(db, sorted(missing))
    return ranks


def _terminations(missing: Sequence[Any], today: dt.date) -> dict[uuid.UUID, dict[str, Any]]:
    return {
        r.id: {
            "status": EmployeeStatus.TERMINATED.value,
            "termination_date": today,
            "termination_reason": MISSING_REASON,
        }
        for r in missing
    }


def _audited(final: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in final.items() if k != "id" and v is not None}


def _history(
    final: Mapping[str, Any],
    previous: Any | None,
    kind: PositionChangeKind,
    effective: dt.date,
    note: str | None = None,
) -> dict[str, Any]:
    return {
        "employee_id": final["id"],
        "kind": kind.value,
        "effective_date": effective,
        "role_id": final["role_id"],
        "previous_role_id": previous.role_id if previous is not None else None,
        "org_unit_id": final["org_unit_id"],
        "previous_org_unit_id": previous.org_unit_id if previous is not None else None,
        "manager_id": final["manager_id"],
        "previous_manager_id": previous.manager_id if previous is not None else None,
        "title": final["title"],
        "note": note,
    }


def _resolve_managers(
    records: Sequence[Any],
    ids: Mapping[int, uuid.UUID],
    in_batch: Mapping[str, uuid.UUID],
    batch_keys: set[str],
    by_ext: Mapping[str, Any],
    state: dict[uuid.UUID, dict[str, Any]],
    errors: _Errors,
    notices: _Errors,
) -> dict[uuid.UUID, uuid.UUID]:
    """Resolve ``managerExternalId`` against the batch and the stored employees, at the
    end of the call; refuse managers who leave and reporting cycles, per record.

    A manager known nowhere yet is not an error: the record is written without a manager,
    the reference is kept on the employee (``pending_manager_external_id``) with a
    PENDING notice, and a later call that brings that manager sets it. Returns those
    pending references this batch resolves (employee → manager), cycles left out."""
    changed: dict[uuid.UUID, int] = {}
    for i, row_id in ids.items():
        r = records[i]
        if r.manager_external_id is NOT_GIVEN:
            continue
        key = (r.manager_external_id or "").strip() or None
        state[row_id]["pending_manager_external_id"] = None
        manager_id = in_batch.get(key) if key else None
        if key is not None and manager_id is None:
            manager_id = by_ext[key].id if key in by_ext else None
            if manager_id is None and key in batch_keys:
                errors.add(
                    i,
                    "manager_external_id",
                    f'the manager "{key}" is refused in this batch',
                    ErrorCode.NOT_FOUND,
                )
                continue
            if manager_id is None:
                notices.add(
                    i,
                    "manager_external_id",
                    f'no employee "{key}" yet: kept as pending, and set as the manager when '
                    "a later sync brings them",
                    ErrorCode.PENDING,
                )
                state[row_id] |= {"manager_id": None, "pending_manager_external_id": key}
                continue
        if manager_id is not None and manager_id == row_id:
            errors.add(
                i, "manager_external_id", "an employee cannot manage themself", ErrorCode.CYCLE
            )
            continue
        if manager_id is not None and state[manager_id]["status"] == EmployeeStatus.TERMINATED:
            errors.add(
                i,
                "manager_external_id",
                f'the manager "{key}" is terminated',
                ErrorCode.INVALID_STATE,
            )
            continue
        state[row_id]["manager_id"] = manager_id
        changed[row_id] = i
    resolved: dict[uuid.UUID, uuid.UUID] = {}
    for row_id, s in state.items():
        target = in_batch.get(s.get("pending_manager_external_id") or "")
        if target is not None and state[target]["status"] != EmployeeStatus.TERMINATED:
            resolved[row_id] = target
            s |= {"manager_id": target, "pending_manager_external_id": None}
    managers = {row_id: s["manager_id"] for row_id, s in state.items()}
    for row_id in _cycle_members(managers, set(changed) | set(resolved)):
        if row_id in changed:
            errors.add(
                changed[row_id],
                "manager_external_id",
                "would create a reporting cycle",
                ErrorCode.CYCLE,
            )
        if row_id in resolved:  # stays pending
            key = next(k for k, v in in_batch.items() if v == resolved.pop(row_id))
            state[row_id] |= {"manager_id": None, "pending_manager_external_id": key}
    return resolved


def _check_unique(
    finals: Mapping[int, dict[str, Any]], state: Mapping[uuid.UUID, dict[str, Any]], errors: _Errors
) -> None:
    """Emails (case-insensitive) and identity subjects stay unique once the batch is in."""
    batch = {f["id"]: i for i, f in finals.items()}
    for attr, norm in (("email", str.lower), ("auth_subject", lambda s: s)):
        holders: dict[str, list[uuid.UUID]] = {}
        for row_id, s in state.items():
            if s.get(attr):
                holders.setdefault(norm(s[attr]), []).append(row_id)
        for value, who in holders.items():
            if len(who) < 2:
                continue
            for row_id in who:
                if row_id in batch:
                    errors.add(
                        batch[row_id],
                        attr,
                        f'"{value}" is already used by another employee',
                        ErrorCode.TAKEN,
                    )


async def _write_employees(
    db: Executor,
    principal: Principal,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    history: list[dict[str, Any]],
) -> None:
    await _write_all(db, _EMPLOYEE_INSERT, inserts, "employees", principal.org_id)
    await _write_all(db, _EMPLOYEE_UPDATE, updates, "employees")
    if history:
        await db.execute(
            _HISTORY_INSERT,
            {"rows": _json_rows(history), "org_id": principal.org_id, "source_type": SOURCE_TYPE},
        )


__all__ = [
    "MAX_RECORDS",
    "Idempotency",
    "RecordResult",
    "SyncMode",
    "SyncOutcome",
    "SyncRecordStatus",
    "request_hash",
    "sync_employees",
    "sync_org_units",
]
