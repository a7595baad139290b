"""careerpath next to PostGraphile 4, the peer a team would otherwise put over the same
tables, on the benchmark's generated database:

    uv run python -m bench.peer --employees 10000 [--rounds 3] [--seconds 8]

PostGraphile runs as the same Row Level Security-bound app role, the organization set as
the tenant in each transaction (``pgSettings``), without a JWT (``bench/postgraphile.js``);
careerpath is ``careerpath serve`` with one worker, tokens from the benchmark's issuer.
Each operation is one GraphQL document per side asking for the same rows and fields (see
``PEER_OPERATIONS``), checked to answer the same number of rows; both are driven by the
same load generator (``bench.loadgen``) at 16 clients in alternating rounds (careerpath,
then PostGraphile, ``--rounds`` times), and the medians over rounds are reported with the
API process's CPU per request.

PostGraphile is installed once under ``bench/.postgraphile`` (git-ignored; ``npm``, Node 20
or later). Without ``node`` and ``npm`` the command says so and exits 0: the peer is
optional and nothing else depends on it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import generate, pg
from bench.issuer import Issuer
from bench.loadgen import encode_request
from bench.run import (
    HOST,
    RESULTS_DIR,
    Process,
    close_loadgen,
    free_port,
    loadgen,
    loadgen_start,
    service,
    tree_cpu,
)

HERE = Path(__file__).resolve().parent
INSTALL_DIR = HERE / ".postgraphile"
POSTGRAPHILE_VERSION = "4"

Facts = dict[str, Any]


@dataclass(frozen=True)
class PeerOperation:
    """One operation asked of both: each side's document and variables, the persona whose
    token careerpath gets, and how many top-level rows and rows in all each answer holds
    (the top-level counts must agree before anything is timed)."""

    name: str
    description: str
    persona: str
    careerpath: str
    postgraphile: str
    variables: Callable[[Facts], tuple[dict[str, Any], dict[str, Any]]]
    rows: Callable[[dict[str, Any]], tuple[int, int]]
    rows_peer: Callable[[dict[str, Any]], tuple[int, int]]


def _gid(kind: str, value: str) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


PEER_OPERATIONS = [
    PeerOperation(
        name="framework_page",
        description="100 roles, each with its level, family and expectations (required "
        "level, core, competency name)",
        persona="employee",
        careerpath="""query($first: Int!) { roles(first: $first) { nodes {
            title level { name } family { name }
            expectations { requiredLevel core competency { name } } } } }""",
        postgraphile="""query($first: Int!) { allRoles(first: $first, orderBy: [TITLE_ASC]) {
            nodes { title levelByOrgIdAndLevelId { name } jobFamilyByOrgIdAndFamilyId { name }
            roleExpectationsByOrgIdAndRoleId { nodes {
                requiredLevel core competencyByOrgIdAndCompetencyId { name } } } } } }""",
        variables=lambda facts: ({"first": 100}, {"first": 100}),
        rows=lambda d: (
            len(d["roles"]["nodes"]),
            sum(1 + len(r["expectations"]) for r in d["roles"]["nodes"]),
        ),
        rows_peer=lambda d: (
            len(d["allRoles"]["nodes"]),
            sum(
                1 + len(r["roleExpectationsByOrgIdAndRoleId"]["nodes"])
                for r in d["allRoles"]["nodes"]
            ),
        ),
    ),
    PeerOperation(
        name="employees_page",
        description="100 employees, each with their manager's name, org unit and role title",
        persona="admin",
        careerpath="""query($first: Int!) { employees(first: $first) { nodes {
            name manager { name } orgUnit { name } role { title } } } }""",
        postgraphile="""query($first: Int!) { allEmployees(first: $first, orderBy: [NAME_ASC]) {
            nodes { name employeeByOrgIdAndManagerId { name }
                    orgUnitByOrgIdAndOrgUnitId { name } roleByOrgIdAndRoleId { title } } } }""",
        variables=lambda facts: ({"first": 100}, {"first": 100}),
        rows=lambda d: (len(d["employees"]["nodes"]),) * 2,
        rows_peer=lambda d: (len(d["allEmployees"]["nodes"]),) * 2,
    ),
    PeerOperation(
        name="employee_by_id",
        description="one employee by ID, two fields (ID and name), read by an HR admin",
        persona="admin",
        careerpath="query($id: ID!) { employee(id: $id) { id name } }",
        postgraphile="query($id: UUID!) { employeeById(id: $id) { id name } }",
        variables=lambda facts: (
            {"id": _gid("Employee", facts["personas"]["employee"]["id"])},
            {"id": facts["personas"]["employee"]["id"]},
        ),
        rows=lambda d: (1, 1) if d["employee"] else (0, 0),
        rows_peer=lambda d: (1, 1) if d["employeeById"] else (0, 0),
    ),
]


def tools_missing() -> str | None:
    """Why the peer cannot run here, or None."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"`{tool}` not found"
    version = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    major = version.stdout.strip().lstrip("v").split(".")[0]
    if not major.isdigit() or int(major) < 20:
        return f"Node {version.stdout.strip()} is older than 20"
    return None


