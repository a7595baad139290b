"""Tests of the benchmark's commands, run as a newcomer runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m <module> <args>`` from the repository's root on the test database
    server (``CAREERPATH_TEST_DATABASE_URL``) or an embedded one of its own, with none of
    the caller's ``CAREERPATH_`` settings; it must succeed."""
    cmd = [sys.executable, "-m", module, *args]
    admin_url = os.environ.get("CAREERPATH_TEST_DATABASE_URL")
    # Not under pytest's own temporary folder: pytest keeps that private to its user, while
    # the embedded PostgreSQL runs as a user of its own when the tests run as root.
    data_dir = Path(tempfile.mkdtemp(prefix="careerpath-bench-test-"))
    cmd += ["--database-url", admin_url] if admin_url else ["--data-dir", str(data_dir)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERPATH_")}
    done = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done
