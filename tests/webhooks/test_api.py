"""Webhooks over GraphQL: endpoints, secrets, pings, deliveries and redelivery, with real
tokens, a real dispatcher and a real receiver."""

from __future__ import annotations

import asyncio
from typing import Any

import jsonschema
from sqlalchemy import func, select

from service.assessments import service as assessments
from service.audit.models import audit_events
from service.webhooks.models import webhook_endpoints
from service.webhooks.outbox import event_type
from tests.auth.helpers import add_service_account, client_token
from tests.conftest import Org
from tests.webhooks.conftest import dispatching, eventually
from tests.webhooks.receiver import Receiver

CREATE = """
mutation($i: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $i) {
    endpoint { id url eventTypes status version description }
    secret
    userErrors { field message code }
  }
}"""
DELIVERIES = """
query($f: WebhookDeliveryFilter, $first: Int) {
  webhookDeliveries(filter: $f, first: $first) {
    totalCount
    nodes {
      id status attemptCount nextAttemptAt lastStatusCode lastError finishedAt
      event { id webhookId type data occurredAt }
      endpoint { id url }
      attempts { attempt statusCode error durationMs startedAt nextAttemptAt }
    }
  }
}"""


async def hooks_token(org: Org) -> str:
    """A client-credentials token of a service account holding `career:webhooks`."""
    await add_service_account(org, "hooks-setup", "career:webhooks")
    return client_token(org, "hooks-setup", "career:webhooks")


def payload(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"][field]  # type: ignore[no-any-return]


async def create(org: Org, token: str, **fields: Any) -> dict[str, Any]:
    body = await org.gql(CREATE, {"i": fields}, token=token)
    return payload(body, "createWebhookEndpoint")


async def endpoint_count(org: Org) -> int:
    async with org.runtime.db.transaction(org.id) as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(webhook_endpoints))).scalar_one()
        )


async def test_create_returns_the_secret_once(org: Org, receiver: Receiver) -> None:
    token = await hooks_token(org)
    made = await create(
        org, token, url=receiver.url, eventTypes=["assessment.*", "webhook.test"], description="x"
    )
    assert made["userErrors"] == []
    assert made["secret"].startswith("whsec_")
    assert made["endpoint"]["eventTypes"] == ["assessment.*", "webhook.test"]
    assert (made["endpoint"]["status"], made["endpoint"]["version"]) == ("ENABLED", 1)
    listed = await org.gql("{ webhookEndpoints { totalCount nodes { id url } } }", token=token)
    assert payload(listed, "webhookEndpoints")["nodes"] == [
        {"id": made["endpoint"]["id"], "url": receiver.url}
    ]
    # The secret is never readable afterwards.
    refused = await org.gql("{ webhookEndpoints { nodes { secret } } }", token=token)
    assert "errors" in refused


async def test_bad_input_is_refused_with_nothing_written(org: Org) -> None:
    token = await hooks_token(org)
    cases = [
        ({"url": "https://10.0.0.1/x", "eventTypes": ["*"]}, ["input", "url"], "INVALID"),
        ({"url": "http://93.184.215.14/x", "eventTypes": ["*"]}, ["input", "url"], "INVALID"),
        ({"url": "  ", "eventTypes": ["*"]}, ["input", "url"], "REQUIRED"),
        (
            {"url": "https://93.184.215.14/x", "eventTypes": ["nope.*"]},
            ["input", "eventTypes", "0"],
            "INVALID",
        ),
        (
            {"url": "https://93.184.215.14/x", "eventTypes": ["assessment.submitted", "x"]},
            ["input", "eventTypes", "1"],
            "INVALID",
        ),
        ({"url": "https://93.184.215.14/x", "eventTypes": []}, ["input", "eventTypes"], "REQUIRED"),
        (
            {"url": "https://93.184.215.14/x", "eventTypes": ["*"] * 51},
            ["input", "eventTypes"],
            "LIMIT_EXCEEDED",
        ),
        (
            {"url": "https://93.184.215.14/x", "eventTypes": ["*"], "description": "d" * 501},
            ["input", "description"],
            "TOO_LONG",
        ),
    ]
    for fields, path, code in cases:
        made = await create(org, token, **fields)
        assert (made["endpoint"], made["secret"]) == (None, None), fields
        assert [(e["field"], e["code"]) for e in made["userErrors"]] == [(path, code)], fields
    assert await endpoint_count(org) == 0


