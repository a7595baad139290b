"""The ASGI application: /graphql, health probes, metrics and the dev issuer's documents."""

from __future__ import annotations

import asyncio
import gc
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, HTTPException, Request, Response, WebSocket
from fastapi.exception_handlers import http_exception_handler
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth.dev_issuer import DevIssuer
from service.auth.tokens import (
    InvalidToken,
    KeySourceError,
    RemoteKeySource,
    TokenClaims,
    TokenValidator,
)
from service.config import Settings, get_settings
from service.db import Database, Timeouts, current_revision, head_revision
from service.graphql.context import Context
from service.graphql.http import (
    GraphQLEndpoint,
    PersistedQueries,
    RequestRefused,
    refusal_response,
)
from service.graphql.schema import build_schema
from service.logs import RequestIdMiddleware, configure_logging, safe_message
from service.observability import metrics, tracing
from service.promotions.scheduler import run_scheduler
from service.webhooks.dispatcher import run_dispatcher

log = structlog.get_logger("careerpath")


@dataclass
class Runtime:
    """What lives for the whole process: settings, the pool and the token validator."""

    settings: Settings
    db: Database
    validator: TokenValidator
    dev_issuer: DevIssuer | None


def build_runtime(settings: Settings) -> Runtime:
    if not settings.database_url:
        raise RuntimeError(
            "CAREERPATH_DATABASE_URL is not set; start the service with `careerpath serve`, "
            "which starts the embedded PostgreSQL when no URL is given."
        )
    dev_issuer = None
    if settings.auth.issuer is None and settings.auth.jwks_url is None:
        if settings.is_production:
            raise RuntimeError("CAREERPATH_AUTH__ISSUER must be set in production.")
        dev_issuer = DevIssuer.load_or_create(
            settings.data_dir,
            settings.public_url,
            settings.auth.audience,
            org_claim=settings.auth.org_claim,
        )
        validator = TokenValidator(settings.auth, dev_issuer.key_source(), dev_issuer.issuer)
    else:
        assert settings.auth.issuer is not None  # AuthSettings requires it with a JWKS URL
        validator = TokenValidator(
            settings.auth, RemoteKeySource(settings.auth), settings.auth.issuer
        )
    return Runtime(
        settings=settings,
        db=Database(
            settings.database_url,
            pool_size=settings.pool_size,
            timeouts=Timeouts(
                connect=settings.db_connect_timeout_seconds,
                command=settings.db_command_timeout_seconds,
                pool=settings.db_pool_timeout_seconds,
                statement=settings.db_statement_timeout_seconds,
            ),
        ),
        validator=validator,
        dev_issuer=dev_issuer,
    )


def _bearer(request: HTTPConnection) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _invalid_token()
    return token.strip()


def _dev_issuer(request: Request) -> DevIssuer:
    """The built-in dev issuer, or a 404 where tokens come from an identity provider."""
    issuer: DevIssuer | None = request.app.state.runtime.dev_issuer
    if issuer is None:
        raise HTTPException(404, "careerpath issues no tokens here; see your identity provider")
    return issuer


def _invalid_token() -> RequestRefused:
    return RequestRefused(
        401,
        "UNAUTHENTICATED",
        "The access token is invalid or expired.",
        {"WWW-Authenticate": 'Bearer realm="careerpath", error="invalid_token"'},
    )


class BodySizeLimit:
    """Refuses request bodies larger than the limit with 413, without keeping them.

    The rest of a refused body is read and dropped (up to ``DRAIN_FACTOR`` times the limit)
    before the answer is sent: a server that answers and closes while the client is still
    uploading makes most clients report a reset connection instead of the 413."""

    DRAIN_FACTOR = 64

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._drain(receive, 0)
            await _send_413(send, self.max_bytes)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await self._drain(receive, seen)
            await _send_413(send, self.max_bytes)

    async def _drain(self, receive: Receive, seen: int) -> None:
        """Read and drop what is left of the body, up to a bound."""
        while seen <= self.max_bytes * self.DRAIN_FACTOR:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return
            seen += len(message.get("body", b""))


class _BodyTooLarge(Exception):
    pass


