"""GraphQL types of the people domain."""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from service.auth import policies
from service.errors import Forbidden
from service.framework import queries as framework_queries
from service.framework.types import Role
from service.graphql.enums import graphql_enum
from service.graphql.ids import decode_optional
from service.graphql.lookahead import children, later
from service.graphql.node import RowNode, RowObject
from service.graphql.pagination import Connection, PageArgs, paged, paginate_partitions
from service.graphql.relations import Relation, related, to_node, to_one
from service.people import queries
from service.people.models import EmployeeStatus as EmployeeStatusValue
from service.people.models import PositionChangeKind as PositionChangeKindValue
from service.people.models import employees

EmployeeStatus = graphql_enum(
    EmployeeStatusValue,
    "Whether the person works here now.",
    {
        "ACTIVE": "Employed and working.",
        "ON_LEAVE": "Employed, temporarily away (parental leave, sabbatical).",
        "TERMINATED": "No longer employed; the record and its history are kept.",
    },
)
PositionChangeKind = graphql_enum(
    PositionChangeKindValue,
    "What kind of change a position history entry records.",
    {
        "HIRE": "Joined the organization.",
        "PROMOTION": "Moved to a role at a higher level.",
        "LATERAL_MOVE": "Moved to another role at the same level, often in another family.",
        "DEMOTION": "Moved to a role at a lower level.",
        "TRANSFER": "Moved to another org unit.",
        "MANAGER_CHANGE": "Started reporting to another manager.",
        "TERMINATION": "Left the organization.",
    },
)


if TYPE_CHECKING:
    from service.assessments.types import CurrentProficiency, GapAnalysis
    from service.development.types import DevelopmentPlan
    from service.mobility.types import Application, CareerAspiration, PostingMatch
    from service.promotions.types import Promotion, ReadinessPoint, TimeInRole

# The assessments' and promotions' types refer to Employee, and Employee's fields of those
# domains refer back lazily (strawberry.lazy for the types, the module loaded when a field
# is first resolved), so that no two of these modules import each other.
_ASSESSMENTS, _PROMOTIONS = "service.assessments.types", "service.promotions.types"
CurrentProficiencyRef = Annotated["CurrentProficiency", strawberry.lazy(_ASSESSMENTS)]
GapAnalysisRef = Annotated["GapAnalysis", strawberry.lazy(_ASSESSMENTS)]
PromotionRef = Annotated["Promotion", strawberry.lazy(_PROMOTIONS)]
TimeInRoleRef = Annotated["TimeInRole", strawberry.lazy(_PROMOTIONS)]
ReadinessPointRef = Annotated["ReadinessPoint", strawberry.lazy(_PROMOTIONS)]
_DEVELOPMENT = "service.development.types"
DevelopmentPlanRef = Annotated["DevelopmentPlan", strawberry.lazy(_DEVELOPMENT)]
_MOBILITY = "service.mobility.types"
ApplicationRef = Annotated["Application", strawberry.lazy(_MOBILITY)]
CareerAspirationRef = Annotated["CareerAspiration", strawberry.lazy(_MOBILITY)]
PostingMatchRef = Annotated["PostingMatch", strawberry.lazy(_MOBILITY)]


def _assessments() -> Any:
    return importlib.import_module(_ASSESSMENTS)


def _promotions() -> Any:
    return importlib.import_module(_PROMOTIONS)


def _mobility() -> Any:
    return importlib.import_module(_MOBILITY)


# The request's loader of employees by ID is keyed by this batch function.
employees_by_id = queries.employees_by_id
# Types of this module that relations declared before them refer to.
_ORG_UNIT, _EMPLOYEE = "service.people.types.OrgUnit", "service.people.types.Employee"


async def _role_holders(ctx: Any, keys: Sequence[tuple[uuid.UUID, PageArgs]]) -> list[Any]:
    reach = await ctx.reach()
    return await paginate_partitions(
        ctx,
        queries.holders_select(reach),
        employees.c.role_id,
        [employees.c.name, employees.c.id],
        keys,
        Employee.from_row,
    )


