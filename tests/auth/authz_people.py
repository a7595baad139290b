"""Authorization matrix entries of the people domain (see tests/authz_matrix.py)."""

from __future__ import annotations

import secrets

from tests.authz_matrix import (
    FORBIDDEN,
    HIDDEN,
    PEOPLE_WRITE,
    PERSON,
    PERSON_FIELDS,
    SUBJECT_READ,
    UNAUTHENTICATED,
    Entry,
    Op,
    PersonInput,
    Result,
    Row,
    View,
    World,
    allowed,
    person_in,
    shows,
)

EMPLOYEE_FIELDS = "id name email"


def node(w: World) -> Op:
    return Op(
        "query($id: ID!) { node(id: $id) { id ... on Employee { name email } } }",
        {"id": w.gid("Employee", w.subject)},
    )


def nodes(w: World) -> Op:
    return Op(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Employee { name email } } }",
        {"ids": [w.gid("Employee", w.subject), w.gid("Employee", w.subject)]},
    )


def me(w: World) -> Op:
    return Op(f"{{ me {{ {EMPLOYEE_FIELDS} }} }}")


def is_the_caller(result: Result) -> None:
    assert result.value["email"] == result.world.email_of(result.row)


def employee(w: World) -> Op:
    return Op(
        f"query($id: ID!) {{ employee(id: $id) {{ {EMPLOYEE_FIELDS} }} }}",
        {"id": w.gid("Employee", w.subject)},
    )


def employees(w: World) -> Op:
    return Op(f"{{ employees(first: 100) {{ nodes {{ {EMPLOYEE_FIELDS} }} }} }}")


def org_units(w: World) -> Op:
    return Op("{ orgUnits(first: 100) { nodes { id name } } }")


def unit_markers(w: World) -> set[str]:
    return w.markers("OrgUnit", w.unit)


def shows_unit(result: Result) -> None:
    names = [n["name"] for n in result.value["nodes"]]
    assert result.world.unit.name in names


def create_org_unit(w: World) -> Op:
    return Op(
        "mutation($i: CreateOrgUnitInput!) { createOrgUnit(input: $i) "
        "{ orgUnit { id name } userErrors { field code } } }",
        {"i": {"name": "Design"}},
    )


def update_org_unit(w: World) -> Op:
    return Op(
        "mutation($i: UpdateOrgUnitInput!) { updateOrgUnit(input: $i) "
        "{ orgUnit { id } userErrors { field code } } }",
        {"i": {"id": w.gid("OrgUnit", w.unit), "name": "Platform"}},
    )


def create_employee(w: World) -> Op:
    return Op(
        "mutation($i: CreateEmployeeInput!) { createEmployee(input: $i) "
        "{ employee { id name } userErrors { field code } } }",
        {"i": {"email": f"new-{secrets.token_hex(4)}@example.test", "name": "Nia New"}},
    )


def update_employee(w: World) -> Op:
    return Op(
        "mutation($i: UpdateEmployeeInput!) { updateEmployee(input: $i) "
        "{ employee { id title } userErrors { field code } } }",
        {"i": {"id": w.gid("Employee", w.subject), "title": "Staff Engineer"}},
    )


def terminate_employee(w: World) -> Op:
    return Op(
        "mutation($i: TerminateEmployeeInput!) { terminateEmployee(input: $i) "
        "{ employee { id status } userErrors { field code } } }",
        {"i": {"id": w.gid("Employee", w.subject), "terminationDate": "2030-01-31"}},
    )


