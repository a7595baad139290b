"""Use cases of promotions: proposing, approving, rejecting and cancelling cases, making
approved cases effective on their date, the organization's promotion settings, readiness
history and succession plans.

Every function authorizes through ``service.auth.policies`` first, checks all of its input
at once (``UserInputError`` with every problem, nothing written), writes, records an audit
event and reports what happened through ``_emit`` in the same transaction.

**Rules of a case.** Proposed by someone in the employee's management chain (with
``career:manager``) or an HR admin; one open (PROPOSED or APPROVED) case per employee,
enforced by a partial unique index; the target is an active role of the organization that
the employee's current role leads to (next step of a track or an explicit transition),
unless an admin overrides with a recorded reason; the effective date is not before the
hire date. Approved and rejected by HR admins (a rejection needs a note); with the
organization's ``requireSecondApprover`` setting, the approver must be someone other than
the proposer. Cancelled by the proposer while proposed, or by an admin before it is
effective.

**Effective date.** An approved case whose date is today or past takes effect in the
approval's transaction; later ones are applied by ``apply_due_promotions`` (the worker
calls it for every organization). Either way the case moves APPROVED → EFFECTIVE with one
conditional ``UPDATE … WHERE status = 'APPROVED' RETURNING``: of two transactions racing
for the same case, the second waits for the first's row lock, then finds the case no
longer APPROVED and leaves it alone, so no promotion is ever applied twice. In the same
transaction the employee's role changes, a PROMOTION entry naming the case as its source
is added to their position history, and the events are written.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from service.assessments import queries as assessment_queries
from service.assessments.models import AssessmentStatus
from service.audit import service as audit
from service.auth import policies
from service.auth.principal import Principal, system_principal
from service.auth.scopes import Scope
from service.db import ConnectionExecutor, Database, Executor
from service.entities import insert_row, write_settings
from service.errors import ErrorCode, FieldError, Forbidden, UserInputError, Validator
from service.framework import queries as framework_queries
from service.framework import service as framework
from service.framework.models import roles
from service.kit import check_version, update_versioned
from service.people import events as people_events
from service.people import service as people
from service.people.models import EmployeeStatus, PositionChangeKind, employees, organizations
from service.promotions import events, queries
from service.promotions.models import (
    OPEN_STATUSES,
    Criticality,
    PromotionStatus,
    SuccessorReadiness,
    promotion_settings,
    promotions,
    succession_plans,
    successors,
)
from service.webhooks import outbox

MAX_JUSTIFICATION = 4000
MAX_NOTE = 4000
MAX_REASON = 2000
MAX_SUCCESSOR_NOTE = 2000
MAX_ASSESSMENTS = 20
MAX_SUCCESSORS = 50
MAX_DAYS_AHEAD = 730
SOURCE_TYPE = "Promotion"


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def _emit(db: Executor, principal: Principal, type: str, data: dict[str, Any]) -> None:
    """Report a change of this domain through the webhooks outbox, in the transaction of
    the change: every state change of a case goes through here (``events`` documents the
    payloads)."""
    await outbox.emit(db, principal, type, data)


def _actor(principal: Principal) -> dict[str, Any]:
    return {"type": principal.actor_type.value, "id": principal.actor_id}


# --- proposing ----------------------------------------------------------------------------


@dataclass
class ProposeInput:
    employee_id: uuid.UUID | None
    to_role_id: uuid.UUID | None
    justification: str | None
    effective_date: dt.date | None
    assessment_ids: list[uuid.UUID] = field(default_factory=list)
    override_reason: str | None = None


def require_proposer(principal: Principal | None) -> Principal:
    """Who may propose at all: managers (for the people below them) and HR admins."""
    return policies.require_any(principal, Scope.MANAGER, Scope.ADMIN)


async def _may_propose_for(db: Executor, principal: Principal, employee_id: uuid.UUID) -> bool:
    if policies.is_admin(principal):
        return True
    # A manager above the employee in the org chart, like a MANAGER assessment's author.
    above = await policies.manages(db, principal, employee_id)
    return policies.can_write_manager(principal, above_subject=above)


async def _valid_move(db: Executor, from_role_id: uuid.UUID | None, to_role_id: uuid.UUID) -> bool:
    """Whether the framework leads from ``from_role_id`` to ``to_role_id``: the next step of
    an active track, or an active explicit transition."""
    if from_role_id is None:
        return False
    moves = (await framework_queries.moves_from(db, [from_role_id]))[0]
    return any(m.to_role_id == to_role_id for m in moves)


async def gap_snapshot(db: Executor, employee_id: uuid.UUID, role: Any) -> dict[str, Any]:
    """The gap analysis of the employee against ``role`` as it stands now, as JSON: the
    frozen evidence of a case."""
    found = (
        await assessment_queries.gap_rows(db, queries.rules_for(db), [(employee_id, role.id)])
    )[0]
    expectations = [
        {
            "competencyId": str(r.competency_id),
            "competencyKey": c.key,
            "competencyName": c.name,
            "requiredLevel": r.required_level,
            "currentLevel": r.current_level,
            "gap": r.gap,
            "status": r.status,
            "weight": float(r.weight),
            "core": r.core,
            "stale": r.stale,
            "source": r.source_kind,
            "asOf": r.as_of.isoformat() if r.as_of else None,
        }
        for r, c in found
    ]
    return {
        "capturedAt": dt.datetime.now(dt.UTC).isoformat(),
        "roleId": str(role.id),
        "roleTitle": role.title,
        "readiness": float(found[0][0].readiness) if found else None,
        "expectations": expectations,
    }


async def propose_promotion(
    db: Executor,
    principal: Principal,
    data: ProposeInput,
    *,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    require_proposer(principal)
    v = Validator()
    v.errors.extend(input_errors)
    justification = v.text(
        "justification", data.justification, required=True, max_length=MAX_JUSTIFICATION
    )
    override = v.text("overrideReason", data.override_reason, max_length=MAX_REASON) or None
    employee = None
    if data.employee_id is not None:
        employee = await people.get_employee(db, data.employee_id)
        if employee is None or not await _may_propose_for(db, principal, employee.id):
            v.add(("input", "employeeId"), "no such employee", ErrorCode.NOT_FOUND)
            employee = None
        elif employee.status == EmployeeStatus.TERMINATED:
            v.add(("input", "employeeId"), "the employee has left", ErrorCode.INVALID_STATE)
    role = await framework.active_role(db, v, data.to_role_id, ("input", "toRoleId"))
    if override is not None and not policies.is_admin(principal):
        v.add(("input", "overrideReason"), "only HR admins may override the framework's moves")
    if employee is not None and role is not None:
        if role.id == employee.role_id:
            v.add(("input", "toRoleId"), "is the employee's current role")
        elif override is None and not await _valid_move(db, employee.role_id, role.id):
            v.add(
                ("input", "toRoleId"),
                f'"{role.title}" is neither a next role of the employee\'s current role nor an '
                "explicit transition from it; an HR admin may override with a reason",
            )
        open_case = (
            await db.execute(
                select(promotions.c.id).where(
                    promotions.c.employee_id == employee.id,
                    promotions.c.status.in_(OPEN_STATUSES),
                )
            )
        ).first()
        if open_case is not None:
            v.add(
                ("input", "employeeId"),
                "the employee already has an open promotion case",
                ErrorCode.CONFLICT,
            )
    effective = data.effective_date
    hired = employee.hire_date if employee is not None else None
    if effective is not None and hired is not None and effective < hired:
        v.add(("input", "effectiveDate"), "is before the employee's hire date")
    if effective is not None and effective > today() + dt.timedelta(days=MAX_DAYS_AHEAD):
        v.add(("input", "effectiveDate"), f"is more than {MAX_DAYS_AHEAD} days ahead")
    assessment_ids = list(dict.fromkeys(data.assessment_ids))
    too_many = v.too_many(
        ("input", "evidence", "assessmentIds"),
        len(assessment_ids),
        MAX_ASSESSMENTS,
        f"at most {MAX_ASSESSMENTS} assessments",
    )
    if not too_many and assessment_ids and employee is not None:
        found = await assessment_queries.assessments_by_id(db, assessment_ids)
        for i, row in enumerate(found):
            if (
                row is None
                or row.subject_id != employee.id
                or row.status != AssessmentStatus.SUBMITTED
            ):
                v.add(
                    ("input", "evidence", "assessmentIds", str(i)),
                    "no submitted assessment of this employee with this ID",
                    ErrorCode.NOT_FOUND,
                )
    v.raise_if_any()
    assert employee is not None
    assert role is not None
    assert effective is not None
    evidence = await gap_snapshot(db, employee.id, role)
    actor = _actor(principal)
    stmt = (
        pg_insert(promotions)
        .values(
            org_id=principal.org_id,
            employee_id=employee.id,
            from_role_id=employee.role_id,
            to_role_id=role.id,
            justification=justification,
            evidence=evidence,
            assessment_ids=assessment_ids,
            override_reason=override,
            effective_date=effective,
            proposer_type=actor["type"],
            proposer_id=actor["id"],
        )
        .on_conflict_do_nothing(
            index_elements=["org_id", "employee_id"],
            index_where=text("status in ('PROPOSED', 'APPROVED')"),
        )
        .returning(*promotions.c)
    )
    row = (await db.execute(stmt)).first()
    if row is None:  # another case was opened meanwhile
        raise UserInputError.one(
            ("input", "employeeId"),
            "the employee already has an open promotion case",
            ErrorCode.CONFLICT,
        )
    await audit.record(
        db,
        principal,
        "promotion.propose",
        "Promotion",
        row.id,
        audit.diff(
            None,
            {
                "employee_id": employee.id,
                "from_role_id": employee.role_id,
                "to_role_id": role.id,
                "effective_date": effective,
                "override_reason": override,
            },
        ),
    )
    await _emit(db, principal, events.PROMOTION_PROPOSED, events.promotion_data(row))
    return row


# --- deciding -----------------------------------------------------------------------------


async def _load(db: Executor, principal: Principal, promotion_id: uuid.UUID) -> Any:
    """The case, if the caller may see it; NOT_FOUND otherwise (whether it exists or not)."""
    row = (await db.execute(select(*promotions.c).where(promotions.c.id == promotion_id))).first()
    if row is not None:
        reach = await policies.reach_of(db, principal)
        if queries.can_see(principal, reach, await queries.settings(db), row):
            return row
    raise UserInputError.one(("input", "id"), "no such promotion", ErrorCode.NOT_FOUND)


def _not_in(row: Any, allowed: Sequence[str], action: str) -> None:
    if row.status not in allowed:
        raise UserInputError.one(
            ("input", "id"),
            f"a {row.status.lower()} promotion cannot be {action}",
            ErrorCode.INVALID_STATE,
        )


async def _transition(
    db: Executor,
    principal: Principal,
    row: Any,
    to: PromotionStatus,
    from_statuses: Sequence[str],
    note: str | None,
) -> Any:
    """Move the case from one of ``from_statuses`` to ``to`` if nobody moved it meanwhile."""
    actor = _actor(principal)
    updated = (
        await db.execute(
            update(promotions)
            .where(
                promotions.c.id == row.id,
                promotions.c.status.in_(from_statuses),
                promotions.c.version == row.version,
            )
            .values(
                status=to.value,
                decider_type=actor["type"],
                decider_id=actor["id"],
                decided_at=func.now(),
                decision_note=note,
                version=promotions.c.version + 1,
                updated_at=func.now(),
            )
            .returning(*promotions.c)
        )
    ).first()
    if updated is None:
        raise UserInputError.one(
            ("input", "id"),
            "the promotion was changed by someone else meanwhile; reload and try again",
            ErrorCode.STALE_VERSION,
        )
    await audit.record(
        db,
        principal,
        f"promotion.{to.value.lower()}",
        "Promotion",
        row.id,
        audit.diff(
            {"status": row.status, "decision_note": row.decision_note},
            {"status": to.value, "decision_note": note},
        ),
    )
    return updated


async def approve_promotion(
    db: Executor,
    principal: Principal,
    promotion_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    note: str | None = None,
    on: dt.date | None = None,
) -> Any:
    """Approve a proposed case (HR admins); it takes effect at once when its date is ``on``
    (default today) or earlier."""
    policies.require_admin(principal)
    row = await _load(db, principal, promotion_id)
    check_version(row, expected_version, "promotion")
    v = Validator()
    note = v.text("note", note, max_length=MAX_NOTE) or None
    if row.status != PromotionStatus.PROPOSED:
        _not_in(row, [PromotionStatus.PROPOSED], "approved")
    s = await queries.settings(db)
    if (
        s.require_second_approver
        and row.proposer_id is not None
        and row.proposer_id == principal.actor_id
    ):
        v.add(
            ("input", "id"),
            "a second approver is required: someone other than the proposer must approve",
            ErrorCode.INVALID_STATE,
        )
    problem = await _role_problem(db, row.to_role_id)
    if problem is not None:
        v.add(("input", "id"), problem, ErrorCode.INVALID_STATE)
    employee = await people.get_employee(db, row.employee_id)
    if employee is None or employee.status == EmployeeStatus.TERMINATED:
        v.add(("input", "id"), "the employee has left", ErrorCode.INVALID_STATE)
    v.raise_if_any()
    approved = await _transition(
        db, principal, row, PromotionStatus.APPROVED, [PromotionStatus.PROPOSED.value], note
    )
    await _emit(db, principal, events.PROMOTION_APPROVED, events.promotion_data(approved))
    applied = await _make_effective(db, principal, on or today(), promotion_id=approved.id)
    return applied[0] if applied else approved


async def _role_problem(db: Executor, role_id: uuid.UUID) -> str | None:
    role = await framework_queries.one_by_id(db, roles, role_id)
    if role is None:
        return "the target role no longer exists"
    if role.archived_at is not None:
        return f'the target role "{role.title}" has been archived'
    return None


async def reject_promotion(
    db: Executor,
    principal: Principal,
    promotion_id: uuid.UUID,
    note: str | None,
    *,
    expected_version: int | None = None,
) -> Any:
    """Reject a proposed case (HR admins), with a note for the record."""
    policies.require_admin(principal)
    row = await _load(db, principal, promotion_id)
    check_version(row, expected_version, "promotion")
    v = Validator()
    note = v.text("note", note, required=True, max_length=MAX_NOTE)
    v.raise_if_any()
    _not_in(row, [PromotionStatus.PROPOSED], "rejected")
    rejected = await _transition(
        db, principal, row, PromotionStatus.REJECTED, [PromotionStatus.PROPOSED.value], note
    )
    await _emit(db, principal, events.PROMOTION_REJECTED, events.promotion_data(rejected))
    return rejected


async def cancel_promotion(
    db: Executor,
    principal: Principal,
    promotion_id: uuid.UUID,
    note: str | None = None,
    *,
    expected_version: int | None = None,
) -> Any:
    """Withdraw a case: its proposer while it is proposed, an HR admin until it is effective."""
    require_proposer(principal)
    row = await _load(db, principal, promotion_id)
    admin = policies.is_admin(principal)
    proposer = row.proposer_id is not None and row.proposer_id == principal.actor_id
    if not (admin or proposer):
        raise Forbidden()
    check_version(row, expected_version, "promotion")
    v = Validator()
    note = v.text("note", note, max_length=MAX_NOTE) or None
    v.raise_if_any()
    allowed = list(OPEN_STATUSES) if admin else [PromotionStatus.PROPOSED.value]
    _not_in(row, allowed, "cancelled")
    cancelled = await _transition(db, principal, row, PromotionStatus.CANCELLED, allowed, note)
    await _emit(db, principal, events.PROMOTION_CANCELLED, events.promotion_data(cancelled))
    return cancelled


# --- taking effect ------------------------------------------------------------------------


async def _make_effective(
    db: Executor,
    principal: Principal | None,
    on: dt.date,
    *,
    promotion_id: uuid.UUID | None = None,
) -> list[Any]:
    """Apply approved cases due ``on`` (all of the tenant's, or one): see the module
    docstring. Returns the cases as they end up (EFFECTIVE, or CANCELLED when the employee
    has left)."""
    stmt = (
        update(promotions)
        .where(promotions.c.status == PromotionStatus.APPROVED.value)
        .where(promotions.c.effective_date <= on)
        .values(
            status=PromotionStatus.EFFECTIVE.value,
            effective_at=func.now(),
            version=promotions.c.version + 1,
            updated_at=func.now(),
        )
        .returning(*promotions.c)
    )
    if promotion_id is not None:
        stmt = stmt.where(promotions.c.id == promotion_id)
    claimed = sorted((await db.execute(stmt)).all(), key=lambda r: (r.effective_date, r.id))
    out = []
    for row in claimed:
        actor = principal or system_principal(row.org_id)
        out.append(await _apply(db, actor, row))
    return out


async def _apply(db: Executor, principal: Principal, row: Any) -> Any:
    """The role change of a case just marked EFFECTIVE, in the same transaction."""
    before = (
        await db.execute(
            select(*employees.c).where(employees.c.id == row.employee_id).with_for_update()
        )
    ).one()
    if before.status == EmployeeStatus.TERMINATED:
        cancelled = (
            await db.execute(
                update(promotions)
                .where(promotions.c.id == row.id)
                .values(
                    status=PromotionStatus.CANCELLED.value,
                    effective_at=None,
                    decision_note="The employee left before the effective date.",
                    version=promotions.c.version + 1,
                )
                .returning(*promotions.c)
            )
        ).one()
        await audit.record(
            db,
            principal,
            "promotion.cancelled",
            "Promotion",
            row.id,
            {"status": {"from": "APPROVED", "to": "CANCELLED"}},
        )
        await _emit(db, principal, events.PROMOTION_CANCELLED, events.promotion_data(cancelled))
        return cancelled
    after = (
        await db.execute(
            update(employees)
            .where(employees.c.id == row.employee_id)
            .values(role_id=row.to_role_id, version=employees.c.version + 1, updated_at=func.now())
            .returning(*employees.c)
        )
    ).one()
    await people.record_position(
        db,
        principal,
        after,
        PositionChangeKind.PROMOTION,
        row.effective_date,
        before,
        source_type=SOURCE_TYPE,
        source_id=row.id,
    )
    await audit.record(
        db,
        principal,
        "promotion.effective",
        "Promotion",
        row.id,
        audit.diff({"status": "APPROVED"}, {"status": row.status}),
    )
    await audit.record(
        db,
        principal,
        "employee.promote",
        "Employee",
        row.employee_id,
        audit.diff({"role_id": before.role_id}, {"role_id": after.role_id}),
    )
    await record_readiness(db, [row.employee_id])
    await _emit(db, principal, events.PROMOTION_EFFECTIVE, events.promotion_data(row))
    await _emit(
        db,
        principal,
        people_events.EMPLOYEE_ROLE_CHANGED,
        people_events.role_changed_data(
            row.employee_id,
            after.role_id,
            before.role_id,
            PositionChangeKind.PROMOTION.value,
            row.effective_date,
            SOURCE_TYPE,
            row.id,
        ),
    )
    return row


async def apply_due_promotions(db: Executor, on: dt.date) -> list[Any]:
    """Apply the tenant's approved cases whose date is ``on`` or earlier. Idempotent and
    safe to run from several workers at once (see the module docstring)."""
    return await _make_effective(db, None, on)


async def apply_due_everywhere(database: Database, on: dt.date) -> int:
    """``apply_due_promotions`` for every organization, one transaction each; returns how
    many cases were applied."""
    async with database.transaction(None) as conn:
        org_ids = (await conn.execute(select(organizations.c.id))).scalars().all()
    applied = 0
    for org_id in org_ids:
        async with database.transaction(org_id) as conn:
            applied += len(await apply_due_promotions(ConnectionExecutor(conn), on))
    return applied


# --- settings -----------------------------------------------------------------------------


@dataclass
class SettingsInput:
    require_second_approver: bool | None = None
    show_open_cases_to_employee: bool | None = None


async def update_settings(
    db: Executor,
    principal: Principal,
    data: SettingsInput,
    *,
    expected_version: int | None = None,
) -> queries.PromotionSettings:
    """Change the organization's promotion settings (HR admins)."""
    policies.require_admin(principal)
    current = await queries.settings(db)
    if expected_version is not None and expected_version != current.version:
        raise UserInputError.one(
            ("input", "version"),
            f"the settings were changed by someone else (version {current.version}, not "
            f"{expected_version}); reload and try again",
            ErrorCode.STALE_VERSION,
        )
    changes = {
        k: value
        for k in ("require_second_approver", "show_open_cases_to_employee")
        if (value := getattr(data, k)) is not None and value != getattr(current, k)
    }
    if not changes:
        return current
    await write_settings(
        db,
        principal,
        promotion_settings,
        current.__dict__,
        changes,
        "promotion_settings.update",
        "PromotionSettings",
    )
    return await queries.settings(db)


# --- readiness history --------------------------------------------------------------------


async def record_readiness(
    db: Executor, employee_ids: Sequence[uuid.UUID], taken_at: dt.datetime | None = None
) -> None:
    """Snapshot the next-role readiness of ``employee_ids`` where it changed. Called when
    their proficiencies change (assessments) and when their role changes."""
    await queries.record_readiness(db, employee_ids, taken_at)


# --- succession ---------------------------------------------------------------------------


@dataclass
class PlanInput:
    role_id: Any = None
    incumbent_id: Any = None
    criticality: str | None = None
    note: Any = None


async def _check_plan_refs(db: Executor, v: Validator, data: PlanInput) -> None:
    await framework.active_role(db, v, data.role_id, ("input", "roleId"))
    if data.incumbent_id is not None:
        await people.active_employee(db, v, data.incumbent_id, ("input", "incumbentId"))


async def create_succession_plan(
    db: Executor, principal: Principal, data: PlanInput, *, input_errors: Sequence[FieldError] = ()
) -> Any:
    """A succession plan for a key role, an incumbent, or both (HR admins)."""
    policies.require_admin(principal)
    v = Validator()
    v.errors.extend(input_errors)
    if data.role_id is None and data.incumbent_id is None:
        v.add(("input", "roleId"), "name a key role, an incumbent or both", ErrorCode.REQUIRED)
    note = v.text("note", data.note, max_length=MAX_NOTE) or None
    await _check_plan_refs(db, v, data)
    v.raise_if_any()
    values = {
        "role_id": data.role_id,
        "incumbent_id": data.incumbent_id,
        "criticality": data.criticality or Criticality.MEDIUM.value,
        "note": note,
    }
    return await insert_row(
        db, principal, succession_plans, values, "succession_plan.create", "SuccessionPlan"
    )


async def _plan(db: Executor, plan_id: uuid.UUID, path: str = "id") -> Any:
    row = (
        await db.execute(select(*succession_plans.c).where(succession_plans.c.id == plan_id))
    ).first()
    if row is None:
        raise UserInputError.one(("input", path), "no such succession plan", ErrorCode.NOT_FOUND)
    return row


async def update_succession_plan(
    db: Executor,
    principal: Principal,
    plan_id: uuid.UUID,
    data: PlanInput,
    *,
    archived: bool | None = None,
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Change a plan's criticality, note or subject, or archive / restore it (HR admins).
    Fields left ``None`` stay as they are."""
    policies.require_admin(principal)
    v = Validator()
    v.errors.extend(input_errors)
    before = await _plan(db, plan_id)
    check_version(before, expected_version, "succession plan")
    changes: dict[str, Any] = {}
    if data.note is not None:
        changes["note"] = v.text("note", data.note, max_length=MAX_NOTE) or None
    if data.criticality is not None:
        changes["criticality"] = data.criticality
    await _check_plan_refs(db, v, data)
    if data.role_id is not None:
        changes["role_id"] = data.role_id
    if data.incumbent_id is not None:
        changes["incumbent_id"] = data.incumbent_id
    if archived is not None and archived != (before.archived_at is not None):
        changes["archived_at"] = func.now() if archived else None
    v.raise_if_any()
    if not changes:
        return before
    written = await update_versioned(
        db,
        succession_plans,
        plan_id,
        changes,
        expected_version=expected_version,
        what="succession plan",
    )
    logged = {k: (val if k != "archived_at" else archived) for k, val in changes.items()}
    await audit.record(
        db,
        principal,
        "succession_plan.update",
        "SuccessionPlan",
        plan_id,
        audit.diff(dict(written.before._mapping), logged),
    )
    return written.after


@dataclass
class SuccessorInput:
    employee_id: uuid.UUID | None
    readiness: str
    note: str | None = None


async def set_successor(
    db: Executor,
    principal: Principal,
    plan_id: uuid.UUID,
    data: SuccessorInput,
    *,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Name a successor on a plan with their readiness, or change it (HR admins)."""
    policies.require_admin(principal)
    v = Validator()
    v.errors.extend(input_errors)
    plan = await _plan(db, plan_id, "planId")
    note = v.text("note", data.note, max_length=MAX_SUCCESSOR_NOTE) or None
    if plan.archived_at is not None:
        v.add(("input", "planId"), "the plan is archived", ErrorCode.INVALID_STATE)
    if data.readiness not in {m.value for m in SuccessorReadiness}:
        v.add(("input", "readiness"), "is not a readiness")
    if data.employee_id is not None:
        employee = await people.active_employee(db, v, data.employee_id, ("input", "employeeId"))
        if employee is not None and employee.id == plan.incumbent_id:
            v.add(("input", "employeeId"), "is the plan's incumbent")
    count = (
        await db.execute(
            select(func.count()).select_from(successors).where(successors.c.plan_id == plan_id)
        )
    ).scalar_one()
    v.too_many(
        ("input", "planId"),
        count + 1,
        MAX_SUCCESSORS,
        f"a plan names at most {MAX_SUCCESSORS} successors",
    )
    v.raise_if_any()
    stmt = pg_insert(successors).values(
        org_id=principal.org_id,
        plan_id=plan_id,
        employee_id=data.employee_id,
        readiness=data.readiness,
        note=note,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["org_id", "plan_id", "employee_id"],
        set_={"readiness": data.readiness, "note": note, "updated_at": func.now()},
    )
    await db.execute(stmt)
    await audit.record(
        db,
        principal,
        "succession_plan.set_successor",
        "SuccessionPlan",
        plan_id,
        {"successor": {"to": {"employee_id": str(data.employee_id), "readiness": data.readiness}}},
    )
    return await _touch_plan(db, plan_id)


async def remove_successor(
    db: Executor, principal: Principal, plan_id: uuid.UUID, employee_id: uuid.UUID
) -> Any:
    """Take someone off a plan (HR admins)."""
    policies.require_admin(principal)
    await _plan(db, plan_id, "planId")
    removed = (
        await db.execute(
            delete(successors)
            .where(successors.c.plan_id == plan_id, successors.c.employee_id == employee_id)
            .returning(successors.c.readiness)
        )
    ).first()
    if removed is None:
        raise UserInputError.one(
            ("input", "employeeId"), "is not a successor on this plan", ErrorCode.NOT_FOUND
        )
    await audit.record(
        db,
        principal,
        "succession_plan.remove_successor",
        "SuccessionPlan",
        plan_id,
        {"successor": {"from": {"employee_id": str(employee_id)}, "to": None}},
    )
    return await _touch_plan(db, plan_id)


async def _touch_plan(db: Executor, plan_id: uuid.UUID) -> Any:
    """A change of successors is a change of the plan: a new version."""
    return (
        await db.execute(
            update(succession_plans)
            .where(succession_plans.c.id == plan_id)
            .values(version=succession_plans.c.version + 1, updated_at=func.now())
            .returning(*succession_plans.c)
        )
    ).one()
