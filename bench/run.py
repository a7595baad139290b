"""Run the benchmark: one command from a generated organization to the table of figures.

    uv run python -m bench.run --employees 10000            # one size
    uv run python -m bench.run --employees 1000,10000,50000  # scaling

For each size: generate (or reuse) the database; start a small OIDC issuer and
``careerpath serve`` in production mode against the database, with one worker and then
two; for each measurable operation check the response, count its SQL statements
(pg_stat_statements, at each of its page sizes), then drive it with the load generator
(``bench.loadgen``, its own process): one client for p50/p95/p99, then 16 clients for
throughput and p99, while sampling the server's resident memory. Then the floors: the
operation's SQL statements run directly through asyncpg, and a bare ASGI app under the
same uvicorn settings answering with the recorded response bytes.

Results go to ``bench/results/<timestamp>.json`` and ``.md``; the table is printed.
Everything listens and connects on 127.0.0.1 only; every loop is bounded in requests and time.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import os
import platform
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import psutil

from bench import generate, operations, pg, report, strawberry_floor
from bench.bare_app import body_key
from bench.issuer import Issuer
from bench.loadgen import encode_request, percentile
from service.db import asyncpg_dsn

HOST = "127.0.0.1"
RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Options:
    sizes: list[int]
    seed: int
    workers: list[int]
    clients: int
    warmup: int
    requests: int
    seconds: float
    throughput_seconds: float
    throughput_requests: int
    statement_samples: int
    operations: list[str]
    data_dir: Path | None
    database_url: str | None
    force: bool
    out: Path
    bare: bool
    quick: bool = False
    strawberry_floor: bool = True
    server_python: str = sys.executable


def machine_info() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def server_python_version(python: str) -> str:
    done = subprocess.run(
        [python, "-c", "import sys, sysconfig; print(sys.version.split()[0], sys.executable)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class RssMonitor(threading.Thread):
    """Samples the resident memory of a process tree until stopped; keeps the peaks."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peaks: dict[int, tuple[int, str]] = {}
        self.tree_peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def sample(self) -> None:
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return
        total = 0
        for p in procs:
            try:
                rss = p.memory_info().rss
                if p.pid not in self.peaks:
                    self.peaks[p.pid] = (rss, " ".join(p.cmdline())[:200])
                elif rss > self.peaks[p.pid][0]:
                    self.peaks[p.pid] = (rss, self.peaks[p.pid][1])
            except psutil.Error:
                continue
            total += rss
        self.tree_peak = max(self.tree_peak, total)

    def stop(self) -> dict[str, Any]:
        self._stop_event.set()
        self.join(timeout=5)
        self.sample()
        workers = [rss for pid, (rss, cmd) in self.peaks.items() if "spawn_main" in cmd]
        if not workers:  # one worker: uvicorn serves in the `serve` process itself
            workers = [self.peaks.get(self.root.pid, (0, ""))[0]]
        return {
            "worker_peak_mb": round(max(workers) / 2**20, 1),
            "tree_peak_mb": round(self.tree_peak / 2**20, 1),
            "processes": {
                str(pid): {"peak_mb": round(rss / 2**20, 1), "cmd": cmd}
                for pid, (rss, cmd) in self.peaks.items()
            },
        }


