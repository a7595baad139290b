"""GraphQL types of assessments, current proficiencies, gap analysis, the team skills matrix
and organization patterns."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from service.assessments import queries
from service.assessments import service as assessments
from service.assessments.models import AssessmentCycleCoverage as AssessmentCycleCoverageValue
from service.assessments.models import AssessmentCycleStatus as AssessmentCycleStatusValue
from service.assessments.models import AssessmentKind as AssessmentKindValue
from service.assessments.models import AssessmentSource as AssessmentSourceValue
from service.assessments.models import AssessmentStatus as AssessmentStatusValue
from service.assessments.queries import GapRelation as GapRelationValue
from service.assessments.queries import GapStatus as GapStatusValue
from service.assessments.queries import RoleTarget as RoleTargetValue
from service.assessments.queries import SkillGapGroupBy as SkillGapGroupByValue
from service.assessments.queries import TeamScope as TeamScopeValue
from service.auth import policies
from service.framework import queries as framework_queries
from service.framework.types import Competency, JobFamily, Level, Role
from service.graphql.enums import graphql_enum
from service.graphql.lookahead import children, named, selected_below
from service.graphql.node import RowObject, VersionedNode, list_of, read_rows
from service.graphql.pagination import Connection, make_connection
from service.graphql.relations import Relation, related, to_many, to_one
from service.people import queries as people_queries
from service.people.refs import EmployeeRef, OrgUnitRef

if TYPE_CHECKING:
    from service.people.types import Employee, OrgUnit


AssessmentKind = graphql_enum(
    AssessmentKindValue,
    "Who rates whom in an assessment.",
    {
        "SELF": "The employee rates themself.",
        "MANAGER": "A manager above the employee rates them.",
        "PEER": "A colleague, invited by the employee or their manager, rates them.",
        "CALIBRATION": "HR records the calibrated outcome, e.g. after a calibration meeting.",
    },
)
AssessmentStatus = graphql_enum(
    AssessmentStatusValue,
    "Where an assessment stands.",
    {
        "DRAFT": "Being written; only its assessor (and HR admins) see it.",
        "SUBMITTED": "Final and immutable; a later assessment supersedes it.",
    },
)
AssessmentSource = graphql_enum(
    AssessmentSourceValue,
    "How an assessment came into careerpath.",
    {
        "DIRECT": "Written in careerpath.",
        "IMPORT": "Imported from a past review with `importRatings`.",
    },
)
AssessmentCycleStatus = graphql_enum(
    AssessmentCycleStatusValue,
    "Where an assessment cycle stands.",
    {
        "DRAFT": "Being prepared; no assessments yet.",
        "OPEN": "Assessments can be started and submitted.",
        "CLOSED": "Over; drafts left in it can no longer be submitted.",
    },
)
AssessmentCycleCoverage = graphql_enum(
    AssessmentCycleCoverageValue,
    "Whom an assessment cycle covers.",
    {
        "ALL": "Every employee.",
        "ORG_UNIT": "The employees of an org unit and its sub-units.",
        "EMPLOYEES": "A list of employees.",
    },
)


GapStatus = graphql_enum(
    GapStatusValue,
    "How a current level compares with a required level r.",
    {
        "MEETS": "At the required level: r ≤ current < r + 1.",
        "BELOW": "Short of it: current < r.",
        "EXCEEDS": "At least one level above it: current ≥ r + 1.",
        "UNASSESSED": "No current level: never rated (or only by kinds the rule ignores).",
    },
)


GapRelation = graphql_enum(
    GapRelationValue,
    "How the role of a gap analysis relates to the employee.",
    {
        "CURRENT_ROLE": "The employee's current role.",
        "NEXT_ROLE": "A role the current role is promoted to (one of `nextRoles`).",
        "OTHER_ROLE": "Any other role, asked for by ID.",
    },
)


TeamScope = graphql_enum(
    TeamScopeValue,
    "Which people of a team a matrix lists.",
    {
        "DIRECT": "Direct reports of the manager (people of the org unit itself).",
        "ALL": "Everyone below the manager (people of the org unit and its sub-units).",
    },
)


RoleTarget = graphql_enum(
    RoleTargetValue,
    "Which role's expectations people are compared with.",
    {
        "CURRENT_ROLE": "Each person's current role.",
        "NEXT_ROLE": "Each person's next role: the first of their current role's `nextRoles` "
        "(lowest level, then title); none at the top of a ladder.",
    },
)


SkillGapGroupBy = graphql_enum(
    SkillGapGroupByValue,
    "How `skillGapSummary` groups people and their expectations.",
    {
        "ORG_UNIT": "By each person's own org unit (not including sub-units).",
        "JOB_FAMILY": "By the job family of each person's role.",
        "COMPETENCY": "By competency: every expectation of that competency.",
        "LEVEL": "By the level of each person's role, lowest rank first.",
    },
)


def rules(info_or_ctx: Any) -> queries.Rules:
    """The resolution rule's parameters from the request's settings (``service.rules``)."""
    return assessments.rules(getattr(info_or_ctx, "context", info_or_ctx))


async def _named(info: Info, employee_id: uuid.UUID | None) -> Employee | None:
    """A person of an assessment the caller may see (its subject, assessor, inviter): shown
    to everyone who sees the assessment, with what the field rules of ``Employee`` give
    (their name, title, org unit and role at least)."""
    from service.people.types import Employee

    if employee_id is None:
        return None
    row = await info.context.loader(people_queries.employees_by_id).load(employee_id)
    return Employee.from_row(row) if row is not None else None


async def _competency(info: Info, competency_id: uuid.UUID) -> Competency:
    row = await info.context.loader(framework_queries.competencies_by_id).load(competency_id)
    return Competency.from_row(row)


async def _level_name(info: Info, competency_id: uuid.UUID, level: float | None) -> str | None:
    if level is None:
        return None
    comp = await info.context.loader(framework_queries.competencies_by_id).load(competency_id)
    steps = await info.context.loader(framework_queries.scale_levels_by_scale).load(comp.scale_id)
    nearest = int(level + 0.5)  # peer means: the nearest step, halves up
    return next((s.name for s in steps if s.value == nearest), None)


_EMPLOYEE = "service.people.types.Employee"
_COMPETENCY = to_one(framework_queries.competencies_by_id, Competency, competency="competency_id")


# --- cycles -------------------------------------------------------------------------------


async def _cycle_employees(self: AssessmentCycle, info: Info) -> list[Employee]:
    from service.people.types import Employee

    principal = await info.context.principal()
    ids = await assessments.cycle_employees(info.context, principal, self.pk)
    rows = await info.context.loader(people_queries.employees_by_id).load_many(ids)
    return sorted(
        (Employee.from_row(r) for r in rows if r is not None), key=lambda e: (e.name, e.pk)
    )


@strawberry.type(
    description="A review period in which assessments are collected: a window, the kinds "
    "of assessment it collects and whom it covers. DRAFT → OPEN → CLOSED."
)
class AssessmentCycle(VersionedNode):
    converters = {
        "status": AssessmentCycleStatus,
        "coverage": AssessmentCycleCoverage,
        "kinds": list_of(AssessmentKind),
    }
    relations = (
        to_one(
            people_queries.org_units_by_id, "service.people.types.OrgUnit", orgUnit="org_unit_id"
        ),
    )

    name: str = strawberry.field(description="Display name, e.g. 2026 mid-year review.")
    description: str | None = strawberry.field(description="What the cycle is for.")
    starts_on: dt.date = strawberry.field(description="First day of the window.")
    ends_on: dt.date = strawberry.field(description="Last day of the window (the due date).")
    status: AssessmentCycleStatus = strawberry.field(description="Where the cycle stands.")  # type: ignore[valid-type]
    coverage: AssessmentCycleCoverage = strawberry.field(description="Whom the cycle covers.")  # type: ignore[valid-type]

    kinds: list[AssessmentKind] = strawberry.field(  # type: ignore[valid-type]
        description="Kinds of assessment the cycle collects."
    )
    org_unit: OrgUnitRef | None = related("With coverage ORG_UNIT: the unit (sub-units included).")
    employees: list[EmployeeRef] = strawberry.field(
        resolver=_cycle_employees,
        description="With coverage EMPLOYEES: the employees covered, those the caller may see.",
    )
    opened_at: dt.datetime | None = strawberry.field(description="When the cycle was opened.")
    closed_at: dt.datetime | None = strawberry.field(description="When the cycle was closed.")

    rows = read_rows(assessments.visible_cycles)


# --- assessments and ratings --------------------------------------------------------------


async def _assessor(self: Assessment, info: Info) -> Employee | None:
    principal = await info.context.principal()
    reach = await info.context.reach()
    if not policies.can_see_assessor(
        principal,
        reach,
        kind=self.row.kind,
        subject_id=self.row.subject_id,
        assessor_id=self.row.assessor_id,
    ):
        return None
    return await _named(info, self.row.assessor_id)


@strawberry.type(
    description="Ratings of one employee (the subject) by one assessor. Visible to its "
    "assessor (drafts too), HR admins, and once submitted to the subject and the managers "
    "above them; a peer sees only what they wrote. Peer feedback is anonymous to its "
    "subject: they never see a PEER assessment of themself, only the mean of at least "
    "`CAREERPATH_ASSESSMENTS__MIN_PEER_COUNT` peers (default 3) in their current levels."
)
class Assessment(VersionedNode):
    converters = {"kind": AssessmentKind, "status": AssessmentStatus, "source": AssessmentSource}
    relations = (
        to_one(
            people_queries.employees_by_id,
            _EMPLOYEE,
            subject="subject_id",
            invitedBy="invited_by_id",
        ),
        to_one(queries.cycles_by_id, AssessmentCycle, cycle="cycle_id"),
    )

    kind: AssessmentKind = strawberry.field(description="Who rates whom.")  # type: ignore[valid-type]
    status: AssessmentStatus = strawberry.field(description="Draft or submitted.")  # type: ignore[valid-type]
    source: AssessmentSource = strawberry.field(description="Written here or imported.")  # type: ignore[valid-type]
    submitted_at: dt.datetime | None = strawberry.field(
        description="When it was submitted (for imports: the date rated); null while a draft."
    )
    subject: EmployeeRef | None = related("The employee assessed.")
    assessor: EmployeeRef | None = strawberry.field(
        resolver=_assessor,
        description="Who wrote it; null for imports without an assessor and for service "
        "accounts. A PEER assessor is shown only to themself, the managers above the "
        "subject and HR admins: peer feedback is anonymous to its subject.",
    )
    invited_by: EmployeeRef | None = related("For PEER assessments: who invited the peer.")
    cycle: AssessmentCycle | None = related("The cycle it belongs to; null for ad-hoc assessments.")

    rows = read_rows(assessments.visible_assessments)

    @strawberry.field(description="The ratings, by competency category and name.")
    async def ratings(self, info: Info) -> list[Rating]:
        rows = await info.context.loader(queries.ratings_by_assessment).load(self.pk)
        return [Rating(row=r, assessment_row=self.row) for r in rows]


@strawberry.type(description="A competency rated at a level of its scale, with the evidence.")
class Rating:
    row: strawberry.Private[Any]
    assessment_row: strawberry.Private[Any]

    @strawberry.field(description="The competency rated.")
    async def competency(self, info: Info) -> Competency:
        return await _competency(info, self.row.competency_id)

    @strawberry.field(description="Level on the competency's scale, 1 = lowest.")
    def level(self) -> int:
        return int(self.row.level)

    @strawberry.field(description="Name of the level on the competency's scale.")
    async def level_name(self, info: Info) -> str | None:
        return await _level_name(info, self.row.competency_id, self.row.level)

    @strawberry.field(description="What the rating rests on (at most 4000 characters).")
    def evidence(self) -> str | None:
        return self.row.evidence

    @strawberry.field(description="The assessment the rating belongs to: its kind, assessor, date.")
    def assessment(self) -> Assessment:
        return Assessment.from_row(self.assessment_row)

    @strawberry.field(description="When the rating was last changed.")
    def updated_at(self) -> dt.datetime:
        return self.row.updated_at


async def _ratings_behind(
    info: Info, competency_id: uuid.UUID, assessment_ids: Sequence[uuid.UUID] | None
) -> list[Rating]:
    """The ratings a current level rests on, newest first, those the caller may see."""
    if not assessment_ids:
        return []
    principal = await info.context.principal()
    found = await assessments.ratings_behind(info.context, principal, competency_id, assessment_ids)
    return [Rating(row=rating, assessment_row=parent) for rating, parent in found]


# --- current proficiency ------------------------------------------------------------------

RESOLUTION = (
    "Resolved from submitted ratings: of the kinds in the configured order (default "
    "CALIBRATION, MANAGER, PEER, SELF) the first with a rating wins, preferring fresh "
    "ratings to stale ones; for PEER, the mean of each peer's latest rating rounded to one "
    "decimal (half away from zero), counted only once at least "
    "`CAREERPATH_ASSESSMENTS__MIN_PEER_COUNT` peers (default 3) rated the competency; "
    "otherwise the latest rating of the kind."
)


@strawberry.type(description="An employee's current level of one competency. " + RESOLUTION)
class CurrentProficiency(RowObject):
    converters = {"level": float, "source": AssessmentKind}
    columns = {"source": "source_kind"}
    relations = (_COMPETENCY,)

    level: float = strawberry.field(
        description="Current level on the competency's scale; may have one decimal (peer mean)."
    )
    stale: bool = strawberry.field(
        description="Every rating behind it is older than the configured age (default 365 days)."
    )
    as_of: dt.datetime = strawberry.field(description="When the newest rating behind it was given.")
    source: AssessmentKind = strawberry.field(  # type: ignore[valid-type]
        description="The kind of rating the level comes from."
    )
    competency: Competency = related("The competency.")

    @strawberry.field(description="Name of the nearest level on the competency's scale.")
    async def level_name(self, info: Info) -> str | None:
        return await _level_name(info, self.row.competency_id, self.level)

    @strawberry.field(
        description="The ratings the level rests on (several for a peer mean), newest "
        "first, those the caller may see: the subject sees no single peer's rating."
    )
    async def ratings(self, info: Info) -> list[Rating]:
        return await _ratings_behind(info, self.row.competency_id, self.row.assessment_ids)


async def current_proficiencies(info: Info, employee_id: uuid.UUID) -> list[CurrentProficiency]:
    """``Employee.currentProficiencies``: private career data."""
    principal = await info.context.principal()
    rows = await assessments.current_proficiencies(info.context, principal, employee_id)
    return [CurrentProficiency.from_row(r) for r in rows]


# --- gap analysis -------------------------------------------------------------------------

GAP_DESC = (
    "`requiredLevel − currentLevel`, signed: positive is the shortfall, zero or negative "
    "means the requirement is met; null when unassessed."
)
READINESS_DESC = (
    "How ready the employee is for the role, in [0, 1]: Σ wᵢ·min(cᵢ / rᵢ, 1) / Σ wᵢ over the "
    "role's expectations, with weight wᵢ, required level rᵢ and current level cᵢ (an "
    "unassessed expectation counts 0; exceeding one does not make up for another). Stale "
    "ratings count like fresh ones (see `staleCount`). Rounded to 4 decimals; null for a "
    "role without expectations."
)


@strawberry.type(
    description="One expectation of a role compared with the employee's current level."
)
class CompetencyGap:
    row: strawberry.Private[Any]
    required_level: int = strawberry.field(description="Level the role requires.")
    current_level: float | None = strawberry.field(
        description="The employee's current level; null when unassessed."
    )
    gap: float | None = strawberry.field(description=GAP_DESC)
    status: GapStatus = strawberry.field(description="How the current level compares.")  # type: ignore[valid-type]
    weight: float = strawberry.field(description="Weight of the expectation in readiness.")
    core: bool = strawberry.field(description="A core competency of the role.")
    stale: bool = strawberry.field(description="The current level rests on stale ratings only.")
    as_of: dt.datetime | None = strawberry.field(
        description="When the newest rating behind the current level was given."
    )
    competency: Competency = strawberry.field(description="The competency.")
    source: AssessmentKind | None = strawberry.field(  # type: ignore[valid-type]
        description="The kind of rating the current level comes from."
    )

    @classmethod
    def from_row(cls, r: Any, competency_row: Any) -> CompetencyGap:
        """From a row of ``queries.gap_rows`` and its competency's row: an
        ``AssessedCompetencyGap`` unless the expectation is unassessed."""
        assessed = r.status != GapStatusValue.UNASSESSED
        return (AssessedCompetencyGap if assessed else CompetencyGap)(
            row=r,
            required_level=r.required_level,
            current_level=r.current_level,
            gap=r.gap,
            status=_STATUS[r.status],
            weight=float(r.weight),
            core=r.core,
            stale=r.stale,
            as_of=r.as_of,
            competency=Competency.from_row(competency_row),
            source=_KIND[r.source_kind] if r.source_kind else None,
        )

    @strawberry.field(
        description="The ratings behind the current level, newest first: who gave them and "
        "when, those the caller may see (the subject sees no single peer's rating)."
    )
    async def ratings(self, info: Info) -> list[Rating]:
        return await _ratings_behind(info, self.row.competency_id, self.row.assessment_ids)


@strawberry.type(
    description="An expectation the employee has a current level for (met, exceeded or "
    "below it), so the level, gap, date and source are always given."
)
class AssessedCompetencyGap(CompetencyGap):
    current_level: float = strawberry.field(description="The employee's current level.")
    gap: float = strawberry.field(
        description="`requiredLevel − currentLevel`, signed: positive is the shortfall, zero "
        "or negative means the requirement is met."
    )
    as_of: dt.datetime = strawberry.field(
        description="When the newest rating behind the current level was given."
    )
    source: AssessmentKind = strawberry.field(  # type: ignore[valid-type]
        description="The kind of rating the current level comes from."
    )


_STATUS = {m.value: m for m in GapStatus}
_KIND = {m.value: m for m in AssessmentKind}

LIMIT_ARG = strawberry.argument(description="At most this many (1 to 20).")


def _limit(n: int) -> int:
    return max(1, min(n, 20))


def _assessed(self: GapAnalysis) -> list[AssessedCompetencyGap]:
    return [g for g in self.expectations if isinstance(g, AssessedCompetencyGap)]


def _top_gaps(
    self: GapAnalysis, limit: Annotated[int, LIMIT_ARG] = 3
) -> list[AssessedCompetencyGap]:
    below = [g for g in _assessed(self) if g.status == GapStatus.BELOW]
    below.sort(key=lambda g: queries.gap_rank(g.weight, g.gap, g.core))
    return below[: _limit(limit)]


def _strengths(
    self: GapAnalysis, limit: Annotated[int, LIMIT_ARG] = 3
) -> list[AssessedCompetencyGap]:
    met = [g for g in _assessed(self) if g.status in (GapStatus.MEETS, GapStatus.EXCEEDS)]
    met.sort(key=lambda g: (g.gap, -g.weight))
    return met[: _limit(limit)]


@strawberry.type(
    description="An employee compared with a role's expectations: per expectation the "
    "required and current level, gap and status, with the ratings behind it; overall "
    "readiness, strengths and the top gaps."
)
class GapAnalysis:
    relation: GapRelation = strawberry.field(description="How the role relates to the employee.")  # type: ignore[valid-type]
    role: Role = strawberry.field(description="The role compared against.")
    readiness: float | None = strawberry.field(description=READINESS_DESC)
    expectations: list[CompetencyGap] = strawberry.field(
        description="Every expectation of the role: core first, then by weight and name."
    )

    top_gaps: list[AssessedCompetencyGap] = strawberry.field(
        resolver=_top_gaps,
        description="Expectations below the required level, largest weight × gap first "
        "(ties: core first, then larger gap). Unassessed ones are not gaps (see "
        "`unassessedCount`).",
    )
    strengths: list[AssessedCompetencyGap] = strawberry.field(
        resolver=_strengths,
        description="Expectations met or exceeded, furthest above the requirement first, "
        "then by weight.",
    )
    meets_count: int = strawberry.field(description="Expectations met (status MEETS).")
    exceeds_count: int = strawberry.field(description="Expectations exceeded (status EXCEEDS).")
    below_count: int = strawberry.field(
        description="Expectations below the required level (status BELOW)."
    )
    unassessed_count: int = strawberry.field(
        description="Expectations without a current level (status UNASSESSED)."
    )
    stale_count: int = strawberry.field(
        description="Expectations whose current level rests on stale ratings."
    )

    @classmethod
    def build(cls, relation: Any, role_row: Any, rows: Sequence[tuple[Any, Any]]) -> GapAnalysis:
        """From the role's row and what ``queries.gap_rows`` gives for one employee."""
        counts = Counter(r.status for r, _ in rows)
        return cls(
            meets_count=counts[GapStatusValue.MEETS],
            exceeds_count=counts[GapStatusValue.EXCEEDS],
            below_count=counts[GapStatusValue.BELOW],
            unassessed_count=counts[GapStatusValue.UNASSESSED],
            stale_count=sum(1 for r, _ in rows if r.stale),
            relation=relation,
            role=Role.from_row(role_row),
            readiness=float(rows[0][0].readiness) if rows else None,
            expectations=[CompetencyGap.from_row(r, c) for r, c in rows],
        )


