"""Use cases of the webhooks domain: endpoints, secrets, pings and redeliveries.

Managing endpoints and reading deliveries needs ``career:webhooks`` or ``career:admin``.
An endpoint's URL passes the SSRF guard when it is created or changed; its ``whsec_``
secret is returned once, at creation and rotation, never read back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, text, update

from service.audit import service as audit
from service.auth import policies
from service.auth.principal import Principal
from service.auth.scopes import Scope
from service.db import Executor
from service.entities import insert_row
from service.errors import ErrorCode, UserInputError, Validator
from service.kit import INVALID, check_version, given, update_versioned
from service.webhooks import events, signing
from service.webhooks.models import (
    WebhookDeliveryStatus,
    WebhookDisabledReason,
    WebhookEndpointStatus,
    webhook_deliveries,
    webhook_endpoints,
    webhook_events,
)
from service.webhooks.outbox import NOTIFY_CHANNEL, emit, emit_to_endpoint, is_valid_pattern
from service.webhooks.ssrf import AddressPolicy, url_problem

MAX_EVENT_TYPES = 50
MAX_DESCRIPTION = 500
MAX_ENDPOINTS = 100
MAX_PATTERN = 100


def require_webhooks(principal: Principal | None) -> Principal:
    """Callers who manage webhook endpoints and read deliveries."""
    return policies.require_any(principal, Scope.WEBHOOKS, Scope.ADMIN)


@dataclass
class EndpointInput:
    """Fields of an endpoint (the GraphQL kit passes an object with the same attributes);
    ``None`` or ``NOT_GIVEN`` means "not given" in updates."""

    url: str | None = None
    event_types: Sequence[str] | None = None
    description: str | None = None


async def _get(db: Executor, endpoint_id: Any, field: str = "id") -> Any:
    row = None
    if isinstance(endpoint_id, uuid.UUID):
        row = (
            await db.execute(select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))
        ).first()
    if row is None:
        raise UserInputError.one(("input", field), "no such webhook endpoint", ErrorCode.NOT_FOUND)
    return row


async def _endpoint_to_change(
    db: Executor, principal: Principal, endpoint_id: Any, expected_version: int | None
) -> Any:
    """The endpoint a webhook manager is about to change, at the version they read."""
    require_webhooks(principal)
    current = await _get(db, endpoint_id)
    check_version(current, expected_version, WHAT)
    return current


def _event_types(v: Validator, values: Sequence[str] | None, *, required: bool) -> list[str] | None:
    if values is None:
        if required:
            v.add(("input", "eventTypes"), "is required", ErrorCode.REQUIRED)
        return None
    if v.too_many(
        ("input", "eventTypes"),
        len(values),
        MAX_EVENT_TYPES,
        f"at most {MAX_EVENT_TYPES} event types",
    ):
        return None
    cleaned = sorted({t.strip() for t in values})
    if not cleaned:
        v.add(("input", "eventTypes"), "name at least one event type (or `*`)", ErrorCode.REQUIRED)
    for i, value in enumerate(values):
        pattern = value.strip()
        if len(pattern) > MAX_PATTERN or not is_valid_pattern(pattern):
            v.add(
                ("input", "eventTypes", str(i)),
                f'"{pattern[:MAX_PATTERN]}" is not an event type, a wildcard such as '
                "`promotion.*`, or `*`; see `webhookEventTypes`",
            )
    return cleaned


async def _url(v: Validator, value: str | None, policy: AddressPolicy, *, required: bool) -> Any:
    url = v.text("url", value, required=required, max_length=2000)
    if url:
        problem = await url_problem(url, policy)
        if problem:
            v.add(("input", "url"), problem)
    return url


async def create_endpoint(
    db: Executor, principal: Principal, data: Any, policy: AddressPolicy
) -> tuple[Any, str]:
    """Register an endpoint; returns it with its secret (shown this once)."""
    require_webhooks(principal)
    v = Validator()
    url = await _url(v, data.url, policy, required=True)
    types = _event_types(v, data.event_types, required=True)
    description = v.text(
        "description",
        (data.description if given(data.description) else None) or "",
        max_length=MAX_DESCRIPTION,
    )
    count = (await db.execute(select(func.count()).select_from(webhook_endpoints))).scalar_one()
    v.too_many(
        ("input",),
        count + 1,
        MAX_ENDPOINTS,
        f"an organization has at most {MAX_ENDPOINTS} webhook endpoints",
    )
    v.raise_if_any()
    secret = signing.new_secret()
    values = {"url": url, "event_types": types, "description": description}
    row = await insert_row(
        db,
        principal,
        webhook_endpoints,
        values,
        "webhook_endpoint.create",
        "WebhookEndpoint",
        unaudited={"secret": secret},
    )
    return row, secret


WHAT = "webhook endpoint"


async def _write(
    db: Executor,
    principal: Principal,
    current: Any,
    changes: dict[str, Any],
    action: str,
    expected_version: int | None,
    audited: dict[str, Any] | None = None,
) -> Any:
    """Apply ``changes`` if the endpoint is still at the version given (one atomic check),
    and audit them (or ``audited``, for values not to be logged)."""
    written = await update_versioned(
        db, webhook_endpoints, current.id, changes, expected_version=expected_version, what=WHAT
    )
    shown = audited if audited is not None else changes
    await audit.record(
        db,
        principal,
        action,
        "WebhookEndpoint",
        current.id,
        audit.diff({k: written.before[k] for k in shown}, shown),
    )
    return written.after


async def update_endpoint(
    db: Executor,
    principal: Principal,
    endpoint_id: Any,
    data: Any,
    policy: AddressPolicy,
    *,
    expected_version: int | None = None,
) -> Any:
    """Change an endpoint's URL, event types or description."""
    current = await _endpoint_to_change(db, principal, endpoint_id, expected_version)
    v = Validator()
    changes: dict[str, Any] = {}
    if given(data.url):
        changes["url"] = await _url(v, data.url, policy, required=True)
    types = _event_types(v, data.event_types if given(data.event_types) else None, required=False)
    if types is not None:
        changes["event_types"] = types
    if given(data.description) and data.description is not None:
        changes["description"] = v.text("description", data.description, max_length=MAX_DESCRIPTION)
    v.raise_if_any()
    changes = {k: value for k, value in changes.items() if getattr(current, k) != value}
    if not changes:
        return current
    return await _write(
        db, principal, current, changes, "webhook_endpoint.update", expected_version
    )


