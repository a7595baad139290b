"""Reads: a manager's team view (constant statements for 50 reports), overdue goals, and
completion figures per org unit."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select, update

from service.auth.principal import system_principal
from service.db import ConnectionExecutor
from service.development.models import (
    development_actions,
    development_check_ins,
    development_goals,
    development_plans,
)
from service.development.queries import MENTORS, PlanStats, plan_stats
from service.graphql.ids import encode_id
from service.people import service as people
from service.people.models import employees
from tests.conftest import Org, gid
from tests.development.conftest import ADD_GOAL, MANAGER, UPDATE_GOAL, Framework, call, new_plan

TODAY = dt.date.today()
TEAM = """query($n: Int!, $overdue: Boolean!) {
  teamDevelopment(first: $n, overdueOnly: $overdue) { totalCount nodes {
    title status progress overdueGoalCount employee { name } targetRole { title }
    approvedBy { name }
    overdueGoals { title }
    goals { title overdue competency { key } actions { title mentor { name } resource { title } } }
    checkIns { note author { name } }
  } }
}"""


async def _reports(team: Org, fw: Framework, n: int) -> None:
    """``n`` reports of Max, each with an ACTIVE plan of two goals (one overdue), two
    actions and a check-in, written in bulk."""
    async with team.runtime.db.transaction(team.id) as conn:
        db = ConnectionExecutor(conn)
        system = system_principal(team.id)
        manager = team.people["manager"]
        ids = []
        for i in range(n):
            row = await people.create_employee(
                db,
                system,
                people.EmployeeInput(
                    email=f"r{i}@{team.slug}.example",
                    name=f"Report {i:02d}",
                    auth_subject=f"sub-r{i}-{team.slug}",
                    manager_id=manager.id,
                ),
            )
            ids.append(row.id)
        plans = (
            (
                await conn.execute(
                    insert(development_plans).returning(development_plans.c.id),
                    [
                        {
                            "org_id": team.id,
                            "employee_id": e,
                            "title": f"Plan {i}",
                            "target_role_id": fw.role["senior"],
                            "starts_on": TODAY - dt.timedelta(days=90),
                            "status": "ACTIVE",
                            "approved_by_type": "EMPLOYEE",
                            "approved_by_id": manager.id,
                            "approved_at": dt.datetime.now(dt.UTC),
                        }
                        for i, e in enumerate(ids)
                    ],
                )
            )
            .scalars()
            .all()
        )
        goals = (
            await conn.execute(
                insert(development_goals).returning(
                    development_goals.c.id, development_goals.c.plan_id
                ),
                [
                    {
                        "org_id": team.id,
                        "plan_id": p,
                        "position": k,
                        "title": f"Goal {k}",
                        "competency_id": fw.competency["design"],
                        "target_level": 3,
                        "due_on": TODAY + dt.timedelta(days=-5 if k == 1 else 30),
                        "progress": 20 * k,
                    }
                    for p in plans
                    for k in (1, 2)
                ],
            )
        ).all()
        await conn.execute(
            insert(development_actions),
            [
                {
                    "org_id": team.id,
                    "goal_id": g.id,
                    "plan_id": g.plan_id,
                    "position": 1,
                    "kind": "MENTORING",
                    "title": "Sessions",
                    "mentor_id": team.people["carol"].id,
                }
                for g in goals
            ],
        )
        await conn.execute(
            insert(development_check_ins),
            [
                {
                    "org_id": team.id,
                    "plan_id": p,
                    "author_type": "EMPLOYEE",
                    "author_id": manager.id,
                    "held_on": TODAY,
                    "note": "Fine.",
                }
                for p in plans
            ],
        )


async def test_team_development_costs_the_same_statements_for_50_reports(
    team: Org, fw: Framework, count_statements: Any
) -> None:
    await _reports(team, fw, 50)
    token = team.token("manager", MANAGER)
    counted = []
    for n in (1, 5, 50):
        with count_statements() as counter:
            body = await team.gql(TEAM, {"n": n, "overdue": False}, token=token)
        assert "errors" not in body, body
        nodes = body["data"]["teamDevelopment"]["nodes"]
        assert len(nodes) == n
        counted.append(counter.count)
    assert counted[0] == counted[1] == counted[2], counted
    first = nodes[0]
    assert first["employee"]["name"] == "Report 00"
    assert (first["progress"], first["overdueGoalCount"]) == (30, 1)
    assert first["overdueGoals"] == [{"title": "Goal 1"}]
    assert [g["overdue"] for g in first["goals"]] == [True, False]
    assert first["goals"][0]["actions"] == [
        {"title": "Sessions", "mentor": {"name": "Carol Chen"}, "resource": None}
    ]
    assert first["checkIns"] == [{"note": "Fine.", "author": {"name": "Max Manager"}}]
    assert first["approvedBy"] == {"name": "Max Manager"}
    assert body["data"]["teamDevelopment"]["totalCount"] == 50


EMPLOYEE_PLANS = """query($id: ID!) { node(id: $id) { ... on Employee { developmentPlans {
  title progress overdueGoalCount targetRole { title }
  goals { title overdue competency { key } actions { title mentor { name } resource { title } } }
  checkIns { note }
} } } }"""


async def test_an_employees_plans_cost_the_same_statements_for_one_or_two_plans(
    team: Org, fw: Framework, count_statements: Any
) -> None:
    await _reports(team, fw, 3)
    async with team.runtime.db.transaction(team.id) as conn:
        rows = (await conn.execute(select(employees.c.name, employees.c.id))).all()
        ids = {r.name: r.id for r in rows}
        # Report 02's plan becomes Report 00's second plan.
        await conn.execute(
            update(development_plans)
            .where(development_plans.c.employee_id == ids["Report 02"])
            .values(employee_id=ids["Report 00"], title="Plan 2")
        )
    token = team.token("manager", MANAGER)
    counted, found = [], []
    for name in ("Report 01", "Report 00"):
        with count_statements() as counter:
            body = await team.gql(
                EMPLOYEE_PLANS, {"id": encode_id("Employee", ids[name])}, token=token
            )
        assert "errors" not in body, body
        counted.append(counter.count)
        found.append(body["data"]["node"]["developmentPlans"])
        # The mentors come with the actions, not from a statement of their own.
        mentors = str(MENTORS.compile()).split("FROM")[0]
        assert not any(s.startswith(mentors) for s in counter.statements), counter.statements
    assert counted[0] == counted[1], counted
    assert sorted(p["title"] for p in found[1]) == ["Plan 0", "Plan 2"]
    for plan in found[1]:
        assert plan["overdueGoalCount"] == 1
        assert [g["overdue"] for g in plan["goals"]] == [True, False]
        assert plan["goals"][0]["actions"] == [
            {"title": "Sessions", "mentor": {"name": "Carol Chen"}, "resource": None}
        ]
        assert plan["checkIns"] == [{"note": "Fine."}]


async def test_overdue_only_and_the_managers_reach(team: Org, fw: Framework) -> None:
    plan = await new_plan(team, startsOn=(TODAY - dt.timedelta(days=30)).isoformat())
    goal = await call(
        team,
        ADD_GOAL,
        "addDevelopmentGoal",
        {
            "i": {
                "planId": plan["id"],
                "title": "Late",
                "dueOn": (TODAY - dt.timedelta(days=2)).isoformat(),
            }
        },
    )
    assert goal["goal"]["overdue"] is True
    await new_plan(team, as_="bob", employeeId=gid("Employee", team.people["bob"]))
    body = await team.gql(TEAM, {"n": 10, "overdue": True}, as_="manager", scopes=MANAGER)
    assert [n["employee"]["name"] for n in body["data"]["teamDevelopment"]["nodes"]] == [
        "Alice Anders"
    ]
    body = await team.gql(TEAM, {"n": 10, "overdue": False}, as_="boss", scopes=MANAGER)
    names = [n["employee"]["name"] for n in body["data"]["teamDevelopment"]["nodes"]]
    assert names == ["Alice Anders", "Bob Brown"]
    # Achieving the goal clears the flag.
    await call(
        team,
        UPDATE_GOAL,
        "updateDevelopmentGoal",
        {"i": {"id": goal["goal"]["id"], "status": "ACHIEVED"}},
    )
    body = await team.gql(TEAM, {"n": 10, "overdue": True}, as_="manager", scopes=MANAGER)
    assert body["data"]["teamDevelopment"]["nodes"] == []
    # Not a manager of Max's team: refused.
    body = await team.gql(
        "query($m: ID!) { teamDevelopment(managerId: $m) { totalCount } }",
        {"m": gid("Employee", team.people["manager"])},
        as_="manager2",
        scopes=MANAGER,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_completion_figures_per_org_unit(team: Org, fw: Framework) -> None:
    unit = await team.run(people.create_org_unit, people.OrgUnitInput(name="Platform"))
    await team.run(
        people.update_employee, team.people["alice"].id, people.EmployeeInput(org_unit_id=unit.id)
    )
    plan = await new_plan(team, startsOn=(TODAY - dt.timedelta(days=60)).isoformat())
    made = []
    for title, days in (("A", -20), ("B", -10), ("C", -3), ("D", 40)):
        result = await call(
            team,
            ADD_GOAL,
            "addDevelopmentGoal",
            {
                "i": {
                    "planId": plan["id"],
                    "title": title,
                    "dueOn": (TODAY + dt.timedelta(days=days)).isoformat(),
                }
            },
        )
        made.append(result["goal"])
    await call(
        team,
        UPDATE_GOAL,
        "updateDevelopmentGoal",
        {"i": {"id": made[0]["id"], "status": "ACHIEVED"}},
    )
    await call(
        team,
        UPDATE_GOAL,
        "updateDevelopmentGoal",
        {"i": {"id": made[2]["id"], "status": "DROPPED"}},
    )
    body = await team.gql(
        "query($f: Date!, $t: Date!) { developmentCompletion(from: $f, to: $t) "
        "{ dueGoals completedGoals rate orgUnit { name } } }",
        {"f": (TODAY - dt.timedelta(days=30)).isoformat(), "t": TODAY.isoformat()},
        as_="admin",
        scopes="career:employee career:admin",
    )
    # A and B were due in the last 30 days (C was dropped, D is later): one of two achieved.
    assert body["data"]["developmentCompletion"] == [
        {"dueGoals": 2, "completedGoals": 1, "rate": 0.5, "orgUnit": {"name": "Platform"}}
    ]
    async with team.runtime.db.transaction(team.id) as conn:
        assert (await conn.execute(select(development_goals.c.id))).all()


def test_plan_figures_round_the_mean_progress_half_up() -> None:
    def goal(progress: int, status: str = "OPEN", due: int | None = None) -> Any:
        due_on = TODAY + dt.timedelta(days=due) if due is not None else None
        return SimpleNamespace(progress=progress, status=status, due_on=due_on)

    goals = [goal(0), goal(1, due=-1), goal(100, "ACHIEVED", -3), goal(99, "DROPPED", -1)]
    assert plan_stats(goals, TODAY) == PlanStats(progress=34, goals=3, achieved=1, overdue=1)
    assert plan_stats([goal(0), goal(1)], TODAY).progress == 1  # 0.5 rounds up
    assert plan_stats([goal(5, "DROPPED")], TODAY) == PlanStats(0, 0, 0, 0)