class Process:
    """A server subprocess on 127.0.0.1 with its output in a log file."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], port: int, log: Path):
        self.name = name
        self.port = port
        self.base = f"http://{HOST}:{port}"
        self.log = log
        self._log_file = log.open("w")
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, path: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.base + path, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"{self.name} not ready in {timeout:.0f} s:\n{self.log.read_text()[-3000:]}"
        )

    def wait_listening(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()}") from None
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} is not listening after {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log_file.close()


def service_env(db: pg.BenchDatabase, issuer_url: str, port: int, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERPATH_")}
    env.update(
        CAREERPATH_ENV="production",
        CAREERPATH_DATABASE_URL=db.app_url,
        CAREERPATH_MIGRATION_DATABASE_URL=db.owner_url,
        CAREERPATH_AUTH__ISSUER=issuer_url,
        CAREERPATH_PUBLIC_URL=f"http://{HOST}:{port}",
        CAREERPATH_DATA_DIR=str(workdir / "serve"),
        # The API alone: no background jobs whose statements would land in the server log
        # between an operation's markers (and in its replayed floor). The scheduler's one
        # round at startup is over before the first request.
        CAREERPATH_PROMOTION_SCHEDULE_SECONDS="86400",
        CAREERPATH_WEBHOOKS__DISPATCHER_IN_SERVE="false",
    )
    return env


@contextmanager
def service(
    db: pg.BenchDatabase,
    issuer_url: str,
    workers: int,
    workdir: Path,
    python: str = sys.executable,
) -> Iterator[tuple[Process, RssMonitor]]:
    port = free_port()
    cmd = [python, "-m", "service.cli", "serve", "--host", HOST, "--port", str(port)]
    cmd += ["--workers", str(workers)]
    proc = Process(
        f"careerpath serve ({workers} worker{'s' if workers > 1 else ''})",
        cmd,
        service_env(db, issuer_url, port, workdir),
        port,
        workdir / f"serve-{workers}.log",
    )
    monitor: RssMonitor | None = None
    try:
        proc.wait_ready("/readyz")
        monitor = RssMonitor(proc.proc.pid)
        monitor.start()
        yield proc, monitor
    finally:
        if monitor is not None and monitor.is_alive():
            monitor.stop()
        proc.stop()


@contextmanager
def uvicorn_floor(name: str, app: str, env_var: str, record: Any, path: Path) -> Iterator[Process]:
    """A floor app (``module:app``) under uvicorn with the service's settings, reading
    ``record`` (written as JSON to ``path``) from the file named by ``env_var``."""
    path.write_text(json.dumps(record))
    port = free_port()
    env = {**os.environ, env_var: str(path)}
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", HOST]
    cmd += ["--port", str(port), "--loop", "uvloop", "--http", "httptools"]
    cmd += ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    proc = Process(name, cmd, env, port, path.with_suffix(".log"))
    try:
        yield proc
    finally:
        proc.stop()


def bare_server(responses: dict[str, str], workdir: Path) -> AbstractContextManager[Process]:
    return uvicorn_floor(
        "bare ASGI app",
        "bench.bare_app:app",
        "BENCH_BARE_RESPONSES",
        responses,
        workdir / "bare-responses.json",
    )


def strawberry_floor_server(
    body: bytes, response: str, workdir: Path
) -> AbstractContextManager[Process]:
    """``bench.strawberry_floor`` serving one recorded request's response shape."""
    return uvicorn_floor(
        "strawberry floor",
        "bench.strawberry_floor:app",
        "BENCH_FLOOR_RECORD",
        {"body": body.decode(), "response": response},
        workdir / "strawberry-floor.json",
    )


def measure_strawberry_floor(
    ops: list[operations.Operation],
    bodies: dict[str, bytes],
    tokens: dict[str, str],
    responses: dict[str, str],
    workdir: Path,
    opts: Options,
) -> dict[str, dict[str, Any]]:
    """Per operation: the response's field count and, one client, the CPU per request of
    strawberry serving the same shape from memory (``bench.strawberry_floor``)."""
    out: dict[str, dict[str, Any]] = {}
    for op in ops:
        body = bodies[op.name]
        response = responses[body_key(body)]
        data = json.loads(response)["data"]
        try:
            strawberry_floor.floor_source(json.loads(body), data)
        except ValueError as refused:
            print(f"  strawberry floor: {op.name} skipped ({refused})", flush=True)
            continue
        with strawberry_floor_server(body, response, workdir) as floor:
            floor.wait_listening()
            jobs = [
                j
                for j in jobs_for([op], bodies, tokens, floor.port, opts)
                if j["name"].endswith("/latency")
            ]
            measured = drive(floor.port, floor.proc.pid, None, jobs)[op.name]
        if measured["latency"].get("errors"):
            print(f"  strawberry floor: {op.name} left out (its answers had errors)", flush=True)
            continue
        out[op.name] = {"fields": strawberry_floor.count_fields(data), **measured}
    return out