async def role_holders(info: Info, role_id: uuid.UUID, args: PageArgs) -> Connection[Employee]:
    """``Role.holders``: one page of the people holding a role whom the caller may list,
    batched with the other roles of the request into one statement."""
    policies.require_reader(await info.context.principal())
    args.window(0)  # validate arguments before batching
    return await info.context.loader(_role_holders).load((role_id, args))


async def _direct_reports(ctx: Any, keys: Sequence[tuple[uuid.UUID, PageArgs]]) -> list[Any]:
    reach = await ctx.reach()
    return await paginate_partitions(
        ctx,
        queries.employees_select(reach, queries.EmployeeFilter()).order_by(None),
        employees.c.manager_id,
        [employees.c.name, employees.c.id],
        keys,
        Employee.from_row,
    )


@strawberry.type(description="A unit of the organization chart (department, team, region).")
class OrgUnit(RowNode):
    rows_by_id = queries.org_units_by_id
    relations = (to_one(queries.org_units_by_id, _ORG_UNIT, parent="parent_id"),)

    name: str = strawberry.field(description="Display name.")
    external_id: str | None = strawberry.field(description="The unit's ID in the HRIS, if synced.")
    parent: OrgUnit | None = related("The unit this one belongs to; null at the top.")

    @classmethod
    async def readable(cls, info: Info) -> bool:
        return policies.is_reader(await info.context.principal())


@strawberry.type(
    description="A change of someone's role, org unit or manager, with its kind and cause."
)
class PositionChange(RowObject):
    converters = {"kind": PositionChangeKind}
    columns = {"recorded_at": "created_at"}
    relations = (
        to_one(
            framework_queries.roles_by_id, Role, role="role_id", previousRole="previous_role_id"
        ),
        to_one(
            queries.org_units_by_id,
            OrgUnit,
            orgUnit="org_unit_id",
            previousOrgUnit="previous_org_unit_id",
        ),
        to_node(
            _EMPLOYEE,
            manager="manager_id",
            previousManager="previous_manager_id",
            employee="employee_id",
        ),
    )

    kind: PositionChangeKind = strawberry.field(description="What changed.")  # type: ignore[valid-type]
    effective_date: dt.date = strawberry.field(description="When the change took effect.")
    title: str | None = strawberry.field(description="Job title after the change.")
    source_type: str | None = strawberry.field(
        description="What caused the change, e.g. `Promotion`, `Application`, `HRIS`; "
        "null when entered by hand."
    )
    note: str | None = strawberry.field(description="Free-text note.")
    recorded_at: dt.datetime = strawberry.field(description="When the entry was written.")
    role: Role | None = related("The role after the change.")
    previous_role: Role | None = related("The role before the change.")
    org_unit: OrgUnit | None = related("The org unit after the change.")
    previous_org_unit: OrgUnit | None = related("The org unit before the change.")
    manager: Employee | None = related("The manager after the change, if the caller may see them.")
    previous_manager: Employee | None = related(
        "The manager before the change, if the caller may see them."
    )
    employee: Employee | None = related(
        "The employee whose position changed, if the caller may see them."
    )


async def org_unit_of(info: Info, unit_id: uuid.UUID | None) -> OrgUnit | None:
    if unit_id is None:
        return None
    row = await info.context.loader(queries.org_units_by_id).load(unit_id)
    return OrgUnit.from_row(row) if row is not None else None


async def _load_details(info: Info, people: Sequence[Employee], wanted: list[Any]) -> None:
    """Whether the caller sees each person's fields of ``DETAIL_FIELDS``."""
    reach = await info.context.reach()
    for p in people:
        p.known["details"] = policies.sees_details(reach, p.pk)


