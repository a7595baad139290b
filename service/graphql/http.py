"""GraphQL over HTTP: the endpoint as the GraphQL-over-HTTP spec describes it.

- ``POST`` with a JSON body and ``GET`` with URL parameters (queries only: a mutation over
  ``GET`` is a 405 with ``Allow: POST``);
- the answer's media type is negotiated from ``Accept``: ``application/graphql-response+json``
  when the client asks for it, where a request that could not be executed at all (it does
  not parse, does not validate, its variables do not fit, or it is refused before running)
  is a 400 without ``data``; ``application/json`` otherwise (no ``Accept``, ``*/*``, or
  ``application/json``), with the 200 that older clients expect;
- automatic persisted queries (the ``extensions.persistedQuery`` protocol of Apollo and
  urql clients) through a bounded per-process store;
- ``GET`` answers of queries without errors carry an ``ETag`` and ``Cache-Control: private,
  no-cache`` (they depend on the bearer token: ``Vary: Accept, Authorization``); a matching
  ``If-None-Match`` gets a 304. Everything else is ``Cache-Control: no-store``.
- a request refused before GraphQL runs gets a GraphQL-shaped error body, never plain text.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import structlog
from cachetools import LRUCache
from cross_web import HTTPException
from opentelemetry import trace
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http import process_result as strawberry_process_result
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from service.graphql.context import Context
from service.observability import metrics

log = structlog.get_logger("careerpath")

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
_MEDIA_TYPES = {
    GRAPHQL_RESPONSE_JSON: f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8",
    JSON: JSON,
}


class RequestRefused(Exception):
    """A request refused before GraphQL runs, answered with a GraphQL-shaped error body."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def graphql_error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    media_type: str = JSON,
) -> Response:
    """One GraphQL error as the whole answer. ``data`` is ``null`` for ``application/json``
    clients and absent for ``application/graphql-response+json`` ones (nothing ran)."""
    body: dict[str, Any] = {"errors": [{"message": message, "extensions": {"code": code}}]}
    if media_type == JSON:
        body = {"data": None, **body}
    response = Response(orjson.dumps(body), status_code=status, media_type=_MEDIA_TYPES[media_type])
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def negotiate(accept: str | None) -> str:
    """The media type of the answer for an ``Accept`` header.

    ``application/graphql-response+json`` when the client names it with the highest
    quality of the types served; ``application/json`` for everything else: no header,
    ``*/*``, ``application/*``, ``application/json``, or only types not served (the
    spec lets a server answer those with ``application/json`` rather than a 406)."""
    if not accept:
        return JSON
    best, best_q = JSON, 0.0
    for part in accept.split(","):
        media, *params = part.split(";")
        media = media.strip().lower()
        if media == GRAPHQL_RESPONSE_JSON:
            candidate = GRAPHQL_RESPONSE_JSON
        elif media in (JSON, "application/*", "*/*"):
            candidate = JSON
        else:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if not math.isfinite(q) or q <= 0:
            continue
        # On a tie the type the client named outright wins over a wildcard.
        if q > best_q or (q == best_q and candidate == GRAPHQL_RESPONSE_JSON):
            best, best_q = candidate, q
    return best


def is_request_error(result: ExecutionResult) -> bool:
    """Whether the operation never ran: no data and every error outside any field (a
    document that does not parse or validate, variables that do not fit, a refusal before
    execution such as the cost limit)."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


class PersistedQueries:
    """The automatic persisted queries of this process: SHA-256 digest → document, least
    recently used first out, bounded by the total length of the documents kept.

    Kept per process, not in the database: the protocol heals a miss by itself (the
    client sends the document once more), a read needs no write, and nothing a caller
    registers outlives the process or reaches another tenant's storage."""

    def __init__(self, max_chars: int) -> None:
        self.enabled = max_chars > 0
        self._documents: LRUCache[str, str] = LRUCache(maxsize=max(max_chars, 1), getsizeof=len)

    def get(self, digest: str) -> str | None:
        document = self._documents.get(digest.lower())
        metrics.cache_lookup("persisted_queries", hit=document is not None)
        return document

    def put(self, digest: str, document: str) -> None:
        if len(document) <= self._documents.maxsize:
            self._documents[digest.lower()] = document

    def __len__(self) -> int:
        return len(self._documents)


