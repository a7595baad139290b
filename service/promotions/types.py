"""GraphQL types of promotions: cases and their frozen evidence, readiness history, the
"passed over" view, promotion settings and succession plans."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from service.assessments import queries as assessment_queries
from service.assessments import types as assessment_types
from service.auth import policies
from service.errors import Forbidden
from service.framework import queries as framework_queries
from service.framework.types import Competency, Role
from service.graphql.enums import graphql_enum
from service.graphql.lookahead import children, later, named
from service.graphql.node import RowObject, VersionedNode, is_set, once_per_request, optional
from service.graphql.relations import Relation, prefetch, related, to_one
from service.people import queries as people_queries
from service.people.refs import EmployeeRef
from service.promotions import queries
from service.promotions.models import Criticality as CriticalityValue
from service.promotions.models import PromotionStatus as PromotionStatusValue
from service.promotions.models import SuccessorReadiness as SuccessorReadinessValue

if TYPE_CHECKING:
    from service.assessments.types import Assessment

AssessmentRef = Annotated["Assessment", strawberry.lazy("service.assessments.types")]

PromotionStatus = graphql_enum(
    PromotionStatusValue,
    "Where a promotion case stands. PROPOSED → APPROVED / REJECTED / CANCELLED; "
    "APPROVED → EFFECTIVE (or CANCELLED before its date).",
    {
        "PROPOSED": "Proposed by a manager or HR admin; waiting for an HR admin's decision.",
        "APPROVED": "Approved; the role changes on the effective date.",
        "REJECTED": "Rejected by an HR admin, with a note.",
        "CANCELLED": "Withdrawn before it took effect.",
        "EFFECTIVE": "Taken effect: the employee holds the new role.",
    },
)
SuccessorReadiness = graphql_enum(
    SuccessorReadinessValue,
    "When a successor could step into the role, as judged by HR.",
    {
        "READY_NOW": "Could take the role today.",
        "ONE_TO_TWO_YEARS": "Ready in one to two years.",
        "THREE_PLUS_YEARS": "Ready in three years or more.",
    },
)
Criticality = graphql_enum(
    CriticalityValue,
    "How much it would hurt to lose the role's holder without a successor.",
    {
        "LOW": "Easily covered.",
        "MEDIUM": "Covered with some effort.",
        "HIGH": "Hard to cover; a successor is needed.",
        "CRITICAL": "The organization depends on it; successors are essential.",
    },
)

PRIVATE_NOTE = (
    " Private career data: visible to HR admins, the managers above the employee, the "
    "proposer and the employee; FORBIDDEN for others who see the case (HRIS integrations)."
)


# --- loaders ------------------------------------------------------------------------------


#: The organization's promotion settings, read once per request.
request_settings = once_per_request(queries.settings)


async def _gaps(
    ctx: Any, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> list[list[tuple[Any, Any]]]:
    return await assessment_queries.gap_rows(ctx, assessment_types.rules(ctx), keys)


async def _employee(info: Info, employee_id: uuid.UUID | None) -> Any:
    """The employee if the caller reaches them (their name at least; the directory does
    not open the people of a promotion or a succession plan); else None."""
    if employee_id is None:
        return None
    from service.people.types import Employee

    return (await Employee.in_reach(info, [employee_id]))[0]


async def _role(info: Info, role_id: uuid.UUID | None) -> Role | None:
    if role_id is None:
        return None
    row = await info.context.loader(framework_queries.roles_by_id).load(role_id)
    return Role.from_row(row) if row is not None else None


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


# --- time in role -------------------------------------------------------------------------


@strawberry.type(description="How long someone has held their current role.")
class TimeInRole:
    since: dt.date = strawberry.field(
        description="When they took the role: their latest role change in the position "
        "history, else their hire date."
    )
    months: int = strawberry.field(description="Whole months in the role until today.")
    days: int = strawberry.field(description="Days in the role until today.")

    @classmethod
    def of(cls, since: dt.date, today: dt.date) -> TimeInRole:
        return cls(
            since=since,
            months=queries.months_between(since, today),
            days=max((today - since).days, 0),
        )


async def time_in_role(info: Info, employee_id: uuid.UUID) -> TimeInRole | None:
    since = await info.context.loader(queries.role_since).load(employee_id)
    return TimeInRole.of(since, dt.date.today()) if since is not None else None


# --- evidence -----------------------------------------------------------------------------


@strawberry.type(
    description="One expectation of the target role as it stood when the case was "
    "proposed: the required level and the employee's level then."
)
class EvidenceGap:
    competency_id: strawberry.Private[uuid.UUID | None]
    competency_name: str = strawberry.field(description="The competency's name at the time.")
    required_level: int = strawberry.field(description="Level the role required.")
    current_level: float | None = strawberry.field(
        description="The employee's level then; null when unassessed."
    )
    gap: float | None = strawberry.field(description=assessment_types.GAP_DESC)
    status: assessment_types.GapStatus = strawberry.field(  # type: ignore[valid-type]
        description="How the level compared."
    )
    weight: float = strawberry.field(description="Weight of the expectation in readiness.")
    core: bool = strawberry.field(description="A core competency of the role.")
    stale: bool = strawberry.field(description="The level rested on stale ratings only.")
    source: assessment_types.AssessmentKind | None = strawberry.field(  # type: ignore[valid-type]
        description="The kind of rating the level came from."
    )
    as_of: dt.datetime | None = strawberry.field(
        description="When the newest rating behind the level was given."
    )

    @strawberry.field(description="The competency as it is now; null if it was deleted.")
    async def competency(self, info: Info) -> Competency | None:
        if self.competency_id is None:
            return None
        row = await info.context.loader(framework_queries.competencies_by_id).load(
            self.competency_id
        )
        return Competency.from_row(row) if row is not None else None

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> EvidenceGap:
        source = item.get("source")
        as_of = item.get("asOf")
        return cls(
            competency_id=_uuid(item.get("competencyId")),
            competency_name=str(item.get("competencyName", "")),
            required_level=int(item["requiredLevel"]),
            current_level=item.get("currentLevel"),
            gap=item.get("gap"),
            status=assessment_types.GapStatus(item["status"]),
            weight=float(item.get("weight", 1)),
            core=bool(item.get("core")),
            stale=bool(item.get("stale")),
            source=assessment_types.AssessmentKind(source) if source else None,
            as_of=dt.datetime.fromisoformat(as_of) if as_of else None,
        )


@strawberry.type(
    description="The case's evidence: the gap analysis against the target role frozen when "
    "the case was proposed, and the assessments the proposer pointed to."
)
class PromotionEvidence:
    assessment_ids: strawberry.Private[list[uuid.UUID]]
    items: strawberry.Private[list[dict[str, Any]]]
    captured_at: dt.datetime = strawberry.field(description="When the snapshot was taken.")
    readiness: float | None = strawberry.field(
        description="Readiness for the target role then. " + assessment_types.READINESS_DESC
    )
    role_title: str = strawberry.field(description="The target role's title then.")

    @strawberry.field(
        description="Every expectation of the target role then: core first, then by weight."
    )
    def expectations(self) -> list[EvidenceGap]:
        return [EvidenceGap.from_json(x) for x in self.items]

    @strawberry.field(
        description="The assessments the proposer referred to, as far as the caller may see them."
    )
    async def assessments(self, info: Info) -> list[AssessmentRef]:
        from service.assessments.types import Assessment

        found = await Assessment.resolve_nodes(
            info=info, node_ids=[str(i) for i in self.assessment_ids]
        )
        return [a for a in found if a is not None]

    @classmethod
    def from_row(cls, row: Any) -> PromotionEvidence:
        e = row.evidence
        return cls(
            assessment_ids=list(row.assessment_ids),
            captured_at=dt.datetime.fromisoformat(e["capturedAt"]),
            readiness=e.get("readiness"),
            role_title=str(e.get("roleTitle", "")),
            items=e.get("expectations", []),
        )


# --- promotion cases ----------------------------------------------------------------------


async def _details(info: Info, row: Any) -> None:
    principal = await info.context.principal()
    if not queries.can_see_details(principal, await info.context.reach(), row):
        raise Forbidden()


_PEOPLE = (
    ("employee", "employee_id", None),
    ("proposer", "proposer_id", "proposer_type"),
    ("decider", "decider_id", "decider_type"),
)


_ROLES = to_one(framework_queries.roles_by_id, Role, fromRole="from_role_id", toRole="to_role_id")


async def _load_people(info: Info, cases: Sequence[Any], wanted: list[SelectedField]) -> None:
    """The people of ``cases`` that ``wanted`` names, those the caller may see (with what
    is selected on them; None for service accounts and the system), and the cases' roles:
    read after the people, so that the cases' roles and those selected on the people are
    one batch."""
    from service.people.types import Employee

    names = {f.name for f in wanted}
    people_fields = [p for p in _PEOPLE if p[0] in names]
    # Per case, the employee of each people field selected (None: not an employee).
    ids = [
        [
            getattr(c.row, column) if kind is None or getattr(c.row, kind) == "EMPLOYEE" else None
            for _, column, kind in people_fields
        ]
        for c in cases
    ]
    distinct = {i for row in ids for i in row if i is not None}
    people: dict[Any, Any] = {}
    if distinct:
        found = await Employee.in_reach(info, distinct)
        people = {e.row.id: e for e in found if e is not None}
    for c, row in zip(cases, ids, strict=True):
        for (name, _, _), employee_id in zip(people_fields, row, strict=True):
            c.known[name] = people.get(employee_id)
    await asyncio.gather(
        Employee.prefetch(
            info, list(people.values()), children(named(wanted, *(p[0] for p in people_fields)))
        ),
        prefetch(info, cases, wanted, (_ROLES,)),
    )


async def _load_details(info: Info, cases: Sequence[Any], wanted: list[SelectedField]) -> None:
    principal = await info.context.principal()
    reach = await info.context.reach()
    for c in cases:
        c.known["details"] = queries.can_see_details(principal, reach, c.row)


@strawberry.type(
    description="A promotion case: an employee proposed for a role, with its justification, "
    "frozen evidence and decision. Visible to HR admins and HRIS integrations, the managers "
    "above the employee and the proposer; the employee sees their decided cases (and "
    "open ones when `PromotionSettings.showOpenCasesToEmployee` is on)."
)
class Promotion(VersionedNode):
    rows_by_id = queries.promotions_by_id
    converters = {"status": PromotionStatus}
    # A page loads these for all its cases at once (`Promotion.prefetch`); "details" is
    # whether the caller sees the private fields.
    relations = (
        Relation(tuple(name for name, _, _ in _PEOPLE) + _ROLES.fields, _load_people),
        Relation(("justification", "overrideReason", "evidence"), _load_details),
    )

    @classmethod
    async def visible(cls, info: Info, rows: Sequence[Any]) -> list[bool]:
        principal = await info.context.principal()
        reach = await info.context.reach()
        s = await request_settings(info)
        return [queries.can_see(principal, reach, s, r) for r in rows]

    status: PromotionStatus = strawberry.field(description="Where the case stands.")  # type: ignore[valid-type]
    effective_date: dt.date = strawberry.field(description="When the new role takes effect.")
    decision_note: str | None = strawberry.field(
        description="The decider's note (always present on a rejection)."
    )
    decided_at: dt.datetime | None = strawberry.field(
        description="When it was approved, rejected or cancelled."
    )
    effective_at: dt.datetime | None = strawberry.field(
        description="When the role change was applied."
    )
    employee: EmployeeRef | None = related("The employee proposed for promotion.")
    from_role: Role | None = related("The role the employee held when the case was proposed.")
    to_role: Role | None = related("The role proposed.")
    proposer: EmployeeRef | None = related(
        "Who proposed it, if an employee the caller may see (null for service accounts and "
        "the system)."
    )
    decider: EmployeeRef | None = related(
        "Who approved, rejected or cancelled it, if an employee the caller may see."
    )

    def _private(self, info: Info, value: Any) -> Any:
        if "details" not in self.known:
            return later(self._private_later(info, value))
        if not self.known["details"]:
            raise Forbidden()
        return value

    async def _private_later(self, info: Info, value: Any) -> Any:
        await _details(info, self.row)
        return value

    @strawberry.field(description="Why the employee should be promoted." + PRIVATE_NOTE)
    def justification(self, info: Info) -> str:
        return self._private(info, str(self.row.justification))

    @strawberry.field(
        description="Why an HR admin proposed a role the framework does not lead to; null "
        "for ordinary moves." + PRIVATE_NOTE
    )
    def override_reason(self, info: Info) -> str | None:
        return self._private(info, self.row.override_reason)

    @strawberry.field(
        description="The gap analysis against the target role, frozen when proposed, and "
        "the assessments referred to." + PRIVATE_NOTE
    )
    def evidence(self, info: Info) -> PromotionEvidence:
        return self._private(info, PromotionEvidence.from_row(self.row))


async def employee_promotions(info: Info, employee_id: uuid.UUID) -> list[Promotion]:
    """``Employee.promotions``: the employee's cases the caller may see, newest first."""
    principal = await info.context.principal()
    rows = await info.context.loader(queries.promotions_by_employee).load(employee_id)
    if not rows:
        return []
    reach = await info.context.reach()
    s = await request_settings(info)
    return [Promotion.from_row(r) for r in rows if queries.can_see(principal, reach, s, r)]


