"""Benchmark of the publish step alone: serving copy, comments, Parquet (issue 14).

Runs :func:`delivery.publish.publish_serving` on a built warehouse (e.g. the
``OUT/warehouse-100000`` that ``make bench`` left; its build database is only read, and
the serving folder is rewritten as a build would) a few times and prints, per round, the
wall and CPU seconds (user + system of this process, DuckDB's threads included) of the
whole publish and of its parts, and the serving file's size.

Usage: ``python benchmarks/publish_step.py WAREHOUSE [--rounds 3]``. A measurement, not a
test: wall seconds depend on what else the machine is doing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import resource
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.paths import WarehousePaths
from delivery import publish, serving_meta


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(parts: dict[str, list[float]], name: str, function: Callable[..., Any]) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), _cpu()
        try:
            return function(*args, **kwargs)
        finally:
            parts[name][0] += time.perf_counter() - wall
            parts[name][1] += _cpu() - cpu

    return wrapper


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    paths = WarehousePaths(args.warehouse.resolve())
    parts: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    publish._write_parquet = _timed(parts, "parquet", publish._write_parquet)
    serving_meta.write_comments = _timed(parts, "comments", serving_meta.write_comments)
    record = publish.PublishRecord("bench", dt.date(2026, 3, 31), dt.datetime(2026, 3, 31), "")
    for number in range(1, args.rounds + 1):
        parts.clear()
        wall, cpu = time.perf_counter(), _cpu()
        publish.publish_serving(paths, run_id=f"bench-{number}", record=record)
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        shown = ", ".join(f"{name} {w:.2f} s ({c:.2f} CPU)" for name, (w, c) in parts.items())
        size = paths.serving_db.stat().st_size / 2**20
        print(f"round {number}: {wall:.2f} s wall, {cpu:.2f} s CPU; {shown}; file {size:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
