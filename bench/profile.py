"""Profile the running service under one operation's load with py-spy, and summarize.

    uv run python -m bench.profile --employees 10000 --operation small_me [--clients 1] [--seconds 15]

Generates (or reuses) the database, starts the service (production settings, one
worker), drives the operation with the load generator while ``py-spy record`` samples
the worker (``--format raw``: collapsed stacks), then prints the functions with the most
time — *inclusive* (on the stack) and *self* (on top of the stack) — as a share of the
samples in which the worker was busy. The collapsed stacks are kept in
``bench/results/profile-<operation>-<size>.txt`` (load them into speedscope.app).

``py-spy`` needs ptrace permission on the worker (root, or CAP_SYS_PTRACE in a container).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench import generate, operations, pg, run
from bench.issuer import Issuer

# With uvloop the event loop is C code: an idle worker's top Python frame is Runner.run.
IDLE_FRAMES = (
    "select (selectors.py",
    "run_forever",
    "_run_once (asyncio",
    "Runner.run (asyncio/runners.py",
    "epoll_wait (",
    "epoll_pwait (",
)
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    """``func (path/to/module.py:12)`` → ``func (package/module.py)``."""
    match = FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "lib/python3", "/work/", "wt-bench/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    parts = path.split("/")
    return f"{match['func']} ({'/'.join(parts[-2:])})"


_EXECUTE_FRAMES = (
    "Connection.execute (sqlalchemy/engine/base.py",
    "AsyncConnection.execute (sqlalchemy/ext/asyncio/engine.py",
    "greenlet_spawn",
    "AsyncTransaction",
    "AsyncConnection.start",
    "Engine.connect",
    "Connection.close",
    "AsyncConnection.close",
    "_connection_for_bind",
)
SYSCALLS = ("write (", "read (", "sendto (", "recvfrom (", "send (", "recv (", "writev (")

CATEGORIES: list[tuple[str, Any]] = [
    (
        "socket syscalls (with --native; includes waiting for a core while PostgreSQL runs)",
        lambda fs: fs[-1].startswith(SYSCALLS) and "libc" in fs[-1],
    ),
    ("Python garbage collection (with --native)", lambda fs: any("gc_collect" in f for f in fs)),
    (
        "GraphQL validation (graphql-core rules)",
        lambda fs: any("validation/validate.py" in f for f in fs),
    ),
    ("GraphQL parsing", lambda fs: any("language/parser.py" in f for f in fs)),
    (
        "bearer token check (JWT signature, claims)",
        lambda fs: any("TokenValidator" in f for f in fs),
    ),
    ("asyncpg driver (protocol, encode/decode)", lambda fs: any("asyncpg/" in f for f in fs)),
    (
        "SQLAlchemy execute path (cache key, compiled cache, params, result rows)",
        lambda fs: (
            any("sqlalchemy/" in f for f in fs) and any(m in f for f in fs for m in _EXECUTE_FRAMES)
        ),
    ),
    (
        "SQLAlchemy expression building in service code",
        lambda fs: any("sqlalchemy/" in f for f in fs),
    ),
    ("response JSON encoding", lambda fs: any("orjson" in f or "encode_json" in f for f in fs)),
    (
        "GraphQL execution (strawberry, graphql-core)",
        lambda fs: any(
            "graphql/execution" in f or "strawberry/" in f or "graphql/" in f for f in fs
        ),
    ),
    ("HTTP and ASGI (uvicorn, starlette, FastAPI)", lambda fs: True),
]


def summarize(collapsed: str, top: int = 25) -> str:
    """Where the worker's CPU went, from py-spy's raw output, as % of busy samples: by
    category (each sample counted once, first matching category), the service's own
    functions inclusive, and the hottest functions by self time."""
    by_category: Counter[str] = Counter()
    service_inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    busy = idle = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if not frames or any(marker in frames[-1] for marker in IDLE_FRAMES):
            idle += count
            continue
        busy += count
        for name, matches in CATEGORIES:
            if matches(frames):
                by_category[name] += count
                break
        for name in {short(f) for f in frames if "(service/" in f or "/service/" in f}:
            service_inclusive[name] += count
        own[short(frames[-1])] += count
    total = busy + idle

    def pct(c: int) -> str:
        return f"{100 * c / max(busy, 1):5.1f}%"

    lines = [
        f"samples: {total}, busy {busy}, idle in the event loop {idle}",
        "",
        "by category (% of busy samples):",
        *(f"  {pct(c)}  {name}" for name, c in by_category.most_common()),
        "",
        "service functions, inclusive:",
        *(f"  {pct(c)}  {name}" for name, c in service_inclusive.most_common(top)),
        "",
        "hottest functions, self:",
        *(f"  {pct(c)}  {name}" for name, c in own.most_common(top)),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--operation", required=True)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--native",
        action="store_true",
        help="also sample C frames (pauses the worker at each sample: slower, more detail)",
    )
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    op = operations.by_name([args.operation])[0]
    native = ["--native"] if args.native else ["--nonblocking"]
    server = pg.start_server(args.data_dir, args.database_url)
    gen = generate.ensure(server, args.employees, args.seed)
    facts = asyncio.run(generate.facts(gen))
    out = run.RESULTS_DIR / f"profile-{op.name}-{args.employees}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="careerpath-profile-") as tmp:
        workdir = Path(tmp)
        issuer = Issuer(workdir)
        try:
            persona = facts["personas"][op.persona]
            token = issuer.mint(persona["subject"], org=facts["org_slug"], scopes=persona["scopes"])
            body = run.graphql_body(op, facts, op.page)
            with run.service(gen.database, issuer.url, 1, workdir) as (proc, _):
                request = run.encode_request(
                    run.HOST, proc.port, "/graphql", body, {"Authorization": f"Bearer {token}"}
                )
                warm = {
                    "name": "warm",
                    "request": base64.b64encode(request).decode(),
                    "clients": 1,
                    "warmup": 0,
                    "max_requests": 50,
                    "max_seconds": 5,
                }
                run.loadgen(proc.port, [warm])
                sampler = subprocess.Popen(
                    [
                        spy,
                        *("record", "-p", str(proc.proc.pid), "-d", str(args.seconds)),
                        *("-r", str(args.rate), "-f", "raw", "-o", str(out), *native),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                job = {
                    **warm,
                    "name": "profiled",
                    "clients": args.clients,
                    "max_requests": 1_000_000,
                    "max_seconds": args.seconds,
                }
                result = run.loadgen(proc.port, [job])[0]
                _, err = sampler.communicate(timeout=args.seconds + 60)
                if sampler.returncode != 0:
                    raise SystemExit(f"py-spy failed: {err.strip()}")
        finally:
            issuer.stop()
    print(
        f"{op.name} at {args.employees:,} employees, {args.clients} client(s): "
        f"p50 {result['p50_ms']:.2f} ms, {result['rps']:.0f} req/s while profiled"
    )
    print(summarize(out.read_text(), args.top))
    print(f"\ncollapsed stacks: {out}")


if __name__ == "__main__":
    main()
