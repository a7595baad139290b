"""Use cases of assessments: cycles, drafts and their ratings, submission, peer invitations,
calibration and the import of past ratings.

Every function authorizes through ``service.auth.policies`` first, checks all of its input
at once (``UserInputError`` with every problem), writes, keeps the derived current
proficiencies in step in the same transaction, and records an audit event.

Objects the caller may not use are refused the same way whether they exist or not:
``Forbidden`` for most callers; HR admins, who may see everything, get a ``NOT_FOUND``
user error instead. Likewise a person the caller may not see answers exactly as an ID that
names no one: nothing checked before the caller's right to use them depends on them, and a
colleague who has left is "no such employee" to whoever may not see their record.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from service.assessments import events, queries
from service.assessments.models import (
    AssessmentCycleCoverage,
    AssessmentCycleStatus,
    AssessmentKind,
    AssessmentSource,
    AssessmentStatus,
    assessment_cycle_employees,
    assessment_cycles,
    assessments,
    ratings,
)
from service.audit import service as audit
from service.auth import policies
from service.auth.principal import Principal
from service.db import Executor
from service.development import progress as development
from service.errors import ErrorCode, FieldError, Forbidden, UserInputError, Validator
from service.framework import queries as framework_queries
from service.framework.models import competencies, scale_levels
from service.framework.rules import usable_competency
from service.kit import INVALID, TargetAction, check_version, update_versioned
from service.people import queries as people_queries
from service.people.models import EmployeeStatus, employees, org_units
from service.promotions import service as promotions

MAX_NAME = 200
MAX_TEXT = 4000
MAX_EVIDENCE = 4000
MAX_RATINGS = 100
MAX_CYCLE_EMPLOYEES = 1000
EARLIEST = dt.date(1900, 1, 1)

Path = tuple[str, ...]


Errors = Validator


# --- inputs -----------------------------------------------------------------------------


@dataclass
class CycleInput:
    name: str | None
    starts_on: dt.date
    ends_on: dt.date
    kinds: Sequence[str]
    description: str | None = None
    org_unit_id: Any = None  # uuid, INVALID or None
    employee_ids: Sequence[Any] | None = None  # uuids (or INVALID), or None


@dataclass
class RatingInput:
    competency_id: Any  # uuid or INVALID
    level: int
    evidence: str | None = None


@dataclass
class ImportRow:
    subject_id: Any
    competency_id: Any
    level: int
    kind: str
    rated_on: dt.date
    assessor_id: Any = None
    evidence: str | None = None


@dataclass
class ImportResult:
    rating_count: int
    assessment_ids: list[uuid.UUID] = field(default_factory=list)
    employee_count: int = 0


# --- shared checks ------------------------------------------------------------------------


def _hidden(principal: Principal, path: Path, what: str) -> Exception:
    """How to refuse an object the caller may not use or that does not exist."""
    if policies.is_admin(principal):
        return UserInputError.one(path, f"no such {what}", ErrorCode.NOT_FOUND)
    return Forbidden()


async def _employee(db: Executor, employee_id: uuid.UUID) -> Any | None:
    return (
        await db.execute(
            select(employees.c.id, employees.c.status, employees.c.org_unit_id).where(
                employees.c.id == employee_id
            )
        )
    ).first()


async def _load_assessment(
    db: Executor, principal: Principal, assessment_id: uuid.UUID, *, lock: bool = False
) -> Any:
    """The assessment, if the caller may see it (see the module docstring otherwise)."""
    stmt = select(*assessments.c).where(assessments.c.id == assessment_id)
    if lock:
        stmt = stmt.with_for_update()
    row = (await db.execute(stmt)).first()
    path = ("input", "assessmentId")
    if row is None:
        raise _hidden(principal, path, "assessment")
    if not _sees(principal, await policies.reach_of(db, principal), row):
        raise _hidden(principal, path, "assessment")
    return row


async def _cycle(db: Executor, cycle_id: uuid.UUID, *, lock: bool = False) -> Any | None:
    stmt = select(*assessment_cycles.c).where(assessment_cycles.c.id == cycle_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await db.execute(stmt)).first()


async def _covers(db: Executor, cycle: Any, employee: Any) -> bool:
    """Whether ``cycle`` covers ``employee`` (everyone, an org unit with its sub-units, or
    a list of employees)."""
    if cycle.coverage == AssessmentCycleCoverage.ALL:
        return True
    if cycle.coverage == AssessmentCycleCoverage.EMPLOYEES:
        found = await db.execute(
            select(assessment_cycle_employees.c.employee_id).where(
                assessment_cycle_employees.c.cycle_id == cycle.id,
                assessment_cycle_employees.c.employee_id == employee.id,
            )
        )
        return found.first() is not None
    if employee.org_unit_id is None:
        return False
    return await people_queries.unit_is_within(db, employee.org_unit_id, cycle.org_unit_id)


async def _check_cycle_for(
    db: Executor,
    v: Validator,
    cycle_id: Any,
    kind: str,
    subject: Any,
    *,
    statuses: Sequence[str] = (AssessmentCycleStatus.OPEN,),
) -> Any | None:
    """The cycle an assessment is to belong to, with problems added to ``v``."""
    if cycle_id is None or cycle_id is INVALID:
        return None
    path = ("input", "cycleId")
    cycle = await _cycle(db, cycle_id)
    if cycle is None:
        v.add(path, "no such assessment cycle", ErrorCode.NOT_FOUND)
        return None
    if cycle.status not in statuses:
        wanted = " or ".join(s.lower() for s in statuses)
        v.add(path, f"the cycle is {cycle.status.lower()}, not {wanted}", ErrorCode.INVALID_STATE)
    if kind not in cycle.kinds:
        v.add(path, f"the cycle does not collect {kind} assessments", ErrorCode.INVALID)
    if subject is not None and not await _covers(db, cycle, subject):
        v.add(path, "the cycle does not cover this employee", ErrorCode.INVALID)
    return cycle


async def _competency_sizes(db: Executor, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Competencies by ID with the size of their scale (``scale_size``)."""
    if not ids:
        return {}
    stmt = (
        select(
            competencies.c.id,
            competencies.c.key,
            competencies.c.archived_at,
            func.count(scale_levels.c.value).label("scale_size"),
        )
        .join(scale_levels, scale_levels.c.scale_id == competencies.c.scale_id, isouter=True)
        .where(competencies.c.id.in_(ids))
        .group_by(competencies.c.id)
    )
    return {r.id: r for r in (await db.execute(stmt)).all()}


