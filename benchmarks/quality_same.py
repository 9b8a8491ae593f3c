"""Dump what the quality step recorded, to show a faster step records the same (issue 14).

For each landing folder the files are loaded and checked day by day, as daily builds
would: the files whose name starts with a date are copied into a scratch landing folder
one day at a time (files without a date first), each day loaded with the real loader and
checked by :func:`quality.checks.run_quality_checks` with run id ``run-<day>``. With
``--one-run`` everything is loaded and checked at once instead (the full build's case).
Then every table of ``data_quality`` is written to ``OUT`` as sorted text lines; the
values of timestamp columns (when something ran) are written as ``<set>`` or ``<null>``.

Run it on two versions of the code (``PYTHONPATH=<other checkout>`` puts another one
first) and compare the two files with ``cmp``. Usage: ``python benchmarks/quality_same.py
OUT LANDING... [--one-run] [--as-of YYYY-MM-DD]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")


def files_by_day(landing: Path) -> dict[str, list[Path]]:
    """The folder's files grouped by the date their name starts with ('' = no date)."""
    days: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        match = DAY.match(path.name)
        days[match.group(1) if match else ""].append(path)
    return dict(sorted(days.items()))


def dump(con: duckdb.DuckDBPyConnection, title: str) -> list[str]:
    """Every ``data_quality`` table as sorted lines, timestamps as ``<set>`` / ``<null>``."""
    from core.quality_tables import DQ_SCHEMA, TABLES

    lines: list[str] = []
    for table in TABLES:
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [DQ_SCHEMA, table],
        ).fetchall()
        select = ", ".join(
            f"case when \"{name}\" is null then '<null>' else '<set>' end"
            if kind.startswith("TIMESTAMP")
            else f'"{name}"'
            for name, kind in columns
        )
        rows = con.execute(f"select {select} from {DQ_SCHEMA}.{table}").fetchall()
        lines.append(f"== {title} {table} ({len(rows)} rows)")
        lines += sorted(repr(row) for row in rows)
    return lines


def check_folder(
    landing: Path, scratch: Path, *, one_run: bool, as_of: dt.date, validator: Any = None
) -> list[str]:
    """Load and check one landing folder (day by day, or at once); its dump.

    ``validator``: one Great Expectations validator for every run (``None``: each run
    starts its own, as a build does).
    """
    from core import database
    from core.settings import Settings
    from ingestion.loader import load_landing
    from quality.checks import run_quality_checks

    settings = Settings()
    staged, warehouse = scratch / "landing", scratch / "quality-same.duckdb"
    shutil.rmtree(staged, ignore_errors=True)
    warehouse.unlink(missing_ok=True)
    days = {"": [p for paths in files_by_day(landing).values() for p in paths]}
    if not one_run:
        days = files_by_day(landing)
    with database.connect(warehouse) as con:
        for day, paths in days.items():
            for path in paths:
                target = staged / path.relative_to(landing)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
            date = dt.date.fromisoformat(day) if day else as_of
            load_landing(con, staged, settings, run_id=f"run-{day}", as_of_date=date)
            run_quality_checks(
                con, settings, run_id=f"run-{day}", as_of_date=date, validator=validator
            )
        lines = dump(con, landing.name)
    warehouse.unlink(missing_ok=True)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("landing", type=Path, nargs="+")
    parser.add_argument("--one-run", action="store_true", help="load and check everything at once")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 3, 30))
    parser.add_argument(
        "--shared-gx",
        action="store_true",
        help="start Great Expectations once for every run (faster on many days)",
    )
    args = parser.parse_args()
    validator = None
    if args.shared_gx:
        from quality.gx_suites import GxValidator

        validator = GxValidator()
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        for landing in args.landing:
            lines += check_folder(
                landing.resolve(),
                Path(scratch),
                one_run=args.one_run,
                as_of=args.as_of,
                validator=validator,
            )
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(lines):,} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
