"""The policy module: reach, field-level rules, denials that give nothing away."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from service.auth import policies
from service.auth.principal import ActorType, Principal
from service.auth.scopes import Scope
from service.errors import Forbidden, Unauthenticated
from tests.auth.helpers import add_service_account, client_token
from tests.conftest import Org, gid

ME, REPORT, PEER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def principal(*scopes: Scope, employee: uuid.UUID | None = ME) -> Principal:
    return Principal(
        org_id=uuid.uuid4(),
        subject="s",
        scopes=frozenset(scopes),
        actor_type=ActorType.EMPLOYEE if employee else ActorType.SERVICE_ACCOUNT,
        employee_id=employee,
    )


def test_scope_is_necessary() -> None:
    with pytest.raises(Unauthenticated):
        policies.require_reader(None)
    with pytest.raises(Forbidden):
        policies.require_reader(principal(Scope.WEBHOOKS))
    with pytest.raises(Forbidden):
        policies.require_people_writer(principal(Scope.EMPLOYEE, Scope.MANAGER))
    with pytest.raises(Forbidden):
        policies.require_admin(principal(Scope.HRIS))
    assert policies.require_admin(principal(Scope.ADMIN)).has(Scope.ADMIN)
    assert policies.require_people_writer(principal(Scope.HRIS)).has("career:hris")


def test_private_career_data_is_for_self_managers_above_and_admins_only() -> None:
    manager = policies.Reach(everyone=False, private=frozenset({ME, REPORT}), profile=frozenset())
    hris = policies.Reach(everyone=True, private=frozenset(), profile=frozenset())
    admin = policies.Reach(everyone=True, private=frozenset(), profile=frozenset(), admin=True)
    employee = policies.Reach(everyone=False, private=frozenset({ME}), profile=frozenset({PEER}))

    assert policies.can_see_private(manager, REPORT)
    assert policies.can_see_private(manager, ME)
    assert not policies.can_see_private(manager, PEER)
    assert policies.can_see_private(admin, PEER)
    # HRIS integrations sync records; they do not read career conversations.
    assert hris.sees_record(PEER)
    assert not policies.can_see_private(hris, PEER)
    # The management chain above is visible by name only.
    assert employee.sees_profile(PEER)
    assert not employee.sees_record(PEER)
    assert not policies.can_see_private(employee, PEER)
    assert policies.can_see_termination_reason(admin)
    assert not policies.can_see_termination_reason(hris)


async def test_principal_and_reach_are_computed_once_per_request(
    team: Org, count_statements: Any
) -> None:
    await team.close_directory()  # what each caller reaches without the directory
    for i in range(10):
        await team.employee(f"report{i}", manager="alice")
    token = team.token("boss", "career:employee career:manager")
    query = """
    { me { directReports { nodes { name manager { name }
        directReports(first: 50) { nodes { name positionHistory { kind manager { name } } } } } } }
      employees(first: 50) { totalCount nodes { name manager { name } } } }
    """
    with count_statements() as counter:
        body = await team.gql(query, token=token)
    assert "errors" not in body, body
    assert body["data"]["employees"]["totalCount"] == 16
    # The caller and their reach are each looked up once, however many resolvers ask.
    assert sum("FROM organizations" in s for s in counter.statements) == 1, counter.statements
    assert sum("with recursive below" in s for s in counter.statements) == 1, counter.statements


async def test_manager_reach_is_recursive(team: Org) -> None:
    await team.employee("intern", manager="alice")
    token = team.token("boss", "career:employee career:manager")
    body = await team.gql(
        "query($id: ID!) { employee(id: $id) { name hireDate } }",
        {"id": gid("Employee", team.people["intern"])},
        token=token,
    )
    assert body == {"data": {"employee": {"name": "Intern", "hireDate": None}}}


async def test_termination_reason_is_for_admins_only(team: Org) -> None:
    await add_service_account(team)
    admin = team.token("admin", "career:admin")
    done = await team.gql(
        "mutation($i: TerminateEmployeeInput!) { terminateEmployee(input: $i) "
        "{ employee { terminationReason } userErrors { code } } }",
        {
            "i": {
                "id": gid("Employee", team.people["bob"]),
                "terminationDate": "2030-01-31",
                "reason": "Moved abroad",
            }
        },
        token=admin,
    )
    assert done["data"]["terminateEmployee"]["employee"] == {"terminationReason": "Moved abroad"}

    query = "query($id: ID!) { employee(id: $id) { name terminationDate terminationReason } }"
    variables = {"id": gid("Employee", team.people["bob"])}
    for token in (
        client_token(team, "hris-sync", "career:hris"),
        team.token("manager", "career:employee career:manager"),
    ):
        body = await team.gql(query, variables, token=token)
        assert body["data"]["employee"] == {
            "name": "Bob Brown",
            "terminationDate": "2030-01-31",
            "terminationReason": None,
        }
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
        assert "Moved abroad" not in str(body)


async def test_invisible_employee_looks_exactly_like_an_unknown_one(team: Org) -> None:
    await team.close_directory()  # what each caller reaches without the directory
    query = "query($id: ID!) { employee(id: $id) { name email } node(id: $id) { id } }"
    token = team.token("alice")
    invisible = await team.gql(query, {"id": gid("Employee", team.people["carol"])}, token=token)
    unknown_id = gid("Employee", type("Row", (), {"id": uuid.uuid4()})())
    unknown = await team.gql(query, {"id": unknown_id}, token=token)
    assert invisible == unknown == {"data": {"employee": None, "node": None}}


async def test_denials_never_answer_500(team: Org) -> None:
    alice = gid("Employee", team.people["alice"])
    bad_ids = ["", "nonsense", "RW1wbG95ZWU6bm90LWEtdXVpZA==", gid("OrgUnit", team.people["bob"])]
    tokens = [None, team.token("alice"), team.token("admin", "career:admin")]
    queries = [
        ("query($id: ID!) { employee(id: $id) { name } }", "id"),
        ("query($id: ID!) { node(id: $id) { id } }", "id"),
        ("query($id: ID!) { nodes(ids: [$id, $id]) { id } }", "id"),
        ("query($id: ID) { employees(filter: {managerId: $id}) { totalCount } }", "id"),
        ("query($id: ID) { auditEvents(filter: {entityId: $id}) { totalCount } }", "id"),
        ("query($id: ID!) { updateEmployee: employee(id: $id) { id } }", "id"),
        (
            'mutation($id: ID!) { updateEmployee(input: {id: $id, title: "x"}) '
            "{ userErrors { code } } }",
            "id",
        ),
        (
            "mutation($id: ID!) { deactivateServiceAccount(input: {id: $id}) "
            "{ userErrors { code } } }",
            "id",
        ),
    ]
    for token in tokens:
        for query, name in queries:
            for value in [*bad_ids, alice]:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                response = await team.client.post(
                    "/graphql", json={"query": query, "variables": {name: value}}, headers=headers
                )
                assert response.status_code in (200, 401), (query, value, response.text)
                body = response.json()
                codes = {e["extensions"]["code"] for e in body.get("errors", [])}
                assert "INTERNAL_SERVER_ERROR" not in codes, (query, value, body)


@pytest.mark.parametrize("everyone", [False, True])
@pytest.mark.parametrize("directory", [False, True])
def test_the_directory_at_once_is_each_person_in_turn(everyone: bool, directory: bool) -> None:
    from types import SimpleNamespace

    from service.people.queries import in_directory, in_directory_rows

    people = [uuid.uuid4() for _ in range(6)]
    reach = policies.Reach(
        everyone=everyone,
        private=frozenset(people[:2]),
        profile=frozenset(people[2:4]),
        directory=directory,
    )
    assert reach.in_directory_view(people) == {i for i in people if reach.sees_directory(i)}
    rows = [
        SimpleNamespace(id=i, status=status)
        for i in people
        for status in ("ACTIVE", "ON_LEAVE", "TERMINATED")
    ]
    assert in_directory_rows(reach, rows) == [r for r in rows if in_directory(reach, r)]
