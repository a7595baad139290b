"""Markdown tables from a benchmark run's results (``bench/results/*.json``).

uv run python -m bench.report bench/results/<stamp>.json
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from bench import operations

OK, MISS = "✓", "✗"


def ms(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.0f}" if float(value).is_integer() or value >= 100 else f"{value:.1f}"


def statements(op: dict[str, Any]) -> str:
    per_page = op.get("statements") or {}
    if not per_page:
        return "–"
    if list(per_page) == ["0"]:
        return num(per_page["0"])
    return " / ".join(f"{num(v)}" for v in per_page.values()) + " (page " + "/".join(per_page) + ")"


def floor_mismatch(op: dict[str, Any]) -> str:
    """A warning when the SQL floor runs another number of statements than the service."""
    per_page = op.get("statements") or {}
    floor = (op.get("floor") or {}).get("statements")
    if not per_page or floor is None:
        return ""
    served = list(per_page.values())[-1]
    if isinstance(served, float) and math.isnan(served):
        return ""
    return "" if abs(served - floor) < 0.01 else f" ⚠ floor runs {num(floor)}"


def verdicts(
    spec: operations.Operation, op: dict[str, Any], rss: dict[str, Any], workers: str
) -> list[tuple[str, bool]]:
    """(criterion, met) for the targets that apply to the operation in this configuration."""
    found: list[tuple[str, bool]] = []
    run = op["workers"].get(workers, {})
    latency, throughput = run.get("latency", {}), run.get("throughput", {})
    if spec.target.p50_ms is not None and latency:
        found.append((f"p50 ≤ {spec.target.p50_ms:g}", latency["p50_ms"] <= spec.target.p50_ms))
    if spec.target.rps_16 is not None and throughput:
        found.append((f"≥ {spec.target.rps_16:g}/s", throughput["rps"] >= spec.target.rps_16))
    if spec.target.p99_16_ms is not None and throughput:
        found.append(
            (f"p99@16 ≤ {spec.target.p99_16_ms:g}", throughput["p99_ms"] <= spec.target.p99_16_ms)
        )
    ratio = overhead(op)
    if ratio is not None:
        found.append((f"ratio ≤ {spec.ratio_target:g}", ratio <= spec.ratio_target))
    per_page = list((op.get("statements") or {}).values())
    if len(per_page) > 1:
        found.append(("stmts constant", max(per_page) == min(per_page)))
    if rss.get(workers):
        found.append(
            (
                f"RSS ≤ {operations.RSS_TARGET_MB:g} MB",
                rss[workers]["worker_peak_mb"] <= operations.RSS_TARGET_MB,
            )
        )
    if run.get("latency", {}).get("errors") or run.get("throughput", {}).get("errors"):
        found.append(("no errors", False))
    return found


def overhead(op: dict[str, Any], workers: str = "1") -> float | None:
    floor = (op.get("floor") or {}).get("p50_ms")
    latency = op["workers"].get(workers, {}).get("latency", {}).get("p50_ms")
    if not floor or latency is None:
        return None
    return float(latency) / float(floor)


def verdict_text(found: list[tuple[str, bool]]) -> str:
    return "; ".join(f"{name} {OK if met else MISS}" for name, met in found) or "–"


def size_table(
    size: dict[str, Any], pending: dict[str, Any], workers: str, clients: int
) -> list[str]:
    c = clients
    rows = [
        f"| operation | class | p50 ms | p95 ms | p99 ms | req/s @{c} | p99 @{c} ms "
        "| CPU ms/req API + PG | statements / request | SQL floor p50 ms | overhead ratio "
        f"| bare-ASGI p50 ms | bare-ASGI req/s @{c} | targets |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    specs = {op.name: op for op in operations.OPERATIONS}
    for name, op in size["operations"].items():
        spec = specs[name]
        run = op["workers"].get(workers, {})
        latency, throughput = run.get("latency", {}), run.get("throughput", {})
        bare = op.get("bare", {})
        ratio = overhead(op, workers)
        rows.append(
            f"| {name} | {spec.kind} | {ms(latency.get('p50_ms'))} | {ms(latency.get('p95_ms'))} "
            f"| {ms(latency.get('p99_ms'))} | {num(throughput.get('rps'))} "
            f"| {ms(throughput.get('p99_ms'))} "
            f"| {ms(latency.get('api_cpu_ms'))} + {ms(latency.get('postgres_cpu_ms'))} "
            f"| {statements(op)}{floor_mismatch(op)} "
            f"| {ms((op.get('floor') or {}).get('p50_ms'))} "
            f"| {f'{ratio:.1f}' if ratio is not None else '–'} "
            f"| {ms(bare.get('latency', {}).get('p50_ms'))} | {num(bare.get('throughput', {}).get('rps'))} "
            f"| {verdict_text(verdicts(spec, op, size['rss'], workers))} |"
        )
    for name, info in pending.items():
        spec = specs[name]
        rows.append(
            f"| {name} | {spec.kind} | _pending: {info['pending']}_ | | | | | | | | | | | "
            f"{info['target']}; ratio ≤ {spec.ratio_target:g} |"
        )
    return rows


FIELD_TARGET = 1.5  # API CPU per response field, at most this many times strawberry's floor


def field_table(size: dict[str, Any]) -> list[str]:
    """API CPU per response field (one client, one worker) next to strawberry's floor."""
    rows = [
        "| operation | response fields | API CPU ms/req | µs/field | strawberry floor ms/req "
        "| floor µs/field | × floor | target |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for name, op in size["operations"].items():
        floor = op.get("strawberry_floor")
        api = op["workers"].get("1", {}).get("latency", {}).get("api_cpu_ms")
        if not floor or api is None:
            continue
        fields = max(1, floor["fields"])
        floor_ms = floor["latency"]["api_cpu_ms"]
        ratio = api / floor_ms if floor_ms else float("nan")
        met = OK if ratio <= FIELD_TARGET else MISS
        rows.append(
            f"| {name} | {fields} | {ms(api)} | {api * 1000 / fields:.1f} | {ms(floor_ms)} "
            f"| {floor_ms * 1000 / fields:.1f} | {ratio:.1f} | ≤ {FIELD_TARGET:g} {met} |"
        )
    return rows if len(rows) > 2 else []


def render(results: dict[str, Any]) -> str:
    machine = results["machine"]
    settings = results["settings"]
    lines = [
        f"Run {results['started']} → {results.get('finished', '?')}; "
        f"{machine['nproc']} cores ({machine['cpu']}), {machine['memory_gib']} GiB, "
        f"Python {machine['python']}, PostgreSQL {machine['postgres']}"
        f"{' (embedded)' if settings.get('embedded_postgres') else ''}; "
        f"service on Python {settings.get('server_python', '?')}.",
        f"One client: ≤ {settings['requests']} requests or {settings['seconds']:g} s after "
        f"{settings['warmup']} warm-up requests; {settings['clients']} clients: "
        f"{settings['throughput_seconds']:g} s.",
        "",
    ]
    sizes = results["sizes"]
    for key, size in sizes.items():
        gen = size["generation"]
        la = size["load_average"]
        lines.append(
            f"### {int(key):,} employees — generated in {gen['seconds']:.1f} s"
            f"{' (reused)' if gen['reused'] else ''}; load average {la['start']} → {la.get('end')}"
        )
        lines.append("")
        for workers in size["rss"]:
            plural = "s" if workers != "1" else ""
            rss = size["rss"][workers]
            lines.append(
                f"**{workers} worker{plural}** — peak RSS per worker {rss['worker_peak_mb']:.0f} MB "
                f"(process tree {rss['tree_peak_mb']:.0f} MB)"
            )
            lines.append("")
            pending = results.get("pending", {}) if workers == "1" else {}
            lines += size_table(size, pending, workers, settings["clients"])
            lines.append("")
        per_field = field_table(size)
        if per_field:
            lines.append(
                "API CPU per response field, one client and one worker, next to the strawberry "
                "floor (`bench.strawberry_floor`: strawberry serving the same response shape "
                "from objects in memory, same HTTP server settings):"
            )
            lines.append("")
            lines += per_field
            lines.append("")
        if any(op.get("floor") for op in size["operations"].values()):
            lines.append(
                "SQL floor: the statements one request ran, with their parameters, captured "
                "from the server log and run again through asyncpg."
            )
            lines.append("")
    if len(sizes) > 1:
        lines.append("### Scaling (1 worker)")
        lines.append("")
        keys = list(sizes)
        header = " | ".join(
            f"{int(k):,}: p50 ms / req/s @{settings['clients']} / stmts" for k in keys
        )
        lines.append(f"| operation | {header} |")
        lines.append("|---|" + "--:|" * len(keys))
        names = list(next(iter(sizes.values()))["operations"])
        for name in names:
            cells = []
            for k in keys:
                op = sizes[k]["operations"].get(name)
                if op is None:
                    cells.append("–")
                    continue
                run = op["workers"].get("1", {})
                per_page = op.get("statements") or {}
                stmts = num(list(per_page.values())[-1]) if per_page else "–"
                cells.append(
                    f"{ms(run.get('latency', {}).get('p50_ms'))} / "
                    f"{num(run.get('throughput', {}).get('rps'))} / {stmts}"
                )
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
        lines.append(
            "Generation: "
            + ", ".join(
                f"{int(k):,} in {s['generation']['seconds']:.1f} s" for k, s in sizes.items()
            )
        )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else max(Path("bench/results").glob("*.json"))
    print(render(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
