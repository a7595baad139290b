"""Domain errors raised by services; the GraphQL layer maps them to userErrors or errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class ErrorCode(StrEnum):
    """Machine-readable codes of userErrors and GraphQL errors."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    TAKEN = "TAKEN"
    CONFLICT = "CONFLICT"
    CYCLE = "CYCLE"
    INVALID_STATE = "INVALID_STATE"
    STALE_VERSION = "STALE_VERSION"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    PENDING = "PENDING"


@dataclass(frozen=True)
class FieldError:
    """One problem the caller can fix, at a path into the mutation's input."""

    field: tuple[str, ...]
    message: str
    code: ErrorCode = ErrorCode.INVALID


@dataclass
class UserInputError(Exception):
    """The input cannot be accepted; nothing was written."""

    errors: list[FieldError] = field(default_factory=list)

    @classmethod
    def one(
        cls, field: tuple[str, ...] | str, message: str, code: ErrorCode = ErrorCode.INVALID
    ) -> UserInputError:
        path = (field,) if isinstance(field, str) else field
        return cls([FieldError(path, message, code)])

    def __str__(self) -> str:
        return "; ".join(f"{'.'.join(e.field)}: {e.message}" for e in self.errors)


class Forbidden(Exception):
    """The caller may not do this. Says nothing about whether the object exists."""

    def __init__(self, message: str = "You are not allowed to do this.") -> None:
        super().__init__(message)


class Unauthenticated(Exception):
    def __init__(self, message: str = "Authentication required.") -> None:
        super().__init__(message)


class Validator:
    """Collects field errors so a mutation reports every problem at once."""

    def __init__(self, input_errors: Sequence[FieldError] = ()) -> None:
        """``input_errors``: problems already found while reading the request (malformed
        IDs), reported together with the ones this validator finds."""
        self.errors: list[FieldError] = list(input_errors)

    def add(
        self, field: tuple[str, ...] | str, message: str, code: ErrorCode = ErrorCode.INVALID
    ) -> None:
        self.errors.append(FieldError((field,) if isinstance(field, str) else field, message, code))

    def text(
        self,
        field: str,
        value: str | None,
        *,
        required: bool = False,
        max_length: int = 200,
        prefix: tuple[str, ...] = ("input",),
    ) -> str | None:
        """Trim a string input and check it; returns the cleaned value."""
        if value is None:
            if required:
                self.add((*prefix, field), "is required", ErrorCode.REQUIRED)
            return None
        cleaned = value.strip()
        if required and not cleaned:
            self.add((*prefix, field), "must not be blank", ErrorCode.REQUIRED)
        if len(cleaned) > max_length:
            self.add(
                (*prefix, field), f"is longer than {max_length} characters", ErrorCode.TOO_LONG
            )
        return cleaned

    def too_many(self, field: tuple[str, ...] | str, size: int, limit: int, message: str) -> bool:
        """Report ``message`` (LIMIT_EXCEEDED) when ``size`` is over ``limit``; whether it is."""
        if size > limit:
            self.add(field, message, ErrorCode.LIMIT_EXCEEDED)
            return True
        return False

    def raise_if_any(self) -> None:
        if self.errors:
            raise UserInputError(list(self.errors))
