"""Query and Mutation fields of assessments, gap analysis and organization patterns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service.assessments import queries
from service.assessments import service as assessments
from service.assessments.types import (
    Assessment,
    AssessmentCycle,
    AssessmentCycleStatus,
    AssessmentKind,
    AssessmentStatus,
    RoleTarget,
    RoleTargetValue,
    SkillGapGroupBy,
    SkillGapSummary,
    TeamScope,
    TeamScopeValue,
    TeamSkillsMatrix,
    skill_gap_groups,
    team_skills_matrix,
)
from service.auth import policies
from service.graphql.errors import UserError
from service.graphql.ids import decode_optional
from service.graphql.kit import (
    Call,
    Payload,
    admin_mutation,
    change_payload,
    create_call,
    id_input,
    mutation,
    optional_input,
    target_input,
    version_input,
    versioned_call,
)
from service.graphql.pagination import Connection, PageArgs, paged, paginate

# --- queries ------------------------------------------------------------------------------


@strawberry.input(description="Narrows the `assessments` list; all given conditions must hold.")
class AssessmentFilter:
    subject_id: strawberry.ID | None = optional_input("Of this employee.")
    assessor_id: strawberry.ID | None = optional_input(
        "Written by this employee (your own ID: your to-do list)."
    )
    cycle_id: strawberry.ID | None = optional_input("In this cycle.")
    kind: AssessmentKind | None = optional_input("Of this kind.")
    status: AssessmentStatus | None = optional_input("In this status.")


@strawberry.input(description="Narrows `skillGapSummary` to some people or competencies.")
class SkillGapFilter:
    org_unit_id: strawberry.ID | None = optional_input("People of this org unit and its sub-units.")
    family_id: strawberry.ID | None = optional_input("People whose role is in this job family.")
    job_family_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="People whose role is in this job family.",
        deprecation_reason="Use `familyId`, the name role and track inputs use.",
    )
    level_id: strawberry.ID | None = optional_input("People whose role is at this level.")
    competency_id: strawberry.ID | None = optional_input("Only expectations of this competency.")


@strawberry.type
class AssessmentsQuery:
    @strawberry.field(
        description="Assessment cycles, latest window first. Readable by employees, "
        "managers and admins."
    )
    @paged
    async def assessment_cycles(
        self,
        info: Info,
        paging: PageArgs,
        status: Annotated[
            AssessmentCycleStatus | None,
            strawberry.argument(description="Only cycles in this status."),
        ] = None,
    ) -> Connection[AssessmentCycle]:
        principal = await info.context.principal()
        return await paginate(
            info,
            assessments.cycles_select(principal, status.value if status is not None else None),
            paging,
            AssessmentCycle.from_row,
        )

    @strawberry.field(
        description="Assessments the caller may see, newest first: their own as assessor "
        "(drafts too); submitted ones of themself (except PEER ones: peer feedback is "
        "anonymous to its subject) and, for managers, of the people below them; every one "
        "for admins. Peers see only what they wrote."
    )
    @paged
    async def assessments(
        self,
        info: Info,
        paging: PageArgs,
        filter: Annotated[
            AssessmentFilter | None,
            strawberry.argument(description="Conditions the assessments must meet."),
        ] = None,
    ) -> Connection[Assessment]:
        principal = policies.require_private_reader(await info.context.principal())
        f = filter or AssessmentFilter()
        criteria = queries.AssessmentFilter(
            subject_id=decode_optional(f.subject_id, "Employee", ("filter", "subjectId")),
            assessor_id=decode_optional(f.assessor_id, "Employee", ("filter", "assessorId")),
            cycle_id=decode_optional(f.cycle_id, "AssessmentCycle", ("filter", "cycleId")),
            kind=f.kind.value if f.kind is not None else None,
            status=f.status.value if f.status is not None else None,
        )
        return await paginate(
            info,
            await assessments.assessments_select(info.context, principal, criteria),
            paging,
            Assessment.from_row,
        )

    @strawberry.field(
        description="A team's skills matrix: people (rows, by name, paginated with "
        "`first`/`after`) against the competencies their roles expect (columns). Managers "
        "see themselves and the teams below them; admins any team, or an org unit's people."
    )
    async def team_skills_matrix(
        self,
        info: Info,
        manager_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Whose team; default the caller."),
        ] = None,
        scope: Annotated[
            TeamScope,
            strawberry.argument(description="Direct reports only, or everyone below."),
        ] = TeamScope.DIRECT,
        against: Annotated[
            RoleTarget,
            strawberry.argument(description="Compare with the current or the next role."),
        ] = RoleTarget.CURRENT_ROLE,
        org_unit_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Admins: the people of this org unit instead of a manager's team "
                "(with `scope: ALL`, its sub-units too)."
            ),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> TeamSkillsMatrix:
        principal = policies.require_private_reader(await info.context.principal())
        offset, limit = PageArgs(first=first, after=after).window(None)
        page, total = await assessments.team_matrix(
            info.context,
            principal,
            manager_id=decode_optional(manager_id, "Employee", "managerId"),
            org_unit_id=decode_optional(org_unit_id, "OrgUnit", "orgUnitId"),
            all_levels=TeamScopeValue(scope.value) == TeamScopeValue.ALL,
            against=RoleTargetValue(against.value).value,
            offset=offset,
            limit=limit,
        )
        return await team_skills_matrix(info, page, offset, limit, total)

    @strawberry.field(
        description="Organization patterns (admins): skill gaps of every active employee "
        "with a role against their current role, grouped. Groups of fewer people than the "
        "configured minimum (default 5) are suppressed: counted, never shown."
    )
    async def skill_gap_summary(
        self,
        info: Info,
        group_by: Annotated[
            SkillGapGroupBy,
            strawberry.argument(description="How to group."),
        ],
        filter: Annotated[
            SkillGapFilter | None,
            strawberry.argument(description="Which people and competencies to include."),
        ] = None,
    ) -> SkillGapSummary:
        ctx = info.context
        policies.require_admin(await ctx.principal())
        f = filter or SkillGapFilter()
        criteria = queries.SummaryFilter(
            org_unit_id=decode_optional(f.org_unit_id, "OrgUnit", ("filter", "orgUnitId")),
            job_family_id=decode_optional(f.family_id, "JobFamily", ("filter", "familyId"))
            or decode_optional(f.job_family_id, "JobFamily", ("filter", "jobFamilyId")),
            level_id=decode_optional(f.level_id, "Level", ("filter", "levelId")),
            competency_id=decode_optional(
                f.competency_id, "Competency", ("filter", "competencyId")
            ),
        )
        found = await ctx.loader(_summaries).load((group_by.value, criteria))
        shown = [g for g in found if not g.suppressed]
        return SkillGapSummary(
            groups=await skill_gap_groups(info, shown),
            suppressed_group_count=len(found) - len(shown),
            min_group_size=assessments.rules(ctx).min_group_size,
        )


async def _summaries(ctx: Any, keys: Sequence[tuple[str, Any]]) -> list[list[Any]]:
    """Every `skillGapSummary` of a request with the same filter in one statement."""
    return await assessments.skill_gap_summaries(ctx, await ctx.principal(), keys)


# --- mutations ----------------------------------------------------------------------------


@strawberry.input(description="A new assessment cycle. It starts as a DRAFT.")
class CreateAssessmentCycleInput:
    name: str = strawberry.field(description="Display name (at most 200 characters).")
    description: str | None = optional_input("What the cycle is for (at most 4000 characters).")
    starts_on: dt.date = strawberry.field(description="First day of the window.")
    ends_on: dt.date = strawberry.field(description="Last day of the window (the due date).")
    kinds: list[AssessmentKind] = strawberry.field(
        description="Kinds of assessment the cycle collects (at least one)."
    )
    org_unit_id: strawberry.ID | None = id_input(
        "OrgUnit", "Cover this org unit and its sub-units only.", default=None
    )
    employee_ids: list[strawberry.ID] | None = id_input(
        "Employee",
        f"Cover these employees only (at most {assessments.MAX_CYCLE_EMPLOYEES}). "
        "Without an org unit or employees the cycle covers everyone.",
        default=None,
    )


AssessmentCycleTransitionInput = target_input(
    "AssessmentCycleTransitionInput",
    "Moves a cycle to its next status.",
    "AssessmentCycle",
    "The cycle.",
)
AssessmentCyclePayload = change_payload(AssessmentCycle, "cycle")


@strawberry.input(description="Starts a SELF or MANAGER assessment by the caller.")
class StartAssessmentInput:
    subject_id: strawberry.ID = id_input(
        "Employee",
        "Whom to assess: yourself (SELF) or someone below you (MANAGER).",
        target=True,
    )
    kind: AssessmentKind = strawberry.field(description="SELF or MANAGER.")
    cycle_id: strawberry.ID | None = id_input(
        "AssessmentCycle",
        "An open cycle that collects this kind and covers the subject; none "
        "for an ad-hoc assessment.",
        default=None,
    )


@strawberry.input(description="A rating of one competency.")
class RatingInput:
    competency_id: strawberry.ID = id_input(
        "Competency", "The competency (each once).", required=True
    )
    level: int = strawberry.field(description="A level of the competency's scale.")
    evidence: str | None = optional_input("What the rating rests on (at most 4000 characters).")


@strawberry.input(description="Ratings to add or replace in a draft assessment.")
class SaveRatingsInput:
    assessment_id: strawberry.ID = id_input("Assessment", "Your draft assessment.", target=True)
    version: int | None = version_input()
    ratings: list[RatingInput] = strawberry.field(
        description=f"Ratings to add, or to replace for competencies already rated (at most "
        f"{assessments.MAX_RATINGS})."
    )
    remove_competency_ids: list[strawberry.ID] | None = id_input(
        "Competency", "Competencies whose ratings to remove.", default=None
    )


SubmitAssessmentInput = target_input(
    "SubmitAssessmentInput",
    "Submits a draft assessment; it cannot change afterwards.",
    "Assessment",
    "Your draft assessment.",
    field="assessment_id",
)


@strawberry.input(description="Invites a colleague to assess someone as a peer.")
class InvitePeerAssessorInput:
    subject_id: strawberry.ID = id_input(
        "Employee", "Whom the peer assesses: yourself, or someone below you.", target=True
    )
    peer_id: strawberry.ID = id_input("Employee", "The colleague invited.", required=True)
    cycle_id: strawberry.ID | None = id_input(
        "AssessmentCycle", "An open cycle that collects PEER assessments.", default=None
    )


AssessmentPayload = change_payload(Assessment, "assessment")


@strawberry.input(description="A calibrated outcome for an employee, recorded as submitted.")
class CalibrateRatingsInput:
    subject_id: strawberry.ID = id_input("Employee", "The employee.", target=True)
    ratings: list[RatingInput] = strawberry.field(
        description=f"The calibrated ratings (1 to {assessments.MAX_RATINGS})."
    )
    cycle_id: strawberry.ID | None = id_input(
        "AssessmentCycle",
        "The open or closed cycle calibrated, if any (it must collect CALIBRATION).",
        default=None,
    )


@strawberry.input(description="One rating of a past review.")
class ImportedRatingInput:
    subject_id: strawberry.ID = id_input("Employee", "The employee rated.", required=True)
    competency_id: strawberry.ID = id_input("Competency", "The competency.", required=True)
    level: int = strawberry.field(description="A level of the competency's scale.")
    kind: AssessmentKind = strawberry.field(description="Who rated.")
    assessor_id: strawberry.ID | None = id_input(
        "Employee", "Who gave the rating, if known (SELF: the subject).", default=None
    )
    rated_on: dt.date = strawberry.field(description="When it was given (not in the future).")
    evidence: str | None = optional_input("What it rests on (at most 4000 characters).")


@strawberry.input(description="Ratings of past reviews to import in one go.")
class ImportRatingsInput:
    ratings: list[ImportedRatingInput] = strawberry.field(
        description="The ratings; at most the configured maximum (default 1000) per call."
    )
    cycle_id: strawberry.ID | None = id_input(
        "AssessmentCycle", "The (usually closed) cycle they belong to, if any.", default=None
    )


@strawberry.type(description="Result of `importRatings`.")
class ImportRatingsPayload(Payload):
    user_errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Every problem found, by row (`input.ratings.<index>.<field>`); "
        "nothing is written when there is any.",
    )
    imported_count: int = strawberry.field(
        default=0, description="Ratings written (0 when refused)."
    )
    assessment_count: int = strawberry.field(
        default=0, description="Assessments created: one per subject, kind, assessor and date."
    )
    employee_count: int = strawberry.field(
        default=0, description="Employees whose ratings were imported."
    )


def _imported(result: assessments.ImportResult) -> ImportRatingsPayload:
    return ImportRatingsPayload(
        imported_count=result.rating_count,
        assessment_count=len(result.assessment_ids),
        employee_count=result.employee_count,
    )


def _at_most(items: list[Any] | None, limit: int) -> list[Any]:
    """The first ``limit + 1`` items: enough for the service to see there are too many."""
    return (items or [])[: limit + 1]


async def _import_ratings(c: Call) -> Any:
    limit = c.info.context.settings.assessments.max_import_rows
    if len(c.input.ratings) > limit:
        c.errors.clear()  # the limit is the one problem worth reporting
    return await assessments.import_ratings(
        c.db,
        c.principal,
        _at_most(c.input.ratings, limit),
        cycle_id=c.input.cycle_id,
        max_rows=limit,
        input_errors=c.errors,
    )


async def _invite_peer(c: Call) -> Any:
    row = await assessments.invite_peer(
        c.db, c.principal, c.input.subject_id, c.input.peer_id, c.input.cycle_id, c.errors
    )
    return await assessments.shown_invitation(c.db, c.principal, row)


@strawberry.type
class AssessmentsMutation:
    create_assessment_cycle = admin_mutation(
        "Create an assessment cycle (DRAFT).",
        CreateAssessmentCycleInput,
        AssessmentCyclePayload,
        call=create_call(assessments.create_cycle),
    )
    open_assessment_cycle = admin_mutation(
        "Open a DRAFT cycle: assessments can now be started and submitted in it.",
        AssessmentCycleTransitionInput,
        AssessmentCyclePayload,
        call=versioned_call(assessments.open_cycle),
    )
    close_assessment_cycle = admin_mutation(
        "Close an OPEN cycle: drafts left in it can no longer be submitted.",
        AssessmentCycleTransitionInput,
        AssessmentCyclePayload,
        call=versioned_call(assessments.close_cycle),
    )
    start_assessment = mutation(
        "Start a draft assessment: SELF of yourself, or MANAGER of someone below "
        "you (`career:manager`). Returns your existing draft when there is one. Peers are "
        "invited with `invitePeerAssessor`; admins record calibrations with "
        "`calibrateRatings`.",
        StartAssessmentInput,
        AssessmentPayload,
        permission=policies.require_private_reader,
        call=lambda c: assessments.start_assessment(
            c.db, c.principal, c.input.subject_id, c.input.kind, c.input.cycle_id, c.errors
        ),
    )
    save_ratings = mutation(
        "Add or replace ratings of your draft assessment (one per competency) "
        "and remove others. Only the assessor edits a draft; submitted assessments never "
        "change.",
        SaveRatingsInput,
        AssessmentPayload,
        permission=policies.require_private_reader,
        call=lambda c: assessments.save_ratings(
            c.db,
            c.principal,
            c.input.assessment_id,
            _at_most(c.input.ratings, assessments.MAX_RATINGS),
            remove=_at_most(c.input.remove_competency_ids, assessments.MAX_RATINGS),
            expected_version=c.input.version,
            input_errors=c.errors,
        ),
    )
    submit_assessment = mutation(
        "Submit your draft assessment: it becomes immutable, visible to the "
        "subject and their managers, and updates the subject's current proficiencies.",
        SubmitAssessmentInput,
        AssessmentPayload,
        permission=policies.require_private_reader,
        call=versioned_call(assessments.submit_assessment, "assessment_id"),
    )
    invite_peer_assessor = mutation(
        "Invite a colleague to assess someone as a peer: creates the peer's "
        "draft PEER assessment. The subject, their manager chain (`career:manager`) or an "
        "admin invites. Peer feedback is anonymous to its subject: when the subject invites, "
        "`assessment` is null and the answer is the same whether or not the colleague was "
        "already invited; the peer's input reaches the subject only as the mean of at least "
        "`CAREERPATH_ASSESSMENTS__MIN_PEER_COUNT` peers in their current levels.",
        InvitePeerAssessorInput,
        AssessmentPayload,
        permission=policies.require_private_reader,
        call=_invite_peer,
    )
    calibrate_ratings = admin_mutation(
        "Record a calibrated outcome for an employee as a submitted CALIBRATION assessment.",
        CalibrateRatingsInput,
        AssessmentPayload,
        call=lambda c: assessments.calibrate(
            c.db,
            c.principal,
            c.input.subject_id,
            _at_most(c.input.ratings, assessments.MAX_RATINGS),
            c.input.cycle_id,
            c.errors,
        ),
    )
    import_ratings = admin_mutation(
        "Import ratings of past reviews: every row is checked, and either all are written or none.",
        ImportRatingsInput,
        ImportRatingsPayload,
        call=_import_ratings,
        make=_imported,
    )
