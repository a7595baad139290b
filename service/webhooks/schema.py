"""Query and Mutation fields of the webhooks domain (`career:webhooks` or `career:admin`)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service.errors import UserInputError
from service.graphql.ids import decode_optional, encode_id
from service.graphql.kit import (
    Call,
    Payload,
    id_input,
    mutation,
    optional_input,
    payload_type,
    target_call,
    target_input,
    unset_input,
    version_input,
    versioned_call,
)
from service.graphql.pagination import Connection, PageArgs, paged, paginate
from service.webhooks import queries
from service.webhooks import service as webhooks
from service.webhooks.outbox import event_types
from service.webhooks.ssrf import AddressPolicy
from service.webhooks.types import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEndpointStatus,
    WebhookEventType,
)

MAX_GRACE_SECONDS = 30 * 86_400


def _policy(info: Info) -> AddressPolicy:
    return AddressPolicy.from_entries(info.context.settings.webhooks.allow_hosts)


@strawberry.input(description="Which deliveries to list; every field narrows the list.")
class WebhookDeliveryFilter:
    endpoint_id: strawberry.ID | None = optional_input("Only deliveries to this endpoint.")
    event_id: strawberry.ID | None = optional_input("Only deliveries of this event.")
    event_type: str | None = optional_input("Only events of this type, e.g. `promotion.approved`.")
    status: WebhookDeliveryStatus | None = optional_input("Only deliveries in this state.")


@strawberry.type
class WebhooksQuery:
    @strawberry.field(
        description="The organization's webhook endpoints, oldest first. Requires "
        "`career:webhooks` or `career:admin`."
    )
    @paged
    async def webhook_endpoints(
        self,
        info: Info,
        paging: PageArgs,
        status: Annotated[
            WebhookEndpointStatus | None,
            strawberry.argument(description="Only enabled or only disabled endpoints."),
        ] = None,
    ) -> Connection[WebhookEndpoint]:
        webhooks.require_webhooks(await info.context.principal())
        return await paginate(
            info,
            queries.endpoints_select(status.value if status else None),
            paging,
            WebhookEndpoint.from_row,
        )

    @strawberry.field(
        description="Deliveries, newest first, each with every attempt (status code, error, "
        "duration) and the next one. Requires `career:webhooks` or `career:admin`."
    )
    @paged
    async def webhook_deliveries(
        self,
        info: Info,
        paging: PageArgs,
        filter: Annotated[
            WebhookDeliveryFilter | None,
            strawberry.argument(description="Which deliveries; all when omitted."),
        ] = None,
    ) -> Connection[WebhookDelivery]:
        webhooks.require_webhooks(await info.context.principal())
        f = filter or WebhookDeliveryFilter()
        chosen = queries.DeliveryFilter(
            endpoint_id=decode_optional(f.endpoint_id, "WebhookEndpoint", ("filter", "endpointId")),
            event_id=decode_optional(f.event_id, "WebhookEvent", ("filter", "eventId")),
            event_type=f.event_type[:200] if f.event_type is not None else None,
            status=f.status.value if f.status is not None else None,
        )
        return await paginate(
            info,
            queries.deliveries_select(chosen),
            paging,
            WebhookDelivery.from_row,
        )

    @strawberry.field(
        description="Every event type endpoints can subscribe to, by name, with the JSON "
        "Schema of its body. Requires `career:webhooks` or `career:admin`."
    )
    async def webhook_event_types(self, info: Info) -> list[WebhookEventType]:
        webhooks.require_webhooks(await info.context.principal())
        return [WebhookEventType(source=t) for t in event_types()]


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description="An https URL on a public address (at most 2000 characters); plain http "
        "and private addresses only for hosts the server's allow-list names."
    )
    event_types: list[str] = strawberry.field(
        description="Event types to receive (1–50): names from `webhookEventTypes`, wildcards "
        "such as `promotion.*`, or `*` for every type."
    )
    description: str | None = optional_input("What it is for (at most 500 characters).")


@strawberry.input(description="Changes to a webhook endpoint; omitted fields stay as they are.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID = id_input("WebhookEndpoint", "The endpoint to change.", target=True)
    version: int | None = version_input()
    url: str | None = unset_input("New URL (checked as at creation).")
    event_types: list[str] | None = unset_input("New event types (replacing the old ones).")
    description: str | None = unset_input("New description.")


WebhookEndpointIdInput = target_input(
    "WebhookEndpointIdInput", "An endpoint to act on.", "WebhookEndpoint", "The endpoint."
)
PingWebhookEndpointInput = target_input(
    "PingWebhookEndpointInput",
    "An endpoint to send a `webhook.test` event to.",
    "WebhookEndpoint",
    "The endpoint (must be enabled).",
    versioned=False,
)
DeleteWebhookEndpointInput = target_input(
    "DeleteWebhookEndpointInput",
    "An endpoint to remove.",
    "WebhookEndpoint",
    "The endpoint.",
    versioned=False,
)


@strawberry.input(description="A new secret for an endpoint.")
class RotateWebhookSecretInput:
    id: strawberry.ID = id_input("WebhookEndpoint", "The endpoint.", target=True)
    version: int | None = version_input()
    grace_seconds: int | None = optional_input(
        "How long the old secret keeps signing too (0 to 2,592,000; default the "
        "server's `CAREERPATH_WEBHOOKS__SECRET_GRACE_SECONDS`). Deliveries carry both "
        "signatures meanwhile, so receivers can switch at their pace."
    )


@strawberry.input(description="An event to send again.")
class RedeliverWebhookEventInput:
    event_id: strawberry.ID = id_input(
        "WebhookEvent", "The event (a `WebhookEvent` ID).", target=True
    )
    endpoint_id: strawberry.ID | None = id_input(
        "WebhookEndpoint",
        "Only to this (enabled) endpoint; by default to every enabled endpoint it went to before.",
        default=None,
    )


def _secret_payload(name: str, description: str, endpoint: str, secret: str) -> Any:
    """A payload holding an endpoint and its signing secret, which is shown this once
    (``endpoint`` describes the first field, ``secret`` whose secret the second is)."""
    namespace = {
        "__annotations__": {"endpoint": WebhookEndpoint | None, "secret": str | None},
        "endpoint": strawberry.field(default=None, description=endpoint),
        "secret": strawberry.field(
            default=None,
            description=f"{secret} signing secret (`whsec_…`). Shown this once: store it now.",
        ),
    }
    return strawberry.type(type(name, (Payload,), namespace), description=description)


CreateWebhookEndpointPayload = _secret_payload(
    "CreateWebhookEndpointPayload",
    "Result of creating an endpoint.",
    "The new endpoint; null when refused.",
    "Its",
)


WebhookEndpointPayload = payload_type(
    "WebhookEndpointPayload",
    "Result of a change to an endpoint.",
    "endpoint",
    WebhookEndpoint,
    "The endpoint after the change; null when refused.",
)


RotateWebhookSecretPayload = _secret_payload(
    "RotateWebhookSecretPayload",
    "Result of rotating an endpoint's secret.",
    "The endpoint after the change; null when refused.",
    "The new",
)


@strawberry.type(description="Result of deleting an endpoint.")
class DeleteWebhookEndpointPayload(Payload):
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The ID of the endpoint removed; null when refused."
    )


PingWebhookEndpointPayload = payload_type(
    "PingWebhookEndpointPayload",
    "Result of a ping.",
    "delivery",
    WebhookDelivery,
    "The `webhook.test` delivery, sent at once; follow it in `webhookDeliveries`. Null when "
    "refused.",
)


@strawberry.type(description="Result of a redelivery.")
class RedeliverWebhookEventPayload(Payload):
    deliveries: list[WebhookDelivery] | None = strawberry.field(
        default=None,
        description="The new deliveries (same `webhook-id` as before); null when refused.",
    )


async def _rotate(c: Call) -> Any:
    grace = c.input.grace_seconds
    if grace is None:
        grace = c.info.context.settings.webhooks.secret_grace_seconds
    elif not 0 <= grace <= MAX_GRACE_SECONDS:
        raise UserInputError.one(
            ("input", "graceSeconds"), f"must be between 0 and {MAX_GRACE_SECONDS}"
        )
    return await webhooks.rotate_secret(
        c.db,
        c.principal,
        c.input.id,
        dt.timedelta(seconds=grace),
        expected_version=c.input.version,
    )


def _with_secret(payload: type[Any]) -> Any:
    return lambda result: payload(endpoint=WebhookEndpoint.from_row(result[0]), secret=result[1])


WRITE = " Requires `career:webhooks` or `career:admin`."
_webhooks = partial(mutation, permission=webhooks.require_webhooks, suffix=WRITE)
_on_endpoint = partial(_webhooks, input_description="The endpoint.")


@strawberry.type
class WebhooksMutation:
    create_webhook_endpoint = _on_endpoint(
        "Register a webhook endpoint; returns its secret once.",
        CreateWebhookEndpointInput,
        CreateWebhookEndpointPayload,
        call=lambda c: webhooks.create_endpoint(c.db, c.principal, c.input, _policy(c.info)),
        make=_with_secret(CreateWebhookEndpointPayload),
    )
    update_webhook_endpoint = _webhooks(
        "Change an endpoint's URL, event types or description.",
        UpdateWebhookEndpointInput,
        WebhookEndpointPayload,
        call=lambda c: webhooks.update_endpoint(
            c.db,
            c.principal,
            c.input.id,
            c.input,
            _policy(c.info),
            expected_version=c.input.version,
        ),
    )
    disable_webhook_endpoint = _on_endpoint(
        "Stop delivering to an endpoint: its pending deliveries fail, and "
        "`webhook_endpoint.disabled` goes to the others. Idempotent.",
        WebhookEndpointIdInput,
        WebhookEndpointPayload,
        call=versioned_call(webhooks.disable_endpoint),
    )
    enable_webhook_endpoint = _on_endpoint(
        "Deliver to an endpoint again, from new events on (redeliver missed ones with "
        "`redeliverWebhookEvent`). Idempotent.",
        WebhookEndpointIdInput,
        WebhookEndpointPayload,
        call=versioned_call(webhooks.enable_endpoint),
    )
    rotate_webhook_secret = _on_endpoint(
        "Give an endpoint a new secret, returned once; the old one keeps signing too for the "
        "grace period.",
        RotateWebhookSecretInput,
        RotateWebhookSecretPayload,
        call=_rotate,
        make=_with_secret(RotateWebhookSecretPayload),
    )
    delete_webhook_endpoint = _on_endpoint(
        "Remove an endpoint with its deliveries.",
        DeleteWebhookEndpointInput,
        DeleteWebhookEndpointPayload,
        call=target_call(webhooks.delete_endpoint),
        make=lambda row: DeleteWebhookEndpointPayload(
            deleted_id=strawberry.ID(encode_id("WebhookEndpoint", row.id))
        ),
    )
    ping_webhook_endpoint = _on_endpoint(
        "Send a `webhook.test` event to one endpoint at once, whatever it subscribes to.",
        PingWebhookEndpointInput,
        PingWebhookEndpointPayload,
        call=target_call(webhooks.ping_endpoint),
    )
    redeliver_webhook_event = _webhooks(
        "Send an event again as new deliveries, with the same `webhook-id`.",
        RedeliverWebhookEventInput,
        RedeliverWebhookEventPayload,
        call=lambda c: webhooks.redeliver_event(
            c.db, c.principal, c.input.event_id, c.input.endpoint_id
        ),
        make=lambda rows: RedeliverWebhookEventPayload(
            deliveries=[WebhookDelivery.from_row(r) for r in rows]
        ),
        input_description="The event.",
    )
