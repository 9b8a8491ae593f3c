"""Benchmark of the daily build (spec/operations.md, "Performance targets").

For each size (leads; follow-ups and service records scale with it) it:

1. generates a landing folder (cached between runs under ``--out``), all but its last day;
2. runs a **full build** through the real Dagster job in a child process and reports each
   step's wall time and rows per second, plus its peak memory: the build process and its
   dbt subprocesses sampled together from /proc, and dbt's share on its own;
3. replays the SQL that dbt compiled for the marts **directly in DuckDB** on a copy of the
   build database, so the pipeline's overhead over plain SQL is visible;
4. lands the last day's files and runs the **daily build** for the next date, to compare its
   cost with the full build.

Usage: ``python benchmarks/run_benchmark.py [--sizes 10000 100000 1000000] [--out DIR]``.
Results are printed as a table and written to ``OUT/results.json``. Nothing here is a test:
timings are measurements on this machine, not assertions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
START = dt.date(2026, 1, 1)
END = dt.date(2026, 3, 31)
SERVICE_RATIO = 1.0  # spec: 1 M service records per 10⁶ leads
# Dagster step key fragment -> the row of the table (and its baseline, if any).
STEPS: tuple[tuple[str, str], ...] = (
    ("raw_landing_files", "ingest"),
    ("quarantine", "quality"),
    ("crm_dbt_models", "dbt"),
    ("published_marts", "publish"),
    ("build_report", "quality report"),
    ("manager_decks", "manager decks"),
)


def _landing_for(out: Path, leads: int) -> tuple[Path, Path]:
    """Generate (once) the export for ``leads``; return (export dir, landing dir)."""
    from crm_pipeline.generator import GeneratorOptions, generate

    export = out / f"export-{leads}-sr{SERVICE_RATIO:g}"
    marker = export / ".complete"
    if not marker.exists():
        shutil.rmtree(export, ignore_errors=True)
        began = time.perf_counter()
        summary = generate(
            export,
            GeneratorOptions(
                leads=leads,
                start=START,
                end=END,
                seed=7,
                dirty_rate=0.01,
                service_ratio=SERVICE_RATIO,
            ),
        )
        seconds = time.perf_counter() - began
        marker.write_text(json.dumps({"rows": summary.rows, "seconds": seconds}))
    landing = out / f"landing-{leads}"
    shutil.rmtree(landing, ignore_errors=True)
    for source in export.glob("*/*"):
        if source.name.startswith(END.isoformat()):
            continue  # the last day lands later, for the daily build
        target = landing / source.parent.name / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, target)
    return export, landing


def _child_build(landing: Path, warehouse: Path, as_of: dt.date) -> dict[str, Any]:
    """Run one build in a child process (so its peak memory is its own)."""
    code = (
        "import json, resource, sys, datetime as dt\n"
        "from pathlib import Path\n"
        "from benchmarks.run_benchmark import build_and_measure\n"
        "print(json.dumps(build_and_measure(Path(sys.argv[1]), Path(sys.argv[2]), "
        "dt.date.fromisoformat(sys.argv[3]))))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, str(landing), str(warehouse), as_of.isoformat()],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark build failed:\n{completed.stderr[-3000:]}")
    return json.loads(lines[-1])


def _rss_mb(pid: int) -> float:
    """Resident memory of a live process from /proc (0 when it has already gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (the dbt subprocesses of a build), from /proc."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


class _MemorySampler(threading.Thread):
    """Samples this process's RSS and its descendants' every few hundred ms while a build
    runs: the true combined peak (build process + dbt subprocess at the same moment) and
    the dbt subprocess's own peak. ``ru_maxrss`` cannot give either: Linux carries a
    parent's high-water mark into a forked child, so the child's figure includes the
    parent's pages."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.stopped = threading.Event()
        self.peak_total_mb = 0.0
        self.peak_children_mb = 0.0

    def run(self) -> None:
        me = os.getpid()
        while not self.stopped.wait(self.interval):
            children = sum(_rss_mb(pid) for pid in _descendants(me))
            self.peak_children_mb = max(self.peak_children_mb, children)
            self.peak_total_mb = max(self.peak_total_mb, _rss_mb(me) + children)


def _own_high_water_mb() -> float:
    """This process's own peak resident memory (``VmHWM``), which starts afresh at exec.

    Not ``ru_maxrss``: Linux carries the forking process's high-water mark into it across
    exec, so a build started after the benchmark process had replayed the baselines (5 GB
    of DuckDB memory at 10⁶) reported that figure as its own.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its finished children (dbt):
    on a shared machine they move far less with the load than wall seconds do."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def build_and_measure(landing: Path, warehouse: Path, as_of: dt.date) -> dict[str, Any]:
    """Run the daily build job; return step durations and peak memory (in this process)."""
    from dagster import DagsterEventType, DagsterInstance

    from core.paths import WarehousePaths
    from crm_pipeline.runner import dagster_home, run_build

    sampler = _MemorySampler()
    sampler.start()
    cpu_began = _cpu_seconds()
    began = time.perf_counter()
    outcome = run_build(landing, warehouse, as_of)
    total = time.perf_counter() - began
    cpu = _cpu_seconds() - cpu_began
    sampler.stopped.set()
    sampler.join()
    steps: dict[str, float] = {}
    home = dagster_home(WarehousePaths(warehouse.resolve()))
    with DagsterInstance.from_config(str(home)) as instance:
        starts: dict[str, float] = {}
        for record in instance.all_logs(outcome.run_id or ""):
            event = record.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                starts[event.step_key] = record.timestamp
            elif event.event_type == DagsterEventType.STEP_SUCCESS and event.step_key in starts:
                steps[event.step_key] = record.timestamp - starts[event.step_key]
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "status": outcome.status,
        "reason": outcome.reason,
        "total_seconds": total,
        "cpu_seconds": cpu,
        "steps": steps,
        "peak_rss_mb": _own_high_water_mb(),
        "peak_child_rss_mb": children / 1024,
        "sampled_peak_total_mb": sampler.peak_total_mb,
        "sampled_peak_dbt_mb": sampler.peak_children_mb,
    }


