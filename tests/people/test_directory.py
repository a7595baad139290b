"""The directory: with the organization's setting on (the default) every employee sees the
name, title, org unit, role and manager of everyone still employed, in lists, search and
`Role.holders`; details, HR record and private career data stay private; nothing crosses
organizations; HR admins switch it, audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from service.audit.models import audit_events
from service.people import service as people
from tests.assessments.conftest import ADMIN, Framework, fw, rate  # noqa: F401
from tests.conftest import Org, gid

BOB = {"as_": "bob", "scopes": "career:employee"}
PERSON = "name title orgUnit { name } role { title } manager { name }"
ONE = f"query($id: ID!) {{ employee(id: $id) {{ {PERSON} }} }}"
SEARCH = """
query($search: String, $status: EmployeeStatus) {
  employees(first: 100, filter: {search: $search, status: $status}) { nodes { name } }
}
"""
SETTINGS = """
mutation($i: UpdatePeopleSettingsInput!) {
  updatePeopleSettings(input: $i) {
    settings { directoryVisible version }
    userErrors { field code }
  }
}
"""
HOLDERS = """
query($id: ID!) { node(id: $id) { ... on Role { holders(first: 10) { nodes { name } } } } }
"""


def names(body: dict[str, Any]) -> list[str]:
    assert "errors" not in body, body
    return [n["name"] for n in body["data"]["employees"]["nodes"]]


async def set_directory(org: Org, visible: bool) -> dict[str, Any]:
    body = await org.gql(SETTINGS, {"i": {"directoryVisible": visible}}, **ADMIN)
    return body["data"]["updatePeopleSettings"]  # type: ignore[no-any-return]


async def audit_count(org: Org) -> int:
    async with org.runtime.db.transaction(org.id) as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(audit_events))).scalar_one()
        )


async def test_every_employee_finds_colleagues_by_name_and_title(team: Org) -> None:
    await team.run(
        people.update_employee, team.people["carol"].id, people.EmployeeInput(title="Mentor")
    )
    # Carol is in another team: Bob reaches her through the directory only.
    carol = (await team.gql(ONE, {"id": gid("Employee", team.people["carol"])}, **BOB))["data"]
    assert carol["employee"] == {
        "name": "Carol Chen",
        "title": "Mentor",
        "orgUnit": None,
        "role": None,
        "manager": {"name": "Mia Second"},
    }
    assert names(await team.gql(SEARCH, {"search": "carol"}, **BOB)) == ["Carol Chen"]
    assert names(await team.gql(SEARCH, {"search": "mentor"}, **BOB)) == ["Carol Chen"]
    everyone = names(await team.gql(SEARCH, {}, **BOB))
    assert len(everyone) == 7
    # Email, status and location are not directory fields: no search or filter tells them.
    assert names(await team.gql(SEARCH, {"search": "carol@"}, **BOB)) == []
    assert names(await team.gql(SEARCH, {"search": "bob@"}, **BOB)) == ["Bob Brown"]
    assert names(await team.gql(SEARCH, {"status": "ACTIVE"}, **BOB)) == ["Bob Brown"]
    detail = await team.gql(
        "query($id: ID!) { employee(id: $id) { name email status location } }",
        {"id": gid("Employee", team.people["carol"])},
        **BOB,
    )
    assert detail["data"]["employee"] == {
        "name": "Carol Chen",
        "email": None,
        "status": None,
        "location": None,
    }
    assert {e["extensions"]["code"] for e in detail["errors"]} == {"FORBIDDEN"}
    assert team.people["carol"].email not in str(detail)
    # People who left are not in the directory.
    await team.run(
        people.terminate_employee,
        team.people["carol"].id,
        dt.date.today(),
        None,
        None,
    )
    gone = await team.gql(ONE, {"id": gid("Employee", team.people["carol"])}, **BOB)
    assert gone["data"]["employee"] is None
    assert "Carol Chen" not in names(await team.gql(SEARCH, {}, **BOB))
    # Her manager still sees her record.
    mia = {"as_": "manager2", "scopes": "career:employee career:manager"}
    seen = await team.gql(ONE, {"id": gid("Employee", team.people["carol"])}, **mia)
    assert seen["data"]["employee"]["name"] == "Carol Chen"


PRIVATE_FIELDS = {
    "externalId": "externalId",
    "authSubject": "authSubject",
    "hireDate": "hireDate",
    "terminationDate": "terminationDate",
    "terminationReason": "terminationReason",
    "pendingManagerExternalId": "pendingManagerExternalId",
    "positionHistory": "positionHistory { kind }",
    "directReports": "directReports { nodes { name } }",
    "timeInRole": "timeInRole { months }",
    "currentProficiencies": "currentProficiencies { level }",
    "gapAnalysis": "gapAnalysis { readiness }",
    "readinessHistory": "readinessHistory { readiness }",
}


async def test_the_directory_never_opens_private_career_data(
    team: Org,
    fw: Framework,  # noqa: F811
) -> None:
    """Bob sees Alice in the directory; everything beyond it is refused field by field."""
    await rate(team, "alice", "alice", "SELF", {fw.competency["coding"]: 4})
    await rate(team, "manager", "alice", "MANAGER", {fw.competency["coding"]: 2})
    alice = gid("Employee", team.people["alice"])
    for name, selection in PRIVATE_FIELDS.items():
        body = await team.gql(
            f"query($id: ID!) {{ employee(id: $id) {{ name {selection} }} }}", {"id": alice}, **BOB
        )
        # Refused: the field is null (or, for a list, the whole person), with FORBIDDEN.
        assert body["data"]["employee"] in (None, {"name": "Alice Anders", name: None}), body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], name
        assert [e["path"] for e in body["errors"]] == [["employee", name]], body
    cases = await team.gql(
        "query($id: ID!) { employee(id: $id) { promotions { status } } }", {"id": alice}, **BOB
    )
    assert cases["data"]["employee"]["promotions"] == []
    rated = await team.gql(
        "query($id: ID!) { assessments(first: 50, filter: {subjectId: $id}) "
        "{ nodes { kind } totalCount } }",
        {"id": alice},
        **BOB,
    )
    assert rated["data"]["assessments"] == {"nodes": [], "totalCount": 0}, rated
    # Alice herself and her manager still see it all.
    own = await team.gql(
        "query($id: ID!) { employee(id: $id) { currentProficiencies { level } } }",
        {"id": alice},
        as_="alice",
    )
    assert own["data"]["employee"]["currentProficiencies"], own


async def test_admins_close_and_reopen_the_directory_audited(team: Org) -> None:
    shown = await team.gql("{ peopleSettings { directoryVisible version updatedAt } }", **BOB)
    assert shown["data"]["peopleSettings"] == {
        "directoryVisible": True,
        "version": 0,
        "updatedAt": None,
    }
    before = await audit_count(team)
    closed = await set_directory(team, False)
    assert closed == {"settings": {"directoryVisible": False, "version": 2}, "userErrors": []}
    assert await audit_count(team) == before + 1
    async with team.runtime.db.transaction(team.id) as conn:
        action = (
            await conn.execute(
                select(audit_events.c.action, audit_events.c.changes)
                .order_by(audit_events.c.occurred_at.desc())
                .limit(1)
            )
        ).one()
    assert action.action == "people_settings.update"
    # Closed: Bob sees himself and his management chain, as without a directory.
    assert names(await team.gql(SEARCH, {}, **BOB)) == ["Bob Brown"]
    hidden = await team.gql(ONE, {"id": gid("Employee", team.people["carol"])}, **BOB)
    assert hidden["data"]["employee"] is None
    chain = await team.gql(ONE, {"id": gid("Employee", team.people["manager"])}, **BOB)
    assert chain["data"]["employee"]["name"] == "Max Manager"
    # Setting what is already set changes nothing and audits nothing.
    assert (await set_directory(team, False))["settings"]["version"] == 2
    assert await audit_count(team) == before + 1
    assert (await set_directory(team, True))["settings"] == {
        "directoryVisible": True,
        "version": 3,
    }
    assert len(names(await team.gql(SEARCH, {}, **BOB))) == 7


async def test_only_hr_admins_change_the_setting_and_bad_input_writes_nothing(
    team: Org,
) -> None:
    before = await audit_count(team)
    for caller in (
        {"as_": "manager", "scopes": "career:employee career:manager"},
        {"as_": "manager", "scopes": "career:employee career:admin"},  # not an HR admin
        BOB,
    ):
        body = await team.gql(SETTINGS, {"i": {"directoryVisible": False}}, **caller)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = await team.gql(SETTINGS, {"i": {"directoryVisible": None}}, **ADMIN)
    assert refused["data"]["updatePeopleSettings"] == {
        "settings": None,
        "userErrors": [{"field": ["input", "directoryVisible"], "code": "REQUIRED"}],
    }
    assert await audit_count(team) == before
    assert names(await team.gql(SEARCH, {"search": "carol"}, **BOB)) == ["Carol Chen"]


async def test_role_holders_for_every_employee(
    team: Org,
    fw: Framework,  # noqa: F811
    count_statements: Any,
) -> None:
    engineer = gid("Role", type("R", (), {"id": fw.role["engineer"]}))
    body = await team.gql(HOLDERS, {"id": engineer}, **BOB)
    assert [n["name"] for n in body["data"]["node"]["holders"]["nodes"]] == [
        "Alice Anders",
        "Bob Brown",
    ]
    await set_directory(team, False)
    body = await team.gql(HOLDERS, {"id": engineer}, **BOB)
    assert [n["name"] for n in body["data"]["node"]["holders"]["nodes"]] == ["Bob Brown"]
    body = await team.gql(HOLDERS, {"id": engineer}, **ADMIN)
    assert len(body["data"]["node"]["holders"]["nodes"]) == 2
    await set_directory(team, True)
    # One statement for the holders of a whole page of roles.
    query = "query($n: Int) { roles(first: $n) { nodes { title holders(first: 5) { nodes { name manager { name } } } } } }"
    counts = []
    for size in (1, 4):
        with count_statements() as counter:
            body = await team.gql(query, {"n": size}, **BOB)
        assert "errors" not in body, body
        counts.append(counter.count)
    assert counts[0] == counts[1]


async def test_nothing_crosses_organizations(team: Org, org_factory: Any) -> None:
    other = await org_factory()
    await other.employee("eve", name="Eve Elsewhere")
    eve = {"as_": "eve", "scopes": "career:employee"}
    assert names(await other.gql(SEARCH, {}, **eve)) == ["Eve Elsewhere"]
    assert names(await other.gql(SEARCH, {"search": "alice"}, **eve)) == []
    alice = gid("Employee", team.people["alice"])
    body = await other.gql(ONE, {"id": alice}, **eve)
    assert body["data"]["employee"] is None
    node = await other.gql("query($id: ID!) { node(id: $id) { id } }", {"id": alice}, **eve)
    assert node["data"]["node"] is None
    # Closing one organization's directory leaves the other's open.
    await set_directory(team, False)
    await other.employee("finn", name="Finn Further")
    assert sorted(names(await other.gql(SEARCH, {}, **eve))) == ["Eve Elsewhere", "Finn Further"]
