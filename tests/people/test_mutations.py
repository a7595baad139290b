"""Org unit and employee mutations: happy paths, refused input with nothing written, denials."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from service.audit.models import audit_events
from service.people.models import employees, position_history
from tests.conftest import Org, gid

ADMIN = {"as_": "admin", "scopes": "career:admin"}

CREATE = """
mutation($input: CreateEmployeeInput!) {
  createEmployee(input: $input) {
    employee { id name email status hireDate manager { name } positionHistory { kind effectiveDate } }
    userErrors { field message code }
  }
}
"""

UPDATE = """
mutation($input: UpdateEmployeeInput!) {
  updateEmployee(input: $input) {
    employee { name version manager { name } orgUnit { name } positionHistory { kind } }
    userErrors { field message code }
  }
}
"""

TERMINATE = """
mutation($input: TerminateEmployeeInput!) {
  terminateEmployee(input: $input) {
    employee { status terminationDate terminationReason }
    userErrors { field message code }
  }
}
"""

CREATE_UNIT = """
mutation($input: CreateOrgUnitInput!) {
  createOrgUnit(input: $input) { orgUnit { id name parent { name } } userErrors { field message code } }
}
"""

UPDATE_UNIT = """
mutation($input: UpdateOrgUnitInput!) {
  updateOrgUnit(input: $input) { orgUnit { name parent { name } } userErrors { field message code } }
}
"""


async def counts(org: Org) -> tuple[int, int, int]:
    async with org.runtime.db.transaction(org.id) as conn:
        return (
            (await conn.execute(select(func.count()).select_from(employees))).scalar_one(),
            (await conn.execute(select(func.count()).select_from(position_history))).scalar_one(),
            (await conn.execute(select(func.count()).select_from(audit_events))).scalar_one(),
        )


def payload(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"][name]  # type: ignore[no-any-return]


async def test_create_employee_writes_hire_history_and_audit(team: Org) -> None:
    before = await counts(team)
    body = await team.gql(
        CREATE,
        {
            "input": {
                "email": "dora@x.example",
                "name": " Dora Diaz ",
                "hireDate": "2024-02-01",
                "managerId": gid("Employee", team.people["manager"]),
            }
        },
        **ADMIN,
    )
    created = payload(body, "createEmployee")
    assert created["userErrors"] == []
    assert created["employee"]["name"] == "Dora Diaz"
    assert created["employee"]["status"] == "ACTIVE"
    assert created["employee"]["manager"] == {"name": "Max Manager"}
    assert created["employee"]["positionHistory"] == [
        {"kind": "HIRE", "effectiveDate": "2024-02-01"}
    ]
    assert await counts(team) == (before[0] + 1, before[1] + 1, before[2] + 1)


async def test_create_employee_reports_every_problem_and_writes_nothing(team: Org) -> None:
    before = await counts(team)
    body = await team.gql(
        CREATE,
        {
            "input": {
                "email": "ALICE@" + team.slug + ".example",
                "name": "  ",
                "hireDate": "1850-01-01",
                "managerId": gid("Employee", team.people["alice"])[:-4] + "AAAA",
                "title": "t" * 201,
            }
        },
        **ADMIN,
    )
    result = payload(body, "createEmployee")
    assert result["employee"] is None
    assert {(tuple(e["field"]), e["code"]) for e in result["userErrors"]} == {
        ("input", "managerId"): "INVALID",
        ("input", "email"): "TAKEN",
        ("input", "name"): "REQUIRED",
        ("input", "title"): "TOO_LONG",
        ("input", "hireDate"): "INVALID",
    }.items()
    assert await counts(team) == before


async def test_create_employee_rejects_bad_email_unknown_manager_and_duplicate_ids(
    team: Org,
) -> None:
    cases = [
        ({"email": "not-an-email", "name": "X"}, ["input", "email"], "INVALID"),
        (
            {"email": "x@y.example", "name": "X", "managerId": "garbage"},
            ["input", "managerId"],
            "INVALID",
        ),
        (
            {"email": "x@y.example", "name": "X", "authSubject": team.people["bob"].auth_subject},
            ["input", "authSubject"],
            "TAKEN",
        ),
    ]
    for data, field, code in cases:
        result = payload(await team.gql(CREATE, {"input": data}, **ADMIN), "createEmployee")
        assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(field, code)], data
    unit_id = gid("OrgUnit", team.people["bob"])
    result = payload(
        await team.gql(
            CREATE, {"input": {"email": "z@y.example", "name": "Z", "orgUnitId": unit_id}}, **ADMIN
        ),
        "createEmployee",
    )
    assert result["userErrors"] == [
        {"field": ["input", "orgUnitId"], "message": "no such org unit", "code": "NOT_FOUND"}
    ]


async def test_employee_and_manager_tokens_cannot_write(team: Org) -> None:
    before = await counts(team)
    for as_, scopes in (("alice", "career:employee"), ("boss", "career:employee career:manager")):
        body = await team.gql(
            CREATE, {"input": {"email": "q@q.example", "name": "Q"}}, as_=as_, scopes=scopes
        )
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await counts(team) == before


async def test_update_manager_records_history_and_bumps_version(team: Org) -> None:
    bob = gid("Employee", team.people["bob"])
    body = await team.gql(
        UPDATE,
        {"input": {"id": bob, "version": 1, "managerId": gid("Employee", team.people["manager2"])}},
        **ADMIN,
    )
    result = payload(body, "updateEmployee")
    assert result["userErrors"] == []
    assert result["employee"]["manager"] == {"name": "Mia Second"}
    assert result["employee"]["version"] == 2
    assert [p["kind"] for p in result["employee"]["positionHistory"]] == ["MANAGER_CHANGE", "HIRE"]
    # The same stale version is now refused.
    body = await team.gql(UPDATE, {"input": {"id": bob, "version": 1, "name": "Robert"}}, **ADMIN)
    assert payload(body, "updateEmployee")["userErrors"][0]["code"] == "STALE_VERSION"


async def test_update_refuses_reporting_cycles_and_self_management(team: Org) -> None:
    boss = gid("Employee", team.people["boss"])
    for manager in ("alice", "boss"):
        body = await team.gql(
            UPDATE,
            {"input": {"id": boss, "managerId": gid("Employee", team.people[manager])}},
            **ADMIN,
        )
        errors = payload(body, "updateEmployee")["userErrors"]
        assert errors == [
            {
                "field": ["input", "managerId"],
                "message": "would create a reporting cycle",
                "code": "CYCLE",
            }
        ]


async def test_update_clears_fields_with_null_and_refuses_termination_by_status(team: Org) -> None:
    alice = gid("Employee", team.people["alice"])
    body = await team.gql(UPDATE, {"input": {"id": alice, "managerId": None}}, **ADMIN)
    assert payload(body, "updateEmployee")["employee"]["manager"] is None
    body = await team.gql(UPDATE, {"input": {"id": alice, "status": "TERMINATED"}}, **ADMIN)
    assert payload(body, "updateEmployee")["userErrors"][0]["message"] == (
        "use terminateEmployee to terminate an employee"
    )


async def test_terminate_moves_reports_and_refuses_twice(team: Org) -> None:
    manager = gid("Employee", team.people["manager"])
    body = await team.gql(
        TERMINATE,
        {
            "input": {
                "id": manager,
                "terminationDate": "2026-01-31",
                "reason": "Moved abroad",
                "newManagerId": gid("Employee", team.people["boss"]),
            }
        },
        **ADMIN,
    )
    result = payload(body, "terminateEmployee")
    assert result == {
        "employee": {
            "status": "TERMINATED",
            "terminationDate": "2026-01-31",
            "terminationReason": "Moved abroad",
        },
        "userErrors": [],
    }
    body = await team.gql("{ me { manager { name } } }", as_="alice")
    assert body["data"]["me"]["manager"] == {"name": "Bea Boss"}
    body = await team.gql(
        TERMINATE, {"input": {"id": manager, "terminationDate": "2026-02-01"}}, **ADMIN
    )
    assert payload(body, "terminateEmployee")["userErrors"][0]["code"] == "INVALID_STATE"
    # A terminated employee's token no longer works.
    body = await team.gql("{ me { name } }", as_="manager", expect_status=401)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_terminate_before_hire_date_is_refused(team: Org) -> None:
    body = await team.gql(
        CREATE, {"input": {"email": "h@h.example", "name": "H", "hireDate": "2025-05-01"}}, **ADMIN
    )
    new_id = payload(body, "createEmployee")["employee"]["id"]
    body = await team.gql(
        TERMINATE, {"input": {"id": new_id, "terminationDate": "2025-04-30"}}, **ADMIN
    )
    assert payload(body, "terminateEmployee")["userErrors"] == [
        {
            "field": ["input", "terminationDate"],
            "message": "is before the hire date",
            "code": "INVALID",
        }
    ]


async def test_org_units_create_move_and_refuse_cycles(team: Org) -> None:
    body = await team.gql(
        CREATE_UNIT, {"input": {"name": "Engineering", "externalId": "ENG"}}, **ADMIN
    )
    eng = payload(body, "createOrgUnit")["orgUnit"]
    body = await team.gql(
        CREATE_UNIT, {"input": {"name": "Platform", "parentId": eng["id"]}}, **ADMIN
    )
    platform = payload(body, "createOrgUnit")["orgUnit"]
    assert platform["parent"] == {"name": "Engineering"}
    body = await team.gql(CREATE_UNIT, {"input": {"name": "Dup", "externalId": "ENG"}}, **ADMIN)
    assert payload(body, "createOrgUnit")["userErrors"][0]["code"] == "TAKEN"
    body = await team.gql(
        UPDATE_UNIT, {"input": {"id": eng["id"], "parentId": platform["id"]}}, **ADMIN
    )
    assert payload(body, "updateOrgUnit")["userErrors"] == [
        {
            "field": ["input", "parentId"],
            "message": "would put the unit inside itself",
            "code": "CYCLE",
        }
    ]
    body = await team.gql(
        UPDATE_UNIT,
        {"input": {"id": platform["id"], "parentId": None, "name": "Platform Eng"}},
        **ADMIN,
    )
    assert payload(body, "updateOrgUnit")["orgUnit"] == {"name": "Platform Eng", "parent": None}


async def test_an_id_of_another_type_is_a_user_error_at_its_field(team: Org) -> None:
    eng = payload(
        await team.gql(CREATE_UNIT, {"input": {"name": "Engineering"}}, **ADMIN), "createOrgUnit"
    )["orgUnit"]
    employee_id = gid("Employee", team.people["alice"])
    for parent in (employee_id, "Employee:", "not an ID"):
        created = payload(
            await team.gql(CREATE_UNIT, {"input": {"name": "X", "parentId": parent}}, **ADMIN),
            "createOrgUnit",
        )
        assert created["orgUnit"] is None
        assert [(e["field"], e["code"]) for e in created["userErrors"]] == [
            (["input", "parentId"], "INVALID")
        ], created
        moved = payload(
            await team.gql(UPDATE_UNIT, {"input": {"id": eng["id"], "parentId": parent}}, **ADMIN),
            "updateOrgUnit",
        )
        assert [(e["field"], e["code"]) for e in moved["userErrors"]] == [
            (["input", "parentId"], "INVALID")
        ], moved
    # The same for the manager who takes over a leaver's reports; nobody leaves.
    for new_manager in (eng["id"], "not an ID"):
        body = await team.gql(
            TERMINATE,
            {
                "input": {
                    "id": gid("Employee", team.people["manager"]),
                    "terminationDate": "2026-01-31",
                    "newManagerId": new_manager,
                }
            },
            **ADMIN,
        )
        refused = payload(body, "terminateEmployee")
        assert refused["employee"] is None
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
            (["input", "newManagerId"], "INVALID")
        ], refused


async def test_only_the_failing_mutation_of_a_request_is_rolled_back(team: Org) -> None:
    before = await counts(team)
    body = await team.gql(
        """mutation {
          ok: createEmployee(input: {email: "ok@x.example", name: "Okay"}) { userErrors { code } }
          bad: createEmployee(input: {email: "ok@x.example", name: "Dup"}) { userErrors { code } }
        }""",
        **ADMIN,
    )
    assert body["data"] == {"ok": {"userErrors": []}, "bad": {"userErrors": [{"code": "TAKEN"}]}}
    assert (await counts(team))[0] == before[0] + 1


async def test_a_caller_who_may_not_write_is_forbidden_before_input_is_checked(team: Org) -> None:
    body = await team.gql(UPDATE, {"input": {"id": "not-an-id", "name": "X"}}, as_="alice")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
