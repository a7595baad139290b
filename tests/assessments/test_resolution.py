"""The resolution rule: which rating is an employee's current level of a competency."""

from __future__ import annotations

import datetime as dt
from typing import Any

from service.assessments import queries
from service.assessments import service as assessments
from service.config import AssessmentSettings
from service.db import ConnectionExecutor
from tests.assessments.conftest import Framework, act, data, past, peer_rate, r, rate
from tests.conftest import Org, gid

CURRENT = """
query($id: ID!) { employee(id: $id) { currentProficiencies {
    competency { key } level levelName source stale asOf
    ratings { level assessment { kind assessor { name } } }
} } }
"""


def long_ago() -> dt.date:
    """400 days before today, taken when a test runs (not at import: a run may pass midnight)."""
    return dt.date.today() - dt.timedelta(days=400)


async def current(org: Org, who: str = "alice", as_: str = "alice") -> dict[str, Any]:
    scopes = "career:employee career:manager"
    body = await org.gql(CURRENT, {"id": gid("Employee", org.people[who])}, as_=as_, scopes=scopes)
    return {p["competency"]["key"]: p for p in data(body)["employee"]["currentProficiencies"]}


async def rows(org: Org, settings: AssessmentSettings, who: str = "alice") -> dict[Any, Any]:
    """The resolved rows under other settings, straight from the read query."""
    async with org.runtime.db.transaction(org.id) as conn:
        found = await queries.current_by_employee(
            ConnectionExecutor(conn), queries.Rules.from_settings(settings), [org.people[who].id]
        )
    return {r.competency_id: r for r in found[0]}


async def test_no_ratings_means_no_current_level(team: Org, fw: Framework) -> None:
    assert await current(team) == {}


async def test_only_a_self_rating_is_the_current_level(team: Org, fw: Framework) -> None:
    c = fw.competency
    await rate(team, "alice", "alice", "SELF", {c["coding"]: 3})
    found = await current(team)
    assert found.keys() == {"coding"}
    assert found["coding"]["level"] == 3.0
    assert found["coding"]["source"] == "SELF"
    assert found["coding"]["levelName"] == "Proficient"
    assert found["coding"]["stale"] is False
    assert found["coding"]["ratings"] == [
        {"level": 3, "assessment": {"kind": "SELF", "assessor": {"name": "Alice Anders"}}}
    ]


async def test_manager_beats_self_and_calibration_beats_manager(team: Org, fw: Framework) -> None:
    c = fw.competency
    await rate(team, "alice", "alice", "SELF", {c["coding"]: 4, c["design"]: 4})
    await rate(team, "manager", "alice", "MANAGER", {c["coding"]: 2})
    found = await current(team)
    assert (found["coding"]["level"], found["coding"]["source"]) == (2.0, "MANAGER")
    assert (found["design"]["level"], found["design"]["source"]) == (4.0, "SELF")

    await team.run(assessments.calibrate, team.people["alice"].id, [r(c["coding"], 3)])
    found = await current(team)
    assert (found["coding"]["level"], found["coding"]["source"]) == (3.0, "CALIBRATION")
    # A service-side calibration has no assessor employee.
    assert found["coding"]["ratings"][0]["assessment"]["assessor"] is None


async def test_the_latest_rating_of_a_kind_wins(team: Org, fw: Framework) -> None:
    c = fw.competency
    await rate(team, "manager", "alice", "MANAGER", {c["coding"]: 2})
    await rate(team, "manager", "alice", "MANAGER", {c["coding"]: 4})
    found = await current(team)
    assert (found["coding"]["level"], found["coding"]["source"]) == (4.0, "MANAGER")
    assert len(found["coding"]["ratings"]) == 1


async def test_conflicting_peers_average_each_peers_latest(team: Org, fw: Framework) -> None:
    c = fw.competency
    coding = c["coding"]
    await org_peer(team, "bob", {coding: 4})
    await org_peer(team, "carol", {coding: 3})
    await org_peer(team, "manager2", {coding: 2})
    found = await current(team)
    assert (found["coding"]["level"], found["coding"]["source"]) == (3.0, "PEER")
    assert len((await current(team, as_="manager"))["coding"]["ratings"]) == 3
    # Bob rates again: only his latest counts, (2 + 3 + 2) / 3 = 2.333… → 2.3.
    await org_peer(team, "bob", {coding: 2})
    found = await current(team)
    assert found["coding"]["level"] == 2.3
    assert found["coding"]["levelName"] == "Developing"  # the nearest step
    # The subject sees the peers' mean, not one peer's rating.
    assert found["coding"]["ratings"] == []

    # Her manager sees who, and so does an admin.
    def names(found: dict[str, Any]) -> set[str | None]:
        return {(r["assessment"]["assessor"] or {}).get("name") for r in found["coding"]["ratings"]}

    assert names(await current(team, as_="manager")) == {"Bob Brown", "Carol Chen", "Mia Second"}
    admin = await team.gql(
        CURRENT, {"id": gid("Employee", team.people["alice"])}, as_="admin", scopes="career:admin"
    )
    by_admin = {p["competency"]["key"]: p for p in data(admin)["employee"]["currentProficiencies"]}
    assert names(by_admin) == {"Bob Brown", "Carol Chen", "Mia Second"}


