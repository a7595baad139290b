"""Authorization matrix entries of the people domain (see tests/authz_matrix.py)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import update

from service.graphql.ids import parse_global_id
from service.people.models import employees as employees_table
from tests.authz_matrix import (
    ADMIN_ONLY_WRITE,
    FORBIDDEN,
    HIDDEN,
    PEOPLE_WRITE,
    PERSON,
    PERSON_FIELDS,
    SUBJECT_READ,
    UNAUTHENTICATED,
    Allowed,
    Entry,
    Op,
    Outcome,
    PersonInput,
    Result,
    Row,
    SeesSubject,
    View,
    World,
    allowed,
    person_in,
    shows,
)
from tests.framework.authz import framework

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


#: With the directory open, colleagues outside the subject's reach see her by name: her
#: email (and every other detail) is refused to them.
DIRECTORY_READ = {
    **SUBJECT_READ,
    Row.OTHER_EMPLOYEE: SeesSubject(View.NAMED),
    Row.MANAGER_NOT_OF: SeesSubject(View.NAMED),
}
#: A list of everyone: with the directory open the callers who see the subject in full
#: also see others by name only (FORBIDDEN for their details).
DIRECTORY_LIST = {
    **DIRECTORY_READ,
    Row.SELF: SeesSubject(View.FULL),
    Row.MANAGER_OF: SeesSubject(View.FULL),
}


def people_settings(w: World) -> Op:
    return Op("{ peopleSettings { directoryVisible version } }")


def directory_open(result: Result) -> None:
    assert result.value["directoryVisible"] is True, result.body


def directory_closed(result: Result) -> None:
    assert result.value["directoryVisible"] is False, result.body


def settings_read(check: Any) -> dict[Row, Outcome]:
    return {
        **{row: Allowed(check, writes=False) for row in Row},
        Row.ANONYMOUS: UNAUTHENTICATED,
        Row.OTHER_ORG: allowed(directory_open),  # its own organization's
    }


def update_people_settings(w: World) -> Op:
    return Op(
        "mutation($i: UpdatePeopleSettingsInput!) { updatePeopleSettings(input: $i) "
        "{ settings { directoryVisible } userErrors { field code } } }",
        {"i": {"directoryVisible": False}},
    )


AUTHZ = {
    "Query.node": Entry(node, DIRECTORY_READ, directory_off=SUBJECT_READ),
    "Query.nodes": Entry(nodes, DIRECTORY_READ, directory_off=SUBJECT_READ),
    "Query.peopleSettings": Entry(
        people_settings,
        settings_read(directory_open),
        directory_off=settings_read(directory_closed),
    ),
    "Mutation.updatePeopleSettings": Entry(update_people_settings, ADMIN_ONLY_WRITE),
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
    "Query.employee": Entry(employee, DIRECTORY_READ, directory_off=SUBJECT_READ),
    "Query.employees": Entry(employees, DIRECTORY_LIST, directory_off=SUBJECT_READ),
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
#: With the directory open, colleagues see Alice's manager and his manager by name.
CHAIN_IN_DIRECTORY = {
    **CHAIN,
    Row.OTHER_EMPLOYEE: shows({MANAGER: ("manager", NAMED), f"{MANAGER}.manager": ("boss", NAMED)}),
    Row.MANAGER_NOT_OF: shows({MANAGER: ("manager", NAMED), f"{MANAGER}.manager": ("boss", NAMED)}),
}
#: Alice's HR record through the directory: she is found, her history is refused.
RECORD_REFUSED = {Row.OTHER_EMPLOYEE: FORBIDDEN, Row.MANAGER_NOT_OF: FORBIDDEN}
#: Alice's hire, under Max (the HR record: herself, her managers, admins, HRIS).
HIRED_UNDER = {
    **{row: HIDDEN for row in Row},
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: shows({HIRE: ("manager", NAMED)}),
    Row.MANAGER_OF: shows({HIRE: ("manager", FULL)}),
    Row.ADMIN: shows({HIRE: ("manager", FULL)}),
    Row.SERVICE_ACCOUNT: shows({HIRE: ("manager", FULL)}),
}


async def role_holders(w: World) -> Op:
    """The researcher role, held by Bob (set once per world)."""
    role = (await framework(w))["Role:researcher"]
    async with w.org.runtime.db.transaction(w.org.id) as conn:
        await conn.execute(
            update(employees_table)
            .where(employees_table.c.id == w.org.people["bob"].id)
            .values(role_id=parse_global_id(role)[1])  # type: ignore[index]
        )
    return Op(
        "query($id: ID!) { node(id: $id) { ... on Role { holders(first: 20) "
        f"{{ nodes {{ {PERSON_FIELDS} }} }} }} }} }}",
        {"id": role},
    )


def bob_markers(w: World) -> set[str]:
    return w.markers("Employee", w.org.people["bob"])


HOLDER = "node.holders.nodes.0"
#: Bob holds the role: with the directory open everyone in the organization finds him by
#: name; without, those who reach him (himself, his manager, admins, HRIS).
HOLDERS = {
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: shows({HOLDER: ("bob", NAMED)}),
    Row.OTHER_EMPLOYEE: shows({HOLDER: ("bob", FULL)}),
    Row.MANAGER_OF: shows({HOLDER: ("bob", FULL)}),
    Row.MANAGER_NOT_OF: shows({HOLDER: ("bob", NAMED)}),
    Row.ADMIN: shows({HOLDER: ("bob", FULL)}),
    Row.SERVICE_ACCOUNT: shows({HOLDER: ("bob", FULL)}),
    Row.OTHER_ORG: HIDDEN,
}


def reports_of_manager(w: World) -> Op:
    return Op(
        "query($id: ID!) { employee(id: $id) { directReports(first: 20) "
        f"{{ nodes {{ {PERSON_FIELDS} }} }} }} }}",
        {"id": w.gid("Employee", w.org.people["manager"])},
    )


REPORTS = "employee.directReports.nodes"
#: Max's reports, Alice and Bob: his HR record (himself, admins, HRIS); his reports see
#: him as their manager, and with the directory open so does everyone, but not his team.
TEAM_OF_MANAGER = {
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: FORBIDDEN,
    Row.OTHER_EMPLOYEE: FORBIDDEN,
    Row.MANAGER_OF: shows({f"{REPORTS}.0": ("alice", FULL), f"{REPORTS}.1": ("bob", FULL)}),
    Row.MANAGER_NOT_OF: FORBIDDEN,
    Row.ADMIN: shows({f"{REPORTS}.0": ("alice", FULL), f"{REPORTS}.1": ("bob", FULL)}),
    Row.SERVICE_ACCOUNT: shows({f"{REPORTS}.0": ("alice", FULL), f"{REPORTS}.1": ("bob", FULL)}),
    Row.OTHER_ORG: HIDDEN,
}

RELATIONS = {
    "Employee.directReports": Entry(
        reports_of_manager,
        TEAM_OF_MANAGER,
        directory_off={**TEAM_OF_MANAGER, Row.MANAGER_NOT_OF: HIDDEN},
    ),
    "Employee.manager": Entry(management_chain, CHAIN_IN_DIRECTORY, directory_off=CHAIN),
    "PositionChange.manager": Entry(
        position_history, {**HIRED_UNDER, **RECORD_REFUSED}, directory_off=HIRED_UNDER
    ),
    "PositionChange.previousManager": Entry(
        position_history, {**HIRED_UNDER, **RECORD_REFUSED}, directory_off=HIRED_UNDER
    ),
    "Role.holders": Entry(
        role_holders,
        HOLDERS,
        subject=bob_markers,
        directory_off={**HOLDERS, Row.SELF: HIDDEN, Row.MANAGER_NOT_OF: HIDDEN},
    ),
}