# --- settings -----------------------------------------------------------------------------


@strawberry.type(description="The organization's rules for promotion cases.")
class PromotionSettings(RowObject):
    require_second_approver: bool = strawberry.field(
        description="Whether the approver must be someone other than the proposer "
        "(four eyes). Default false."
    )
    show_open_cases_to_employee: bool = strawberry.field(
        description="Whether employees see proposed (and cancelled) cases about themselves; "
        "when off (the default) they see a case once it is decided."
    )
    version: int = strawberry.field(
        description="Incremented by every change (0 until first changed); pass it to "
        "`updatePromotionSettings`."
    )

    @classmethod
    def of(cls, s: queries.PromotionSettings) -> PromotionSettings:
        return cls.from_row(s)


# --- readiness history and passed over ----------------------------------------------------


@strawberry.type(description="Someone's readiness for their next role at a moment.")
class ReadinessPoint(RowObject):
    converters = {"readiness": optional(float)}
    relations = (to_one(framework_queries.roles_by_id, Role, targetRole="target_role_id"),)

    readiness: float | None = strawberry.field(
        description="Readiness in [0, 1] (null: the role has no expectations)."
    )
    taken_at: dt.datetime = strawberry.field(description="When it became this value.")
    target_role: Role | None = related("The next role the readiness was measured against.")