async def test_peer_means_round_half_away_from_zero(team: Org, fw: Framework) -> None:
    coding = fw.competency["coding"]
    await team.employee("dave", manager="manager")
    for peer, level in (("bob", 1), ("carol", 1), ("manager2", 1), ("dave", 2)):
        await org_peer(team, peer, {coding: level})
    assert (await current(team))["coding"]["level"] == 1.3  # 1.25


async def org_peer(org: Org, peer: str, levels: dict[Any, int]) -> None:
    await peer_rate(org, "manager", "alice", peer, levels)


async def test_stale_ratings_are_flagged_and_fresh_ones_preferred(team: Org, fw: Framework) -> None:
    c = fw.competency
    when = long_ago()
    await past(team, "alice", "CALIBRATION", {c["coding"]: 4, c["design"]: 2}, when)
    await rate(team, "alice", "alice", "SELF", {c["coding"]: 2})
    found = await current(team)
    # A fresh self rating beats a calibration older than a year...
    assert (found["coding"]["level"], found["coding"]["source"]) == (2.0, "SELF")
    assert found["coding"]["stale"] is False
    # ...and where only the old calibration exists, it stands, flagged stale.
    assert (found["design"]["level"], found["design"]["source"]) == (2.0, "CALIBRATION")
    assert found["design"]["stale"] is True
    assert found["design"]["asOf"].startswith(when.isoformat())

    # Without preferring fresh ratings the order alone decides.
    strict = await rows(team, AssessmentSettings(prefer_fresh=False))
    assert (strict[c["coding"]].source_kind, strict[c["coding"]].stale) == ("CALIBRATION", True)
    # A longer staleness age makes the calibration fresh again.
    lenient = await rows(team, AssessmentSettings(stale_after_days=500))
    assert (lenient[c["coding"]].source_kind, lenient[c["coding"]].stale) == ("CALIBRATION", False)


async def test_the_order_of_kinds_is_configurable(team: Org, fw: Framework) -> None:
    c = fw.competency
    await rate(team, "alice", "alice", "SELF", {c["coding"]: 4, c["design"]: 3})
    await rate(team, "manager", "alice", "MANAGER", {c["coding"]: 2})
    for peer in ("bob", "carol", "manager2"):
        await org_peer(team, peer, {c["design"]: 1})
    self_first = await rows(team, AssessmentSettings(resolution_order=["SELF", "MANAGER"]))
    assert (self_first[c["coding"]].level, self_first[c["coding"]].source_kind) == (4, "SELF")
    no_peers = await rows(team, AssessmentSettings(resolution_order=["MANAGER", "SELF"]))
    assert (no_peers[c["design"]].level, no_peers[c["design"]].source_kind) == (3, "SELF")
    managers_only = await rows(team, AssessmentSettings(resolution_order=["MANAGER"]))
    assert set(managers_only) == {c["coding"]}
    default = await rows(team, AssessmentSettings())
    assert default[c["design"]].source_kind == "PEER"


async def test_drafts_do_not_count(team: Org, fw: Framework) -> None:
    c = fw.competency
    draft = await act(
        team, "manager", assessments.start_assessment, team.people["alice"].id, "MANAGER"
    )
    await act(team, "manager", assessments.save_ratings, draft.id, [r(c["coding"], 5)])
    assert await current(team) == {}


async def test_fewer_peers_than_the_minimum_count_for_no_one(team: Org, fw: Framework) -> None:
    c = fw.competency
    await rate(team, "alice", "alice", "SELF", {c["design"]: 3})
    await org_peer(team, "bob", {c["design"]: 1, c["coding"]: 2})
    await org_peer(team, "carol", {c["design"]: 2, c["coding"]: 2})
    # Two peers: the PEER mean is ignored, for the subject and her manager alike; her own
    # rating decides design and coding has no current level.
    for reader in ("alice", "manager"):
        found = await current(team, as_=reader)
        assert {k: (p["level"], p["source"]) for k, p in found.items()} == {
            "design": (3.0, "SELF")
        }, reader
    # Her manager still sees each peer assessment and who wrote it.
    listed = await team.gql(
        "{ assessments(first: 10, filter: {kind: PEER}) { nodes { assessor { name } } } }",
        as_="manager",
        scopes="career:employee career:manager",
    )
    assert {n["assessor"]["name"] for n in data(listed)["assessments"]["nodes"]} == {
        "Bob Brown",
        "Carol Chen",
    }
    # The third peer makes the mean count.
    await org_peer(team, "manager2", {c["design"]: 3})
    found = await current(team)
    assert (found["design"]["level"], found["design"]["source"]) == (2.0, "PEER")
    assert "coding" not in found  # still two peers there
    # The minimum is a setting.
    two = await rows(team, AssessmentSettings(min_peer_count=2))
    assert (two[c["coding"]].level, two[c["coding"]].source_kind) == (2, "PEER")
