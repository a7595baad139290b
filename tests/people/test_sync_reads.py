"""Incremental reads for integrations: employees changed since a time, and the feed of
position changes with stable paging and a constant number of statements."""

from __future__ import annotations

from typing import Any

from tests.conftest import Org, gid
from tests.people.sync_helpers import Hris, by_external_id, person

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


FEED = """
query($since: DateTime!, $first: Int, $after: String, $last: Int, $before: String) {
  employees(filter: {updatedSince: $since}, first: $first, after: $after, last: $last,
            before: $before) {
    edges { cursor node { id updatedAt } }
    pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
  }
}
"""
EPOCH = "2000-01-01T00:00:00Z"


async def _read_feed(
    hris: Hris, between: Any, query: str, field: str, variables: dict[str, Any]
) -> list[tuple[str, str]]:
    """Page through a feed five at a time, calling ``between(page_number)`` after each
    page; the (id, stamp) of every node seen."""
    seen: list[tuple[str, str]] = []
    after, number = None, 0
    while True:
        page = (await hris.post(query, {**variables, "first": 5, "after": after}))[field]
        seen += [(_identity(e["node"]), e["node"][STAMP[field]]) for e in page["edges"]]
        number += 1
        await between(number)
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


STAMP = {"employees": "updatedAt", "positionChanges": "recordedAt"}


def _identity(node: dict[str, Any]) -> str:
    if "kind" in node:  # a position change: its employee and kind
        return f"{node['employee']['id']}/{node['kind']}"
    return str(node["id"])


CHANGE_FEED = """
query($first: Int, $after: String) {
  positionChanges(first: $first, after: $after) {
    edges { node { kind recordedAt employee { id } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_feeds_page_stably_while_rows_change(org: Org) -> None:
    """Cursors hold (time, ID): a row changed or added while a client pages moves to the
    end of the feed, and every other row is still seen exactly once (with offsets the
    rows after a moved one would shift, and one would be skipped)."""
    hris = await Hris.of(org)
    await hris.employees([person(f"K{i:02}") for i in range(12)])
    original = {
        e["node"]["id"]
        for e in (await hris.post(FEED, {"since": EPOCH, "first": 100}))["employees"]["edges"]
    }
    first_page = (await hris.post(FEED, {"since": EPOCH, "first": 5}))["employees"]["edges"]
    moved_id = first_page[0]["node"]["id"]

    async def change(number: int) -> None:
        if number == 1:  # someone already read is changed, and someone new arrives
            moved_ext = next(
                ext
                for ext, row in (await by_external_id(org)).items()
                if gid("Employee", row) == moved_id
            )
            await hris.employees([{"externalId": moved_ext, "title": "Moved"}, person("NEW")])

    seen = await _read_feed(hris, change, FEED, "employees", {"since": EPOCH})
    assert len(seen) == len(set(seen)), "a row was repeated"
    ids = [i for i, _ in seen]
    assert original <= set(ids), "a row was skipped"
    assert ids.count(moved_id) == 2  # before and after its change
    assert len(ids) == 14
    stamps = [s for _, s in seen]
    assert stamps == sorted(stamps)

    # The same for the position history feed: entries recorded meanwhile come once, last.
    async def hire(number: int) -> None:
        if number == 1:
            await hris.employees([person("LATE")])

    changes = await _read_feed(hris, hire, CHANGE_FEED, "positionChanges", {})
    assert len(changes) == len(set(changes)), "an entry was repeated"
    assert len(changes) == 14  # 13 hires before paging (a title change has no entry), LATE
    late = gid("Employee", (await by_external_id(org))["LATE"])
    assert changes[-1][0] == f"{late}/HIRE"
    assert [s for _, s in changes] == sorted(s for _, s in changes)


async def test_feed_cursors_page_backward_and_refuse_forgeries(org: Org) -> None:
    hris = await Hris.of(org)
    await hris.employees([person(f"B{i}") for i in range(7)])
    forward = (await hris.post(FEED, {"since": EPOCH, "first": 100}))["employees"]["edges"]
    last = (await hris.post(FEED, {"since": EPOCH, "last": 3}))["employees"]
    assert [e["node"]["id"] for e in last["edges"]] == [e["node"]["id"] for e in forward[-3:]]
    assert last["pageInfo"]["hasPreviousPage"] is True
    before = (
        await hris.post(
            FEED, {"since": EPOCH, "last": 3, "before": last["pageInfo"]["startCursor"]}
        )
    )["employees"]
    assert [e["node"]["id"] for e in before["edges"]] == [e["node"]["id"] for e in forward[-6:-3]]
    assert before["pageInfo"]["hasNextPage"] is True
    for cursor in ("bm9wZQ==", "WyJrZXkiLCAieCIsICJ5Il0=", forward[0]["cursor"][:-4]):
        response = await org.client.post(
            "/graphql",
            json={"query": FEED, "variables": {"since": EPOCH, "after": cursor}},
            headers={"Authorization": f"Bearer {hris.token}"},
        )
        assert response.status_code == 200
        body = response.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
