"""The load generator: a lean HTTP/1.1 keep-alive client on asyncio (uvloop), in its own process.

    python -m bench.loadgen < specs.jsonl > results.jsonl

Each input line is a spec, answered by one output line with its results as soon as its
jobs are done (so one process serves a whole run, and the runner can read the server's
CPU time between specs). A spec names a host and port on 127.0.0.1 and a list of jobs; each job sends one
pre-encoded request (method, headers and body, bytes ready to write) over ``clients``
keep-alive connections, first ``warmup`` times per client unrecorded (for at most
``max_seconds``), then until
``max_requests`` are done or ``max_seconds`` have passed, whichever comes first. Every
response is checked: status 200 and no ``"errors"`` member in the body.

It is written against the socket rather than with an HTTP library so that the client
costs as little CPU as possible on a machine it shares with the server and PostgreSQL;
it reports its own CPU time so that cost stays visible.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

ALLOWED_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass
class Job:
    name: str
    request: bytes
    clients: int = 1
    warmup: int = 10
    max_requests: int = 200
    max_seconds: float = 10.0


@dataclass
class Outcome:
    latencies_ns: list[int] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    warmed: int = 0  # warm-up requests sent (fewer than asked when they are slow)


class ProtocolError(Exception):
    pass


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    try:
        status = int(head[9:12])
    except ValueError as exc:
        raise ProtocolError(f"bad status line: {head[:40]!r}") from exc
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if length is not None:
        return status, await reader.readexactly(length)
    if not chunked:
        raise ProtocolError("response without length")
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return status, bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


def check(status: int, body: bytes) -> str | None:
    """Why a response is not a success, or None."""
    if status != 200:
        return f"HTTP {status}: {body[:300].decode(errors='replace')}"
    if b'"errors"' in body:
        return body[:500].decode(errors="replace")
    return None


# Less than uvicorn's keep-alive timeout (5 s): a connection idle longer is reopened.
IDLE_SECONDS = 2.0


async def client(
    host: str,
    port: int,
    job: Job,
    outcome: Outcome,
    start: asyncio.Event,
    ready: list[int],
    deadline: list[float],
    budget: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        warm_until = time.perf_counter() + job.max_seconds
        for _ in range(job.warmup):
            if time.perf_counter() > warm_until:  # slow requests: enough warming
                break
            writer.write(job.request)
            status, body = await read_response(reader)
            outcome.warmed += 1
            problem = check(status, body)
            if problem is not None and outcome.first_error is None:
                outcome.first_error = problem
        ready[0] += 1
        if ready[0] == job.clients:
            deadline[0] = time.perf_counter() + job.max_seconds
            start.set()
        idle_since = time.perf_counter()
        await start.wait()
        if time.perf_counter() - idle_since > IDLE_SECONDS:
            # The server may have closed the idle keep-alive connection meanwhile (slow
            # operations: other clients were still warming up): start on a fresh one.
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
        while budget[0] > 0 and time.perf_counter() < deadline[0]:
            budget[0] -= 1
            t = time.perf_counter_ns()
            writer.write(job.request)
            status, body = await read_response(reader)
            outcome.latencies_ns.append(time.perf_counter_ns() - t)
            problem = check(status, body)
            if problem is not None:
                outcome.errors += 1
                if outcome.first_error is None:
                    outcome.first_error = problem
    finally:
        writer.close()


def percentile(sorted_ns: list[int], q: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not sorted_ns:
        return math.nan
    rank = max(1, math.ceil(q * len(sorted_ns)))
    return sorted_ns[rank - 1] / 1e6


def summarize(latencies_ns: list[int], elapsed: float) -> dict[str, Any]:
    ordered = sorted(latencies_ns)
    return {
        "count": len(ordered),
        "p50_ms": percentile(ordered, 0.50),
        "p95_ms": percentile(ordered, 0.95),
        "p99_ms": percentile(ordered, 0.99),
        "max_ms": ordered[-1] / 1e6 if ordered else math.nan,
        "mean_ms": sum(ordered) / len(ordered) / 1e6 if ordered else math.nan,
        "rps": len(ordered) / elapsed if elapsed > 0 else math.nan,
        "seconds": elapsed,
    }


async def run_job(host: str, port: int, job: Job) -> dict[str, Any]:
    outcome = Outcome()
    start = asyncio.Event()
    ready, deadline, budget = [0], [0.0], [job.max_requests]
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    tasks = [
        asyncio.create_task(client(host, port, job, outcome, start, ready, deadline, budget))
        for _ in range(job.clients)
    ]
    await start.wait()
    t0 = time.perf_counter()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    result = summarize(outcome.latencies_ns, elapsed)
    result.update(
        name=job.name,
        clients=job.clients,
        errors=outcome.errors,
        first_error=outcome.first_error,
        warmed=outcome.warmed,
        client_cpu_seconds=(cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
    )
    return result


async def run(spec: dict[str, Any]) -> list[dict[str, Any]]:
    host, port = spec["host"], int(spec["port"])
    if host not in ALLOWED_HOSTS:
        raise SystemExit(f"refusing to load anything but this machine, not {host}")
    results = []
    for raw in spec["jobs"]:
        job = Job(
            name=raw["name"],
            request=base64.b64decode(raw["request"]),
            clients=int(raw.get("clients", 1)),
            warmup=int(raw.get("warmup", 10)),
            max_requests=int(raw.get("max_requests", 200)),
            max_seconds=float(raw.get("max_seconds", 10.0)),
        )
        results.append(await run_job(host, port, job))
    return results


def encode_request(
    host: str, port: int, path: str, body: bytes, headers: dict[str, str] | None = None
) -> bytes:
    """A keep-alive POST, bytes ready to write."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        "Accept: application/json",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def main() -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        pass
    for line in sys.stdin:
        if not line.strip():
            continue
        results = asyncio.run(run(json.loads(line)))
        sys.stdout.write(json.dumps(results) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
