"""Reading employees and org units: visibility, filters, paging, statement counts."""

from __future__ import annotations

from typing import Any

from service.people import service as people
from tests.conftest import Org, gid

EMPLOYEES = """
query($filter: EmployeeFilter, $first: Int, $after: String, $last: Int, $before: String) {
  employees(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { name }
  }
}
"""


def names(body: dict[str, Any]) -> list[str]:
    assert "errors" not in body, body
    return [n["name"] for n in body["data"]["employees"]["nodes"]]


async def test_me_shows_own_record_with_manager_and_history(team: Org) -> None:
    body = await team.gql(
        "{ me { name hireDate externalId manager { name } positionHistory { kind } } }", as_="alice"
    )
    me = body["data"]["me"]
    assert me["name"] == "Alice Anders"
    assert me["manager"] == {"name": "Max Manager"}
    assert [p["kind"] for p in me["positionHistory"]] == ["HIRE"]


async def test_employee_sees_only_self_in_list(team: Org) -> None:
    await team.close_directory()  # what each caller reaches without the directory
    assert names(await team.gql(EMPLOYEES, as_="alice")) == ["Alice Anders"]


async def test_employee_without_manager_scope_does_not_see_reports(team: Org) -> None:
    await team.close_directory()  # what each caller reaches without the directory
    # The manager's own employee token reaches only the manager themself.
    assert names(await team.gql(EMPLOYEES, as_="manager")) == ["Max Manager"]


async def test_manager_sees_all_levels_below(team: Org) -> None:
    await team.close_directory()  # what each caller reaches without the directory
    body = await team.gql(EMPLOYEES, as_="boss", scopes="career:employee career:manager")
    assert names(body) == [
        "Alice Anders",
        "Bea Boss",
        "Bob Brown",
        "Carol Chen",
        "Max Manager",
        "Mia Second",
    ]


async def test_admin_sees_everyone_and_other_org_sees_nothing(team: Org, org_factory: Any) -> None:
    body = await team.gql(EMPLOYEES, {"first": 100}, as_="admin", scopes="career:admin")
    assert body["data"]["employees"]["totalCount"] == 7
    other = await org_factory()
    await other.employee("admin")
    body = await other.gql(EMPLOYEES, as_="admin", scopes="career:admin")
    assert names(body) == ["Admin"]


async def test_employee_by_id_returns_null_when_not_visible(team: Org) -> None:
    await team.close_directory()  # what each caller reaches without the directory
    query = "query($id: ID!) { employee(id: $id) { name } }"
    carol = gid("Employee", team.people["carol"])
    assert (await team.gql(query, {"id": carol}, as_="alice"))["data"] == {"employee": None}
    mgr = "career:employee career:manager"
    assert (await team.gql(query, {"id": carol}, as_="manager", scopes=mgr))["data"] == {
        "employee": None
    }
    assert (await team.gql(query, {"id": carol}, as_="manager2", scopes=mgr))["data"] == {
        "employee": {"name": "Carol Chen"}
    }