def _peak_text(run: dict[str, Any]) -> str:
    """Peak memory of a build: the build process and its dbt subprocesses at the same moment
    (sampled; never below the build process's own exact high-water mark), and dbt's share."""
    combined = max(run.get("sampled_peak_total_mb", 0.0), run["peak_rss_mb"])
    return f"{combined:,.0f} MB (dbt {run.get('sampled_peak_dbt_mb', 0.0):,.0f} MB)"


def _row_counts(build_db: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(build_db), read_only=True) as con:
        return {
            name: int(con.execute(f"select count(*) from raw.{name}").fetchone()[0])
            for name in ("leads", "follow_ups", "service_records")
        }


def _direct_sql_seconds(build_db: Path, scratch: Path) -> float | None:
    """Replay dbt's compiled model SQL (in dbt's execution order) directly in DuckDB."""
    import duckdb

    # Builds keep one dbt target folder per invocation under WAREHOUSE/build/dbt_target/.
    target = build_db.parent / "dbt_target"
    runs = sorted(target.glob("*/run_results.json"), key=lambda p: p.stat().st_mtime)
    # The build runs `dbt run` then `dbt test`: the newest results holding models are the run's.
    results = next(
        (
            found
            for found in (json.loads(path.read_text())["results"] for path in reversed(runs))
            if any(r["unique_id"].startswith("model.") for r in found)
        ),
        None,
    )
    if results is None:
        return None
    # Same file name as the build database: compiled SQL names it as the catalog.
    (scratch / "direct").mkdir(exist_ok=True)
    copy = scratch / "direct" / build_db.name
    shutil.copyfile(build_db, copy)
    statements = []
    for result in results:
        unique_id = result["unique_id"]
        if not unique_id.startswith("model."):
            continue
        compiled = result.get("compiled_code")
        relation = result.get("relation_name")
        if not compiled or not relation:
            continue
        statements.append(f"create or replace table {relation} as {compiled}")
    with duckdb.connect(str(copy)) as con:
        began = time.perf_counter()
        for sql in statements:
            con.execute(sql)
        elapsed = time.perf_counter() - began
    copy.unlink(missing_ok=True)
    return elapsed


def _duckdb_text_load_seconds(landing: Path, scratch: Path) -> float:
    """DuckDB's own reader loading every landed CSV as text (``all_varchar``) into tables.

    The baseline of the ingest step: the same files, no parsing, no checks, one table per
    entity, headers by name (``union_by_name``).
    """
    import duckdb

    target = scratch / "text-baseline.duckdb"
    target.unlink(missing_ok=True)
    began = time.perf_counter()
    with duckdb.connect(str(target)) as con:
        con.execute(f"set memory_limit = '{os.environ.get('CRM_DUCKDB_MEMORY_LIMIT', '2GB')}'")
        for folder in sorted(p for p in landing.iterdir() if p.is_dir()):
            files = sorted(str(f) for f in folder.glob("*.csv"))
            if not files:
                continue
            con.execute(
                f'create table "{folder.name}" as select * from read_csv(?, all_varchar = true, '
                "union_by_name = true, header = true)",
                [files],
            )
    elapsed = time.perf_counter() - began
    target.unlink(missing_ok=True)
    return elapsed


