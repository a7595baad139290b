"""Gap analysis: per-expectation gaps, statuses and readiness against hand-computed figures,
the roles analysed, visibility, and batching."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from service.auth import policies
from service.auth.principal import ActorType, Principal
from service.auth.scopes import Scope
from service.graphql.ids import encode_id
from service.people import service as people
from tests.assessments.conftest import ADMIN, Framework, codes, data, peer_rate, rate
from tests.auth.helpers import add_service_account, client_token
from tests.conftest import Org, gid

GAPS = """
query($id: ID!, $role: ID) { employee(id: $id) { gapAnalysis(roleId: $role) {
    relation readiness role { key }
    expectations { competency { key } requiredLevel currentLevel gap status weight source stale
                   ratings { level assessment { kind } } }
    topGaps { competency { key } } strengths(limit: 5) { competency { key } }
    meetsCount exceedsCount belowCount unassessedCount staleCount
} } }
"""


async def gaps(
    org: Org, who: str = "alice", role: str | None = None, as_: str = "alice", **kw: Any
) -> list[dict[str, Any]]:
    body = await org.gql(
        GAPS, {"id": gid("Employee", org.people[who]), "role": role}, as_=as_, **kw
    )
    return data(body)["employee"]["gapAnalysis"]  # type: ignore[no-any-return]


@pytest.fixture
async def rated(team: Org, fw: Framework) -> Org:
    """Alice (engineer): manager rates coding 2 and design 3; four peers rate teamwork 3,
    2, 3 and 2."""
    c = fw.competency
    await rate(team, "manager", "alice", "MANAGER", {c["coding"]: 2, c["design"]: 3})
    for peer, level in (("bob", 3), ("carol", 2), ("manager2", 3), ("boss", 2)):
        await peer_rate(team, "alice", "alice", peer, {c["teamwork"]: level})
    return team


def by_key(analysis: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["competency"]["key"]: e for e in analysis["expectations"]}


async def test_current_role_gaps_and_readiness_match_hand_computed_figures(rated: Org) -> None:
    current, senior = await gaps(rated)
    assert (current["relation"], current["role"]["key"]) == ("CURRENT_ROLE", "engineer")
    cells = by_key(current)
    # competency: (required, current, gap, status, weight)
    expected = {
        "coding": (3, 2.0, 1.0, "BELOW", 2.0),
        "design": (2, 3.0, -1.0, "EXCEEDS", 1.0),
        "teamwork": (2, 2.5, -0.5, "MEETS", 1.0),  # peer mean (3 + 2 + 3 + 2) / 4
        "delivery": (2, None, None, "UNASSESSED", 1.0),
    }
    for key, (required, current_level, gap, status, weight) in expected.items():
        cell = cells[key]
        assert (
            cell["requiredLevel"],
            cell["currentLevel"],
            cell["gap"],
            cell["status"],
            cell["weight"],
        ) == (required, current_level, gap, status, weight), key
    # Σ w·min(c/r, 1) / Σ w = (2·2/3 + 1 + 1 + 0) / 5 = 0.66667
    assert current["readiness"] == pytest.approx(0.6667)
    assert [e["competency"]["key"] for e in current["expectations"]] == [
        "coding",  # weight 2 first, then by name
        "delivery",
        "design",
        "teamwork",
    ]
    assert [g["competency"]["key"] for g in current["topGaps"]] == ["coding"]
    assert [s["competency"]["key"] for s in current["strengths"]] == ["design", "teamwork"]
    assert (
        current["meetsCount"],
        current["exceedsCount"],
        current["belowCount"],
        current["unassessedCount"],
        current["staleCount"],
    ) == (1, 1, 1, 1, 0)
    assert cells["teamwork"]["source"] == "PEER"
    # The subject sees the peers' mean, never one peer's rating; her manager sees each.
    assert cells["teamwork"]["ratings"] == []
    (by_manager, _) = await gaps(rated, as_="manager", scopes="career:employee career:manager")
    assert sorted(r["level"] for r in by_key(by_manager)["teamwork"]["ratings"]) == [2, 2, 3, 3]
    assert cells["delivery"]["ratings"] == []

    # The next role: coding 4 (w 2), design 3, teamwork 3, delivery 3.
    assert (senior["relation"], senior["role"]["key"]) == ("NEXT_ROLE", "senior")
    cells = by_key(senior)
    assert (cells["coding"]["gap"], cells["coding"]["status"]) == (2.0, "BELOW")
    assert (cells["design"]["gap"], cells["design"]["status"]) == (0.0, "MEETS")
    assert (cells["teamwork"]["gap"], cells["teamwork"]["status"]) == (0.5, "BELOW")
    # (2·2/4 + 1·3/3 + 1·2.5/3 + 0) / 5 = 2.83333 / 5 = 0.56667
    assert senior["readiness"] == pytest.approx(0.5667)
    # weight × gap: coding 2·2 = 4 before teamwork 1·0.5
    assert [g["competency"]["key"] for g in senior["topGaps"]] == ["coding", "teamwork"]


async def test_any_role_by_id(rated: Org, fw: Framework) -> None:
    (staff,) = await gaps(rated, role=role_gid(fw, "staff"))
    assert (staff["relation"], staff["role"]["key"]) == ("OTHER_ROLE", "staff")
    # (2·2/5 + 1·3/4 + 1·2.5/4 + 0) / 5 = (0.8 + 0.75 + 0.625) / 5 = 0.435
    assert staff["readiness"] == pytest.approx(0.435)
    (senior,) = await gaps(rated, role=role_gid(fw, "senior"))
    assert senior["relation"] == "NEXT_ROLE"
    (own,) = await gaps(rated, role=role_gid(fw, "engineer"))
    assert own["relation"] == "CURRENT_ROLE"


def role_gid(fw: Framework, key: str) -> str:
    return encode_id("Role", fw.role[key])


async def test_without_a_role_there_is_nothing_to_compare(team: Org, fw: Framework) -> None:
    assert await gaps(team, who="manager", as_="manager") == []
    (one,) = await gaps(team, who="manager", as_="manager", role=role_gid(fw, "senior"))
    assert one["relation"] == "OTHER_ROLE"
    assert one["readiness"] == 0.0
    assert one["unassessedCount"] == 4


async def test_unassessed_everything_has_zero_readiness(team: Org, fw: Framework) -> None:
    current, _ = await gaps(team)
    assert current["readiness"] == 0.0
    assert {e["status"] for e in current["expectations"]} == {"UNASSESSED"}
    assert current["topGaps"] == []
    assert current["strengths"] == []


async def test_an_unknown_role_is_bad_input(team: Org, fw: Framework) -> None:
    body = await team.gql(
        GAPS,
        {"id": gid("Employee", team.people["alice"]), "role": gid("Role", team.people["bob"])},
        as_="alice",
    )
    assert codes(body) == ["BAD_USER_INPUT"]


async def test_gaps_are_private_career_data(rated: Org) -> None:
    await rated.close_directory()  # what each caller reaches without the directory
    org = rated
    assert await gaps(org, as_="manager", scopes="career:employee career:manager")
    assert await gaps(org, **ADMIN)
    # Alice sees her manager's name, not his gaps.
    body = await org.gql(GAPS, {"id": gid("Employee", org.people["manager"])}, as_="alice")
    assert codes(body) == ["FORBIDDEN"]
    # Another manager does not see Alice at all.
    body = await org.gql(
        GAPS,
        {"id": gid("Employee", org.people["alice"])},
        as_="manager2",
        scopes="career:employee career:manager",
    )
    assert body == {"data": {"employee": None}}
    # HRIS integrations see everyone's profile, never their gaps.
    await add_service_account(org, "hris-sync", "career:hris")
    body = await org.gql(
        GAPS,
        {"id": gid("Employee", org.people["alice"])},
        token=client_token(org, "hris-sync", "career:hris"),
    )
    assert codes(body) == ["FORBIDDEN"]
    assert body["data"] is None or body["data"]["employee"] is None


async def test_gap_analyses_of_a_page_of_people_take_a_constant_number_of_statements(
    org: Org, count_statements: Any
) -> None:
    from tests.assessments.conftest import load_framework

    fw = await load_framework(org)
    await org.employee("admin")
    for i in range(12):
        await org.employee(f"e{i:02}", manager="admin", role_id=fw.role["engineer"])
    for i in range(0, 12, 3):
        await rate(org, "admin", f"e{i:02}", "MANAGER", {fw.competency["coding"]: 1 + i % 5})
    query = """
    query($first: Int!, $role: ID) { employees(first: $first, filter: {roleId: $role}) { nodes {
        name gapAnalysis { readiness role { key } expectations { competency { key } status
            ratings { level assessment { kind assessor { name } } } } topGaps { gap } }
        currentProficiencies { level competency { name } }
    } } }
    """
    token = org.token("admin", "career:employee career:manager career:admin")
    counts = {}
    # Three people's full analyses (each up to 100 expectations with their ratings) are
    # near the default cost limit: a bigger page is refused as too costly.
    for first in (2, 3):
        with count_statements() as counter:
            body = await org.gql(
                query, {"first": first, "role": role_gid(fw, "engineer")}, token=token
            )
        nodes = data(body)["employees"]["nodes"]
        assert len(nodes) == first
        assert all(len(n["gapAnalysis"]) == 2 for n in nodes)  # engineer and senior
        counts[first] = counter.count
    assert counts[2] == counts[3], counts
    assert counts[3] <= 14, counts


async def test_a_role_change_changes_the_analysis(rated: Org, fw: Framework) -> None:
    await rated.run(
        people.update_employee,
        rated.people["alice"].id,
        people.EmployeeInput(role_id=fw.role["senior"]),
    )
    current, staff = await gaps(rated)
    assert current["role"]["key"] == "senior"
    assert staff["role"]["key"] == "staff"
    assert current["readiness"] == pytest.approx(0.5667)


async def test_the_own_data_shortcut_agrees_with_reach(team: Org) -> None:
    """``can_see_own_private`` (which spares "my" pages the reach statement) never allows
    what ``can_see_private`` over the computed reach would refuse, for any scopes."""
    me = team.people["alice"].id
    other = team.people["bob"].id
    every = [s.value for s in Scope]

    async def check(db: Any, _: Any) -> None:
        for n in range(len(every) + 1):
            for scopes in itertools.combinations(every, n):
                principal = Principal(
                    org_id=team.id,
                    subject="alice",
                    scopes=frozenset(scopes),
                    actor_type=ActorType.EMPLOYEE,
                    employee_id=me,
                )
                reach = await policies.compute_reach(db.conn, principal)
                for employee_id in (me, other):
                    if policies.can_see_own_private(principal, employee_id):
                        assert policies.can_see_private(reach, employee_id), scopes
                assert policies.can_see_own_private(principal, me) == policies.can_see_private(
                    reach, me
                ), scopes

    await team.run(check)


def test_top_gaps_and_strengths_always_have_a_level_and_gap() -> None:
    """They are never unassessed, so the schema says their level and gap are given."""
    from graphql import GraphQLNonNull, get_named_type

    from service.graphql.schema import schema

    analysis = schema._schema.get_type("GapAnalysis")
    for name in ("topGaps", "strengths"):
        entry = get_named_type(analysis.fields[name].type)  # type: ignore[union-attr]
        for field in ("currentLevel", "gap", "asOf", "source"):
            assert isinstance(entry.fields[field].type, GraphQLNonNull), (name, field)  # type: ignore[union-attr]
    # Expectations may be unassessed.
    expectation = get_named_type(analysis.fields["expectations"].type)  # type: ignore[union-attr]
    assert not isinstance(expectation.fields["gap"].type, GraphQLNonNull)  # type: ignore[union-attr]