class LoadGenerator:
    """The load generator process (``bench.loadgen``), kept for the whole run."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.loadgen"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, port: int, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"host": HOST, "port": port, "jobs": jobs}) + "\n")
        self.proc.stdin.flush()
        # Warm-up and measurement are each bounded by max_seconds (plus one slow request).
        budget = sum(2 * float(j["max_seconds"]) + 60 for j in jobs)
        ready, _, _ = select.select([self.proc.stdout], [], [], budget)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.proc.kill()
            stderr = self.proc.stderr.read() if self.proc.stderr else ""
            self.close()
            raise RuntimeError(f"load generator failed or timed out:\n{stderr[-3000:]}")
        results: list[dict[str, Any]] = json.loads(line)
        return results

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


_loadgen: LoadGenerator | None = None


def loadgen_start() -> LoadGenerator:
    global _loadgen
    if _loadgen is None or _loadgen.proc.poll() is not None:
        _loadgen = LoadGenerator()
    return _loadgen


def loadgen(port: int, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run ``jobs`` against 127.0.0.1:``port`` in the load generator process."""
    return loadgen_start().run(port, jobs)


def close_loadgen() -> None:
    global _loadgen
    if _loadgen is not None:
        _loadgen.close()
        _loadgen = None


def graphql_body(op: operations.Operation, facts: dict[str, Any], page: int) -> bytes:
    return orjson.dumps({"query": op.query, "variables": op.variables(facts, page)})


def jobs_for(
    ops: list[operations.Operation],
    bodies: dict[str, bytes],
    tokens: dict[str, str],
    port: int,
    opts: Options,
) -> list[dict[str, Any]]:
    jobs = []
    for op in ops:
        request = encode_request(
            HOST,
            port,
            "/graphql",
            bodies[op.name],
            {"Authorization": f"Bearer {tokens[op.persona]}"},
        )
        encoded = base64.b64encode(request).decode()
        jobs.append(
            {
                "name": f"{op.name}/latency",
                "request": encoded,
                "clients": 1,
                "warmup": opts.warmup,
                "max_requests": opts.requests,
                "max_seconds": opts.seconds,
            }
        )
        jobs.append(
            {
                "name": f"{op.name}/throughput",
                "request": encoded,
                "clients": opts.clients,
                "warmup": min(3, opts.warmup),
                "max_requests": opts.throughput_requests,
                "max_seconds": opts.throughput_seconds,
            }
        )
    return jobs


def post(client: httpx.Client, body: bytes, token: str) -> tuple[bytes, dict[str, Any]]:
    response = client.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    payload = response.json()
    if response.status_code != 200 or payload.get("errors"):
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:1000]}")
    return response.content, payload["data"]


class StatementCounter:
    """Statements per request: from the server log (embedded PostgreSQL, exact) or from
    pg_stat_statements (your own server; misses re-executed prepared utility statements)."""

    def __init__(self, db: pg.BenchDatabase) -> None:
        self.log = pg.StatementLog(db)
        self.stats = pg.StatementStats(db)
        self.method = "unavailable"

    def __enter__(self) -> StatementCounter:
        if self.log.available:
            asyncio.run(self.log.enable())
            self.method = "server log (log_statement = all)"
        elif asyncio.run(self.stats.setup()):
            self.method = "pg_stat_statements"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.method.startswith("server log"):
            asyncio.run(self.log.disable())

    def capture(self, send: Any) -> list[pg.LoggedStatement] | None:
        """The statements of one request, with their parameters (server log only)."""
        if not self.method.startswith("server log"):
            return None
        mark = self.log.mark()
        send()
        self._settle(mark)
        return self.log.sequence_since(mark)

    def _settle(self, mark: int) -> None:
        """Wait until everything logged so far is in the log file (a marker statement
        written after the requests has arrived); the log is read up to the marker."""
        token = asyncio.run(self.log.write_marker())
        deadline = time.monotonic() + 10
        while not self.log.contains(mark, token):
            if time.monotonic() > deadline:
                raise RuntimeError("the server log did not catch up within 10 s")
            time.sleep(0.01)

    def count(self, send: Any, samples: int) -> tuple[float, list[tuple[str, float]]]:
        if self.method.startswith("server log"):
            mark = self.log.mark()
            for _ in range(samples):
                send()
            self._settle(mark)
            found = self.log.read_since(mark)
        elif self.method == "pg_stat_statements":
            asyncio.run(self.stats.reset())
            for _ in range(samples):
                send()
            found = asyncio.run(self.stats.read())
        else:
            return float("nan"), []
        total = sum(calls for _, calls in found) / samples
        return total, [(q[:600], calls / samples) for q, calls in found]