async def test_management_chain_is_visible_by_name_but_private_fields_are_forbidden(
    team: Org,
) -> None:
    body = await team.gql("{ me { manager { name manager { name hireDate } } } }", as_="alice")
    assert body["data"]["me"]["manager"]["manager"] == {"name": "Bea Boss", "hireDate": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["path"] == ["me", "manager", "manager", "hireDate"]


async def test_filters(team: Org) -> None:
    admin = {"as_": "admin", "scopes": "career:admin"}
    manager = gid("Employee", team.people["manager"])
    assert names(await team.gql(EMPLOYEES, {"filter": {"managerId": manager}}, **admin)) == [
        "Alice Anders",
        "Bob Brown",
    ]
    assert names(await team.gql(EMPLOYEES, {"filter": {"search": "CHEN"}}, **admin)) == [
        "Carol Chen"
    ]
    assert names(await team.gql(EMPLOYEES, {"filter": {"search": "%"}}, **admin)) == []
    await team.run(
        people.update_employee, team.people["bob"].id, people.EmployeeInput(status="ON_LEAVE")
    )
    assert names(await team.gql(EMPLOYEES, {"filter": {"status": "ON_LEAVE"}}, **admin)) == [
        "Bob Brown"
    ]
    unit = await team.run(people.create_org_unit, people.OrgUnitInput(name="Sales"))
    await team.run(
        people.update_employee, team.people["carol"].id, people.EmployeeInput(org_unit_id=unit.id)
    )
    body = await team.gql(EMPLOYEES, {"filter": {"orgUnitId": gid("OrgUnit", unit)}}, **admin)
    assert names(body) == ["Carol Chen"]


async def test_bad_filter_and_paging_input_is_a_clear_error(team: Org) -> None:
    admin = {"as_": "admin", "scopes": "career:admin"}
    cases = [
        ({"first": 101}, "first: must be between 0 and 100"),
        ({"first": -1}, "first: must be between 0 and 100"),
        ({"after": "bm90LWEtY3Vyc29y"}, "after: is not a valid cursor"),
        ({"filter": {"managerId": "nonsense"}}, "filter.managerId: is not a valid Employee ID"),
        (
            {"filter": {"managerId": gid("OrgUnit", team.people["bob"])}},
            "filter.managerId: is not a valid Employee ID",
        ),
        ({"filter": {"search": "x" * 101}}, "filter.search: is longer than 100 characters"),
    ]
    for variables, message in cases:
        body = await team.gql(EMPLOYEES, variables, **admin)
        assert body["data"] is None
        assert body["errors"][0]["message"] == message
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_paging_forward_and_backward(team: Org) -> None:
    admin = {"as_": "admin", "scopes": "career:admin"}
    everyone = names(await team.gql(EMPLOYEES, {"first": 100}, **admin))
    seen: list[str] = []
    after = None
    while True:
        body = await team.gql(EMPLOYEES, {"first": 3, "after": after}, **admin)
        conn = body["data"]["employees"]
        seen += [n["name"] for n in conn["nodes"]]
        assert conn["totalCount"] == 7
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == everyone
    body = await team.gql(EMPLOYEES, {"last": 2}, **admin)
    assert names(body) == everyone[-2:]
    assert body["data"]["employees"]["pageInfo"]["hasPreviousPage"] is True
    before = body["data"]["employees"]["pageInfo"]["startCursor"]
    assert (
        names(await team.gql(EMPLOYEES, {"last": 2, "before": before}, **admin)) == everyone[-4:-2]
    )


async def test_direct_reports_and_org_units(team: Org) -> None:
    unit = await team.run(people.create_org_unit, people.OrgUnitInput(name="Engineering"))
    await team.run(people.create_org_unit, people.OrgUnitInput(name="Platform", parent_id=unit.id))
    body = await team.gql(
        "{ me { directReports(first: 1) { totalCount nodes { name } pageInfo { hasNextPage } } } "
        "orgUnits { totalCount nodes { name parent { name } } } }",
        as_="manager",
        scopes="career:employee career:manager",
    )
    assert body["data"]["me"]["directReports"] == {
        "totalCount": 2,
        "nodes": [{"name": "Alice Anders"}],
        "pageInfo": {"hasNextPage": True},
    }
    assert body["data"]["orgUnits"] == {
        "totalCount": 2,
        "nodes": [
            {"name": "Engineering", "parent": None},
            {"name": "Platform", "parent": {"name": "Engineering"}},
        ],
    }


async def test_node_resolves_employees_and_org_units(team: Org) -> None:
    await team.close_directory()  # what each caller reaches without the directory
    unit = await team.run(people.create_org_unit, people.OrgUnitInput(name="Ops"))
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Employee { name } ... on OrgUnit { name } } }"
    ids = [
        gid("Employee", team.people["alice"]),
        gid("OrgUnit", unit),
        "garbage",
        gid("Employee", team.people["carol"]),
    ]
    body = await team.gql(query, {"ids": ids}, as_="alice")
    assert body["data"]["nodes"] == [
        {"id": ids[0], "name": "Alice Anders"},
        {"id": ids[1], "name": "Ops"},
        None,
        None,
    ]