async def readiness_history(info: Info, employee_id: uuid.UUID) -> list[ReadinessPoint]:
    rows = await info.context.loader(queries.readiness_history).load(employee_id)
    return [ReadinessPoint.from_row(r) for r in rows]


@strawberry.type(
    description="An employee whose readiness for their next role has stayed at or above a "
    "threshold for a long time without a promotion."
)
class PassedOverEntry:
    row: strawberry.Private[Any]
    today: strawberry.Private[dt.date]
    readiness: float | None = strawberry.field(description="Their readiness now.")
    ready_since: dt.date = strawberry.field(
        description="Since when their readiness has stayed at or above the threshold."
    )
    months_ready: int = strawberry.field(
        description="Whole months since `readySince`, until today."
    )

    @strawberry.field(description="The employee.")
    async def employee(self, info: Info) -> EmployeeRef | None:
        return await _employee(info, self.row.id)

    @strawberry.field(description="The next role the readiness is measured against.")
    async def target_role(self, info: Info) -> Role | None:
        return await _role(info, self.row.target_role_id)

    @strawberry.field(description="How long they have held their current role.")
    async def time_in_role(self, info: Info) -> TimeInRole | None:
        return await time_in_role(info, self.row.id)

    @strawberry.field(description="Their readiness over time in the current role, oldest first.")
    async def readiness_history(self, info: Info) -> list[ReadinessPoint]:
        return await readiness_history(info, self.row.id)

    @strawberry.field(description="Their promotion cases and the decisions on them, newest first.")
    async def promotions(self, info: Info) -> list[Promotion]:
        return await employee_promotions(info, self.row.id)

    @classmethod
    def from_row(cls, row: Any, today: dt.date) -> PassedOverEntry:
        since = row.since.date()
        return cls(
            row=row,
            today=today,
            readiness=row.readiness,
            ready_since=since,
            months_ready=queries.months_between(since, today),
        )


