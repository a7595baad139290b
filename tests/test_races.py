"""Concurrent writers with the same version, for service accounts and assessment cycles: exactly
one wins, the others get STALE_VERSION, and the audit log records one change."""

from __future__ import annotations

from service.config import Settings
from tests.conftest import Org
from tests.race import WRITERS, audit_changes, only_winner, race, wide_client

ADMIN = "career:employee career:admin"


async def test_service_account_one_writer_wins(team: Org, settings: Settings) -> None:
    created = await team.gql(
        'mutation { createServiceAccount(input: {clientId: "hris", name: "HRIS", '
        "scopes: [HRIS]}) { serviceAccount { id version } userErrors { code } } }",
        as_="admin",
        scopes=ADMIN,
    )
    account = created["data"]["createServiceAccount"]["serviceAccount"]
    query = (
        "mutation($i: UpdateServiceAccountInput!) { updateServiceAccount(input: $i) "
        "{ serviceAccount { name version } userErrors { field code } } }"
    )
    variables = [
        {"i": {"id": account["id"], "version": 1, "name": f"HRIS {i}"}} for i in range(WRITERS)
    ]
    async with wide_client(settings) as client:
        results = await race(client, team.token("admin", ADMIN), query, variables)
    payloads = [r["updateServiceAccount"] for r in results]
    won = only_winner(payloads)
    assert payloads[won]["serviceAccount"] == {"name": f"HRIS {won}", "version": 2}
    assert await audit_changes(team, "service_account.update") == [
        {"name": {"from": "HRIS", "to": f"HRIS {won}"}}
    ]


async def test_assessment_cycle_one_opener_wins(team: Org, settings: Settings) -> None:
    created = await team.gql(
        "mutation($i: CreateAssessmentCycleInput!) { createAssessmentCycle(input: $i) "
        "{ cycle { id } userErrors { code } } }",
        {
            "i": {
                "name": "Review",
                "startsOn": "2026-12-01",
                "endsOn": "2026-12-31",
                "kinds": ["SELF"],
            }
        },
        as_="admin",
        scopes=ADMIN,
    )
    cycle = created["data"]["createAssessmentCycle"]["cycle"]["id"]
    query = (
        "mutation($i: AssessmentCycleTransitionInput!) { openAssessmentCycle(input: $i) "
        "{ cycle { status version } userErrors { field code } } }"
    )
    variables = [{"i": {"id": cycle, "version": 1}} for _ in range(WRITERS)]
    async with wide_client(settings) as client:
        results = await race(client, team.token("admin", ADMIN), query, variables)
    payloads = [r["openAssessmentCycle"] for r in results]
    won = only_winner(payloads)
    assert payloads[won]["cycle"] == {"status": "OPEN", "version": 2}
    assert len(await audit_changes(team, "assessment_cycle.open")) == 1
