"""Query and Mutation fields of assessments, gap analysis and organization patterns."""

from __future__ import annotations

import datetime as dt
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
    SkillGapGroup,
    SkillGapGroupBy,
    SkillGapSummary,
    TeamScope,
    TeamScopeValue,
    TeamSkillsMatrix,
    team_skills_matrix,
)
from service.auth import policies
from service.errors import UserInputError, Validator
from service.graphql.errors import UserError, run_mutation
from service.graphql.ids import decode_id, decode_optional
from service.graphql.pagination import Connection, PageArgs, paginate

INPUT = strawberry.argument(description="The change to make.")
VERSION_DESC = "The `version` you read; the change is refused if it changed since."


class _Decoder(Validator):
    """Decodes global IDs of an input, collecting every malformed one."""

    def id(self, value: Any, type_name: str, *path: str) -> Any:
        """The UUID, None for None, ``assessments.INVALID`` when malformed (reported)."""
        if value is None:
            return None
        try:
            return decode_id(value, type_name, ("input", *path))
        except UserInputError as exc:
            self.errors.extend(exc.errors)
            return assessments.INVALID


def _kind(value: Any) -> str:
    return str(value.value)


# --- queries ------------------------------------------------------------------------------


@strawberry.input(description="Narrows the `assessments` list; all given conditions must hold.")
class AssessmentFilter:
    subject_id: strawberry.ID | None = strawberry.field(
        default=None, description="Of this employee."
    )
    assessor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Written by this employee (your own ID: your to-do list)."
    )
    cycle_id: strawberry.ID | None = strawberry.field(default=None, description="In this cycle.")
    kind: AssessmentKind | None = strawberry.field(default=None, description="Of this kind.")
    status: AssessmentStatus | None = strawberry.field(default=None, description="In this status.")


@strawberry.input(description="Narrows `skillGapSummary` to some people or competencies.")
class SkillGapFilter:
    org_unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="People of this org unit and its sub-units."
    )
    family_id: strawberry.ID | None = strawberry.field(
        default=None, description="People whose role is in this job family."
    )
    job_family_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="People whose role is in this job family.",
        deprecation_reason="Use `familyId`, the name role and track inputs use.",
    )
    level_id: strawberry.ID | None = strawberry.field(
        default=None, description="People whose role is at this level."
    )
    competency_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only expectations of this competency."
    )


