"""Drafting a plan from a gap analysis, and progress that follows evidence: the small
framework's engineer → senior step, with gaps checked by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from service.webhooks.models import webhook_events
from tests.conftest import Org, gid
from tests.development.conftest import (
    APPROVE_PLAN,
    DRAFT_PLAN,
    IMPORT_RESOURCES,
    MANAGER,
    SET_MENTORING,
    Framework,
    call,
    competency_gid,
    error_codes,
    rate,
    role_gid,
)

ADMIN = "career:employee career:admin"


def _resource(ext: str, title: str, key: str, low: int, high: int) -> dict[str, Any]:
    return {
        "externalId": ext,
        "title": title,
        "kind": "COURSE",
        "competencies": [{"key": key, "minLevel": low, "maxLevel": high}],
    }


async def _setting(team: Org, fw: Framework) -> None:
    """Alice (engineer) rated by Max: coding 3, design 1, teamwork 3, delivery 2. Against
    senior (coding 4 ×2, design 3, teamwork 3, delivery 3; all core) her gaps are design
    2 (weighted 2), coding 1 (weighted 2) and delivery 1 (weighted 1): ties on weight × gap
    go to the larger gap, so design, coding, delivery. Bob (her peer) and Carol (another
    team) offer to mentor."""
    c = fw.competency
    await rate(
        team,
        "manager",
        "alice",
        "MANAGER",
        {c["coding"]: 3, c["design"]: 1, c["teamwork"]: 3, c["delivery"]: 2},
    )
    await rate(team, "manager", "bob", "MANAGER", {c["design"]: 4, c["coding"]: 5})
    await rate(team, "manager2", "carol", "MANAGER", {c["design"]: 3, c["coding"]: 3})
    for who, keys in (("bob", ["design", "coding"]), ("carol", ["design", "coding"])):
        offered = await call(
            team,
            SET_MENTORING,
            "setMentoring",
            {"i": {"competencyIds": [competency_gid(c[k]) for k in keys]}},
            as_=who,
        )
        assert offered["userErrors"] == []
    imported = await call(
        team,
        IMPORT_RESOURCES,
        "importLearningResources",
        {
            "i": {
                "resources": [
                    _resource("d1", "Design Basics", "design", 1, 2),
                    _resource("d2", "Design Systems", "design", 2, 4),
                    _resource("c1", "Coding Katas", "coding", 3, 5),
                    _resource("v1", "Delivery Basics", "delivery", 1, 2),
                ]
            }
        },
        as_="admin",
        scopes=ADMIN,
    )
    assert imported["userErrors"] == []


async def test_a_draft_has_one_goal_per_top_gap_with_mixed_actions(
    team: Org, fw: Framework
) -> None:
    await _setting(team, fw)
    drafted = await call(
        team,
        DRAFT_PLAN,
        "draftDevelopmentPlan",
        {"i": {"employeeId": gid("Employee", team.people["alice"])}},
    )
    assert drafted["userErrors"] == []
    plan = drafted["developmentPlan"]
    assert (plan["status"], plan["title"], plan["targetRole"]["key"]) == (
        "DRAFT",
        "Toward Senior Engineer",
        "senior",
    )
    goals = plan["goals"]
    assert [(g["competency"]["key"], g["targetLevel"]) for g in goals] == [
        ("design", 3),
        ("coding", 4),
        ("delivery", 3),
    ]
    due = (dt.date.today() + dt.timedelta(days=180)).isoformat()
    assert {g["dueOn"] for g in goals} == {due}
    design, coding, delivery = (
        [(a["kind"], a["title"], a["mentor"]) for a in g["actions"]] for g in goals
    )
    # Design: both resources overlap the climb 2 → 3, the closer fit first; Carol (outside
    # the team, level 3) is preferred to Bob (her peer, level 4); a stretch assignment.
    assert design[:3] == [
        ("COURSE", "Design Systems", None),
        ("COURSE", "Design Basics", None),
        ("MENTORING", "Mentoring on Design with Carol Chen", {"name": "Carol Chen", "title": None}),
    ]
    assert design[3][0] == "STRETCH_ASSIGNMENT"
    # Coding: Carol is at 3, below the target 4, so her peer Bob (5) is the mentor.
    assert [k for k, _, _ in coding] == ["COURSE", "MENTORING", "STRETCH_ASSIGNMENT"]
    assert coding[1][2] == {"name": "Bob Brown", "title": None}
    # Delivery: no resource reaches level 3 and nobody mentors it.
    assert [k for k, _, _ in delivery] == ["STRETCH_ASSIGNMENT"]


async def test_draft_refusals(team: Org, fw: Framework) -> None:
    staff = await call(
        team,
        DRAFT_PLAN,
        "draftDevelopmentPlan",
        {"i": {"employeeId": gid("Employee", team.people["carol"])}},
    )
    assert error_codes(staff) == [("input.employeeId", "NOT_FOUND")]
    no_role = await call(
        team,
        DRAFT_PLAN,
        "draftDevelopmentPlan",
        {"i": {"employeeId": gid("Employee", team.people["manager"])}},
        as_="manager",
        scopes=MANAGER,
    )
    assert error_codes(no_role) == [("input.targetRoleId", "REQUIRED")]
    unknown = await call(
        team,
        DRAFT_PLAN,
        "draftDevelopmentPlan",
        {
            "i": {
                "employeeId": gid("Employee", team.people["alice"]),
                "targetRoleId": role_gid(fw.competency["coding"]),
            }
        },
    )
    assert error_codes(unknown) == [("input.targetRoleId", "NOT_FOUND")]


async def test_assessments_achieve_goals_and_complete_the_plan(team: Org, fw: Framework) -> None:
    await _setting(team, fw)
    drafted = await call(
        team,
        DRAFT_PLAN,
        "draftDevelopmentPlan",
        {"i": {"employeeId": gid("Employee", team.people["alice"])}},
        as_="manager",
        scopes=MANAGER,
    )
    plan = drafted["developmentPlan"]
    approved = await call(
        team,
        APPROVE_PLAN,
        "approveDevelopmentPlan",
        {"i": {"id": plan["id"]}},
        as_="manager",
        scopes=MANAGER,
    )
    assert approved["developmentPlan"]["status"] == "ACTIVE"
    c = fw.competency
    later = await rate(
        team, "manager", "alice", "MANAGER", {c["design"]: 3, c["coding"]: 3, c["delivery"]: 2}
    )
    query = """query($id: ID!) { node(id: $id) { ... on DevelopmentPlan { status progress
        achievedGoalCount goals { status progress achievedLevel achievedBy { id }
        competency { key } } } } }"""
    body = await team.gql(query, {"id": plan["id"]}, as_="alice")
    node = body["data"]["node"]
    assert node["status"] == "ACTIVE"
    assert node["achievedGoalCount"] == 1
    design = node["goals"][0]
    assert (
        design["competency"]["key"],
        design["status"],
        design["progress"],
        design["achievedLevel"],
    ) == ("design", "ACHIEVED", 100, 3.0)
    assert design["achievedBy"]["id"] == gid("Assessment", later)
    assert [g["status"] for g in node["goals"][1:]] == ["OPEN", "OPEN"]
    assert node["progress"] == 33  # (100 + 0 + 0) / 3

    async with team.runtime.db.transaction(team.id) as conn:
        before = (
            await conn.execute(
                select(webhook_events.c.id).where(
                    webhook_events.c.type == "development_plan.completed"
                )
            )
        ).all()
    assert before == []
    await rate(
        team, "manager", "alice", "MANAGER", {c["design"]: 3, c["coding"]: 4, c["delivery"]: 3}
    )
    body = await team.gql(query, {"id": plan["id"]}, as_="alice")
    node = body["data"]["node"]
    assert (node["status"], node["progress"], node["achievedGoalCount"]) == ("COMPLETED", 100, 3)
    async with team.runtime.db.transaction(team.id) as conn:
        events = (
            await conn.execute(
                select(webhook_events.c.data).where(
                    webhook_events.c.type == "development_plan.completed"
                )
            )
        ).all()
    assert len(events) == 1
    assert events[0].data["goal_count"] == 3
    assert events[0].data["employee_id"] == str(team.people["alice"].id)