async def gap_analyses(
    info: Info, employee_row: Any, role_id: uuid.UUID | None
) -> list[GapAnalysis]:
    """``Employee.gapAnalysis``: for ``role_id``, or the current role and each next role."""
    principal = await info.context.principal()
    found = await assessments.gap_analyses(info.context, principal, employee_row, role_id)
    return [GapAnalysis.build(GapRelation(t.relation.value), t.role, t.rows) for t in found]


# --- team skills matrix -------------------------------------------------------------------


@strawberry.type(description="One cell of a skills matrix: a person and a competency.")
class SkillCell:
    required_level: int = strawberry.field(description="Level the person's target role requires.")
    current_level: float | None = strawberry.field(
        description="The person's current level; null when unassessed."
    )
    gap: float | None = strawberry.field(description=GAP_DESC)
    status: GapStatus = strawberry.field(description="How the current level compares.")  # type: ignore[valid-type]
    stale: bool = strawberry.field(description="The current level rests on stale ratings only.")
    weight: float = strawberry.field(description="Weight of the expectation in the target role.")
    competency: Competency = strawberry.field(description="The competency (the column).")
    source: AssessmentKind | None = strawberry.field(  # type: ignore[valid-type]
        description="The kind of rating the current level comes from."
    )


@strawberry.type(description="One person of a skills matrix with a cell per expectation.")
class TeamSkillsRow:
    readiness: float | None = strawberry.field(description=READINESS_DESC)
    cells: list[SkillCell] = strawberry.field(
        description="One cell per expectation of the target role, in the order of the "
        "matrix's `competencies`; competencies the role does not expect have no cell."
    )
    employee: EmployeeRef = strawberry.field(description="The person (the row).")
    role: Role | None = strawberry.field(
        description="The role compared against; null without a role (or a next role)."
    )


