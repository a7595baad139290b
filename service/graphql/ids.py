"""Relay global IDs: ``base64("TypeName:uuid")``, decoded with errors naming the input field."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from strawberry import relay

from service.errors import ErrorCode, UserInputError


def encode_id(type_name: str, value: uuid.UUID) -> str:
    return str(relay.GlobalID(type_name, str(value)))


def parse_global_id(value: str) -> tuple[str, uuid.UUID] | None:
    try:
        gid = relay.GlobalID.from_id(value)
        return gid.type_name, uuid.UUID(gid.node_id)
    except Exception:
        return None


def decode_id(
    value: str, type_names: str | Iterable[str], field: tuple[str, ...] | str
) -> uuid.UUID:
    """The UUID inside a global ID of one of ``type_names``; a ``UserInputError`` otherwise."""
    names = {type_names} if isinstance(type_names, str) else set(type_names)
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] not in names:
        expected = " or ".join(sorted(names))
        raise UserInputError.one(field, f"is not a valid {expected} ID", ErrorCode.INVALID)
    return parsed[1]


def decode_optional(
    value: Any, type_names: str | Iterable[str], field: tuple[str, ...] | str
) -> uuid.UUID | None:
    return None if value is None else decode_id(value, type_names, field)
