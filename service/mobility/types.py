"""GraphQL types of mobility: aspirations, postings and their requirements, applications,
explained matches in both directions, the mobility figures and settings."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.types import Info

from service.auth import policies
from service.errors import Forbidden
from service.framework import queries as framework_queries
from service.framework.types import Competency, JobFamily, Role
from service.graphql.enums import graphql_enum
from service.graphql.kit import paginate_nodes
from service.graphql.lookahead import children, connection_nodes, later, named, selected_below
from service.graphql.node import RowObject, VersionedNode, list_of, once_per_request, optional
from service.graphql.pagination import Connection, PageArgs, make_connection, paged
from service.graphql.relations import prefetch, related, to_list, to_many, to_node, to_one
from service.mobility import queries
from service.mobility import service as mobility
from service.mobility.models import OPPORTUNITY_OF
from service.mobility.models import ApplicationStatus as ApplicationStatusValue
from service.mobility.models import Opportunity as OpportunityValue
from service.mobility.models import PostingKind as PostingKindValue
from service.mobility.models import PostingStatus as PostingStatusValue
from service.mobility.models import RequirementStatus as RequirementStatusValue
from service.mobility.models import TimeHorizon as TimeHorizonValue
from service.people import queries as people_queries
from service.people.refs import EmployeeRef, OrgUnitRef
from service.promotions import queries as promotion_queries

PostingKind = graphql_enum(
    PostingKindValue,
    "What a posting offers.",
    {
        "ROLE": "A position: accepting the offer changes the employee's role, org unit and "
        "manager.",
        "PROJECT": "A project assignment for a while, alongside the current role.",
        "GIG": "A short piece of work for another team.",
        "ROTATION": "A rotation through another team or function, then back.",
        "MENTORSHIP": "Being mentored by (or mentoring for) the hiring manager.",
    },
)
PostingStatus = graphql_enum(
    PostingStatusValue,
    "Where a posting stands: DRAFT → OPEN → CLOSED or FILLED.",
    {
        "DRAFT": "Being prepared; seen only by its owners and HR admins.",
        "OPEN": "Visible to everyone in the organization; applications are accepted.",
        "CLOSED": "Closed without being filled.",
        "FILLED": "An applicant accepted its offer.",
    },
)
ApplicationStatus = graphql_enum(
    ApplicationStatusValue,
    "Where an application stands: SUBMITTED → IN_REVIEW → INTERVIEWING → OFFERED → "
    "ACCEPTED (forward only; steps may be skipped), or REJECTED / WITHDRAWN.",
    {
        "SUBMITTED": "Sent by the applicant.",
        "IN_REVIEW": "The hiring manager is looking at it.",
        "INTERVIEWING": "In interviews.",
        "OFFERED": "The applicant was offered the opportunity.",
        "ACCEPTED": "The applicant accepted the offer; the posting is filled.",
        "REJECTED": "Turned down, with feedback for the applicant.",
        "WITHDRAWN": "Withdrawn by the applicant (or because they accepted another role).",
    },
)
Opportunity = graphql_enum(
    OpportunityValue,
    "Kinds of opportunity an employee is open to; each kind of posting answers one.",
    {
        "ROLES": "A new role (ROLE postings).",
        "PROJECTS": "Projects (PROJECT postings).",
        "GIGS": "Gigs (GIG postings).",
        "ROTATIONS": "Rotations (ROTATION postings).",
        "MENTORING": "Mentoring (MENTORSHIP postings).",
    },
)
TimeHorizon = graphql_enum(
    TimeHorizonValue,
    "When an employee would like to move.",
    {
        "NOW": "As soon as something fits.",
        "WITHIN_A_YEAR": "Within the next twelve months.",
        "ONE_TO_TWO_YEARS": "In one to two years.",
        "LATER": "Further out.",
    },
)


RequirementStatus = graphql_enum(
    RequirementStatusValue,
    "How a person's current level compares with a requirement.",
    {
        "MET": "At or above the required level.",
        "PARTLY_MET": "Assessed, but below the required level.",
        "MISSING": "Not assessed: no current level.",
    },
)


SCORE_DESC = (
    "The match score in [0, 1]: gate × (0.8 × coverage + 0.2 × aspirationFit), rounded to "
    "four decimals. coverage = Σ wᵢ·min(cᵢ / rᵢ, 1) / Σ wᵢ over the posting's requirements "
    "(weight wᵢ, required level rᵢ, current level cᵢ from the person's current "
    "proficiencies, 0 when unassessed; 1 without requirements); aspirationFit = 1 when the "
    "posting's role is one of the person's target roles, 0.5 when its job family is one of "
    "their families, else 0; gate = 1 when every must-have requirement is met, else 0.5."
)


# --- loaders ------------------------------------------------------------------------------


#: The organization's mobility settings, read once per request.
request_settings = once_per_request(queries.settings)


async def _named(info: Info, employee_id: uuid.UUID | None) -> Any:
    """A person shown through a posting or application the caller sees: with what the field
    rules of ``Employee`` give (their name, title, org unit and role at least)."""
    from service.people.types import Employee

    if employee_id is None:
        return None
    row = await info.context.loader(people_queries.employees_by_id).load(employee_id)
    return Employee.from_row(row) if row is not None else None


async def _posting(info: Info, posting_id: uuid.UUID) -> Any:
    return await info.context.loader(queries.postings_by_id).load(posting_id)


# --- postings -----------------------------------------------------------------------------


_EMPLOYEE = "service.people.types.Employee"
_COMPETENCY = to_one(framework_queries.competencies_by_id, Competency, competency="competency_id")


@strawberry.type(
    description="A competency a posting asks for, at a level of the competency's own scale "
    "(competencies, never degrees)."
)
class PostingRequirement(RowObject):
    relations = (_COMPETENCY,)

    required_level: int = strawberry.field(description="The level asked for.")
    must_have: bool = strawberry.field(
        description="Whether candidates who do not meet it are marked down (see the score)."
    )
    weight: float = strawberry.field(description="Its weight in the match's coverage.")
    competency: Competency | None = related("The competency.")


async def _caller_applied(info: Info) -> frozenset[uuid.UUID]:
    principal = await info.context.principal()
    if principal.employee_id is None:
        return frozenset()
    return await info.context.loader(queries.applied_postings).load(principal.employee_id)


async def _require_runs(info: Info, row: Any) -> None:
    if not queries.manages_posting(await info.context.principal(), row):
        raise Forbidden()


@strawberry.type(
    description="An opportunity inside the organization: a role, project, gig, rotation or "
    "mentorship, with the competencies it asks for. OPEN postings are visible to everyone "
    "in the organization; drafts and closed or filled ones to their owners (hiring manager "
    "and creator) and HR admins, and to those who applied."
)
class Posting(VersionedNode):
    rows_by_id = queries.postings_by_id
    converters = {"kind": PostingKind, "status": PostingStatus}
    relations = (
        to_one(framework_queries.roles_by_id, Role, role="role_id"),
        to_node("service.people.types.OrgUnit", orgUnit="org_unit_id"),
        to_one(people_queries.employees_by_id, _EMPLOYEE, hiringManager="hiring_manager_id"),
        to_list(queries.requirements_by_posting, PostingRequirement, "requirements"),
    )

    @classmethod
    async def visible(cls, info: Info, rows: Sequence[Any]) -> list[bool]:
        principal = await info.context.principal()
        applied = await _caller_applied(info)
        return [queries.can_see_posting(principal, r, r.id in applied) for r in rows]

    kind: PostingKind = strawberry.field(description="What it offers.")  # type: ignore[valid-type]
    title: str = strawberry.field(description="Its title.")
    description: str | None = strawberry.field(description="What the work is about.")
    status: PostingStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    role: Role | None = related("The role offered: required for ROLE postings, optional else.")
    org_unit: OrgUnitRef | None = related("The org unit the work is for.")
    hiring_manager: EmployeeRef | None = related(
        "Who hires: runs the applications and, for a ROLE posting, becomes the new manager. "
        "Shown by name, title, org unit and role to everyone who sees the posting."
    )
    location: str | None = strawberry.field(description="Where the work is done.")
    remote: bool = strawberry.field(description="Whether it can be done remotely.")
    commitment: float = strawberry.field(
        description="Share of working time it takes, in (0, 1]; 1 is full time."
    )
    start_date: dt.date | None = strawberry.field(description="When the work starts.")
    end_date: dt.date | None = strawberry.field(
        description="When it ends (projects, gigs, rotations)."
    )
    application_deadline: dt.date | None = strawberry.field(description="The last day to apply.")
    opened_at: dt.datetime | None = strawberry.field(description="When it was opened.")
    closed_at: dt.datetime | None = strawberry.field(
        description="When it was closed without being filled."
    )
    filled_at: dt.datetime | None = strawberry.field(
        description="When it was filled (an offer was accepted)."
    )
    requirements: list[PostingRequirement] = related(
        "Its competency requirements: must-haves first, then by weight."
    )

    @strawberry.field(
        description="Its applications, oldest first: for its owners and HR admins (FORBIDDEN "
        "for others, who see their own through `me { applications }`)."
    )
    @paged
    async def applications(self, info: Info, paging: PageArgs) -> Connection[Application]:
        await _require_runs(info, self.row)
        return await paginate_nodes(
            info, queries.posting_applications_select(self.row.id), paging, Application
        )

    @strawberry.field(
        description="Applicants (active or accepted) and discoverable employees open to this "
        "kind of opportunity, best match first (then by name): for the posting's owners and "
        "HR admins, FORBIDDEN for others. " + SCORE_DESC
    )
    async def candidates(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CandidateMatch]:
        await _require_runs(info, self.row)
        offset, limit = PageArgs(first, after).window()
        page = await queries.posting_candidates(
            info.context,
            promotion_queries.rules_for(info.context),
            self.row,
            OPPORTUNITY_OF[self.row.kind],
            offset,
            limit,
        )
        matches = [
            CandidateMatch.from_row(r, a)
            for r, a in zip(page.rows, page.applications or [], strict=True)
        ]
        await _prefetch_matches(info, matches)
        return make_connection(matches, offset, limit, page.total)


# --- applications -------------------------------------------------------------------------

PRIVATE = (
    " Visible to the applicant, the posting's owners and HR admins; FORBIDDEN for others "
    "who see the application (the applicant's managers)."
)


@strawberry.type(
    description="An application to a posting. Seen by the applicant, the posting's owners "
    "(hiring manager and creator) and HR admins, and by the managers above the applicant — "
    "unless it is confidential and has not yet reached the organization's "
    "`confidentialUntil` stage (OFFERED by default)."
)
class Application(VersionedNode):
    rows_by_id = queries.applications_by_id
    converters = {"status": ApplicationStatus}
    columns = {"submitted_at": "created_at"}
    relations = (
        to_one(queries.postings_by_id, Posting, posting="posting_id"),
        to_one(people_queries.employees_by_id, _EMPLOYEE, applicant="employee_id"),
    )

    status: ApplicationStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    confidential: bool = strawberry.field(
        description="Whether the applicant asked to keep it from their current manager chain "
        "until the organization's `confidentialUntil` stage."
    )
    submitted_at: dt.datetime = strawberry.field(description="When it was submitted.")
    status_changed_at: dt.datetime = strawberry.field(description="When its status last changed.")

    @classmethod
    async def visible(cls, info: Info, rows: Sequence[Any]) -> list[bool]:
        principal = await info.context.principal()
        if not policies.is_private_reader(principal):
            return [False for _ in rows]
        reach = await info.context.reach()
        s = await request_settings(info)
        found = await info.context.loader(queries.postings_by_id).load_many(
            [r.posting_id for r in rows]
        )
        return [
            queries.can_see_application(principal, reach, s, r, p)
            for r, p in zip(rows, found, strict=True)
        ]

    async def _private(self, info: Info, value: Any) -> Any:
        principal = await info.context.principal()
        posting = await _posting(info, self.row.posting_id)
        if not queries.can_see_feedback(principal, await info.context.reach(), self.row, posting):
            raise Forbidden()
        return value

    @strawberry.field(description="The applicant's note to the hiring manager." + PRIVATE)
    async def note(self, info: Info) -> str | None:
        return await self._private(info, self.row.note)

    @strawberry.field(
        description="Feedback for the applicant (always given on a rejection)." + PRIVATE
    )
    async def feedback(self, info: Info) -> str | None:
        return await self._private(info, self.row.feedback)

    @strawberry.field(description="The posting applied to.")
    def posting(self, info: Info) -> Posting | None:
        return self.related(info, "posting")

    @strawberry.field(
        description="Who applied: shown to everyone who sees the application (by name, title, "
        "org unit and role at least)."
    )
    def applicant(self, info: Info) -> EmployeeRef | None:
        return self.related(info, "applicant")

    @strawberry.field(
        description="For an accepted PROJECT, GIG, ROTATION or MENTORSHIP: the participation "
        "agreed (dates and share of time); null otherwise."
    )
    def participation(self) -> Participation | None:
        if self.row.participation_start is None:
            return None
        return Participation(
            start_date=self.row.participation_start,
            end_date=self.row.participation_end,
            commitment=float(self.row.participation_commitment or 1),
        )


@strawberry.type(description="Taking part in a project, gig, rotation or mentorship.")
class Participation:
    start_date: dt.date = strawberry.field(description="From when.")
    end_date: dt.date | None = strawberry.field(description="Until when; null when open-ended.")
    commitment: float = strawberry.field(description="Share of working time, in (0, 1].")


async def employee_applications(info: Info, employee_id: uuid.UUID) -> list[Application]:
    """``Employee.applications``: the employee's applications the caller may see."""
    rows = await info.context.loader(queries.applications_by_employee).load(employee_id)
    if not rows:
        return []
    allowed = await Application.visible(info, rows)
    found = [Application.from_row(r) for r, ok in zip(rows, allowed, strict=True) if ok]
    await Application.prefetch(info, found, selected_below(info))
    return found


