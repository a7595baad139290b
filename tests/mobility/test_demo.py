"""The demo organization's mobility data, and matching on it checked against scores worked
out by hand from the formula in the schema."""

from __future__ import annotations

from collections import Counter

import httpx

from service.app import Runtime
from tests.promotions.test_demo import ADMIN, ask
from tests.promotions.test_demo import demo as demo  # the fixture


async def test_the_demo_has_open_postings_of_every_kind_aspirations_and_applications(
    demo: Runtime, client: httpx.AsyncClient
) -> None:
    found = await ask(
        demo,
        client,
        "hr-director",
        ADMIN,
        "{ postings(first: 50) { nodes { kind status requirements { requiredLevel } "
        "applications(first: 20) { nodes { status confidential } } } } "
        "employees(first: 100) { nodes { careerAspiration { openTo } } } }",
    )
    postings = found["postings"]["nodes"]
    open_ = [p for p in postings if p["status"] == "OPEN"]
    assert len(open_) == 12
    assert {p["kind"] for p in open_} == {"ROLE", "PROJECT", "GIG", "ROTATION", "MENTORSHIP"}
    assert all(p["requirements"] for p in postings)
    assert [p["kind"] for p in postings if p["status"] == "FILLED"] == ["GIG"]
    stages = Counter(a["status"] for p in postings for a in p["applications"]["nodes"])
    assert stages == {
        "SUBMITTED": 3,
        "IN_REVIEW": 2,
        "INTERVIEWING": 2,
        "OFFERED": 2,
        "REJECTED": 1,
        "ACCEPTED": 1,
    }
    people = found["employees"]["nodes"]
    with_aspiration = [e for e in people if e["careerAspiration"] is not None]
    assert len(with_aspiration) == len(people) // 3


async def test_recommendations_for_the_demo_engineer_match_the_hand_computed_scores(
    demo: Runtime, client: httpx.AsyncClient
) -> None:
    """Chiara, a software engineer: collaboration, technical skills, system design, code
    quality and operational excellence at 2, AI collaboration and project delivery at 3,
    strategic thinking unassessed; she aims at senior software engineer and associate
    product manager."""
    found = await ask(
        demo,
        client,
        "platform-swe-1",
        "career:employee",
        "{ me { recommendedPostings(first: 2) { totalCount nodes { score coverage "
        "aspirationFit mustHavesMet posting { title } requirements { competency { key } "
        "status } } } } }",
    )
    page = found["me"]["recommendedPostings"]
    assert page["totalCount"] == 12  # every open posting; none of them is hers
    senior, apm = page["nodes"]
    # Senior software engineer: eight expectations of weight 1; five at 2 of 3 (2/3 each),
    # two met (1 each), strategic thinking unassessed (0): coverage (5·2/3 + 2) / 8 = 0.6667.
    # Core ones are must-haves and not all met: gate 0.5; her target role: fit 1.
    # 0.5 × (0.8 × 0.6667 + 0.2 × 1) = 0.3667.
    assert senior["posting"]["title"] == "Senior Software Engineer, Platform"
    assert (senior["coverage"], senior["aspirationFit"], senior["mustHavesMet"]) == (
        0.6667,
        1.0,
        False,
    )
    assert senior["score"] == 0.3667
    statuses = Counter(r["status"] for r in senior["requirements"])
    assert statuses == {"PARTLY_MET": 5, "MET": 2, "MISSING": 1}
    # Associate product manager: six expectations of weight 1; collaboration (2 of 2) and AI
    # collaboration (3 of 2) met, four unassessed: coverage 2/6; gate 0.5; target role:
    # 0.5 × (0.8 × 0.3333 + 0.2) = 0.2333.
    assert apm["posting"]["title"] == "Associate Product Manager"
    assert (apm["coverage"], apm["score"]) == (0.3333, 0.2333)
