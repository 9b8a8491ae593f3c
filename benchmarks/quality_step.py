"""Benchmark of the quality step alone, per rule family (issue 14, target 2).

Loads a landing folder once into a scratch build database (kept as
``OUT/quality-<folder name>.duckdb``: every load is still pending), then runs
:func:`quality.checks.run_quality_checks` on a fresh copy of it and prints: the seconds
Great Expectations takes to import and create its context (a fixed cost per build), the
step's seconds and rows per second over the new rows, and the seconds spent in each rule
family and writer that :mod:`quality.checks` calls, with GX's own validation split out of
``expectation_failures``. Every figure is wall seconds and CPU seconds (user + system of
the whole process, DuckDB's threads included): on a shared machine wall time mostly says
how busy the machine was, CPU time what the step cost.

Usage: ``python benchmarks/quality_step.py LANDING [--out DIR] [--as-of YYYY-MM-DD]
[--sample-rows N]``, e.g.
on the landing folder ``make bench`` generated (``benchmarks/out/landing-100000``).
A measurement, not a test: the numbers depend on what else the machine is doing.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import functools
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _loaded_database(landing: Path, out: Path, as_of: dt.date) -> Path:
    """The landing folder loaded with the real loader, quality not yet run (cached)."""
    from core import database
    from core.settings import Settings
    from ingestion.loader import load_landing

    cached = out / f"quality-{landing.name}.duckdb"
    if not cached.exists():
        out.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        with database.connect(partial) as con:
            load_landing(con, landing, Settings(), run_id="bench-load", as_of_date=as_of)
        partial.rename(cached)
    return cached


def _cpu() -> float:
    """CPU seconds (user + system) this process has used so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


Spent = collections.Counter[tuple[str, str]]