@strawberry.type(
    description="A team's people (rows, paginated) against the competencies their roles "
    "expect (columns), with current level, required level, gap and status in each cell."
)
class TeamSkillsMatrix:
    rows: Connection[TeamSkillsRow] = strawberry.field(
        description="The rows of this page, by name."
    )
    competencies: list[Competency] = strawberry.field(
        description="The columns: every competency expected of anyone in the team (all "
        "pages), by category and name."
    )


async def team_skills_matrix(
    info: Info, page: queries.MatrixPage, offset: int, limit: int, total: int
) -> TeamSkillsMatrix:
    """The matrix of a page: its objects built from the page's rows once, one per
    competency and role, so nothing below needs to be loaded (one more statement: the
    columns' competencies)."""
    from service.people.types import Employee

    found = await info.context.loader(framework_queries.competencies_by_id).load_many(page.columns)
    columns = [Competency.from_row(r) for r in found if r is not None]
    by_id = {c.pk: c for c in columns}
    roles: dict[uuid.UUID, Role] = {}
    rows = []
    for r in page.rows:
        role = None
        if r.role is not None:
            role = roles.get(r.role.id) or roles.setdefault(r.role.id, Role.from_row(r.role))
        cells = [
            SkillCell(
                required_level=c.required_level,
                current_level=c.current_level,
                gap=c.gap,
                status=_STATUS[c.status],
                stale=c.stale,
                weight=c.weight,
                competency=by_id[c.competency_id],
                source=_KIND[c.source_kind] if c.source_kind else None,
            )
            for c in r.cells
        ]
        rows.append(
            TeamSkillsRow(
                readiness=r.readiness,
                cells=cells,
                employee=Employee.from_row(r.employee),
                role=role,
            )
        )
    return TeamSkillsMatrix(rows=make_connection(rows, offset, limit, total), competencies=columns)


