"""Standard Webhooks signatures: secrets, headers and the body of a delivery."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh ``whsec_…`` secret: 32 random bytes, base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_id(event_id: uuid.UUID) -> str:
    """The ``webhook-id`` of an event: the same for every attempt and every redelivery."""
    return f"evt_{event_id.hex}"


def body(
    event_type: str, occurred_at: dt.datetime, data: Mapping[str, Any] | orjson.Fragment
) -> bytes:
    """``{"type", "timestamp", "data"}``, as sent."""
    return orjson.dumps(
        {"type": event_type, "timestamp": occurred_at, "data": data},
        option=orjson.OPT_UTC_Z,
    )


def headers(
    message_id: str, payload: bytes, signing_secrets: Iterable[str], now: dt.datetime
) -> dict[str, str]:
    """The Standard Webhooks headers, with one ``v1`` signature per secret (two while a
    rotated secret's grace period lasts)."""
    text = payload.decode()
    signatures = [Webhook(s).sign(message_id, now, text) for s in signing_secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": "careerpath-webhooks/1",
    }
