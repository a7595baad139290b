"""GraphQL types of the webhooks domain: endpoints, events, deliveries and their attempts,
and the catalogue of event types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from service.errors import Forbidden, Unauthenticated
from service.graphql.enums import graphql_enum
from service.graphql.node import RowNode, RowObject, VersionedNode, optional
from service.graphql.relations import related, to_list, to_one
from service.webhooks import queries, signing
from service.webhooks.models import (
    WebhookDeliveryStatus as DeliveryStatusValue,
)
from service.webhooks.models import (
    WebhookDisabledReason as DisabledReasonValue,
)
from service.webhooks.models import (
    WebhookEndpointStatus as EndpointStatusValue,
)
from service.webhooks.outbox import EventType
from service.webhooks.service import require_webhooks

WebhookEndpointStatus = graphql_enum(
    EndpointStatusValue,
    "Whether an endpoint receives events.",
    {
        "ENABLED": "Events it subscribes to are delivered.",
        "DISABLED": "Nothing is delivered; pending deliveries failed when it was disabled.",
    },
)
WebhookDisabledReason = graphql_enum(
    DisabledReasonValue,
    "Why an endpoint was disabled.",
    {
        "MANUAL": "`disableWebhookEndpoint` was called.",
        "GONE": "The endpoint answered 410 Gone.",
        "FAILING": "Deliveries to it failed too many times in a row, for too long.",
    },
)
WebhookDeliveryStatus = graphql_enum(
    DeliveryStatusValue,
    "Where a delivery stands.",
    {
        "PENDING": "Due now or at `nextAttemptAt` (being sent, or waiting for a retry).",
        "SUCCEEDED": "The endpoint answered 2xx.",
        "FAILED": "Given up: retries exhausted, a 410 answer, or the endpoint was disabled.",
    },
)


async def _webhook_readers(cls: Any, info: Info, rows: Sequence[Any]) -> list[bool]:
    """Webhook objects are for `career:webhooks` and `career:admin` callers only."""
    try:
        require_webhooks(await info.context.principal())
    except (Forbidden, Unauthenticated):
        return [False for _ in rows]
    return [True for _ in rows]


@strawberry.type(
    description="A URL that receives webhook events of the types it subscribes to, signed "
    "with its secret (Standard Webhooks). Visible with `career:webhooks` or `career:admin`."
)
class WebhookEndpoint(VersionedNode):
    rows_by_id = queries.endpoints_by_id
    visible = classmethod(_webhook_readers)
    converters = {
        "status": WebhookEndpointStatus,
        "disabled_reason": optional(WebhookDisabledReason),
    }

    url: str = strawberry.field(description="Where events are POSTed.")
    description: str = strawberry.field(description="What the endpoint is for, for people.")
    event_types: list[str] = strawberry.field(
        description="Event types it receives: exact names, wildcards such as `promotion.*`, "
        "or `*` for all."
    )
    status: WebhookEndpointStatus = strawberry.field(description="Whether it receives events.")  # type: ignore[valid-type]
    disabled_reason: WebhookDisabledReason | None = strawberry.field(  # type: ignore[valid-type]
        description="Why it was disabled; null while enabled."
    )
    disabled_at: dt.datetime | None = strawberry.field(
        description="When it was disabled; null while enabled."
    )
    consecutive_failures: int = strawberry.field(
        description="Failed attempts in a row since its last success."
    )

    @strawberry.field(
        description="Until when deliveries are also signed with the secret replaced by the "
        "last `rotateWebhookSecret`; null when only the current secret signs."
    )
    def previous_secret_expires_at(self) -> dt.datetime | None:
        expires = self.row.previous_secret_expires_at
        return expires if expires and expires > dt.datetime.now(dt.UTC) else None


def _webhook_id(self: WebhookEvent) -> str:
    return signing.webhook_id(self.row.id)


@strawberry.type(
    description="Something that happened, as sent to webhook endpoints. Visible with "
    "`career:webhooks` or `career:admin`."
)
class WebhookEvent(RowNode):
    rows_by_id = queries.events_by_id
    visible = classmethod(_webhook_readers)

    webhook_id: str = strawberry.field(
        resolver=_webhook_id,
        description="The `webhook-id` header of its deliveries: the same on every attempt and "
        "redelivery, so receivers dedupe on it.",
    )
    type: str = strawberry.field(description="Its event type, e.g. `promotion.approved`.")
    occurred_at: dt.datetime = strawberry.field(
        description="When it happened (the body's `timestamp`)."
    )
    data: JSON = strawberry.field(description="The body's `data`, as documented for its type.")


@strawberry.type(description="One try at delivering an event to an endpoint.")
class WebhookAttempt(RowObject):
    attempt: int = strawberry.field(description="1 for the first try, then 2, 3, …")
    started_at: dt.datetime = strawberry.field(description="When the request was sent.")
    duration_ms: int = strawberry.field(
        description="How long until the answer (or the failure), in milliseconds."
    )
    status_code: int | None = strawberry.field(
        description="The HTTP status of the answer; null when none came."
    )
    error: str | None = strawberry.field(
        description="What went wrong (timeout, refused connection, SSRF guard, non-2xx "
        "status); null on success."
    )
    response_body: str | None = strawberry.field(
        description="The start of the answer's body (a few kilobytes at most)."
    )
    next_attempt_at: dt.datetime | None = strawberry.field(
        description="When the next try was scheduled after this one; null if none."
    )


@strawberry.type(
    description="An event on its way to one endpoint, with every attempt so far. Visible "
    "with `career:webhooks` or `career:admin`."
)
class WebhookDelivery(RowNode):
    rows_by_id = queries.deliveries_by_id
    visible = classmethod(_webhook_readers)
    converters = {"status": WebhookDeliveryStatus}
    columns = {"attempt_count": "attempts"}
    relations = (
        to_one(queries.events_by_id, WebhookEvent, event="event_id"),
        to_one(queries.endpoints_by_id, WebhookEndpoint, endpoint="endpoint_id"),
        to_list(queries.attempts_by_delivery, WebhookAttempt, "attempts"),
    )

    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    event: WebhookEvent = related("The event delivered.")
    endpoint: WebhookEndpoint = related("The endpoint it goes to.")
    attempt_count: int = strawberry.field(description="How many tries were made.")
    next_attempt_at: dt.datetime | None = strawberry.field(
        description="When the next try is due; null once finished."
    )
    last_status_code: int | None = strawberry.field(
        description="The HTTP status of the last answer; null when none came."
    )
    last_error: str | None = strawberry.field(
        description="What went wrong on the last try; null if it succeeded."
    )
    created_at: dt.datetime = strawberry.field(description="When it was queued.")
    finished_at: dt.datetime | None = strawberry.field(
        description="When it succeeded or gave up; null while pending."
    )
    attempts: list[WebhookAttempt] = related("Every try, first to last.")


@strawberry.type(
    description="A kind of event endpoints can subscribe to, with the JSON Schema of its "
    "`data` (also published in the repository under docs/webhooks/)."
)
class WebhookEventType:
    source: strawberry.Private[EventType]

    @strawberry.field(description="The name, e.g. `promotion.approved`.")
    def name(self) -> str:
        return self.source.name

    @strawberry.field(description="When it is sent.")
    def description(self) -> str:
        return self.source.description

    @strawberry.field(description="JSON Schema (draft 2020-12) of the whole request body.")
    def schema(self) -> JSON:
        return self.source.document()  # type: ignore[return-value]

    @strawberry.field(description="An example of the body's `data`.")
    def example(self) -> JSON:
        return dict(self.source.example)  # type: ignore[return-value]
