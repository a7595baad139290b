"""The demo organization's mid-year review, and gaps computed from it by hand."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from service.app import Runtime
from service.demo.load import DEMO_SLUG, demo_subject, load_demo
from service.demo.people import people
from service.demo.ratings import Expectation, demo_ratings


@pytest.fixture
async def demo(runtime: Runtime) -> Runtime:
    await load_demo(runtime.db)  # once per database: later calls find it loaded
    return runtime


async def ask(
    runtime: Runtime, client: httpx.AsyncClient, key: str, scopes: str, query: str, **v: Any
) -> dict[str, Any]:
    assert runtime.dev_issuer is not None
    token = runtime.dev_issuer.mint(demo_subject(key), org=DEMO_SLUG, scopes=scopes.split())
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": v},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


GAPS = """
{ me { name gapAnalysis { relation readiness role { key }
    expectations { competency { key } requiredLevel currentLevel status source
                   ratings { assessment { kind cycle { name } } } }
    meetsCount exceedsCount belowCount unassessedCount } } }
"""


async def test_an_engineer_of_the_demo_against_her_role_and_the_next(
    demo: Runtime, client: httpx.AsyncClient
) -> None:
    me = (await ask(demo, client, "platform-swe-1", "career:employee", GAPS))["me"]
    assert me["name"] == "Chiara Bianchi"
    by_role = {g["role"]["key"]: g for g in me["gapAnalysis"]}
    current = by_role["software-engineer"]
    assert current["relation"] == "CURRENT_ROLE"
    # Her manager rated ai-collaboration and project-delivery 3 and the other five 2; the
    # role requires 2 of all seven (weight 1 each): readiness 7/7.
    levels = {e["competency"]["key"]: e["currentLevel"] for e in current["expectations"]}
    assert levels == {
        "technical-skills": 2.0,
        "code-quality": 2.0,
        "system-design": 2.0,
        "operational-excellence": 2.0,
        "collaboration": 2.0,
        "ai-collaboration": 3.0,
        "project-delivery": 3.0,
    }
    assert {e["source"] for e in current["expectations"]} == {"MANAGER"}
    assert current["readiness"] == 1.0
    assert (current["meetsCount"], current["exceedsCount"], current["belowCount"]) == (5, 2, 0)
    evidence = current["expectations"][0]["ratings"][0]["assessment"]
    assert evidence == {"kind": "MANAGER", "cycle": {"name": "2026 mid-year review"}}

    senior = by_role["senior-software-engineer"]
    assert senior["relation"] == "NEXT_ROLE"
    # Five expectations at 3 where she is at 2 (2/3 each), strategic thinking (2) not
    # rated, ai-collaboration and project-delivery met: (5 · 2/3 + 0 + 2) / 8 = 0.66667.
    assert senior["readiness"] == pytest.approx(0.6667)
    assert (senior["belowCount"], senior["unassessedCount"], senior["meetsCount"]) == (5, 1, 2)


async def test_a_growing_engineer_of_the_demo(demo: Runtime, client: httpx.AsyncClient) -> None:
    query = """
    query($id: ID!) { employee(id: $id) { name gapAnalysis { readiness role { key }
        topGaps(limit: 5) { competency { key } gap } } } }
    """
    employees = await ask(
        demo,
        client,
        "hr-director",
        "career:employee career:admin",
        '{ employees(first: 100, filter: {search: "Aylin"}) { nodes { id } } }',
    )
    (aylin,) = employees["employees"]["nodes"]
    found = await ask(
        demo, client, "apps-manager", "career:employee career:manager", query, id=aylin["id"]
    )
    current = found["employee"]["gapAnalysis"][0]
    assert current["role"]["key"] == "software-engineer"
    # code-quality, collaboration and operational-excellence at 1 of 2 required:
    # (4 · 1 + 3 · 1/2) / 7 = 0.78571
    assert current["readiness"] == pytest.approx(0.7857)
    assert sorted(g["competency"]["key"] for g in current["topGaps"]) == [
        "code-quality",
        "collaboration",
        "operational-excellence",
    ]


async def test_the_demo_review_covers_everyone_with_a_role(
    demo: Runtime, client: httpx.AsyncClient
) -> None:
    admin = "career:employee career:admin"
    cycles = await ask(
        demo, client, "hr-director", admin, "{ assessmentCycles { nodes { name status kinds } } }"
    )
    assert cycles["assessmentCycles"]["nodes"] == [
        {"name": "2026 mid-year review", "status": "CLOSED", "kinds": ["SELF", "MANAGER"]}
    ]
    with_role = [p for p in people() if p.role]
    listing = await ask(
        demo,
        client,
        "hr-director",
        admin,
        "{ assessments(first: 1) { totalCount } }",
    )
    # A SELF and a MANAGER assessment of everyone with a role (all of them have a manager).
    assert listing["assessments"]["totalCount"] == 2 * len(with_role)
    summary = await ask(
        demo,
        client,
        "hr-director",
        admin,
        "{ skillGapSummary(groupBy: JOB_FAMILY) { suppressedGroupCount groups { "
        "jobFamily { key } headcount assessedShare metShare weakestCompetencies { key } } } }",
    )
    groups = {g["jobFamily"]["key"]: g for g in summary["skillGapSummary"]["groups"]}
    assert groups.keys() == {"marketing", "engineering", "customer-success", "product"}
    assert sum(g["headcount"] for g in groups.values()) == len(with_role)
    assert all(g["assessedShare"] == 1.0 for g in groups.values())
    assert all(0.5 < g["metShare"] < 1.0 for g in groups.values())
    matrix = await ask(
        demo,
        client,
        "platform-manager",
        "career:employee career:manager",
        "{ teamSkillsMatrix(first: 100) { competencies { key } rows { totalCount nodes { "
        "employee { name } readiness cells { status } } } } }",
    )
    rows = matrix["teamSkillsMatrix"]["rows"]
    assert rows["totalCount"] == 8
    assert all(r["cells"] and r["readiness"] is not None for r in rows["nodes"])


def test_demo_ratings_are_deterministic_and_near_the_role() -> None:
    expected = [Expectation(f"c{i}", 3, 5) for i in range(6)]
    first = demo_ratings("someone", expected)
    assert first == demo_ratings("someone", expected)
    assert all(abs(r.manager_level - 3) <= 1 for r in first)
    assert all(abs(r.self_level - r.manager_level) <= 1 for r in first)
