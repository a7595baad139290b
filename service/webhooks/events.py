"""Events of the webhooks platform itself (declared in ``events.json``)."""

from __future__ import annotations

from service.webhooks.outbox import register_event_types

_TYPES = register_event_types(__name__)
WEBHOOK_TEST = _TYPES["webhook.test"]
WEBHOOK_ENDPOINT_DISABLED = _TYPES["webhook_endpoint.disabled"]
