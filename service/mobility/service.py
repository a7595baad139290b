"""Use cases of mobility: career aspirations, postings, applications and filling a posting.

Every function authorizes through ``service.auth.policies`` and this domain's rules
(``queries``) first, checks all of its input at once (``UserInputError`` with every
problem, nothing written), writes through ``update_versioned`` where a row changes,
records an audit event and reports what happened through the webhooks outbox in the same
transaction.

**Postings.** Managers (``career:manager``) post for their own org unit or the units below
it, naming themselves or someone below them as hiring manager; HR admins post for any unit
and name anyone. A ROLE posting names a role, and its requirements default to the role's
expectations (core expectations become must-haves). Requirements name competencies at a
level on the competency's own scale — competencies, never degrees. Owners (hiring manager
and creator) and HR admins edit a posting while it is DRAFT or OPEN, open a draft and close
it; it is FILLED only by an accepted offer.

**Applications.** Any employee applies to an OPEN posting that is not their own, before its
deadline, once at a time (a partial unique index makes "once" hold under concurrency).
The posting's owners and HR admins move it forward (steps may be skipped, never back) or
reject it with feedback; the applicant withdraws it or accepts an offer.

**Filling.** Accepting an offer on a ROLE posting, in one transaction: the application is
ACCEPTED, the posting FILLED, the employee takes the posting's role, org unit and hiring
manager with a PositionHistory entry naming the application as its source (PROMOTION when
the new role's level ranks higher, else LATERAL_MOVE), their other active applications are
withdrawn, the posting's other active applications are rejected with a note that it was
filled, an onboarding development plan toward the new role's gaps is drafted (DRAFT, for
the employee and their new manager), and ``posting.filled``, ``application.status_changed`` and
``employee.role_changed`` are written to the outbox. Other kinds record the participation
(dates and share of time) on the application without a role change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from service.audit import service as audit
from service.auth import policies
from service.auth.principal import Principal, system_principal
from service.auth.scopes import Scope
from service.db import Executor
from service.development import service as development
from service.entities import write_settings
from service.errors import ErrorCode, FieldError, Forbidden, UserInputError, Validator
from service.framework import queries as framework_queries
from service.framework import service as framework
from service.framework.models import (
    competencies,
    job_families,
    role_expectations,
    roles,
    scale_levels,
)
from service.kit import NOT_GIVEN, TargetAction, check_version, given, update_versioned
from service.mobility import events, queries
from service.mobility.models import (
    ACTIVE,
    ACTIVE_SQL,
    RANK,
    ApplicationStatus,
    PostingKind,
    PostingStatus,
    applications,
    career_aspirations,
    mobility_settings,
    posting_requirements,
    postings,
)
from service.people import events as people_events
from service.people import queries as people_queries
from service.people import service as people
from service.people.models import EmployeeStatus, PositionChangeKind, employees
from service.people.queries import EMPLOYEE_COLUMNS
from service.promotions import queries as promotion_queries
from service.webhooks import outbox

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_LOCATION = 200
MAX_NOTE = 2000
MAX_FEEDBACK = 4000
MAX_REQUIREMENTS = 30
MAX_TARGETS = 10
MAX_WEIGHT = 100.0
SOURCE_TYPE = "Application"
FILLED_FEEDBACK = "The posting was filled by another applicant."


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _employee_caller(principal: Principal | None) -> Principal:
    """Callers acting as themselves: an employee with a private-data scope."""
    principal = policies.require_private_reader(principal)
    if principal.employee_id is None:
        raise Forbidden("This is done by an employee for themself.")
    return principal


def require_applicant(principal: Principal | None) -> Principal:
    """Who may apply, withdraw, accept and record aspirations: employees, as themselves."""
    return _employee_caller(principal)


def require_poster(principal: Principal | None) -> Principal:
    """Who may post and run postings: managers (for their units) and HR admins."""
    return policies.require_any(principal, Scope.MANAGER, Scope.ADMIN)


def require_mover(principal: Principal | None) -> Principal:
    """Who may accept an offer: the applicant (an employee) or an HR admin."""
    principal = policies.require_private_reader(principal)
    if principal.employee_id is None and not policies.is_admin(principal):
        raise Forbidden()
    return principal


# --- aspirations --------------------------------------------------------------------------


@dataclass
class AspirationInput:
    """An employee's aspiration; ``NOT_GIVEN`` fields stay as they are."""

    target_role_ids: Any = NOT_GIVEN
    family_ids: Any = NOT_GIVEN
    open_to: Any = NOT_GIVEN
    open_to_relocation: Any = NOT_GIVEN
    time_horizon: Any = NOT_GIVEN
    discoverable: Any = NOT_GIVEN
    note: Any = NOT_GIVEN


