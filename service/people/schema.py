"""Query and Mutation fields of the people domain."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service.auth import policies
from service.errors import Forbidden, UserInputError, Validator
from service.graphql.errors import UserError, run_mutation
from service.graphql.ids import decode_id, decode_optional
from service.graphql.lookahead import connection_nodes
from service.graphql.pagination import Connection, PageArgs, paginate
from service.people import queries
from service.people import service as people
from service.people.models import EmployeeStatus as EmployeeStatusValue
from service.people.types import (
    Employee,
    EmployeeFilter,
    EmployeeStatus,
    OrgUnit,
    prefetch_employees,
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
        description="Employees the caller may see, by name: everyone for HR admins and HRIS "
        "integrations, the caller and their reports (all levels) for managers, the caller "
        "for employees."
    )
    async def employees(
        self,
        info: Info,
        filter: Annotated[
            EmployeeFilter | None,
            strawberry.argument(description="Conditions the employees must meet."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
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
        )
        reach = await info.context.reach()
        page = await paginate(
            info,
            queries.employees_select(reach, criteria),
            PageArgs(first, after, last, before),
            Employee.from_row,
        )
        await prefetch_employees(info, page.nodes, connection_nodes(info))
        return page

    @strawberry.field(description="The organization's units, by name.")
    async def org_units(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[OrgUnit]:
        policies.require_reader(await info.context.principal())
        return await paginate(
            info, queries.org_units_select(), PageArgs(first, after, last, before), OrgUnit.from_row
        )


# --- mutations --------------------------------------------------------------------------


@strawberry.input(description="A new org unit.")
class CreateOrgUnitInput:
    name: str = strawberry.field(description="Display name (at most 200 characters).")
    external_id: str | None = strawberry.field(
        default=None, description="The unit's ID in the HRIS."
    )
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="The unit above; none for a top unit."
    )


@strawberry.type(description="Result of `createOrgUnit`.")
class CreateOrgUnitPayload:
    org_unit: OrgUnit | None = strawberry.field(description="The new unit; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Changes to an org unit; omitted fields stay as they are.")
class UpdateOrgUnitInput:
    id: strawberry.ID = strawberry.field(description="The unit to change.")
    name: str | None = strawberry.field(default=None, description="New name.")
    external_id: str | None = strawberry.field(default=None, description="New HRIS ID.")
    parent_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="New parent; null makes it a top unit."
    )


@strawberry.type(description="Result of `updateOrgUnit`.")
class UpdateOrgUnitPayload:
    org_unit: OrgUnit | None = strawberry.field(description="The unit after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="A new employee. Writes a HIRE entry to their position history.")
class CreateEmployeeInput:
    email: str = strawberry.field(description="Work email, unique in the organization.")
    name: str = strawberry.field(description="Full name (at most 200 characters).")
    title: str | None = strawberry.field(default=None, description="Job title.")
    external_id: str | None = strawberry.field(default=None, description="ID in the HRIS, unique.")
    auth_subject: str | None = strawberry.field(
        default=None, description="Identity provider subject (`sub`) that signs in as this person."
    )
    org_unit_id: strawberry.ID | None = strawberry.field(default=None, description="Org unit.")
    manager_id: strawberry.ID | None = strawberry.field(default=None, description="Manager.")
    role_id: strawberry.ID | None = strawberry.field(
        default=None, description="Current role in the career framework (an active role)."
    )
    location: str | None = strawberry.field(default=None, description="Work location.")
    hire_date: dt.date | None = strawberry.field(
        default=None, description="First day of employment."
    )
    status: EmployeeStatus | None = strawberry.field(
        default=None, description="ACTIVE (default) or ON_LEAVE."
    )


@strawberry.input(
    description="Changes to an employee; omitted fields stay as they are, null clears."
)
class UpdateEmployeeInput:
    id: strawberry.ID = strawberry.field(description="The employee to change.")
    version: int | None = strawberry.field(
        default=None,
        description="The `version` you read; the update is refused if it changed since.",
    )
    email: str | None = strawberry.field(default=strawberry.UNSET, description="Work email.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Full name.")
    title: str | None = strawberry.field(default=strawberry.UNSET, description="Job title.")
    external_id: str | None = strawberry.field(
        default=strawberry.UNSET, description="ID in the HRIS."
    )
    auth_subject: str | None = strawberry.field(
        default=strawberry.UNSET, description="Identity provider subject."
    )
    org_unit_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Org unit; a change is recorded as a TRANSFER."
    )
    manager_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Manager; a change is recorded as a MANAGER_CHANGE."
    )
    role_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Role in the career framework (an active role); a change is recorded in "
        "the position history.",
    )
    location: str | None = strawberry.field(default=strawberry.UNSET, description="Work location.")
    hire_date: dt.date | None = strawberry.field(default=strawberry.UNSET, description="First day.")
    status: EmployeeStatus | None = strawberry.field(
        default=strawberry.UNSET,
        description="ACTIVE or ON_LEAVE (use `terminateEmployee` to terminate).",
    )
    effective_date: dt.date | None = strawberry.field(
        default=None, description="When a change of unit or manager takes effect (default today)."
    )


@strawberry.input(description="Ends someone's employment. Their record and history are kept.")
class TerminateEmployeeInput:
    id: strawberry.ID = strawberry.field(description="The employee leaving.")
    termination_date: dt.date = strawberry.field(description="Last day of employment.")
    reason: str | None = strawberry.field(default=None, description="Why (admins only see it).")
    new_manager_id: strawberry.ID | None = strawberry.field(
        default=None, description="Move the leaver's direct reports to this manager."
    )


@strawberry.type(description="Result of an employee mutation.")
class EmployeePayload:
    employee: Employee | None = strawberry.field(
        description="The employee after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


def _employee_input(data: Any, v: Validator) -> people.EmployeeInput:
    out = people.EmployeeInput()
    for attr in ("email", "name", "title", "external_id", "auth_subject", "location", "hire_date"):
        value = getattr(data, attr)
        if value is not strawberry.UNSET:
            setattr(out, attr, value)
    for attr, gql, type_name in (
        ("org_unit_id", "orgUnitId", "OrgUnit"),
        ("manager_id", "managerId", "Employee"),
        ("role_id", "roleId", "Role"),
    ):
        value = getattr(data, attr)
        if value is strawberry.UNSET:
            continue
        try:
            setattr(out, attr, decode_optional(value, type_name, ("input", gql)))
        except UserInputError as exc:
            v.errors.extend(exc.errors)
    status = data.status
    if status is not strawberry.UNSET and status is not None:
        out.status = EmployeeStatusValue(status.value).value
    return out


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(
        description="Create an org unit. Requires `career:admin` or `career:hris`."
    )
    async def create_org_unit(
        self,
        info: Info,
        input: Annotated[
            CreateOrgUnitInput, strawberry.argument(description="The change to make.")
        ],
    ) -> CreateOrgUnitPayload:
        async def act() -> Any:
            parent = decode_optional(input.parent_id, "OrgUnit", ("input", "parentId"))
            data = people.OrgUnitInput(
                name=input.name, external_id=input.external_id, parent_id=parent
            )
            return await people.create_org_unit(info.context, await info.context.principal(), data)

        row, errors = await run_mutation(info, act, authorize=policies.require_people_writer)
        return CreateOrgUnitPayload(
            org_unit=OrgUnit.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Rename or move an org unit. Requires `career:admin` or `career:hris`."
    )
    async def update_org_unit(
        self,
        info: Info,
        input: Annotated[
            UpdateOrgUnitInput, strawberry.argument(description="The change to make.")
        ],
    ) -> UpdateOrgUnitPayload:
        async def act() -> Any:
            unit_id = decode_id(input.id, "OrgUnit", ("input", "id"))
            set_parent = input.parent_id is not strawberry.UNSET
            parent = (
                decode_optional(input.parent_id, "OrgUnit", ("input", "parentId"))
                if set_parent
                else None
            )
            data = people.OrgUnitInput(
                name=input.name, external_id=input.external_id, parent_id=parent
            )
            return await people.update_org_unit(
                info.context, await info.context.principal(), unit_id, data, set_parent=set_parent
            )

        row, errors = await run_mutation(info, act, authorize=policies.require_people_writer)
        return UpdateOrgUnitPayload(
            org_unit=OrgUnit.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Add an employee. Requires `career:admin` or `career:hris`.")
    async def create_employee(
        self,
        info: Info,
        input: Annotated[
            CreateEmployeeInput, strawberry.argument(description="The change to make.")
        ],
    ) -> EmployeePayload:
        async def act() -> Any:
            v = Validator()
            data = _employee_input(input, v)
            if data.status is people.UNSET:
                data.status = EmployeeStatusValue.ACTIVE.value
            return await people.create_employee(
                info.context, await info.context.principal(), data, input_errors=v.errors
            )

        row, errors = await run_mutation(info, act, authorize=policies.require_people_writer)
        return EmployeePayload(employee=Employee.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="Change an employee. Requires `career:admin` or `career:hris`."
    )
    async def update_employee(
        self,
        info: Info,
        input: Annotated[
            UpdateEmployeeInput, strawberry.argument(description="The change to make.")
        ],
    ) -> EmployeePayload:
        async def act() -> Any:
            v = Validator()
            employee_id = decode_id(input.id, "Employee", ("input", "id"))
            data = _employee_input(input, v)
            return await people.update_employee(
                info.context,
                await info.context.principal(),
                employee_id,
                data,
                expected_version=input.version,
                effective=input.effective_date,
                input_errors=v.errors,
            )

        row, errors = await run_mutation(info, act, authorize=policies.require_people_writer)
        return EmployeePayload(employee=Employee.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="Terminate an employee (status TERMINATED, history kept). Requires "
        "`career:admin` or `career:hris`."
    )
    async def terminate_employee(
        self,
        info: Info,
        input: Annotated[
            TerminateEmployeeInput, strawberry.argument(description="The change to make.")
        ],
    ) -> EmployeePayload:
        async def act() -> Any:
            employee_id = decode_id(input.id, "Employee", ("input", "id"))
            new_manager = decode_optional(
                input.new_manager_id, "Employee", ("input", "newManagerId")
            )
            return await people.terminate_employee(
                info.context,
                await info.context.principal(),
                employee_id,
                input.termination_date,
                input.reason,
                new_manager,
            )

        row, errors = await run_mutation(info, act, authorize=policies.require_people_writer)
        return EmployeePayload(employee=Employee.from_row(row) if row else None, user_errors=errors)