# --- aspirations --------------------------------------------------------------------------


@strawberry.type(
    description="What an employee wants next: target roles, job families, kinds of "
    "opportunity, relocation and time horizon. Private career data: visible to the "
    "employee, the managers above them and HR admins; to hiring managers (the hiring "
    "manager of a DRAFT or OPEN posting) only when the employee is discoverable."
)
class CareerAspiration(RowObject):
    converters = {"open_to": list_of(Opportunity), "time_horizon": optional(TimeHorizon)}
    relations = (
        to_many(framework_queries.roles_by_id, Role, targetRoles="target_role_ids"),
        to_many(framework_queries.job_families_by_id, JobFamily, jobFamilies="family_ids"),
    )

    target_roles: list[Role] = related("Roles the employee would like to hold.")
    job_families: list[JobFamily] = related("Job families the employee is interested in.")
    open_to: list[Opportunity] = strawberry.field(  # type: ignore[valid-type]
        description="Kinds of opportunity the employee is open to."
    )
    open_to_relocation: bool = strawberry.field(description="Whether the employee would relocate.")
    time_horizon: TimeHorizon | None = strawberry.field(  # type: ignore[valid-type]
        description="When the employee would like to move."
    )
    discoverable: bool = strawberry.field(
        description="Whether hiring managers may find the employee among a posting's "
        "candidates and see this aspiration."
    )
    note: str | None = strawberry.field(description="Anything else the employee wants known.")
    version: int = strawberry.field(
        description="Incremented by every change; pass it to `setCareerAspiration`."
    )
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")


