"""``bench.calls`` measures the service in its own process: CPU time and Python function
calls per request, for comparing two versions of the code on a busy machine."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_calls_reports_cpu_and_calls_per_request_for_each_operation() -> None:
    cmd = [sys.executable, "-m", "bench.calls", "--employees", "200", "--requests", "5"]
    cmd += ["--operations", "small_me,employees_page"]
    admin_url = os.environ.get("CAREERPATH_TEST_DATABASE_URL")
    # Outside pytest's own temporary folder, as in test_smoke: the embedded PostgreSQL may
    # run as a user of its own.
    data_dir = Path(tempfile.mkdtemp(prefix="careerpath-bench-calls-test-"))
    cmd += ["--database-url", admin_url] if admin_url else ["--data-dir", str(data_dir)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERPATH_")}
    done = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = dict(
        (m.group(1), (float(m.group(2)), int(m.group(3).replace(",", ""))))
        for m in re.finditer(r"^\| (\w+) \| ([\d.]+) \| ([\d,]+) \|$", done.stdout, re.M)
    )
    assert set(rows) == {"small_me", "employees_page"}, done.stdout
    assert all(cpu > 0 and calls > 0 for cpu, calls in rows.values()), rows
    # A page of people with their relations costs more than the caller's own name.
    assert rows["employees_page"][1] > rows["small_me"][1], rows
