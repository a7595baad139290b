"""Query and Mutation fields of the people domain."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service.auth import policies
from service.errors import Forbidden, UserInputError
from service.graphql.ids import decode_id, decode_optional
from service.graphql.kit import (
    Call,
    change_payload,
    id_input,
    mutation,
    optional_input,
    result_payload,
    service_input,
    unset_input,
)
from service.graphql.lookahead import connection_nodes
from service.graphql.pagination import Connection, PageArgs, paged, paginate, paginate_keyset
from service.kit import NOT_GIVEN
from service.people import queries
from service.people import service as people
from service.people.models import EmployeeStatus as EmployeeStatusValue
from service.people.models import employees
from service.people.types import (
    Employee,
    EmployeeFilter,
    EmployeeStatus,
    OrgUnit,
    PeopleSettings,
)

MAX_SEARCH = 100


@strawberry.type
class PeopleQuery:
    @strawberry.field(
        description="The signed-in employee. Requires `career:employee`, `career:manager` or "
        "`career:admin`; service accounts have none and get a FORBIDDEN error."
    )
    async def me(self, info: Info) -> Employee:
        principal = await info.context.principal()
        if principal.employee_id is None:
            raise Forbidden(
                "`me` is the signed-in employee; this token belongs to a service account."
            )
        # A token must carry a careerpath scope to read even its own employee.
        policies.require_private_reader(principal)
        row = info.context.caller_row or await people.get_employee(
            info.context, principal.employee_id
        )
        assert row is not None
        return Employee.from_row(row)

    @strawberry.field(
        description="One employee by ID; null when unknown or not visible to the caller."
    )
    async def employee(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The employee's global ID.")],
    ) -> Employee | None:
        nodes = await Employee.resolve_nodes(
            info=info, node_ids=[str(decode_id(id, "Employee", "id"))]
        )
        return nodes[0]

    @strawberry.field(
        description="Employees the caller may see, by name (with `updatedSince`: oldest "
        "change first, `updatedAt` then ID, with cursors that hold that key, so people "
        "changed while you page are neither skipped nor repeated): everyone for HR admins "
        "and HRIS integrations; for employees and managers themselves, their reports (all "
        "levels, managers) and, while the directory is open (`peopleSettings`), everyone "
        "still employed, shown by name, title, org unit, role and manager only."
    )
    @paged
    async def employees(
        self,
        info: Info,
        paging: PageArgs,
        filter: Annotated[
            EmployeeFilter | None,
            strawberry.argument(description="Conditions the employees must meet."),
        ] = None,
    ) -> Connection[Employee]:
        policies.require_reader(await info.context.principal())
        f = filter or EmployeeFilter()
        if f.search is not None and len(f.search) > MAX_SEARCH:
            raise UserInputError.one(
                ("filter", "search"), f"is longer than {MAX_SEARCH} characters"
            )
        criteria = queries.EmployeeFilter(
            org_unit_id=decode_optional(f.org_unit_id, "OrgUnit", ("filter", "orgUnitId")),
            manager_id=decode_optional(f.manager_id, "Employee", ("filter", "managerId")),
            status=f.status.value if f.status is not None else None,
            search=f.search.strip() if f.search else None,
            role_id=decode_optional(f.role_id, "Role", ("filter", "roleId")),
            updated_since=f.updated_since,
        )
        reach = await info.context.reach()
        if criteria.updated_since is not None:
            # A feed of changes: oldest change first, with cursors that stay put.
            page = await paginate_keyset(
                info,
                queries.employees_select(reach, criteria).order_by(None),
                (employees.c.updated_at, employees.c.id),
                paging,
                Employee.from_row,
            )
        else:
            page = await paginate(
                info, queries.employees_select(reach, criteria), paging, Employee.from_row
            )
        await Employee.prefetch(info, page.nodes, connection_nodes(info))
        return page

    @strawberry.field(
        description="The organization's people settings, such as whether the directory is "
        "open to every employee. Readable by every caller of the organization."
    )
    async def people_settings(self, info: Info) -> PeopleSettings:
        policies.require_reader(await info.context.principal())
        return PeopleSettings.of(await queries.people_settings_of(info.context))

    @strawberry.field(description="The organization's units, by name.")
    @paged
    async def org_units(
        self,
        info: Info,
        paging: PageArgs,
    ) -> Connection[OrgUnit]:
        policies.require_reader(await info.context.principal())
        return await paginate(info, queries.org_units_select(), paging, OrgUnit.from_row)


# --- mutations --------------------------------------------------------------------------


@strawberry.input(description="A new org unit.")
class CreateOrgUnitInput:
    name: str = strawberry.field(description="Display name (at most 200 characters).")
    external_id: str | None = optional_input("The unit's ID in the HRIS.")
    parent_id: strawberry.ID | None = id_input(
        "OrgUnit", "The unit above; none for a top unit.", default=None
    )


CreateOrgUnitPayload = result_payload(
    "createOrgUnit", "org_unit", OrgUnit, "The new unit; null when refused."
)


@strawberry.input(description="Changes to an org unit; omitted fields stay as they are.")
class UpdateOrgUnitInput:
    id: strawberry.ID = id_input("OrgUnit", "The unit to change.", target=True)
    name: str | None = optional_input("New name.")
    external_id: str | None = optional_input("New HRIS ID.")
    parent_id: strawberry.ID | None = id_input(
        "OrgUnit", "New parent; null makes it a top unit.", default=strawberry.UNSET
    )


UpdateOrgUnitPayload = result_payload(
    "updateOrgUnit", "org_unit", OrgUnit, "The unit after the change."
)


@strawberry.input(description="A new employee. Writes a HIRE entry to their position history.")
class CreateEmployeeInput:
    email: str = strawberry.field(description="Work email, unique in the organization.")
    name: str = strawberry.field(description="Full name (at most 200 characters).")
    title: str | None = optional_input("Job title.")
    external_id: str | None = optional_input("ID in the HRIS, unique.")
    auth_subject: str | None = optional_input(
        "Identity provider subject (`sub`) that signs in as this person."
    )
    org_unit_id: strawberry.ID | None = id_input("OrgUnit", "Org unit.", default=None)
    manager_id: strawberry.ID | None = id_input("Employee", "Manager.", default=None)
    role_id: strawberry.ID | None = id_input(
        "Role", "Current role in the career framework (an active role).", default=None
    )
    location: str | None = optional_input("Work location.")
    hire_date: dt.date | None = optional_input("First day of employment.")
    status: EmployeeStatus | None = optional_input("ACTIVE (default) or ON_LEAVE.")


@strawberry.input(
    description="Changes to an employee; omitted fields stay as they are, null clears."
)
class UpdateEmployeeInput:
    id: strawberry.ID = id_input("Employee", "The employee to change.", target=True)
    version: int | None = optional_input(
        "The `version` you read; the update is refused if it changed since."
    )
    email: str | None = unset_input("Work email.")
    name: str | None = unset_input("Full name.")
    title: str | None = unset_input("Job title.")
    external_id: str | None = unset_input("ID in the HRIS.")
    auth_subject: str | None = unset_input("Identity provider subject.")
    org_unit_id: strawberry.ID | None = id_input(
        "OrgUnit", "Org unit; a change is recorded as a TRANSFER."
    )
    manager_id: strawberry.ID | None = id_input(
        "Employee", "Manager; a change is recorded as a MANAGER_CHANGE."
    )
    role_id: strawberry.ID | None = id_input(
        "Role",
        "Role in the career framework (an active role); a change is recorded in "
        "the position history.",
    )
    location: str | None = unset_input("Work location.")
    hire_date: dt.date | None = unset_input("First day.")
    status: EmployeeStatus | None = unset_input(
        "ACTIVE or ON_LEAVE (use `terminateEmployee` to terminate)."
    )
    effective_date: dt.date | None = optional_input(
        "When a change of unit or manager takes effect (default today)."
    )


@strawberry.input(description="Ends someone's employment. Their record and history are kept.")
class TerminateEmployeeInput:
    id: strawberry.ID = id_input("Employee", "The employee leaving.", target=True)
    termination_date: dt.date = strawberry.field(description="Last day of employment.")
    reason: str | None = optional_input("Why (admins only see it).")
    new_manager_id: strawberry.ID | None = id_input(
        "Employee", "Move the leaver's direct reports to this manager.", default=None
    )


@strawberry.input(description="Changes to the people settings; omitted ones stay.")
class UpdatePeopleSettingsInput:
    directory_visible: bool | None = unset_input(
        "Open (true) or close (false) the directory to every employee."
    )


UpdatePeopleSettingsPayload = result_payload("updatePeopleSettings", "settings", PeopleSettings)


async def _update_people_settings(c: Call) -> Any:
    return await people.update_people_settings(
        c.db, c.principal, directory_visible=c.input.directory_visible
    )


EmployeePayload = change_payload(Employee, "employee")


def _employee_input(data: Any) -> people.EmployeeInput:
    status = NOT_GIVEN if data.status is None else data.status
    return service_input(people.EmployeeInput, data, status=status)


async def _create_org_unit(c: Call) -> Any:
    data = people.OrgUnitInput(c.input.name, c.input.external_id, c.input.parent_id)
    return await people.create_org_unit(c.db, c.principal, data, input_errors=c.errors)


async def _update_org_unit(c: Call) -> Any:
    parent = c.input.parent_id
    data = people.OrgUnitInput(c.input.name, c.input.external_id, parent or None)
    return await people.update_org_unit(
        c.db,
        c.principal,
        c.input.id,
        data,
        set_parent=parent is not NOT_GIVEN,
        input_errors=c.errors,
    )


async def _create_employee(c: Call) -> Any:
    data = _employee_input(c.input)
    if data.status is NOT_GIVEN:
        data.status = EmployeeStatusValue.ACTIVE.value
    return await people.create_employee(c.db, c.principal, data, input_errors=c.errors)


async def _update_employee(c: Call) -> Any:
    return await people.update_employee(
        c.db,
        c.principal,
        c.input.id,
        _employee_input(c.input),
        expected_version=c.input.version,
        effective=c.input.effective_date,
        input_errors=c.errors,
    )


async def _terminate_employee(c: Call) -> Any:
    i = c.input
    return await people.terminate_employee(
        c.db,
        c.principal,
        i.id,
        i.termination_date,
        i.reason,
        i.new_manager_id,
        input_errors=c.errors,
    )


WRITERS = " Requires `career:admin` or `career:hris`."
_writers = partial(mutation, permission=policies.require_people_writer, suffix=WRITERS)


@strawberry.type
class PeopleMutation:
    create_org_unit = _writers(
        "Create an org unit.",
        CreateOrgUnitInput,
        CreateOrgUnitPayload,
        call=_create_org_unit,
    )
    update_org_unit = _writers(
        "Rename or move an org unit.",
        UpdateOrgUnitInput,
        UpdateOrgUnitPayload,
        call=_update_org_unit,
    )
    create_employee = _writers(
        "Add an employee.",
        CreateEmployeeInput,
        EmployeePayload,
        call=_create_employee,
    )
    update_employee = _writers(
        "Change an employee.",
        UpdateEmployeeInput,
        EmployeePayload,
        call=_update_employee,
    )
    update_people_settings = mutation(
        "Change the organization's people settings, e.g. open or close the directory to "
        "every employee. Requires `career:admin` (HR admins); audited.",
        UpdatePeopleSettingsInput,
        UpdatePeopleSettingsPayload,
        permission=policies.require_admin,
        call=_update_people_settings,
    )
    terminate_employee = _writers(
        "Terminate an employee (status TERMINATED, history kept).",
        TerminateEmployeeInput,
        EmployeePayload,
        call=_terminate_employee,
    )
