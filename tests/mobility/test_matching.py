"""Matching both ways, against scores computed by hand from the formula in the schema:
score = gate × (0.8 × coverage + 0.2 × fit)."""

from __future__ import annotations

from typing import Any

from tests.mobility.conftest import (
    ASPIRATION,
    MANAGER,
    Mobility,
    apply,
    data,
    gid_of,
    open_role,
    rate,
)

RECOMMENDED = """
query($n: Int) { me { recommendedPostings(first: $n) { totalCount nodes {
  score coverage aspirationFit mustHavesMet posting { title }
  requirements { competency { key } requiredLevel currentLevel mustHave status } } } } }
"""
CANDIDATES = """
query($id: ID!, $n: Int) { node(id: $id) { ... on Posting { candidates(first: $n) {
  totalCount nodes { score coverage aspirationFit mustHavesMet employee { name }
    requirements { competency { key } status } } } } } }
"""


async def _world(m: Mobility) -> tuple[dict[str, Any], dict[str, Any]]:
    """Carol: rated coding 4, design 2, teamwork 3 (delivery unassessed) by Mia, aiming at
    the senior role. A senior ROLE posting (coding 4 ×2, design, teamwork, delivery 3; all
    must-haves) and a gig asking teamwork 2."""
    c = m.fw.competency
    await rate(
        m.org, "manager2", "carol", "MANAGER", {c["coding"]: 4, c["design"]: 2, c["teamwork"]: 3}
    )
    await m.org.gql(
        ASPIRATION,
        {"i": {"targetRoleIds": [gid_of("Role", m.fw.role["senior"])], "discoverable": True}},
        as_="carol",
    )
    await m.org.gql(ASPIRATION, {"i": {"discoverable": True}}, as_="bob")
    role = await open_role(m)
    gig = await open_role(
        m,
        kind="GIG",
        roleId=None,
        title="Incident review gig",
        requirements=[{"competencyId": gid_of("Competency", c["teamwork"]), "requiredLevel": 2}],
    )
    return role, gig


async def test_recommended_postings_are_ranked_and_explained(mob: Mobility) -> None:
    await _world(mob)
    body = data(await mob.org.gql(RECOMMENDED, {"n": 10}, as_="carol"))
    found = body["me"]["recommendedPostings"]
    assert found["totalCount"] == 2
    gig, role = found["nodes"]
    # The gig: teamwork 3 ≥ 2 → coverage 1, no must-haves, no role → fit 0: 0.8 × 1 = 0.8.
    assert (gig["posting"]["title"], gig["score"], gig["coverage"]) == (
        "Incident review gig",
        0.8,
        1.0,
    )
    assert gig["requirements"][0]["status"] == "MET"
    # The role: coverage (2·1 + 1·2/3 + 1·1 + 1·0) / 5 = 0.7333; must-haves not all met (design
    # 2 < 3, delivery unassessed) → gate 0.5; senior is her target role → fit 1:
    # 0.5 × (0.8 × 0.73333 + 0.2 × 1) = 0.3933.
    assert role["score"] == 0.3933
    assert role["coverage"] == 0.7333
    assert role["aspirationFit"] == 1.0
    assert role["mustHavesMet"] is False
    statuses = {
        r["competency"]["key"]: (r["currentLevel"], r["status"]) for r in role["requirements"]
    }
    assert statuses == {
        "coding": (4.0, "MET"),
        "design": (2.0, "PARTLY_MET"),
        "teamwork": (3.0, "MET"),
        "delivery": (None, "MISSING"),
    }
    # Max's own postings are not recommended to him.
    mine = data(await mob.org.gql(RECOMMENDED, {"n": 10}, as_="manager", scopes=MANAGER))
    assert mine["me"]["recommendedPostings"]["totalCount"] == 0


async def test_candidates_are_applicants_and_discoverable_people(mob: Mobility) -> None:
    role, _ = await _world(mob)
    await apply(mob, role["id"], "carol")
    body = data(
        await mob.org.gql(CANDIDATES, {"id": role["id"], "n": 10}, as_="manager", scopes=MANAGER)
    )
    found = body["node"]["candidates"]
    # Carol (applied, 0.3933) then Bob (discoverable, unrated: coverage 0, gate 0.5, fit 0 → 0).
    assert [(n["employee"]["name"], n["score"]) for n in found["nodes"]] == [
        ("Carol Chen", 0.3933),
        ("Bob Brown", 0.0),
    ]
    assert found["totalCount"] == 2
    # Only the posting's owners and admins see its candidates.
    other = await mob.org.gql(CANDIDATES, {"id": role["id"], "n": 10}, as_="carol")
    assert [e["extensions"]["code"] for e in other["errors"]] == ["FORBIDDEN"]


async def test_matching_costs_the_same_statements_for_any_page(
    mob: Mobility, count_statements: Any
) -> None:
    role, _ = await _world(mob)
    for who in ("alice", "carol"):
        await apply(mob, role["id"], who)
    for query, variables, who, scopes in (
        (RECOMMENDED, {}, "carol", "career:employee"),
        (CANDIDATES, {"id": role["id"]}, "manager", MANAGER),
    ):
        seen = []
        for n in (1, 3):
            with count_statements() as counter:
                body = await mob.org.gql(query, {**variables, "n": n}, as_=who, scopes=scopes)
            assert "errors" not in body, body
            seen.append(counter.count)
        assert seen[0] == seen[1], (query, seen)
