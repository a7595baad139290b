"""GraphQL types of development: plans, goals, actions, check-ins, the learning catalogue
and mentors' profiles. Every relation goes through the request's DataLoaders, so a page
of plans costs the statements of one."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from strawberry.types import Info

from service.auth import policies
from service.development import queries
from service.development import service as development
from service.development.models import ActionKind as ActionKindValue
from service.development.models import ActionStatus as ActionStatusValue
from service.development.models import GoalStatus as GoalStatusValue
from service.development.models import ImportStatus as ImportStatusValue
from service.development.models import PlanStatus as PlanStatusValue
from service.development.models import ResourceKind as ResourceKindValue
from service.errors import Forbidden
from service.framework import queries as framework_queries
from service.framework.types import Competency, Role
from service.graphql.enums import graphql_enum
from service.graphql.lookahead import selected_below
from service.graphql.node import RowNode, RowObject, VersionedNode, is_set, optional
from service.graphql.relations import Relation, related, to_list, to_node, to_one
from service.people.refs import EmployeeRef

if TYPE_CHECKING:
    from service.assessments.types import Assessment

AssessmentRef = Annotated["Assessment", strawberry.lazy("service.assessments.types")]

PRIVATE = (
    " Private career data: the employee, the managers above them and HR admins see it; "
    "nobody else (HRIS integrations included)."
)

PlanStatus = graphql_enum(
    PlanStatusValue,
    "Where a development plan stands. DRAFT → ACTIVE → COMPLETED; DRAFT or ACTIVE → ARCHIVED.",
    {
        "DRAFT": "Being written by the employee and their manager; not yet approved.",
        "ACTIVE": "Approved by a manager above the employee or an HR admin; being worked on.",
        "COMPLETED": "Every goal that was not dropped is achieved.",
        "ARCHIVED": "Set aside before completion; kept for the record.",
    },
)
GoalStatus = graphql_enum(
    GoalStatusValue,
    "Where a goal stands.",
    {
        "OPEN": "Being worked on.",
        "ACHIEVED": "Reached: by an assessment bringing the current level to the target, or "
        "marked so by the plan's editors.",
        "DROPPED": "No longer pursued; left out of the plan's progress.",
    },
)
ActionKind = graphql_enum(
    ActionKindValue,
    "The learning modality of an action.",
    {
        "COURSE": "A formal training course or program.",
        "STRETCH_ASSIGNMENT": "Work beyond the current role that exercises the competency.",
        "MENTORING": "Regular time with a mentor.",
        "PROJECT": "A cross-functional project.",
        "ROTATION": "Time spent in another team or role.",
        "READING": "Books, articles or other self-study.",
        "OTHER": "Anything else.",
    },
)
ActionStatus = graphql_enum(
    ActionStatusValue,
    "Where an action stands.",
    {
        "PLANNED": "Not started.",
        "IN_PROGRESS": "Started.",
        "DONE": "Completed (reported by the plan's editors or a learning platform).",
        "SKIPPED": "Decided against; left out of the goal's progress.",
    },
)
ImportStatus = graphql_enum(
    ImportStatusValue,
    "What an import did with one learning resource.",
    {
        "CREATED": "A new resource.",
        "UPDATED": "An existing resource (same external ID) whose fields or competencies changed.",
        "UNCHANGED": "An existing resource already as sent.",
    },
)
ResourceKind = graphql_enum(
    ResourceKindValue,
    "What kind of learning resource it is.",
    {
        "COURSE": "A course, online or in person.",
        "READING": "A book, article or guide.",
        "VIDEO": "A talk or video series.",
        "PROGRAM": "A longer program (a cohort, a certification).",
        "OTHER": "Anything else.",
    },
)


async def _employee(info: Info, employee_id: uuid.UUID | None) -> Any:
    """The employee if the caller may see them; else None."""
    if employee_id is None:
        return None
    from service.people.types import Employee

    return (await Employee.resolve_nodes(info=info, node_ids=[str(employee_id)]))[0]


async def _plans_visible(info: Info, employee_ids: Sequence[uuid.UUID]) -> list[bool]:
    principal = await info.context.principal()
    if all(policies.can_see_own_private(principal, e) for e in employee_ids):
        return [True for _ in employee_ids]
    reach = await info.context.reach()
    return [policies.can_see_private(reach, e) for e in employee_ids]


async def _via_plans(info: Info, rows: Sequence[Any]) -> list[bool]:
    """Rows of a plan (goals, actions, check-ins) are visible with their plan."""
    plans = await info.context.loader(queries.plans_by_id).load_many([r.plan_id for r in rows])
    allowed = await _plans_visible(info, [p.employee_id for p in plans])
    return list(allowed)


# --- the learning catalogue ---------------------------------------------------------------


_COMPETENCY = to_one(framework_queries.competencies_by_id, Competency, competency="competency_id")


@strawberry.type(description="A competency a learning resource develops, and for which levels.")
class ResourceCompetency(RowObject):
    relations = (_COMPETENCY,)

    min_level: int = strawberry.field(description="The lowest level it helps reach.")
    max_level: int = strawberry.field(description="The highest level it helps reach.")
    competency: Competency | None = related("The competency.")


@strawberry.type(
    description="An item of the organization's learning catalogue: a course, reading, video "
    "or program, with the competencies and levels it develops. Synced from a learning "
    "platform by external ID (`importLearningResources`)."
)
class LearningResource(VersionedNode):
    rows_by_id = queries.resources_by_id
    converters = {"kind": ResourceKind, "archived": is_set}
    columns = {"archived": "archived_at"}
    relations = (to_list(queries.resource_competencies, ResourceCompetency, "competencies"),)

    external_id: str | None = strawberry.field(
        description="Its ID in the learning platform; null when entered here."
    )
    title: str = strawberry.field(description="Title.")
    url: str | None = strawberry.field(description="Where to take it.")
    provider: str | None = strawberry.field(description="Who offers it.")
    kind: ResourceKind = strawberry.field(description="What kind of resource.")  # type: ignore[valid-type]
    duration_minutes: int | None = strawberry.field(
        description="About how long it takes, in minutes."
    )
    description: str | None = strawberry.field(description="What it covers.")
    archived: bool = strawberry.field(description="No longer offered in new plans.")
    competencies: list[ResourceCompetency] = related(
        "The competencies it develops, with their level ranges."
    )

    @classmethod
    async def visible(cls, info: Info, rows: Sequence[Any]) -> list[bool]:
        principal = await info.context.principal()
        return [policies.is_reader(principal) for _ in rows]


# --- mentors -----------------------------------------------------------------------------


@strawberry.type(
    description="A colleague who offers to mentor, as a mentee sees them: their name, title "
    "and the competencies they mentor, nothing more."
)
class MentorProfile(RowObject):
    name: str = strawberry.field(description="Their name.")
    title: str | None = strawberry.field(description="Their job title.")

    @strawberry.field(description="The competencies they offer to mentor.")
    async def competencies(self, info: Info) -> list[Competency]:
        rows = await info.context.loader(queries.mentoring_by_employee).load(self.row.id)
        found = await info.context.loader(framework_queries.competencies_by_id).load_many(
            [r.competency_id for r in rows]
        )
        return [Competency.from_row(c) for c in found if c is not None and c.archived_at is None]


_MENTORS = to_one(queries.mentors_by_id, MentorProfile, mentor="mentor_id")


async def _load_mentors(info: Info, actions: Sequence[Any], wanted: list[Any]) -> None:
    """Each action's mentor: from the name and title read with the action
    (``queries.actions_by_goal``), else by ID."""
    apart = [a for a in actions if not hasattr(a.row, "mentor_name")]
    if apart:
        await _MENTORS.load(info, apart, wanted)
    for a in actions:
        row = a.row
        if "mentor" not in a.known:
            a.known["mentor"] = (
                MentorProfile.from_row(
                    queries.Mentor(row.mentor_id, row.mentor_name, row.mentor_title)
                )
                if row.mentor_id is not None and row.mentor_name is not None
                else None
            )


# --- plans -------------------------------------------------------------------------------


@strawberry.type(description="A dated note on a plan's progress." + PRIVATE)
class DevelopmentCheckIn(RowNode):
    rows_by_id = queries.check_ins_by_id

    held_on: dt.date = strawberry.field(description="The day of the conversation.")
    note: str = strawberry.field(description="What was said and agreed.")
    created_at: dt.datetime = strawberry.field(description="When it was written.")

    @strawberry.field(
        description="Who wrote it (the employee or a manager above them; null for an HR "
        "admin the caller does not see)."
    )
    async def author(self, info: Info) -> EmployeeRef | None:
        if self.row.author_type != "EMPLOYEE":
            return None
        return await _employee(info, self.row.author_id)

    @classmethod
    async def visible(cls, info: Info, rows: Sequence[Any]) -> list[bool]:
        return await _via_plans(info, rows)


@strawberry.type(description="A step toward a goal in one learning modality." + PRIVATE)
class DevelopmentAction(VersionedNode):
    rows_by_id = queries.actions_by_id
    converters = {"kind": ActionKind, "status": ActionStatus}
    relations = (
        to_one(queries.resources_by_id, LearningResource, resource="resource_id"),
        Relation(("mentor",), _load_mentors),
    )

    kind: ActionKind = strawberry.field(description="The learning modality.")  # type: ignore[valid-type]
    title: str = strawberry.field(description="What to do.")
    url: str | None = strawberry.field(description="A link to it.")
    due_on: dt.date | None = strawberry.field(description="Due date.")
    status: ActionStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    completed_at: dt.datetime | None = strawberry.field(
        description="When it was done; null unless DONE."
    )
    resource: LearningResource | None = related("The catalogue resource it uses.")
    mentor: MentorProfile | None = related(
        "The mentor of a MENTORING action: name, title and what they mentor."
    )

    @classmethod
    async def visible(cls, info: Info, rows: Sequence[Any]) -> list[bool]:
        return await _via_plans(info, rows)


@strawberry.type(
    description="A goal of a plan, optionally a competency and the level to reach." + PRIVATE
)
class DevelopmentGoal(VersionedNode):
    rows_by_id = queries.goals_by_id
    converters = {"status": GoalStatus, "progress": int, "achieved_level": optional(float)}
    relations = (_COMPETENCY, to_list(queries.actions_by_goal, DevelopmentAction, "actions"))

    title: str = strawberry.field(description="What to achieve.")
    description: str | None = strawberry.field(description="More about it.")
    competency: Competency | None = related(
        "The competency to grow; null for a goal of another kind."
    )
    target_level: int | None = strawberry.field(
        description="The level of the competency to reach, on its scale."
    )
    due_on: dt.date | None = strawberry.field(description="Due date.")
    status: GoalStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    progress: int = strawberry.field(
        description="0 to 100: what the editors report, raised by the share of actions done "
        "(at most 90 while open), 100 once achieved."
    )

    overdue: bool = strawberry.field(default=False, description="Open with its due date passed.")
    achieved_at: dt.datetime | None = strawberry.field(description="When it was achieved.")
    achieved_level: float | None = strawberry.field(
        description="The current level that achieved it, when an assessment did; null when "
        "the editors marked it achieved."
    )

    @strawberry.field(
        description="The newest assessment behind the level that achieved it, if the caller "
        "may see that assessment."
    )
    async def achieved_by(self, info: Info) -> AssessmentRef | None:
        if self.row.achieved_assessment_id is None:
            return None
        from service.assessments.types import Assessment

        found = await Assessment.resolve_nodes(
            info=info, node_ids=[str(self.row.achieved_assessment_id)]
        )
        return found[0]

    @strawberry.field(description="The actions toward it, in order.")
    def actions(self, info: Info) -> list[DevelopmentAction]:
        return self.related(info, "actions")

    @classmethod
    async def visible(cls, info: Info, rows: Sequence[Any]) -> list[bool]:
        return await _via_plans(info, rows)

    @classmethod
    def from_row(cls, row: Any) -> Self:
        goal = super().from_row(row)
        goal.overdue = queries.is_overdue(row, development.today())
        return goal


async def _approved_by(self: DevelopmentPlan, info: Info) -> Any:
    if self.row.approved_by_type != "EMPLOYEE":
        return None
    return await _employee(info, self.row.approved_by_id)


async def _overdue_goals(self: DevelopmentPlan, info: Info) -> list[DevelopmentGoal]:
    rows = await info.context.loader(queries.goals_by_plan).load(self.row.id)
    return [g for g in map(DevelopmentGoal.from_row, rows) if g.overdue]


#: A plan's figures (``queries.PlanStats``), by field.
_STATS = {
    "progress": "progress",
    "goalCount": "goals",
    "achievedGoalCount": "achieved",
    "overdueGoalCount": "overdue",
}


async def _load_stats(info: Info, plans: Sequence[Any], wanted: list[Any]) -> None:
    # From the goals' rows, through the loader the plans' goals are read by.
    found = await info.context.loader(queries.goals_by_plan).load_many([p.row.id for p in plans])
    today = development.today()
    for plan, goals in zip(plans, found, strict=True):
        stats = queries.plan_stats(goals, today)
        plan.known.update({field: getattr(stats, attr) for field, attr in _STATS.items()})


@strawberry.type(
    description="An individual development plan: goals tied to competency gaps, actions "
    "mixing learning modalities, regular check-ins." + PRIVATE
)
class DevelopmentPlan(VersionedNode):
    rows_by_id = queries.plans_by_id
    converters = {"status": PlanStatus}
    relations = (
        to_node("service.people.types.Employee", employee="employee_id"),
        to_one(framework_queries.roles_by_id, Role, targetRole="target_role_id"),
        to_list(queries.goals_by_plan, DevelopmentGoal, "goals"),
        to_list(queries.check_ins_by_plan, DevelopmentCheckIn, "checkIns"),
        Relation(tuple(_STATS), _load_stats),
    )

    title: str = strawberry.field(description="Title.")
    status: PlanStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    starts_on: dt.date = strawberry.field(
        description="When the plan starts; goals are not due before."
    )
    ends_on: dt.date | None = strawberry.field(
        description="When the plan ends; goals are not due after."
    )
    approved_at: dt.datetime | None = strawberry.field(
        description="When it was approved (DRAFT → ACTIVE)."
    )
    completed_at: dt.datetime | None = strawberry.field(
        description="When its goals were all achieved."
    )
    archived_at: dt.datetime | None = strawberry.field(description="When it was archived.")
    employee: EmployeeRef | None = related("Whose plan it is.")

    approved_by: EmployeeRef | None = strawberry.field(
        resolver=_approved_by,
        description="Who approved it: a manager above the employee or an HR admin (null "
        "when the caller does not see them, or the system approved it).",
    )
    target_role: Role | None = related("The role it prepares for.")
    progress: int = related("0 to 100: the mean progress of its goals that are not dropped.")
    goal_count: int = related("Goals that are not dropped.")
    achieved_goal_count: int = related("Goals achieved.")
    overdue_goal_count: int = related("Open goals past their due date.")
    goals: list[DevelopmentGoal] = related("Its goals, in order.")
    overdue_goals: list[DevelopmentGoal] = strawberry.field(
        resolver=_overdue_goals, description="Its open goals past their due date."
    )
    check_ins: list[DevelopmentCheckIn] = related("Its check-ins, newest first.")

    @classmethod
    async def visible(cls, info: Info, rows: Sequence[Any]) -> list[bool]:
        return await _plans_visible(info, [r.employee_id for r in rows])


async def employee_plans(info: Info, employee_id: uuid.UUID) -> list[DevelopmentPlan]:
    """``Employee.developmentPlans``: private career data, FORBIDDEN for others."""
    principal = await info.context.principal()
    if not policies.can_see_own_private(principal, employee_id) and not policies.can_see_private(
        await info.context.reach(), employee_id
    ):
        raise Forbidden()
    rows = await info.context.loader(queries.plans_by_employee).load(employee_id)
    plans = [DevelopmentPlan.from_row(r) for r in rows]
    await DevelopmentPlan.prefetch(info, plans, selected_below(info))
    return plans