async def _check_ids(
    db: Executor, v: Validator, table: Any, ids: Sequence[Any], path: str, what: str
) -> list[uuid.UUID]:
    """Distinct well-formed IDs of active rows of ``table``; unknown ones reported."""
    wanted = list(dict.fromkeys(i for i in ids if given(i)))
    if v.too_many(("input", path), len(wanted), MAX_TARGETS, f"at most {MAX_TARGETS}"):
        return []
    found = {
        r.id: r
        for r in (
            await db.execute(select(table.c.id, table.c.archived_at).where(table.c.id.in_(wanted)))
        ).all()
    }
    for i, value in enumerate(ids):
        if given(value) and (value not in found or found[value].archived_at is not None):
            v.add(("input", path, str(i)), f"no such {what}", ErrorCode.NOT_FOUND)
    return wanted


async def set_career_aspiration(
    db: Executor,
    principal: Principal,
    data: AspirationInput,
    *,
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Record the caller's own career aspiration (create or change it)."""
    principal = _employee_caller(principal)
    me = principal.employee_id
    assert me is not None
    current = (
        await db.execute(
            select(*career_aspirations.c).where(career_aspirations.c.employee_id == me)
        )
    ).first()
    if current is not None:
        check_version(current, expected_version, "career aspiration")
    v = Validator(input_errors)
    values: dict[str, Any] = {}
    if given(data.target_role_ids):
        values["target_role_ids"] = await _check_ids(
            db, v, roles, data.target_role_ids or [], "targetRoleIds", "role"
        )
    if given(data.family_ids):
        values["family_ids"] = await _check_ids(
            db, v, job_families, data.family_ids or [], "familyIds", "job family"
        )
    if given(data.open_to):
        values["open_to"] = list(dict.fromkeys(data.open_to or []))
    for name in ("open_to_relocation", "discoverable"):
        value = getattr(data, name)
        if given(value) and value is not None:
            values[name] = bool(value)
    if given(data.time_horizon):
        values["time_horizon"] = data.time_horizon
    if given(data.note):
        values["note"] = v.text("note", data.note, max_length=MAX_NOTE) or None
    v.raise_if_any()
    if current is None:
        row: Any = (
            await db.execute(
                pg_insert(career_aspirations)
                .values(org_id=principal.org_id, employee_id=me, **values)
                .on_conflict_do_nothing(index_elements=["org_id", "employee_id"])
                .returning(*career_aspirations.c)
            )
        ).first()
        if row is None:  # recorded meanwhile by a concurrent request
            raise UserInputError.one(
                ("input", "version"),
                "the career aspiration was changed by someone else; reload and try again",
                ErrorCode.STALE_VERSION,
            )
        before: Any = None
    else:
        written = await update_versioned(
            db,
            career_aspirations,
            current.id,
            values,
            expected_version=expected_version,
            what="career aspiration",
        )
        row, before = written.after, written.before
    await audit.record(
        db,
        principal,
        "career_aspiration.set",
        "CareerAspiration",
        row.id,
        audit.diff(before, values),
    )
    return row


# --- postings -----------------------------------------------------------------------------


@dataclass
class RequirementInput:
    competency_id: Any
    required_level: int
    must_have: bool = False
    weight: float = 1.0


@dataclass
class PostingInput:
    """Fields of a posting; in updates ``NOT_GIVEN`` means "leave as is"."""

    kind: Any = NOT_GIVEN
    title: Any = NOT_GIVEN
    description: Any = NOT_GIVEN
    role_id: Any = NOT_GIVEN
    org_unit_id: Any = NOT_GIVEN
    hiring_manager_id: Any = NOT_GIVEN
    location: Any = NOT_GIVEN
    remote: Any = NOT_GIVEN
    commitment: Any = NOT_GIVEN
    start_date: Any = NOT_GIVEN
    end_date: Any = NOT_GIVEN
    application_deadline: Any = NOT_GIVEN
    requirements: Any = NOT_GIVEN
    extra: dict[str, Any] = field(default_factory=dict)


async def _check_requirements(
    db: Executor, v: Validator, items: Sequence[RequirementInput]
) -> list[dict[str, Any]]:
    """Requirements as rows to write: known active competencies, each once, at a level of
    the competency's scale, with a weight in (0, 100]."""
    path = ("input", "requirements")
    if v.too_many(path, len(items), MAX_REQUIREMENTS, f"at most {MAX_REQUIREMENTS} requirements"):
        return []
    ids = [i.competency_id for i in items if given(i.competency_id)]
    found = {
        r.id: r
        for r in (
            await db.execute(
                select(
                    competencies.c.id,
                    competencies.c.name,
                    competencies.c.archived_at,
                    func.array_agg(scale_levels.c.value).label("levels"),
                )
                .select_from(
                    competencies.outerjoin(
                        scale_levels, scale_levels.c.scale_id == competencies.c.scale_id
                    )
                )
                .where(competencies.c.id.in_(ids))
                .group_by(competencies.c.id)
            )
        ).all()
    }
    out: list[dict[str, Any]] = []
    seen: set[uuid.UUID] = set()
    for i, item in enumerate(items):
        at = (*path, str(i))
        if not given(item.competency_id):
            continue
        c = found.get(item.competency_id)
        if c is None or c.archived_at is not None:
            v.add((*at, "competencyId"), "no such competency", ErrorCode.NOT_FOUND)
            continue
        if item.competency_id in seen:
            v.add((*at, "competencyId"), f'"{c.name}" is required twice', ErrorCode.CONFLICT)
            continue
        seen.add(item.competency_id)
        scale = sorted(x for x in c.levels if x is not None)
        if item.required_level not in scale:
            v.add(
                (*at, "requiredLevel"),
                f'is not a level of the scale of "{c.name}" ({", ".join(map(str, scale))})',
            )
        weight = item.weight if item.weight is not None else 1.0
        if not 0 < weight <= MAX_WEIGHT:
            v.add((*at, "weight"), f"must be more than 0 and at most {MAX_WEIGHT:g}")
        out.append(
            {
                "competency_id": item.competency_id,
                "required_level": item.required_level,
                "must_have": bool(item.must_have),
                "weight": weight,
            }
        )
    return out


async def _role_requirements(db: Executor, role_id: uuid.UUID) -> list[dict[str, Any]]:
    """A role's expectations as requirements: core ones are must-haves."""
    rows = (
        await db.execute(select(*role_expectations.c).where(role_expectations.c.role_id == role_id))
    ).all()
    return [
        {
            "competency_id": r.competency_id,
            "required_level": r.required_level,
            "must_have": r.core,
            "weight": r.weight,
        }
        for r in rows
    ]


async def _check_unit(db: Executor, v: Validator, principal: Principal, unit_id: Any) -> None:
    """HR admins post for any org unit; managers for their own and the units below it."""
    if policies.is_admin(principal):
        found = await people_queries.org_units_by_id(db, [unit_id])
        ok = found[0] is not None
    else:
        me = principal.employee_id
        ok = me is not None and await queries.unit_in_reach(db, me, unit_id)
    if not ok:
        v.add(("input", "orgUnitId"), "no such org unit within your reach", ErrorCode.NOT_FOUND)


async def _check_hiring_manager(
    db: Executor, v: Validator, principal: Principal, employee_id: Any
) -> None:
    if not given(employee_id):
        return
    path = ("input", "hiringManagerId")
    if not policies.is_admin(principal):
        reach = await policies.reach_of(db, principal)
        if employee_id not in reach.private:
            v.add(path, "no such employee", ErrorCode.NOT_FOUND)
            return
    await people.active_employee(db, v, employee_id, path)


async def _posting_values(
    db: Executor,
    principal: Principal,
    data: PostingInput,
    current: Any | None,
    input_errors: Sequence[FieldError],
) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """Check every given field at once; the column values and the requirements to write
    (None: leave the requirements as they are)."""
    v = Validator(input_errors)
    values: dict[str, Any] = {}
    creating = current is None
    if given(data.title):
        values["title"] = v.text("title", data.title, required=True, max_length=MAX_TITLE)
    elif creating:
        v.add(("input", "title"), "is required", ErrorCode.REQUIRED)
    for name, limit in (("description", MAX_DESCRIPTION), ("location", MAX_LOCATION)):
        value = getattr(data, name)
        if given(value):
            values[name] = v.text(name, value, max_length=limit) or None
    if given(data.kind):
        values["kind"] = data.kind
    if given(data.remote) and data.remote is not None:
        values["remote"] = bool(data.remote)
    if given(data.commitment) and data.commitment is not None:
        if not 0 < data.commitment <= 1:
            v.add(("input", "commitment"), "must be a share of working time in (0, 1]")
        values["commitment"] = data.commitment
    for name in ("start_date", "end_date", "application_deadline"):
        value = getattr(data, name)
        if given(value):
            values[name] = value
    role = await framework.active_role(db, v, data.role_id, ("input", "roleId"))
    if given(data.role_id):
        values["role_id"] = data.role_id
    if given(data.org_unit_id) and data.org_unit_id is not None:
        await _check_unit(db, v, principal, data.org_unit_id)
        values["org_unit_id"] = data.org_unit_id
    elif creating:
        v.add(("input", "orgUnitId"), "is required", ErrorCode.REQUIRED)
    if given(data.hiring_manager_id) and data.hiring_manager_id is not None:
        await _check_hiring_manager(db, v, principal, data.hiring_manager_id)
        values["hiring_manager_id"] = data.hiring_manager_id
    elif creating:
        values["hiring_manager_id"] = principal.employee_id
        if principal.employee_id is None:
            v.add(("input", "hiringManagerId"), "is required", ErrorCode.REQUIRED)

    def final(name: str) -> Any:
        return values[name] if name in values else getattr(current, name, None)

    kind = final("kind")
    if (
        kind == PostingKind.ROLE.value
        and final("role_id") is None
        and "role_id" not in {e.field[-1] for e in v.errors}
    ):
        v.add(("input", "roleId"), "a ROLE posting names the role it offers", ErrorCode.REQUIRED)
    start, end = final("start_date"), final("end_date")
    if start is not None and end is not None and end < start:
        v.add(("input", "endDate"), "is before the start date")
    deadline = values.get("application_deadline")
    if deadline is not None and deadline < today():
        v.add(("input", "applicationDeadline"), "is in the past")
    requirements: list[dict[str, Any]] | None = None
    if given(data.requirements) and data.requirements is not None:
        requirements = await _check_requirements(db, v, data.requirements)
    elif creating and role is not None:
        requirements = await _role_requirements(db, role.id)
    v.raise_if_any()
    return values, requirements


async def _write_requirements(
    db: Executor, principal: Principal, posting_id: uuid.UUID, items: list[dict[str, Any]]
) -> None:
    await db.execute(
        posting_requirements.delete().where(posting_requirements.c.posting_id == posting_id)
    )
    if items:
        await db.execute(
            insert(posting_requirements),
            [{"org_id": principal.org_id, "posting_id": posting_id, **i} for i in items],
        )


def _jsonable_requirements(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**i, "competency_id": str(i["competency_id"])} for i in items]