@dataclass
class Exchange:
    """What the endpoint learns about one request as it goes."""

    media_type: str
    method: str
    statements: metrics.StatementCount
    started: float = field(default_factory=time.perf_counter)
    request_error: bool = False
    codes: list[str] = field(default_factory=list)
    register: tuple[str, str] | None = None  # a persisted query to keep once it validated
    context: Context | None = None  # once the caller's token has been checked

    def observe(self, operation: str, status: int) -> None:
        """Record the request in the metrics."""
        metrics.observe_request(
            operation,
            metrics.outcome(status, self.codes),
            time.perf_counter() - self.started,
            self.statements.count,
        )


def begin_exchange(request: HTTPConnection) -> Exchange:
    """The first step of every request to the endpoint, before the caller's token is
    looked at: the answer's media type, the clock and the statement count start here."""
    exchange = request.state.graphql = Exchange(
        negotiate(request.headers.get("accept")),
        request.scope.get("method", "GET"),
        metrics.start_counting(),
    )
    return exchange


def _exchange(request: HTTPConnection) -> Exchange:
    exchange: Exchange = request.state.graphql
    return exchange


def refusal_response(request: Request, refusal: RequestRefused) -> Response:
    """The answer to a request refused before GraphQL ran, recorded in the metrics."""
    exchange: Exchange | None = getattr(request.state, "graphql", None)
    if exchange is None:  # refused by another route's own checks
        media_type = negotiate(request.headers.get("accept"))
    else:
        media_type = exchange.media_type
        exchange.codes = [refusal.code]
        exchange.observe(metrics.INVALID, refusal.status)
    return graphql_error_response(
        refusal.status, refusal.code, refusal.message, refusal.headers, media_type=media_type
    )