def _check_rating(
    v: Validator,
    prefix: Path,
    competency_id: Any,
    level: int,
    evidence: str | None,
    found: dict[uuid.UUID, Any],
) -> str | None:
    """Problems of one rating; returns the cleaned evidence."""
    if competency_id is not INVALID:
        comp = usable_competency(v, (*prefix, "competencyId"), found.get(competency_id))
        if comp is not None and not 1 <= level <= comp.scale_size:
            v.add(
                (*prefix, "level"),
                f'level {level} is outside the scale of competency "{comp.key}" '
                f"(1..{comp.scale_size})",
            )
    return v.text("evidence", evidence, max_length=MAX_EVIDENCE, prefix=prefix) or None


async def _checked_ratings(
    db: Executor, v: Validator, items: Sequence[RatingInput], *, required: bool
) -> list[dict[str, Any]]:
    """Every rating checked at once: a known, active competency, once only, at a level of
    its scale, evidence of at most 4000 characters. Returns the rows to write."""
    if v.too_many(
        ("input", "ratings"), len(items), MAX_RATINGS, f"at most {MAX_RATINGS} ratings at once"
    ):
        return []
    if required and not items:
        v.add(("input", "ratings"), "rate at least one competency", ErrorCode.REQUIRED)
    found = await _competency_sizes(
        db, {r.competency_id for r in items if r.competency_id is not INVALID}
    )
    out: list[dict[str, Any]] = []
    seen: dict[uuid.UUID, int] = {}
    for i, r in enumerate(items):
        prefix = ("input", "ratings", str(i))
        if r.competency_id is not INVALID and r.competency_id in seen:
            v.add(
                (*prefix, "competencyId"),
                f"the competency is already rated (ratings[{seen[r.competency_id]}])",
                ErrorCode.TAKEN,
            )
            continue
        if r.competency_id is not INVALID:
            seen[r.competency_id] = i
        evidence = _check_rating(v, prefix, r.competency_id, r.level, r.evidence, found)
        out.append({"competency_id": r.competency_id, "level": r.level, "evidence": evidence})
    return out


# --- cycles -------------------------------------------------------------------------------


def _kinds(v: Validator, kinds: Sequence[str]) -> list[str]:
    valid = [k.value for k in AssessmentKind]
    if not kinds:
        v.add(("input", "kinds"), "name at least one kind of assessment", ErrorCode.REQUIRED)
    if len(set(kinds)) != len(kinds):
        v.add(("input", "kinds"), "each kind may appear once")
    for i, k in enumerate(kinds):
        if k not in valid:
            v.add(("input", "kinds", str(i)), f'"{k}" is not a kind of assessment')
    return [k for k in valid if k in kinds]  # a canonical order


