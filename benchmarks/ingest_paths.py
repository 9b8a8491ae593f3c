"""Ingest only: the DuckDB path, the Python path and DuckDB's own text load, interleaved.

    .venv/bin/python benchmarks/ingest_paths.py benchmarks/out/landing-100000 --rounds 3

Each round loads the landing folder into a fresh warehouse file three ways: the loader
with every CSV file in DuckDB (``ingestion.csv_engine``, whatever its size; consecutive
files of one entity and one header in one statement, as in a build), the loader
with the DuckDB path switched off (every file through the Python reader and parser), and DuckDB's
``read_csv(all_varchar = true)`` into one table per entity (the issue-14 baseline). The
rounds interleave the three so that a busy machine slows them alike; the table reports
each one's best round, wall and CPU seconds (CPU counts every thread of the process).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.settings import Settings  # noqa: E402
from ingestion import loader  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load(landing: Path, database: Path, engine: bool) -> int:
    """Rows read by the loader; ``engine=False`` sends every file to the Python reader."""
    stage, threshold = loader.stage_csv, loader.ENGINE_MIN_BYTES
    loader.ENGINE_MIN_BYTES = 0  # every CSV file takes the path asked for
    if not engine:
        loader.stage_csv = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        with duckdb.connect(str(database)) as con:
            results = loader.load_landing(
                con, landing, Settings(), run_id="bench", as_of_date=dt.date(2026, 3, 31)
            )
    finally:
        loader.stage_csv, loader.ENGINE_MIN_BYTES = stage, threshold
    return sum(r.rows_read for r in results)


def text_load(landing: Path, database: Path) -> int:
    """DuckDB's own reader: every CSV as text, one table per entity, headers by name."""
    rows = 0
    with duckdb.connect(str(database)) as con:
        for folder in sorted(p for p in landing.iterdir() if p.is_dir()):
            files = sorted(str(f) for f in folder.glob("*.csv"))
            if files:
                con.execute(
                    f'create table "{folder.name}" as select * from read_csv(?, '
                    "all_varchar = true, union_by_name = true, header = true)",
                    [files],
                )
                rows += con.execute(f'select count(*) from "{folder.name}"').fetchall()[0][0]
    return rows


def _measure(run: Callable[[Path], int], scratch: Path) -> tuple[int, float, float]:
    database = scratch / "ingest.duckdb"
    for path in (database, scratch / "ingest.duckdb.wal"):
        path.unlink(missing_ok=True)
    cpu, began = _cpu(), time.perf_counter()
    rows = run(database)
    return rows, time.perf_counter() - began, _cpu() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--skip-python",
        action="store_true",
        help="leave out the Python path (at 10^6 it alone takes a quarter of an hour)",
    )
    args = parser.parse_args()
    ways: dict[str, Callable[[Path], int]] = {
        "loader, DuckDB path": lambda db: _load(args.landing, db, True),
        "loader, Python path": lambda db: _load(args.landing, db, False),
        "DuckDB text load": lambda db: text_load(args.landing, db),
    }
    if args.skip_python:
        del ways["loader, Python path"]
    best: dict[str, tuple[int, float, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.rounds):
            for name, run in ways.items():
                rows, wall, cpu = _measure(run, Path(scratch))
                if name not in best or wall < best[name][1]:
                    best[name] = (rows, wall, cpu)
    base_wall = best["DuckDB text load"][1]
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.1f}")
    print("| way | rows | best wall s | its CPU s | rows/s | share of the text-load rate |")
    print("|---|---|---|---|---|---|")
    for name, (rows, wall, cpu) in best.items():
        print(
            f"| {name} | {rows:,} | {wall:.1f} | {cpu:.1f} | {rows / wall:,.0f} | "
            f"{base_wall / wall:.0%} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