@strawberry.type
class AssessmentsQuery:
    @strawberry.field(
        description="Assessment cycles, latest window first. Readable by employees, "
        "managers and admins."
    )
    async def assessment_cycles(
        self,
        info: Info,
        status: Annotated[
            AssessmentCycleStatus | None,
            strawberry.argument(description="Only cycles in this status."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AssessmentCycle]:
        principal = await info.context.principal()
        return await paginate(
            info,
            assessments.cycles_select(principal, status.value if status is not None else None),
            PageArgs(first, after, last, before),
            AssessmentCycle.from_row,
        )

    @strawberry.field(
        description="Assessments the caller may see, newest first: their own as assessor "
        "(drafts too); submitted ones of themself (except PEER ones: peer feedback is "
        "anonymous to its subject) and, for managers, of the people below them; every one "
        "for admins. Peers see only what they wrote."
    )
    async def assessments(
        self,
        info: Info,
        filter: Annotated[
            AssessmentFilter | None,
            strawberry.argument(description="Conditions the assessments must meet."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
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
            PageArgs(first, after, last, before),
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
        principal = policies.require_admin(await ctx.principal())
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
        found = await assessments.skill_gap_summary(ctx, principal, group_by.value, criteria)
        shown = [g for g in found if not g.suppressed]
        return SkillGapSummary(
            groups=[
                SkillGapGroup(
                    group_by=group_by.value,
                    row=g,
                    headcount=g.headcount,
                    assessed_share=_rounded(g.assessed_share),
                    mean_gap=_rounded(g.mean_gap),
                    met_share=_rounded(g.met_share),
                )
                for g in shown
            ],
            suppressed_group_count=len(found) - len(shown),
            min_group_size=assessments.rules(ctx).min_group_size,
        )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


# --- mutations ----------------------------------------------------------------------------


@strawberry.input(description="A new assessment cycle. It starts as a DRAFT.")
class CreateAssessmentCycleInput:
    name: str = strawberry.field(description="Display name (at most 200 characters).")
    description: str | None = strawberry.field(
        default=None, description="What the cycle is for (at most 4000 characters)."
    )
    starts_on: dt.date = strawberry.field(description="First day of the window.")
    ends_on: dt.date = strawberry.field(description="Last day of the window (the due date).")
    kinds: list[AssessmentKind] = strawberry.field(
        description="Kinds of assessment the cycle collects (at least one)."
    )
    org_unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="Cover this org unit and its sub-units only."
    )
    employee_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description=f"Cover these employees only (at most {assessments.MAX_CYCLE_EMPLOYEES}). "
        "Without an org unit or employees the cycle covers everyone.",
    )


@strawberry.input(description="Moves a cycle to its next status.")
class AssessmentCycleTransitionInput:
    id: strawberry.ID = strawberry.field(description="The cycle.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)


@strawberry.type(description="Result of a cycle mutation.")
class AssessmentCyclePayload:
    cycle: AssessmentCycle | None = strawberry.field(
        description="The cycle after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Starts a SELF or MANAGER assessment by the caller.")
class StartAssessmentInput:
    subject_id: strawberry.ID = strawberry.field(
        description="Whom to assess: yourself (SELF) or someone below you (MANAGER)."
    )
    kind: AssessmentKind = strawberry.field(description="SELF or MANAGER.")
    cycle_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="An open cycle that collects this kind and covers the subject; none "
        "for an ad-hoc assessment.",
    )


@strawberry.input(description="A rating of one competency.")
class RatingInput:
    competency_id: strawberry.ID = strawberry.field(description="The competency (each once).")
    level: int = strawberry.field(description="A level of the competency's scale.")
    evidence: str | None = strawberry.field(
        default=None, description="What the rating rests on (at most 4000 characters)."
    )


@strawberry.input(description="Ratings to add or replace in a draft assessment.")
class SaveRatingsInput:
    assessment_id: strawberry.ID = strawberry.field(description="Your draft assessment.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)
    ratings: list[RatingInput] = strawberry.field(
        description=f"Ratings to add, or to replace for competencies already rated (at most "
        f"{assessments.MAX_RATINGS})."
    )
    remove_competency_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Competencies whose ratings to remove."
    )


@strawberry.input(description="Submits a draft assessment; it cannot change afterwards.")
class SubmitAssessmentInput:
    assessment_id: strawberry.ID = strawberry.field(description="Your draft assessment.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)


@strawberry.input(description="Invites a colleague to assess someone as a peer.")
class InvitePeerAssessorInput:
    subject_id: strawberry.ID = strawberry.field(
        description="Whom the peer assesses: yourself, or someone below you."
    )
    peer_id: strawberry.ID = strawberry.field(description="The colleague invited.")
    cycle_id: strawberry.ID | None = strawberry.field(
        default=None, description="An open cycle that collects PEER assessments."
    )


@strawberry.type(description="Result of an assessment mutation.")
class AssessmentPayload:
    assessment: Assessment | None = strawberry.field(
        description="The assessment after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="A calibrated outcome for an employee, recorded as submitted.")
class CalibrateRatingsInput:
    subject_id: strawberry.ID = strawberry.field(description="The employee.")
    ratings: list[RatingInput] = strawberry.field(
        description=f"The calibrated ratings (1 to {assessments.MAX_RATINGS})."
    )
    cycle_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The open or closed cycle calibrated, if any (it must collect CALIBRATION).",
    )


@strawberry.input(description="One rating of a past review.")
class ImportedRatingInput:
    subject_id: strawberry.ID = strawberry.field(description="The employee rated.")
    competency_id: strawberry.ID = strawberry.field(description="The competency.")
    level: int = strawberry.field(description="A level of the competency's scale.")
    kind: AssessmentKind = strawberry.field(description="Who rated.")
    assessor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Who gave the rating, if known (SELF: the subject)."
    )
    rated_on: dt.date = strawberry.field(description="When it was given (not in the future).")
    evidence: str | None = strawberry.field(
        default=None, description="What it rests on (at most 4000 characters)."
    )


@strawberry.input(description="Ratings of past reviews to import in one go.")
class ImportRatingsInput:
    ratings: list[ImportedRatingInput] = strawberry.field(
        description="The ratings; at most the configured maximum (default 1000) per call."
    )
    cycle_id: strawberry.ID | None = strawberry.field(
        default=None, description="The (usually closed) cycle they belong to, if any."
    )


@strawberry.type(description="Result of `importRatings`.")
class ImportRatingsPayload:
    imported_count: int = strawberry.field(description="Ratings written (0 when refused).")
    assessment_count: int = strawberry.field(
        description="Assessments created: one per subject, kind, assessor and date."
    )
    employee_count: int = strawberry.field(description="Employees whose ratings were imported.")
    user_errors: list[UserError] = strawberry.field(
        description="Every problem found, by row (`input.ratings.<index>.<field>`); "
        "nothing is written when there is any."
    )


def _ratings(d: _Decoder, items: list[RatingInput]) -> list[assessments.RatingInput]:
    return [
        assessments.RatingInput(
            competency_id=d.id(r.competency_id, "Competency", "ratings", str(i), "competencyId"),
            level=r.level,
            evidence=r.evidence,
        )
        for i, r in enumerate(items[: assessments.MAX_RATINGS + 1])
    ]


def _assessment_payload(result: tuple[Any, list[UserError]]) -> AssessmentPayload:
    row, errors = result
    return AssessmentPayload(
        assessment=Assessment.from_row(row) if row else None, user_errors=errors
    )


def _cycle_payload(result: tuple[Any, list[UserError]]) -> AssessmentCyclePayload:
    row, errors = result
    return AssessmentCyclePayload(
        cycle=AssessmentCycle.from_row(row) if row else None, user_errors=errors
    )


ADMIN = " Requires `career:admin`."


@strawberry.type
class AssessmentsMutation:
    @strawberry.mutation(description="Create an assessment cycle (DRAFT)." + ADMIN)
    async def create_assessment_cycle(
        self, info: Info, input: Annotated[CreateAssessmentCycleInput, INPUT]
    ) -> AssessmentCyclePayload:
        async def act() -> Any:
            d = _Decoder()
            ids = input.employee_ids
            data = assessments.CycleInput(
                name=input.name,
                description=input.description,
                starts_on=input.starts_on,
                ends_on=input.ends_on,
                kinds=[_kind(k) for k in input.kinds],
                org_unit_id=d.id(input.org_unit_id, "OrgUnit", "orgUnitId"),
                employee_ids=None
                if ids is None
                else [
                    d.id(e, "Employee", "employeeIds", str(i))
                    for i, e in enumerate(ids[: assessments.MAX_CYCLE_EMPLOYEES + 1])
                ],
            )
            return await assessments.create_cycle(
                info.context, await info.context.principal(), data, d.errors
            )

        return _cycle_payload(await run_mutation(info, act, authorize=policies.require_admin))

    @strawberry.mutation(
        description="Open a DRAFT cycle: assessments can now be started and submitted in it."
        + ADMIN
    )
    async def open_assessment_cycle(
        self, info: Info, input: Annotated[AssessmentCycleTransitionInput, INPUT]
    ) -> AssessmentCyclePayload:
        async def act() -> Any:
            cycle_id = decode_id(input.id, "AssessmentCycle", ("input", "id"))
            return await assessments.open_cycle(
                info.context, await info.context.principal(), cycle_id, input.version
            )

        return _cycle_payload(await run_mutation(info, act, authorize=policies.require_admin))

    @strawberry.mutation(
        description="Close an OPEN cycle: drafts left in it can no longer be submitted." + ADMIN
    )
    async def close_assessment_cycle(
        self, info: Info, input: Annotated[AssessmentCycleTransitionInput, INPUT]
    ) -> AssessmentCyclePayload:
        async def act() -> Any:
            cycle_id = decode_id(input.id, "AssessmentCycle", ("input", "id"))
            return await assessments.close_cycle(
                info.context, await info.context.principal(), cycle_id, input.version
            )

        return _cycle_payload(await run_mutation(info, act, authorize=policies.require_admin))

    @strawberry.mutation(
        description="Start a draft assessment: SELF of yourself, or MANAGER of someone below "
        "you (`career:manager`). Returns your existing draft when there is one. Peers are "
        "invited with `invitePeerAssessor`; admins record calibrations with "
        "`calibrateRatings`."
    )
    async def start_assessment(
        self, info: Info, input: Annotated[StartAssessmentInput, INPUT]
    ) -> AssessmentPayload:
        async def act() -> Any:
            d = _Decoder()
            subject = decode_id(input.subject_id, "Employee", ("input", "subjectId"))
            cycle = d.id(input.cycle_id, "AssessmentCycle", "cycleId")
            return await assessments.start_assessment(
                info.context,
                await info.context.principal(),
                subject,
                _kind(input.kind),
                cycle,
                d.errors,
            )

        return _assessment_payload(
            await run_mutation(info, act, authorize=policies.require_private_reader)
        )

    @strawberry.mutation(
        description="Add or replace ratings of your draft assessment (one per competency) "
        "and remove others. Only the assessor edits a draft; submitted assessments never "
        "change."
    )
    async def save_ratings(
        self, info: Info, input: Annotated[SaveRatingsInput, INPUT]
    ) -> AssessmentPayload:
        async def act() -> Any:
            d = _Decoder()
            assessment_id = decode_id(input.assessment_id, "Assessment", ("input", "assessmentId"))
            remove = [
                d.id(c, "Competency", "removeCompetencyIds", str(i))
                for i, c in enumerate(
                    (input.remove_competency_ids or [])[: assessments.MAX_RATINGS + 1]
                )
            ]
            return await assessments.save_ratings(
                info.context,
                await info.context.principal(),
                assessment_id,
                _ratings(d, input.ratings),
                remove=remove,
                expected_version=input.version,
                input_errors=d.errors,
            )

        return _assessment_payload(
            await run_mutation(info, act, authorize=policies.require_private_reader)
        )

    @strawberry.mutation(
        description="Submit your draft assessment: it becomes immutable, visible to the "
        "subject and their managers, and updates the subject's current proficiencies."
    )
    async def submit_assessment(
        self, info: Info, input: Annotated[SubmitAssessmentInput, INPUT]
    ) -> AssessmentPayload:
        async def act() -> Any:
            assessment_id = decode_id(input.assessment_id, "Assessment", ("input", "assessmentId"))
            return await assessments.submit_assessment(
                info.context, await info.context.principal(), assessment_id, input.version
            )

        return _assessment_payload(
            await run_mutation(info, act, authorize=policies.require_private_reader)
        )

    @strawberry.mutation(
        description="Invite a colleague to assess someone as a peer: creates the peer's "
        "draft PEER assessment. The subject, their manager chain (`career:manager`) or an "
        "admin invites. Peer feedback is anonymous to its subject: when the subject invites, "
        "`assessment` is null and the answer is the same whether or not the colleague was "
        "already invited; the peer's input reaches the subject only as the mean of at least "
        "`CAREERPATH_ASSESSMENTS__MIN_PEER_COUNT` peers in their current levels."
    )
    async def invite_peer_assessor(
        self, info: Info, input: Annotated[InvitePeerAssessorInput, INPUT]
    ) -> AssessmentPayload:
        async def act() -> Any:
            d = _Decoder()
            subject = decode_id(input.subject_id, "Employee", ("input", "subjectId"))
            principal = await info.context.principal()
            row = await assessments.invite_peer(
                info.context,
                principal,
                subject,
                d.id(input.peer_id, "Employee", "peerId"),
                d.id(input.cycle_id, "AssessmentCycle", "cycleId"),
                d.errors,
            )
            return await assessments.shown_invitation(info.context, principal, row)

        return _assessment_payload(
            await run_mutation(info, act, authorize=policies.require_private_reader)
        )

    @strawberry.mutation(
        description="Record a calibrated outcome for an employee as a submitted CALIBRATION "
        "assessment." + ADMIN
    )
    async def calibrate_ratings(
        self, info: Info, input: Annotated[CalibrateRatingsInput, INPUT]
    ) -> AssessmentPayload:
        async def act() -> Any:
            d = _Decoder()
            subject = decode_id(input.subject_id, "Employee", ("input", "subjectId"))
            return await assessments.calibrate(
                info.context,
                await info.context.principal(),
                subject,
                _ratings(d, input.ratings),
                d.id(input.cycle_id, "AssessmentCycle", "cycleId"),
                d.errors,
            )

        return _assessment_payload(await run_mutation(info, act, authorize=policies.require_admin))

    @strawberry.mutation(
        description="Import ratings of past reviews: every row is checked, and either all "
        "are written or none." + ADMIN
    )
    async def import_ratings(
        self, info: Info, input: Annotated[ImportRatingsInput, INPUT]
    ) -> ImportRatingsPayload:
        settings = info.context.settings.assessments

        async def act() -> Any:
            d = _Decoder()
            limit = settings.max_import_rows
            rows = [
                assessments.ImportRow(
                    subject_id=d.id(r.subject_id, "Employee", "ratings", str(i), "subjectId"),
                    competency_id=d.id(
                        r.competency_id, "Competency", "ratings", str(i), "competencyId"
                    ),
                    level=r.level,
                    kind=_kind(r.kind),
                    rated_on=r.rated_on,
                    assessor_id=d.id(r.assessor_id, "Employee", "ratings", str(i), "assessorId"),
                    evidence=r.evidence,
                )
                for i, r in enumerate(input.ratings[: limit + 1])
            ]
            return await assessments.import_ratings(
                info.context,
                await info.context.principal(),
                rows,
                cycle_id=d.id(input.cycle_id, "AssessmentCycle", "cycleId"),
                max_rows=limit,
                input_errors=d.errors if len(input.ratings) <= limit else [],
            )

        result, errors = await run_mutation(info, act, authorize=policies.require_admin)
        return ImportRatingsPayload(
            imported_count=result.rating_count if result else 0,
            assessment_count=len(result.assessment_ids) if result else 0,
            employee_count=result.employee_count if result else 0,
            user_errors=errors,
        )
