"""Log setup: JSON lines in production, readable lines in dev, never locals or SQL values.

Every line carries the request's ID (bound by ``RequestIdMiddleware``) when logged while
serving a request. Exceptions are rendered as their frames (file, line, function, source
line) and a message; a database error's message is reduced to its class and SQLSTATE, since
SQLAlchemy's text carries the statement and its parameters.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
import traceback
from typing import Any

import structlog
from sqlalchemy.exc import StatementError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.config import Settings

REQUEST_ID_HEADER = "x-request-id"
#: An incoming request ID is kept when it looks like one (as load balancers and tracing
#: systems make them); anything else is replaced by a fresh one.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")
_MAX_MESSAGE = 500


def safe_message(exc: BaseException) -> str:
    """What may be logged of an exception: never a statement or its parameters."""
    if isinstance(exc, StatementError):
        orig = exc.orig
        sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        name = type(orig).__name__ if orig is not None else type(exc).__name__
        return f"{name} (SQLSTATE {sqlstate})" if sqlstate else name
    text = str(exc)
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "…"


def format_exception(exc: BaseException) -> str:
    """A traceback without locals, and with database messages reduced by ``safe_message``."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    chain: list[BaseException] = []
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    for i, item in enumerate(reversed(chain)):
        if i:
            lines.append("During handling of the above exception, another was raised:")
        lines.append("Traceback (most recent call last):")
        lines.extend(
            line.rstrip("\n")
            for line in traceback.format_list(traceback.extract_tb(item.__traceback__))
        )
        lines.append(f"{type(item).__module__}.{type(item).__qualname__}: {safe_message(item)}")
    return "\n".join(lines)


def _render_exception(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    exc_info = event.pop("exc_info", None)
    if exc_info is None:
        return event
    if exc_info is True:
        exc_info = sys.exc_info()
    exc = exc_info if isinstance(exc_info, BaseException) else exc_info[1]
    if exc is not None:
        event["exception"] = format_exception(exc)
    return event


def configure_logging(settings: Settings) -> None:
    """Set up structlog for this process (idempotent)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _render_exception,
    ]
    renderer: Any
    if settings.is_production:
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=_StderrLogger,
        cache_logger_on_first_use=False,
    )


class _StderrLogger:
    """Writes each line to the process's standard error as it is when the line is logged."""

    def __init__(self, *args: Any) -> None:
        pass

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def request_id_of(value: str | None) -> str:
    """The incoming request ID when it is sane, else a new one."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return secrets.token_hex(16)


class RequestIdMiddleware:
    """Gives every HTTP request an ID: the caller's ``X-Request-ID`` when sane, else a new
    one. It is echoed in the response and bound to every log line of the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers") or ():
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = request_id_of(incoming)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        header = (REQUEST_ID_HEADER.encode(), request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.clear_contextvars()
