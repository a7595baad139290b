"""Mobility figures: time to fill, internal fill rate, applications per posting, feedback on
rejections, upward and lateral moves, computed over a period."""

from __future__ import annotations

from typing import Any

from tests.mobility.conftest import (
    ACCEPT,
    ADMIN_SCOPES,
    CLOSE,
    MANAGER,
    Mobility,
    apply,
    codes,
    data,
    move,
    open_role,
)

FIGURES = """
query($f: MobilityFiguresFilter) { mobilityFigures(filter: $f) {
  postingsOpened postingsFilled postingsClosedUnfilled meanDaysToFill medianDaysToFill
  internalFillRate applicationsPerPosting rejectedApplications rejectedFeedbackShare
  upwardMoves lateralMoves } }
"""


async def test_figures_over_a_period(mob: Mobility) -> None:
    filled = await open_role(mob, title="Filled")
    closed = await open_role(mob, title="Closed")
    await open_role(mob, title="Still open")
    carol = (await apply(mob, filled["id"], "carol"))["application"]
    bob = (await apply(mob, filled["id"], "bob"))["application"]
    await apply(mob, closed["id"], "alice")
    await move(mob, bob["id"], "REJECTED", feedback="More delivery experience first.")
    await move(mob, carol["id"], "OFFERED")
    accepted = await mob.org.gql(ACCEPT, {"i": {"id": carol["id"]}}, as_="carol")
    assert data(accepted)["acceptOffer"]["userErrors"] == []
    await mob.org.gql(CLOSE, {"i": {"id": closed["id"]}}, as_="manager", scopes=MANAGER)
    found: dict[str, Any] = data(await mob.org.gql(FIGURES, as_="admin", scopes=ADMIN_SCOPES))[
        "mobilityFigures"
    ]
    assert found["postingsOpened"] == 3
    assert found["postingsFilled"] == 1
    assert found["postingsClosedUnfilled"] == 1
    assert found["internalFillRate"] == 0.5
    assert found["applicationsPerPosting"] == 1.0  # 3 applications to 3 postings
    assert found["rejectedApplications"] == 1
    assert found["rejectedFeedbackShare"] == 1.0
    assert 0 <= found["meanDaysToFill"] < 0.01  # filled within the test
    assert found["medianDaysToFill"] == found["meanDaysToFill"]
    # Carol had no role: a lateral move.
    assert (found["upwardMoves"], found["lateralMoves"]) == (0, 1)
    # An earlier period has nothing; a period of more than ten years is refused.
    empty = data(
        await mob.org.gql(
            FIGURES,
            {"f": {"start": "2020-01-01", "end": "2021-01-01"}},
            as_="admin",
            scopes=ADMIN_SCOPES,
        )
    )["mobilityFigures"]
    assert empty["postingsOpened"] == 0
    assert empty["internalFillRate"] is None
    bad = await mob.org.gql(
        FIGURES,
        {"f": {"start": "2000-01-01", "end": "2021-01-01"}},
        as_="admin",
        scopes=ADMIN_SCOPES,
    )
    assert codes(bad) != []
    assert bad["data"] is None
    # Periods at either end of the calendar (the default start of the first is day one).
    for period in ({"end": "0001-01-09"}, {"start": "9999-01-01", "end": "9999-12-31"}):
        body = await mob.org.gql(FIGURES, {"f": period}, as_="admin", scopes=ADMIN_SCOPES)
        assert data(body)["mobilityFigures"]["postingsOpened"] == 0
