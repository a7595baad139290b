"""userErrors for mutations and coded GraphQL errors for everything else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from service.errors import ErrorCode, UserInputError
from service.graphql.enums import graphql_enum

T = TypeVar("T")

UserErrorCode = graphql_enum(
    ErrorCode,
    "Why an input was refused.",
    {
        "INVALID": "The value is malformed or not allowed here.",
        "REQUIRED": "A value is required.",
        "TOO_LONG": "The value is longer than allowed.",
        "NOT_FOUND": "No such object (or not one the caller may use).",
        "TAKEN": "Another object already uses this unique value.",
        "CONFLICT": "The change conflicts with other data.",
        "CYCLE": "The change would create a cycle (reporting line, org tree, track).",
        "INVALID_STATE": "The object's current state does not allow this change.",
        "STALE_VERSION": "The object changed since the given version was read.",
        "LIMIT_EXCEEDED": "A list or batch is larger than allowed.",
        "PENDING": "Accepted, but a reference waits for something not there yet (a notice, "
        "not a refusal).",
    },
)


@strawberry.type(description="A problem with a mutation's input that the caller can fix.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. `["input", "email"]`.'
    )
    message: str = strawberry.field(description="What is wrong, in a sentence for a person.")
    code: UserErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


def to_user_errors(exc: UserInputError) -> list[UserError]:
    return [
        UserError(field=list(e.field) or None, message=e.message, code=UserErrorCode(e.code.value))
        for e in exc.errors
    ]


async def run_mutation(
    info: Info,
    action: Callable[[], Awaitable[T]],
    *,
    authorize: Callable[[Any], object] | None = None,
) -> tuple[T | None, list[UserError]]:
    """Run one mutation in a savepoint: a refused input leaves nothing written.

    ``authorize(principal)`` runs first, so a caller who may not use the mutation at all is
    told FORBIDDEN before any of their input is looked at. Returns ``(result, [])`` on
    success and ``(None, userErrors)`` when the input is refused; authorization failures
    propagate as GraphQL errors.
    """
    ctx = info.context
    principal = await ctx.principal()
    if authorize is not None:
        authorize(principal)
    conn = await ctx.connection()
    savepoint = await conn.begin_nested()
    try:
        result = await action()
    except UserInputError as exc:
        await savepoint.rollback()
        return None, to_user_errors(exc)
    except BaseException:
        await savepoint.rollback()
        raise
    await savepoint.commit()
    return result, []


def coded_error(message: str, code: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})
