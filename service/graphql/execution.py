"""How one GraphQL operation runs, step by step (``Operations.execute``): the document parsed
and validated once per process, the operation chosen, argument values no field can store
refused, the cost limit, the framework's cached reads, execution with a deadline, every
error given a code (internals masked), and the end of the request's transaction.

The steps are plain calls in one function rather than strawberry schema extensions: their
order is the one written here, and a request pays for no extension hooks."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

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
    validate,
    visit,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution import execute
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from strawberry.exceptions import MissingQueryError
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

from service.db import unstorable_text
from service.errors import Forbidden, Unauthenticated, UserInputError
from service.graphql.cost import CostEstimator
from service.graphql.result_cache import CachedReads
from service.logs import safe_message
from service.observability import metrics

log = structlog.get_logger("careerpath.graphql")


#: Where a request's errors arose: ``validation`` (parsing and validating the document: an
#: error with an original is a literal its scalar refused), ``execution`` (the operation
#: ran: an error outside any field is a variable that does not fit), ``step`` (one of the
#: checks around execution failed: a fault, never the caller's input).
Stage = Literal["validation", "execution", "step"]


class Operations:
    """Runs each request's operation for one schema (``execute``, called by the schema for
    strawberry's HTTP view), in the specification's order: the document is parsed and
    validated, then its operation chosen, then run. What a step refuses is answered as
    GraphQL errors, never raised, except what the HTTP view turns into a 400 or 405: no
    document, no operation to choose (none of the name given, or several and no name), an
    operation the HTTP method may not run."""

    def __init__(
        self,
        *,
        documents: PreparedDocuments,
        max_cost: int,
        mask_internal: bool,
        cached_reads: CachedReads | None = None,
    ) -> None:
        self.documents = documents
        self.max_cost = max_cost
        self.mask_internal = mask_internal
        self.cached_reads = cached_reads

    async def execute(
        self,
        schema: GraphQLSchema,
        query: str | None,
        variables: dict[str, Any] | None,
        context: Any,
        root_value: Any,
        operation_name: str | None,
        allowed: Iterable[OperationType],
        operation_extensions: dict[str, Any] | None,
    ) -> GraphQLExecutionResult:
        started = time.perf_counter()
        stage: Stage = "validation"
        try:
            if not query:
                raise MissingQueryError
            prepared = self._prepared(schema, query)
            if isinstance(prepared, GraphQLError):
                result = GraphQLExecutionResult(None, [prepared])
            elif prepared.errors:
                result = GraphQLExecutionResult(None, list(prepared.errors))
            else:
                operation = _chosen_operation(prepared.document, operation_name)
                kind = OperationType(operation.operation.value)
                if kind not in allowed:
                    raise InvalidOperationTypeError(kind)
                context.is_mutation = kind == OperationType.MUTATION
                context.operation_type = kind.value
                context.operation_name = operation.name.value if operation.name else None
                stage = "execution"
                result = await self._run(
                    schema,
                    query,
                    prepared,
                    operation,
                    variables,
                    context,
                    root_value,
                    operation_extensions,
                )
        except (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError):
            await context.finish(commit=False)
            raise
        except Exception as exc:  # a step of ours failed: never the caller's input
            stage = "step"
            result = GraphQLExecutionResult(None, [GraphQLError(str(exc), original_error=exc)])
        except BaseException:
            await context.finish(commit=False)
            raise
        if result.errors:
            code_errors(
                result,
                context,
                stage=stage,
                mask_internal=self.mask_internal,
                started=started,
            )
        await _end_transaction(context, result)
        return result

    def _prepared(self, schema: GraphQLSchema, query: str) -> PreparedDocument | GraphQLError:
        """The document of ``query``, parsed and validated once per process, or the error
        that it does not parse (the token limit included)."""
        prepared = self.documents.get(query)
        if prepared is not None:
            metrics.cache_lookup("validation", hit=True)
            return prepared
        try:
            document = parse(query, max_tokens=self.documents.max_tokens)
        except GraphQLError as error:
            return error
        metrics.cache_lookup("validation", hit=False)
        return self.documents.prepare(schema, query, document)

    async def _run(
        self,
        schema: GraphQLSchema,
        query: str,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        variables: dict[str, Any] | None,
        context: Any,
        root_value: Any,
        operation_extensions: dict[str, Any] | None,
    ) -> GraphQLExecutionResult:
        """The checks of a valid operation, then the operation, or its cached result."""
        problem = _bad_variables(variables or {}) or prepared.bad_literal
        if problem is not None:
            return GraphQLExecutionResult(
                None, [GraphQLError(problem, extensions={"code": "BAD_USER_INPUT"})]
            )
        refusal = self._cost_refusal(schema, prepared.document, operation, variables)
        if refusal is not None:
            return GraphQLExecutionResult(None, [refusal])
        reads, key = self.cached_reads, None
        if reads is not None:
            key = await reads.key(schema, prepared.document, operation, query, variables, context)
            found = None if key is None else reads.get(key)
            if found is not None:
                return GraphQLExecutionResult(found, None)
        result = await await_maybe(
            execute(
                schema,
                prepared.document,
                root_value=root_value,
                variable_values=variables,
                operation_name=operation.name.value if operation.name else None,
                context_value=context,
                is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                executor_class=DeadlineExecutionContext,
                hide_suggestions=self.documents.hide_suggestions,
                operation_extensions=operation_extensions,
            )
        )
        if reads is not None and key is not None:
            reads.keep(key, result)
        return result

    def _cost_refusal(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any] | None,
    ) -> GraphQLError | None:
        """The error refusing an operation whose estimated cost exceeds the limit (see
        ``service.graphql.cost``), if it does."""
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        cost = CostEstimator(schema, fragments, operation, variables).operation_cost(operation)
        if cost <= self.max_cost:
            return None
        return GraphQLError(
            f"The query's estimated cost {cost} exceeds the limit "
            f"{self.max_cost}; ask for smaller pages or fewer nested lists.",
            extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": self.max_cost},
        )


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
    characters of document text are kept, none longer than ``largest``. With
    ``hide_suggestions`` no error suggests names of the schema ("Did you mean …?")."""

    def __init__(
        self,
        *,
        rules: Sequence[type[ASTValidationRule]],
        max_tokens: int,
        max_chars: int = DOCUMENT_CACHE_CHARS,
        largest: int = DOCUMENT_CACHE_LARGEST,
        hide_suggestions: bool = False,
    ) -> None:
        self.rules = (
            *specified_rules,
            MaybeNullValidationRule,
            OneOfInputValidationRule,
            *rules,
        )
        self.max_tokens = max_tokens
        self.hide_suggestions = hide_suggestions
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
        try:
            errors = tuple(
                validate(schema, document, self.rules, hide_suggestions=self.hide_suggestions)
            )
        except RecursionError:
            # The depth rule follows fragment spreads recursively: a long chain of
            # fragments (a few hundred fit in the token limit) goes past Python's stack.
            errors = (GraphQLError("The document's fragments are nested too deeply."),)
        prepared = PreparedDocument(
            document, errors, None if errors else _bad_literals(document), len(query)
        )
        if prepared.chars <= self.largest:
            self._entries[query] = prepared
        return prepared


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