def install() -> None:
    """PostGraphile 4 under bench/.postgraphile, once."""
    if (INSTALL_DIR / "node_modules" / "postgraphile").is_dir():
        return
    INSTALL_DIR.mkdir(exist_ok=True)
    package = INSTALL_DIR / "package.json"
    if not package.exists():
        package.write_text('{"name": "careerpath-bench-peer", "private": true}\n')
    print(f"installing postgraphile@{POSTGRAPHILE_VERSION} in {INSTALL_DIR}", flush=True)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", f"postgraphile@{POSTGRAPHILE_VERSION}"],
        cwd=INSTALL_DIR,
        check=True,
    )


def node_url(app_url: str) -> str:
    """The app role's URL as node-postgres takes it (a Unix socket as ``?host=``)."""
    from sqlalchemy.engine import make_url

    url = make_url(app_url)
    user = url.username or ""
    password = f":{url.password}" if url.password else ""
    host = url.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    if host:
        return f"postgres://{user}{password}@localhost/{url.database}?host={host}"
    return f"postgres://{user}{password}@{url.host}:{url.port or 5432}/{url.database}"


@contextmanager
def postgraphile(db: pg.BenchDatabase, org_id: str, workdir: Path) -> Iterator[Process]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": node_url(db.app_url),
        "PORT": str(port),
        "ORG_ID": org_id,
        "NODE_ENV": "production",
    }
    proc = Process(
        "PostGraphile 4", ["node", str(HERE / "postgraphile.js")], env, port, workdir / "pgl.log"
    )
    try:
        proc.wait_listening()
        yield proc
    finally:
        proc.stop()


def _body(query: str, variables: dict[str, Any]) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


def _answer(base: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/graphql",
        content=body,
        headers={"Content-Type": "application/json", **headers},
        timeout=60,
    )
    payload: dict[str, Any] = response.json()
    if response.status_code != 200 or payload.get("errors"):
        raise SystemExit(f"{base}: {response.status_code} {str(payload)[:500]}")
    return payload["data"]  # type: ignore[no-any-return]


def _throughput(proc: Process, body: bytes, headers: dict[str, str], opts: Any) -> dict[str, Any]:
    request = base64.b64encode(encode_request(HOST, proc.port, "/graphql", body, headers))
    job = {
        "name": "peer/throughput",
        "request": request.decode(),
        "clients": opts.clients,
        "warmup": 3,
        "max_requests": 100_000,
        "max_seconds": opts.seconds,
    }
    cpu0 = tree_cpu(proc.proc.pid)
    result = loadgen(proc.port, [job])[0]
    cpu1 = tree_cpu(proc.proc.pid)
    count = max(1, result["count"] + result["warmed"])
    return {"rps": result["rps"], "api_cpu_ms": (cpu1 - cpu0) / count * 1000}


