"""Plans, goals, actions and check-ins: the life cycle, who may do what, and bad input
refused with nothing written."""

from __future__ import annotations

import datetime as dt

from tests.conftest import Org, gid
from tests.development.conftest import (
    ADD_ACTION,
    ADD_CHECK_IN,
    ADD_GOAL,
    ADMIN_SCOPES,
    APPROVE_PLAN,
    ARCHIVE_PLAN,
    MANAGER,
    SET_MENTORING,
    UPDATE_ACTION,
    UPDATE_GOAL,
    UPDATE_PLAN,
    Framework,
    call,
    competency_gid,
    counts,
    error_codes,
    new_plan,
    role_gid,
)

TODAY = dt.date.today()


async def _goal(org: Org, plan: dict, fw: Framework, **fields: object) -> dict:
    variables = {
        "i": {
            "planId": plan["id"],
            "title": "Design review habits",
            "competencyId": competency_gid(fw.competency["design"]),
            "targetLevel": 3,
            "dueOn": (TODAY + dt.timedelta(days=60)).isoformat(),
            **fields,
        }
    }
    result = await call(org, ADD_GOAL, "addDevelopmentGoal", variables)
    assert result["userErrors"] == [], result
    return result["goal"]  # type: ignore[no-any-return]


async def test_a_plan_from_draft_to_active_with_goals_actions_and_check_ins(
    team: Org, fw: Framework
) -> None:
    plan = await new_plan(team, targetRoleId=role_gid(fw.role["senior"]))
    assert plan["status"] == "DRAFT"
    assert plan["employee"]["id"] == gid("Employee", team.people["alice"])
    assert plan["targetRole"]["key"] == "senior"
    assert plan["startsOn"] == TODAY.isoformat()
    goal = await _goal(team, plan, fw)
    assert goal["competency"]["key"] == "design"
    assert (goal["status"], goal["progress"], goal["overdue"]) == ("OPEN", 0, False)

    action = await call(
        team,
        ADD_ACTION,
        "addDevelopmentAction",
        {
            "i": {
                "goalId": goal["id"],
                "kind": "STRETCH_ASSIGNMENT",
                "title": "Lead a design review",
            }
        },
    )
    assert action["userErrors"] == []
    assert action["action"]["status"] == "PLANNED"

    # The employee edits; the version moves with every change.
    updated = await call(
        team,
        UPDATE_GOAL,
        "updateDevelopmentGoal",
        {"i": {"id": goal["id"], "version": goal["version"], "progress": 40}},
    )
    assert updated["goal"]["progress"] == 40
    assert updated["goal"]["version"] == goal["version"] + 1

    # Approval is for the manager chain, not the employee.
    refused = await call(team, APPROVE_PLAN, "approveDevelopmentPlan", {"i": {"id": plan["id"]}})
    assert error_codes(refused) == [("input.id", "INVALID_STATE")]
    approved = await call(
        team,
        APPROVE_PLAN,
        "approveDevelopmentPlan",
        {"i": {"id": plan["id"]}},
        as_="boss",
        scopes=MANAGER,
    )
    assert approved["userErrors"] == []
    p = approved["developmentPlan"]
    assert p["status"] == "ACTIVE"
    assert p["approvedBy"]["id"] == gid("Employee", team.people["boss"])
    assert p["approvedAt"] is not None
    assert p["progress"] == 40
    assert p["goalCount"] == 1

    check_in = await call(
        team,
        ADD_CHECK_IN,
        "addDevelopmentCheckIn",
        {"i": {"planId": plan["id"], "note": "Good first review; next one on the API."}},
        as_="manager",
        scopes=MANAGER,
    )
    assert check_in["checkIn"]["author"]["id"] == gid("Employee", team.people["manager"])

    body = await team.gql(
        "{ me { developmentPlans { id status checkIns { note } goals { actions { title } } } } }",
        as_="alice",
    )
    plans = body["data"]["me"]["developmentPlans"]
    assert [p["status"] for p in plans] == ["ACTIVE"]
    assert plans[0]["checkIns"][0]["note"].startswith("Good first review")
    assert plans[0]["goals"][0]["actions"][0]["title"] == "Lead a design review"

    # Approving twice is an illegal transition; archiving ends the plan's changes.
    again = await call(
        team,
        APPROVE_PLAN,
        "approveDevelopmentPlan",
        {"i": {"id": plan["id"]}},
        as_="manager",
        scopes=MANAGER,
    )
    assert error_codes(again) == [("input.id", "INVALID_STATE")]
    archived = await call(team, ARCHIVE_PLAN, "archiveDevelopmentPlan", {"i": {"id": plan["id"]}})
    assert archived["developmentPlan"]["status"] == "ARCHIVED"
    before = await counts(team)
    edit = await call(
        team, UPDATE_PLAN, "updateDevelopmentPlan", {"i": {"id": plan["id"], "title": "New"}}
    )
    assert error_codes(edit) == [("input.id", "INVALID_STATE")]
    goal_edit = await call(
        team, UPDATE_GOAL, "updateDevelopmentGoal", {"i": {"id": goal["id"], "progress": 50}}
    )
    assert error_codes(goal_edit) == [("input.id", "INVALID_STATE")]
    assert await counts(team) == before


