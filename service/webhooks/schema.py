"""Query and Mutation fields of the webhooks domain (`career:webhooks` or `career:admin`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service.errors import UserInputError
from service.graphql.errors import UserError, run_mutation
from service.graphql.ids import decode_id
from service.graphql.pagination import Connection, PageArgs, paginate
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


def _id(value: strawberry.ID | None, type_name: str, field: str) -> Any:
    return None if value is None else decode_id(value, type_name, ("input", field))


@strawberry.input(description="Which deliveries to list; every field narrows the list.")
class WebhookDeliveryFilter:
    endpoint_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only deliveries to this endpoint."
    )
    event_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only deliveries of this event."
    )
    event_type: str | None = strawberry.field(
        default=None, description="Only events of this type, e.g. `promotion.approved`."
    )
    status: WebhookDeliveryStatus | None = strawberry.field(
        default=None, description="Only deliveries in this state."
    )


@strawberry.type
class WebhooksQuery:
    @strawberry.field(
        description="The organization's webhook endpoints, oldest first. Requires "
        "`career:webhooks` or `career:admin`."
    )
    async def webhook_endpoints(
        self,
        info: Info,
        status: Annotated[
            WebhookEndpointStatus | None,
            strawberry.argument(description="Only enabled or only disabled endpoints."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[WebhookEndpoint]:
        webhooks.require_webhooks(await info.context.principal())
        return await paginate(
            info,
            queries.endpoints_select(status.value if status else None),
            PageArgs(first, after, last, before),
            WebhookEndpoint.from_row,
        )

    @strawberry.field(
        description="Deliveries, newest first, each with every attempt (status code, error, "
        "duration) and the next one. Requires `career:webhooks` or `career:admin`."
    )
    async def webhook_deliveries(
        self,
        info: Info,
        filter: Annotated[
            WebhookDeliveryFilter | None,
            strawberry.argument(description="Which deliveries; all when omitted."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[WebhookDelivery]:
        webhooks.require_webhooks(await info.context.principal())
        f = filter or WebhookDeliveryFilter()
        chosen = queries.DeliveryFilter(
            endpoint_id=decode_id(f.endpoint_id, "WebhookEndpoint", ("filter", "endpointId"))
            if f.endpoint_id is not None
            else None,
            event_id=decode_id(f.event_id, "WebhookEvent", ("filter", "eventId"))
            if f.event_id is not None
            else None,
            event_type=f.event_type[:200] if f.event_type is not None else None,
            status=f.status.value if f.status is not None else None,
        )
        return await paginate(
            info,
            queries.deliveries_select(chosen),
            PageArgs(first, after, last, before),
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
    description: str | None = strawberry.field(
        default=None, description="What it is for (at most 500 characters)."
    )


@strawberry.input(description="Changes to a webhook endpoint; omitted fields stay as they are.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint to change.")
    version: int | None = strawberry.field(
        default=None,
        description="The `version` you read; the change is refused if it changed since.",
    )
    url: str | None = strawberry.field(
        default=None, description="New URL (checked as at creation)."
    )
    event_types: list[str] | None = strawberry.field(
        default=None, description="New event types (replacing the old ones)."
    )
    description: str | None = strawberry.field(default=None, description="New description.")


@strawberry.input(description="An endpoint to act on.")
class WebhookEndpointIdInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")
    version: int | None = strawberry.field(
        default=None,
        description="The `version` you read; the change is refused if it changed since.",
    )


@strawberry.input(description="An endpoint to send a `webhook.test` event to.")
class PingWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint (must be enabled).")


@strawberry.input(description="An endpoint to remove.")
class DeleteWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")


@strawberry.input(description="A new secret for an endpoint.")
class RotateWebhookSecretInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")
    version: int | None = strawberry.field(
        default=None,
        description="The `version` you read; the change is refused if it changed since.",
    )
    grace_seconds: int | None = strawberry.field(
        default=None,
        description="How long the old secret keeps signing too (0 to 2,592,000; default the "
        "server's `CAREERPATH_WEBHOOKS__SECRET_GRACE_SECONDS`). Deliveries carry both "
        "signatures meanwhile, so receivers can switch at their pace.",
    )


@strawberry.input(description="An event to send again.")
class RedeliverWebhookEventInput:
    event_id: strawberry.ID = strawberry.field(description="The event (a `WebhookEvent` ID).")
    endpoint_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only to this (enabled) endpoint; by default to every enabled endpoint "
        "it went to before.",
    )


@strawberry.type(description="Result of creating an endpoint.")
class CreateWebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(
        description="The new endpoint; null when refused."
    )
    secret: str | None = strawberry.field(
        description="Its signing secret (`whsec_…`). Shown this once: store it now."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of a change to an endpoint.")
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(
        description="The endpoint after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of rotating an endpoint's secret.")
class RotateWebhookSecretPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(
        description="The endpoint after the change; null when refused."
    )
    secret: str | None = strawberry.field(
        description="The new signing secret (`whsec_…`). Shown this once: store it now."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of deleting an endpoint.")
class DeleteWebhookEndpointPayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        description="The ID of the endpoint removed; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of a ping.")
class PingWebhookEndpointPayload:
    delivery: WebhookDelivery | None = strawberry.field(
        description="The `webhook.test` delivery, sent at once; follow it in "
        "`webhookDeliveries`. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of a redelivery.")
class RedeliverWebhookEventPayload:
    deliveries: list[WebhookDelivery] | None = strawberry.field(
        description="The new deliveries (same `webhook-id` as before); null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


def _endpoint(row: Any) -> WebhookEndpoint | None:
    return WebhookEndpoint.from_row(row) if row is not None else None


@strawberry.type
class WebhooksMutation:
    @strawberry.mutation(
        description="Register a webhook endpoint; returns its secret once. Requires "
        "`career:webhooks` or `career:admin`."
    )
    async def create_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[
            CreateWebhookEndpointInput, strawberry.argument(description="The endpoint.")
        ],
    ) -> CreateWebhookEndpointPayload:
        async def act() -> Any:
            data = webhooks.EndpointInput(input.url, input.event_types, input.description)
            return await webhooks.create_endpoint(
                info.context, await info.context.principal(), data, _policy(info)
            )

        result, errors = await run_mutation(info, act, authorize=webhooks.require_webhooks)
        row, secret = result if result else (None, None)
        return CreateWebhookEndpointPayload(
            endpoint=_endpoint(row), secret=secret, user_errors=errors
        )

    @strawberry.mutation(
        description="Change an endpoint's URL, event types or description. Requires "
        "`career:webhooks` or `career:admin`."
    )
    async def update_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[
            UpdateWebhookEndpointInput, strawberry.argument(description="The change to make.")
        ],
    ) -> WebhookEndpointPayload:
        async def act() -> Any:
            endpoint_id = _id(input.id, "WebhookEndpoint", "id")
            data = webhooks.EndpointInput(input.url, input.event_types, input.description)
            return await webhooks.update_endpoint(
                info.context,
                await info.context.principal(),
                endpoint_id,
                data,
                _policy(info),
                expected_version=input.version,
            )

        row, errors = await run_mutation(info, act, authorize=webhooks.require_webhooks)
        return WebhookEndpointPayload(endpoint=_endpoint(row), user_errors=errors)

    @strawberry.mutation(
        description="Stop delivering to an endpoint: its pending deliveries fail, and "
        "`webhook_endpoint.disabled` goes to the others. Idempotent. Requires "
        "`career:webhooks` or `career:admin`."
    )
    async def disable_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[WebhookEndpointIdInput, strawberry.argument(description="The endpoint.")],
    ) -> WebhookEndpointPayload:
        async def act() -> Any:
            return await webhooks.disable_endpoint(
                info.context,
                await info.context.principal(),
                _id(input.id, "WebhookEndpoint", "id"),
                expected_version=input.version,
            )

        row, errors = await run_mutation(info, act, authorize=webhooks.require_webhooks)
        return WebhookEndpointPayload(endpoint=_endpoint(row), user_errors=errors)

    @strawberry.mutation(
        description="Deliver to an endpoint again, from new events on (redeliver missed ones "
        "with `redeliverWebhookEvent`). Idempotent. Requires `career:webhooks` or `career:admin`."
    )
    async def enable_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[WebhookEndpointIdInput, strawberry.argument(description="The endpoint.")],
    ) -> WebhookEndpointPayload:
        async def act() -> Any:
            return await webhooks.enable_endpoint(
                info.context,
                await info.context.principal(),
                _id(input.id, "WebhookEndpoint", "id"),
                expected_version=input.version,
            )

        row, errors = await run_mutation(info, act, authorize=webhooks.require_webhooks)
        return WebhookEndpointPayload(endpoint=_endpoint(row), user_errors=errors)

    @strawberry.mutation(
        description="Give an endpoint a new secret, returned once; the old one keeps signing "
        "too for the grace period. Requires `career:webhooks` or `career:admin`."
    )
    async def rotate_webhook_secret(
        self,
        info: Info,
        input: Annotated[
            RotateWebhookSecretInput, strawberry.argument(description="The endpoint.")
        ],
    ) -> RotateWebhookSecretPayload:
        async def act() -> Any:
            endpoint_id = _id(input.id, "WebhookEndpoint", "id")
            grace = input.grace_seconds
            if grace is None:
                grace = info.context.settings.webhooks.secret_grace_seconds
            elif not 0 <= grace <= MAX_GRACE_SECONDS:
                raise UserInputError.one(
                    ("input", "graceSeconds"), f"must be between 0 and {MAX_GRACE_SECONDS}"
                )
            return await webhooks.rotate_secret(
                info.context,
                await info.context.principal(),
                endpoint_id,
                dt.timedelta(seconds=grace),
                expected_version=input.version,
            )

        result, errors = await run_mutation(info, act, authorize=webhooks.require_webhooks)
        row, secret = result if result else (None, None)
        return RotateWebhookSecretPayload(
            endpoint=_endpoint(row), secret=secret, user_errors=errors
        )

    @strawberry.mutation(
        description="Remove an endpoint with its deliveries. Requires `career:webhooks` or "
        "`career:admin`."
    )
    async def delete_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[
            DeleteWebhookEndpointInput, strawberry.argument(description="The endpoint.")
        ],
    ) -> DeleteWebhookEndpointPayload:
        async def act() -> Any:
            return await webhooks.delete_endpoint(
                info.context, await info.context.principal(), _id(input.id, "WebhookEndpoint", "id")
            )

        row, errors = await run_mutation(info, act, authorize=webhooks.require_webhooks)
        return DeleteWebhookEndpointPayload(
            deleted_id=strawberry.ID(input.id) if row is not None else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Send a `webhook.test` event to one endpoint at once, whatever it "
        "subscribes to. Requires `career:webhooks` or `career:admin`."
    )
    async def ping_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[
            PingWebhookEndpointInput, strawberry.argument(description="The endpoint.")
        ],
    ) -> PingWebhookEndpointPayload:
        async def act() -> Any:
            return await webhooks.ping_endpoint(
                info.context, await info.context.principal(), _id(input.id, "WebhookEndpoint", "id")
            )

        row, errors = await run_mutation(info, act, authorize=webhooks.require_webhooks)
        return PingWebhookEndpointPayload(
            delivery=WebhookDelivery.from_row(row) if row is not None else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Send an event again as new deliveries, with the same `webhook-id`. "
        "Requires `career:webhooks` or `career:admin`."
    )
    async def redeliver_webhook_event(
        self,
        info: Info,
        input: Annotated[RedeliverWebhookEventInput, strawberry.argument(description="The event.")],
    ) -> RedeliverWebhookEventPayload:
        async def act() -> Any:
            return await webhooks.redeliver_event(
                info.context,
                await info.context.principal(),
                _id(input.event_id, "WebhookEvent", "eventId"),
                _id(input.endpoint_id, "WebhookEndpoint", "endpointId"),
            )

        rows, errors = await run_mutation(info, act, authorize=webhooks.require_webhooks)
        return RedeliverWebhookEventPayload(
            deliveries=[WebhookDelivery.from_row(r) for r in rows] if rows is not None else None,
            user_errors=errors,
        )
