"""Schema extensions: the request transaction, error codes and masking, documents parsed and
checked once, and the cost limit."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from cachetools import LRUCache
from graphql import (
    BREAK,
    ASTValidationRule,
    DocumentNode,
    FloatValueNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    StringValueNode,
    Visitor,
    parse,
    specified_rules,
    visit,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document
from strawberry.types.graphql import OperationType

from service.errors import Forbidden, Unauthenticated, UserInputError
from service.graphql.cost import CostEstimator
from service.logs import safe_message
from service.observability import metrics

log = structlog.get_logger("careerpath.graphql")


class TransactionExtension(SchemaExtension):
    """Ends the request's transaction: a query's is rolled back; a mutation document's is
    committed only when none of its mutations raised an error, so a document's mutations
    are saved all together or not at all."""

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        ctx = ec.context
        ctx.is_mutation = ec.operation_type == OperationType.MUTATION
        ctx.operation_type = ec.operation_type.value
        ctx.operation_name = ec.operation_name
        yield

    async def on_operation(self) -> AsyncIterator[None]:
        ctx = self.execution_context.context
        try:
            yield
        except BaseException:
            # An extension failed before execution: nothing to keep.
            await ctx.finish(commit=False)
            raise
        result = self.execution_context.result
        failed = result is None or bool(result.errors)
        if ctx.is_mutation and failed and result is not None and result.data is not None:
            # Nothing of the document was saved: no payload may say otherwise.
            result.data = None
        try:
            await ctx.finish(commit=ctx.is_mutation and not failed)
        except (OSError, DBAPIError) as exc:
            log.error("commit failed", error=safe_message(exc))
            if result is not None:
                result.data = None
                result.errors = [
                    GraphQLError(
                        "The database is unavailable; nothing was saved.",
                        extensions={"code": "SERVICE_UNAVAILABLE"},
                    )
                ]
                mark_unavailable(ctx)


#: Seconds a client is asked to wait before retrying after SERVICE_UNAVAILABLE.
RETRY_AFTER_SECONDS = 2


def mark_unavailable(ctx: Any) -> None:
    """HTTP 503 with ``Retry-After`` for a request the service could not serve now."""
    response = getattr(ctx, "response", None)
    if response is not None:
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)


@dataclass(frozen=True)
class PreparedDocument:
    """What is known of a document text once it has parsed: its validation errors and the
    first literal argument value no field can take (``None`` when there is none)."""

    document: DocumentNode
    errors: tuple[GraphQLError, ...]
    bad_literal: str | None
    chars: int  # the length of its text


#: Characters of document text whose parsed documents a process keeps. A parsed document
#: takes many times its text in memory, so the budget is in characters, not entries: a
#: thousand documents at the token limit would otherwise hold gigabytes.
DOCUMENT_CACHE_CHARS = 2_000_000
#: A document longer than this is parsed for its request and not kept (a one-off bulk
#: mutation with its records inline would push out every common query).
DOCUMENT_CACHE_LARGEST = 50_000


class PreparedDocuments:
    """Documents of this process by text, parsed, validated and their literals checked,
    least recently used first out: a repeated document skips all three.

    ``rules`` are the validation rules beyond the specification's (and strawberry's own);
    a document of more than ``max_tokens`` tokens does not parse. At most ``max_chars``
    characters of document text are kept, none longer than ``largest``."""

    def __init__(
        self,
        *,
        rules: Sequence[type[ASTValidationRule]],
        max_tokens: int,
        max_chars: int = DOCUMENT_CACHE_CHARS,
        largest: int = DOCUMENT_CACHE_LARGEST,
    ) -> None:
        self.rules = (*specified_rules, *rules)
        self.max_tokens = max_tokens
        self.largest = min(largest, max_chars)
        self._entries: LRUCache[str, PreparedDocument] = LRUCache(
            max_chars, getsizeof=lambda prepared: prepared.chars
        )

    def get(self, query: str) -> PreparedDocument | None:
        found = self._entries.get(query)
        metrics.cache_lookup("parse", hit=found is not None)
        return found

    def prepare(
        self, schema: GraphQLSchema, query: str, document: DocumentNode
    ) -> PreparedDocument:
        """Validate a document just parsed, check its literals, and keep the result."""
        errors = tuple(validate_document(schema, document, self.rules))
        prepared = PreparedDocument(
            document, errors, None if errors else _bad_literals(document), len(query)
        )
        if prepared.chars <= self.largest:
            self._entries[query] = prepared
        return prepared


class DocumentChecks(SchemaExtension):
    """Parses and validates each document text once per process (``PreparedDocuments``),
    and refuses, before anything runs, argument values no field can store or compare: text
    with a NUL character or an unpaired surrogate (PostgreSQL and UTF-8 have no such
    characters) and numbers that are not finite. Literals in the document and variables
    are checked alike, whatever field they are meant for.

    A document that does not parse is left to the regular parse step, where its syntax
    error (the token limit included) becomes a coded GraphQL error like any other. Lookups
    are counted in the metrics (caches ``parse`` and ``validation``)."""

    def __init__(self, *, documents: PreparedDocuments) -> None:
        self.documents = documents
        self.prepared: PreparedDocument | None = None
        self.cached = False

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        ec.parse_options["max_tokens"] = self.documents.max_tokens
        assert ec.query is not None  # strawberry refuses a request without one first
        self.prepared = self.documents.get(ec.query)
        self.cached = self.prepared is not None
        if self.prepared is not None:
            ec.graphql_document = self.prepared.document
        else:
            try:
                ec.graphql_document = parse(ec.query, **ec.parse_options)
            except GraphQLError:
                ec.graphql_document = None
        yield

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        metrics.cache_lookup("validation", hit=self.cached)
        if self.prepared is None:
            assert ec.query is not None
            assert ec.graphql_document is not None
            self.prepared = self.documents.prepare(ec.schema._schema, ec.query, ec.graphql_document)
        ec.pre_execution_errors = list(self.prepared.errors)
        yield

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        if self.prepared is not None and ec.result is None:
            problem = _bad_variables(ec.variables or {}) or self.prepared.bad_literal
            if problem is not None:
                ec.result = GraphQLExecutionResult(
                    data=None,
                    errors=[GraphQLError(problem, extensions={"code": "BAD_USER_INPUT"})],
                )
        yield


#: SQLSTATEs of statements PostgreSQL cancelled: ``statement_timeout`` (57014), a lock
#: wait past ``lock_timeout`` (55P03), a server shutting down (57P01-57P03).
_UNAVAILABLE_SQLSTATES = frozenset({"57014", "55P03", "57P01", "57P02", "57P03"})


def sqlstate(exc: BaseException | None) -> str | None:
    """The SQLSTATE of a database error, if it is one."""
    if not isinstance(exc, DBAPIError):
        return None
    orig: Any = exc.orig
    for candidate in (orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code:
            return str(code)
    return None


def _is_unavailable(exc: BaseException | None) -> bool:
    """Whether the database could not be reached in time, dropped the connection or
    cancelled a statement past its timeout, or the request ran out of time. A driver's
    interface error (a statement it refuses, say) is a bug of ours, not an outage: it counts
    only when SQLAlchemy found the connection closed (``connection_invalidated``)."""
    return (
        isinstance(
            exc, (OSError, OperationalError, ConnectionError, PoolTimeoutError, RequestTimedOut)
        )
        or (isinstance(exc, DBAPIError) and exc.connection_invalidated)
        or sqlstate(exc) in _UNAVAILABLE_SQLSTATES
    )


class ErrorCodeExtension(SchemaExtension):
    """Gives every error an ``extensions.code``, hides internals of unexpected ones, sets
    the HTTP status (401 for UNAUTHENTICATED, 503 for SERVICE_UNAVAILABLE) and logs one
    line per request that had errors."""

    def __init__(self, *, mask_internal: bool) -> None:
        self.mask_internal = mask_internal
        self.executing = False

    def on_execute(self) -> Iterator[None]:
        # Errors without a path raised from here on come from coercing variables.
        self.executing = True
        yield

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        internal: list[BaseException] = []
        result.errors = [self._coded(e, internal) for e in result.errors]
        ctx = self.execution_context.context
        codes = [(e.extensions or {}).get("code") for e in result.errors]
        response = getattr(ctx, "response", None)
        if "SERVICE_UNAVAILABLE" in codes:
            # A timed-out statement aborts the transaction: nothing else of the request is
            # trustworthy, so the answer is the outage alone.
            first = result.errors[codes.index("SERVICE_UNAVAILABLE")]
            result.data = None
            result.errors = [first]
            codes = ["SERVICE_UNAVAILABLE"]
            mark_unavailable(ctx)
        elif "UNAUTHENTICATED" in codes and response is not None:
            response.status_code = 401
            # RFC 6750 §3.1: no error code when no token came; a token that maps to no
            # organization, employee or service account is an invalid one.
            challenge = 'Bearer realm="careerpath"'
            if getattr(ctx, "claims", None) is not None:
                challenge += ', error="invalid_token"'
            response.headers["WWW-Authenticate"] = challenge
        ec = self.execution_context
        fields: dict[str, Any] = {
            "operation": ec.operation_name or _operation_name(ec.graphql_document) or "anonymous",
            "codes": sorted({str(c) for c in codes}),
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if internal:
            log.error("request failed", **fields, exc_info=internal[0])
        else:
            log.info("request refused", **fields)

    def _coded(self, error: GraphQLError, internal: list[BaseException]) -> GraphQLError:
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
        elif error.path is None and (self.executing or original is not None):
            # A value that cannot be coerced to its argument's type: a literal refused by
            # its scalar during validation, or a variable refused before execution.
            code = "BAD_USER_INPUT"
        elif original is None:
            code = "GRAPHQL_VALIDATION_FAILED"
        elif _is_unavailable(original):
            code = "SERVICE_UNAVAILABLE"
            message = (
                "The request took too long; try again shortly."
                if isinstance(original, RequestTimedOut) or sqlstate(original) == "57014"
                else "The database is unavailable; try again shortly."
            )
        elif (sqlstate(original) or "").startswith("22"):
            # A data exception (a value out of range or malformed) that input checks
            # missed: the caller's input, not an outage; never the statement itself.
            code = "BAD_USER_INPUT"
            message = "A value is out of range or malformed."
            internal.append(original)
        else:
            code = "INTERNAL_SERVER_ERROR"
            internal.append(original)
            if self.mask_internal:
                message = "Internal server error."
            elif isinstance(original, StatementError):
                message = f"Database error: {safe_message(original)}"
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


def _operation_name(document: DocumentNode | None) -> str | None:
    if document is None:
        return None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name:
            return definition.name.value
    return None


class CostLimitExtension(SchemaExtension):
    """Refuses operations whose estimated cost exceeds a limit (see ``service.graphql.cost``)."""

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        document = ec.graphql_document
        if document is not None and ec.result is None:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            for definition in document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                if (
                    ec.operation_name
                    and definition.name
                    and definition.name.value != ec.operation_name
                ):
                    continue
                estimator = CostEstimator(ec.schema._schema, fragments, definition, ec.variables)
                cost = estimator.operation_cost(definition)
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
                    break
        yield


def _bad_text(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate"
    return None


def _bad_value(value: Any) -> str | None:
    if isinstance(value, str):
        return _bad_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "is not a finite number"
    if isinstance(value, dict):
        for key, item in value.items():
            found = _bad_value(key) or _bad_value(item)
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _bad_value(item)
            if found:
                return found
    return None


def _bad_variables(variables: dict[str, Any]) -> str | None:
    for name, value in variables.items():
        found = _bad_value(value)
        if found:
            return f"Variable ${_printable(name)} {found}."
    return None


def _printable(name: str) -> str:
    return name if _bad_text(name) is None else "?"


def _bad_literals(document: DocumentNode) -> str | None:
    class Finder(Visitor):
        problem: str | None = None

        def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
            found = _bad_text(node.value)
            if found:
                self.problem = f"A string argument {found}."
                return BREAK
            return None

        def enter_float_value(self, node: FloatValueNode, *_: Any) -> Any:
            if not math.isfinite(float(node.value)):
                self.problem = f"The number {node.value} is not finite."
                return BREAK
            return None

    finder = Finder()
    visit(document, finder)
    return finder.problem


class RequestTimedOut(Exception):
    """The request ran past ``request_timeout_seconds``."""


class DeadlineExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Execution with a deadline: every list checks the clock before completing its items,
    so a request stops doing work (and holding the event loop) soon after its time is up;
    awaiting resolvers are bounded by the database timeouts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = getattr(self.context_value, "settings", None)
        timeout = getattr(settings, "request_timeout_seconds", None)
        self.deadline = time.monotonic() + timeout if timeout else math.inf

    def complete_list_value(self, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() > self.deadline:
            raise RequestTimedOut("The request took too long.")
        return super().complete_list_value(*args, **kwargs)
