"""Concurrent editors of a goal or a plan holding the same version: exactly one wins, the
others get STALE_VERSION, and the audit log records one change."""

from __future__ import annotations

from service.config import Settings
from tests.conftest import Org
from tests.development.conftest import MANAGER, Framework, new_plan
from tests.race import WRITERS, audit_changes, only_winner, race, wide_client


async def test_one_of_twelve_progress_updates_wins(
    team: Org, fw: Framework, settings: Settings
) -> None:
    plan = await new_plan(team)
    body = await team.gql(
        "mutation($i: AddDevelopmentGoalInput!) { addDevelopmentGoal(input: $i) "
        "{ goal { id version } } }",
        {"i": {"planId": plan["id"], "title": "Ship a design doc"}},
        as_="alice",
    )
    goal = body["data"]["addDevelopmentGoal"]["goal"]
    query = (
        "mutation($i: UpdateDevelopmentGoalInput!) { updateDevelopmentGoal(input: $i) "
        "{ goal { progress version } userErrors { field code } } }"
    )
    variables = [
        {"i": {"id": goal["id"], "version": goal["version"], "progress": 10 + i}}
        for i in range(WRITERS)
    ]
    async with wide_client(settings) as client:
        results = await race(client, team.token("alice"), query, variables)
    payloads = [r["updateDevelopmentGoal"] for r in results]
    won = only_winner(payloads)
    assert payloads[won]["goal"] == {"progress": 10 + won, "version": goal["version"] + 1}
    assert await audit_changes(team, "development_goal.update") == [
        {"progress": {"from": 0, "to": 10 + won}}
    ]


async def test_one_of_twelve_approvals_wins(team: Org, fw: Framework, settings: Settings) -> None:
    plan = await new_plan(team)
    query = (
        "mutation($i: DevelopmentPlanTransitionInput!) { approveDevelopmentPlan(input: $i) "
        "{ developmentPlan { status version } userErrors { field code } } }"
    )
    variables = [{"i": {"id": plan["id"], "version": plan["version"]}} for _ in range(WRITERS)]
    async with wide_client(settings) as client:
        results = await race(client, team.token("manager", MANAGER), query, variables)
    payloads = [r["approveDevelopmentPlan"] for r in results]
    won = only_winner(payloads)
    assert payloads[won]["developmentPlan"]["status"] == "ACTIVE"
    assert len(await audit_changes(team, "development_plan.approve")) == 1
