"""Succession plans: successors with HR's readiness beside their computed gap analysis,
bench strength, bad input, and a list whose statements do not grow with its size."""

from __future__ import annotations

from typing import Any

from tests.conftest import Org, gid
from tests.promotions.conftest import ADMIN_SCOPES, Framework, data, gid_of_role, rate

CREATE = """
mutation($i: CreateSuccessionPlanInput!) {
  createSuccessionPlan(input: $i) { successionPlan { id version } userErrors { field code } }
}
"""
SET = """
mutation($i: SetSuccessorInput!) {
  setSuccessor(input: $i) { successionPlan { id version } userErrors { field code } }
}
"""
PLANS = """
query($n: Int, $archived: Boolean! = false) {
  successionPlans(first: $n, includeArchived: $archived) {
    nodes {
      id criticality archived role { key } incumbent { id }
      benchStrength { readyNow oneToTwoYears threePlusYears total }
      successors { readiness employee { id } gapAnalysis { readiness role { key } } }
    }
  }
}
"""


async def admin(org: Org, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return data(await org.gql(query, variables, as_="admin", scopes=ADMIN_SCOPES))


async def plan(org: Org, fw: Framework, role: str = "senior", **extra: Any) -> str:
    variables = {"i": {"roleId": gid_of_role(fw.role[role]), "criticality": "HIGH", **extra}}
    result = (await admin(org, CREATE, variables))["createSuccessionPlan"]
    assert result["userErrors"] == []
    return str(result["successionPlan"]["id"])


async def successor(org: Org, plan_id: str, key: str, readiness: str) -> dict[str, Any]:
    variables = {
        "i": {
            "planId": plan_id,
            "employeeId": gid("Employee", org.people[key]),
            "readiness": readiness,
        }
    }
    return (await admin(org, SET, variables))["setSuccessor"]  # type: ignore[no-any-return]


async def test_successors_with_readiness_gaps_and_bench_strength(team: Org, fw: Framework) -> None:
    c = fw.competency
    await rate(team, "manager", "alice", "MANAGER", {k: 4 for k in c.values()})
    plan_id = await plan(team, fw, incumbentId=gid("Employee", team.people["manager"]))
    assert (await successor(team, plan_id, "alice", "READY_NOW"))["userErrors"] == []
    assert (await successor(team, plan_id, "bob", "THREE_PLUS_YEARS"))["userErrors"] == []
    # Setting a successor again changes their readiness.
    result = await successor(team, plan_id, "bob", "ONE_TO_TWO_YEARS")
    assert result["successionPlan"]["version"] == 4
    (found,) = (await admin(team, PLANS))["successionPlans"]["nodes"]
    assert found["criticality"] == "HIGH"
    assert found["incumbent"] == {"id": gid("Employee", team.people["manager"])}
    assert found["benchStrength"] == {
        "readyNow": 1,
        "oneToTwoYears": 1,
        "threePlusYears": 0,
        "total": 2,
    }
    first, second = found["successors"]
    assert first["readiness"] == "READY_NOW"
    assert first["employee"]["id"] == gid("Employee", team.people["alice"])
    assert first["gapAnalysis"] == {"readiness": 1.0, "role": {"key": "senior"}}
    assert second["gapAnalysis"]["readiness"] == 0.0


async def test_bad_input_is_refused_with_nothing_written(team: Org, fw: Framework) -> None:
    result = (await admin(team, CREATE, {"i": {"criticality": "LOW"}}))["createSuccessionPlan"]
    assert [e["code"] for e in result["userErrors"]] == ["REQUIRED"]
    plan_id = await plan(team, fw, incumbentId=gid("Employee", team.people["alice"]))
    refused = await successor(team, plan_id, "alice", "READY_NOW")
    assert [e["field"] for e in refused["userErrors"]] == [["input", "employeeId"]]
    archive = (
        await admin(
            team,
            "mutation($i: UpdateSuccessionPlanInput!) { updateSuccessionPlan(input: $i) "
            "{ successionPlan { archived } userErrors { code } } }",
            {"i": {"id": plan_id, "archived": True}},
        )
    )["updateSuccessionPlan"]
    assert archive["successionPlan"] == {"archived": True}
    assert (await admin(team, PLANS))["successionPlans"]["nodes"] == []
    assert len((await admin(team, PLANS, {"archived": True}))["successionPlans"]["nodes"]) == 1
    on_archived = await successor(team, plan_id, "bob", "READY_NOW")
    assert [e["code"] for e in on_archived["userErrors"]] == ["INVALID_STATE"]


async def test_the_plan_list_costs_the_same_statements_for_any_size(
    team: Org, fw: Framework, count_statements: Any
) -> None:
    for role in ("senior", "staff", "operator", "engineer"):
        plan_id = await plan(team, fw, role)
        await successor(team, plan_id, "alice", "READY_NOW")
        await successor(team, plan_id, "bob", "ONE_TO_TWO_YEARS")
    token = team.token("admin", ADMIN_SCOPES)
    counted = []
    for n in (1, 4):
        with count_statements() as counter:
            body = await team.gql(PLANS, {"n": n}, token=token)
        assert len(data(body)["successionPlans"]["nodes"]) == n
        counted.append(counter.count)
    assert counted[0] == counted[1], counted
