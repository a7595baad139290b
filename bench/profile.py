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

from bench import generate, operations, pg, run
from bench.issuer import Issuer

IDLE_FRAMES = ("select (selectors.py", "run_forever", "_run_once (asyncio", "uvloop")
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


def summarize(collapsed: str, top: int = 25) -> str:
    """Top inclusive and self frames of py-spy's raw output, as % of busy samples."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    busy = idle = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f and not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith("thread ")]
        if not frames or any(marker in frames[-1] for marker in IDLE_FRAMES):
            idle += count
            continue
        busy += count
        for name in {short(f) for f in frames}:
            inclusive[name] += count
        own[short(frames[-1])] += count
    total = busy + idle
    lines = [
        f"samples: {total}, busy {busy} ({100 * busy / max(total, 1):.0f}%), idle in the event loop {idle}",
        "",
        "inclusive (% of busy samples):",
    ]
    lines += [f"  {100 * c / max(busy, 1):5.1f}%  {name}" for name, c in inclusive.most_common(top)]
    lines += ["", "self (% of busy samples):"]
    lines += [f"  {100 * c / max(busy, 1):5.1f}%  {name}" for name, c in own.most_common(top)]
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
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    op = operations.by_name([args.operation])[0]
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
                        *("-r", str(args.rate), "-f", "raw", "-o", str(out), "--nonblocking"),
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
