"""Reading the framework: families and their ladders, roles, competencies, scales, levels,
the moves between roles, pay band visibility, employees' roles, and who may read."""

from __future__ import annotations

from typing import Any

from service.framework import transfer
from service.people import service as people
from tests.conftest import Org, gid
from tests.framework.conftest import ADMIN, EMPLOYEE, data, error_codes, role_id

FAMILIES = """
{ jobFamilies { key name tracks { key kind steps { position role { key level { rank } } } } } }
"""


async def test_job_families_with_their_ladders(demo: Org) -> None:
    families = data(await demo.gql(FAMILIES, **EMPLOYEE))["jobFamilies"]
    assert [f["name"] for f in families] == [
        "Customer Success",
        "Engineering",
        "Marketing",
        "Product",
    ]
    marketing = next(f for f in families if f["key"] == "marketing")
    ladders = {t["kind"]: [s["role"]["key"] for s in t["steps"]] for t in marketing["tracks"]}
    assert ladders == {
        "IC": [
            "marketing-coordinator",
            "marketing-specialist",
            "senior-marketing-specialist",
            "principal-marketing-specialist",
        ],
        "MANAGEMENT": [
            "marketing-coordinator",
            "marketing-manager",
            "senior-marketing-manager",
            "director-of-marketing",
            "chief-marketing-officer",
        ],
    }
    # IC first; positions count from 1; ranks never go down along a ladder
    assert [t["kind"] for t in marketing["tracks"]] == ["IC", "MANAGEMENT"]
    for track in marketing["tracks"]:
        assert [s["position"] for s in track["steps"]] == list(range(1, len(track["steps"]) + 1))
        ranks = [s["role"]["level"]["rank"] for s in track["steps"]]
        assert ranks == sorted(ranks)


async def test_job_family_by_key_or_id(demo: Org) -> None:
    query = "query($id: ID, $key: String) { jobFamily(id: $id, key: $key) { id name } }"
    by_key = data(await demo.gql(query, {"key": "engineering"}, **EMPLOYEE))["jobFamily"]
    assert by_key["name"] == "Engineering"
    by_id = data(await demo.gql(query, {"id": by_key["id"]}, **EMPLOYEE))["jobFamily"]
    assert by_id == by_key
    assert data(await demo.gql(query, {"key": "nope"}, **EMPLOYEE))["jobFamily"] is None
    both = await demo.gql(query, {"key": "engineering", "id": by_key["id"]}, **EMPLOYEE)
    assert error_codes(both) == ["BAD_USER_INPUT"]
    wrong_type = await demo.gql(query, {"id": await role_id(demo, "staff-engineer")}, **EMPLOYEE)
    assert error_codes(wrong_type) == ["BAD_USER_INPUT"]
    assert "is not a valid JobFamily ID" in wrong_type["errors"][0]["message"]


async def test_levels_and_scales(demo: Org) -> None:
    body = data(
        await demo.gql(
            "{ levels { key rank } proficiencyScales { key levels { value name } } }", **EMPLOYEE
        )
    )
    assert [lv["rank"] for lv in body["levels"]] == [1, 2, 3, 4, 5, 6, 7]
    assert body["levels"][0]["key"] == "entry"
    [scale] = body["proficiencyScales"]
    assert [s["name"] for s in scale["levels"]] == [
        "Awareness",
        "Developing",
        "Proficient",
        "Advanced",
        "Expert",
    ]


ROLES = """
query($filter: RoleFilter, $first: Int, $after: String) {
  roles(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { key level { rank } }
  }
}
"""