async def create_posting(
    db: Executor, principal: Principal, data: PostingInput, input_errors: Sequence[FieldError] = ()
) -> Any:
    """A new DRAFT posting (managers for their units, HR admins for any)."""
    require_poster(principal)
    values, requirements = await _posting_values(db, principal, data, None, input_errors)
    row = (
        await db.execute(
            insert(postings)
            .values(org_id=principal.org_id, created_by_id=principal.employee_id, **values)
            .returning(*postings.c)
        )
    ).one()
    await _write_requirements(db, principal, row.id, requirements or [])
    await audit.record(
        db,
        principal,
        "posting.create",
        "Posting",
        row.id,
        audit.diff(None, {**values, "requirements": _jsonable_requirements(requirements or [])}),
    )
    return row


async def _managed(db: Executor, principal: Principal, posting_id: uuid.UUID) -> Any:
    """The posting if the caller runs it; NOT_FOUND when they cannot see it, FORBIDDEN
    when they see it but do not run it."""
    row = (await db.execute(select(*postings.c).where(postings.c.id == posting_id))).first()
    if row is None or not queries.can_see_posting(principal, row):
        raise UserInputError.one(("input", "id"), "no such posting", ErrorCode.NOT_FOUND)
    if not queries.manages_posting(principal, row):
        raise Forbidden()
    return row


