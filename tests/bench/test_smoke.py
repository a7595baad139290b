"""The benchmark, end to end at a tiny size, so it cannot rot.

Generates a 200-person organization, serves it in production mode with a separate
issuer, drives every measurable operation with a few requests, runs the SQL and
bare-ASGI floors, and checks the results have a figure in every column.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from bench import operations
from tests.bench import run_bench


def figure(value: Any) -> bool:
    return isinstance(value, int | float) and not math.isnan(value) and value > 0


def test_benchmark_runs_at_tiny_size_with_figures_for_every_operation(tmp_path: Path) -> None:
    out = tmp_path / "results"
    admin_url = os.environ.get("CAREERPATH_TEST_DATABASE_URL")
    run_bench("bench.run", "--employees", "200", "--quick", "--out", str(out))

    results = json.loads(next(out.glob("*.json")).read_text())
    size = results["sizes"]["200"]
    rows = size["generation"]["rows"]
    assert rows["employees"] == 200
    assert rows["roles"] == 300
    assert rows["ratings"] > 0
    assert figure(size["rss"]["1"]["worker_peak_mb"])
    measured = operations.measurable()
    assert {op.name for op in measured} == set(size["operations"])
    for op in measured:
        found = size["operations"][op.name]
        for mode in ("latency", "throughput"):
            run = found["workers"]["1"][mode]
            assert run["errors"] == 0, (op.name, mode, run["first_error"])
            for column in ("p50_ms", "p95_ms", "p99_ms", "rps"):
                assert figure(run[column]), (op.name, mode, column, run)
            assert figure(found["bare"][mode]["p50_ms"]), found["bare"]
        if not admin_url:  # replaying the floor needs the server's log
            assert figure(found["floor"]["p50_ms"]), found.get("floor")
        if not admin_url:  # the embedded server's log counts every statement
            assert set(found["statements"]) == {str(p) for p in op.page_sizes}
            assert all(figure(n) for n in found["statements"].values()), found["statements"]
            # The floor runs the statements the service runs.
            assert found["floor"]["statements"] == found["statements"][str(op.page)], op.name

    table = next(out.glob("*.md")).read_text()
    for op in operations.OPERATIONS:
        row = next(line for line in table.splitlines() if line.startswith(f"| {op.name} |"))
        if op.pending:
            assert "pending" in row
        else:
            assert "–" not in row.split("|")[3], row  # p50 present
