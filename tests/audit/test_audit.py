"""The audit log: every mutation leaves its event with before/after; admins query it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import Org, gid

ADMIN_SCOPES = "career:employee career:admin"
EVENTS = """
query($f: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $f, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id occurredAt actorType actorId actorSubject action entityType entityId changes }
  }
}
"""
CREATE = """
mutation($i: CreateEmployeeInput!) {
  createEmployee(input: $i) { employee { id } userErrors { field code } }
}
"""
UPDATE = """
mutation($i: UpdateEmployeeInput!) {
  updateEmployee(input: $i) { employee { id title } userErrors { field code } }
}
"""


async def events(org: Org, **filter: Any) -> list[dict[str, Any]]:
    body = await org.gql(EVENTS, {"f": filter, "first": 100}, as_="admin", scopes=ADMIN_SCOPES)
    assert "errors" not in body, body
    return body["data"]["auditEvents"]["nodes"]  # type: ignore[no-any-return]


async def test_create_and_update_leave_events_with_before_and_after(team: Org) -> None:
    created = await team.gql(
        CREATE,
        {"i": {"email": "dora@example.test", "name": "Dora Diaz", "title": "Engineer"}},
        as_="admin",
        scopes=ADMIN_SCOPES,
    )
    dora = created["data"]["createEmployee"]["employee"]["id"]
    updated = await team.gql(
        UPDATE, {"i": {"id": dora, "title": "Senior Engineer"}}, as_="admin", scopes=ADMIN_SCOPES
    )
    assert updated["data"]["updateEmployee"]["userErrors"] == []

    update, create = await events(team, entityId=dora)
    assert create["action"] == "employee.create"
    assert create["entityType"] == "Employee"
    assert create["entityId"] == dora
    assert create["changes"]["email"] == {"from": None, "to": "dora@example.test"}
    assert create["changes"]["title"] == {"from": None, "to": "Engineer"}
    assert update["action"] == "employee.update"
    assert update["changes"] == {"title": {"from": "Engineer", "to": "Senior Engineer"}}
    for event in (create, update):
        assert event["actorType"] == "EMPLOYEE"
        assert event["actorId"] == gid("Employee", team.people["admin"])
        assert event["actorSubject"] == team.people["admin"].auth_subject
        occurred = dt.datetime.fromisoformat(event["occurredAt"])
        assert abs(occurred - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


async def test_refused_and_forbidden_mutations_leave_no_event(team: Org) -> None:
    before = await events(team)
    refused = await team.gql(
        CREATE, {"i": {"email": "not-an-email", "name": "X"}}, as_="admin", scopes=ADMIN_SCOPES
    )
    assert refused["data"]["createEmployee"]["userErrors"] == [
        {"field": ["input", "email"], "code": "INVALID"}
    ]
    stale = await team.gql(
        UPDATE,
        {"i": {"id": gid("Employee", team.people["bob"]), "version": 99, "title": "Boss"}},
        as_="admin",
        scopes=ADMIN_SCOPES,
    )
    assert stale["data"]["updateEmployee"]["userErrors"][0]["code"] == "STALE_VERSION"
    forbidden = await team.gql(
        UPDATE,
        {"i": {"id": gid("Employee", team.people["alice"]), "title": "CEO"}},
        as_="manager",
        scopes="career:employee career:manager",
    )
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await events(team) == before


async def test_newest_first_with_paging_and_filters(team: Org) -> None:
    start = dt.datetime.now(dt.UTC)
    for title in ("One", "Two", "Three"):
        body = await team.gql(
            UPDATE,
            {"i": {"id": gid("Employee", team.people["bob"]), "title": title}},
            as_="admin",
            scopes=ADMIN_SCOPES,
        )
        assert body["data"]["updateEmployee"]["userErrors"] == []

    bob = gid("Employee", team.people["bob"])
    titles = [e["changes"]["title"]["to"] for e in await events(team, action="employee.update")]
    assert titles == ["Three", "Two", "One"]
    # Seven people created, Ada named an HR admin, three updates.
    assert len(await events(team, entityType="Employee")) == 7 + 1 + 3
    assert len(await events(team, entityType="OrgUnit")) == 0
    assert len(await events(team, entityId=bob, since=start.isoformat())) == 3
    assert await events(team, until=start.isoformat(), action="employee.update") == []
    # The team was created by the system, the updates by the admin.
    assert len(await events(team, actorId=gid("Employee", team.people["admin"]))) == 3

    admin = {"as_": "admin", "scopes": ADMIN_SCOPES}
    page = await team.gql(EVENTS, {"f": {"entityId": bob}, "first": 2}, **admin)
    first_page = page["data"]["auditEvents"]
    assert first_page["totalCount"] == 4  # created, and three updates
    assert first_page["pageInfo"]["hasNextPage"] is True
    rest = await team.gql(
        EVENTS,
        {"f": {"entityId": bob}, "first": 2, "after": first_page["pageInfo"]["endCursor"]},
        **admin,
    )
    actions = [e["action"] for e in first_page["nodes"] + rest["data"]["auditEvents"]["nodes"]]
    assert actions == ["employee.update"] * 3 + ["employee.create"]


async def test_an_event_is_a_node_for_admins_only(team: Org) -> None:
    (event, *_) = await events(team)
    query = "query($id: ID!) { node(id: $id) { id ... on AuditEvent { action } } }"
    body = await team.gql(query, {"id": event["id"]}, as_="admin", scopes=ADMIN_SCOPES)
    assert body["data"]["node"] == {"id": event["id"], "action": event["action"]}
    body = await team.gql(query, {"id": event["id"]}, as_="boss", scopes="career:manager")
    assert body == {"data": {"node": None}}


async def test_bad_filters_are_clear_errors(team: Org) -> None:
    admin = {"as_": "admin", "scopes": ADMIN_SCOPES}
    cases = [
        ({"entityId": "junk"}, "filter.entityId"),
        ({"actorId": gid("OrgUnit", team.people["bob"])}, "filter.actorId"),
        (
            {"entityType": "OrgUnit", "entityId": gid("Employee", team.people["bob"])},
            "filter.entityId",
        ),
        ({"action": "x" * 101}, "filter.action"),
        ({"since": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"}, "filter.until"),
    ]
    for filter, where in cases:
        body = await team.gql(EVENTS, {"f": filter}, **admin)
        assert body["data"] is None, filter
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", filter
        assert error["message"].startswith(where), (filter, error)