async def _send_413(send: Send, limit: int) -> None:
    body = orjson.dumps(
        {
            "errors": [
                {
                    "message": f"Request body larger than {limit} bytes. Import a large "
                    "framework document with the command line instead: "
                    "`careerpath framework import FILE`.",
                    "extensions": {"code": "REQUEST_TOO_LARGE"},
                }
            ]
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    tracer_provider: TracerProvider | None = None,
) -> FastAPI:
    """The application. Tests pass a ``runtime`` (and a ``tracer_provider`` of their own);
    ``careerpath serve`` builds both from settings."""
    settings = settings or (runtime.settings if runtime else get_settings())
    configure_logging(settings)
    provider = tracer_provider or tracing.configured_provider(settings)

    def instrument(rt: Runtime) -> None:
        metrics.count_statements(rt.db.engine.sync_engine)
        if provider is not None:
            tracing.trace_engine(rt.db.engine, provider)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "runtime", None) is None:
            app.state.runtime = build_runtime(settings)
            app.state.owns_runtime = True
        # Everything built so far (schema, metadata, caches) lives for the whole process:
        # keep it out of the collector's sight, and collect the youngest generation less
        # often, since each request allocates many short-lived objects. The older
        # generations keep their default ratio: under concurrent heavy requests, cyclic
        # garbage waiting for them is what a worker's peak memory is made of.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 10, 10)
        rt: Runtime = app.state.runtime
        if getattr(app.state, "owns_runtime", False):
            instrument(rt)
        stop_dispatcher = asyncio.Event()
        dispatcher = (
            asyncio.create_task(run_dispatcher(rt.db, rt.settings.webhooks, stop_dispatcher))
            if rt.settings.webhooks.dispatcher_in_serve
            else None
        )
        scheduler = asyncio.create_task(
            run_scheduler(rt.db, stop_dispatcher, rt.settings.promotion_schedule_seconds)
        )
        yield
        stop_dispatcher.set()
        if dispatcher is not None:
            await dispatcher
        await scheduler
        if getattr(app.state, "owns_runtime", False):
            await app.state.runtime.db.dispose()
        if provider is not None and tracer_provider is None:
            provider.shutdown()  # sends the spans still waiting

    app = FastAPI(
        title="careerpath",
        description="Headless career pathing over GraphQL. See /graphql.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None if settings.is_production else "/openapi.json",
    )
    app.state.runtime = runtime
    app.state.owns_runtime = False
    if runtime is not None:
        instrument(runtime)

    async def get_context(request: Request | WebSocket, response: Any) -> Context:
        rt: Runtime = request.app.state.runtime
        token = _bearer(request)
        claims: TokenClaims | None = None
        if token is not None:
            try:
                claims = await rt.validator.validate(token)
            except InvalidToken as exc:
                log.info("token rejected", reason=exc.reason)
                raise _invalid_token() from None
            except KeySourceError as exc:
                # The identity provider's keys cannot be had: not the caller's fault.
                log.error("identity provider keys unavailable", error=str(exc))
                raise RequestRefused(
                    503,
                    "SERVICE_UNAVAILABLE",
                    "The identity provider is unavailable; try again shortly.",
                    {"Retry-After": "5"},
                ) from None
        ctx = Context(rt, claims)
        ctx.request = request
        ctx.response = response
        return ctx

    graphql = GraphQLEndpoint(
        build_schema(settings),
        context_getter=get_context,
        graphql_ide=None if settings.is_production else "graphiql",
        max_response_bytes=settings.max_response_bytes,
        persisted_queries=PersistedQueries(settings.persisted_queries_max_chars),
        operation_names=metrics.OperationNames(settings.metrics.max_operation_names),
    )
    # A plain route: no dependency injection between the server and the endpoint.
    app.router.routes += [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
    ]

    @app.exception_handler(RequestRefused)
    async def refused(request: Request, exc: RequestRefused) -> Response:
        return refusal_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # The router refuses a method /graphql does not serve before the endpoint runs:
        # answered in GraphQL's shape, as every other refusal of a GraphQL request is.
        if exc.status_code == 405 and request.url.path == "/graphql":
            return refusal_response(
                request,
                RequestRefused(
                    405,
                    "METHOD_NOT_ALLOWED",
                    f"{request.method} is not served here: send GraphQL requests with GET "
                    "(queries) or POST.",
                    {"Allow": "GET, POST"},
                ),
            )
        return await http_exception_handler(request, exc)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    readiness: dict[str, asyncio.Task[str | None]] = {}

    async def read_revision(db: Database) -> str | None:
        async with db.engine.connect() as conn:
            return await current_revision(conn)

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        """The database answers and its schema is at the latest migration, found out within
        ``readyz_timeout_seconds``: a check still waiting on a frozen database is left to
        finish in the background (one at a time) while the probe is answered."""
        rt: Runtime = request.app.state.runtime
        check = readiness.get("check")
        if check is None or check.done():
            check = readiness["check"] = asyncio.create_task(read_revision(rt.db))
        done, _ = await asyncio.wait({check}, timeout=rt.settings.readyz_timeout_seconds)
        if not done:
            log.warning("database not ready", error="no answer in time")
            return JSONResponse(
                {"status": "unavailable", "database": "not answering"},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        try:
            revision = check.result()
        except Exception as exc:
            log.warning("database not ready", error=safe_message(exc))
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable"},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        head = head_revision()
        if revision != head:
            return JSONResponse(
                {
                    "status": "unavailable",
                    "database": "migrations pending",
                    "revision": revision,
                    "head": head,
                },
                status_code=503,
            )
        return JSONResponse({"status": "ok", "revision": revision})

    if settings.metrics.enabled:
        metrics_token = settings.metrics.token

        @app.get("/metrics", include_in_schema=False)
        async def prometheus_metrics(request: Request) -> Response:
            """Prometheus metrics; with ``metrics.token`` set, only for that bearer token."""
            if metrics_token is not None:
                given = (request.headers.get("authorization") or "").encode()
                expected = f"Bearer {metrics_token.get_secret_value()}".encode()
                if not hmac.compare_digest(given, expected):
                    return Response(
                        "Metrics need the configured bearer token.\n",
                        status_code=401,
                        media_type="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="careerpath-metrics"'},
                    )
            return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/.well-known/jwks.json", include_in_schema=False)
    async def jwks(request: Request) -> dict[str, Any]:
        return _dev_issuer(request).jwks()

    @app.get("/.well-known/openid-configuration", include_in_schema=False)
    async def openid_configuration(request: Request) -> dict[str, Any]:
        return _dev_issuer(request).openid_configuration()

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # Outermost: refusals of the body limit carry the CORS headers and the request ID too.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID", "If-None-Match"],
        expose_headers=["X-Request-ID", "Retry-After", "WWW-Authenticate", "ETag"],
        max_age=600,
    )
    app.add_middleware(RequestIdMiddleware)
    if provider is not None:
        tracing.trace_app(app, provider)
    return app