async def career_aspiration(info: Info, employee_id: uuid.UUID) -> CareerAspiration | None:
    """``Employee.careerAspiration`` (see ``CareerAspiration``'s rule)."""
    principal = await info.context.principal()
    private = policies.can_see_own_private(principal, employee_id) or policies.can_see_private(
        await info.context.reach(), employee_id
    )
    hiring = False
    if not private:
        if principal.employee_id is None or not policies.is_private_reader(principal):
            raise Forbidden()
        hiring = await info.context.loader(queries.hiring).load(principal.employee_id)
        if not hiring:
            raise Forbidden()
    row = await info.context.loader(queries.aspirations_by_employee).load(employee_id)
    if row is None or (hiring and not row.discoverable):
        return None
    return CareerAspiration.from_row(row)


# --- matches ------------------------------------------------------------------------------


@strawberry.type(description="One requirement of a posting against a person's current level.")
class RequirementMatch(RowObject):
    """Backed by a ``queries.RequirementMatch``."""

    converters = {"status": RequirementStatus}
    relations = (_COMPETENCY,)

    required_level: int = strawberry.field(description="The level the posting asks for.")
    current_level: float | None = strawberry.field(
        description="The person's current level; null when unassessed."
    )
    must_have: bool = strawberry.field(description="A must-have requirement.")
    weight: float = strawberry.field(description="Its weight in the coverage.")
    status: RequirementStatus = strawberry.field(  # type: ignore[valid-type]
        description="Met, partly met or missing."
    )
    competency: Competency | None = related("The competency.")