# --- succession ---------------------------------------------------------------------------


@strawberry.type(description="How many successors a plan has at each readiness.")
class BenchStrength:
    ready_now: int = strawberry.field(description="Successors READY_NOW.")
    one_to_two_years: int = strawberry.field(description="Successors ONE_TO_TWO_YEARS.")
    three_plus_years: int = strawberry.field(description="Successors THREE_PLUS_YEARS.")
    total: int = strawberry.field(description="All successors.")


@strawberry.type(description="Someone named to step into a plan's role, with their readiness.")
class Successor:
    row: strawberry.Private[Any]
    role_id: strawberry.Private[uuid.UUID | None]
    readiness: SuccessorReadiness = strawberry.field(  # type: ignore[valid-type]
        description="When they could step in, as judged by HR."
    )
    note: str | None = strawberry.field(description="HR's note.")
    updated_at: dt.datetime = strawberry.field(description="When the readiness was last set.")

    @strawberry.field(description="The successor.")
    async def employee(self, info: Info) -> EmployeeRef | None:
        return await _employee(info, self.row.employee_id)

    @strawberry.field(
        description="The successor compared with the plan's role (the key role, else the "
        "incumbent's current role), computed now; null without a role."
    )
    async def gap_analysis(self, info: Info) -> assessment_types.GapAnalysis | None:
        if self.role_id is None:
            return None
        role = await info.context.loader(framework_queries.roles_by_id).load(self.role_id)
        if role is None:
            return None
        rows = await info.context.loader(_gaps).load((self.row.employee_id, self.role_id))
        return assessment_types.GapAnalysis.build(
            assessment_types.GapRelation.OTHER_ROLE, role, rows
        )