async def _load_managers(info: Info, people: Sequence[Employee], wanted: list[Any]) -> None:
    """``Employee.manager`` of all ``people``: those the caller may see, with what is
    selected on them."""
    reach = await info.context.reach()
    manager_ids = [p.row.manager_id for p in people]
    visible = reach.in_directory_view(set(manager_ids) - {None})
    keys = set(visible)
    if not reach.profile.isdisjoint(visible):
        # Someone in the caller's management chain: load the whole chain in the same
        # batch, so walking `manager { manager { … } }` up costs one statement.
        keys |= reach.profile
    rows = await info.context.loader(employees_by_id).load_many(list(keys))
    shown = queries.in_directory_rows(reach, [r for r in rows if r is not None and r.id in visible])
    managers = dict(zip([r.id for r in shown], Employee.from_rows(shown), strict=True))
    await Employee.prefetch(info, list(managers.values()), children(wanted))
    for p, manager in zip(people, map(managers.get, manager_ids), strict=True):
        p.known["manager"] = manager


async def _require_record(info: Info, employee_id: uuid.UUID) -> None:
    if not (await info.context.reach()).sees_record(employee_id):
        raise Forbidden()


#: Fields beyond name, title, org unit and role: visible to those who see the person's
#: record (``policies.sees_details``); FORBIDDEN for people shown through a relation only.
DETAIL_FIELDS = ("email", "status", "location", "version", "createdAt", "updatedAt")
DETAILS = (
    " Visible to the person, the managers above them, HR admins and HRIS integrations; "
    "anyone else (someone shown by name through an assessment or the management chain) "
    "gets a FORBIDDEN error."
)


#: Fields of DETAIL_FIELDS whose value is not the column's as is.
_DETAIL_VALUES = {"status": EmployeeStatus, "version": int}


def _detailed(self: Employee, info: Info) -> Any:
    name = info.python_name
    value = getattr(self.row, name)
    convert = _DETAIL_VALUES.get(name)
    return self._detail(info, convert(value) if convert is not None else value)


def detail(description: str) -> Any:
    """A field of ``DETAIL_FIELDS``: the column of its name, for those who see details."""
    return strawberry.field(resolver=_detailed, description=description + DETAILS)


async def _record(self: Employee, info: Info) -> Any:
    await _require_record(info, self.pk)
    return getattr(self.row, info.python_name)


def hr_record(description: str) -> Any:
    """A field of the HR record: the column of its name, for those who see the record."""
    return strawberry.field(resolver=_record, description=description)


async def _termination_reason(self: Employee, info: Info) -> str | None:
    if not policies.can_see_termination_reason(await info.context.reach()):
        raise Forbidden()
    return self.row.termination_reason


