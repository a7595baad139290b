"""Authorization matrix entries of webhooks: `career:webhooks` or `career:admin` only (the
matrix's service account holds `career:hris`, and is refused)."""

from __future__ import annotations

from typing import Any

from service.webhooks import service as webhooks
from service.webhooks.outbox import emit
from service.webhooks.ssrf import AddressPolicy
from tests.authz_matrix import ADMIN_ONLY_WRITE, Entry, Op, Result, World, admin_only_read

#: A public address that needs no DNS; nothing is delivered during the matrix.
URL = "https://93.184.215.14/careerpath-org-a-hook"
NOWHERE = AddressPolicy.from_entries([])


def endpoint_markers(w: World) -> set[str]:
    return {URL}


async def an_endpoint(w: World) -> Any:
    row, _ = await w.org.run(
        webhooks.create_endpoint, webhooks.EndpointInput(url=URL, event_types=["*"]), NOWHERE
    )
    return row


async def a_delivery(w: World) -> tuple[Any, Any]:
    """An endpoint of A and the delivery of one event to it."""
    endpoint = await an_endpoint(w)
    event_id = await w.org.run(emit, "webhook.test", {"endpoint_id": "x", "message": "m"})
    return endpoint, event_id


def _gid(w: World, type_name: str, value: Any) -> str:
    from service.graphql.ids import encode_id

    return encode_id(type_name, value)


async def webhook_endpoints(w: World) -> Op:
    await an_endpoint(w)
    return Op("{ webhookEndpoints(first: 100) { nodes { id url eventTypes status } } }")


def lists_an_endpoint(result: Result) -> None:
    assert URL in [n["url"] for n in result.value["nodes"]]


async def webhook_deliveries(w: World) -> Op:
    await a_delivery(w)
    return Op(
        "{ webhookDeliveries(first: 100) { nodes { id status attemptCount "
        "event { type } endpoint { url } attempts { statusCode } } } }"
    )


def lists_a_delivery(result: Result) -> None:
    assert URL in [n["endpoint"]["url"] for n in result.value["nodes"]]


def webhook_event_types(w: World) -> Op:
    return Op("{ webhookEventTypes { name description } }")


def lists_assessment_submitted(result: Result) -> None:
    assert "assessment.submitted" in [t["name"] for t in result.value]


def create_webhook_endpoint(w: World) -> Op:
    return Op(
        "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) "
        "{ endpoint { id } secret userErrors { field code } } }",
        {"i": {"url": "https://93.184.215.14/created", "eventTypes": ["assessment.*"]}},
    )


def _endpoint_op(
    mutation: str, input_type: str, extra: dict[str, Any] | None = None, *, disabled: bool = False
) -> Any:
    async def build(w: World) -> Op:
        endpoint = await an_endpoint(w)
        if disabled:
            await w.org.run(webhooks.disable_endpoint, endpoint.id)
        return Op(
            f"mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ userErrors {{ field code }} "
            + ("deletedId" if mutation == "deleteWebhookEndpoint" else "__typename")
            + " } }",
            {"i": {"id": _gid(w, "WebhookEndpoint", endpoint.id), **(extra or {})}},
        )

    return build


async def redeliver_webhook_event(w: World) -> Op:
    _, event_id = await a_delivery(w)
    return Op(
        "mutation($i: RedeliverWebhookEventInput!) { redeliverWebhookEvent(input: $i) "
        "{ deliveries { id } userErrors { field code } } }",
        {"i": {"eventId": _gid(w, "WebhookEvent", event_id)}},
    )


AUTHZ = {
    "Query.webhookEndpoints": Entry(
        webhook_endpoints, admin_only_read(lists_an_endpoint), subject=endpoint_markers
    ),
    "Query.webhookDeliveries": Entry(
        webhook_deliveries, admin_only_read(lists_a_delivery), subject=endpoint_markers
    ),
    "Query.webhookEventTypes": Entry(
        webhook_event_types, admin_only_read(lists_assessment_submitted)
    ),
    "Mutation.createWebhookEndpoint": Entry(create_webhook_endpoint, ADMIN_ONLY_WRITE),
    "Mutation.updateWebhookEndpoint": Entry(
        _endpoint_op("updateWebhookEndpoint", "UpdateWebhookEndpointInput", {"description": "x"}),
        ADMIN_ONLY_WRITE,
        subject=endpoint_markers,
    ),
    "Mutation.disableWebhookEndpoint": Entry(
        _endpoint_op("disableWebhookEndpoint", "WebhookEndpointIdInput"),
        ADMIN_ONLY_WRITE,
        subject=endpoint_markers,
    ),
    "Mutation.enableWebhookEndpoint": Entry(
        _endpoint_op("enableWebhookEndpoint", "WebhookEndpointIdInput", disabled=True),
        ADMIN_ONLY_WRITE,
        subject=endpoint_markers,
    ),
    "Mutation.rotateWebhookSecret": Entry(
        _endpoint_op("rotateWebhookSecret", "RotateWebhookSecretInput"),
        ADMIN_ONLY_WRITE,
        subject=endpoint_markers,
    ),
    "Mutation.deleteWebhookEndpoint": Entry(
        _endpoint_op("deleteWebhookEndpoint", "DeleteWebhookEndpointInput"),
        ADMIN_ONLY_WRITE,
        subject=endpoint_markers,
    ),
    "Mutation.pingWebhookEndpoint": Entry(
        _endpoint_op("pingWebhookEndpoint", "PingWebhookEndpointInput"),
        ADMIN_ONLY_WRITE,
        subject=endpoint_markers,
    ),
    "Mutation.redeliverWebhookEvent": Entry(
        redeliver_webhook_event, ADMIN_ONLY_WRITE, subject=endpoint_markers
    ),
}


async def _endpoint_node(w: World) -> str:
    return _gid(w, "WebhookEndpoint", (await an_endpoint(w)).id)


async def _event_node(w: World) -> str:
    _, event_id = await a_delivery(w)
    return _gid(w, "WebhookEvent", event_id)


async def _delivery_node(w: World) -> str:
    from sqlalchemy import select

    from service.webhooks.models import webhook_deliveries

    _, event_id = await a_delivery(w)
    async with w.org.runtime.db.transaction(w.org.id) as conn:
        delivery_id = (
            await conn.execute(
                select(webhook_deliveries.c.id).where(webhook_deliveries.c.event_id == event_id)
            )
        ).scalar_one()
    return _gid(w, "WebhookDelivery", delivery_id)


NODES = {
    "WebhookEndpoint": _endpoint_node,
    "WebhookEvent": _event_node,
    "WebhookDelivery": _delivery_node,
}