async def disable(
    db: Executor,
    owner: Principal | uuid.UUID,
    endpoint: Any,
    reason: str,
) -> None:
    """Disable an enabled endpoint (already checked and locked by the caller): its pending
    deliveries fail, and ``webhook_endpoint.disabled`` goes to the other endpoints."""
    now = dt.datetime.now(dt.UTC)
    await db.execute(
        update(webhook_deliveries)
        .where(
            webhook_deliveries.c.endpoint_id == endpoint.id,
            webhook_deliveries.c.status == WebhookDeliveryStatus.PENDING.value,
        )
        .values(
            status=WebhookDeliveryStatus.FAILED.value,
            next_attempt_at=None,
            claim_token=None,
            claimed_until=None,
            last_error="the endpoint was disabled",
            finished_at=func.now(),
            updated_at=func.now(),
        )
    )
    await emit(
        db,
        owner,
        events.WEBHOOK_ENDPOINT_DISABLED.name,
        {
            "endpoint_id": str(endpoint.id),
            "url": endpoint.url,
            "reason": reason,
            "disabled_at": now.isoformat(),
        },
    )


async def disable_endpoint(
    db: Executor, principal: Principal, endpoint_id: Any, *, expected_version: int | None = None
) -> Any:
    """Stop delivering to an endpoint; pending deliveries fail. Idempotent."""
    changes = {"disabled_reason": WebhookDisabledReason.MANUAL, "disabled_at": func.now()}
    row, moved = await _set_status(db, principal, endpoint_id, "disable", changes, expected_version)
    if moved:
        await disable(db, principal, row, WebhookDisabledReason.MANUAL)
    return row


async def enable_endpoint(
    db: Executor, principal: Principal, endpoint_id: Any, *, expected_version: int | None = None
) -> Any:
    """Deliver to an endpoint again (new events; use redelivery for missed ones). Idempotent."""
    changes = {
        "disabled_reason": None,
        "disabled_at": None,
        "consecutive_failures": 0,
        "failing_since": None,
    }
    row, _ = await _set_status(db, principal, endpoint_id, "enable", changes, expected_version)
    return row


async def _set_status(
    db: Executor,
    principal: Principal,
    endpoint_id: Any,
    verb: str,
    changes: dict[str, Any],
    expected_version: int | None,
) -> tuple[Any, bool]:
    """Enable or disable an endpoint by hand (the log records the new status); the
    endpoint, and whether it moved (not when it already was so)."""
    current = await _endpoint_to_change(db, principal, endpoint_id, expected_version)
    status = (
        WebhookEndpointStatus.ENABLED if verb == "enable" else WebhookEndpointStatus.DISABLED
    ).value
    if current.status == status:
        return current, False
    row = await _write(
        db,
        principal,
        current,
        {"status": status, **changes},
        f"webhook_endpoint.{verb}",
        expected_version,
        audited={"status": status},
    )
    return row, True