def run(opts: Any) -> dict[str, Any]:
    missing = tools_missing()
    if missing:
        print(f"PostGraphile peer skipped: {missing} (Node 20 or later and npm are needed)")
        return {}
    install()
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "employees": opts.employees,
        "rounds": opts.rounds,
        "seconds": opts.seconds,
        "clients": opts.clients,
        "operations": {},
    }
    with tempfile.TemporaryDirectory(prefix="careerpath-peer-") as tmp:
        workdir = Path(tmp)
        issuer = Issuer(workdir)
        loadgen_start()
        try:
            server = pg.start_server(opts.data_dir, opts.database_url)
            gen = generate.ensure(server, opts.employees, opts.seed)
            facts = asyncio.run(generate.facts(gen))
            tokens = {
                name: issuer.mint(p["subject"], org=facts["org_slug"], scopes=p["scopes"])
                for name, p in facts["personas"].items()
            }
            with (
                service(gen.database, issuer.url, 1, workdir) as (ours, _),
                postgraphile(gen.database, facts["org_id"], workdir) as theirs,
            ):
                for op in PEER_OPERATIONS:
                    ours_vars, theirs_vars = op.variables(facts)
                    ours_body = _body(op.careerpath, ours_vars)
                    theirs_body = _body(op.postgraphile, theirs_vars)
                    ours_headers = {"Authorization": f"Bearer {tokens[op.persona]}"}
                    rows = op.rows(_answer(ours.base, ours_body, ours_headers))
                    rows_peer = op.rows_peer(_answer(theirs.base, theirs_body, {}))
                    if rows[0] != rows_peer[0]:
                        raise SystemExit(
                            f"{op.name}: careerpath {rows} rows, PostGraphile {rows_peer}"
                        )
                    rounds: dict[str, list[dict[str, Any]]] = {"careerpath": [], "postgraphile": []}
                    for n in range(opts.rounds):
                        print(f"  {op.name}: round {n + 1} of {opts.rounds}", flush=True)
                        rounds["careerpath"].append(
                            _throughput(ours, ours_body, ours_headers, opts)
                        )
                        rounds["postgraphile"].append(_throughput(theirs, theirs_body, {}, opts))
                    results["operations"][op.name] = {
                        "description": op.description,
                        "rows": rows,
                        "rows_peer": rows_peer,
                        "rounds": rounds,
                        **{
                            f"{side}_{k}": statistics.median(r[k] for r in found)
                            for side, found in rounds.items()
                            for k in ("rps", "api_cpu_ms")
                        },
                    }
        finally:
            issuer.stop()
            close_loadgen()
    results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return results


def render(results: dict[str, Any]) -> str:
    lines = [
        f"careerpath vs PostGraphile 4 at {results['employees']:,} employees: "
        f"{results['clients']} clients, {results['rounds']} alternating rounds of "
        f"{results['seconds']:g} s each, medians; one careerpath worker.",
        "",
        "| operation | rows (all rows: careerpath / PostGraphile) | careerpath req/s @16 | PostGraphile req/s @16 | vs PostGraphile "
        "| careerpath API CPU ms/req | PostGraphile API CPU ms/req |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, r in results["operations"].items():
        ratio = r["careerpath_rps"] / r["postgraphile_rps"] if r["postgraphile_rps"] else 0
        lines.append(
            f"| {name} | {r['rows'][0]} ({r['rows'][1]} / {r['rows_peer'][1]}) "
            f"| {r['careerpath_rps']:.0f} | {r['postgraphile_rps']:.0f} "
            f"| {ratio:.2f}× | {r['careerpath_api_cpu_ms']:.2f} "
            f"| {r['postgraphile_api_cpu_ms']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__)
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    opts = parser.parse_args(argv)
    results = run(opts)
    if not results:
        return
    opts.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (opts.out / f"peer-{stamp}.json").write_text(json.dumps(results, indent=2))
    table = render(results)
    (opts.out / f"peer-{stamp}.md").write_text(table + "\n")
    print()
    print(table)
    print(f"results: {opts.out / ('peer-' + stamp)}.json / .md")


if __name__ == "__main__":
    sys.exit(main())