def code_errors(
    result: GraphQLExecutionResult,
    ctx: Any,
    *,
    stage: Stage,
    mask_internal: bool,
    started: float,
) -> None:
    """Gives every error of ``result`` an ``extensions.code`` and hides internals of
    unexpected ones, sets the HTTP status (401 for UNAUTHENTICATED, 503 for
    SERVICE_UNAVAILABLE) and logs one line for the request. ``stage``: where the request
    stopped (see ``Stage``)."""
    assert result.errors
    internal: list[BaseException] = []
    result.errors = [_coded(e, internal, stage, mask_internal) for e in result.errors]
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
    fields: dict[str, Any] = {
        "operation": getattr(ctx, "operation_name", None) or "anonymous",
        "codes": sorted({str(c) for c in codes}),
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if internal:
        log.error("request failed", **fields, exc_info=internal[0])
    else:
        log.info("request refused", **fields)


def _coded(
    error: GraphQLError, internal: list[BaseException], stage: Stage, mask_internal: bool
) -> GraphQLError:
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
    elif error.path is None and (
        stage == "execution" or (stage == "validation" and original is not None)
    ):
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
        if mask_internal:
            message = "Internal server error."
        elif isinstance(original, StatementError):
            message = f"Database error: {safe_message(original)}"
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None if code == "INTERNAL_SERVER_ERROR" and mask_internal else original,
        extensions={"code": code},
    )


async def _end_transaction(ctx: Any, result: GraphQLExecutionResult) -> None:
    """Ends the request's transaction: a query's is rolled back; a mutation document's is
    committed only when none of its mutations raised an error, so a document's mutations
    are saved all together or not at all."""
    failed = bool(result.errors)
    if ctx.is_mutation and failed and result.data is not None:
        # Nothing of the document was saved: no payload may say otherwise.
        result.data = None
    try:
        await ctx.finish(commit=ctx.is_mutation and not failed)
    except (OSError, DBAPIError) as exc:
        log.error("commit failed", error=safe_message(exc))
        result.data = None
        result.errors = [
            GraphQLError(
                "The database is unavailable; nothing was saved.",
                extensions={"code": "SERVICE_UNAVAILABLE"},
            )
        ]
        mark_unavailable(ctx)


class NoOperationChosen(CannotGetOperationTypeError):
    """No operation of the document can be run: none of the name given, none at all, or
    several and no name given (answered by the HTTP view as a 400)."""

    def __init__(self, operation_name: str | None, reason: str) -> None:
        super().__init__(operation_name)
        self.reason = reason

    def as_http_error_reason(self) -> str:
        return self.reason


def _chosen_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    """The operation of ``name``, or the document's only one when no name is given."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        for operation in operations:
            if operation.name is not None and operation.name.value == name:
                return operation
        raise NoOperationChosen(name, f'The document has no operation named "{name}".')
    if len(operations) == 1:
        return operations[0]
    raise NoOperationChosen(
        None,
        "The document has no operation."
        if not operations
        else "The document has several operations: name the one to run in operationName.",
    )


def _bad_value(value: Any) -> str | None:
    if isinstance(value, str):
        return unstorable_text(value)
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
    return name if unstorable_text(name) is None else "?"


def _bad_literals(document: DocumentNode) -> str | None:
    class Finder(Visitor):
        problem: str | None = None

        def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
            found = unstorable_text(node.value)
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