def _timed(spent: Spent, name: str, func: Callable[..., Any]) -> Callable:
    """``func``, adding its wall and CPU seconds to ``spent[(name, ...)]`` on every call."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began, cpu = time.perf_counter(), _cpu()
        try:
            return func(*args, **kwargs)
        finally:
            spent[(name, "wall")] += time.perf_counter() - began
            spent[(name, "cpu")] += _cpu() - cpu

    return wrapper


def measure(
    landing: Path,
    out: Path,
    as_of: dt.date,
    *,
    gx_in_step: bool = False,
    dump_to: Path | None = None,
) -> None:
    """Run the quality step once on a copy of the loaded database and print the timings.

    With ``gx_in_step`` the step starts Great Expectations itself, as a build does, and
    its start counts in the step; otherwise the start is measured apart first. With
    ``dump_to`` the ``data_quality`` schema after the step is written there
    (``benchmarks/quality_same.py``'s format), to compare two versions of the code.
    """
    from core import database
    from core.settings import Settings

    work = out / "quality-step.duckdb"
    shutil.copyfile(_loaded_database(landing, out, as_of), work)
    spent: Spent = collections.Counter()
    began, cpu = time.perf_counter(), _cpu()
    from quality.gx_suites import GxValidator

    validator = None
    validated: collections.Counter[str] = collections.Counter()
    if not gx_in_step:
        validator = GxValidator()
        validate = validator.validate

        def counted(entity: str, frame: Any) -> Any:
            validated[entity] += len(frame)
            return validate(entity, frame)

        validator.validate = _timed(spent, "  of which GX validate", counted)  # type: ignore[method-assign]
    gx_start, gx_start_cpu = time.perf_counter() - began, _cpu() - cpu
    import quality.checks as step

    # the functions the step calls through the module, not the step itself
    entry_points = {"run_quality_checks", "_check_pending_rows", "_row_rules"}
    for name, func in vars(step).copy().items():
        module = getattr(func, "__module__", "") or ""
        called = callable(func) and not isinstance(func, type) and name not in entry_points
        if called and module.startswith("quality."):
            setattr(step, name, _timed(spent, name, func))
    with database.connect(work) as con:
        began, cpu = time.perf_counter(), _cpu()
        outcome = step.run_quality_checks(
            con, Settings(), run_id="bench", as_of_date=as_of, validator=validator
        )
        seconds, cpu = time.perf_counter() - began, _cpu() - cpu
        if dump_to is not None:
            from quality_same import dump  # next to this script, which is on sys.path

            dump_to.write_text("\n".join(dump(con, landing.name)) + "\n", encoding="utf-8")
    work.unlink(missing_ok=True)
    rows = sum(e.rows_checked for e in outcome.entities.values())
    print(
        f"Great Expectations import and context: {gx_start:.1f} s wall, "
        f"{gx_start_cpu:.1f} s CPU (once per build)"
        + (" -- not measured apart: the step starts GX itself" if gx_in_step else "")
    )
    print(
        f"quality step: {rows:,} rows in {seconds:.1f} s wall = {rows / seconds:,.0f} rows/s; "
        f"{cpu:.1f} s CPU = {rows / cpu:,.0f} rows per CPU second"
    )
    print(f"  with the GX start: {rows / (seconds + gx_start):,.0f} rows/s wall")
    if validated:
        print(
            f"  rows GX validated (candidates and sample): {sum(validated.values()):,} ("
            + ", ".join(f"{name} {count:,}" for name, count in validated.items())
            + ")"
        )
    for error in outcome.infrastructure_errors:  # a benchmark of a step that did not run
        print(f"  INFRASTRUCTURE ERROR: {error}")
    print(f"  {'part':28s} {'wall s':>7s} {'CPU s':>7s}")
    walls = {name: part for (name, kind), part in spent.items() if kind == "wall"}
    for name, part in sorted(walls.items(), key=lambda item: -item[1]):
        if part >= 0.01:
            print(f"  {name:28s} {part:7.2f} {spent[(name, 'cpu')]:7.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak RSS of the process: {peak:.2f} GB")


def measure_gx_at_scale(landing: Path, out: Path, as_of: dt.date, rows: int) -> None:
    """GX's validation alone on batches of about ``rows`` rows: each entity's new rows
    repeated to that size, validated once (its start excluded). Estimates GX's rate at the
    spec's size (1 M-row batches) from a smaller loaded folder."""
    import pyarrow as pa

    from core import database
    from core.contract import load_contract
    from core.settings import Settings
    from quality.gx_suites import GxValidator, contract_checks
    from quality.rules.expectations import batch_query
    from quality.rules.new_rows import stage_new_rows

    work = out / "quality-gx-scale.duckdb"
    shutil.copyfile(_loaded_database(landing, out, as_of), work)
    validator = GxValidator()
    checked, spent = 0, 0.0
    with database.connect(work) as con:
        for entity in load_contract().entities.values():
            if not stage_new_rows(con, entity.name):
                continue
            checks = contract_checks(entity, Settings())
            validator.register(entity.name, checks)
            table = con.sql(batch_query(entity, checks)).fetch_arrow_table()
            copies = max(1, round(rows / table.num_rows))
            frame = pa.concat_tables([table] * copies).combine_chunks().to_pandas()
            cpu = _cpu()
            result = validator.validate(entity.name, frame)
            used = _cpu() - cpu
            checked, spent = checked + len(frame), spent + used
            print(
                f"  {entity.name:16s} {len(frame):>10,} rows {used:6.2f} s CPU "
                f"{len(frame) / used:>10,.0f} rows per CPU s, {len(result.findings):,} findings"
            )
    work.unlink(missing_ok=True)
    rate = checked / spent
    print(f"GX validation: {checked:,} rows, {spent:.2f} s CPU = {rate:,.0f} rows per CPU s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 3, 30))
    parser.add_argument(
        "--gx-in-step",
        action="store_true",
        help="let the step start Great Expectations itself, as a build does",
    )
    parser.add_argument(
        "--sample-rows",
        type=int,
        metavar="N",
        help="GX's check sample per entity (default: quality.rules.expectations.SAMPLE_ROWS)",
    )
    parser.add_argument(
        "--gx-at-scale",
        type=int,
        metavar="ROWS",
        help="instead: GX's validation alone on each entity's new rows repeated to ROWS",
    )
    parser.add_argument(
        "--dump",
        type=Path,
        metavar="FILE",
        help="write the data_quality schema after the step to FILE (to compare versions)",
    )
    args = parser.parse_args()
    if args.sample_rows is not None:
        import quality.rules.expectations

        quality.rules.expectations.SAMPLE_ROWS = args.sample_rows
    if args.gx_at_scale:
        measure_gx_at_scale(args.landing.resolve(), args.out, args.as_of, args.gx_at_scale)
    else:
        measure(
            args.landing.resolve(),
            args.out,
            args.as_of,
            gx_in_step=args.gx_in_step,
            dump_to=args.dump,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
