"""Career paths: a bounded search over promotions (explicit and along tracks) and lateral
moves, ranked by fewest steps and then least competency uplift."""

from __future__ import annotations

from typing import Any

from service.framework import transfer
from tests.conftest import Org
from tests.framework.conftest import DEMO, EMPLOYEE, data, error_codes, role_id

# a (junior) → b1, b2 (mid) → c (senior) along two tracks, an explicit promotion a → c and
# lateral moves both ways between b1 and b2. Uplifts: a→c 3, a→b1 1, b1→c 2, a→b2 4,
# b2→c 0, b1→b2 3, b2→b1 0.
DIAMOND = """
version: 1
scales:
  - {key: s, name: Scale, levels: [{value: 1, name: One}, {value: 2, name: Two}, {value: 3, name: Three}]}
levels:
  - {key: junior, name: Junior, rank: 1}
  - {key: mid, name: Mid, rank: 2}
  - {key: senior, name: Senior, rank: 3}
jobFamilies: [{key: f, name: Family}]
competencies:
  - {key: x, name: Execution, scale: s}
  - {key: y, name: Judgement, scale: s}
roles:
  - key: a
    family: f
    level: junior
    title: A
    expectations: [{competency: x, requiredLevel: 1}, {competency: y, requiredLevel: 1}]
  - key: b1
    family: f
    level: mid
    title: B1
    expectations: [{competency: x, requiredLevel: 2}, {competency: y, requiredLevel: 1}]
  - key: b2
    family: f
    level: mid
    title: B2
    expectations: [{competency: x, requiredLevel: 3}, {competency: y, requiredLevel: 3}]
  - key: c
    family: f
    level: senior
    title: C
    expectations: [{competency: x, requiredLevel: 3}, {competency: y, requiredLevel: 2}]
tracks:
  - {key: t1, family: f, name: One, kind: IC, roles: [a, b1, c]}
  - {key: t2, family: f, name: Two, kind: MANAGEMENT, roles: [a, b2, c]}
transitions:
  - {kind: PROMOTION, fromRole: a, toRole: c, note: Fast track.}
  - {kind: LATERAL, fromRole: b1, toRole: b2}
  - {kind: LATERAL, fromRole: b2, toRole: b1}
"""

PATHS = """
query($from: ID!, $to: ID!, $max: Int!, $limit: Int!) {
  careerPaths(fromRoleId: $from, toRoleId: $to, maxSteps: $max, limit: $limit) {
    stepCount totalUplift
    roles { key }
    steps {
      kind note uplift tracks { key }
      fromRole { key } toRole { key }
      growth { competency { key } fromLevel toLevel increase core }
    }
  }
}
"""


async def paths(org: Org, start: str, end: str, max_steps: int = 6, limit: int = 10) -> Any:
    variables = {
        "from": await role_id(org, start),
        "to": await role_id(org, end),
        "max": max_steps,
        "limit": limit,
    }
    return data(await org.gql(PATHS, variables, **EMPLOYEE))["careerPaths"]


async def test_paths_are_ranked_by_steps_then_uplift(team: Org) -> None:
    await team.run(transfer.import_framework, DIAMOND)
    found = await paths(team, "a", "c", max_steps=3)
    assert [([r["key"] for r in p["roles"]], p["stepCount"], p["totalUplift"]) for p in found] == [
        (["a", "c"], 1, 3),
        (["a", "b1", "c"], 2, 3),
        (["a", "b2", "c"], 2, 4),
        (["a", "b1", "b2", "c"], 3, 4),
        (["a", "b2", "b1", "c"], 3, 6),
    ]
    for path in found:
        assert sum(s["uplift"] for s in path["steps"]) == path["totalUplift"]
        assert [s["fromRole"]["key"] for s in path["steps"]] == [
            r["key"] for r in path["roles"][:-1]
        ]
    direct = found[0]["steps"][0]
    assert (direct["kind"], direct["note"], direct["tracks"]) == ("PROMOTION", "Fast track.", [])
    assert direct["growth"] == [
        {"competency": {"key": "x"}, "fromLevel": 1, "toLevel": 3, "increase": 2, "core": True},
        {"competency": {"key": "y"}, "fromLevel": 1, "toLevel": 2, "increase": 1, "core": True},
    ]
    along = found[1]["steps"]
    assert [(s["kind"], [t["key"] for t in s["tracks"]]) for s in along] == [
        ("PROMOTION", ["t1"]),
        ("PROMOTION", ["t1"]),
    ]
    sideways = found[3]["steps"][1]
    assert (sideways["kind"], sideways["uplift"]) == ("LATERAL", 3)
    # b2 → c asks nothing new: no growth at all
    assert found[2]["steps"][1]["growth"] == []