def _explained(row: Any) -> dict[str, Any]:
    return {
        "score": float(row.score),
        "coverage": round(float(row.coverage), 4),
        "aspiration_fit": float(row.fit),
        "must_haves_met": bool(row.must_haves_met),
        "requirements": [
            RequirementMatch.from_row(i) for i in queries.requirement_matches(row.requirements)
        ],
    }


async def _prefetch_matches(info: Info, matches: Sequence[Match]) -> None:
    """What the page selects on its matches' requirements, postings and candidates, loaded
    for the whole page at once."""
    nodes = connection_nodes(info)
    await asyncio.gather(
        RequirementMatch.prefetch(
            info,
            [r for m in matches for r in m.requirements],
            children(named(nodes, "requirements")),
        ),
        Posting.prefetch(
            info,
            [m.posting for m in matches if isinstance(m, PostingMatch)],
            children(named(nodes, "posting")),
        ),
        prefetch(info, [m for m in matches if isinstance(m, CandidateMatch)], nodes, (_CANDIDATE,)),
    )


@strawberry.type(description="How well something matches: the score and its explanation.")
class Match:
    score: float = strawberry.field(description=SCORE_DESC)
    coverage: float = strawberry.field(
        description="Weighted coverage of the requirements by current levels, in [0, 1]."
    )
    aspiration_fit: float = strawberry.field(
        description="1 for a target role, 0.5 for a job family of interest, else 0."
    )
    must_haves_met: bool = strawberry.field(description="Every must-have requirement is met.")
    requirements: list[RequirementMatch] = strawberry.field(
        description="Each requirement with the current level: must-haves first, then by weight."
    )