LIST_QUERY = """
query($first: Int) {
  employees(first: $first) {
    nodes {
      name
      manager { name }
      orgUnit { name }
      directReports(first: 5) { totalCount nodes { name } }
      positionHistory { kind orgUnit { name } }
    }
  }
}
"""


async def test_employee_list_runs_a_constant_number_of_statements(
    org: Org, count_statements: Any
) -> None:
    units = [
        await org.run(people.create_org_unit, people.OrgUnitInput(name=f"Unit {i}"))
        for i in range(4)
    ]
    await org.employee("admin")
    for i in range(60):
        manager = "admin" if i < 6 else f"e{i % 6}"
        await org.employee(f"e{i}", manager=manager, org_unit_id=units[i % 4].id)
    token = org.token("admin", "career:admin")
    counts = {}
    for first in (5, 50):
        with count_statements() as counter:
            body = await org.gql(LIST_QUERY, {"first": first}, token=token)
        assert len(body["data"]["employees"]["nodes"]) == first
        counts[first] = counter.count
    assert counts[5] == counts[50], counts
    # principal + tenant + page + managers + units + reports + history, and BEGIN/ROLLBACK
    assert counts[50] <= 12, counts


async def test_small_me_is_one_statement(team: Org, count_statements: Any) -> None:
    token = team.token("alice")
    with count_statements() as counter:
        body = await team.gql("{ me { id name } }", token=token)
    assert body["data"]["me"]["name"] == "Alice Anders"
    # the organization (setting the tenant) with the caller's employee row
    assert counter.count == 1, counter.statements


async def test_pages_count_the_whole_list_only_when_total_count_is_asked(
    team: Org, count_statements: Any
) -> None:
    admin = {"as_": "admin", "scopes": "career:admin"}
    with count_statements() as counter:
        body = await team.gql(
            "{ employees(first: 3) { pageInfo { hasNextPage } nodes { name } } }", **admin
        )
    assert body["data"]["employees"]["pageInfo"] == {"hasNextPage": True}
    assert len(body["data"]["employees"]["nodes"]) == 3
    assert not any("count(*) OVER" in s for s in counter.statements), counter.statements
    from service.graphql.pagination import encode_cursor

    # 7 people: after the second, five more make the end of the list.
    body = await team.gql(
        "query($a: String) { employees(first: 5, after: $a) { pageInfo { hasNextPage } } }",
        {"a": encode_cursor(1)},
        **admin,
    )
    assert body["data"]["employees"]["pageInfo"] == {"hasNextPage": False}
    body = await team.gql(
        "{ employees(first: 3) { ...T } } fragment T on EmployeeConnection { totalCount }", **admin
    )
    assert body["data"]["employees"]["totalCount"] == 7


CHAIN_QUERY = """
{ me { manager { name manager { name manager { name manager { name manager { name } } } } } } }
"""


async def test_walking_the_management_chain_up_is_one_statement(
    org: Org, count_statements: Any
) -> None:
    # A line of six: l0 at the top, l5 at the bottom.
    await org.employee("l0")
    for i in range(1, 6):
        await org.employee(f"l{i}", manager=f"l{i - 1}")
    counts = {}
    for key in ("l2", "l5"):
        with count_statements() as counter:
            body = await org.gql(CHAIN_QUERY, as_=key)
        chain, node = [], body["data"]["me"]["manager"]
        while node is not None:
            chain, node = [*chain, node["name"]], node.get("manager")
        assert chain == [f"L{i}" for i in range(int(key[1]) - 1, -1, -1)]
        counts[key] = counter.count
    # tenant with caller, reach and the chain, whatever the chain's length
    assert counts["l2"] == counts["l5"] == 3, counts