@strawberry.type(
    description="Successors named for a key role or its incumbent, with the role's "
    "criticality. HR admins only."
)
class SuccessionPlan(VersionedNode):
    rows_by_id = queries.plans_by_id
    converters = {"criticality": Criticality, "archived": is_set}
    columns = {"archived": "archived_at"}
    relations = (to_one(framework_queries.roles_by_id, Role, role="role_id"),)

    @classmethod
    async def visible(cls, info: Info, rows: Sequence[Any]) -> list[bool]:
        admin = policies.is_admin(await info.context.principal())
        return [admin for _ in rows]

    criticality: Criticality = strawberry.field(description="How critical the role is.")  # type: ignore[valid-type]
    note: str | None = strawberry.field(description="HR's note.")
    archived: bool = strawberry.field(description="Archived plans are kept but not listed.")
    role: Role | None = related("The key role; null for a plan about an incumbent only.")

    @strawberry.field(description="The person whose succession is planned, if any.")
    async def incumbent(self, info: Info) -> EmployeeRef | None:
        return await _employee(info, self.row.incumbent_id)

    async def _target_role(self, info: Info) -> uuid.UUID | None:
        if self.row.role_id is not None or self.row.incumbent_id is None:
            return self.row.role_id
        incumbent = await info.context.loader(people_queries.employees_by_id).load(
            self.row.incumbent_id
        )
        return incumbent.role_id if incumbent is not None else None

    @strawberry.field(description="The successors, ready now first.")
    async def successors(self, info: Info) -> list[Successor]:
        rows = await info.context.loader(queries.successors_by_plan).load(self.row.id)
        role_id = await self._target_role(info) if rows else None
        return [
            Successor(
                row=r,
                role_id=role_id,
                readiness=SuccessorReadiness(r.readiness),
                note=r.note,
                updated_at=r.updated_at,
            )
            for r in rows
        ]

    @strawberry.field(description="How many successors are ready now, in 1–2 years, in 3+.")
    async def bench_strength(self, info: Info) -> BenchStrength:
        rows = await info.context.loader(queries.successors_by_plan).load(self.row.id)
        count = {m.value: 0 for m in SuccessorReadinessValue}
        for r in rows:
            count[r.readiness] += 1
        return BenchStrength(
            ready_now=count["READY_NOW"],
            one_to_two_years=count["ONE_TO_TWO_YEARS"],
            three_plus_years=count["THREE_PLUS_YEARS"],
            total=len(rows),
        )