async def test_bad_values_are_refused_with_nothing_written(team: Org, fw: Framework) -> None:
    plan = await new_plan(team, endsOn=(TODAY + dt.timedelta(days=200)).isoformat())
    goal = await _goal(team, plan, fw)
    before = await counts(team)

    progress = await call(
        team, UPDATE_GOAL, "updateDevelopmentGoal", {"i": {"id": goal["id"], "progress": 140}}
    )
    assert error_codes(progress) == [("input.progress", "INVALID")]

    bad_goal = await call(
        team,
        ADD_GOAL,
        "addDevelopmentGoal",
        {
            "i": {
                "planId": plan["id"],
                "title": " ",
                "competencyId": competency_gid(fw.competency["coding"]),
                "targetLevel": 7,
                "dueOn": (TODAY - dt.timedelta(days=1)).isoformat(),
            }
        },
    )
    assert error_codes(bad_goal) == [
        ("input.title", "REQUIRED"),
        ("input.targetLevel", "INVALID"),
        ("input.dueOn", "INVALID"),
    ]
    assert "1 to 5" in bad_goal["userErrors"][1]["message"]
    assert "before the plan starts" in bad_goal["userErrors"][2]["message"]

    unknown = await call(
        team,
        ADD_GOAL,
        "addDevelopmentGoal",
        {
            "i": {
                "planId": plan["id"],
                "title": "Learn it",
                "competencyId": competency_gid(fw.role["senior"]),
                "targetLevel": 2,
            }
        },
    )
    assert error_codes(unknown) == [("input.competencyId", "NOT_FOUND")]

    late = await call(
        team,
        UPDATE_GOAL,
        "updateDevelopmentGoal",
        {"i": {"id": goal["id"], "dueOn": (TODAY + dt.timedelta(days=400)).isoformat()}},
    )
    assert error_codes(late) == [("input.dueOn", "INVALID")]

    period = await call(
        team,
        UPDATE_PLAN,
        "updateDevelopmentPlan",
        {"i": {"id": plan["id"], "endsOn": (TODAY - dt.timedelta(days=3)).isoformat()}},
    )
    assert ("input.endsOn", "INVALID") in error_codes(period)

    stale = await call(
        team,
        UPDATE_GOAL,
        "updateDevelopmentGoal",
        {"i": {"id": goal["id"], "version": goal["version"] + 5, "progress": 10}},
    )
    assert error_codes(stale) == [("input.version", "STALE_VERSION")]

    mentor = await call(
        team,
        ADD_ACTION,
        "addDevelopmentAction",
        {
            "i": {
                "goalId": goal["id"],
                "kind": "MENTORING",
                "title": "Pair with someone",
                "mentorId": gid("Employee", team.people["bob"]),
            }
        },
    )
    assert error_codes(mentor) == [("input.mentorId", "NOT_FOUND")]
    assert await counts(team) == before


async def test_others_neither_see_nor_edit_a_plan(team: Org, fw: Framework) -> None:
    plan = await new_plan(team)
    query = "query($id: ID!) { node(id: $id) { ... on DevelopmentPlan { title } } }"
    for who, scopes in (
        ("alice", "career:employee"),
        ("manager", MANAGER),
        ("boss", MANAGER),
        ("admin", ADMIN_SCOPES),
    ):
        body = await team.gql(query, {"id": plan["id"]}, as_=who, scopes=scopes)
        assert body["data"]["node"] == {"title": "Grow"}, (who, body)
    for who, scopes in (
        ("bob", "career:employee"),
        ("manager2", MANAGER),
        ("manager", "career:employee"),
    ):
        body = await team.gql(query, {"id": plan["id"]}, as_=who, scopes=scopes)
        assert body["data"]["node"] is None, (who, body)
        edit = await call(
            team,
            UPDATE_PLAN,
            "updateDevelopmentPlan",
            {"i": {"id": plan["id"], "title": "Mine now"}},
            as_=who,
            scopes=scopes,
        )
        assert error_codes(edit) == [("input.id", "NOT_FOUND")]
    body = await team.gql(
        "query($id: ID!) { employee(id: $id) { developmentPlans { id } } }",
        {"id": gid("Employee", team.people["alice"])},
        as_="bob",
    )
    assert body["data"] is None or body["data"]["employee"] is None


async def test_actions_done_raise_the_goal_and_the_mentor_shows_only_their_profile(
    team: Org, fw: Framework
) -> None:
    offered = await call(
        team,
        SET_MENTORING,
        "setMentoring",
        {"i": {"competencyIds": [competency_gid(fw.competency["design"])]}},
        as_="carol",
    )
    assert offered["mentorProfile"] == {
        "name": "Carol Chen",
        "title": None,
        "competencies": [{"key": "design"}],
    }
    plan = await new_plan(team)
    goal = await _goal(team, plan, fw)
    first = await call(
        team,
        ADD_ACTION,
        "addDevelopmentAction",
        {
            "i": {
                "goalId": goal["id"],
                "kind": "MENTORING",
                "title": "Monthly design sessions",
                "mentorId": gid("Employee", team.people["carol"]),
            }
        },
    )
    assert first["action"]["mentor"] == {"name": "Carol Chen", "title": None}
    await call(
        team,
        ADD_ACTION,
        "addDevelopmentAction",
        {"i": {"goalId": goal["id"], "kind": "READING", "title": "A design book"}},
    )
    done = await call(
        team,
        UPDATE_ACTION,
        "updateDevelopmentAction",
        {"i": {"id": first["action"]["id"], "status": "DONE"}},
    )
    assert done["action"]["status"] == "DONE"
    body = await team.gql(
        "query($id: ID!) { node(id: $id) { ... on DevelopmentGoal { progress status } } }",
        {"id": goal["id"]},
        as_="alice",
    )
    assert body["data"]["node"] == {"progress": 50, "status": "OPEN"}
