"""The team skills matrix: contents, scopes, targets, access, and its statement count."""

from __future__ import annotations

from typing import Any

import pytest

from service.graphql.ids import encode_id
from service.people import service as people
from tests.assessments.conftest import ADMIN, MANAGER, Framework, codes, data, load_framework, rate
from tests.conftest import Org, gid

MATRIX = """
query($m: ID, $scope: TeamScope, $against: RoleTarget, $unit: ID, $first: Int, $after: String) {
  teamSkillsMatrix(managerId: $m, scope: $scope, against: $against, orgUnitId: $unit,
                   first: $first, after: $after) {
    competencies { key }
    rows { totalCount pageInfo { hasNextPage endCursor }
      nodes { employee { name } role { key } readiness
              cells { competency { key } requiredLevel currentLevel gap status stale source } } }
  }
}
"""


async def matrix(org: Org, who: str = "manager", scopes: str = MANAGER, **v: Any) -> dict[str, Any]:
    body = await org.gql(MATRIX, v, as_=who, scopes=scopes)
    return data(body)["teamSkillsMatrix"]  # type: ignore[no-any-return]


@pytest.fixture
async def rated(team: Org, fw: Framework) -> Org:
    c = fw.competency
    await rate(team, "manager", "alice", "MANAGER", {c["coding"]: 2, c["design"]: 3})
    await rate(team, "bob", "bob", "SELF", {c["teamwork"]: 4})
    return team


async def test_a_managers_direct_reports_against_their_current_role(
    rated: Org, fw: Framework
) -> None:
    m = await matrix(rated)
    # Columns: every competency expected of the team, Core before Craft, by name.
    assert [c["key"] for c in m["competencies"]] == ["delivery", "teamwork", "coding", "design"]
    rows = m["rows"]["nodes"]
    assert [r["employee"]["name"] for r in rows] == ["Alice Anders", "Bob Brown"]
    alice = rows[0]
    assert alice["role"] == {"key": "engineer"}
    assert [
        (c["competency"]["key"], c["requiredLevel"], c["currentLevel"], c["gap"], c["status"])
        for c in alice["cells"]
    ] == [
        ("delivery", 2, None, None, "UNASSESSED"),
        ("teamwork", 2, None, None, "UNASSESSED"),
        ("coding", 3, 2.0, 1.0, "BELOW"),
        ("design", 2, 3.0, -1.0, "EXCEEDS"),
    ]
    # (2·2/3 + 1 + 0 + 0) / 5, as in her gap analysis
    assert alice["readiness"] == pytest.approx(0.4667)
    bob = rows[1]
    assert [(c["competency"]["key"], c["status"], c["source"]) for c in bob["cells"]][1] == (
        "teamwork",
        "EXCEEDS",
        "SELF",
    )
    assert m["rows"]["totalCount"] == 2


async def test_against_the_next_role(rated: Org, fw: Framework) -> None:
    m = await matrix(rated, against="NEXT_ROLE")
    alice = m["rows"]["nodes"][0]
    assert alice["role"] == {"key": "senior"}
    assert {c["competency"]["key"]: c["requiredLevel"] for c in alice["cells"]} == {
        "coding": 4,
        "design": 3,
        "teamwork": 3,
        "delivery": 3,
    }
    # (2·2/4 + 1·3/3 + 0 + 0) / 5 = 0.4
    assert alice["readiness"] == pytest.approx(0.4)


