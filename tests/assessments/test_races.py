"""Concurrent rating saves with the same version: exactly one wins, the others get
STALE_VERSION, and the audit log records one change."""

from __future__ import annotations

from service.config import Settings
from service.graphql.ids import encode_id
from tests.assessments.conftest import MANAGER, Framework
from tests.conftest import Org, gid
from tests.race import WRITERS, audit_changes, only_winner, race, wide_client


async def test_ratings_one_writer_wins(team: Org, fw: Framework, settings: Settings) -> None:
    started = await team.gql(
        "mutation($i: StartAssessmentInput!) { startAssessment(input: $i) "
        "{ assessment { id version } userErrors { code } } }",
        {"i": {"subjectId": gid("Employee", team.people["alice"]), "kind": "SELF"}},
        as_="alice",
        scopes=MANAGER,
    )
    draft = started["data"]["startAssessment"]["assessment"]
    coding = encode_id("Competency", fw.competency["coding"])
    query = (
        "mutation($i: SaveRatingsInput!) { saveRatings(input: $i) "
        "{ assessment { version ratings { level } } userErrors { field code } } }"
    )
    levels = [1 + i % 5 for i in range(WRITERS)]
    variables = [
        {
            "i": {
                "assessmentId": draft["id"],
                "version": draft["version"],
                "ratings": [{"competencyId": coding, "level": level}],
            }
        }
        for level in levels
    ]
    async with wide_client(settings) as client:
        results = await race(client, team.token("alice", MANAGER), query, variables)
    payloads = [r["saveRatings"] for r in results]
    won = only_winner(payloads)
    assert payloads[won]["assessment"] == {
        "version": draft["version"] + 1,
        "ratings": [{"level": levels[won]}],
    }
    assert len(await audit_changes(team, "assessment.save_ratings")) == 1