async def test_max_steps_and_limit_bound_the_search(team: Org) -> None:
    await team.run(transfer.import_framework, DIAMOND)
    assert [p["stepCount"] for p in await paths(team, "a", "c", max_steps=2)] == [1, 2, 2]
    assert [p["totalUplift"] for p in await paths(team, "a", "c", limit=2)] == [3, 3]
    assert await paths(team, "c", "a") == []  # promotions only go up
    assert [p["stepCount"] for p in await paths(team, "b1", "b2")] == [1]


async def test_missing_a_competency_counts_from_zero(team: Org) -> None:
    doc = DIAMOND.replace(
        "title: C\n    expectations: [{competency: x, requiredLevel: 3}, {competency: y, requiredLevel: 2}]",
        "title: C\n    expectations: [{competency: x, requiredLevel: 3}]",
    ).replace(
        "title: A\n    expectations: [{competency: x, requiredLevel: 1}, {competency: y, requiredLevel: 1}]",
        "title: A",
    )
    await team.run(transfer.import_framework, doc)
    [direct, *_] = await paths(team, "a", "c")
    assert direct["steps"][0]["growth"] == [
        {"competency": {"key": "x"}, "fromLevel": None, "toLevel": 3, "increase": 3, "core": True}
    ]


async def test_demo_engineer_to_product_manager_and_to_director(demo: Org) -> None:
    [best, *_] = await paths(demo, "software-engineer", "product-manager")
    assert [r["key"] for r in best["roles"]] == [
        "software-engineer",
        "associate-product-manager",
        "product-manager",
    ]
    assert [s["kind"] for s in best["steps"]] == ["LATERAL", "PROMOTION"]
    found = await paths(demo, "associate-software-engineer", "director-of-engineering", 5)
    assert {tuple(r["key"] for r in p["roles"]) for p in found} == {
        (
            "associate-software-engineer",
            "software-engineer",
            "senior-software-engineer",
            "staff-engineer",
            "principal-engineer",
            "director-of-engineering",
        ),
        (
            "associate-software-engineer",
            "software-engineer",
            "senior-software-engineer",
            "engineering-manager",
            "senior-engineering-manager",
            "director-of-engineering",
        ),
    }
    uplifts = [p["totalUplift"] for p in found]
    assert uplifts == sorted(uplifts)


async def test_archived_roles_and_tracks_are_not_on_paths(demo: Org) -> None:
    import yaml

    doc: dict[str, Any] = yaml.safe_load(DEMO)
    doc["transitions"] = [
        t for t in doc["transitions"] if t["toRole"] != "associate-product-manager"
    ]
    await demo.run(transfer.import_framework, yaml.safe_dump(doc))
    found = await paths(demo, "software-engineer", "product-manager", 3)
    assert found == []


async def test_bad_arguments_are_clear_errors(demo: Org) -> None:
    se = await role_id(demo, "software-engineer")
    cases = [
        ({"from": se, "to": se, "max": 4, "limit": 5}, "toRoleId: is the starting role"),
        ({"from": se, "to": "nope", "max": 4, "limit": 5}, "toRoleId: is not a valid Role ID"),
        ({"from": se, "to": se[:-2], "max": 7, "limit": 5}, "toRoleId: is not a valid Role ID"),
        (
            {"from": se, "to": await role_id(demo, "staff-engineer"), "max": 7, "limit": 5},
            "maxSteps: must be between 1 and 6",
        ),
        (
            {"from": se, "to": await role_id(demo, "staff-engineer"), "max": 3, "limit": 0},
            "limit: must be between 1 and 20",
        ),
    ]
    for variables, message in cases:
        body = await demo.gql(PATHS, variables, **EMPLOYEE)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["message"] == message


async def test_statements_do_not_grow_with_the_number_of_paths(
    team: Org, count_statements: Any
) -> None:
    await team.run(transfer.import_framework, DIAMOND)
    variables = {"from": await role_id(team, "a"), "to": await role_id(team, "c"), "max": 3}
    token = team.token("admin", "career:admin")
    counts = {}
    for limit in (2, 5):
        with count_statements() as counter:
            body = await team.gql(PATHS, {**variables, "limit": limit}, token=token)
        assert len(data(body)["careerPaths"]) == limit
        counts[limit] = counter.count
    assert counts[2] == counts[5], counts