async def test_scope_all_reaches_everyone_below(rated: Org, fw: Framework) -> None:
    direct = await matrix(rated, "boss")
    assert [r["employee"]["name"] for r in direct["rows"]["nodes"]] == [
        "Max Manager",
        "Mia Second",
    ]
    # People without a role are rows without cells.
    assert direct["rows"]["nodes"][0] == {
        "employee": {"name": "Max Manager"},
        "role": None,
        "readiness": None,
        "cells": [],
    }
    everyone = await matrix(rated, "boss", scope="ALL", first=2)
    assert everyone["rows"]["totalCount"] == 5
    names = [r["employee"]["name"] for r in everyone["rows"]["nodes"]]
    assert names == ["Alice Anders", "Bob Brown"]
    after = everyone["rows"]["pageInfo"]["endCursor"]
    rest = await matrix(rated, "boss", scope="ALL", first=10, after=after)
    assert [r["employee"]["name"] for r in rest["rows"]["nodes"]] == [
        "Carol Chen",
        "Max Manager",
        "Mia Second",
    ]
    # The same columns on every page.
    assert rest["competencies"] == everyone["competencies"]
    # A page past the end still knows the total.
    past = await matrix(
        rated, "boss", scope="ALL", first=5, after=rest["rows"]["pageInfo"]["endCursor"]
    )
    assert (past["rows"]["nodes"], past["rows"]["totalCount"]) == ([], 5)


async def test_who_sees_which_team(rated: Org, fw: Framework) -> None:
    max_id = gid("Employee", rated.people["manager"])
    # The boss sees the teams below her; Mia does not see Max's team; employees see none.
    assert (await matrix(rated, "boss", m=max_id))["rows"]["totalCount"] == 2
    body = await rated.gql(MATRIX, {"m": max_id}, as_="manager2", scopes=MANAGER)
    assert codes(body) == ["FORBIDDEN"]
    body = await rated.gql(MATRIX, {}, as_="alice", scopes="career:employee")
    assert codes(body) == ["FORBIDDEN"]
    # Admins see any team and any org unit; managers may not ask for units.
    assert (await matrix(rated, "admin", scopes=ADMIN["scopes"], m=max_id))["rows"][
        "totalCount"
    ] == 2
    unit = await rated.run(people.create_org_unit, people.OrgUnitInput(name="Apps"))
    sub = await rated.run(
        people.create_org_unit, people.OrgUnitInput(name="Web", parent_id=unit.id)
    )
    for key, target in (("alice", unit), ("bob", sub)):
        await rated.run(
            people.update_employee,
            rated.people[key].id,
            people.EmployeeInput(org_unit_id=target.id),
        )
    unit_id = encode_id("OrgUnit", unit.id)
    only_unit = await matrix(rated, "admin", scopes=ADMIN["scopes"], unit=unit_id)
    assert [r["employee"]["name"] for r in only_unit["rows"]["nodes"]] == ["Alice Anders"]
    with_subunits = await matrix(rated, "admin", scopes=ADMIN["scopes"], unit=unit_id, scope="ALL")
    assert with_subunits["rows"]["totalCount"] == 2
    body = await rated.gql(MATRIX, {"unit": unit_id}, as_="boss", scopes=MANAGER)
    assert codes(body) == ["FORBIDDEN"]


async def test_the_matrix_takes_a_constant_number_of_statements(
    org: Org, count_statements: Any
) -> None:
    fw = await load_framework(org)
    await org.employee("lead")
    c = fw.competency
    for i in range(25):
        await org.employee(f"e{i:02}", manager="lead", role_id=fw.role["engineer"])
        if i % 2:
            await rate(org, "lead", f"e{i:02}", "MANAGER", {c["coding"]: 1 + i % 5, c["design"]: 2})
    token = org.token("lead", MANAGER)
    counts = {}
    for first in (2, 25):
        with count_statements() as counter:
            body = await org.gql(MATRIX, {"first": first, "against": "NEXT_ROLE"}, token=token)
        rows = data(body)["teamSkillsMatrix"]["rows"]["nodes"]
        assert len(rows) == first
        assert all(len(r["cells"]) == 4 and r["role"] == {"key": "senior"} for r in rows)
        counts[first] = counter.count
    assert counts[2] == counts[25], counts
    # caller, reach, the matrix, roles, competencies, and BEGIN/ROLLBACK
    assert counts[25] <= 8, counts
