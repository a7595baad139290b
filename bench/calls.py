"""CPU time and Python function calls per request, with the service in this process.

    uv run python -m bench.calls --employees 10000 [--operations small_me,employees_page]
        [--requests 200]

Serves the application in this very process (production settings, the benchmark's issuer)
through httpx's ASGI transport, sends each operation's request over and over, one at a
time, and reports for each operation:

- **CPU ms/req**: this process's CPU time per request (the application, the driver's side
  of PostgreSQL's protocol and httpx's client side; not PostgreSQL's), the best of three
  rounds of ``--requests``;
- **calls/req**: Python function calls per request under ``cProfile`` (20 requests),
  client side included: unlike time, a count does not drift with the machine's load, so
  two versions of the code compare by it even on a busy machine.

No HTTP server, no load generator and no concurrency: ``bench.run`` measures those. Use
this to compare two versions of the code (run it from each checkout) in one sitting.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import generate, operations, pg
from bench.issuer import Issuer
from bench.run import graphql_body, service_env

WARMUP = 50
PROFILED = 20
ROUNDS = 3


async def measure(
    facts: dict[str, Any], tokens: dict[str, str], names: list[str], n: int
) -> list[dict[str, Any]]:
    import httpx

    from service.app import create_app

    app = create_app()
    results = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for op in operations.by_name(names):
                request = client.build_request(
                    "POST",
                    "/graphql",
                    content=graphql_body(op, facts, op.page),
                    headers={
                        "Authorization": f"Bearer {tokens[op.persona]}",
                        "Content-Type": "application/json",
                    },
                )
                results.append(await measure_one(client, op.name, request, n))
    return results


async def measure_one(client: Any, name: str, request: Any, n: int) -> dict[str, Any]:
    """One operation's figures, its ``request`` sent ``n`` times a round."""

    async def send() -> None:
        response = await client.send(request)
        if response.status_code != 200 or "errors" in response.json():
            raise SystemExit(f"{name}: {response.text[:500]}")

    for _ in range(WARMUP):
        await send()
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(n):
            await send()
        rounds.append((time.process_time() - started) * 1000 / n)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(PROFILED):
        await send()
    profile.disable()
    calls = pstats.Stats(profile).total_calls / PROFILED  # type: ignore[attr-defined]
    return {"operation": name, "cpu_ms": min(rounds), "rounds": rounds, "calls": calls}


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| operation | CPU ms/req | calls/req |", "|---|--:|--:|"]
    for r in results:
        lines.append(f"| {r['operation']} | {r['cpu_ms']:.2f} | {r['calls']:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.calls",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--employees", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--operations", help="comma separated (default: all measurable)")
    parser.add_argument("--requests", type=int, default=200, help="requests per round")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--database-url", help="admin URL of your own PostgreSQL")
    args = parser.parse_args(argv)
    names = [n for n in (args.operations or "").split(",") if n]
    server = pg.start_server(args.data_dir, args.database_url)
    generated = generate.ensure(server, args.employees, args.seed)
    facts = asyncio.run(generate.facts(generated))
    workdir = Path(tempfile.mkdtemp(prefix="careerpath-bench-calls-"))
    issuer = Issuer(workdir)
    try:
        tokens = {
            name: issuer.mint(p["subject"], org=facts["org_slug"], scopes=p["scopes"])
            for name, p in facts["personas"].items()
        }
        # The application reads its settings from the environment, as `serve` does.
        os.environ.update(service_env(generated.database, issuer.url, 0, workdir))
        results = asyncio.run(measure(facts, tokens, names, args.requests))
    finally:
        issuer.stop()
    print(f"\n{args.employees:,} employees, {args.requests} requests per round, in process:\n")
    print(table(results))
    sys.stdout.flush()
    return results


if __name__ == "__main__":
    main()