class GraphQLEndpoint(GraphQL[Context, None]):
    """strawberry's ASGI view with the HTTP behaviour described in this module, served as a
    plain route: ``context_getter(request, response)`` makes each request's context."""

    def __init__(
        self,
        schema: Any,
        *,
        context_getter: Callable[[Request | WebSocket, Any], Awaitable[Context]],
        max_response_bytes: int,
        persisted_queries: PersistedQueries,
        operation_names: metrics.OperationNames,
        graphql_ide: Any,
    ) -> None:
        super().__init__(schema, graphql_ide=graphql_ide, allow_queries_via_get=True)
        self.context_getter = context_getter
        self.max_response_bytes = max_response_bytes
        self.persisted_queries = persisted_queries
        self.operation_names = operation_names

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = await self.context_getter(request, response)
        if not self.is_websocket_request(request):
            _exchange(request).context = context
        return context

    # --- the request ---------------------------------------------------------------

    async def run(  # type: ignore[override]
        self, request: Request, context: Context = UNSET, root_value: Any = UNSET
    ) -> Response:
        if self.is_websocket_request(request):  # no subscriptions; the base refuses them
            return await super().run(request, context, root_value)  # type: ignore[return-value]
        exchange = begin_exchange(request)
        try:
            response = await super().run(request, context, root_value)
        except HTTPException as exc:
            raise RequestRefused(exc.status_code, "BAD_REQUEST", exc.reason) from None
        if response.media_type == "text/html":  # GraphiQL
            return response
        made = exchange.context
        assert made is not None  # made before anything else runs
        name: str | None = made.operation_name
        if made.operation_type is not None:
            span = trace.get_current_span()
            span.set_attribute("graphql.operation.type", made.operation_type)
            if name:
                span.set_attribute("graphql.operation.name", name)
        response = self._finish(request, exchange, response)
        label = metrics.INVALID if exchange.request_error else self.operation_names.label(name)
        exchange.observe(label, response.status_code)
        return response

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET with only a persisted query's digest is an operation, not a page view.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """A GET's parameters; ``variables`` or ``extensions`` that are not JSON is a 400
        naming the parameter."""
        parsed = dict(params)
        for name in ("variables", "extensions"):
            if parsed.get(name):
                try:
                    parsed[name] = orjson.loads(parsed[name])
                except orjson.JSONDecodeError:
                    raise HTTPException(400, f"The {name} parameter is not JSON.") from None
        return parsed

    def decode_json(self, data: str | bytes) -> object:
        """The request body; anything but an object (or a batch, refused later) is a 400."""
        value = orjson.loads(data)
        if not isinstance(value, (dict, list)):
            raise HTTPException(400, "The request body must be a JSON object.")
        return value

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Context,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        exchange = _exchange(request)
        if not isinstance(request_data.operation_name, (str, type(None))):
            raise RequestRefused(400, "BAD_REQUEST", "operationName must be a string or null.")
        if isinstance(request_data.extensions, dict) and (
            "persistedQuery" in request_data.extensions
        ):
            self._resolve_persisted(request_data, exchange)
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError) and exchange.method == "GET":
                raise RequestRefused(
                    405,
                    "METHOD_NOT_ALLOWED",
                    "Mutations are sent with POST; GET is for queries only.",
                    {"Allow": "POST"},
                ) from None
            raise
        if exchange.register is not None and not is_request_error(result):
            self.persisted_queries.put(*exchange.register)
        return result

    def _resolve_persisted(self, data: GraphQLRequestData, exchange: Exchange) -> None:
        """Fills in the document of a persisted query, or notes one to keep."""
        assert isinstance(data.extensions, dict)
        persisted = data.extensions["persistedQuery"]
        if not self.persisted_queries.enabled:
            raise RequestRefused(200, "PERSISTED_QUERY_NOT_SUPPORTED", "PersistedQueryNotSupported")
        version = persisted.get("version") if isinstance(persisted, dict) else None
        if type(version) is not int or version != 1:  # not True, not 1.0
            raise RequestRefused(
                400,
                "BAD_REQUEST",
                "extensions.persistedQuery must be {version: 1, sha256Hash: …}; "
                "only version 1 is supported.",
            )
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest):
            raise RequestRefused(
                400,
                "BAD_REQUEST",
                "extensions.persistedQuery.sha256Hash must be a SHA-256 digest in hex.",
            )
        if data.query is None:
            found = self.persisted_queries.get(digest)
            if found is None:
                # 200, as Apollo Server answers: clients then send the document once more
                # (a 400 would make Apollo Client stop using persisted queries).
                raise RequestRefused(200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
            data.query = found
            return
        actual = hashlib.sha256(data.query.encode("utf-8", "surrogatepass")).hexdigest()
        if not hmac.compare_digest(actual, digest.lower()):
            raise RequestRefused(
                400,
                "BAD_REQUEST",
                "extensions.persistedQuery.sha256Hash is not the SHA-256 digest of the query.",
            )
        exchange.register = (digest, data.query)

    # --- the answer ----------------------------------------------------------------

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        exchange = _exchange(request)
        processed = strawberry_process_result(result)
        exchange.codes = [
            str((error.extensions or {}).get("code", "")) for error in result.errors or ()
        ]
        if is_request_error(result):
            exchange.request_error = True
            if exchange.media_type == GRAPHQL_RESPONSE_JSON:
                processed.pop("data", None)
        return processed

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """The response; one larger than the limit is replaced by an error saying so."""
        body = self.encode_json(response_data)
        if len(body) > self.max_response_bytes:
            log.warning("response too large", bytes=len(body), limit=self.max_response_bytes)
            body = orjson.dumps(
                {
                    "data": None,
                    "errors": [
                        {
                            "message": f"The response would exceed {self.max_response_bytes} "
                            "bytes; ask for smaller pages or fewer fields.",
                            "extensions": {
                                "code": "RESPONSE_TOO_LARGE",
                                "limit": self.max_response_bytes,
                            },
                        }
                    ],
                }
            )
        response = Response(body, status_code=sub_response.status_code or 200)
        response.headers.raw.extend(sub_response.headers.raw)
        return response

    def _finish(self, request: Request, exchange: Exchange, response: Response) -> Response:
        """Media type, status, and the caching headers of a GraphQL answer."""
        response.headers["Content-Type"] = _MEDIA_TYPES[exchange.media_type]
        if (
            exchange.request_error
            and exchange.media_type == GRAPHQL_RESPONSE_JSON
            and response.status_code == 200
        ):
            response.status_code = 400
        if exchange.method != "GET" or exchange.codes or response.status_code != 200:
            response.headers["Cache-Control"] = "no-store"
            return response
        etag = '"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'
        if exchange.media_type != JSON:
            etag = etag[:-1] + '-r"'  # another representation of the same result
        caching = {
            "ETag": etag,
            "Cache-Control": "private, no-cache",
            "Vary": "Accept, Authorization",
        }
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=caching)
        response.headers.update(caching)
        return response


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, RFC 9110 §13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))