async def test_stale_versions_are_refused_and_concurrent_updates_have_one_winner(
    org: Org,
) -> None:
    token = await hooks_token(org)
    made = await create(org, token, url="https://93.184.215.14/x", eventTypes=["*"])
    endpoint_id = made["endpoint"]["id"]
    update = """
    mutation($i: UpdateWebhookEndpointInput!) {
      updateWebhookEndpoint(input: $i) { endpoint { version description } userErrors { code } }
    }"""
    results = await asyncio.gather(
        *(
            org.gql(
                update,
                {"i": {"id": endpoint_id, "version": 1, "description": f"d{n}"}},
                token=token,
            )
            for n in range(8)
        )
    )
    outcomes = [payload(r, "updateWebhookEndpoint") for r in results]
    winners = [o for o in outcomes if o["endpoint"]]
    assert len(winners) == 1
    assert winners[0]["endpoint"]["version"] == 2
    assert all(
        o["userErrors"] == [{"code": "STALE_VERSION"}] for o in outcomes if not o["endpoint"]
    )
    async with org.runtime.db.transaction(org.id) as conn:
        updates = (
            await conn.execute(
                select(audit_events.c.changes).where(
                    audit_events.c.action == "webhook_endpoint.update"
                )
            )
        ).all()
    assert [u.changes["description"]["to"] for u in updates] == [
        winners[0]["endpoint"]["description"]
    ]


async def test_ping_delivers_and_the_delivery_shows_every_attempt(
    org: Org, receiver: Receiver, count_statements: Any
) -> None:
    token = await hooks_token(org)
    made = await create(org, token, url=receiver.url, eventTypes=["assessment.submitted"])
    receiver.secrets.append(made["secret"])
    endpoint_id = made["endpoint"]["id"]
    calls = 0

    async def fail_first(request: Any, r: Receiver) -> Any:
        from starlette.responses import Response

        nonlocal calls
        calls += 1
        return Response(status_code=500 if calls == 1 else 200, content=b"not yet")

    receiver.handler = fail_first
    async with dispatching(org.runtime):
        for _ in range(3):
            pinged = payload(
                await org.gql(
                    "mutation($i: PingWebhookEndpointInput!) { pingWebhookEndpoint(input: $i) "
                    "{ delivery { id status event { type } } userErrors { code } } }",
                    {"i": {"id": endpoint_id}},
                    token=token,
                ),
                "pingWebhookEndpoint",
            )
            assert pinged["delivery"]["event"]["type"] == "webhook.test"
        await receiver.wait_for(lambda rs: len(rs) == 4)

        async def all_done() -> Any:
            found = payload(
                await org.gql(DELIVERIES, {"first": 10}, token=token), "webhookDeliveries"
            )
            return found if all(n["status"] == "SUCCEEDED" for n in found["nodes"]) else None

        listed = await eventually(all_done)
    assert {r.payload["type"] for r in receiver.requests if r.payload} == {"webhook.test"}
    assert all(r.verified_by for r in receiver.requests)
    assert listed["totalCount"] == 3
    retried = [n for n in listed["nodes"] if n["attemptCount"] == 2]
    assert len(retried) == 1
    first, second = retried[0]["attempts"]
    assert (first["statusCode"], first["error"], second["statusCode"]) == (500, "HTTP 500", 200)
    assert first["nextAttemptAt"] is not None
    assert retried[0]["event"]["webhookId"] in {r.webhook_id for r in receiver.requests}
    # One statement per relation, whatever the page size.
    counts = {}
    for first_n in (1, 3):
        with count_statements() as counter:
            page = payload(
                await org.gql(DELIVERIES, {"first": first_n}, token=token), "webhookDeliveries"
            )
        assert len(page["nodes"]) == first_n
        counts[first_n] = counter.count
    assert counts[1] == counts[3], counts


async def test_filters_and_redelivery_with_the_same_webhook_id(
    org: Org, receiver: Receiver
) -> None:
    token = await hooks_token(org)
    made = await create(org, token, url=receiver.url, eventTypes=["*"])
    receiver.secrets.append(made["secret"])
    async with dispatching(org.runtime):
        await org.gql(
            "mutation($i: PingWebhookEndpointInput!) { pingWebhookEndpoint(input: $i) { userErrors { code } } }",
            {"i": {"id": made["endpoint"]["id"]}},
            token=token,
        )
        await receiver.wait_for(lambda rs: len(rs) == 1)
        found = payload(
            await org.gql(
                DELIVERIES,
                {"f": {"eventType": "webhook.test", "endpointId": made["endpoint"]["id"]}},
                token=token,
            ),
            "webhookDeliveries",
        )
        event = found["nodes"][0]["event"]
        again = payload(
            await org.gql(
                "mutation($i: RedeliverWebhookEventInput!) { redeliverWebhookEvent(input: $i) "
                "{ deliveries { id status event { id } } userErrors { field code } } }",
                {"i": {"eventId": event["id"]}},
                token=token,
            ),
            "redeliverWebhookEvent",
        )
        assert again["userErrors"] == []
        assert [d["event"]["id"] for d in again["deliveries"]] == [event["id"]]
        await receiver.wait_for(lambda rs: len(rs) == 2)
    first, second = receiver.requests
    assert first.webhook_id == second.webhook_id == event["webhookId"]
    assert first.body == second.body
    none = payload(
        await org.gql(DELIVERIES, {"f": {"eventType": "promotion.approved"}}, token=token),
        "webhookDeliveries",
    )
    assert none["totalCount"] == 0
    bad = await org.gql(DELIVERIES, {"f": {"endpointId": "nope"}}, token=token)
    assert bad["data"] is None or bad["data"]["webhookDeliveries"] is None
    assert [e["extensions"]["code"] for e in bad["errors"]] == ["BAD_USER_INPUT"]


