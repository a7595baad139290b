"""GraphQL types of the webhooks domain: endpoints, events, deliveries and their attempts,
and the catalogue of event types."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from service.errors import Forbidden, Unauthenticated
from service.graphql.enums import graphql_enum
from service.graphql.node import RowNode, VersionedNode
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

    @strawberry.field(description="Where events are POSTed.")
    def url(self) -> str:
        return str(self.row.url)

    @strawberry.field(description="What the endpoint is for, for people.")
    def description(self) -> str:
        return str(self.row.description)

    @strawberry.field(
        description="Event types it receives: exact names, wildcards such as `promotion.*`, "
        "or `*` for all."
    )
    def event_types(self) -> list[str]:
        return list(self.row.event_types)

    @strawberry.field(description="Whether it receives events.")
    def status(self) -> WebhookEndpointStatus:  # type: ignore[valid-type]
        return WebhookEndpointStatus(self.row.status)

    @strawberry.field(description="Why it was disabled; null while enabled.")
    def disabled_reason(self) -> WebhookDisabledReason | None:  # type: ignore[valid-type]
        return WebhookDisabledReason(self.row.disabled_reason) if self.row.disabled_reason else None

    @strawberry.field(description="When it was disabled; null while enabled.")
    def disabled_at(self) -> dt.datetime | None:
        return self.row.disabled_at

    @strawberry.field(description="Failed attempts in a row since its last success.")
    def consecutive_failures(self) -> int:
        return int(self.row.consecutive_failures)

    @strawberry.field(
        description="Until when deliveries are also signed with the secret replaced by the "
        "last `rotateWebhookSecret`; null when only the current secret signs."
    )
    def previous_secret_expires_at(self) -> dt.datetime | None:
        expires = self.row.previous_secret_expires_at
        return expires if expires and expires > dt.datetime.now(dt.UTC) else None


@strawberry.type(
    description="Something that happened, as sent to webhook endpoints. Visible with "
    "`career:webhooks` or `career:admin`."
)
class WebhookEvent(RowNode):
    rows_by_id = queries.events_by_id
    visible = classmethod(_webhook_readers)

    @strawberry.field(
        description="The `webhook-id` header of its deliveries: the same on every attempt and "
        "redelivery, so receivers dedupe on it."
    )
    def webhook_id(self) -> str:
        return signing.webhook_id(self.row.id)

    @strawberry.field(description="Its event type, e.g. `promotion.approved`.")
    def type(self) -> str:
        return str(self.row.type)

    @strawberry.field(description="When it happened (the body's `timestamp`).")
    def occurred_at(self) -> dt.datetime:
        return self.row.occurred_at

    @strawberry.field(description="The body's `data`, as documented for its type.")
    def data(self) -> JSON:
        return self.row.data


@strawberry.type(description="One try at delivering an event to an endpoint.")
class WebhookAttempt:
    row: strawberry.Private[Any]

    @strawberry.field(description="1 for the first try, then 2, 3, …")
    def attempt(self) -> int:
        return int(self.row.attempt)

    @strawberry.field(description="When the request was sent.")
    def started_at(self) -> dt.datetime:
        return self.row.started_at

    @strawberry.field(description="How long until the answer (or the failure), in milliseconds.")
    def duration_ms(self) -> int:
        return int(self.row.duration_ms)

    @strawberry.field(description="The HTTP status of the answer; null when none came.")
    def status_code(self) -> int | None:
        return self.row.status_code

    @strawberry.field(
        description="What went wrong (timeout, refused connection, SSRF guard, non-2xx "
        "status); null on success."
    )
    def error(self) -> str | None:
        return self.row.error

    @strawberry.field(description="The start of the answer's body (a few kilobytes at most).")
    def response_body(self) -> str | None:
        return self.row.response_body

    @strawberry.field(description="When the next try was scheduled after this one; null if none.")
    def next_attempt_at(self) -> dt.datetime | None:
        return self.row.next_attempt_at


async def _attempts(ctx: Any, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    return await queries.attempts_by_delivery(ctx, ids)


async def _events(ctx: Any, ids: Sequence[uuid.UUID]) -> list[Any | None]:
    return await queries.events_by_id(ctx, ids)


async def _endpoints(ctx: Any, ids: Sequence[uuid.UUID]) -> list[Any | None]:
    return await queries.endpoints_by_id(ctx, ids)


@strawberry.type(
    description="An event on its way to one endpoint, with every attempt so far. Visible "
    "with `career:webhooks` or `career:admin`."
)
class WebhookDelivery(RowNode):
    rows_by_id = queries.deliveries_by_id
    visible = classmethod(_webhook_readers)

    @strawberry.field(description="Where it stands.")
    def status(self) -> WebhookDeliveryStatus:  # type: ignore[valid-type]
        return WebhookDeliveryStatus(self.row.status)

    @strawberry.field(description="The event delivered.")
    async def event(self, info: Info) -> WebhookEvent:
        row = await info.context.loader(_events).load(self.row.event_id)
        return WebhookEvent.from_row(row)

    @strawberry.field(description="The endpoint it goes to.")
    async def endpoint(self, info: Info) -> WebhookEndpoint:
        row = await info.context.loader(_endpoints).load(self.row.endpoint_id)
        return WebhookEndpoint.from_row(row)

    @strawberry.field(description="How many tries were made.")
    def attempt_count(self) -> int:
        return int(self.row.attempts)

    @strawberry.field(description="When the next try is due; null once finished.")
    def next_attempt_at(self) -> dt.datetime | None:
        return self.row.next_attempt_at

    @strawberry.field(description="The HTTP status of the last answer; null when none came.")
    def last_status_code(self) -> int | None:
        return self.row.last_status_code

    @strawberry.field(description="What went wrong on the last try; null if it succeeded.")
    def last_error(self) -> str | None:
        return self.row.last_error

    @strawberry.field(description="When it was queued.")
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field(description="When it succeeded or gave up; null while pending.")
    def finished_at(self) -> dt.datetime | None:
        return self.row.finished_at

    @strawberry.field(description="Every try, first to last.")
    async def attempts(self, info: Info) -> list[WebhookAttempt]:
        rows = await info.context.loader(_attempts).load(self.row.id)
        return [WebhookAttempt(row=r) for r in rows]


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
