"""Reads: readiness history, the "passed over" view, time in role, and lists whose
statement count does not grow with the page size."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text

from service.people import service as people
from tests.assessments.conftest import past
from tests.conftest import Org, gid
from tests.promotions.conftest import ADMIN_SCOPES, MANAGER, Framework, data, propose

PASSED_OVER = """
query($f: PassedOverFilter, $n: Int) {
  passedOver(filter: $f, first: $n) {
    totalCount
    nodes {
      readiness readySince monthsReady
      employee { id name role { title } }
      targetRole { key }
      timeInRole { since months }
      readinessHistory { readiness takenAt targetRole { key } }
      promotions { status }
    }
  }
}
"""
PROMOTIONS = """
query($n: Int) {
  promotions(first: $n) {
    nodes {
      id status effectiveDate
      employee { id name role { title } }
      fromRole { key } toRole { key title }
      proposer { id name }
      evidence { readiness expectations { competencyName status } }
    }
  }
}
"""


def all_at(fw: Framework, level: int) -> dict[Any, int]:
    return {c: level for c in fw.competency.values()}


async def backdate(org: Org, key: str, months: int) -> None:
    """Move someone's readiness history ``months`` back in time."""
    async with org.runtime.db.transaction(org.id) as conn:
        await conn.execute(
            text(
                "update readiness_snapshots set taken_at = taken_at - make_interval(months => :m) "
                "where employee_id = :e"
            ),
            {"m": months, "e": org.people[key].id},
        )


async def test_ratings_record_readiness_history_when_it_changes(team: Org, fw: Framework) -> None:
    c = fw.competency
    await past(team, "alice", "MANAGER", {c["coding"]: 2}, dt.date(2026, 1, 10), "manager")
    await past(team, "alice", "MANAGER", {c["coding"]: 2}, dt.date(2026, 2, 10), "manager")
    await past(team, "alice", "MANAGER", all_at(fw, 4), dt.date(2026, 3, 10), "manager")
    body = await team.gql(
        "{ me { readinessHistory { readiness targetRole { key } } } }", as_="alice"
    )
    history = data(body)["me"]["readinessHistory"]
    # Unrated when the fixture gave her the role → 0; coding 2/4 with weight 2 of 5 → 0.2;
    # the same value again adds nothing; then all met.
    assert history == [
        {"readiness": 0.0, "targetRole": {"key": "senior"}},
        {"readiness": 0.2, "targetRole": {"key": "senior"}},
        {"readiness": 1.0, "targetRole": {"key": "senior"}},
    ]
    peer = await team.gql(
        "query($id: ID!) { employee(id: $id) { readinessHistory { readiness } } }",
        {"id": gid("Employee", team.people["alice"])},
        as_="manager2",
        scopes=MANAGER,
    )
    assert peer["data"]["employee"] is None


async def test_passed_over_lists_people_ready_for_long_without_a_promotion(
    team: Org, fw: Framework
) -> None:
    await team.run(
        people.update_employee,
        team.people["alice"].id,
        people.EmployeeInput(hire_date=dt.date(2023, 1, 1)),
    )
    await past(team, "alice", "MANAGER", all_at(fw, 4), dt.date(2025, 1, 10), "manager")
    await backdate(team, "alice", 9)
    await past(team, "bob", "MANAGER", all_at(fw, 2), dt.date(2025, 1, 10), "manager")
    await backdate(team, "bob", 9)
    body = await team.gql(
        PASSED_OVER, {"f": {"minReadiness": 0.8, "minMonths": 6}}, as_="admin", scopes=ADMIN_SCOPES
    )
    found = data(body)["passedOver"]
    assert found["totalCount"] == 1
    entry = found["nodes"][0]
    assert entry["employee"]["id"] == gid("Employee", team.people["alice"])
    assert entry["readiness"] == 1.0
    assert entry["monthsReady"] in (8, 9)
    assert entry["targetRole"] == {"key": "senior"}
    assert [h["readiness"] for h in entry["readinessHistory"]] == [0.0, 1.0]
    assert entry["promotions"] == []
    # The fixture gave Alice her role today (her history above is moved back by hand).
    assert entry["timeInRole"] == {"since": dt.date.today().isoformat(), "months": 0}

    # A dip below the threshold restarts the clock.
    await past(
        team, "alice", "MANAGER", {fw.competency["coding"]: 1}, dt.date(2025, 2, 1), "manager"
    )
    await past(team, "alice", "MANAGER", all_at(fw, 4), dt.date(2025, 3, 1), "manager")
    body = await team.gql(
        PASSED_OVER, {"f": {"minReadiness": 0.8, "minMonths": 6}}, as_="admin", scopes=ADMIN_SCOPES
    )
    assert data(body)["passedOver"]["totalCount"] == 0
    body = await team.gql(
        PASSED_OVER, {"f": {"minReadiness": 0.8, "minMonths": 0}}, as_="admin", scopes=ADMIN_SCOPES
    )
    assert data(body)["passedOver"]["totalCount"] == 1

    # A promotion ends it: readiness history starts again in the new role (for staff).
    case = (await propose(team, fw))["promotion"]
    body = await team.gql(
        "mutation($i: ApprovePromotionInput!) { approvePromotion(input: $i) { promotion { status } } }",
        {"i": {"id": case["id"]}},
        as_="admin",
        scopes=ADMIN_SCOPES,
    )
    assert data(body)["approvePromotion"]["promotion"]["status"] == "EFFECTIVE"
    body = await team.gql(
        PASSED_OVER, {"f": {"minReadiness": 0.5, "minMonths": 0}}, as_="admin", scopes=ADMIN_SCOPES
    )
    alice = gid("Employee", team.people["alice"])
    (entry,) = [n for n in data(body)["passedOver"]["nodes"] if n["employee"]["id"] == alice]
    assert entry["targetRole"] == {"key": "staff"}
    assert [p["status"] for p in entry["promotions"]] == ["EFFECTIVE"]
    assert len(entry["readinessHistory"]) == 1
    body = await team.gql(
        PASSED_OVER, {"f": {"minReadiness": 0.5, "minMonths": 1}}, as_="admin", scopes=ADMIN_SCOPES
    )
    listed = [n["employee"]["id"] for n in data(body)["passedOver"]["nodes"]]
    assert listed == [gid("Employee", team.people["bob"])]