@strawberry.type(description="An OPEN posting recommended to an employee, with the explanation.")
class PostingMatch(Match):
    row: strawberry.Private[Any]
    posting: Posting = strawberry.field(description="The posting.")

    @classmethod
    def from_row(cls, row: Any) -> PostingMatch:
        return cls(row=row, posting=Posting.from_row(row), **_explained(row))


#: A candidate's employee, found for a whole page at once.
_CANDIDATE = to_one(people_queries.employees_by_id, _EMPLOYEE, employee="employee_id")


@strawberry.type(description="A candidate for a posting, with the explanation.")
class CandidateMatch(Match):
    row: strawberry.Private[Any]
    application_row: strawberry.Private[Any]
    # The employee, when the page found it (`_CANDIDATE`).
    known: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any, application: Any = None) -> CandidateMatch:
        return cls(row=row, application_row=application, **_explained(row))

    @strawberry.field(
        description="The candidate: shown to the posting's owners and HR admins by name, "
        "title, org unit and role at least."
    )
    def employee(self, info: Info) -> EmployeeRef | None:
        if "employee" in self.known:
            return self.known["employee"]
        return later(_named(info, self.row.employee_id))

    @strawberry.field(description="Their application, if they applied; null for people found.")
    def application(self) -> Application | None:
        return Application.from_row(self.application_row) if self.application_row else None


