"""The graphql-http audit of the GraphQL-over-HTTP spec passes every check against a real
server. Needs Node.js 20 and npm (the audit's package is installed on first run into
``scripts/graphql_http_audit/node_modules``); skipped without them."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

AUDIT = Path(__file__).resolve().parents[2] / "scripts" / "graphql_http_audit"


async def run(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *args,
        cwd=AUDIT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=180)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.subprocess
async def test_the_graphql_http_audit_passes_every_check(live_url: str) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed to run the graphql-http audit")
    if not (AUDIT / "node_modules" / "graphql-http").is_dir():
        code, _, err = await run("npm", "ci", "--no-audit", "--no-fund")
        if code != 0:
            pytest.skip(f"the audit's npm packages could not be installed: {err[-500:]}")
    code, out, err = await run("node", "audit.mjs", live_url)
    assert code == 0, err
    results = json.loads(out)
    counts = Counter(r["status"] for r in results)
    failed = [
        f"{r['id']} {r['status']}: {r['name']} — {r['reason']}"
        for r in results
        if r["status"] != "ok"
    ]
    assert len(results) >= 61, len(results)
    assert not failed, f"{dict(counts)}\n" + "\n".join(failed)
