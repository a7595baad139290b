"""Webhook delivery benchmark: deliveries per second and commit → delivered latency, with 1
and 2 `careerpath worker` processes delivering to a local receiver.

    uv run python -m bench.webhooks                      # 1 then 2 workers
    uv run python -m bench.webhooks --workers 1 --backlog 2000 --rate 100 --seconds 10

Two measures per worker count, each on an empty queue:

- **throughput**: ``--backlog`` events are committed first (one endpoint subscribed), then
  the workers start; deliveries/s = events / (last arrival − first arrival).
- **latency**: with the workers running and idle, events are committed one per
  transaction at ``--rate`` per second for ``--seconds``; for each, the time from the
  commit returning to the receiver getting the request (p50, p95, p99, max).

The receiver is a bare ASGI app under uvicorn in its own process (answers 204, records
the arrival time per ``webhook-id``; signatures are verified by the tests, not here).
Everything runs on 127.0.0.1; the database is the embedded PostgreSQL under
``bench/.data`` or ``--database-url`` (an admin URL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.pg import DEFAULT_DATA_DIR, start_server
from service.auth.principal import system_principal
from service.db import ConnectionExecutor, Database, drop_database, migrate, provision
from service.people import service as people
from service.webhooks import service as webhooks
from service.webhooks.outbox import emit
from service.webhooks.ssrf import AddressPolicy

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = AddressPolicy.from_entries(["127.0.0.1"])


# --- the receiver (its own process) ---------------------------------------------------


def receiver_app() -> Any:
    arrivals: dict[str, float] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        if scope["method"] == "GET":
            body = json.dumps(arrivals).encode()
            if scope["path"] == "/reset":
                arrivals.clear()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        headers = dict(scope["headers"])
        arrivals.setdefault(headers.get(b"webhook-id", b"").decode(), time.time())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


def serve_receiver(port: int) -> None:
    import uvicorn

    uvicorn.run(
        receiver_app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


# --- the run ----------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


class Bench:
    def __init__(self, app_url: str, receiver_port: int, workdir: Path) -> None:
        self.app_url = app_url
        self.receiver = f"http://127.0.0.1:{receiver_port}"
        self.workdir = workdir
        self.db = Database(app_url, pool_size=4)
        self.org_id: Any = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.cpu_at_first: float | None = None

    async def setup(self) -> None:
        async with self.db.transaction(None) as conn:
            slug = f"bench-hooks-{secrets.token_hex(3)}"
            self.org_id = await people.create_organization(
                ConnectionExecutor(conn), slug, "Webhook bench"
            )
        async with self.db.transaction(self.org_id) as conn:
            await webhooks.create_endpoint(
                ConnectionExecutor(conn),
                system_principal(self.org_id),
                webhooks.EndpointInput(url=f"{self.receiver}/hook", event_types=["*"]),
                LOOPBACK,
            )

    async def arrivals(self, reset: bool = False) -> dict[str, float]:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.receiver}/{'reset' if reset else 'stats'}")
            return dict(response.json())

    async def emit_one(self, n: int) -> tuple[str, float]:
        async with self.db.transaction(self.org_id) as conn:
            event_id = await emit(
                ConnectionExecutor(conn),
                self.org_id,
                "webhook.test",
                {"endpoint_id": "bench", "message": f"event {n}"},
            )
        return f"evt_{event_id.hex}", time.time()

    async def backlog(self, count: int) -> None:
        """``count`` events committed in batches of 100 (one transaction per batch)."""
        for start in range(0, count, 100):
            async with self.db.transaction(self.org_id) as conn:
                for n in range(start, min(count, start + 100)):
                    await emit(
                        ConnectionExecutor(conn),
                        self.org_id,
                        "webhook.test",
                        {"endpoint_id": "bench", "message": f"event {n}"},
                    )

    def start_workers(self, n: int, concurrency: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERPATH_")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # workers start from cached bytecode
        env.update(
            {
                "CAREERPATH_DATABASE_URL": self.app_url,
                "CAREERPATH_DATA_DIR": str(self.workdir),
                "CAREERPATH_ENV": "production",
                "CAREERPATH_WEBHOOKS__ALLOW_HOSTS": "127.0.0.1",
                "CAREERPATH_WEBHOOKS__CONCURRENCY": str(concurrency),
            }
        )
        for i in range(n):
            log = (self.workdir / f"worker-{i}.log").open("wb")
            self.workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "service.cli", "worker"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=ROOT,
                )
            )

    def stop_workers(self) -> None:
        for w in self.workers:
            w.send_signal(signal.SIGTERM)
        for w in self.workers:
            try:
                w.wait(30)
            except subprocess.TimeoutExpired:
                w.kill()
        self.workers = []

    def worker_cpu(self) -> float:
        """CPU seconds the workers used so far (user + system)."""
        total = 0.0
        for w in self.workers:
            try:
                times = psutil.Process(w.pid).cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    async def wait_for(self, count: int, within: float) -> dict[str, float]:
        """Wait until ``count`` deliveries arrived; note the workers' CPU at the first one."""
        deadline = time.monotonic() + within
        self.cpu_at_first = None
        while time.monotonic() < deadline:
            got = await self.arrivals()
            if got and self.cpu_at_first is None:
                self.cpu_at_first = self.worker_cpu()
            if len(got) >= count:
                return got
            await asyncio.sleep(0.1)
        raise TimeoutError(f"only {len(await self.arrivals())} of {count} deliveries arrived")

    async def throughput(self, workers: int, count: int, concurrency: int) -> dict[str, Any]:
        await self.arrivals(reset=True)
        await self.backlog(count)
        self.start_workers(workers, concurrency)
        try:
            got = await self.wait_for(count, within=max(120.0, count / 20))
            cpu = self.worker_cpu() - (self.cpu_at_first or 0.0)
        finally:
            self.stop_workers()
        times = sorted(got.values())
        span = times[-1] - times[0]
        return {
            "events": count,
            "seconds": round(span, 3),
            "deliveries_per_s": round(count / span, 1),
            "worker_cpu_ms_per_delivery": round(cpu * 1000 / count, 2),
        }

    async def latency(
        self, workers: int, rate: float, seconds: float, concurrency: int
    ) -> dict[str, Any]:
        await self.arrivals(reset=True)
        self.start_workers(workers, concurrency)
        try:
            await asyncio.sleep(3)  # the workers start and listen
            # Warm-up: until one event makes it through.
            await self.emit_one(-1)
            await self.wait_for(1, within=60)
            await self.arrivals(reset=True)
            committed: dict[str, float] = {}
            interval = 1 / rate
            start = time.monotonic()
            n = 0
            while time.monotonic() - start < seconds:
                webhook_id, at = await self.emit_one(n)
                committed[webhook_id] = at
                n += 1
                pause = start + n * interval - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
            got = await self.wait_for(len(committed), within=60)
        finally:
            self.stop_workers()
        lat = [(got[k] - committed[k]) * 1000 for k in committed]
        return {
            "events": len(committed),
            "rate_per_s": round(len(committed) / (time.monotonic() - start), 1),
            "p50_ms": round(statistics.median(lat), 1),
            "p95_ms": round(percentile(lat, 95), 1),
            "p99_ms": round(percentile(lat, 99), 1),
            "max_ms": round(max(lat), 1),
        }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = args.data_dir or DEFAULT_DATA_DIR / "webhooks"
    server = start_server(data_dir, args.database_url)
    name = f"careerpath_bench_webhooks_{secrets.token_hex(3)}"
    role = f"careerpath_bench_hooks_{secrets.token_hex(3)}"
    provisioned = await provision(server.admin_url, name, role, secrets.token_urlsafe(12))
    await asyncio.to_thread(migrate, provisioned.owner_url, app_role=role)
    port = free_port()
    receiver = subprocess.Popen(  # noqa: ASYNC220 (started once, returns at once)
        [sys.executable, "-m", "bench.webhooks", "--serve-receiver", str(port)], cwd=ROOT
    )
    workdir = data_dir / "work"
    workdir.mkdir(parents=True, exist_ok=True)
    bench = Bench(provisioned.app_url, port, workdir)
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}, "workers": {}}
    try:
        for _ in range(100):
            try:
                await bench.arrivals()
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        await bench.setup()
        for n in args.workers:
            found = {
                "throughput": await bench.throughput(n, args.backlog, args.concurrency),
                "latency": await bench.latency(n, args.rate, args.seconds, args.concurrency),
            }
            results["workers"][str(n)] = found
            print(f"{n} worker(s): {json.dumps(found)}", flush=True)
    finally:
        bench.stop_workers()
        receiver.terminate()
        receiver.wait(10)
        await bench.db.dispose()
        await drop_database(server.admin_url, name, role)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, e.g. 1,2")
    parser.add_argument("--backlog", type=int, default=3000, help="events for the throughput run")
    parser.add_argument("--rate", type=float, default=100, help="events/s for the latency run")
    parser.add_argument("--seconds", type=float, default=10, help="length of the latency run")
    parser.add_argument(
        "--concurrency", type=int, default=64, help="deliveries in flight per worker"
    )
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--database-url", default=None, help="an admin URL of your PostgreSQL")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    parser.add_argument("--serve-receiver", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_receiver:
        serve_receiver(args.serve_receiver)
        return
    args.workers = [int(w) for w in str(args.workers).split(",")]
    results = asyncio.run(run(args))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
