"""Prometheus metrics of GraphQL requests and caches, served at ``/metrics``.

| metric | labels | what |
|---|---|---|
| `careerpath_graphql_request_duration_seconds` | `operation`, `outcome` | time from the request reaching the endpoint to its answer |
| `careerpath_graphql_statements_per_request` | `operation` | SQL statements one request sent |
| `careerpath_cache_lookups_total` | `cache`, `result` | lookups of the service's caches, `hit` or `miss` |

Label values stay few: `operation` is the operation's name for the first
``max_operation_names`` distinct names seen by the process, `other` after that,
`anonymous` for unnamed operations and `invalid` for requests that never ran (they did
not parse or validate, or were refused first); `outcome` is one of ``OUTCOMES``.

With several worker processes (``PROMETHEUS_MULTIPROC_DIR`` set, as ``serve --workers N``
does), every worker writes its figures to that directory and ``/metrics`` sums them, so a
scrape reaching any worker sees the whole server.
"""

from __future__ import annotations

import contextvars
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.engine import Engine

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

REQUEST_SECONDS = Histogram(
    "careerpath_graphql_request_duration_seconds",
    "Time to answer a GraphQL request, by operation name and outcome.",
    ["operation", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0),
)
STATEMENTS = Histogram(
    "careerpath_graphql_statements_per_request",
    "SQL statements sent for one GraphQL request, by operation name.",
    ["operation"],
    buckets=(0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128),
)
CACHE_LOOKUPS = Counter(
    "careerpath_cache_lookups",
    "Lookups in the service's caches, by cache and result (hit or miss).",
    ["cache", "result"],
)

#: Every value of the ``outcome`` label.
OUTCOMES = ("ok", "refused", "denied", "unavailable", "error")
ANONYMOUS, OTHER, INVALID = "anonymous", "other", "invalid"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")


_children: dict[tuple[Any, ...], Any] = {}


def child(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, looked up once per process: label values are few (see
    above), and a request records several figures."""
    key = (metric, *labels)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*labels)
    return found


def cache_lookup(cache: str, *, hit: bool) -> None:
    """Count one lookup in ``cache`` (a fixed name, e.g. ``persisted_queries``)."""
    child(CACHE_LOOKUPS, cache, "hit" if hit else "miss").inc()


def observe_request(operation: str, outcome: str, seconds: float, statements: int) -> None:
    """Record one GraphQL request: its duration and the statements it sent."""
    child(REQUEST_SECONDS, operation, outcome).observe(seconds)
    child(STATEMENTS, operation).observe(statements)


def outcome(status: int, codes: Iterable[str]) -> str:
    """The ``outcome`` label of an answer from its HTTP status and error codes."""
    found = set(codes)
    if status >= 500 or "SERVICE_UNAVAILABLE" in found:
        return "unavailable"
    if "INTERNAL_SERVER_ERROR" in found:
        return "error"
    if status in (401, 403) or found & {"UNAUTHENTICATED", "FORBIDDEN"}:
        return "denied"
    if status >= 400 or found:
        return "refused"
    return "ok"


class OperationNames:
    """The ``operation`` label: a name of its own for the first ``limit`` distinct
    operation names, ``other`` for any later one."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._known: set[str] = set()

    def label(self, name: str | None) -> str:
        if not name:
            return ANONYMOUS
        if name in self._known:
            return name
        if not _NAME.fullmatch(name) or len(self._known) >= self.limit:
            return OTHER
        self._known.add(name)
        return name


class StatementCount:
    """Statements sent while serving one request (see ``count_statements``)."""

    def __init__(self) -> None:
        self.count = 0


_current: contextvars.ContextVar[StatementCount | None] = contextvars.ContextVar(
    "careerpath_statements", default=None
)


def start_counting() -> StatementCount:
    """Count the statements this task sends from now on."""
    counter = StatementCount()
    _current.set(counter)
    return counter


def _count(*_: Any) -> None:
    counter = _current.get()
    if counter is not None:
        counter.count += 1


def count_statements(engine: Engine) -> None:
    """Count each statement ``engine`` sends in the counter of the task sending it."""
    if not event.contains(engine, "before_cursor_execute", _count):
        event.listen(engine, "before_cursor_execute", _count)


def exposition() -> bytes:
    """The text ``/metrics`` serves: this process's metrics, or every worker's."""
    if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def share_between_workers(directory: Path) -> None:
    """Have the worker processes started from now on pool their metrics in ``directory``
    (emptied first: figures of an earlier run must not count)."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[MULTIPROCESS_DIR_VARIABLE] = str(directory)
