"""The demo organization's development plans and catalogue."""

from __future__ import annotations

import httpx

from service.app import Runtime
from tests.promotions.test_demo import ask
from tests.promotions.test_demo import demo as demo  # the fixture

PERSONA = "platform-swe-1"  # Chiara Bianchi, software engineer; her manager is Nora Lindqvist
MANAGER = "career:employee career:manager"


async def test_the_demo_employee_has_an_active_plan_drafted_from_her_gaps(
    demo: Runtime, client: httpx.AsyncClient
) -> None:
    """Checked by hand against the demo: Chiara's mid-year manager ratings are 2 in code
    quality, collaboration, craft and technical skills, operational excellence and system
    design, 3 in AI collaboration and project delivery. Senior software engineer asks 3 of
    all of these (strategic thinking 2, unassessed), so five core gaps of 1 tie on weight ×
    gap and go in the role's order, by name: code quality, collaboration, craft and
    technical skills."""
    found = await ask(
        demo,
        client,
        PERSONA,
        "career:employee",
        "{ me { gapAnalysis { relation topGaps(limit: 5) { competency { key } } } "
        "developmentPlans { title status targetRole { key } approvedBy { name } "
        "goals { competency { key } targetLevel status actions { kind title status "
        "mentor { name title } resource { title } } } checkIns { note author { name } } } } }",
    )
    me = found["me"]
    next_role = next(g for g in me["gapAnalysis"] if g["relation"] == "NEXT_ROLE")
    assert [g["competency"]["key"] for g in next_role["topGaps"]] == [
        "code-quality",
        "collaboration",
        "technical-skills",
        "operational-excellence",
        "system-design",
    ]
    (plan,) = me["developmentPlans"]
    assert (plan["title"], plan["status"], plan["targetRole"]["key"]) == (
        "Toward Senior Software Engineer",
        "ACTIVE",
        "senior-software-engineer",
    )
    assert plan["approvedBy"] == {"name": "Nora Lindqvist"}
    assert [(g["competency"]["key"], g["targetLevel"]) for g in plan["goals"]] == [
        ("code-quality", 3),
        ("collaboration", 3),
        ("technical-skills", 3),
    ]
    code = plan["goals"][0]["actions"]
    # Both code quality resources reach level 3 from one side: the tie goes by title.
    assert [(a["kind"], a["title"], a["status"]) for a in code[:2]] == [
        ("COURSE", "Refactoring in Small Steps", "IN_PROGRESS"),
        ("COURSE", "Testing Strategies for Large Codebases", "PLANNED"),
    ]
    # Mentors come from outside her team: a staff engineer of the apps team, and for
    # collaboration a marketing manager.
    assert code[2]["mentor"] == {"name": "Elena Popescu", "title": "Staff Engineer"}
    assert plan["goals"][1]["actions"][2]["mentor"]["name"] == "Lucas Brandt"
    assert [a["kind"] for a in plan["goals"][2]["actions"]] == [
        "COURSE",
        "READING",
        "MENTORING",
        "STRETCH_ASSIGNMENT",
    ]
    assert plan["checkIns"][0]["author"] == {"name": "Nora Lindqvist"}


async def test_the_demo_manager_sees_her_teams_plans_and_the_catalogue(
    demo: Runtime, client: httpx.AsyncClient
) -> None:
    found = await ask(
        demo,
        client,
        "platform-manager",
        MANAGER,
        "{ teamDevelopment(first: 20) { nodes { employee { name } status goalCount } } "
        "learningResources(first: 100) { totalCount } }",
    )
    plans = found["teamDevelopment"]["nodes"]
    assert [p["employee"]["name"] for p in plans] == [
        "Chiara Bianchi",
        "Samuel Adeyemi",
        "Yuki Sato",
    ]
    assert all(p["status"] == "ACTIVE" and p["goalCount"] >= 1 for p in plans)
    assert found["learningResources"]["totalCount"] == 32
