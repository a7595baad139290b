"""The demo organization's promotions: a decided and an open case, one engineer passed
over, two succession plans."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from service.app import Runtime
from service.demo.load import DEMO_SLUG, demo_subject, load_demo

ADMIN = "career:employee career:admin"


@pytest.fixture
async def demo(runtime: Runtime) -> Runtime:
    await load_demo(runtime.db)  # once per database: later calls find it loaded
    return runtime


async def ask(
    runtime: Runtime, client: httpx.AsyncClient, key: str, scopes: str, query: str
) -> Any:
    assert runtime.dev_issuer is not None
    token = runtime.dev_issuer.mint(demo_subject(key), org=DEMO_SLUG, scopes=scopes.split())
    response = await client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_the_demo_has_a_decided_and_an_open_case(
    demo: Runtime, client: httpx.AsyncClient
) -> None:
    found = await ask(
        demo,
        client,
        "hr-director",
        ADMIN,
        "{ promotions(first: 10) { nodes { status employee { name role { key } } "
        "fromRole { key } toRole { key } evidence { readiness } } } }",
    )
    cases = {n["employee"]["name"]: n for n in found["promotions"]["nodes"]}
    assert cases["Kwame Mensah"]["status"] == "REJECTED"
    assert cases["Kwame Mensah"]["employee"]["role"]["key"] == "senior-marketing-specialist"
    assert cases["Kwame Mensah"]["toRole"] == {"key": "principal-marketing-specialist"}
    assert cases["Amara Nwosu"]["status"] == "PROPOSED"
    assert cases["Amara Nwosu"]["toRole"] == {"key": "senior-marketing-specialist"}
    assert cases["Amara Nwosu"]["evidence"]["readiness"] is not None
    # Her manager sees the open case; she does not, until it is decided.
    mine = await ask(
        demo, client, "mkt-specialist-1", "career:employee", "{ me { promotions { status } } }"
    )
    assert mine["me"]["promotions"] == []
    team = await ask(
        demo,
        client,
        "mkt-manager",
        "career:employee career:manager",
        "{ promotions { nodes { status employee { name } } } }",
    )
    assert [n["employee"]["name"] for n in team["promotions"]["nodes"]] == ["Amara Nwosu"]


async def test_the_demo_has_someone_passed_over_and_two_succession_plans(
    demo: Runtime, client: httpx.AsyncClient
) -> None:
    found = await ask(
        demo,
        client,
        "hr-director",
        ADMIN,
        "{ passedOver(filter: {minReadiness: 0.8, minMonths: 6}) { nodes { readiness "
        "readySince employee { name } targetRole { key } readinessHistory { readiness } "
        "promotions { status decisionNote } } } "
        "successionPlans { nodes { criticality incumbent { name } "
        "benchStrength { readyNow total } successors { readiness gapAnalysis { readiness } } } } }",
    )
    (entry,) = found["passedOver"]["nodes"]
    assert entry["employee"]["name"] == "Kwame Mensah"
    assert entry["targetRole"] == {"key": "principal-marketing-specialist"}
    assert entry["readySince"] == "2025-12-12"
    assert len(entry["readinessHistory"]) == 2
    assert [p["status"] for p in entry["promotions"]] == ["REJECTED"]
    assert entry["promotions"][0]["decisionNote"].startswith("Budget freeze")
    plans = found["successionPlans"]["nodes"]
    assert [(p["criticality"], p["incumbent"]["name"]) for p in plans] == [
        ("CRITICAL", "Marcus Feld"),
        ("HIGH", "Olivier Laurent"),
    ]
    assert plans[0]["benchStrength"] == {"readyNow": 1, "total": 3}
    assert all(s["gapAnalysis"]["readiness"] is not None for s in plans[0]["successors"])
