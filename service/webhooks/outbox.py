"""The transactional outbox every domain emits webhook events into.

How a domain sends an event
===========================

1. Declare the event type once, in the domain's event catalogue ``events.json`` (beside
   its ``events.py``, which registers the catalogue at import time)::

       {
         "schemas": {
           "promotion": {
             "type": "object",
             "required": ["promotion_id", "employee_id"],
             "properties": {"promotion_id": {"type": "string", "format": "uuid"}, ...}
           }
         },
         "types": {
           "promotion.approved": {
             "description": "A promotion was approved by an HR admin.",
             "schema": "promotion",
             "example": {"promotion_id": "…", "employee_id": "…"}
           }
         }
       }

   ``schemas`` hold the JSON Schemas of events' ``data`` (published in docs/webhooks/),
   shared by the types that carry the same ``data``; then, in ``events.py``::

       from service.webhooks.outbox import register_event_types

       _TYPES = register_event_types(__name__)
       PROMOTION_APPROVED = _TYPES["promotion.approved"]

   (``register_event_type(name, description, json_schema, example=…)`` declares one type
   from Python.) Names are ``noun.past_tense_verb`` in lower snake case. The type's
   ``data`` is a public contract: add optional fields, never rename or remove one.

2. Emit it from the service function, with the same ``db`` as the change it reports::

       from service.webhooks.outbox import emit

       await emit(db, principal, PROMOTION_APPROVED.name, {"promotion_id": str(p.id), ...})

   ``emit`` writes one ``webhook_events`` row and one ``webhook_deliveries`` row per
   enabled endpoint of the organization subscribed to the type (exactly, through a
   wildcard such as ``promotion.*``, or ``*``), in one statement, inside the caller's
   transaction: if the change rolls back, the event never existed. The dispatcher is
   woken by ``NOTIFY`` when the transaction commits. ``data`` must be JSON-serializable
   (UUIDs, dates and datetimes are turned into strings); send IDs and facts, never
   private career data the receiving system could not read through the API.

Emitting an unregistered type raises ``UnknownEventType`` (a programming error, caught
by the tests). Delivery is at-least-once and unordered; receivers dedupe on ``webhook-id``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import orjson
from sqlalchemy import text

from service.auth.principal import Principal
from service.db import Executor

#: The channel the dispatcher listens on; notified when an emitting transaction commits.
NOTIFY_CHANNEL = "careerpath_webhooks"

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class UnknownEventType(ValueError):
    """An event type that no domain registered."""


@dataclass(frozen=True)
class EventType:
    """A kind of event receivers can subscribe to, with the JSON Schema of its ``data``."""

    name: str
    description: str
    schema: Mapping[str, Any]
    example: Mapping[str, Any] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """The published JSON Schema of the whole request body of this event type."""
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://careerpath.dev/webhooks/{self.name}.json",
            "title": self.name,
            "description": self.description,
            "type": "object",
            "required": ["type", "timestamp", "data"],
            "properties": {
                "type": {"const": self.name},
                "timestamp": {"type": "string", "format": "date-time"},
                "data": dict(self.schema),
            },
            "examples": [{"type": self.name, "timestamp": EXAMPLE_TIME, "data": self.example}],
        }


EXAMPLE_TIME = "2026-03-02T09:30:00.123456Z"

_registry: dict[str, EventType] = {}


def register_event_type(
    name: str,
    description: str,
    json_schema: Mapping[str, Any],
    *,
    example: Mapping[str, Any] | None = None,
) -> EventType:
    """Declare an event type (idempotent for the same declaration)."""
    if not _NAME.match(name):
        raise ValueError(f"event type {name!r} is not lower_snake.dotted")
    event_type = EventType(name, description, json_schema, dict(example or {}))
    existing = _registry.get(name)
    if existing is not None and existing != event_type:
        raise ValueError(f"event type {name!r} is already registered differently")
    _registry[name] = event_type
    return event_type


def register_event_types(module: str) -> dict[str, EventType]:
    """Declare the event types of a domain's catalogue: the JSON file beside ``module``
    (``service/<domain>/events.json`` for ``service.<domain>.events``), holding
    ``schemas`` (JSON Schemas of ``data``, by a name of the catalogue's own) and ``types``
    (by event type name: ``description``, the name of its ``schema``, an ``example``)."""
    package, _, stem = module.rpartition(".")
    catalogue = json.loads(files(package).joinpath(f"{stem}.json").read_text(encoding="utf-8"))
    schemas = catalogue["schemas"]
    return {
        name: register_event_type(
            name, t["description"], schemas[t["schema"]], example=t["example"]
        )
        for name, t in catalogue["types"].items()
    }


def event_types() -> list[EventType]:
    """Every registered event type, by name."""
    return [_registry[name] for name in sorted(_registry)]


def event_type(name: str) -> EventType:
    try:
        return _registry[name]
    except KeyError:
        raise UnknownEventType(name) from None


def is_valid_pattern(pattern: str) -> bool:
    """``*``, a registered type, or a registered type's prefix followed by ``.*``."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        prefix = pattern[:-1]
        return any(name.startswith(prefix) for name in _registry)
    return pattern in _registry


def patterns_matching(name: str) -> list[str]:
    """The subscriptions that receive ``name``: itself, each dotted prefix with ``.*``, ``*``."""
    parts = name.split(".")
    return [name, *(".".join(parts[:i]) + ".*" for i in range(len(parts) - 1, 0, -1)), "*"]


def encode(data: Mapping[str, Any]) -> str:
    return orjson.dumps(data, default=str).decode()


_EMIT = text(
    """
    with event as (
        insert into webhook_events (org_id, type, data)
        values (:org_id, :type, cast(:data as jsonb))
        returning id, org_id
    ), queued as (
        insert into webhook_deliveries (org_id, event_id, endpoint_id, next_attempt_at)
        select event.org_id, event.id, e.id, clock_timestamp()
          from event join webhook_endpoints e on e.org_id = event.org_id
         where e.status = 'ENABLED'
           and (e.event_types && cast(:patterns as text[]) or e.id = cast(:endpoint_id as uuid))
        returning 1
    ), counted as (select count(*) as n from queued)
    select event.id, counted.n,
           (select 1 from (select pg_notify(:channel, '')) woken where counted.n > 0) as woken
      from event, counted
    """
)


async def emit(
    db: Executor, owner: Principal | uuid.UUID, event_type: str, data: Mapping[str, Any]
) -> uuid.UUID:
    """Write an event of ``event_type`` for the organization of ``owner`` (a principal or an
    organization id) and queue it for every subscribed endpoint, in the caller's
    transaction. Returns the event's id (the ``webhook-id`` receivers see)."""
    return await _write(db, owner, event_type, data, patterns_matching(event_type), None)


async def emit_to_endpoint(
    db: Executor,
    owner: Principal | uuid.UUID,
    event_type: str,
    data: Mapping[str, Any],
    endpoint_id: uuid.UUID,
) -> uuid.UUID:
    """Write an event for one endpoint only, whatever it subscribes to (``webhook.test``)."""
    return await _write(db, owner, event_type, data, [], endpoint_id)


async def _write(
    db: Executor,
    owner: Principal | uuid.UUID,
    name: str,
    data: Mapping[str, Any],
    patterns: list[str],
    endpoint_id: uuid.UUID | None,
) -> uuid.UUID:
    event_type(name)
    org_id = owner.org_id if isinstance(owner, Principal) else owner
    row = (
        await db.execute(
            _EMIT,
            {
                "org_id": org_id,
                "type": name,
                "data": encode(data),
                "patterns": patterns,
                "endpoint_id": endpoint_id,
                "channel": NOTIFY_CHANNEL,
            },
        )
    ).one()
    return uuid.UUID(str(row.id))
