"""Scalars whose parsing refuses what the database or Python cannot hold.

``DateTime`` is strawberry's own (ISO 8601), except that a time whose UTC instant falls
outside the years 1 to 9999 (``0001-01-01T00:00:00+05:00``) is refused while the request
is checked, as a BAD_USER_INPUT, instead of overflowing when sent to PostgreSQL; and a
time without an offset is taken as UTC, so it compares with stored times.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dateutil.parser
from strawberry.types.scalar import ScalarDefinition


class OutOfRange(ValueError):
    """A value its type cannot hold."""


def parse_datetime(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise OutOfRange(f"DateTime cannot represent {value!r}: expected an ISO 8601 string.")
    try:
        parsed = dateutil.parser.isoparse(value)
    except (ValueError, OverflowError):
        raise OutOfRange(f"DateTime cannot represent {value!r}.") from None
    if parsed.tzinfo is None:
        # A time without an offset is UTC, so it compares with every stored time.
        return parsed.replace(tzinfo=dt.UTC)
    try:
        parsed.astimezone(dt.UTC)
    except OverflowError:
        raise OutOfRange(f"DateTime {value!r} is out of range in UTC.") from None
    return parsed


DateTimeScalar = ScalarDefinition(
    name="DateTime",
    description="Date with time (isoformat)",
    specified_by_url=None,
    serialize=dt.datetime.isoformat,
    parse_value=parse_datetime,
    parse_literal=None,
    origin=dt.datetime,
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {dt.datetime: DateTimeScalar}