async def create_cycle(
    db: Executor, principal: Principal, data: CycleInput, input_errors: Sequence[FieldError] = ()
) -> Any:
    """A new assessment cycle, in DRAFT. Admins only."""
    policies.require_admin(principal)
    v = Errors(input_errors)
    name = v.text("name", data.name, required=True, max_length=MAX_NAME)
    description = v.text("description", data.description, max_length=MAX_TEXT) or None
    if data.starts_on > data.ends_on:
        v.add(("input", "endsOn"), "is before the start of the window")
    for path, day in ((("input", "startsOn"), data.starts_on), (("input", "endsOn"), data.ends_on)):
        if day < EARLIEST:
            v.add(path, "is before 1900")
    kinds = _kinds(v, data.kinds)
    coverage = AssessmentCycleCoverage.ALL
    if data.org_unit_id is not None and data.employee_ids is not None:
        v.add(("input", "employeeIds"), "give an org unit or a list of employees, not both")
    elif data.org_unit_id is not None:
        coverage = AssessmentCycleCoverage.ORG_UNIT
        if data.org_unit_id is not INVALID:
            unit = await db.execute(
                select(org_units.c.id).where(org_units.c.id == data.org_unit_id)
            )
            if unit.first() is None:
                v.add(("input", "orgUnitId"), "no such org unit", ErrorCode.NOT_FOUND)
    elif data.employee_ids is not None:
        coverage = AssessmentCycleCoverage.EMPLOYEES
        if not data.employee_ids:
            v.add(("input", "employeeIds"), "name at least one employee", ErrorCode.REQUIRED)
        elif len(data.employee_ids) > MAX_CYCLE_EMPLOYEES:
            v.add(
                ("input", "employeeIds"),
                f"at most {MAX_CYCLE_EMPLOYEES} employees",
                ErrorCode.LIMIT_EXCEEDED,
            )
        else:
            wanted = {e for e in data.employee_ids if e is not INVALID}
            known = set(
                (await db.execute(select(employees.c.id).where(employees.c.id.in_(wanted))))
                .scalars()
                .all()
            )
            seen: set[uuid.UUID] = set()
            for i, e in enumerate(data.employee_ids):
                if e is INVALID:
                    continue
                if e not in known:
                    v.add(("input", "employeeIds", str(i)), "no such employee", ErrorCode.NOT_FOUND)
                elif e in seen:
                    v.add(("input", "employeeIds", str(i)), "is listed twice", ErrorCode.TAKEN)
                seen.add(e)
    v.raise_if_any()
    row = (
        await db.execute(
            insert(assessment_cycles)
            .values(
                org_id=principal.org_id,
                name=name,
                description=description,
                starts_on=data.starts_on,
                ends_on=data.ends_on,
                kinds=kinds,
                coverage=coverage.value,
                org_unit_id=data.org_unit_id
                if coverage == AssessmentCycleCoverage.ORG_UNIT
                else None,
            )
            .returning(*assessment_cycles.c)
        )
    ).one()
    listed: list[uuid.UUID] = []
    if coverage == AssessmentCycleCoverage.EMPLOYEES:
        listed = list(dict.fromkeys(data.employee_ids or []))
        await db.execute(
            insert(assessment_cycle_employees),
            [{"org_id": principal.org_id, "cycle_id": row.id, "employee_id": e} for e in listed],
        )
    await audit.record(
        db,
        principal,
        "assessment_cycle.create",
        "AssessmentCycle",
        row.id,
        audit.diff(
            None,
            {
                "name": name,
                "starts_on": data.starts_on,
                "ends_on": data.ends_on,
                "kinds": kinds,
                "coverage": coverage.value,
                "org_unit_id": row.org_unit_id,
                "employee_ids": listed or None,
            },
        ),
    )
    return row


def _cycle_move(
    source: AssessmentCycleStatus, target: AssessmentCycleStatus, stamp: str, doc: str
) -> TargetAction:
    """The use case moving a cycle from ``source`` to ``target``, stamping the column
    ``stamp``. Admins only."""
    verb, done = ("open", "opened") if target == AssessmentCycleStatus.OPEN else ("close", "closed")

    async def move(
        db: Executor,
        principal: Principal,
        cycle_id: uuid.UUID,
        /,
        *,
        expected_version: int | None = None,
    ) -> Any:
        policies.require_admin(principal)
        cycle = await _cycle(db, cycle_id, lock=True)
        if cycle is None:
            raise UserInputError.one(
                ("input", "id"), "no such assessment cycle", ErrorCode.NOT_FOUND
            )
        check_version(cycle, expected_version, "cycle")
        if cycle.status != source:
            raise UserInputError.one(
                ("input", "id"),
                f"the cycle is {cycle.status.lower()}; only a {source.lower()} cycle can be {done}",
                ErrorCode.INVALID_STATE,
            )
        row = (
            await update_versioned(
                db,
                assessment_cycles,
                cycle_id,
                {"status": target.value, stamp: func.now()},
                expected_version=cycle.version,
                what="cycle",
            )
        ).after
        await audit.record(
            db,
            principal,
            f"assessment_cycle.{verb}",
            "AssessmentCycle",
            cycle_id,
            audit.diff({"status": cycle.status}, {"status": target.value}),
        )
        return row

    move.__doc__ = doc
    return move


open_cycle = _cycle_move(
    AssessmentCycleStatus.DRAFT,
    AssessmentCycleStatus.OPEN,
    "opened_at",
    "DRAFT → OPEN: assessments can be started and submitted in it. Admins only.",
)
close_cycle = _cycle_move(
    AssessmentCycleStatus.OPEN,
    AssessmentCycleStatus.CLOSED,
    "closed_at",
    "OPEN → CLOSED: drafts left in it can no longer be submitted. Admins only.",
)


# --- assessments --------------------------------------------------------------------------


async def _subject(db: Executor, principal: Principal, subject_id: uuid.UUID, path: Path) -> Any:
    """The subject of an assessment, if the caller may name them at all (private career
    data readers; see the module docstring for unknown subjects)."""
    policies.require_private_reader(principal)
    row = await _employee(db, subject_id)
    if row is None:
        raise _hidden(principal, path, "employee")
    return row


async def _authorize_kind(
    db: Executor, principal: Principal, kind: str, subject_id: uuid.UUID
) -> None:
    """Whether the caller may write a ``kind`` assessment of the subject."""
    if kind == AssessmentKind.SELF:
        allowed = policies.can_write_self(principal, subject_id)
    elif kind == AssessmentKind.MANAGER:
        above = await policies.manages(db, principal, subject_id)
        allowed = policies.can_write_manager(principal, above_subject=above)
    elif kind == AssessmentKind.CALIBRATION:
        allowed = policies.can_calibrate(principal)
    else:
        allowed = False
    if not allowed:
        raise Forbidden()


async def _insert_assessment(db: Executor, principal: Principal, **values: Any) -> Any:
    try:
        return (
            await db.execute(
                insert(assessments)
                .values(org_id=principal.org_id, **values)
                .returning(*assessments.c)
            )
        ).one()
    except IntegrityError as exc:
        # A concurrent request created the same draft (or cycle assessment) first; the
        # mutation's savepoint undoes this one.
        if "uq_assessments_" not in str(exc.orig):
            raise
        raise UserInputError.one(
            ("input", "subjectId"),
            "the same assessment was just created by another request; reload",
            ErrorCode.CONFLICT,
        ) from None