AUTHZ = {
    "Query.node": Entry(node, SUBJECT_READ),
    "Query.nodes": Entry(nodes, SUBJECT_READ),
    "Query.me": Entry(
        me,
        {
            Row.ANONYMOUS: UNAUTHENTICATED,
            Row.SELF: allowed(is_the_caller),
            Row.OTHER_EMPLOYEE: allowed(is_the_caller),
            Row.MANAGER_OF: allowed(is_the_caller),
            Row.MANAGER_NOT_OF: allowed(is_the_caller),
            Row.ADMIN: allowed(is_the_caller),
            Row.SERVICE_ACCOUNT: FORBIDDEN,
            Row.OTHER_ORG: allowed(is_the_caller),
        },
    ),
    "Query.employee": Entry(employee, SUBJECT_READ),
    "Query.employees": Entry(employees, SUBJECT_READ),
    "Query.orgUnits": Entry(
        org_units,
        {
            **{row: allowed(shows_unit) for row in Row},
            Row.ANONYMOUS: UNAUTHENTICATED,
            Row.OTHER_ORG: HIDDEN,
        },
        subject=unit_markers,
    ),
    "Mutation.createOrgUnit": Entry(create_org_unit, PEOPLE_WRITE),
    "Mutation.updateOrgUnit": Entry(update_org_unit, PEOPLE_WRITE, subject=unit_markers),
    "Mutation.createEmployee": Entry(create_employee, PEOPLE_WRITE),
    "Mutation.updateEmployee": Entry(update_employee, PEOPLE_WRITE),
    "Mutation.terminateEmployee": Entry(terminate_employee, PEOPLE_WRITE),
}

NODES = {
    "Employee": lambda w: w.gid("Employee", w.subject),
    "OrgUnit": lambda w: w.gid("OrgUnit", w.unit),
}

PERSON_INPUTS = {
    "Mutation.createEmployee input.managerId": PersonInput(
        (person_in(create_employee, managerId=PERSON),)
    ),
    "Mutation.updateEmployee input.id": PersonInput((person_in(update_employee, id=PERSON),)),
    "Mutation.updateEmployee input.managerId": PersonInput(
        (person_in(update_employee, managerId=PERSON),)
    ),
    "Mutation.terminateEmployee input.id": PersonInput((person_in(terminate_employee, id=PERSON),)),
    "Mutation.terminateEmployee input.newManagerId": PersonInput(
        (person_in(terminate_employee, newManagerId=PERSON),)
    ),
}


def management_chain(w: World) -> Op:
    return Op(
        f"query($id: ID!) {{ employee(id: $id) {{ name manager {{ {PERSON_FIELDS} "
        f"manager {{ {PERSON_FIELDS} }} }} }} }}",
        {"id": w.gid("Employee", w.subject)},
    )


def position_history(w: World) -> Op:
    return Op(
        f"query($id: ID!) {{ employee(id: $id) {{ positionHistory {{ kind "
        f"manager {{ {PERSON_FIELDS} }} previousManager {{ {PERSON_FIELDS} }} }} }} }}",
        {"id": w.gid("Employee", w.subject)},
    )


FULL, NAMED = View.FULL, View.NAMED
MANAGER = "employee.manager"
HIRE = "employee.positionHistory.0.manager"
#: Alice's manager Max and his manager Bea, seen from each row.
CHAIN = {
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: shows({MANAGER: ("manager", NAMED), f"{MANAGER}.manager": ("boss", NAMED)}),
    Row.OTHER_EMPLOYEE: HIDDEN,
    Row.MANAGER_OF: shows({MANAGER: ("manager", FULL), f"{MANAGER}.manager": ("boss", NAMED)}),
    Row.MANAGER_NOT_OF: HIDDEN,
    Row.ADMIN: shows({MANAGER: ("manager", FULL), f"{MANAGER}.manager": ("boss", FULL)}),
    Row.SERVICE_ACCOUNT: shows({MANAGER: ("manager", FULL), f"{MANAGER}.manager": ("boss", FULL)}),
    Row.OTHER_ORG: HIDDEN,
}
#: Alice's hire, under Max (the HR record: herself, her managers, admins, HRIS).
HIRED_UNDER = {
    **{row: HIDDEN for row in Row},
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: shows({HIRE: ("manager", NAMED)}),
    Row.MANAGER_OF: shows({HIRE: ("manager", FULL)}),
    Row.ADMIN: shows({HIRE: ("manager", FULL)}),
    Row.SERVICE_ACCOUNT: shows({HIRE: ("manager", FULL)}),
}

RELATIONS = {
    "Employee.manager": Entry(management_chain, CHAIN),
    "PositionChange.manager": Entry(position_history, HIRED_UNDER),
    "PositionChange.previousManager": Entry(position_history, HIRED_UNDER),
}