def probe(
    client: httpx.Client,
    counter: StatementCounter,
    ops: list[operations.Operation],
    facts: dict[str, Any],
    tokens: dict[str, str],
    samples: int,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Check each operation's response, record it (for the bare floor) and count its
    statements at each page size."""
    found: dict[str, dict[str, Any]] = {}
    responses: dict[str, str] = {}
    for op in ops:
        token = tokens[op.persona]
        per_page: dict[str, float] = {}
        texts: list[tuple[str, float]] = []
        raw = b""
        for page in op.page_sizes:
            body = graphql_body(op, facts, page)
            raw, data = post(client, body, token)
            problem = op.check(data, facts, page)
            if problem is not None:
                raise RuntimeError(f"{op.name} (page {page}): unexpected response: {problem}")
            if page == op.page:
                responses[body_key(body)] = raw.decode()
            per_page[str(page)], listed = counter.count(
                lambda body=body, token=token: post(client, body, token), samples
            )
            if page == op.page:
                texts = listed
        body = graphql_body(op, facts, op.page)
        replay = counter.capture(lambda body=body, token=token: post(client, body, token))
        found[op.name] = {
            "statements": per_page,
            "statement_texts": texts,
            "response_bytes": len(raw),
            "workers": {},
            "replay": [asdict(s) for s in replay] if replay is not None else None,
        }
    return found, responses


def tree_cpu(pid: int | None) -> float:
    """CPU seconds of a process and its descendants, including those that have exited."""
    if pid is None:
        return float("nan")
    try:
        root = psutil.Process(pid)
        times = root.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in root.children(recursive=True):
            try:
                t = child.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                continue
        return total
    except psutil.Error:
        return float("nan")


def drive(
    port: int, api_pid: int, postgres_pid: int | None, jobs: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Run the jobs one load-generator process each, with CPU per request of the API
    process tree and of PostgreSQL."""
    out: dict[str, dict[str, Any]] = {}
    for job in jobs:
        load_before = load_average()
        api0, pg0 = tree_cpu(api_pid), tree_cpu(postgres_pid)
        result = loadgen(port, [job])[0]
        api1, pg1 = tree_cpu(api_pid), tree_cpu(postgres_pid)
        count = max(1, result["count"] + result["warmed"])
        result["api_cpu_ms"] = (api1 - api0) / count * 1000
        result["postgres_cpu_ms"] = (pg1 - pg0) / count * 1000
        result["client_cpu_ms"] = result["client_cpu_seconds"] / count * 1000
        result["load_average_before"] = load_before
        name, mode = job["name"].split("/")
        out.setdefault(name, {})[mode] = result
    return out


def measure_floor(
    db: pg.BenchDatabase,
    ops: list[operations.Operation],
    opts: Options,
    replays: dict[str, list[pg.LoggedStatement]],
) -> dict[str, dict[str, Any]]:
    async def run() -> dict[str, dict[str, Any]]:
        conn = await asyncpg.connect(asyncpg_dsn(db.app_url))
        out = {}
        try:
            for op in ops:
                warmup, runs, seconds = opts.warmup, opts.requests, opts.seconds
                if op.name in replays:
                    latencies, statements = await operations.time_replay(
                        conn,
                        operations.Replay(replays[op.name]),
                        warmup=warmup,
                        max_runs=runs,
                        max_seconds=seconds,
                    )
                else:
                    continue
                ordered = sorted(latencies)
                out[op.name] = {
                    "count": len(ordered),
                    "p50_ms": percentile(ordered, 0.5),
                    "p95_ms": percentile(ordered, 0.95),
                    "p99_ms": percentile(ordered, 0.99),
                    "statements": statements,
                }
        finally:
            await conn.close()
        return out

    import uvloop

    return uvloop.run(run())


def run_size(
    server: pg.Server, issuer: Issuer, employees: int, opts: Options, workdir: Path
) -> dict[str, Any]:
    ops = operations.by_name(opts.operations)
    print(f"\n== {employees} employees ==", flush=True)
    gen = generate.ensure(server, employees, opts.seed, force=opts.force)
    facts = asyncio.run(generate.facts(gen))
    tokens = {
        name: issuer.mint(p["subject"], org=facts["org_slug"], scopes=p["scopes"])
        for name, p in facts["personas"].items()
    }
    bodies = {op.name: graphql_body(op, facts, op.page) for op in ops}
    result: dict[str, Any] = {
        "employees": employees,
        "seed": opts.seed,
        "generation": {
            "seconds": gen.seconds,
            "reused": gen.reused,
            "stages": gen.stage_seconds,
            "rows": gen.rows,
        },
        "personas": facts["personas"],
        "operations": {},
        "rss": {},
        "load_average": {"start": load_average()},
    }
    postgres_pid = server.postmaster_pid()

    def load(proc: Process) -> dict[str, dict[str, Any]]:
        print(f"  {proc.name}: load generator running", flush=True)
        jobs = jobs_for(ops, bodies, tokens, proc.port, opts)
        return drive(proc.port, proc.proc.pid, postgres_pid, jobs)

    print("  checking responses, counting statements", flush=True)
    with (
        StatementCounter(gen.database) as counter,  # before the service: it sets a role option
        service(gen.database, issuer.url, opts.workers[0], workdir, opts.server_python) as (
            proc,
            monitor,
        ),
        httpx.Client(base_url=proc.base, timeout=60) as client,
    ):
        op_results, responses = probe(client, counter, ops, facts, tokens, opts.statement_samples)
        result["statement_counting"] = counter.method
        if opts.quick:
            # Smoke runs measure on this server (statement logging on) to save a restart.
            measured = load(proc)
            result["rss"][str(opts.workers[0])] = monitor.stop()
            for op in ops:
                op_results[op.name]["workers"][str(opts.workers[0])] = measured[op.name]
    for workers in opts.workers if not opts.quick else []:
        with service(gen.database, issuer.url, workers, workdir, opts.server_python) as (
            proc,
            monitor,
        ):
            measured = load(proc)
            result["rss"][str(workers)] = monitor.stop()
        for op in ops:
            op_results[op.name]["workers"][str(workers)] = measured[op.name]
    with bare_server(responses, workdir) if opts.bare else nullcontext() as bare:
        # The bare app starts while the SQL floor runs; idle, it costs nothing.
        print("  SQL floor", flush=True)
        replays = {
            name: [pg.LoggedStatement(**s) for s in found["replay"]]
            for name, found in op_results.items()
            if found.get("replay")
        }
        floors = measure_floor(gen.database, ops, opts, replays)
        for name, floor in floors.items():
            op_results[name]["floor"] = floor
        if bare is not None:
            print("  bare ASGI floor", flush=True)
            bare.wait_listening()
            measured = drive(
                bare.port, bare.proc.pid, None, jobs_for(ops, bodies, tokens, bare.port, opts)
            )
            for op in ops:
                op_results[op.name]["bare"] = measured[op.name]
    if opts.strawberry_floor:
        print("  strawberry floor", flush=True)
        for name, found in measure_strawberry_floor(
            ops, bodies, tokens, responses, workdir, opts
        ).items():
            op_results[name]["strawberry_floor"] = found
    result["operations"] = op_results
    result["load_average"]["end"] = load_average()
    return result


def parse_sizes(value: str) -> list[int]:
    sizes = []
    for part in value.split(","):
        part = part.strip().lower().replace("_", "")
        factor = 1000 if part.endswith("k") else 1
        sizes.append(int(part.rstrip("k")) * factor)
    return sizes


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument(
        "--employees",
        default="10000",
        help="sizes, comma separated (e.g. 1000,10000,50000 or 1k,10k)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, e.g. 1,2")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients for throughput")
    parser.add_argument(
        "--warmup", type=int, default=20, help="unrecorded requests per client first"
    )
    parser.add_argument("--requests", type=int, default=400, help="most requests with one client")
    parser.add_argument("--seconds", type=float, default=10.0, help="most seconds with one client")
    parser.add_argument("--throughput-seconds", type=float, default=10.0)
    parser.add_argument("--throughput-requests", type=int, default=100_000)
    parser.add_argument("--statement-samples", type=int, default=5)
    parser.add_argument(
        "--operations", default="", help="comma separated (default: all measurable)"
    )
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--database-url", default=None, help="admin URL of your own PostgreSQL")
    parser.add_argument("--force", action="store_true", help="regenerate the databases")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--no-bare", action="store_true", help="skip the bare-ASGI floor")
    parser.add_argument(
        "--no-strawberry-floor",
        action="store_true",
        help="skip the strawberry floor (the same response shape served from memory)",
    )
    parser.add_argument(
        "--server-python",
        default=sys.executable,
        help="interpreter of another environment with the project installed, to serve with "
        "(e.g. to compare Python builds); default: this one",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a few requests per operation and one worker (smoke test)",
    )
    args = parser.parse_args(argv)
    opts = Options(
        sizes=parse_sizes(args.employees),
        seed=args.seed,
        workers=[int(w) for w in args.workers.split(",") if w.strip()],
        clients=args.clients,
        warmup=args.warmup,
        requests=args.requests,
        seconds=args.seconds,
        throughput_seconds=args.throughput_seconds,
        throughput_requests=args.throughput_requests,
        statement_samples=args.statement_samples,
        operations=[o.strip() for o in args.operations.split(",") if o.strip()],
        data_dir=args.data_dir,
        database_url=args.database_url,
        force=args.force,
        out=args.out,
        bare=not args.no_bare,
        strawberry_floor=not args.no_strawberry_floor,
        server_python=args.server_python,
    )
    if args.quick:
        opts.quick = True
        opts.strawberry_floor = False  # tests/bench/test_strawberry_floor.py covers it
        opts.workers = opts.workers[:1]
        opts.clients, opts.warmup, opts.requests, opts.seconds = 2, 0, 2, 0.2
        opts.throughput_seconds, opts.throughput_requests = 0.2, 20
        opts.statement_samples = 1
    return opts


def main(argv: list[str] | None = None) -> dict[str, Any]:
    opts = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    results: dict[str, Any] = {"started": started.isoformat(timespec="seconds"), "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="careerpath-bench-") as tmp:
        workdir = Path(tmp)
        issuer = Issuer(workdir)  # the issuer and the load generator start in the background
        loadgen_start()
        try:
            server = pg.start_server(opts.data_dir, opts.database_url)
            results["machine"] = {
                **machine_info(),
                "postgres": asyncio.run(pg.server_version(server.admin_url)),
            }
            results["settings"] = {
                "server_python": server_python_version(opts.server_python),
                "workers": opts.workers,
                "clients": opts.clients,
                "requests": opts.requests,
                "seconds": opts.seconds,
                "throughput_seconds": opts.throughput_seconds,
                "warmup": opts.warmup,
                "embedded_postgres": server.embedded,
            }
            results["pending"] = {
                op.name: {
                    "description": op.description,
                    "pending": op.pending,
                    "target": op.target.describe(),
                }
                for op in operations.OPERATIONS
                if op.pending
            }
            for size in opts.sizes:
                results["sizes"][str(size)] = run_size(server, issuer, size, opts, workdir)
                save(results, opts.out, started)  # a later size failing keeps this one
        finally:
            issuer.stop()
            close_loadgen()
    results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    stamp = save(results, opts.out, started)
    print()
    print(report.render(results))
    print(f"results: {opts.out / stamp}.json / .md")
    return results


def save(results: dict[str, Any], out: Path, started: dt.datetime) -> str:
    """Write the results so far (JSON and the tables); returns the file stem."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (out / f"{stamp}.json").write_text(json.dumps(results, indent=2))
    (out / f"{stamp}.md").write_text(report.render(results))
    return stamp


if __name__ == "__main__":
    main()