async def recommended_postings(
    info: Info, employee_id: uuid.UUID, first: int | None, after: str | None
) -> Connection[PostingMatch]:
    """``Employee.recommendedPostings``: private career data of the employee."""
    principal = await info.context.principal()
    if not (
        policies.can_see_own_private(principal, employee_id)
        or policies.can_see_private(await info.context.reach(), employee_id)
    ):
        raise Forbidden()
    offset, limit = PageArgs(first, after).window()
    page = await queries.recommended_postings(
        info.context,
        promotion_queries.rules_for(info.context),
        employee_id,
        mobility.today(),
        offset,
        limit,
    )
    matches = [PostingMatch.from_row(r) for r in page.rows]
    await _prefetch_matches(info, matches)
    return make_connection(matches, offset, limit, page.total)


# --- figures and settings -----------------------------------------------------------------


@strawberry.type(description="Program figures of internal mobility over a period.")
class MobilityFigures:
    start: dt.date = strawberry.field(description="First day of the period.")
    end: dt.date = strawberry.field(description="Day after the period.")
    postings_opened: int = strawberry.field(description="Postings opened in the period.")
    postings_filled: int = strawberry.field(description="Postings filled in the period.")
    postings_closed_unfilled: int = strawberry.field(
        description="Postings opened earlier and closed without being filled in the period."
    )
    mean_days_to_fill: float | None = strawberry.field(
        description="Mean days from opening to filling, over postings filled in the period."
    )
    median_days_to_fill: float | None = strawberry.field(
        description="Median of the same; null when none was filled."
    )
    internal_fill_rate: float | None = strawberry.field(
        description="Filled ÷ (filled + closed unfilled) over postings ending in the period."
    )
    applications_per_posting: float | None = strawberry.field(
        description="Applications to postings opened in the period ÷ those postings."
    )
    rejected_applications: int = strawberry.field(
        description="Applications rejected in the period."
    )
    rejected_feedback_share: float | None = strawberry.field(
        description="Share of those rejections that gave the applicant feedback."
    )
    upward_moves: int = strawberry.field(
        description="Role changes through accepted offers in the period to a higher level "
        "(PROMOTION in position history)."
    )
    lateral_moves: int = strawberry.field(
        description="Role changes through accepted offers at the same or a lower level "
        "(LATERAL_MOVE)."
    )

    @classmethod
    def of(cls, f: queries.Figures, start: dt.date, end: dt.date) -> MobilityFigures:
        return cls(
            start=start,
            end=end,
            postings_opened=f.opened,
            postings_filled=f.filled,
            postings_closed_unfilled=f.closed_unfilled,
            mean_days_to_fill=f.mean_days_to_fill,
            median_days_to_fill=f.median_days_to_fill,
            internal_fill_rate=f.internal_fill_rate,
            applications_per_posting=f.applications_per_posting,
            rejected_applications=f.rejected,
            rejected_feedback_share=f.rejected_feedback_share,
            upward_moves=f.upward_moves,
            lateral_moves=f.lateral_moves,
        )


@strawberry.type(description="The organization's rules for internal mobility.")
class MobilitySettings(RowObject):
    converters = {"confidential_until": ApplicationStatus}

    confidential_until: ApplicationStatus = strawberry.field(  # type: ignore[valid-type]
        description="The stage from which a confidential application becomes visible to "
        "the applicant's manager chain (default OFFERED)."
    )
    version: int = strawberry.field(
        description="Incremented by every change (0 until first changed); pass it to "
        "`updateMobilitySettings`."
    )

    @classmethod
    def of(cls, s: queries.MobilitySettings) -> MobilitySettings:
        return cls.from_row(s)