async def rotate_secret(
    db: Executor,
    principal: Principal,
    endpoint_id: Any,
    grace: dt.timedelta,
    *,
    expected_version: int | None = None,
) -> tuple[Any, str]:
    """A new secret for the endpoint; the old one keeps signing too for ``grace``."""
    current = await _endpoint_to_change(db, principal, endpoint_id, expected_version)
    secret = signing.new_secret()
    expires = dt.datetime.now(dt.UTC) + grace
    row = await _write(
        db,
        principal,
        current,
        {
            "secret": secret,
            "previous_secret": current.secret if grace else None,
            "previous_secret_expires_at": expires if grace else None,
        },
        "webhook_endpoint.rotate_secret",
        expected_version,
        audited={"previous_secret_expires_at": expires if grace else None},
    )
    return row, secret


async def delete_endpoint(db: Executor, principal: Principal, endpoint_id: Any) -> Any:
    """Remove an endpoint with its deliveries and their attempts."""
    require_webhooks(principal)
    current = await _get(db, endpoint_id)
    await db.execute(webhook_endpoints.delete().where(webhook_endpoints.c.id == current.id))
    await audit.record(
        db,
        principal,
        "webhook_endpoint.delete",
        "WebhookEndpoint",
        current.id,
        audit.diff({"url": current.url}, {"url": None}),
    )
    return current


async def ping_endpoint(db: Executor, principal: Principal, endpoint_id: Any) -> Any:
    """Queue a ``webhook.test`` event for this endpoint only; returns its delivery."""
    require_webhooks(principal)
    current = await _get(db, endpoint_id)
    if current.status != WebhookEndpointStatus.ENABLED:
        raise UserInputError.one(
            ("input", "id"), "the endpoint is disabled; enable it first", ErrorCode.INVALID_STATE
        )
    event_id = await emit_to_endpoint(
        db,
        principal,
        events.WEBHOOK_TEST.name,
        {"endpoint_id": str(current.id), "message": "careerpath webhook test"},
        current.id,
    )
    delivery = (
        await db.execute(
            select(webhook_deliveries).where(webhook_deliveries.c.event_id == event_id)
        )
    ).one()
    await audit.record(
        db,
        principal,
        "webhook_endpoint.ping",
        "WebhookEndpoint",
        current.id,
        {"event_id": {"to": str(event_id)}},
    )
    return delivery


async def redeliver_event(
    db: Executor, principal: Principal, event_id: Any, endpoint_id: Any = None
) -> list[Any]:
    """Send an event again, as new deliveries with the same ``webhook-id``: to one enabled
    endpoint, or to every enabled endpoint it was delivered (or meant to be) before."""
    require_webhooks(principal)
    event = None
    if isinstance(event_id, uuid.UUID):
        event = (
            await db.execute(select(webhook_events.c.id).where(webhook_events.c.id == event_id))
        ).first()
    if event is None:
        raise UserInputError.one(("input", "eventId"), "no such event", ErrorCode.NOT_FOUND)
    if endpoint_id is INVALID:
        raise UserInputError()  # the malformed ID is reported already
    if given(endpoint_id) and endpoint_id is not None:
        endpoint = await _get(db, endpoint_id, "endpointId")
        if endpoint.status != WebhookEndpointStatus.ENABLED:
            raise UserInputError.one(
                ("input", "endpointId"), "the endpoint is disabled", ErrorCode.INVALID_STATE
            )
        targets = [endpoint.id]
    else:
        targets = list(
            (
                await db.execute(
                    select(webhook_deliveries.c.endpoint_id)
                    .distinct()
                    .join(
                        webhook_endpoints,
                        webhook_endpoints.c.id == webhook_deliveries.c.endpoint_id,
                    )
                    .where(
                        webhook_deliveries.c.event_id == event_id,
                        webhook_endpoints.c.status == WebhookEndpointStatus.ENABLED.value,
                    )
                )
            ).scalars()
        )
        if not targets:
            raise UserInputError.one(
                ("input", "eventId"),
                "the event was not sent to any endpoint that is enabled now; name one",
                ErrorCode.INVALID_STATE,
            )
    rows = (
        await db.execute(
            insert(webhook_deliveries)
            .values(
                [
                    {
                        "org_id": principal.org_id,
                        "event_id": event_id,
                        "endpoint_id": t,
                        "next_attempt_at": func.clock_timestamp(),
                    }
                    for t in targets
                ]
            )
            .returning(*webhook_deliveries.c)
        )
    ).all()
    await wake(db)
    await audit.record(
        db,
        principal,
        "webhook_event.redeliver",
        "WebhookEvent",
        event_id,
        {"endpoints": {"to": [str(t) for t in targets]}},
    )
    return list(rows)


async def wake(db: Executor) -> None:
    """Wake the dispatchers when this transaction commits."""
    await db.execute(text("select pg_notify(:c, '')"), {"c": NOTIFY_CHANNEL})