def benchmark(leads: int, out: Path) -> dict[str, Any]:
    export, landing = _landing_for(out, leads)
    generated = json.loads((export / ".complete").read_text())
    warehouse = out / f"warehouse-{leads}"
    shutil.rmtree(warehouse, ignore_errors=True)
    full = _child_build(landing, warehouse, END - dt.timedelta(days=1))
    rows = _row_counts(warehouse / "build" / "crm.duckdb")
    direct = _direct_sql_seconds(warehouse / "build" / "crm.duckdb", out)
    text_load = _duckdb_text_load_seconds(landing, out)
    for source in export.glob(f"*/{END.isoformat()}*"):
        target = landing / source.parent.name / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, target)
    daily = _child_build(landing, warehouse, END)
    return {
        "leads": leads,
        "generated_rows": generated["rows"],
        "generate_seconds": generated["seconds"],
        "raw_rows": rows,
        "full_build": full,
        "direct_sql_seconds": direct,
        "text_load_seconds": text_load,
        "daily_build": daily,
    }


def _table_rows(result: dict[str, Any]) -> list[tuple[str, int, float, float | None, str]]:
    """(step, rows, seconds, baseline seconds, peak memory) per step of the full build."""
    total_rows = sum(result["raw_rows"].values())
    full = result["full_build"]
    baselines = {"ingest": result.get("text_load_seconds"), "dbt": result["direct_sql_seconds"]}
    rows: list[tuple[str, int, float, float | None, str]] = []
    for fragment, label in STEPS:
        seconds = next((v for k, v in full["steps"].items() if fragment in k), None)
        if seconds is not None:
            rows.append((label, total_rows, seconds, baselines.get(label), ""))
    hand_run = None
    if baselines["ingest"] is not None and baselines["dbt"] is not None:
        hand_run = baselines["ingest"] + baselines["dbt"]
    rows.append(("full build", total_rows, full["total_seconds"], hand_run, _peak_text(full)))
    daily = result["daily_build"]
    rows.append(("daily build", 0, daily["total_seconds"], None, _peak_text(daily)))
    return rows


def _steps_text(build: dict[str, Any]) -> str:
    """The steps of one build in run order with their seconds, e.g. for the daily build.

    Target 4 compares whole builds; this line says where a daily build's seconds go.
    """
    parts = []
    for fragment, label in STEPS:
        seconds = next((v for k, v in build["steps"].items() if fragment in k), None)
        if seconds is not None:
            parts.append(f"{label} {seconds:.1f} s")
    outside = build["total_seconds"] - sum(build["steps"].values())
    parts.append(
        f"outside the steps (loading the definitions, starting the run, hand-overs) {outside:.1f} s"
    )
    return ", ".join(parts)


def _print(result: dict[str, Any]) -> None:
    """One table for one size: step, rows, seconds, rows/s, baseline, ratio, peak memory."""
    raw = result["raw_rows"]
    full, daily = result["full_build"], result["daily_build"]
    print(f"\n== {result['leads']:,} leads: raw rows {raw} ==")
    print(
        f"generate: {result['generate_seconds']:.1f}s; full build {full['status']}, "
        f"daily build {daily['status']}"
    )
    header = ("step", "rows", "seconds", "rows/s", "baseline s", "ratio", "peak memory")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for step, rows, seconds, baseline, memory in _table_rows(result):
        rate = f"{rows / seconds:,.0f}" if rows and seconds else ""
        base = f"{baseline:.1f}" if baseline else ""
        ratio = f"{seconds / baseline:.2f}×" if baseline else ""
        shown_rows = f"{rows:,}" if rows else ""
        print(f"| {step} | {shown_rows} | {seconds:.1f} | {rate} | {base} | {ratio} | {memory} |")
    print(f"daily/full: {daily['total_seconds'] / full['total_seconds']:.0%}")
    print(f"daily build by step: {_steps_text(daily)}")
    if "cpu_seconds" in full and "cpu_seconds" in daily:
        print(
            f"CPU seconds (build process + dbt, user + sys): full {full['cpu_seconds']:.1f}, "
            f"daily {daily['cpu_seconds']:.1f}"
        )
    print(
        "baselines: ingest = DuckDB read_csv(all_varchar) of the same files into tables; "
        "dbt = its compiled model SQL run directly; full build = the two together. "
        "Peak memory = build process and its dbt subprocesses at the same moment "
        "(sampled every 0.2 s), dbt's share in brackets."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for leads in args.sizes:
        result = benchmark(leads, args.out.resolve())
        _print(result)
        results.append(result)
        (args.out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
