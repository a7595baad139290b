"""Schema extensions: the request transaction, error codes and masking, and the cost limit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import structlog
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from sqlalchemy.exc import DBAPIError, OperationalError
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.types.graphql import OperationType

from service.errors import Forbidden, Unauthenticated, UserInputError
from service.graphql.pagination import DEFAULT_PAGE

log = structlog.get_logger("careerpath.graphql")


class TransactionExtension(SchemaExtension):
    """Ends the request's transaction: commit after a mutation, roll back after a query."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context.context
        ctx.is_mutation = self.execution_context.operation_type == OperationType.MUTATION
        yield

    async def on_operation(self) -> AsyncIterator[None]:
        ctx = self.execution_context.context
        try:
            yield
        except BaseException:
            # An extension failed before execution: nothing to keep.
            await ctx.finish(commit=False)
            raise
        try:
            await ctx.finish(commit=ctx.is_mutation)
        except (OSError, DBAPIError) as exc:
            log.error("commit failed", error=str(exc))
            result = self.execution_context.result
            if result is not None:
                result.data = None
                result.errors = [
                    GraphQLError(
                        "The database is unavailable; nothing was saved.",
                        extensions={"code": "SERVICE_UNAVAILABLE"},
                    )
                ]


class SafeParserCache(ParserCache):
    """Strawberry's parse cache, except that a document that does not parse is left to
    the regular parse step, where its syntax error (the token limit included) becomes a
    coded GraphQL error like any other instead of escaping the extension hooks."""

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        try:
            ec.graphql_document = self.cached_parse_document(ec.query, **ec.parse_options)
        except GraphQLError:
            ec.graphql_document = None
        yield


def _is_unavailable(exc: BaseException | None) -> bool:
    """Whether the database could not be reached or dropped the connection. A driver's
    interface error (a statement it refuses, say) is a bug of ours, not an outage: it counts
    only when SQLAlchemy found the connection closed (``connection_invalidated``)."""
    return isinstance(exc, (OSError, OperationalError, ConnectionError)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


class ErrorCodeExtension(SchemaExtension):
    """Gives every error an ``extensions.code`` and hides internals of unexpected ones."""

    def __init__(self, *, mask_internal: bool) -> None:
        self.mask_internal = mask_internal

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [self._coded(e) for e in result.errors]
        ctx = self.execution_context.context
        codes = {(e.extensions or {}).get("code") for e in result.errors}
        response = getattr(ctx, "response", None)
        if "UNAUTHENTICATED" in codes and response is not None:
            response.status_code = 401
            # RFC 6750 §3.1: no error code when no token came; a token that maps to no
            # organization, employee or service account is an invalid one.
            challenge = 'Bearer realm="careerpath"'
            if getattr(ctx, "claims", None) is not None:
                challenge += ', error="invalid_token"'
            response.headers["WWW-Authenticate"] = challenge

    def _coded(self, error: GraphQLError) -> GraphQLError:
        if error.extensions and "code" in error.extensions:
            return error
        original = error.original_error
        message = error.message
        if isinstance(original, Unauthenticated):
            code = "UNAUTHENTICATED"
        elif isinstance(original, Forbidden):
            code = "FORBIDDEN"
        elif isinstance(original, UserInputError):
            code = "BAD_USER_INPUT"
            if original.errors:
                first = original.errors[0]
                message = f"{'.'.join(first.field)}: {first.message}"
        elif isinstance(error, GraphQLSyntaxError):
            code = "GRAPHQL_PARSE_FAILED"
        elif original is None:
            code = "GRAPHQL_VALIDATION_FAILED"
        elif _is_unavailable(original):
            code = "SERVICE_UNAVAILABLE"
            message = "The database is unavailable; try again shortly."
        else:
            code = "INTERNAL_SERVER_ERROR"
            log.error("unexpected error", path=error.path, exc_info=original)
            if self.mask_internal:
                message = "Internal server error."
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None
            if code == "INTERNAL_SERVER_ERROR" and self.mask_internal
            else original,
            extensions={"code": code},
        )


class CostLimitExtension(SchemaExtension):
    """Refuses operations whose estimated size (page size × nesting) exceeds a limit.

    Each field costs 1 times the product of the page sizes (``first``/``last``, 20 when
    absent) of the connections above it; variables are read with their actual values.
    """

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        document = ec.graphql_document
        if document is not None:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            variables = ec.variables or {}
            for definition in document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                if (
                    ec.operation_name
                    and definition.name
                    and definition.name.value != ec.operation_name
                ):
                    continue
                cost = _cost(definition.selection_set, 1, fragments, variables, set())
                if cost > self.max_cost:
                    ec.result = GraphQLExecutionResult(
                        data=None,
                        errors=[
                            GraphQLError(
                                f"The query's estimated cost {cost} exceeds the limit "
                                f"{self.max_cost}; ask for smaller pages or fewer nested lists.",
                                extensions={
                                    "code": "QUERY_TOO_COSTLY",
                                    "cost": cost,
                                    "limit": self.max_cost,
                                },
                            )
                        ],
                    )
        yield


def _page_size(node: FieldNode, variables: dict[str, Any]) -> int | None:
    for arg in node.arguments or ():
        if arg.name.value in ("first", "last"):
            value = arg.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                v = variables.get(value.name.value)
                return int(v) if isinstance(v, int) else DEFAULT_PAGE
    return None


def _cost(
    selection_set: SelectionSetNode | None,
    multiplier: int,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    seen: set[str],
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += multiplier
            if selection.selection_set is not None:
                size = _page_size(selection, variables)
                is_connection = size is not None or any(
                    isinstance(s, FieldNode) and s.name.value in ("edges", "nodes")
                    for s in selection.selection_set.selections
                )
                inner = (
                    multiplier * (size if size is not None else DEFAULT_PAGE)
                    if is_connection
                    else multiplier
                )
                total += _cost(selection.selection_set, inner, fragments, variables, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, multiplier, fragments, variables, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                total += _cost(
                    fragments[name].selection_set, multiplier, fragments, variables, seen | {name}
                )
    return total