@strawberry.type(
    description="A person in the organization. Everyone may see their own record, managers "
    "their reports' records and their own management chain's names; HR admins and HRIS "
    "integrations see everyone. While the organization's directory is open "
    "(`peopleSettings.directoryVisible`, the default), every employee also sees the name, "
    "title, org unit, role and manager of everyone still employed, and nothing more. Someone shown only through a relation (their management "
    "chain, an assessment's subject, assessor or inviter) shows their name, title, org "
    "unit and role; their other fields, and those marked *HR record*, are visible to the "
    "person, the managers above them, HR admins and HRIS integrations, and anyone else "
    "gets a FORBIDDEN error for them."
)
class Employee(RowNode):
    name: str = strawberry.field(description="Full name.")
    title: str | None = strawberry.field(description="Job title as shown in the HRIS.")
    # A list loads these for all its people at once (`Employee.prefetch`); "details" is
    # whether the caller sees the fields of DETAIL_FIELDS.
    relations = (
        Relation(DETAIL_FIELDS, _load_details),
        Relation(("manager",), _load_managers),
        to_one(queries.org_units_by_id, OrgUnit, orgUnit="org_unit_id"),
        to_one(framework_queries.roles_by_id, Role, role="role_id"),
    )

    email: str | None = detail("Work email address, unique in the organization.")
    status: EmployeeStatus | None = detail("Employment status.")  # type: ignore[valid-type]
    location: str | None = detail("Work location.")
    external_id: str | None = hr_record("The person's ID in the HRIS, if synced. HR record.")
    auth_subject: str | None = hr_record(
        "The identity provider's subject (`sub`) that signs in as this person. HR record."
    )
    pending_manager_external_id: str | None = hr_record(
        "The HRIS ID of a manager named by a sync before that manager was synced; set as "
        "`manager` when a later sync brings them, null otherwise. HR record."
    )
    hire_date: dt.date | None = hr_record("First day of employment. HR record.")
    termination_date: dt.date | None = hr_record(
        "Last day of employment, once terminated. HR record."
    )
    termination_reason: str | None = strawberry.field(
        resolver=_termination_reason,
        description="Why employment ended. Visible to HR admins only.",
    )
    version: int | None = detail(
        "Incremented by every change; pass it to `updateEmployee` to refuse an update based "
        "on stale data."
    )
    created_at: dt.datetime | None = detail("When the record was created.")
    updated_at: dt.datetime | None = detail("When the record last changed.")
    org_unit: OrgUnit | None = related("The org unit the person belongs to.")
    manager: Employee | None = related("The person's manager, if the caller may see them.")
    role: Role | None = related("The person's current role in the career framework.")

    @classmethod
    async def rows(cls, info: Info, ids: Sequence[uuid.UUID]) -> Sequence[Any | None]:
        return await queries.visible_by_id(info.context, ids)

    def _detail(self, info: Info, value: Any) -> Any:
        """``value`` if the caller may see this person's details, else ``Forbidden``."""
        shown = self.known.get("details")
        if shown is None:
            return later(self._checked_detail(info, value))
        if not shown:
            raise Forbidden()
        return value

    async def _checked_detail(self, info: Info, value: Any) -> Any:
        self.known["details"] = policies.sees_details(await info.context.reach(), self.pk)
        return self._detail(info, value)

    @classmethod
    async def in_reach(cls, info: Info, ids: Collection[uuid.UUID]) -> list[Employee | None]:
        """Like ``resolve_nodes`` but within the caller's reach only, the directory aside
        (e.g. who decided a promotion case, which its domain shows to admins only)."""
        rows = await queries.reachable_by_id(info.context, list(ids))
        return [cls.from_row(r) if r is not None else None for r in rows]

    @strawberry.field(
        description="Roles the person can be promoted to from their current role: the next "
        "step on its tracks and explicit promotions. Empty without a role."
    )
    async def next_roles(self, info: Info) -> list[Role]:
        if self.row.role_id is None:
            return []
        moves = await info.context.loader(framework_queries.moves_from).load(self.row.role_id)
        ids = [m.to_role_id for m in moves if m.kind == "PROMOTION"]
        rows = await info.context.loader(framework_queries.roles_by_id).load_many(ids)
        return [Role.from_row(r) for r in rows if r is not None]

    @strawberry.field(description="People reporting directly to this person, by name. HR record.")
    @paged
    async def direct_reports(self, info: Info, paging: PageArgs) -> Connection[Employee]:
        await _require_record(info, self.pk)
        paging.window(0)  # validate arguments before batching
        return await info.context.loader(_direct_reports).load((self.pk, paging))

    @strawberry.field(
        description="Every change of role, org unit or manager, newest first. HR record."
    )
    async def position_history(self, info: Info) -> list[PositionChange]:
        await _require_record(info, self.pk)
        rows = await info.context.loader(queries.position_history_by_employee).load(self.pk)
        return [PositionChange.from_row(r) for r in rows]

    @strawberry.field(
        description="The person's current level of every competency they have been rated "
        "on, by category and name. Private career data: visible to the person, the managers "
        "above them and HR admins; FORBIDDEN for anyone else. `CurrentProficiency` says "
        "how a level is resolved."
    )
    async def current_proficiencies(self, info: Info) -> list[CurrentProficiencyRef]:
        return await _assessments().current_proficiencies(info, self.pk)

    @strawberry.field(
        description="The person compared with a role's expectations. With `roleId`, that "
        "role (a list of one); without, the current role followed by each next role (empty "
        "without a role). Private career data, like `currentProficiencies`."
    )
    async def gap_analysis(
        self,
        info: Info,
        role_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The role to compare with; any role."),
        ] = None,
    ) -> list[GapAnalysisRef]:
        role = decode_optional(role_id, "Role", "roleId")
        return await _assessments().gap_analyses(info, self.row, role)

    @strawberry.field(
        description="The person's promotion cases the caller may see, newest first: HR "
        "admins and HRIS integrations see all, managers above them and proposers see theirs, "
        "the person sees decided cases (and open ones when the organization's setting says so)."
    )
    async def promotions(self, info: Info) -> list[PromotionRef]:
        return await _promotions().employee_promotions(info, self.pk)

    @strawberry.field(description="How long the person has held their current role. HR record.")
    async def time_in_role(self, info: Info) -> TimeInRoleRef | None:
        await _require_record(info, self.pk)
        return await _promotions().time_in_role(info, self.pk)

    @strawberry.field(
        description="The person's readiness for their next role over time in the current "
        "role, oldest first: recorded whenever their ratings or role change. Private career "
        "data, like `currentProficiencies`."
    )
    async def readiness_history(self, info: Info) -> list[ReadinessPointRef]:
        if not policies.can_see_private(await info.context.reach(), self.pk):
            raise Forbidden()
        return await _promotions().readiness_history(info, self.pk)

    @strawberry.field(
        description="The person's development plans, newest first. Private career data: "
        "the person, the managers above them and HR admins; FORBIDDEN for others."
    )
    async def development_plans(self, info: Info) -> list[DevelopmentPlanRef]:
        return await importlib.import_module(_DEVELOPMENT).employee_plans(info, self.pk)

    @strawberry.field(
        description="What the person wants next. Private career data, like "
        "`currentProficiencies`; also shown to hiring managers when the person is "
        "discoverable (null for them otherwise). Null when none was recorded."
    )
    async def career_aspiration(self, info: Info) -> CareerAspirationRef | None:
        return await _mobility().career_aspiration(info, self.pk)

    @strawberry.field(
        description="The person's applications to postings the caller may see, newest "
        "first (see `Application` for who sees which)."
    )
    async def applications(self, info: Info) -> list[ApplicationRef]:
        return await _mobility().employee_applications(info, self.pk)

    @strawberry.field(
        description="OPEN postings ranked for the person, best match first, with the "
        "explanation: not their own, deadline not passed. Private career data, like "
        "`currentProficiencies`. The score is explained on `PostingMatch.score`."
    )
    async def recommended_postings(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[PostingMatchRef]:
        return await _mobility().recommended_postings(info, self.pk, first, after)


@strawberry.input(description="Narrows the `employees` list; all given conditions must hold.")
class EmployeeFilter:
    org_unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="In this org unit."
    )
    manager_id: strawberry.ID | None = strawberry.field(
        default=None, description="Reporting directly to this employee."
    )
    status: EmployeeStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="With this status (among those whose record the caller sees: the "
        "directory does not show status).",
    )
    role_id: strawberry.ID | None = strawberry.field(default=None, description="In this role.")
    search: str | None = strawberry.field(
        default=None,
        description="Part of the name or title, case-insensitive (at most 100 characters); "
        "also of the email of those whose record the caller sees.",
    )
    updated_since: dt.datetime | None = strawberry.field(
        default=None,
        description="Changed at or after this time (`updatedAt`), to pull changes "
        "incrementally: the list is then ordered by `updatedAt` and ID with stable cursors; "
        "keep the latest `updatedAt` you saw and pass it next time.",
    )


@strawberry.type(description="An organization's people settings.")
class PeopleSettings(RowObject):
    directory_visible: bool = strawberry.field(
        description="Whether every employee sees the directory: the name, title, org unit, "
        "role and manager of everyone still employed (in `employees`, `employee`, "
        "`Role.holders`, `manager`), so colleagues, mentors and the people doing a role can "
        "be found. On by default. Details (email, status, location), the HR record and "
        "private career data (assessments, gaps, plans, aspirations, readiness, pay) never "
        "follow it."
    )
    version: int = strawberry.field(description="Incremented by every change; 0 until changed.")
    updated_at: dt.datetime | None = strawberry.field(
        description="When the settings last changed; null while they are the defaults."
    )

    @classmethod
    def of(cls, found: queries.PeopleSettings) -> PeopleSettings:
        return cls.from_row(found)