async def test_roles_filters_and_paging(demo: Org) -> None:
    everything = data(await demo.gql(ROLES, {"first": 100}, **EMPLOYEE))["roles"]
    assert everything["totalCount"] == 27
    ranks = [n["level"]["rank"] for n in everything["nodes"]]
    assert ranks == sorted(ranks)

    page = data(await demo.gql(ROLES, {"first": 10}, **EMPLOYEE))["roles"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = data(
        await demo.gql(ROLES, {"first": 100, "after": page["pageInfo"]["endCursor"]}, **EMPLOYEE)
    )["roles"]
    assert [n["key"] for n in page["nodes"] + rest["nodes"]] == [
        n["key"] for n in everything["nodes"]
    ]

    families = data(await demo.gql('{ jobFamily(key: "product") { id } }', **EMPLOYEE))
    product = families["jobFamily"]["id"]
    by_family = data(await demo.gql(ROLES, {"filter": {"familyId": product}}, **EMPLOYEE))
    assert [n["key"] for n in by_family["roles"]["nodes"]] == [
        "associate-product-manager",
        "product-manager",
        "senior-product-manager",
        "principal-product-manager",
    ]
    tracks = data(await demo.gql('{ track(key: "engineering-ic") { id } }', **EMPLOYEE))
    on_track = data(
        await demo.gql(ROLES, {"filter": {"trackId": tracks["track"]["id"]}}, **EMPLOYEE)
    )
    assert len(on_track["roles"]["nodes"]) == 5
    levels = data(await demo.gql("{ levels { id key } }", **EMPLOYEE))["levels"]
    director = next(lv["id"] for lv in levels if lv["key"] == "director")
    at_level = data(await demo.gql(ROLES, {"filter": {"levelId": director}}, **EMPLOYEE))
    assert {n["key"] for n in at_level["roles"]["nodes"]} == {
        "director-of-marketing",
        "director-of-engineering",
        "director-of-customer-success",
    }
    search = data(await demo.gql(ROLES, {"filter": {"search": "STAFF"}}, **EMPLOYEE))
    assert [n["key"] for n in search["roles"]["nodes"]] == ["staff-engineer"]
    assert (
        data(await demo.gql(ROLES, {"filter": {"search": "%"}}, **EMPLOYEE))["roles"]["nodes"] == []
    )


async def test_bad_filters_are_clear_errors(demo: Org) -> None:
    cases = [
        ({"filter": {"familyId": "nonsense"}}, "filter.familyId: is not a valid JobFamily ID"),
        ({"filter": {"search": "x" * 101}}, "filter.search: is longer than 100 characters"),
        ({"first": 101}, "first: must be between 0 and 100"),
    ]
    for variables, message in cases:
        body = await demo.gql(ROLES, variables, **EMPLOYEE)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["message"] == message


ROLE = """
query($key: String) {
  role(key: $key) {
    key title archived version
    family { key } level { key rank }
    expectations { competency { key name } requiredLevel requiredLevelName descriptor weight core }
    nextRoles { key } lateralMoves { key } previousRoles { key } tracks { key }
    moves { kind note toRole { key } tracks { key } transition { id kind } }
    warnings { code message }
  }
}
"""


async def test_role_with_expectations_moves_and_tracks(demo: Org) -> None:
    role = data(await demo.gql(ROLE, {"key": "software-engineer"}, **EMPLOYEE))["role"]
    assert role["family"] == {"key": "engineering"}
    assert role["level"] == {"key": "intermediate", "rank": 2}
    assert role["archived"] is False
    core = [e for e in role["expectations"] if e["core"]]
    assert sorted(e["competency"]["key"] for e in core) == [
        "code-quality",
        "collaboration",
        "operational-excellence",
        "system-design",
        "technical-skills",
    ]
    first = role["expectations"][0]
    assert first["core"] is True
    assert first["requiredLevelName"] == "Developing"
    assert first["descriptor"]
    assert [e["core"] for e in role["expectations"]] == sorted(
        [e["core"] for e in role["expectations"]], reverse=True
    )
    assert [r["key"] for r in role["nextRoles"]] == ["senior-software-engineer"]
    assert [r["key"] for r in role["lateralMoves"]] == ["associate-product-manager"]
    assert [r["key"] for r in role["previousRoles"]] == ["associate-software-engineer"]
    assert sorted(t["key"] for t in role["tracks"]) == ["engineering-ic", "engineering-management"]
    moves = {m["toRole"]["key"]: m for m in role["moves"]}
    promotion = moves["senior-software-engineer"]
    assert promotion["kind"] == "PROMOTION"
    assert promotion["transition"] is None
    assert sorted(t["key"] for t in promotion["tracks"]) == [
        "engineering-ic",
        "engineering-management",
    ]
    lateral = moves["associate-product-manager"]
    assert lateral["kind"] == "LATERAL"
    assert lateral["tracks"] == []
    assert lateral["transition"]["kind"] == "LATERAL"
    assert lateral["note"].startswith("Engineers move into product")
    assert role["warnings"] == []


async def test_explicit_promotions_count_as_next_roles(demo: Org) -> None:
    role = data(await demo.gql(ROLE, {"key": "principal-engineer"}, **EMPLOYEE))["role"]
    assert [r["key"] for r in role["nextRoles"]] == ["director-of-engineering"]
    director = data(await demo.gql(ROLE, {"key": "director-of-engineering"}, **EMPLOYEE))["role"]
    assert sorted(r["key"] for r in director["previousRoles"]) == [
        "principal-engineer",
        "senior-engineering-manager",
    ]


async def test_role_warnings_follow_the_core_competency_guidance(demo: Org) -> None:
    await demo.run(transfer.import_framework, DEMO_WITH_WARNINGS)
    few = data(await demo.gql(ROLE, {"key": "marketing-coordinator"}, **EMPLOYEE))["role"]
    assert [w["code"] for w in few["warnings"]] == ["TOO_FEW_CORE_COMPETENCIES"]
    assert few["warnings"][0]["message"] == "1 core competencies; aim for 4 to 6."
    many = data(await demo.gql(ROLE, {"key": "marketing-specialist"}, **EMPLOYEE))["role"]
    assert [w["code"] for w in many["warnings"]] == ["TOO_MANY_CORE_COMPETENCIES"]


def _demo_with_warnings() -> str:
    import yaml

    from tests.framework.conftest import DEMO

    doc: dict[str, Any] = yaml.safe_load(DEMO)
    roles = {r["key"]: r for r in doc["roles"]}
    roles["marketing-coordinator"]["expectations"] = [
        {"competency": "strategic-thinking", "requiredLevel": 1}
    ]
    roles["marketing-specialist"]["expectations"] = [
        {"competency": c["key"], "requiredLevel": 2} for c in doc["competencies"][:7]
    ]
    return yaml.safe_dump(doc)


DEMO_WITH_WARNINGS = _demo_with_warnings()


async def test_role_by_id_and_node(demo: Org) -> None:
    staff = await role_id(demo, "staff-engineer")
    query = "query($id: ID!) { role(id: $id) { key } node(id: $id) { ... on Role { title } } }"
    body = data(await demo.gql(query, {"id": staff}, **EMPLOYEE))
    assert body == {"role": {"key": "staff-engineer"}, "node": {"title": "Staff Engineer"}}


COMPETENCIES = """
query($filter: CompetencyFilter, $first: Int) {
  competencies(filter: $filter, first: $first) {
    totalCount
    nodes { key category scale { key } descriptors { level levelName description } }
  }
}
"""


async def test_competencies_filters_and_descriptors(demo: Org) -> None:
    all_ = data(await demo.gql(COMPETENCIES, {"first": 100}, **EMPLOYEE))["competencies"]
    assert all_["totalCount"] == 19
    categories = [n["category"] for n in all_["nodes"]]
    assert categories == sorted(categories)
    core = data(await demo.gql(COMPETENCIES, {"filter": {"category": "core"}}, **EMPLOYEE))[
        "competencies"
    ]
    assert {n["category"] for n in core["nodes"]} == {"Core"}
    assert core["totalCount"] == 7
    found = data(await demo.gql(COMPETENCIES, {"filter": {"search": "strategic"}}, **EMPLOYEE))[
        "competencies"
    ]["nodes"]
    assert [n["key"] for n in found] == ["strategic-thinking"]
    descriptors = found[0]["descriptors"]
    assert [d["level"] for d in descriptors] == [1, 2, 3, 4, 5]
    assert descriptors[0]["levelName"] == "Awareness"
    assert descriptors[0]["description"].startswith("Knows what the team is trying to achieve")

    one = "query($key: String) { competency(key: $key) { name scale { name } } }"
    assert data(await demo.gql(one, {"key": "collaboration"}, **EMPLOYEE))["competency"] == {
        "name": "Collaboration",
        "scale": {"name": "Proficiency"},
    }


PAY = "query($key: String) { role(key: $key) { title payBand { min mid max currency } } }"


async def test_pay_bands_are_for_admins_only(demo: Org) -> None:
    admin = data(await demo.gql(PAY, {"key": "staff-engineer"}, **ADMIN))
    assert admin["role"]["payBand"] == {
        "min": 170000,
        "mid": 195000,
        "max": 220000,
        "currency": "USD",
    }
    for caller in (
        EMPLOYEE,
        {"as_": "manager", "scopes": "career:employee career:manager"},
        {"as_": "admin", "scopes": "career:hris"},
    ):
        body = await demo.gql(PAY, {"key": "staff-engineer"}, **caller)
        assert error_codes(body) == ["FORBIDDEN"], caller
        assert body["errors"][0]["path"] == ["role", "payBand"]
        assert body["data"] == {"role": {"title": "Staff Engineer", "payBand": None}}


async def test_anonymous_is_unauthenticated_and_webhook_tokens_are_forbidden(demo: Org) -> None:
    for query in (FAMILIES, "{ roles { totalCount } }", "{ levels { key } }"):
        body = await demo.gql(query, expect_status=401)
        assert error_codes(body) == ["UNAUTHENTICATED"]
    body = await demo.gql("{ levels { key } }", as_="alice", scopes="career:webhooks")
    assert error_codes(body) == ["FORBIDDEN"]


async def test_another_organization_sees_nothing(demo: Org, org_factory: Any) -> None:
    other = await org_factory()
    await other.employee("admin")
    body = data(
        await other.gql(
            "{ jobFamilies { key } levels { key } proficiencyScales { key } "
            "roles { totalCount } competencies { totalCount } }",
            **ADMIN,
        )
    )
    assert body == {
        "jobFamilies": [],
        "levels": [],
        "proficiencyScales": [],
        "roles": {"totalCount": 0},
        "competencies": {"totalCount": 0},
    }
    staff = await role_id(demo, "staff-engineer")
    found = await other.gql(
        "query($id: ID!) { role(id: $id) { key } node(id: $id) { id } }", {"id": staff}, **ADMIN
    )
    assert data(found) == {"role": None, "node": None}


async def test_employee_role_and_next_roles(demo: Org) -> None:
    staff = await role_id(demo, "software-engineer")
    from service.graphql.ids import parse_global_id

    parsed = parse_global_id(staff)
    assert parsed is not None
    await demo.run(
        people.update_employee, demo.people["alice"].id, people.EmployeeInput(role_id=parsed[1])
    )
    body = data(
        await demo.gql(
            "{ me { role { key } nextRoles { key } positionHistory { kind role { key } "
            "previousRole { key } } } }",
            **EMPLOYEE,
        )
    )
    assert body["me"]["role"] == {"key": "software-engineer"}
    assert body["me"]["nextRoles"] == [{"key": "senior-software-engineer"}]
    assert body["me"]["positionHistory"][0] == {
        "kind": "LATERAL_MOVE",
        "role": {"key": "software-engineer"},
        "previousRole": None,
    }
    bob = data(await demo.gql("{ me { role { key } nextRoles { key } } }", as_="bob"))
    assert bob == {"me": {"role": None, "nextRoles": []}}
    by_role = data(
        await demo.gql(
            "query($r: ID) { employees(filter: {roleId: $r}) { nodes { name } } }",
            {"r": staff},
            **ADMIN,
        )
    )
    assert by_role["employees"]["nodes"] == [{"name": "Alice Anders"}]
    assert gid("Employee", demo.people["alice"])


async def test_a_role_change_is_recorded_by_level_rank(demo: Org) -> None:
    from service.graphql.ids import parse_global_id

    async def set_role(key: str) -> None:
        parsed = parse_global_id(await role_id(demo, key))
        assert parsed is not None
        await demo.run(
            people.update_employee, demo.people["alice"].id, people.EmployeeInput(role_id=parsed[1])
        )

    for key in ("software-engineer", "senior-software-engineer", "software-engineer"):
        await set_role(key)
    body = data(await demo.gql("{ me { positionHistory { kind role { key } } } }", **EMPLOYEE))
    assert [(p["kind"], p["role"]["key"]) for p in body["me"]["positionHistory"][:3]] == [
        ("DEMOTION", "software-engineer"),
        ("PROMOTION", "senior-software-engineer"),
        ("LATERAL_MOVE", "software-engineer"),
    ]
