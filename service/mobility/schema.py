"""Query and Mutation fields of mobility: postings, aspirations, applications, figures."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service.auth import policies
from service.errors import ErrorCode, UserInputError, Validator
from service.graphql.kit import (
    change_payload,
    create_call,
    filter_id,
    id_input,
    mutation,
    optional_input,
    paginate_nodes,
    result_payload,
    service_input,
    target_input,
    unset_input,
    update_call,
    version_input,
    versioned_call,
)
from service.graphql.pagination import Connection, PageArgs, paged
from service.kit import NOT_GIVEN, given
from service.mobility import queries
from service.mobility import service as mobility
from service.mobility.types import (
    Application,
    ApplicationStatus,
    CareerAspiration,
    MobilityFigures,
    MobilitySettings,
    Opportunity,
    Posting,
    PostingKind,
    PostingStatus,
    TimeHorizon,
    request_settings,
)

MAX_FILTER_VALUES = 5
MAX_SEARCH = 100
MAX_FIGURES_DAYS = 3660


# --- queries ------------------------------------------------------------------------------


@strawberry.input(description="Narrows `postings`; all given conditions must hold.")
class PostingFilter:
    kind: list[PostingKind] | None = optional_input("Of one of these kinds (at most 5).")
    status: list[PostingStatus] | None = optional_input(
        "In one of these statuses (at most 4); others than OPEN only list "
        "postings the caller owns, or any for HR admins."
    )
    family_id: strawberry.ID | None = optional_input("Offering a role of this job family.")
    org_unit_id: strawberry.ID | None = optional_input("For this org unit or its sub-units.")
    remote: bool | None = optional_input("Remote (true) or on site (false) only.")
    search: str | None = optional_input(
        "Part of the title or description, case-insensitive (at most 100 characters)."
    )


def _posting_filter(f: PostingFilter) -> queries.PostingFilter:
    d = Validator()
    kinds = tuple(k.value for k in f.kind or [])
    statuses = tuple(s.value for s in f.status or [])
    for name, values in (("kind", kinds), ("status", statuses)):
        if len(values) > MAX_FILTER_VALUES:
            d.add(("filter", name), f"at most {MAX_FILTER_VALUES} values", ErrorCode.LIMIT_EXCEEDED)
    search = (f.search or "").strip() or None
    if search is not None and len(search) > MAX_SEARCH:
        d.add(("filter", "search"), f"is longer than {MAX_SEARCH} characters", ErrorCode.TOO_LONG)
    out = queries.PostingFilter(
        kinds=kinds,
        statuses=statuses,
        family_id=filter_id(d.errors, f.family_id, "JobFamily", ("filter", "familyId")),
        org_unit_id=filter_id(d.errors, f.org_unit_id, "OrgUnit", ("filter", "orgUnitId")),
        remote=f.remote,
        search=search,
    )
    d.raise_if_any()
    return out


@strawberry.input(description="The period of `mobilityFigures`.")
class MobilityFiguresFilter:
    start: dt.date | None = optional_input("First day (default: a year before `end`).")
    end: dt.date | None = optional_input("Day after the last (default: tomorrow, so today counts).")


@strawberry.type
class MobilityQuery:
    @strawberry.field(
        description="Postings: OPEN ones for everyone in the organization (soonest deadline "
        "first), plus, for their owners, their drafts and closed or filled postings; HR "
        "admins see all. Applications and candidates are on each posting."
    )
    @paged
    async def postings(
        self,
        info: Info,
        paging: PageArgs,
        filter: Annotated[
            PostingFilter | None,
            strawberry.argument(description="Conditions the postings must meet."),
        ] = None,
    ) -> Connection[Posting]:
        principal = policies.require_reader(await info.context.principal())
        criteria = _posting_filter(filter or PostingFilter())
        return await paginate_nodes(
            info, queries.postings_select(queries.listable(principal), criteria), paging, Posting
        )

    @strawberry.field(
        description="Internal mobility figures over a period (HR admins): time to fill, "
        "internal fill rate, applications per posting, feedback on rejections, upward and "
        "lateral moves."
    )
    async def mobility_figures(
        self,
        info: Info,
        filter: Annotated[
            MobilityFiguresFilter | None,
            strawberry.argument(description="The period."),
        ] = None,
    ) -> MobilityFigures:
        policies.require_admin(await info.context.principal())
        f = filter or MobilityFiguresFilter()
        end = f.end or mobility.today() + dt.timedelta(days=1)
        # A year before an `end` in year 1 is the first day there is.
        start = f.start or dt.date.fromordinal(max(end.toordinal() - 365, 1))
        if not dt.timedelta(days=1) <= end - start <= dt.timedelta(days=MAX_FIGURES_DAYS):
            raise UserInputError.one(
                ("filter", "end"), f"must be 1 to {MAX_FIGURES_DAYS} days after `start`"
            )
        return MobilityFigures.of(await queries.figures(info.context, start, end), start, end)

    @strawberry.field(description="The organization's rules for internal mobility.")
    async def mobility_settings(self, info: Info) -> MobilitySettings:
        policies.require_reader(await info.context.principal())
        return MobilitySettings.of(await request_settings(info))


# --- mutations ----------------------------------------------------------------------------


@strawberry.input(
    description="The caller's career aspiration; omitted fields stay as they are (all empty "
    "the first time)."
)
class SetCareerAspirationInput:
    version: int | None = version_input()
    target_role_ids: list[strawberry.ID] | None = id_input(
        "Role", "Roles you would like to hold (at most 10); null or [] clears."
    )
    family_ids: list[strawberry.ID] | None = id_input(
        "JobFamily", "Job families you are interested in (at most 10); null or [] clears."
    )
    open_to: list[Opportunity] | None = unset_input("Kinds of opportunity you are open to.")
    open_to_relocation: bool | None = unset_input("Whether you would relocate.")
    time_horizon: TimeHorizon | None = unset_input("When you would like to move; null clears.")
    discoverable: bool | None = unset_input(
        "Let hiring managers find you among candidates and see this aspiration."
    )
    note: str | None = unset_input("Anything else (at most 2,000 characters).")


SetCareerAspirationPayload = result_payload(
    "setCareerAspiration",
    "career_aspiration",
    CareerAspiration,
    "The aspiration as recorded; null when refused.",
)


@strawberry.input(description="A competency requirement: a level of the competency's own scale.")
class PostingRequirementInput:
    competency_id: strawberry.ID = id_input("Competency", "The competency.", required=True)
    required_level: int = strawberry.field(description="A level of the competency's scale.")
    must_have: bool = strawberry.field(
        default=False, description="Candidates who do not meet it are marked down."
    )
    weight: float = strawberry.field(default=1.0, description="Weight in (0, 100], default 1.")


_REQUIREMENTS_DOC = (
    "Competency requirements (at most 30). Omitted on a ROLE posting: the role's "
    "expectations (core ones as must-haves)."
)


@strawberry.input(description="A new posting, created as a DRAFT.")
class CreatePostingInput:
    kind: PostingKind = strawberry.field(description="What it offers.")
    title: str = strawberry.field(description="Its title (at most 200 characters).")
    description: str | None = optional_input("What the work is about (at most 10,000 characters).")
    role_id: strawberry.ID | None = id_input(
        "Role", "The role offered: required for ROLE postings.", default=None
    )
    org_unit_id: strawberry.ID = id_input(
        "OrgUnit",
        "The org unit it is for: managers post for their own unit or the units below it.",
        required=True,
    )
    hiring_manager_id: strawberry.ID | None = id_input(
        "Employee",
        "Who hires (default: you). Managers name themselves or someone below them.",
        default=None,
    )
    location: str | None = optional_input("Where (at most 200).")
    remote: bool = strawberry.field(default=False, description="Can be done remotely.")
    commitment: float = strawberry.field(
        default=1.0, description="Share of working time in (0, 1]; default 1."
    )
    start_date: dt.date | None = optional_input("When it starts.")
    end_date: dt.date | None = optional_input("When it ends.")
    application_deadline: dt.date | None = optional_input("The last day to apply; not in the past.")
    requirements: list[PostingRequirementInput] | None = optional_input(_REQUIREMENTS_DOC)


@strawberry.input(description="Changes to a DRAFT or OPEN posting; omitted fields stay.")
class UpdatePostingInput:
    id: strawberry.ID = id_input("Posting", "The posting.", target=True)
    version: int | None = version_input()
    title: str | None = unset_input("New title.")
    description: str | None = unset_input("New description; null clears.")
    role_id: strawberry.ID | None = id_input(
        "Role", "New role; null clears (not on ROLE postings)."
    )
    org_unit_id: strawberry.ID | None = id_input("OrgUnit", "New org unit.")
    hiring_manager_id: strawberry.ID | None = id_input("Employee", "New hiring manager.")
    location: str | None = unset_input("New location.")
    remote: bool | None = unset_input("Remote or not.")
    commitment: float | None = unset_input("New share of working time.")
    start_date: dt.date | None = unset_input("New start date.")
    end_date: dt.date | None = unset_input("New end.")
    application_deadline: dt.date | None = unset_input("New deadline; not in the past.")
    requirements: list[PostingRequirementInput] | None = unset_input(
        "New requirements, replacing all (at most 30)."
    )


PostingStatusInput = target_input(
    "PostingStatusInput", "Open or close a posting.", "Posting", "The posting."
)
PostingPayload = change_payload(Posting, "posting")


@strawberry.input(description="An application to an OPEN posting.")
class ApplyToPostingInput:
    posting_id: strawberry.ID = id_input("Posting", "The posting.", required=True)
    note: str | None = optional_input("A note to the hiring manager (at most 2,000 characters).")
    confidential: bool = strawberry.field(
        default=False,
        description="Keep it from your current manager chain until the organization's "
        "`confidentialUntil` stage.",
    )


@strawberry.input(description="Move an application forward, or reject it with feedback.")
class MoveApplicationInput:
    id: strawberry.ID = id_input("Application", "The application.", target=True)
    version: int | None = version_input()
    status: ApplicationStatus = strawberry.field(
        description="IN_REVIEW, INTERVIEWING, OFFERED (later than now) or REJECTED."
    )
    feedback: str | None = optional_input(
        "Feedback for the applicant: required to reject (at most 4,000 characters)."
    )


ApplicationActionInput = target_input(
    "ApplicationActionInput",
    "An application of yours to withdraw, or an offer to accept.",
    "Application",
    "The application.",
)
ApplicationPayload = change_payload(Application, "application")


@strawberry.input(description="Changes to the mobility settings; omitted ones stay.")
class UpdateMobilitySettingsInput:
    version: int | None = version_input()
    confidential_until: ApplicationStatus | None = optional_input(
        "From which stage a confidential application shows to the applicant's "
        "manager chain: IN_REVIEW, INTERVIEWING, OFFERED or ACCEPTED."
    )


UpdateMobilitySettingsPayload = result_payload(
    "updateMobilitySettings", "settings", MobilitySettings
)


def _requirements(value: Any) -> Any:
    if not given(value) or value is None:
        return value
    return [service_input(mobility.RequirementInput, r) for r in value]


def _posting_input(i: Any) -> mobility.PostingInput:
    requirements = _requirements(getattr(i, "requirements", NOT_GIVEN))
    return service_input(mobility.PostingInput, i, requirements=requirements)


_poster = partial(mutation, permission=mobility.require_poster)
_applicant = partial(mutation, permission=mobility.require_applicant)


@strawberry.type
class MobilityMutation:
    set_career_aspiration = _applicant(
        "Record your career aspiration: target roles, families, what you are open to, "
        "relocation, time horizon and whether hiring managers may find you.",
        SetCareerAspirationInput,
        SetCareerAspirationPayload,
        call=lambda c: mobility.set_career_aspiration(
            c.db,
            c.principal,
            service_input(mobility.AspirationInput, c.input),
            expected_version=c.input.version,
            input_errors=c.errors,
        ),
    )
    create_posting = _poster(
        "Create a DRAFT posting: managers for their own org unit or the units below it, HR "
        "admins for any.",
        CreatePostingInput,
        PostingPayload,
        call=create_call(mobility.create_posting, _posting_input),
    )
    update_posting = _poster(
        "Change a DRAFT or OPEN posting (its owners and HR admins).",
        UpdatePostingInput,
        PostingPayload,
        call=update_call(mobility.update_posting, _posting_input),
    )
    open_posting = _poster(
        "Open a DRAFT posting to applications (its owners and HR admins).",
        PostingStatusInput,
        PostingPayload,
        call=versioned_call(mobility.open_posting),
    )
    close_posting = _poster(
        "Close a DRAFT or OPEN posting without filling it (its owners and HR admins).",
        PostingStatusInput,
        PostingPayload,
        call=versioned_call(mobility.close_posting),
    )
    apply_to_posting = _applicant(
        "Apply to an OPEN posting that is not yours, before its deadline; one active "
        "application per posting.",
        ApplyToPostingInput,
        ApplicationPayload,
        call=lambda c: mobility.apply_to_posting(
            c.db, c.principal, c.input.posting_id, c.input.note, c.input.confidential, c.errors
        ),
    )
    move_application = _poster(
        "Move an application forward or reject it with feedback (the posting's owners and "
        "HR admins).",
        MoveApplicationInput,
        ApplicationPayload,
        call=lambda c: mobility.move_application(
            c.db,
            c.principal,
            c.input.id,
            c.input.status,
            c.input.feedback,
            expected_version=c.input.version,
        ),
    )
    withdraw_application = _applicant(
        "Withdraw your active application.",
        ApplicationActionInput,
        ApplicationPayload,
        call=versioned_call(mobility.withdraw_application),
    )
    accept_offer = mutation(
        "Accept an offer (the applicant, or an HR admin for them). The posting is filled; "
        "for a ROLE posting the applicant takes its role, org unit and hiring manager at "
        "once (a PROMOTION or LATERAL_MOVE in position history) and their other active "
        "applications are withdrawn; other kinds record the participation.",
        ApplicationActionInput,
        ApplicationPayload,
        permission=mobility.require_mover,
        call=versioned_call(mobility.accept_offer),
    )
    update_mobility_settings = mutation(
        "Change the organization's mobility settings (HR admins).",
        UpdateMobilitySettingsInput,
        UpdateMobilitySettingsPayload,
        permission=policies.require_admin,
        call=lambda c: mobility.update_settings(
            c.db,
            c.principal,
            c.input.confidential_until,
            expected_version=c.input.version,
        ),
    )
