"""The PostGraphile peer is optional: without Node and npm it says so and exits cleanly,
and the app role's URL is handed to node-postgres in the form it takes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.peer import node_url

ROOT = Path(__file__).resolve().parents[2]


def test_without_node_the_peer_is_skipped(tmp_path: Path) -> None:
    found = subprocess.run(
        [sys.executable, "-m", "bench.peer", "--out", str(tmp_path)],
        cwd=ROOT,
        env={"PATH": str(tmp_path)},  # neither node nor npm here
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    assert "PostGraphile peer skipped: `node` not found" in found.stdout
    assert list(tmp_path.iterdir()) == []


def test_app_urls_become_node_postgres_urls() -> None:
    socket = "postgresql+asyncpg://app@/db?host=/tmp/pg"
    assert node_url(socket) == "postgres://app@localhost/db?host=/tmp/pg"
    tcp = "postgresql+asyncpg://app:secret@127.0.0.1:5433/db"
    assert node_url(tcp) == "postgres://app:secret@127.0.0.1:5433/db"
