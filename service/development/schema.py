"""Query and Mutation fields of development plans and the learning catalogue."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service.auth import policies
from service.development import queries
from service.development import service as development
from service.development.types import (
    ActionKind,
    ActionStatus,
    DevelopmentAction,
    DevelopmentCheckIn,
    DevelopmentGoal,
    DevelopmentPlan,
    GoalStatus,
    ImportStatus,
    LearningResource,
    MentorProfile,
    ResourceKind,
)
from service.errors import ErrorCode, Forbidden, UserInputError
from service.graphql import kit
from service.graphql.ids import decode_optional
from service.graphql.pagination import Connection, PageArgs, paged, paginate
from service.kit import INVALID, NOT_GIVEN
from service.people.refs import OrgUnitRef

MAX_PERIOD_DAYS = 3660


# --- queries ------------------------------------------------------------------------------


@strawberry.input(description="Narrows the learning catalogue; all given conditions hold.")
class LearningResourceFilter:
    competency_id: strawberry.ID | None = kit.optional_input("Develops this competency.")
    level: int | None = kit.optional_input(
        "Helps with this level (within the resource's range for the competency, "
        "or for any competency when none is given)."
    )
    search: str | None = kit.optional_input(
        "Part of the title or provider (at most 100 characters)."
    )
    include_archived: bool = strawberry.field(
        default=False, description="Resources no longer offered too."
    )


@strawberry.type(description="Goal completion in one org unit over a period.")
class DevelopmentCompletion:
    org_unit_id: strawberry.Private[uuid.UUID | None]
    due_goals: int = strawberry.field(
        description="Goals (not dropped) of plans that are not archived, due in the period."
    )
    completed_goals: int = strawberry.field(description="Of those, the goals achieved.")

    @strawberry.field(description="completedGoals ÷ dueGoals, in [0, 1].")
    def rate(self) -> float:
        return self.completed_goals / self.due_goals if self.due_goals else 0.0

    @strawberry.field(
        description="The employees' org unit (direct membership); null for people without one."
    )
    async def org_unit(self, info: Info) -> OrgUnitRef | None:
        from service.people.types import org_unit_of

        return await org_unit_of(info, self.org_unit_id)


@strawberry.type
class DevelopmentQuery:
    @strawberry.field(
        description="The learning catalogue, by title: every reader of the organization sees it."
    )
    @paged
    async def learning_resources(
        self,
        info: Info,
        paging: PageArgs,
        filter: Annotated[
            LearningResourceFilter | None,
            strawberry.argument(description="Conditions the resources meet."),
        ] = None,
    ) -> Connection[LearningResource]:
        policies.require_reader(await info.context.principal())
        f = filter or LearningResourceFilter()
        competency = decode_optional(f.competency_id, "Competency", ("filter", "competencyId"))
        search = (f.search or "").strip()
        if len(search) > 100:
            raise UserInputError.one(("filter", "search"), "is longer than 100 characters")
        return await paginate(
            info,
            queries.catalogue_select(competency, f.level, search or None, f.include_archived),
            paging,
            LearningResource.from_row,
        )

    @strawberry.field(
        description="A manager's view of their team's development plans (DRAFT and ACTIVE), "
        "by employee name: everyone below the manager, or their direct reports only. "
        "`career:manager` callers for themselves and the managers below them; HR admins for "
        "any manager. Each plan tells its progress and overdue goals."
    )
    @paged
    async def team_development(
        self,
        info: Info,
        paging: PageArgs,
        manager_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The manager; the caller when omitted."),
        ] = None,
        direct_only: Annotated[
            bool, strawberry.argument(description="Only the manager's direct reports.")
        ] = False,
        overdue_only: Annotated[
            bool, strawberry.argument(description="Only plans with overdue goals.")
        ] = False,
    ) -> Connection[DevelopmentPlan]:
        principal = policies.require_private_reader(await info.context.principal())
        manager = decode_optional(manager_id, "Employee", "managerId") or principal.employee_id
        if manager is None:
            raise UserInputError.one("managerId", "a service account must name the manager")
        if not policies.can_see_team(principal, await info.context.reach(), manager):
            raise Forbidden()
        criteria = queries.TeamFilter(manager, direct_only=direct_only, overdue_only=overdue_only)
        return await kit.paginate_nodes(
            info, queries.team_plans_select(criteria, development.today()), paging, DevelopmentPlan
        )

    @strawberry.field(
        description="Program metrics: per org unit, goals due in the period and how many "
        "were achieved (HR admins)."
    )
    async def development_completion(
        self,
        info: Info,
        from_: Annotated[
            dt.date, strawberry.argument(name="from", description="First day of the period.")
        ],
        to: Annotated[dt.date, strawberry.argument(description="Last day of the period.")],
        org_unit_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this org unit.")
        ] = None,
    ) -> list[DevelopmentCompletion]:
        policies.require_admin(await info.context.principal())
        unit = decode_optional(org_unit_id, "OrgUnit", "orgUnitId")
        if to < from_:
            raise UserInputError.one("to", "is before `from`")
        if (to - from_).days > MAX_PERIOD_DAYS:
            raise UserInputError.one("to", "the period is longer than ten years")
        rows = await queries.completion_by_org_unit(info.context, from_, to, unit)
        return [
            DevelopmentCompletion(
                org_unit_id=r.org_unit_id, due_goals=r.due, completed_goals=r.completed
            )
            for r in rows
        ]


# --- mutations ----------------------------------------------------------------------------


@strawberry.input(description="A new development plan (a DRAFT).")
class CreateDevelopmentPlanInput:
    employee_id: strawberry.ID = kit.id_input(
        "Employee", "Whose plan: the caller, someone below them, or anyone for HR admins."
    )
    title: str = strawberry.field(description="Title (at most 200 characters).")
    target_role_id: strawberry.ID | None = kit.id_input(
        "Role", "The role it prepares for.", default=None
    )
    starts_on: dt.date | None = kit.optional_input("When it starts (default today).")
    ends_on: dt.date | None = kit.optional_input("When it ends.")


@strawberry.input(description="Draft a plan from the employee's gaps toward a role.")
class DraftDevelopmentPlanInput:
    employee_id: strawberry.ID = kit.id_input("Employee", "Whose plan.")
    target_role_id: strawberry.ID | None = kit.id_input(
        "Role", "The role to prepare for; the employee's next role when omitted.", default=None
    )
    title: str | None = kit.optional_input('Title; "Toward <role>" when omitted.')


@strawberry.input(description="Changes to a plan; omitted fields stay as they are.")
class UpdateDevelopmentPlanInput:
    id: strawberry.ID = kit.id_input("DevelopmentPlan", "The plan.", target=True)
    version: int | None = kit.version_input()
    title: str | None = kit.unset_input("New title.")
    target_role_id: strawberry.ID | None = kit.id_input("Role", "New target role; null clears.")
    starts_on: dt.date | None = kit.unset_input("New start; goals must still fall within.")
    ends_on: dt.date | None = kit.unset_input("New end; null for none.")


DevelopmentPlanTransitionInput = kit.target_input(
    "DevelopmentPlanTransitionInput",
    "A plan to move on: approve or archive.",
    "DevelopmentPlan",
    "The plan.",
)


@strawberry.input(description="A new goal on a DRAFT or ACTIVE plan.")
class AddDevelopmentGoalInput:
    plan_id: strawberry.ID = kit.id_input("DevelopmentPlan", "The plan.", target=True)
    title: str = strawberry.field(description="What to achieve (at most 200 characters).")
    description: str | None = kit.optional_input("More about it.")
    competency_id: strawberry.ID | None = kit.id_input(
        "Competency", "The competency to grow.", default=None
    )
    target_level: int | None = kit.optional_input(
        "With a competency: the level to reach, on its scale."
    )
    due_on: dt.date | None = kit.optional_input("Due date, within the plan's period.")


@strawberry.input(description="Changes to a goal; omitted fields stay as they are.")
class UpdateDevelopmentGoalInput:
    id: strawberry.ID = kit.id_input("DevelopmentGoal", "The goal.", target=True)
    version: int | None = kit.version_input()
    title: str | None = kit.unset_input("New title.")
    description: str | None = kit.unset_input("New description.")
    target_level: int | None = kit.unset_input("New target level, on the competency's scale.")
    due_on: dt.date | None = kit.unset_input("New due date; null for none.")
    progress: int | None = kit.unset_input("Progress, 0 to 100.")
    status: GoalStatus | None = kit.unset_input(
        "ACHIEVED (progress becomes 100), DROPPED, or OPEN to reopen."
    )


@strawberry.input(description="A new action toward a goal.")
class AddDevelopmentActionInput:
    goal_id: strawberry.ID = kit.id_input("DevelopmentGoal", "The goal.", target=True)
    kind: ActionKind = strawberry.field(description="The learning modality.")
    title: str | None = kit.optional_input("What to do; the resource's title when omitted.")
    url: str | None = kit.optional_input("A link.")
    resource_id: strawberry.ID | None = kit.id_input(
        "LearningResource", "A catalogue resource it uses.", default=None
    )
    mentor_id: strawberry.ID | None = kit.id_input(
        "Employee", "A mentor: a colleague who offers to mentor.", default=None
    )
    due_on: dt.date | None = kit.optional_input("Due date, within the plan's period.")


@strawberry.input(description="Changes to an action; omitted fields stay as they are.")
class UpdateDevelopmentActionInput:
    id: strawberry.ID = kit.id_input("DevelopmentAction", "The action.", target=True)
    version: int | None = kit.version_input()
    title: str | None = kit.unset_input("New title.")
    url: str | None = kit.unset_input("New link.")
    mentor_id: strawberry.ID | None = kit.id_input("Employee", "New mentor; null clears.")
    due_on: dt.date | None = kit.unset_input("New due date; null for none.")
    status: ActionStatus | None = kit.unset_input("New status.")


@strawberry.input(description="A check-in on a plan.")
class AddDevelopmentCheckInInput:
    plan_id: strawberry.ID = kit.id_input("DevelopmentPlan", "The plan.", target=True)
    note: str = strawberry.field(description="What was said and agreed (at most 4,000).")
    held_on: dt.date | None = kit.optional_input("The day of the conversation (default today).")


@strawberry.input(description="The competencies the caller offers to mentor.")
class SetMentoringInput:
    competency_ids: list[strawberry.ID] = kit.id_input(
        "Competency", "Exactly these (at most 20); empty withdraws the offer.", required=True
    )


@strawberry.input(description="A competency a resource develops, by key, and its levels.")
class ResourceCompetencyInput:
    key: str = strawberry.field(description="The competency's key.")
    min_level: int = strawberry.field(description="The lowest level it helps reach.")
    max_level: int = strawberry.field(description="The highest level it helps reach.")


@strawberry.input(description="One catalogue resource, identified by its external ID.")
class LearningResourceInput:
    external_id: str = strawberry.field(description="Its ID in the learning platform.")
    title: str = strawberry.field(description="Title (at most 200 characters).")
    kind: ResourceKind = strawberry.field(description="What kind of resource.")
    url: str | None = kit.optional_input("Where to take it.")
    provider: str | None = kit.optional_input("Who offers it.")
    duration_minutes: int | None = kit.optional_input("About how long it takes, in minutes.")
    description: str | None = kit.optional_input("What it covers.")
    archived: bool = strawberry.field(
        default=False, description="No longer offered (kept for the plans using it)."
    )
    competencies: list[ResourceCompetencyInput] = strawberry.field(
        default_factory=list, description="The competencies it develops (at most 20)."
    )


@strawberry.input(description="Resources to create or update by external ID (at most 1,000).")
class ImportLearningResourcesInput:
    resources: list[LearningResourceInput] = strawberry.field(description="The resources.")


@strawberry.input(description="A completion reported by a learning platform.")
class CompleteLearningActionInput:
    employee_external_id: str = strawberry.field(description="The learner's HRIS external ID.")
    resource_external_id: str = strawberry.field(description="The resource's external ID.")
    completed_on: dt.date | None = kit.optional_input("When it was completed (default now).")


DevelopmentPlanPayload = kit.change_payload(DevelopmentPlan, "development_plan", what="plan")
DevelopmentGoalPayload = kit.change_payload(DevelopmentGoal, "goal")
DevelopmentActionPayload = kit.change_payload(DevelopmentAction, "action")
DevelopmentCheckInPayload = kit.payload_type(
    "DevelopmentCheckInPayload",
    "Result of `addDevelopmentCheckIn`.",
    "check_in",
    DevelopmentCheckIn,
    "The check-in; null when refused.",
)
SetMentoringPayload = kit.result_payload(
    "setMentoring",
    "mentor_profile",
    MentorProfile,
    "What mentees see of the caller; null when refused or withdrawn.",
)


@strawberry.type(description="What an import did with one resource.")
class LearningResourceImportResult:
    external_id: str = strawberry.field(description="The resource's external ID.")
    status: ImportStatus = strawberry.field(description="What the import did with it.")
    resource: LearningResource = strawberry.field(description="The resource as it is now.")


@strawberry.type(description="Result of `importLearningResources`.")
class ImportLearningResourcesPayload(kit.Payload):
    results: list[LearningResourceImportResult] = strawberry.field(
        default_factory=list, description="One per resource, in input order; empty when refused."
    )


@strawberry.type(description="Result of `completeLearningAction`.")
class CompleteLearningActionPayload(kit.Payload):
    completed_count: int | None = strawberry.field(
        default=None,
        description="How many open actions of the employee using the resource became DONE "
        "(0 when none did); null when refused.",
    )


def _id(value: Any) -> Any:
    """A decoded optional ID: None when omitted or null, INVALID kept (already reported)."""
    return None if value is NOT_GIVEN else value


_plan_input = partial(kit.service_input, development.PlanInput)
_goal_input = partial(kit.service_input, development.GoalInput)
_action_input = partial(kit.service_input, development.ActionInput)


async def _draft(c: kit.Call) -> Any:
    employee = c.input.employee_id
    role = _id(c.input.target_role_id)
    if employee is INVALID or role is INVALID:
        raise UserInputError(list(c.errors))
    return await development.draft_plan(c.db, c.principal, employee, role, title=c.input.title)


def _import_records(c: kit.Call) -> list[development.ResourceRecord]:
    if len(c.input.resources) > development.MAX_IMPORT:
        raise UserInputError.one(
            ("input", "resources"),
            f"at most {development.MAX_IMPORT} resources per call",
            ErrorCode.LIMIT_EXCEEDED,
        )
    return [
        kit.service_input(
            development.ResourceRecord,
            r,
            competencies=[
                development.ResourceCompetency(x.key, x.min_level, x.max_level)
                for x in r.competencies
            ],
        )
        for r in c.input.resources
    ]


def _import_payload(results: list[development.ImportResult]) -> ImportLearningResourcesPayload:
    return ImportLearningResourcesPayload(
        results=[
            LearningResourceImportResult(
                external_id=r.external_id,
                status=ImportStatus[r.status],
                resource=LearningResource.from_row(r.row),
            )
            for r in results
        ]
    )


EDITORS = (
    " By the employee, a manager above them or an HR admin; `version` refuses a change "
    "based on stale data."
)
_planner = partial(kit.mutation, permission=development.require_planner)
_editors = partial(_planner, suffix=EDITORS)
_catalogue = partial(kit.mutation, permission=development.require_catalogue_writer)


@strawberry.type
class DevelopmentMutation:
    create_development_plan = _editors(
        "Start a development plan (DRAFT) for an employee.",
        CreateDevelopmentPlanInput,
        DevelopmentPlanPayload,
        call=kit.create_call(development.create_plan, _plan_input),
    )
    draft_development_plan = _editors(
        "Draft a plan (DRAFT) from the employee's gap analysis toward a role (their next "
        "role by default): one goal per top gap, each with catalogue resources, a mentor "
        "who offers that competency and a stretch assignment.",
        DraftDevelopmentPlanInput,
        DevelopmentPlanPayload,
        call=_draft,
    )
    update_development_plan = _editors(
        "Change a DRAFT or ACTIVE plan's title, target role or period.",
        UpdateDevelopmentPlanInput,
        DevelopmentPlanPayload,
        call=kit.update_call(development.update_plan, _plan_input),
    )
    approve_development_plan = _planner(
        "Approve a DRAFT plan (→ ACTIVE): a manager above the employee or an HR admin; "
        "who and when are recorded.",
        DevelopmentPlanTransitionInput,
        DevelopmentPlanPayload,
        call=kit.versioned_call(development.approve_plan),
    )
    archive_development_plan = _editors(
        "Archive a DRAFT or ACTIVE plan: kept, no longer worked on.",
        DevelopmentPlanTransitionInput,
        DevelopmentPlanPayload,
        call=kit.versioned_call(development.archive_plan),
    )
    add_development_goal = _editors(
        "Add a goal to a DRAFT or ACTIVE plan.",
        AddDevelopmentGoalInput,
        DevelopmentGoalPayload,
        call=kit.create_call(development.add_goal, _goal_input),
    )
    update_development_goal = _editors(
        "Change a goal: text, target level, due date, progress or status.",
        UpdateDevelopmentGoalInput,
        DevelopmentGoalPayload,
        call=kit.update_call(development.update_goal, _goal_input),
    )
    add_development_action = _editors(
        "Add an action toward a goal.",
        AddDevelopmentActionInput,
        DevelopmentActionPayload,
        call=kit.create_call(development.add_action, _action_input),
    )
    update_development_action = _editors(
        "Change an action: title, link, mentor, due date or status; actions done raise "
        "their goal's progress.",
        UpdateDevelopmentActionInput,
        DevelopmentActionPayload,
        call=kit.update_call(development.update_action, _action_input),
    )
    add_development_check_in = _planner(
        "Record a check-in on a plan: a dated note by the employee or a manager above them "
        "(or an HR admin).",
        AddDevelopmentCheckInInput,
        DevelopmentCheckInPayload,
        call=lambda c: development.add_check_in(
            c.db, c.principal, c.input.plan_id, c.input.note, c.input.held_on
        ),
    )
    set_mentoring = _planner(
        "Offer to mentor these competencies (the caller's own choice; empty withdraws). "
        "Mentees' plans then show the caller's name, title and these competencies.",
        SetMentoringInput,
        SetMentoringPayload,
        call=lambda c: development.set_mentoring(c.db, c.principal, c.input.competency_ids),
    )
    import_learning_resources = _catalogue(
        "Create or update learning catalogue resources by external ID, up to 1,000 per "
        "call (HR admins and `career:hris` integrations). Idempotent; all or nothing, every "
        "refused record reported at its path.",
        ImportLearningResourcesInput,
        ImportLearningResourcesPayload,
        call=lambda c: development.import_learning_resources(c.db, c.principal, _import_records(c)),
        make=_import_payload,
    )
    complete_learning_action = _catalogue(
        "Report that an employee completed a catalogue resource, by external IDs (a "
        "learning platform; HR admins and `career:hris`): their open actions using it become "
        "DONE. Nothing of the plans is returned.",
        CompleteLearningActionInput,
        CompleteLearningActionPayload,
        call=lambda c: development.complete_learning_action(
            c.db,
            c.principal,
            c.input.employee_external_id,
            c.input.resource_external_id,
            c.input.completed_on,
        ),
        make=lambda n: CompleteLearningActionPayload(completed_count=n),
    )