async def start_assessment(
    db: Executor,
    principal: Principal,
    subject_id: uuid.UUID,
    kind: str,
    cycle_id: Any = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """A draft SELF or MANAGER assessment by the caller, in a cycle or ad hoc. When the
    caller already has a draft of the same kind for the subject (in the same cycle), that
    draft is returned instead of a second one."""
    # The kind first: whether the subject exists must not change the answer.
    policies.require_private_reader(principal)
    if kind == AssessmentKind.PEER:
        raise UserInputError.one(
            ("input", "kind"),
            "peers assess by invitation: use invitePeerAssessor",
            ErrorCode.INVALID,
        )
    if kind == AssessmentKind.CALIBRATION:
        raise UserInputError.one(
            ("input", "kind"), "admins record calibrations with calibrateRatings"
        )
    subject = await _subject(db, principal, subject_id, ("input", "subjectId"))
    v = Errors(input_errors)
    await _authorize_kind(db, principal, kind, subject_id)
    if subject.status == EmployeeStatus.TERMINATED:
        v.add(("input", "subjectId"), "the employee has left", ErrorCode.INVALID_STATE)
    await _check_cycle_for(db, v, cycle_id, kind, subject)
    v.raise_if_any()
    existing = (
        await db.execute(
            select(*assessments.c).where(
                assessments.c.subject_id == subject_id,
                assessments.c.assessor_id == principal.employee_id,
                assessments.c.kind == kind,
                assessments.c.source == AssessmentSource.DIRECT.value,
                assessments.c.cycle_id.is_(None)
                if cycle_id is None
                else assessments.c.cycle_id == cycle_id,
                *(
                    [assessments.c.status == AssessmentStatus.DRAFT.value]
                    if cycle_id is None
                    else []
                ),
            )
        )
    ).first()
    if existing is not None:
        if existing.status == AssessmentStatus.DRAFT:
            return existing
        raise UserInputError.one(
            ("input", "cycleId"),
            "you already submitted this assessment in this cycle; a new one can be started "
            "outside the cycle",
            ErrorCode.TAKEN,
        )
    row = await _insert_assessment(
        db,
        principal,
        cycle_id=cycle_id,
        subject_id=subject_id,
        assessor_id=principal.employee_id,
        kind=kind,
    )
    await audit.record(
        db,
        principal,
        "assessment.start",
        "Assessment",
        row.id,
        audit.diff(None, {"subject_id": subject_id, "kind": kind, "cycle_id": cycle_id}),
    )
    return row


async def invite_peer(
    db: Executor,
    principal: Principal,
    subject_id: uuid.UUID,
    peer_id: Any,
    cycle_id: Any = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """A draft PEER assessment of the subject for the peer to write. The subject, their
    manager chain or an admin invites; a peer is invited once per subject and cycle (and
    once per open draft outside cycles).

    Peer feedback is anonymous to its subject, so what the subject learns from inviting is
    the same whoever the peer is and whatever they did: inviting a peer already invited
    writes nothing and answers like a new invitation (None instead of the new row; see
    ``shown_invitation`` for what the caller is shown), and a peer who has left is as
    unknown as an ID that names no one, unless the caller sees the peer's record.
    Callers who may see who writes peer feedback on the subject (managers above, admins)
    are told the peer is already invited (TAKEN) instead.
    """
    subject = await _subject(db, principal, subject_id, ("input", "subjectId"))
    above = await policies.manages(db, principal, subject_id)
    if not policies.can_invite_peer(principal, subject_id, above_subject=above):
        raise Forbidden()
    reach = await policies.reach_of(db, principal)
    v = Errors(input_errors)
    if subject.status == EmployeeStatus.TERMINATED:
        v.add(("input", "subjectId"), "the employee has left", ErrorCode.INVALID_STATE)
    invited = False
    if peer_id is not INVALID:
        peer = await _employee(db, peer_id)
        if peer is None or (
            peer.status == EmployeeStatus.TERMINATED and not reach.sees_record(peer_id)
        ):
            v.add(("input", "peerId"), "no such employee", ErrorCode.NOT_FOUND)
        elif peer_id == subject_id:
            v.add(("input", "peerId"), "a peer is someone other than the subject")
        elif peer.status == EmployeeStatus.TERMINATED:
            v.add(("input", "peerId"), "the peer has left", ErrorCode.INVALID_STATE)
        else:
            invited = await _already_invited(db, subject_id, peer_id, cycle_id)
            if invited and _follows_peers(principal, reach, subject_id):
                v.add(("input", "peerId"), "this peer is already invited", ErrorCode.TAKEN)
    await _check_cycle_for(db, v, cycle_id, AssessmentKind.PEER, subject)
    v.raise_if_any()
    if invited:
        return None
    row = await _insert_assessment(
        db,
        principal,
        cycle_id=cycle_id,
        subject_id=subject_id,
        assessor_id=peer_id,
        kind=AssessmentKind.PEER.value,
        invited_by_id=principal.employee_id,
    )
    await audit.record(
        db,
        principal,
        "assessment.invite_peer",
        "Assessment",
        row.id,
        audit.diff(None, {"subject_id": subject_id, "assessor_id": peer_id, "cycle_id": cycle_id}),
    )
    return row


def _follows_peers(principal: Principal, reach: policies.Reach, subject_id: uuid.UUID) -> bool:
    """Whether the caller may see who writes peer feedback on the subject."""
    return policies.can_see_assessor(
        principal, reach, kind=AssessmentKind.PEER, subject_id=subject_id, assessor_id=None
    )


async def _already_invited(
    db: Executor, subject_id: uuid.UUID, peer_id: uuid.UUID, cycle_id: Any
) -> bool:
    """Whether the peer has an open invitation to assess the subject (outside cycles), or
    any in the cycle."""
    in_cycle = cycle_id is not None and cycle_id is not INVALID
    clash = await db.execute(
        select(assessments.c.id).where(
            assessments.c.subject_id == subject_id,
            assessments.c.assessor_id == peer_id,
            assessments.c.kind == AssessmentKind.PEER.value,
            assessments.c.source == AssessmentSource.DIRECT.value,
            assessments.c.cycle_id == cycle_id if in_cycle else assessments.c.cycle_id.is_(None),
            *([] if in_cycle else [assessments.c.status == AssessmentStatus.DRAFT.value]),
        )
    )
    return clash.first() is not None


async def shown_invitation(db: Executor, principal: Principal, row: Any | None) -> Any | None:
    """What ``invitePeerAssessor`` shows of the invitation it made: the new assessment for
    callers who may see who writes peer feedback on its subject (managers above, admins);
    nothing for the subject, who is never handed an ID of one peer's feedback."""
    if row is None or not _follows_peers(
        principal, await policies.reach_of(db, principal), row.subject_id
    ):
        return None
    return row


async def _editable(
    db: Executor, principal: Principal, assessment_id: uuid.UUID, expected_version: int | None
) -> Any:
    """The caller's own draft, locked for the change."""
    policies.require_private_reader(principal)
    row = await _load_assessment(db, principal, assessment_id, lock=True)
    if not policies.is_assessor(principal, row.assessor_id):
        raise Forbidden("Only the assessor edits or submits an assessment.")
    # Whoever wrote the draft must still be allowed to (a manager may have changed).
    if row.kind != AssessmentKind.PEER:
        await _authorize_kind(db, principal, row.kind, row.subject_id)
    if row.status != AssessmentStatus.DRAFT:
        raise UserInputError.one(
            ("input", "assessmentId"),
            "the assessment is submitted and cannot change; start a new one",
            ErrorCode.INVALID_STATE,
        )
    check_version(row, expected_version, "assessment")
    return row


async def save_ratings(
    db: Executor,
    principal: Principal,
    assessment_id: uuid.UUID,
    items: Sequence[RatingInput],
    *,
    remove: Sequence[Any] = (),
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Add or replace ratings of the caller's draft (one per competency) and remove others."""
    row = await _editable(db, principal, assessment_id, expected_version)
    v = Errors(input_errors)
    rows = await _checked_ratings(db, v, items, required=False)
    v.too_many(
        ("input", "removeCompetencyIds"), len(remove), MAX_RATINGS, f"at most {MAX_RATINGS} at once"
    )
    rated = {r["competency_id"] for r in rows}
    for i, c in enumerate(remove):
        if c is not INVALID and c in rated:
            v.add(
                ("input", "removeCompetencyIds", str(i)),
                "the competency is also rated in this change",
                ErrorCode.CONFLICT,
            )
    v.raise_if_any()
    removed = [c for c in remove if c is not INVALID]
    if removed:
        await db.execute(
            delete(ratings).where(
                ratings.c.assessment_id == assessment_id, ratings.c.competency_id.in_(removed)
            )
        )
    if rows:
        stmt = pg_insert(ratings)
        await db.execute(
            stmt.on_conflict_do_update(
                index_elements=["org_id", "assessment_id", "competency_id"],
                set_={
                    "level": stmt.excluded.level,
                    "evidence": stmt.excluded.evidence,
                    "updated_at": func.now(),
                },
            ),
            [{"org_id": principal.org_id, "assessment_id": assessment_id, **r} for r in rows],
        )
    updated = (
        await update_versioned(
            db, assessments, assessment_id, {}, expected_version=row.version, what="assessment"
        )
    ).after
    await audit.record(
        db,
        principal,
        "assessment.save_ratings",
        "Assessment",
        assessment_id,
        {
            "ratings": {
                "to": [
                    {"competency_id": str(r["competency_id"]), "level": r["level"]} for r in rows
                ]
            },
            "removed": {"to": [str(c) for c in removed]},
            "version": {"from": row.version, "to": updated.version},
        },
    )
    return updated


async def submit_assessment(
    db: Executor,
    principal: Principal,
    assessment_id: uuid.UUID,
    expected_version: int | None = None,
) -> Any:
    """Submit the caller's draft: from now on it is immutable, visible to the subject and
    their managers, and counts towards the subject's current proficiency."""
    row = await _editable(db, principal, assessment_id, expected_version)
    v = Validator()
    count = (
        await db.execute(
            select(func.count())
            .select_from(ratings)
            .where(ratings.c.assessment_id == assessment_id)
        )
    ).scalar_one()
    if not count:
        v.add(
            ("input", "assessmentId"),
            "rate at least one competency before submitting",
            ErrorCode.REQUIRED,
        )
    if row.cycle_id is not None:
        cycle = await _cycle(db, row.cycle_id)
        if cycle is not None and cycle.status != AssessmentCycleStatus.OPEN:
            v.add(
                ("input", "assessmentId"),
                f"the assessment's cycle is {cycle.status.lower()}",
                ErrorCode.INVALID_STATE,
            )
    v.raise_if_any()
    submitted = (
        await update_versioned(
            db,
            assessments,
            assessment_id,
            {"status": AssessmentStatus.SUBMITTED.value, "submitted_at": func.now()},
            expected_version=row.version,
            what="assessment",
        )
    ).after
    await queries.refresh_current(db, [row.subject_id])
    await promotions.record_readiness(db, [row.subject_id])
    await development.proficiencies_changed(db, principal, [row.subject_id])
    await events.assessment_submitted(db, principal, submitted)
    await audit.record(
        db,
        principal,
        "assessment.submit",
        "Assessment",
        assessment_id,
        audit.diff({"status": row.status}, {"status": submitted.status}),
    )
    return submitted


async def calibrate(
    db: Executor,
    principal: Principal,
    subject_id: uuid.UUID,
    items: Sequence[RatingInput],
    cycle_id: Any = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Record a submitted CALIBRATION assessment of the subject in one step. Admins only."""
    if not policies.can_calibrate(principal):
        raise Forbidden()
    subject = await _subject(db, principal, subject_id, ("input", "subjectId"))
    v = Errors(input_errors)
    rows = await _checked_ratings(db, v, items, required=True)
    await _check_cycle_for(
        db,
        v,
        cycle_id,
        AssessmentKind.CALIBRATION,
        subject,
        statuses=(AssessmentCycleStatus.OPEN, AssessmentCycleStatus.CLOSED),
    )
    v.raise_if_any()
    row = await _insert_assessment(
        db,
        principal,
        cycle_id=cycle_id,
        subject_id=subject_id,
        assessor_id=principal.employee_id,
        kind=AssessmentKind.CALIBRATION.value,
        status=AssessmentStatus.SUBMITTED.value,
        submitted_at=func.now(),
    )
    await db.execute(
        insert(ratings),
        [{"org_id": principal.org_id, "assessment_id": row.id, **r} for r in rows],
    )
    await queries.refresh_current(db, [subject_id])
    await promotions.record_readiness(db, [subject_id])
    await development.proficiencies_changed(db, principal, [subject_id])
    await events.assessment_submitted(db, principal, row)
    await audit.record(
        db,
        principal,
        "assessment.calibrate",
        "Assessment",
        row.id,
        audit.diff(
            None,
            {
                "subject_id": subject_id,
                "cycle_id": cycle_id,
                "ratings": [
                    {"competency_id": str(r["competency_id"]), "level": r["level"]} for r in rows
                ],
            },
        ),
    )
    return row


# --- import -------------------------------------------------------------------------------


async def import_ratings(
    db: Executor,
    principal: Principal,
    rows: Sequence[ImportRow],
    *,
    cycle_id: Any = None,
    max_rows: int = 1000,
    today: dt.date | None = None,
    input_errors: Sequence[FieldError] = (),
) -> ImportResult:
    """Import ratings of a past review: every row checked at once, then written together.

    Rows with the same subject, kind, assessor and date form one submitted assessment
    (source IMPORT, submitted at that date); a competency appears once per such group.
    Imported ratings count towards current proficiencies like any other (the newest of a
    kind wins); the import sends one ``assessment.imported`` event. Admins only.
    """
    if not policies.can_calibrate(principal):
        raise Forbidden()
    v = Errors(input_errors)
    if v.too_many(
        ("input", "ratings"),
        len(rows),
        max_rows,
        f"at most {max_rows} ratings per import; split the file",
    ):
        v.raise_if_any()
    if not rows:
        v.add(("input", "ratings"), "nothing to import", ErrorCode.REQUIRED)
    today = today or dt.date.today()
    people_ids = {r.subject_id for r in rows if r.subject_id is not INVALID} | {
        r.assessor_id for r in rows if r.assessor_id not in (None, INVALID)
    }
    known = {
        r.id: r
        for r in (
            await db.execute(
                select(employees.c.id, employees.c.status, employees.c.org_unit_id).where(
                    employees.c.id.in_(people_ids)
                )
            )
        ).all()
    }
    found = await _competency_sizes(
        db, {r.competency_id for r in rows if r.competency_id is not INVALID}
    )
    cycle = None
    if cycle_id is not None and cycle_id is not INVALID:
        cycle = await _cycle(db, cycle_id)
        if cycle is None:
            v.add(("input", "cycleId"), "no such assessment cycle", ErrorCode.NOT_FOUND)
    valid_kinds = {k.value for k in AssessmentKind}
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    seen: dict[tuple[Any, ...], int] = {}
    for i, r in enumerate(rows):
        prefix = ("input", "ratings", str(i))
        ok = True
        if r.subject_id is not INVALID and r.subject_id not in known:
            v.add((*prefix, "subjectId"), "no such employee", ErrorCode.NOT_FOUND)
            ok = False
        assessor = r.assessor_id
        if assessor is not None and assessor is not INVALID and assessor not in known:
            v.add((*prefix, "assessorId"), "no such employee", ErrorCode.NOT_FOUND)
            ok = False
        if r.kind not in valid_kinds:
            v.add((*prefix, "kind"), f'"{r.kind}" is not a kind of assessment')
            ok = False
        elif r.kind == AssessmentKind.SELF:
            if assessor is not None and assessor != r.subject_id:
                v.add((*prefix, "assessorId"), "a SELF rating is written by its subject")
                ok = False
            assessor = r.subject_id
        elif assessor is not None and assessor == r.subject_id:
            v.add((*prefix, "assessorId"), f"a {r.kind} rating is written by someone else")
            ok = False
        if cycle is not None and r.kind in valid_kinds and r.kind not in cycle.kinds:
            v.add((*prefix, "kind"), f"the cycle does not collect {r.kind} assessments")
            ok = False
        if r.rated_on > today:
            v.add((*prefix, "ratedOn"), "is in the future")
            ok = False
        elif r.rated_on < EARLIEST:
            v.add((*prefix, "ratedOn"), "is before 1900")
            ok = False
        before = len(v.errors)
        evidence = _check_rating(v, prefix, r.competency_id, r.level, r.evidence, found)
        ok = ok and len(v.errors) == before
        key = (r.subject_id, r.kind, assessor, r.rated_on)
        if ok and (*key, r.competency_id) in seen:
            v.add(
                (*prefix, "competencyId"),
                "the same rating is already in this import "
                f"(ratings[{seen[(*key, r.competency_id)]}])",
                ErrorCode.TAKEN,
            )
            ok = False
        if ok:
            seen[(*key, r.competency_id)] = i
            groups.setdefault(key, []).append(
                {"competency_id": r.competency_id, "level": r.level, "evidence": evidence}
            )
    v.raise_if_any()
    new_assessments = []
    new_ratings = []
    for (subject_id, kind, assessor, rated_on), items in groups.items():
        assessment_id = uuid.uuid4()
        at = dt.datetime.combine(rated_on, dt.time(), tzinfo=dt.UTC)
        new_assessments.append(
            {
                "id": assessment_id,
                "org_id": principal.org_id,
                "cycle_id": cycle.id if cycle is not None else None,
                "subject_id": subject_id,
                "assessor_id": assessor,
                "kind": kind,
                "status": AssessmentStatus.SUBMITTED.value,
                "source": AssessmentSource.IMPORT.value,
                "submitted_at": at,
            }
        )
        new_ratings += [
            {"org_id": principal.org_id, "assessment_id": assessment_id, **item} for item in items
        ]
    await db.execute(insert(assessments), new_assessments)
    await db.execute(insert(ratings), new_ratings)
    subjects = sorted({a["subject_id"] for a in new_assessments})
    await queries.refresh_current(db, subjects)
    await promotions.record_readiness(db, subjects)
    await development.proficiencies_changed(db, principal, subjects)
    await events.assessments_imported(
        db, principal, new_assessments, len(new_ratings), cycle.id if cycle else None
    )
    await audit.record(
        db,
        principal,
        "ratings.import",
        "Assessment",
        None,
        {
            "ratings": {"to": len(new_ratings)},
            "assessments": {"to": len(new_assessments)},
            "employees": {"to": len(subjects)},
            "cycle_id": {"to": str(cycle.id) if cycle is not None else None},
        },
    )
    return ImportResult(
        rating_count=len(new_ratings),
        assessment_ids=[a["id"] for a in new_assessments],
        employee_count=len(subjects),
    )


# --- reads ----------------------------------------------------------------------------------
#
# What a caller may read, decided here for every surface (GraphQL today). ``db`` is the
# request's executor; the functions below that take many keys at once batch them through
# its loaders (``db.loader``), so a page of people costs the statements of one. Lists take
# their visibility as a statement builder (``queries.visible_assessments``).


def rules(db: Any) -> queries.Rules:
    """The resolution rule's parameters from the request's settings."""
    return queries.Rules.from_settings(db.settings.assessments)


async def require_private(db: Executor, principal: Principal, employee_id: uuid.UUID) -> None:
    """``Forbidden`` unless the caller may see the employee's private career data; their
    own without computing reach (one statement less on "my" pages)."""
    if policies.can_see_own_private(principal, employee_id):
        return
    if not policies.can_see_private(await policies.reach_of(db, principal), employee_id):
        raise Forbidden()


async def _current(db: Any, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    return await queries.current_by_employee(db, rules(db), ids)


async def current_proficiencies(db: Any, principal: Principal, employee_id: uuid.UUID) -> list[Any]:
    """The employee's current levels (``queries.current_by_employee`` rows): private
    career data."""
    await require_private(db, principal, employee_id)
    return await db.loader(_current).load(employee_id)


async def _gaps(db: Any, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> list[list[Any]]:
    return await queries.gap_rows(db, rules(db), keys)


@dataclass
class GapTarget:
    """One role an employee is compared with: how it relates to them, its row, and per
    expectation a ``queries.gap_rows`` row paired with its competency's row."""

    relation: queries.GapRelation
    role: Any
    rows: list[tuple[Any, Any]]


async def gap_analyses(
    db: Any, principal: Principal, employee: Any, role_id: uuid.UUID | None
) -> list[GapTarget]:
    """The employee (row) compared with ``role_id``, or with their current role and each
    next role: private career data. An unknown role is bad input."""
    await require_private(db, principal, employee.id)
    roles_loader = db.loader(framework_queries.roles_by_id)
    targets: list[tuple[uuid.UUID, queries.GapRelation]] = []
    if role_id is not None and await roles_loader.load(role_id) is None:
        raise UserInputError.one("roleId", "no such role")

    async def promotions() -> list[uuid.UUID]:
        moves = await db.loader(framework_queries.moves_from).load(employee.role_id)
        return [m.to_role_id for m in moves if m.kind == "PROMOTION"]

    if role_id is not None:
        relation = queries.GapRelation.OTHER_ROLE
        if role_id == employee.role_id:
            relation = queries.GapRelation.CURRENT_ROLE
        elif employee.role_id is not None and role_id in await promotions():
            relation = queries.GapRelation.NEXT_ROLE
        targets.append((role_id, relation))
    elif employee.role_id is not None:
        targets.append((employee.role_id, queries.GapRelation.CURRENT_ROLE))
        targets += [(r, queries.GapRelation.NEXT_ROLE) for r in await promotions()]
    role_rows = await roles_loader.load_many([t[0] for t in targets])
    found = await db.loader(_gaps).load_many([(employee.id, t[0]) for t in targets])
    return [
        GapTarget(relation, role, rows)
        for (_, relation), role, rows in zip(targets, role_rows, found, strict=True)
        if role is not None
    ]


async def team_matrix(
    db: Any,
    principal: Principal,
    *,
    manager_id: uuid.UUID | None,
    org_unit_id: uuid.UUID | None,
    all_levels: bool,
    against: str,
    offset: int,
    limit: int,
) -> tuple[queries.MatrixPage, int]:
    """One page of a team's skills matrix and the team's size. Managers see their own
    team and those below them (``policies.can_see_team``); admins any manager's team, or
    an org unit's people."""
    policies.require_private_reader(principal)
    reach = await policies.reach_of(db, principal)
    if org_unit_id is not None:
        if manager_id is not None:
            raise UserInputError.one("orgUnitId", "give a manager or an org unit, not both")
        if not reach.admin:
            raise Forbidden()
        selection = queries.TeamSelection(org_unit_id=org_unit_id, all_levels=all_levels)
    else:
        manager = manager_id or principal.employee_id
        if manager is None:
            raise UserInputError.one("managerId", "a service account must name the manager")
        if not policies.can_see_team(principal, reach, manager):
            raise Forbidden()
        selection = queries.TeamSelection(manager_id=manager, all_levels=all_levels)
    page = await queries.team_matrix(db, rules(db), selection, against, offset, limit)
    total = page.total if page.rows else await queries.team_size(db, selection)
    return page, total


async def skill_gap_summaries(
    db: Any, principal: Principal, keys: Sequence[tuple[str, queries.SummaryFilter]]
) -> list[list[Any]]:
    """Organization patterns, for HR admins: the groups of each (grouping, filter) of
    ``keys``, one statement per distinct filter (``queries.skill_gap_summaries``)."""
    policies.require_admin(principal)
    wanted: dict[queries.SummaryFilter, list[str]] = {}
    for group_by, criteria in keys:
        wanted.setdefault(criteria, []).append(group_by)
    found = {
        criteria: await queries.skill_gap_summaries(db, rules(db), groupings, criteria)
        for criteria, groupings in wanted.items()
    }
    return [found[criteria][group_by] for group_by, criteria in keys]


async def assessments_select(
    db: Executor, principal: Principal, criteria: queries.AssessmentFilter
) -> Any:
    """The statement listing the assessments the caller may see that meet ``criteria``."""
    policies.require_private_reader(principal)
    return queries.assessments_select(principal, await policies.reach_of(db, principal), criteria)


def cycles_select(principal: Principal, status: str | None) -> Any:
    """The statement listing cycles, for readers of private career data."""
    policies.require_private_reader(principal)
    return queries.cycles_select(status)


async def visible_assessments(
    db: Any, principal: Principal, ids: Sequence[uuid.UUID]
) -> list[Any | None]:
    """Assessment rows by ID, None for those the caller may not see (or that do not
    exist), batched through the request's loader."""
    rows = await db.loader(queries.assessments_by_id).load_many(list(ids))
    if not any(rows):
        return list(rows)
    reach = await policies.reach_of(db, principal)
    return [r if r is not None and _sees(principal, reach, r) else None for r in rows]


def _sees(principal: Principal, reach: policies.Reach, row: Any) -> bool:
    """Whether the caller may see the assessment row (``policies.can_see_assessment``)."""
    return policies.can_see_assessment(
        principal,
        reach,
        subject_id=row.subject_id,
        assessor_id=row.assessor_id,
        kind=row.kind,
        submitted=row.status == AssessmentStatus.SUBMITTED,
    )


async def ratings_behind(
    db: Any, principal: Principal, competency_id: uuid.UUID, assessment_ids: Sequence[uuid.UUID]
) -> list[tuple[Any, Any]]:
    """The ratings a current level rests on, newest first, with their assessments: those
    the caller may see (the subject sees no single peer's rating)."""
    if not assessment_ids:
        return []
    ids = list(assessment_ids)
    found = await db.loader(queries.ratings_by_key).load_many([(a, competency_id) for a in ids])
    parents = await visible_assessments(db, principal, ids)
    return [
        (rating, parent)
        for rating, parent in zip(found, parents, strict=True)
        if rating is not None and parent is not None
    ]


async def visible_cycles(
    db: Any, principal: Principal, ids: Sequence[uuid.UUID]
) -> list[Any | None]:
    """Cycle rows by ID, for readers of private career data; None otherwise."""
    if not policies.is_private_reader(principal):
        return [None for _ in ids]
    return list(await db.loader(queries.cycles_by_id).load_many(list(ids)))


async def _cycle_employees(db: Any, ids: Sequence[uuid.UUID]) -> list[list[uuid.UUID]]:
    return await queries.cycle_employees_by_cycle(db, ids)


async def cycle_employees(db: Any, principal: Principal, cycle_id: uuid.UUID) -> list[uuid.UUID]:
    """The employees a cycle lists (coverage EMPLOYEES), those the caller may see."""
    reach = await policies.reach_of(db, principal)
    ids = await db.loader(_cycle_employees).load(cycle_id)
    return [i for i in ids if reach.sees_profile(i)]
