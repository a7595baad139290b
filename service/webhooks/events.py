"""Events of the webhooks platform itself."""

from __future__ import annotations

from service.webhooks.outbox import register_event_type

UUID = {"type": "string", "format": "uuid"}
TIME = {"type": "string", "format": "date-time"}

WEBHOOK_TEST = register_event_type(
    "webhook.test",
    "Sent by `pingWebhookEndpoint` to that endpoint only, whatever it subscribes to.",
    {
        "type": "object",
        "required": ["endpoint_id", "message"],
        "additionalProperties": True,
        "properties": {
            "endpoint_id": UUID,
            "message": {"type": "string", "description": "A fixed greeting."},
        },
    },
    example={
        "endpoint_id": "0b8f0a6e-3c55-4c1e-9d2f-6a8e2f0d6a11",
        "message": "careerpath webhook test",
    },
)

WEBHOOK_ENDPOINT_DISABLED = register_event_type(
    "webhook_endpoint.disabled",
    "An endpoint was disabled: by a caller, by a 410 Gone answer, or after too many "
    "failed deliveries in a row. Sent to the organization's other subscribed endpoints.",
    {
        "type": "object",
        "required": ["endpoint_id", "url", "reason", "disabled_at"],
        "additionalProperties": True,
        "properties": {
            "endpoint_id": UUID,
            "url": {"type": "string"},
            "reason": {
                "enum": ["MANUAL", "GONE", "FAILING"],
                "description": "MANUAL: `disableWebhookEndpoint`; GONE: the endpoint "
                "answered 410; FAILING: too many failed deliveries in a row.",
            },
            "disabled_at": TIME,
        },
    },
    example={
        "endpoint_id": "0b8f0a6e-3c55-4c1e-9d2f-6a8e2f0d6a11",
        "url": "https://hooks.example.com/careerpath",
        "reason": "FAILING",
        "disabled_at": "2026-03-02T09:30:00+00:00",
    },
)
