"""``bench.calls`` measures the service in its own process: CPU time and Python function
calls per request, for comparing two versions of the code on a busy machine."""

from __future__ import annotations

import re

from tests.bench import run_bench


def test_calls_reports_cpu_and_calls_per_request_for_each_operation() -> None:
    done = run_bench(
        "bench.calls",
        "--employees",
        "200",
        "--requests",
        "5",
        "--operations",
        "small_me,employees_page",
    )
    rows = dict(
        (m.group(1), (float(m.group(2)), int(m.group(3).replace(",", ""))))
        for m in re.finditer(r"^\| (\w+) \| ([\d.]+) \| ([\d,]+) \|$", done.stdout, re.M)
    )
    assert set(rows) == {"small_me", "employees_page"}, done.stdout
    assert all(cpu > 0 and calls > 0 for cpu, calls in rows.values()), rows
    # A page of people with their relations costs more than the caller's own name.
    assert rows["employees_page"][1] > rows["small_me"][1], rows
