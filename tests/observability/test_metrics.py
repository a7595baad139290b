"""Prometheus metrics from real requests: duration by operation and outcome, statements
per request, cache lookups; bounded labels; the endpoint's switch and token."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from service.config import MetricsSettings
from service.observability.metrics import OperationNames, outcome
from tests.conftest import Org

DURATION = "careerpath_graphql_request_duration_seconds"
STATEMENTS = "careerpath_graphql_statements_per_request"
CACHE = "careerpath_cache_lookups_total"


async def scrape(client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> Any:
    """A function giving the value of a sample (0 when absent) as ``/metrics`` shows it."""
    response = await client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    return value


def unique(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"


async def test_a_request_is_timed_by_operation_and_outcome_with_its_statements(
    team: Org, count_statements: Any
) -> None:
    name = unique("MyName")
    before = await scrape(team.client)
    with count_statements() as counter:
        body = await team.gql(f"query {name} {{ me {{ name }} }}", as_="alice")
    assert body == {"data": {"me": {"name": "Alice Anders"}}}
    after = await scrape(team.client)
    labels = {"operation": name, "outcome": "ok"}
    assert after(f"{DURATION}_count", **labels) == before(f"{DURATION}_count", **labels) + 1
    assert after(f"{DURATION}_sum", **labels) > 0
    assert counter.count >= 1
    assert after(f"{STATEMENTS}_sum", operation=name) == counter.count
    assert after(f"{STATEMENTS}_count", operation=name) == 1


async def test_outcomes_and_the_labels_of_unnamed_and_invalid_requests(team: Org) -> None:
    name = unique("Denied")
    before = await scrape(team.client)
    await team.gql("{ me { name } }", as_="alice")  # unnamed, ok
    await team.gql(f"query {name} {{ me {{ name }} }}", expect_status=401)  # no token
    await team.gql("{ me { ", as_="alice")  # does not parse
    await team.gql("{ me { name } }", token="not-a-token", expect_status=401)
    after = await scrape(team.client)

    def delta(**labels: str) -> float:
        key = f"{DURATION}_count"
        return after(key, **labels) - before(key, **labels)

    assert delta(operation="anonymous", outcome="ok") >= 1
    assert delta(operation=name, outcome="denied") == 1
    assert delta(operation="invalid", outcome="refused") >= 1
    assert delta(operation="invalid", outcome="denied") >= 1  # refused before GraphQL ran


async def test_persisted_query_lookups_are_counted_as_hits_and_misses(team: Org) -> None:
    query = f"query {unique('Apq')} {{ me {{ name }} }}"
    extensions = {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
    }
    headers = {"Authorization": f"Bearer {team.token('alice')}"}
    before = await scrape(team.client)
    await team.client.post("/graphql", json={"extensions": extensions}, headers=headers)
    await team.client.post(
        "/graphql", json={"query": query, "extensions": extensions}, headers=headers
    )
    await team.client.post("/graphql", json={"extensions": extensions}, headers=headers)
    after = await scrape(team.client)
    for result in ("hit", "miss"):
        labels = {"cache": "persisted_queries", "result": result}
        assert after(CACHE, **labels) - before(CACHE, **labels) == 1


def test_operation_names_are_capped_and_checked() -> None:
    names = OperationNames(limit=2)
    assert names.label(None) == "anonymous"
    assert names.label("") == "anonymous"
    assert names.label("One") == "One"
    assert names.label("Two") == "Two"
    assert names.label("Three") == "other"
    assert names.label("One") == "One"
    assert OperationNames(limit=10).label("x" * 65) == "other"


def test_outcome_comes_from_status_and_codes() -> None:
    assert outcome(200, []) == "ok"
    assert outcome(200, ["BAD_USER_INPUT"]) == "refused"
    assert outcome(400, ["GRAPHQL_PARSE_FAILED"]) == "refused"
    assert outcome(200, ["FORBIDDEN", "BAD_USER_INPUT"]) == "denied"
    assert outcome(401, ["UNAUTHENTICATED"]) == "denied"
    assert outcome(200, ["FORBIDDEN", "INTERNAL_SERVER_ERROR"]) == "error"
    assert outcome(503, ["SERVICE_UNAVAILABLE"]) == "unavailable"


async def test_names_past_the_cap_are_counted_as_other(team: Org, custom_app: Any) -> None:
    first, second = unique("First"), unique("Second")
    headers = {"Authorization": f"Bearer {team.token('alice')}"}
    async with custom_app(metrics=MetricsSettings(max_operation_names=1)) as (_, client):
        before = await scrape(client)
        for name in (first, second):
            query = f"query {name} {{ me {{ name }} }}"
            await client.post("/graphql", json={"query": query}, headers=headers)
        after = await scrape(client)
    key = f"{DURATION}_count"
    assert after(key, operation=first, outcome="ok") == 1
    assert after(key, operation=second, outcome="ok") == 0
    assert (
        after(key, operation="other", outcome="ok") - before(key, operation="other", outcome="ok")
        == 1
    )


async def test_metrics_can_require_a_token_or_be_turned_off(custom_app: Any) -> None:
    token = secrets.token_urlsafe(16)
    async with custom_app(metrics=MetricsSettings(token=token)) as (_, client):
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert "WWW-Authenticate" in wrong.headers
        await scrape(client, {"Authorization": f"Bearer {token}"})
    async with custom_app(metrics=MetricsSettings(enabled=False)) as (_, client):
        assert (await client.get("/metrics")).status_code == 404


async def test_parse_and_validation_cache_lookups_are_counted(team: Org) -> None:
    query = f"query {unique('Cached')} {{ me {{ name }} }}"
    before = await scrape(team.client)
    for _ in range(2):
        await team.gql(query, as_="alice")
    after = await scrape(team.client)
    for cache in ("parse", "validation"):
        for result in ("hit", "miss"):
            labels = {"cache": cache, "result": result}
            assert after(CACHE, **labels) - before(CACHE, **labels) >= 1, labels