def _editable(row: Any) -> None:
    if row.status not in (PostingStatus.DRAFT.value, PostingStatus.OPEN.value):
        raise UserInputError.one(
            ("input", "id"),
            f"a {row.status.lower()} posting cannot be changed",
            ErrorCode.INVALID_STATE,
        )


async def update_posting(
    db: Executor,
    principal: Principal,
    posting_id: uuid.UUID,
    data: PostingInput,
    *,
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Change a DRAFT or OPEN posting (its owners and HR admins); given requirements
    replace the old ones."""
    current = await _managed(db, principal, posting_id)
    check_version(current, expected_version, "posting")
    _editable(current)
    values, requirements = await _posting_values(db, principal, data, current, input_errors)
    written = await update_versioned(
        db, postings, posting_id, values, expected_version=expected_version, what="posting"
    )
    _editable(written.before)
    changes = written.changed(values)
    if requirements is not None:
        await _write_requirements(db, principal, posting_id, requirements)
        changes["requirements"] = _jsonable_requirements(requirements)
    await audit.record(
        db, principal, "posting.update", "Posting", posting_id, audit.diff(written.before, changes)
    )
    return written.after


def _posting_move(
    to: PostingStatus, allowed_from: Sequence[PostingStatus], stamp: str, doc: str
) -> TargetAction:
    """The use case moving a posting from one of ``allowed_from`` to ``to``, stamping the
    column ``stamp``: its owners and HR admins."""

    async def move(
        db: Executor,
        principal: Principal,
        posting_id: uuid.UUID,
        /,
        *,
        expected_version: int | None,
    ) -> Any:
        current = await _managed(db, principal, posting_id)
        check_version(current, expected_version, "posting")
        written = await update_versioned(
            db,
            postings,
            posting_id,
            {"status": to.value, stamp: func.now()},
            expected_version=expected_version,
            what="posting",
        )
        if written.before.status not in {s.value for s in allowed_from}:
            raise UserInputError.one(
                ("input", "id"),
                f"a {written.before.status.lower()} posting cannot be {to.value.lower()}",
                ErrorCode.INVALID_STATE,
            )
        row = written.after
        await audit.record(
            db,
            principal,
            f"posting.{to.value.lower()}",
            "Posting",
            posting_id,
            {"status": {"from": written.before.status, "to": to.value}},
        )
        if to is PostingStatus.OPEN:
            await outbox.emit(db, principal, events.POSTING_OPENED, events.posting_data(row))
        return row

    move.__doc__ = doc
    return move


open_posting = _posting_move(
    PostingStatus.OPEN,
    (PostingStatus.DRAFT,),
    "opened_at",
    "DRAFT → OPEN: employees can find it and apply.",
)
close_posting = _posting_move(
    PostingStatus.CLOSED,
    (PostingStatus.DRAFT, PostingStatus.OPEN),
    "closed_at",
    "DRAFT or OPEN → CLOSED without filling it; active applications stay as they are "
    "for the hiring manager to answer.",
)


# --- applications -------------------------------------------------------------------------


async def apply_to_posting(
    db: Executor,
    principal: Principal,
    posting_id: Any,
    note: str | None,
    confidential: bool,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """The caller applies to an OPEN posting that is not their own, before its deadline,
    once at a time."""
    principal = _employee_caller(principal)
    me = principal.employee_id
    v = Validator(input_errors)
    text_note = v.text("note", note, max_length=MAX_NOTE) or None
    posting = None
    if given(posting_id):
        posting = (await db.execute(select(*postings.c).where(postings.c.id == posting_id))).first()
        if posting is None or not queries.can_see_posting(principal, posting):
            v.add(("input", "postingId"), "no such posting", ErrorCode.NOT_FOUND)
            posting = None
    if posting is not None:
        path = ("input", "postingId")
        if queries.is_owner(principal, posting):
            v.add(path, "you cannot apply to your own posting", ErrorCode.INVALID_STATE)
        elif posting.status != PostingStatus.OPEN.value:
            v.add(path, f"the posting is {posting.status.lower()}", ErrorCode.INVALID_STATE)
        elif posting.application_deadline is not None and posting.application_deadline < today():
            v.add(path, "the application deadline has passed", ErrorCode.INVALID_STATE)
        else:
            active = (
                await db.execute(
                    select(applications.c.id).where(
                        applications.c.posting_id == posting.id,
                        applications.c.employee_id == me,
                        applications.c.status.in_(ACTIVE),
                    )
                )
            ).first()
            if active is not None:
                v.add(path, "you have already applied to this posting", ErrorCode.CONFLICT)
    v.raise_if_any()
    assert posting is not None
    row = (
        await db.execute(
            pg_insert(applications)
            .values(
                org_id=principal.org_id,
                posting_id=posting.id,
                employee_id=me,
                note=text_note,
                confidential=bool(confidential),
            )
            .on_conflict_do_nothing(
                index_elements=["org_id", "posting_id", "employee_id"],
                index_where=text(ACTIVE_SQL),
            )
            .returning(*applications.c)
        )
    ).first()
    if row is None:  # a concurrent request applied first
        raise UserInputError.one(
            ("input", "postingId"), "you have already applied to this posting", ErrorCode.CONFLICT
        )
    await audit.record(
        db,
        principal,
        "application.submit",
        "Application",
        row.id,
        audit.diff(None, {"posting_id": posting.id, "confidential": row.confidential}),
    )
    await _status_changed(db, principal, row, None)
    return row


async def _status_changed(
    db: Executor, principal: Principal, row: Any, previous: str | None
) -> None:
    await outbox.emit(
        db, principal, events.APPLICATION_STATUS_CHANGED, events.application_data(row, previous)
    )


async def _application(
    db: Executor, principal: Principal, application_id: uuid.UUID
) -> tuple[Any, Any]:
    """The application and its posting, if the caller may see the application."""
    app = (
        await db.execute(select(*applications.c).where(applications.c.id == application_id))
    ).first()
    if app is not None:
        posting = (
            await db.execute(select(*postings.c).where(postings.c.id == app.posting_id))
        ).one()
        reach = await policies.reach_of(db, principal)
        if queries.can_see_application(principal, reach, await queries.settings(db), app, posting):
            return app, posting
    raise UserInputError.one(("input", "id"), "no such application", ErrorCode.NOT_FOUND)


async def _move(
    db: Executor,
    principal: Principal,
    app: Any,
    to: str,
    expected_version: int | None,
    extra: dict[str, Any] | None = None,
) -> Any:
    """Write the move of ``app`` to ``to`` if it is still where the caller saw it."""
    values: dict[str, Any] = {
        "status": to,
        "status_changed_at": func.now(),
        **(extra or {}),
    }
    if to in RANK:
        values["reached"] = max(app.reached, RANK[to])
    written = await update_versioned(
        db,
        applications,
        app.id,
        values,
        expected_version=expected_version,
        what="application",
    )
    before = written.before
    if before.status != app.status:  # moved meanwhile (no version given)
        raise UserInputError.one(
            ("input", "id"),
            "the application was moved by someone else meanwhile; reload and try again",
            ErrorCode.STALE_VERSION,
        )
    logged = {k: v for k, v in values.items() if k not in ("status_changed_at", "reached")}
    await audit.record(
        db,
        principal,
        f"application.{to.lower()}",
        "Application",
        app.id,
        audit.diff(before, logged),
    )
    await _status_changed(db, principal, written.after, before.status)
    return written.after


def _still_active(app: Any) -> None:
    if app.status not in ACTIVE:
        raise UserInputError.one(
            ("input", "id"),
            f"the application is {app.status.lower()} already",
            ErrorCode.INVALID_STATE,
        )


MOVES = (
    ApplicationStatus.IN_REVIEW.value,
    ApplicationStatus.INTERVIEWING.value,
    ApplicationStatus.OFFERED.value,
    ApplicationStatus.REJECTED.value,
)


async def move_application(
    db: Executor,
    principal: Principal,
    application_id: uuid.UUID,
    to: str,
    feedback: str | None,
    *,
    expected_version: int | None = None,
) -> Any:
    """Move an application forward or reject it, with feedback (the posting's owners and HR
    admins)."""
    app, posting = await _application(db, principal, application_id)
    if not queries.manages_posting(principal, posting):
        raise Forbidden()
    check_version(app, expected_version, "application")
    v = Validator()
    text_feedback = v.text("feedback", feedback, max_length=MAX_FEEDBACK) or None
    if to not in MOVES:
        v.add(
            ("input", "status"),
            "the applicant accepts an offer; move to IN_REVIEW, INTERVIEWING, OFFERED or REJECTED",
        )
    elif app.status not in ACTIVE:
        v.add(
            ("input", "id"),
            f"the application is {app.status.lower()} already",
            ErrorCode.INVALID_STATE,
        )
    elif to == ApplicationStatus.REJECTED.value:
        if text_feedback is None:
            v.add(
                ("input", "feedback"),
                "a rejection needs feedback for the applicant",
                ErrorCode.REQUIRED,
            )
    elif RANK[to] <= RANK[app.status]:
        v.add(
            ("input", "status"),
            f"cannot move an application from {app.status} back or to where it is ({to})",
            ErrorCode.INVALID_STATE,
        )
    if to == ApplicationStatus.OFFERED.value and posting.status != PostingStatus.OPEN.value:
        v.add(("input", "id"), f"the posting is {posting.status.lower()}", ErrorCode.INVALID_STATE)
    v.raise_if_any()
    extra = {"feedback": text_feedback} if text_feedback is not None else {}
    return await _move(db, principal, app, to, expected_version, extra)


async def withdraw_application(
    db: Executor,
    principal: Principal,
    application_id: uuid.UUID,
    *,
    expected_version: int | None = None,
) -> Any:
    """The applicant withdraws an active application."""
    app, _ = await _application(db, principal, application_id)
    if app.employee_id != principal.employee_id:
        raise Forbidden()
    check_version(app, expected_version, "application")
    _still_active(app)
    return await _move(db, principal, app, ApplicationStatus.WITHDRAWN.value, expected_version)


async def accept_offer(
    db: Executor,
    principal: Principal,
    application_id: uuid.UUID,
    *,
    expected_version: int | None = None,
) -> Any:
    """The applicant (or an HR admin for them) accepts an offer; the posting is filled (see
    the module docstring)."""
    app, posting = await _application(db, principal, application_id)
    if app.employee_id != principal.employee_id and not policies.is_admin(principal):
        raise Forbidden()
    check_version(app, expected_version, "application")
    if app.status != ApplicationStatus.OFFERED.value:
        raise UserInputError.one(
            ("input", "id"),
            f"only an offer can be accepted; the application is {app.status.lower()}",
            ErrorCode.INVALID_STATE,
        )
    employee = await people.get_employee(db, app.employee_id)
    assert employee is not None
    if employee.status == EmployeeStatus.TERMINATED:
        raise UserInputError.one(("input", "id"), "the applicant has left", ErrorCode.INVALID_STATE)
    is_role = posting.kind == PostingKind.ROLE.value
    if is_role:
        await _check_still_fillable(db, app, posting)
    on = today()
    participation = (
        {}
        if is_role
        else {
            "participation_start": max(posting.start_date or on, on),
            "participation_end": posting.end_date,
            "participation_commitment": posting.commitment,
        }
    )
    accepted = await _move(
        db, principal, app, ApplicationStatus.ACCEPTED.value, expected_version, participation
    )
    filled = (
        await db.execute(
            update(postings)
            .where(postings.c.id == posting.id, postings.c.status == PostingStatus.OPEN.value)
            .values(
                status=PostingStatus.FILLED.value,
                filled_at=func.now(),
                filled_by_application_id=app.id,
                version=postings.c.version + 1,
                updated_at=func.now(),
            )
            .returning(*postings.c)
        )
    ).first()
    if filled is None:
        raise UserInputError.one(
            ("input", "id"), "the posting is no longer open", ErrorCode.INVALID_STATE
        )
    await audit.record(
        db,
        principal,
        "posting.fill",
        "Posting",
        posting.id,
        {
            "status": {"from": "OPEN", "to": "FILLED"},
            "filled_by_application_id": {"to": str(app.id)},
        },
    )
    await _close_others(db, principal, accepted, is_role)
    if is_role:
        await _take_role(db, principal, accepted, posting, on)
    await outbox.emit(db, principal, events.POSTING_FILLED, events.posting_data(filled))
    return accepted


async def _check_still_fillable(db: Executor, app: Any, posting: Any) -> None:
    """What a ROLE posting hands the applicant must still be there to take: the role may
    have been archived and the hiring manager may have left since the posting opened.
    Either is the posting's state, not the caller's input: INVALID_STATE at the
    application's ID, with what an HR admin can do about it."""
    role = await framework_queries.one_by_id(db, roles, posting.role_id)
    if role is None or role.archived_at is not None:
        title = f' "{role.title}"' if role is not None else ""
        raise UserInputError.one(
            ("input", "id"),
            f"the posting's role{title} has been archived since it opened; "
            "the offer cannot be accepted",
            ErrorCode.INVALID_STATE,
        )
    manager = await people.get_employee(db, posting.hiring_manager_id)
    if manager is None or manager.status == EmployeeStatus.TERMINATED:
        raise UserInputError.one(
            ("input", "id"),
            "the posting's hiring manager has left; name another one (updatePosting) first",
            ErrorCode.INVALID_STATE,
        )
    if await policies.is_above(db, app.employee_id, posting.hiring_manager_id):
        raise UserInputError.one(
            ("input", "id"),
            "the hiring manager reports to the applicant; change the reporting line first",
            ErrorCode.INVALID_STATE,
        )


async def _close_others(db: Executor, principal: Principal, accepted: Any, is_role: bool) -> None:
    """Reject the posting's other active applications (it is filled) and, for a ROLE
    posting, withdraw the applicant's other active applications."""
    targets = [
        (
            applications.c.posting_id == accepted.posting_id,
            ApplicationStatus.REJECTED.value,
            {"feedback": FILLED_FEEDBACK},
        )
    ]
    if is_role:
        targets.append(
            (
                applications.c.employee_id == accepted.employee_id,
                ApplicationStatus.WITHDRAWN.value,
                {},
            )
        )
    for condition, status, extra in targets:
        found = (
            await db.execute(
                select(applications.c.id, applications.c.status)
                .where(
                    condition, applications.c.id != accepted.id, applications.c.status.in_(ACTIVE)
                )
                .order_by(applications.c.id)
                .with_for_update()
            )
        ).all()
        if not found:
            continue
        previous = {r.id: r.status for r in found}
        rows = (
            await db.execute(
                update(applications)
                .where(applications.c.id.in_(list(previous)))
                .values(
                    status=status,
                    status_changed_at=func.now(),
                    version=applications.c.version + 1,
                    updated_at=func.now(),
                    **extra,
                )
                .returning(*applications.c)
            )
        ).all()
        for row in rows:
            await audit.record(
                db,
                principal,
                f"application.{status.lower()}",
                "Application",
                row.id,
                {"status": {"from": previous[row.id], "to": status}},
            )
            await _status_changed(db, principal, row, previous[row.id])


async def _take_role(
    db: Executor, principal: Principal, app: Any, posting: Any, on: dt.date
) -> None:
    """The applicant takes the posting's role, org unit and hiring manager."""
    before = (
        await db.execute(
            select(*EMPLOYEE_COLUMNS).where(employees.c.id == app.employee_id).with_for_update()
        )
    ).one()
    after = (
        await db.execute(
            update(employees)
            .where(employees.c.id == app.employee_id)
            .values(
                role_id=posting.role_id,
                org_unit_id=posting.org_unit_id,
                manager_id=posting.hiring_manager_id,
                version=employees.c.version + 1,
                updated_at=func.now(),
            )
            .returning(*EMPLOYEE_COLUMNS)
        )
    ).one()
    ranks = await framework_queries.role_level_ranks(
        db, [r for r in (before.role_id, posting.role_id) if r is not None]
    )
    old, new = ranks.get(before.role_id) if before.role_id else None, ranks.get(posting.role_id)
    kind = (
        PositionChangeKind.PROMOTION
        if old is not None and new is not None and new > old
        else PositionChangeKind.LATERAL_MOVE
    )
    await people.record_position(
        db, principal, after, kind, on, before, source_type=SOURCE_TYPE, source_id=app.id
    )
    await audit.record(
        db,
        principal,
        "employee.move",
        "Employee",
        app.employee_id,
        audit.diff(
            {k: before._mapping[k] for k in ("role_id", "org_unit_id", "manager_id")},
            {k: after._mapping[k] for k in ("role_id", "org_unit_id", "manager_id")},
        ),
    )
    await promotion_queries.record_readiness(db, [app.employee_id])
    # Transition support: an onboarding plan toward the new role's gaps, drafted for the
    # employee and their new manager to go through.
    role = await framework_queries.one_by_id(db, roles, posting.role_id)
    await development.draft_plan(
        db,
        system_principal(principal.org_id),
        app.employee_id,
        posting.role_id,
        title=f"Onboarding: {role.title}" if role is not None else None,
    )
    await people_events.employee_role_changed(
        db,
        principal,
        people_events.role_changed_data(
            app.employee_id,
            after.role_id,
            before.role_id,
            kind.value,
            on,
            SOURCE_TYPE,
            app.id,
        ),
    )


# --- settings -----------------------------------------------------------------------------


async def update_settings(
    db: Executor,
    principal: Principal,
    confidential_until: str | None,
    *,
    expected_version: int | None = None,
) -> queries.MobilitySettings:
    """Change the organization's mobility settings (HR admins)."""
    policies.require_admin(principal)
    current = await queries.settings(db)
    check_version(current, expected_version, "mobility settings")
    if confidential_until is None or confidential_until == current.confidential_until:
        return current
    if confidential_until not in RANK or RANK[confidential_until] == 0:
        raise UserInputError.one(("input", "confidentialUntil"), "must be a stage after SUBMITTED")
    await write_settings(
        db,
        principal,
        mobility_settings,
        {"confidential_until": current.confidential_until},
        {"confidential_until": confidential_until},
        "mobility_settings.update",
        "MobilitySettings",
    )
    return await queries.settings(db)
