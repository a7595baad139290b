"""Set-based reads and writes: statement counts do not grow with page sizes or with the
size of an imported framework."""

from __future__ import annotations

import time
from typing import Any

from service.framework import transfer
from tests.conftest import Org
from tests.framework.conftest import data
from tests.framework.generated import generated_framework

ROLES = """
query($first: Int!) {
  roles(first: $first) {
    nodes {
      title
      expectations { competency { name } requiredLevel }
      nextRoles { title }
      family { name }
      level { name }
    }
  }
}
"""


async def test_big_framework_imports_set_based_and_reads_in_constant_statements(
    org: Org, count_statements: Any
) -> None:
    await org.employee("admin")
    doc = generated_framework(roles=300, competencies=60)

    with count_statements() as small:
        await org.run(transfer.import_framework, generated_framework(roles=30, competencies=60))
    started = time.perf_counter()
    with count_statements() as big:
        summary = await org.run(transfer.import_framework, doc)
    seconds = time.perf_counter() - started
    print(f"\n300 roles × 6 expectations imported in {seconds:.2f}s, {big.count} statements")
    assert summary.counts["roles"].created == 270
    assert summary.counts["roles"].updated + summary.counts["roles"].unchanged == 30
    # One statement per table and kind of change, whatever the size: the difference is
    # the multi-row inserts split into batches of at most 1,000 rows.
    assert big.count <= small.count + 4, (small.count, big.count)
    assert big.count < 40, big.statements

    with count_statements() as again:
        unchanged = await org.run(transfer.import_framework, doc)
    assert not unchanged.changed
    assert again.count < 20, again.statements

    token = org.token("admin", "career:admin")
    counts = {}
    for first in (10, 100):
        with count_statements() as counter:
            body = await org.gql(ROLES, {"first": first}, token=token)
        nodes = data(body)["roles"]["nodes"]
        assert len(nodes) == first
        assert all(len(n["expectations"]) == 6 for n in nodes)
        assert any(n["nextRoles"] for n in nodes)
        counts[first] = counter.count
    assert counts[10] == counts[100], counts
    # caller + page + expectations + competencies + moves + next roles + families + levels
    assert counts[100] <= 12, counts


async def test_family_ladders_read_in_constant_statements(org: Org, count_statements: Any) -> None:
    await org.employee("admin")
    await org.run(transfer.import_framework, generated_framework(roles=300, competencies=60))
    token = org.token("admin", "career:employee")
    query = """
    { jobFamilies { name tracks { name kind steps { position role { title level { rank } } } } } }
    """
    with count_statements() as counter:
        body = await org.gql(query, token=token)
    families = data(body)["jobFamilies"]
    assert len(families) == 10
    assert sum(len(f["tracks"]) for f in families) == 50
    assert counter.count <= 10, counter.statements


PARTS = """
fragment Parts on Role {
  key
  level { key } family { key }
  expectations { competency { key } requiredLevel requiredLevelName }
  nextRoles { key level { rank } expectations { competency { key } } nextRoles { key } }
  lateralMoves { key family { key } }
}
"""
ROLES_DEEP = (
    """
query($first: Int!) { roles(first: $first) { edges { node { ...Parts } } nodes { key } } }
"""
    + PARTS
)
ROLE_DEEP = "query($key: String!) { role(key: $key) { ... on Role { ...Parts } } }" + PARTS


async def test_role_lists_load_nested_fields_for_the_whole_list(
    org: Org, count_statements: Any
) -> None:
    """A page loads what its roles' selection needs (through fragments and edges, and
    below next roles) in the same statements for 10 roles as for 30, and answers as
    the roles read one by one do."""
    await org.employee("admin")
    await org.run(transfer.import_framework, generated_framework(roles=300, competencies=60))
    token = org.token("admin", "career:employee")
    counts, pages = {}, {}
    # 30 roles with every expectation of each next role are near the default cost limit.
    for first in (10, 30):
        with count_statements() as counter:
            pages[first] = data(await org.gql(ROLES_DEEP, {"first": first}, token=token))
        counts[first] = counter.count
    assert counts[10] == counts[30], counts
    nodes = [e["node"] for e in pages[30]["roles"]["edges"]]
    assert [n["key"] for n in nodes] == [n["key"] for n in pages[30]["roles"]["nodes"]]
    assert any(n["nextRoles"] and n["nextRoles"][0]["nextRoles"] for n in nodes)
    for node in nodes[::10]:
        alone = data(await org.gql(ROLE_DEEP, {"key": node["key"]}, token=token))["role"]
        assert alone == node
