"""Incremental reads for integrations: employees changed since a time, and the feed of
position changes with stable paging and a constant number of statements."""

from __future__ import annotations

from typing import Any

from tests.conftest import Org
from tests.people.sync_helpers import Hris, person

EMPLOYEES_SINCE = """
query($since: DateTime!, $after: String) {
  employees(filter: {updatedSince: $since}, first: 100, after: $after) { nodes { name updatedAt } }
}
"""
CHANGES = """
query($since: DateTime, $first: Int, $after: String) {
  positionChanges(since: $since, first: $first, after: $after) {
    nodes { kind recordedAt sourceType employee { name } manager { name } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""


async def test_employees_changed_since_a_time(org: Org) -> None:
    hris = await Hris.of(org)
    await hris.employees([person("A"), person("B"), person("C")])
    first = await hris.post(EMPLOYEES_SINCE, {"since": "2000-01-01T00:00:00Z"})
    stamps = sorted(n["updatedAt"] for n in first["employees"]["nodes"])
    assert len(stamps) == 3
    mark = stamps[-1]
    # Nothing changed since the latest stamp seen but the rows carrying it.
    assert {
        n["name"] for n in (await hris.post(EMPLOYEES_SINCE, {"since": mark}))["employees"]["nodes"]
    } == {"Person A", "Person B", "Person C"}
    await hris.employees([{"externalId": "B", "title": "Changed"}])
    later = await hris.post(EMPLOYEES_SINCE, {"since": mark.replace("+00:00", "Z")})
    names = [n["name"] for n in later["employees"]["nodes"]]
    assert "Person B" in names
    newest = max(n["updatedAt"] for n in later["employees"]["nodes"])
    after_b = await hris.post(EMPLOYEES_SINCE, {"since": newest})
    assert [n["name"] for n in after_b["employees"]["nodes"]] == ["Person B"]


async def test_position_changes_feed_pages_in_order(org: Org, count_statements: Any) -> None:
    hris = await Hris.of(org)
    await hris.employees(
        [person(f"P{i}", managerExternalId="BOSS") for i in range(12)] + [person("BOSS")]
    )
    await hris.employees([{"externalId": "P0", "managerExternalId": None}])
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await hris.post(CHANGES, {"first": 5, "after": after}))["positionChanges"]
        assert page["totalCount"] == 14
        seen += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [n["kind"] for n in seen] == ["HIRE"] * 13 + ["MANAGER_CHANGE"]
    assert seen[-1]["employee"]["name"] == "Person P0"
    assert seen[-1]["manager"] is None
    assert {n["sourceType"] for n in seen} == {"HrisSync"}
    stamps = [n["recordedAt"] for n in seen]
    assert stamps == sorted(stamps)
    # Only what was recorded since the last stamp seen.
    since = (await hris.post(CHANGES, {"since": stamps[-1]}))["positionChanges"]["nodes"]
    assert [n["kind"] for n in since] == ["MANAGER_CHANGE"]
    # Statements do not grow with the page.
    counts = []
    for size in (2, 14):
        with count_statements() as counter:
            await hris.post(CHANGES, {"first": size})
        counts.append(counter.count)
    assert counts[0] == counts[1]
