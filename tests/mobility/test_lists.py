"""Aspirations on a page of people load in the same statements whatever the page size."""

from __future__ import annotations

from typing import Any

from tests.conftest import gid
from tests.mobility.conftest import ADMIN_SCOPES, ASPIRATION, Mobility, data, gid_of


async def test_aspirations_of_a_page_of_people_cost_the_same_statements(
    mob: Mobility, count_statements: Any
) -> None:
    people = (("alice", "senior"), ("bob", "staff"), ("carol", "operator"))
    for who, role in people:
        body = await mob.org.gql(
            ASPIRATION,
            {"i": {"targetRoleIds": [gid_of("Role", mob.fw.role[role])], "openTo": ["ROLES"]}},
            as_=who,
        )
        assert data(body)["setCareerAspiration"]["userErrors"] == []
    query = (
        "query($n: Int, $m: ID) { employees(first: $n, filter: {managerId: $m}) { nodes { name "
        "careerAspiration { openTo targetRoles { key } jobFamilies { key } } applications { id } } } }"
    )
    seen: list[int] = []
    statements: list[list[str]] = []
    max_ = gid("Employee", mob.org.people["manager"])  # Alice and Bob report to Max
    for n in (1, 2):
        with count_statements() as counter:
            body = await mob.org.gql(query, {"n": n, "m": max_}, as_="admin", scopes=ADMIN_SCOPES)
        nodes = data(body)["employees"]["nodes"]
        assert len(nodes) == n
        seen.append(counter.count)
        statements.append([s[:90] for s in counter.statements])
    assert seen[0] == seen[1], (seen, statements)
    targets = {n["name"]: [r["key"] for r in n["careerAspiration"]["targetRoles"]] for n in nodes}
    assert targets == {"Alice Anders": ["senior"], "Bob Brown": ["staff"]}
