"""Authorization matrix entries of the HRIS sync (see tests/authz_matrix.py): HR admins and
HRIS integrations sync; employees and managers are refused; another organization's caller
syncs into its own organization and sees nothing of this one."""

from __future__ import annotations

from tests.authz_matrix import (
    FORBIDDEN,
    HIDDEN,
    PEOPLE_WRITE,
    PERSON_FIELDS,
    UNAUTHENTICATED,
    Allowed,
    Entry,
    Op,
    Result,
    Row,
    View,
    World,
    allowed,
    shows,
)
from tests.people.sync_helpers import SYNC_EMPLOYEES, SYNC_UNITS


def sync_units(w: World) -> Op:
    return Op(SYNC_UNITS, {"input": {"units": [{"externalId": "U-SYNC", "name": "Synced"}]}})


def sync_employees(w: World) -> Op:
    record = {"externalId": "E-SYNC", "name": "Sam Synced", "email": "sam.synced@example.com"}
    return Op(SYNC_EMPLOYEES, {"input": {"employees": [record]}})


def created(result: Result) -> None:
    assert [r["status"] for r in result.value["results"]] == ["CREATED"], result.body
    assert result.value["applied"] is True


SYNC_WRITE = {
    **PEOPLE_WRITE,
    Row.ADMIN: allowed(created),
    Row.SERVICE_ACCOUNT: allowed(created),
}


def position_changes(w: World) -> Op:
    return Op("{ positionChanges(first: 100) { nodes { kind employee { id email } } } }")


def shows_subjects_hire(result: Result) -> None:
    gid = result.world.gid("Employee", result.world.subject)
    hires = [n for n in result.value["nodes"] if (n["employee"] or {}).get("id") == gid]
    assert [n["kind"] for n in hires] == ["HIRE"], result.body


READ_CHANGES = {
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: FORBIDDEN,
    Row.OTHER_EMPLOYEE: FORBIDDEN,
    Row.MANAGER_OF: FORBIDDEN,
    Row.MANAGER_NOT_OF: FORBIDDEN,
    Row.ADMIN: Allowed(shows_subjects_hire, writes=False),
    Row.SERVICE_ACCOUNT: Allowed(shows_subjects_hire, writes=False),
    Row.OTHER_ORG: HIDDEN,
}

AUTHZ = {
    "Query.positionChanges": Entry(position_changes, READ_CHANGES),
    "Mutation.syncOrgUnits": Entry(sync_units, SYNC_WRITE),
    "Mutation.syncEmployees": Entry(sync_employees, SYNC_WRITE),
}


def history_of_subject(w: World) -> Op:
    return Op(
        f"query($id: ID!) {{ employee(id: $id) {{ positionHistory {{ kind "
        f"employee {{ {PERSON_FIELDS} }} }} }} }}",
        {"id": w.gid("Employee", w.subject)},
    )


SUBJECT_HIRE = "employee.positionHistory.0.employee"
#: Alice herself, through her own hire entry: whoever may see her history sees her record.
HIRE_OF_SUBJECT = {
    **{row: HIDDEN for row in Row},
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: shows({SUBJECT_HIRE: ("alice", View.FULL)}),
    Row.MANAGER_OF: shows({SUBJECT_HIRE: ("alice", View.FULL)}),
    Row.ADMIN: shows({SUBJECT_HIRE: ("alice", View.FULL)}),
    Row.SERVICE_ACCOUNT: shows({SUBJECT_HIRE: ("alice", View.FULL)}),
}

#: With the directory open, colleagues find Alice, and her history is refused to them.
HIRE_IN_DIRECTORY = {
    **HIRE_OF_SUBJECT,
    Row.OTHER_EMPLOYEE: FORBIDDEN,
    Row.MANAGER_NOT_OF: FORBIDDEN,
}

RELATIONS = {
    "PositionChange.employee": Entry(
        history_of_subject, HIRE_IN_DIRECTORY, directory_off=HIRE_OF_SUBJECT
    )
}