# --- organization patterns ----------------------------------------------------------------


def rounded(value: float | None) -> float | None:
    """A share or mean as reported: four decimals."""
    return None if value is None else round(float(value), 4)


async def _group_units(info: Info, groups: Sequence[Any], wanted: list[Any]) -> None:
    """The org units of ORG_UNIT groups, from the unit rows the summary statement gives
    with the groups (``queries.GROUP_UNIT``), so nothing is read for them."""
    from service.people.types import OrgUnit

    units: dict[uuid.UUID, OrgUnit] = {}
    for group, row in zip(groups, queries.GROUP_UNIT.rows([g.row for g in groups]), strict=True):
        unit = units.setdefault(row.id, OrgUnit.from_row(row)) if row is not None else None
        group.known["orgUnit"] = unit
    await OrgUnit.prefetch(info, list(units.values()), children(wanted))


@strawberry.type(
    description="Aggregated gaps of one group of people. Figures are null when the group "
    "is suppressed for being too small."
)
class SkillGapGroup(RowObject):
    """One row of ``skill_gap_summaries``; its ``*_id`` columns name the group's object
    (only the one of its grouping is set) and ``weakest_ids`` its weakest competencies."""

    converters = {"assessed_share": rounded, "mean_gap": rounded, "met_share": rounded}
    relations = (
        Relation(("orgUnit",), _group_units),
        to_one(
            framework_queries.job_families_by_id,
            JobFamily,
            family="family_id",
            jobFamily="family_id",
        ),
        to_one(framework_queries.levels_by_id, Level, level="level_id"),
        to_one(framework_queries.competencies_by_id, Competency, competency="competency_id"),
        to_many(
            framework_queries.competencies_by_id, Competency, weakestCompetencies="weakest_ids"
        ),
    )

    headcount: int = strawberry.field(
        description="People in the group (active employees with a role)."
    )
    assessed_share: float | None = strawberry.field(
        description="Share of the group's expectations (person × competency) with a current "
        "level, in [0, 1]."
    )
    mean_gap: float | None = strawberry.field(
        description="Mean shortfall over assessed expectations: mean of max(required − "
        "current, 0), in scale levels."
    )
    met_share: float | None = strawberry.field(
        description="Share of assessed expectations met or exceeded, in [0, 1]."
    )

    org_unit: OrgUnitRef | None = related(
        "With groupBy ORG_UNIT: the unit; null for people without one."
    )
    job_family: JobFamily | None = related(
        "With groupBy JOB_FAMILY: the family.",
        deprecation_reason="Use `family`, the name `Role` and `Track` use.",
    )
    family: JobFamily | None = related("With groupBy JOB_FAMILY: the job family.")
    level: Level | None = related("With groupBy LEVEL: the level.")
    competency: Competency | None = related("With groupBy COMPETENCY: the competency.")
    weakest_competencies: list[Competency] = related(
        "Up to 3 competencies with the largest mean shortfall in the group, largest first; "
        "only those with a shortfall."
    )


async def skill_gap_groups(info: Info, rows: Sequence[Any]) -> list[SkillGapGroup]:
    """The groups of one summary, with the related objects the query selects on them
    loaded for all groups at once (one batch per kind of object)."""
    groups = [SkillGapGroup.from_row(r) for r in rows]
    await SkillGapGroup.prefetch(info, groups, children(named(selected_below(info), "groups")))
    return groups


@strawberry.type(
    description="Organization patterns: skill gaps aggregated by org unit, job family, "
    "competency or level, against each person's current role."
)
class SkillGapSummary:
    groups: list[SkillGapGroup] = strawberry.field(
        description="Groups large enough to report, by name (levels by rank)."
    )
    suppressed_group_count: int = strawberry.field(
        description="Groups left out for having fewer people than `minGroupSize`."
    )
    min_group_size: int = strawberry.field(
        description="Smallest group reported (setting CAREERPATH_ASSESSMENTS__MIN_GROUP_SIZE)."
    )