async def test_passed_over_refuses_a_bad_filter(team: Org, fw: Framework) -> None:
    body = await team.gql(
        PASSED_OVER, {"f": {"minReadiness": 1.5, "minMonths": -1}}, as_="admin", scopes=ADMIN_SCOPES
    )
    assert body["data"] is None
    assert len(body["errors"]) == 1


async def _people(org: Org, fw: Framework, n: int) -> list[str]:
    keys = []
    for i in range(n):
        key = f"eng{i}"
        await org.employee(key, manager="manager", role_id=fw.role["engineer"])
        keys.append(key)
    return keys


async def test_passed_over_costs_the_same_statements_for_any_page_size(
    team: Org, fw: Framework, count_statements: Any
) -> None:
    for key in await _people(team, fw, 5):
        await past(team, key, "MANAGER", all_at(fw, 4), dt.date(2025, 1, 10), "manager")
        await backdate(team, key, 7)
    token = team.token("admin", ADMIN_SCOPES)
    counted = []
    for n in (2, 5):
        with count_statements() as counter:
            body = await team.gql(PASSED_OVER, {"f": {"minMonths": 6}, "n": n}, token=token)
        assert len(data(body)["passedOver"]["nodes"]) == n
        counted.append(counter.count)
    assert counted[0] == counted[1], counted


async def test_promotions_list_costs_the_same_statements_for_any_page_size(
    team: Org, fw: Framework, count_statements: Any
) -> None:
    for key in await _people(team, fw, 5):
        result = await propose(team, fw, employee=key)
        assert result["userErrors"] == []
    token = team.token("admin", ADMIN_SCOPES)
    counted = []
    for n in (2, 5):
        with count_statements() as counter:
            body = await team.gql(PROMOTIONS, {"n": n}, token=token)
        nodes = data(body)["promotions"]["nodes"]
        assert len(nodes) == n
        assert all(node["employee"]["role"]["title"] == "Engineer" for node in nodes)
        # The cases' roles and their employees' roles: one statement.
        assert sum("FROM roles" in s for s in counter.statements) == 1, counter.statements
        counted.append(counter.count)
    assert counted[0] == counted[1], counted


async def test_a_role_change_by_update_employee_starts_a_new_readiness_history(
    team: Org, fw: Framework
) -> None:
    await past(team, "bob", "MANAGER", all_at(fw, 4), dt.date(2025, 1, 10), "manager")
    await team.run(
        people.update_employee,
        team.people["bob"].id,
        people.EmployeeInput(role_id=fw.role["senior"]),
    )
    body = await team.gql("{ me { readinessHistory { readiness targetRole { key } } } }", as_="bob")
    # Coding 4 of 5 with weight 2, the other three 4 of 4: (1.6 + 3) / 5 for staff.
    assert data(body)["me"]["readinessHistory"] == [
        {"readiness": 0.92, "targetRole": {"key": "staff"}}
    ]