async def test_disable_enable_rotate_delete(org: Org) -> None:
    token = await hooks_token(org)
    made = await create(org, token, url="https://93.184.215.14/x", eventTypes=["*"])
    gid = made["endpoint"]["id"]

    async def call(name: str, input_type: str, fields: str, **extra: Any) -> dict[str, Any]:
        body = await org.gql(
            f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {fields} userErrors {{ field code }} }} }}",
            {"i": {"id": gid, **extra}},
            token=token,
        )
        return payload(body, name)

    off = await call(
        "disableWebhookEndpoint",
        "WebhookEndpointIdInput",
        "endpoint { status disabledReason disabledAt }",
    )
    assert off["endpoint"]["status"] == "DISABLED"
    assert off["endpoint"]["disabledReason"] == "MANUAL"
    ping = await call("pingWebhookEndpoint", "PingWebhookEndpointInput", "delivery { id }")
    assert ping["userErrors"] == [{"field": ["input", "id"], "code": "INVALID_STATE"}]
    on = await call(
        "enableWebhookEndpoint",
        "WebhookEndpointIdInput",
        "endpoint { status disabledReason version }",
    )
    assert (on["endpoint"]["status"], on["endpoint"]["disabledReason"]) == ("ENABLED", None)
    rotated = await call(
        "rotateWebhookSecret",
        "RotateWebhookSecretInput",
        "endpoint { previousSecretExpiresAt } secret",
        graceSeconds=3600,
    )
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != made["secret"]
    assert rotated["endpoint"]["previousSecretExpiresAt"] is not None
    too_long = await call(
        "rotateWebhookSecret", "RotateWebhookSecretInput", "secret", graceSeconds=10**9
    )
    assert too_long["userErrors"] == [{"field": ["input", "graceSeconds"], "code": "INVALID"}]
    stale = await call(
        "disableWebhookEndpoint", "WebhookEndpointIdInput", "endpoint { id }", version=1
    )
    assert stale["userErrors"] == [{"field": ["input", "version"], "code": "STALE_VERSION"}]
    gone = await call("deleteWebhookEndpoint", "DeleteWebhookEndpointInput", "deletedId")
    assert gone["deletedId"] == gid
    again = await call("deleteWebhookEndpoint", "DeleteWebhookEndpointInput", "deletedId")
    assert again["userErrors"] == [{"field": ["input", "id"], "code": "NOT_FOUND"}]
    assert await endpoint_count(org) == 0


async def test_event_types_publish_their_schemas(org: Org) -> None:
    token = await hooks_token(org)
    body = await org.gql("{ webhookEventTypes { name description schema example } }", token=token)
    types = {t["name"]: t for t in payload(body, "webhookEventTypes")}
    for name in (
        "assessment.submitted",
        "assessment.imported",
        "webhook.test",
        "webhook_endpoint.disabled",
    ):
        assert types[name]["description"]
        schema = types[name]["schema"]
        jsonschema.Draft202012Validator.check_schema(schema)
        for example in schema["examples"]:
            jsonschema.validate(example, schema)


async def test_a_submitted_assessment_arrives_as_documented(org: Org, receiver: Receiver) -> None:
    """The whole path: a domain change, its event in the same transaction, the dispatcher,
    a verified delivery whose body matches the published JSON Schema."""
    from tests.assessments.conftest import load_framework

    await org.employee("admin")
    await org.employee("ann", manager="admin")
    fw = await load_framework(org)
    token = await hooks_token(org)
    made = await create(org, token, url=receiver.url, eventTypes=["assessment.*"])
    receiver.secrets.append(made["secret"])
    async with dispatching(org.runtime):
        await org.run(
            assessments.calibrate,
            org.people["ann"].id,
            [assessments.RatingInput(next(iter(fw.competency.values())), 2, None)],
        )
        await receiver.wait_for(lambda rs: len(rs) == 1)
    [got] = receiver.requests
    assert got.verified_by == receiver.secrets
    assert got.payload is not None
    assert got.payload["type"] == "assessment.submitted"
    assert got.payload["data"]["subject_id"] == str(org.people["ann"].id)
    assert got.payload["data"]["kind"] == "CALIBRATION"
    jsonschema.validate(got.payload, event_type("assessment.submitted").document())
