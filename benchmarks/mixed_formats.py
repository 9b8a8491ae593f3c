"""Ingest of a mixed-format landing against the all-CSV one (issue 14, target 1's variant).

    .venv/bin/python benchmarks/mixed_formats.py --sizes 10000 100000 --rounds 2

Sources may land as GBK CSV (Chinese Excel's "Save as CSV"), xlsx and JSON Lines as well as
UTF-8 CSV (sources.md). For each size this takes the benchmark's landing
(``run_benchmark._landing_for``: the generated export, all but its last day) and writes a
**mixed copy** of it: per entity, in file-name order, file *i* is rewritten in
``FORMATS[i % 4]`` — GBK CSV, xlsx (every cell a string, written by the generator's own
xlsx writer), JSON Lines (an empty CSV cell becomes ``null``), or kept as UTF-8 CSV — so
about a quarter of the files and of the rows each. The rows are the same; only ``¥`` is
written ``￥`` in the GBK files, since GBK has no ``¥`` (the generator's ``--encoding gbk``
does the same; both parse to the same amount).

Each round then loads, into fresh warehouse files, interleaved so that a busy machine
slows them alike: the all-CSV landing with the product's loader (``load_landing``, the
ingest step's work), the mixed landing with the same loader, and DuckDB's own
``read_csv(all_varchar = true)`` of the **CSV originals** (the issue-14 baseline; DuckDB
reads neither xlsx nor GBK without extensions this machine cannot download, so the
baseline for the mixed variant is the same rows in their UTF-8 CSV form). Reported: each
way's best round (wall and CPU seconds, rows/s, share of the text-load rate) and, for the
mixed load, seconds and rows/s per format (time between consecutive "loaded" progress
messages, so hashing and encoding detection count with the file).

Check that the converted files load to the same raw rows: per entity the row count of
``raw.<entity>`` in both warehouses, and a multiset comparison (``except all`` both ways)
of every typed contract column plus ``_account_key`` and ``_errors`` (the lineage columns
differ by design: file name, hash, and jsonl numbers lines from 1 where CSV's header is
row 1); every file must be ``loaded``. Results also go to ``OUT/mixed-results.json``; the
format each mixed file was written in is listed in ``OUT/mixed-<leads>.formats.json``.
Timings are measurements on this machine, not assertions.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import resource
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.ingest_paths import text_load  # noqa: E402
from benchmarks.run_benchmark import END, _landing_for  # noqa: E402
from core.contract import load_contract  # noqa: E402
from core.database import connect  # noqa: E402
from core.settings import Settings  # noqa: E402
from crm_pipeline.generator.writers import write_csv, write_jsonl, write_xlsx  # noqa: E402
from ingestion.loader import load_landing  # noqa: E402

FORMATS = ("gbk-csv", "xlsx", "jsonl", "utf8-csv")
STAMP = dt.datetime(2026, 1, 1)  # fixed xlsx document time: same input, same bytes
LOADED = re.compile(r"^(?P<path>\S+): loaded (?P<rows>[\d,]+) rows$")


def _cpu() -> float:
    """CPU seconds of this process so far (user + system, every thread, DuckDB's too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a generated UTF-8 CSV file, every cell as text."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _convert(source: Path, target_dir: Path, entity: str, form: str) -> Path:
    """Write ``source``'s rows to ``target_dir`` in format ``form``; return the new path."""
    if form == "utf8-csv":
        target = target_dir / source.name
        os.link(source, target)
        return target
    header, rows = _read_csv(source)
    if form == "gbk-csv":
        target = target_dir / source.name
        gbk_rows = [[cell.replace("¥", "￥") for cell in row] for row in rows]
        write_csv(target, header, gbk_rows, "gbk")  # type: ignore[arg-type]
        return target
    cells: list[list[str | None]] = [[cell or None for cell in row] for row in rows]
    if form == "xlsx":
        target = target_dir / f"{source.stem}.xlsx"
        write_xlsx(target, entity, header, cells, STAMP)
        return target
    target = target_dir / f"{source.stem}.jsonl"
    write_jsonl(target, header, cells, "utf-8")
    return target


def mixed_landing(landing: Path, mixed: Path) -> dict[str, str]:
    """Write (once) the mixed copy of ``landing``; return each file's format by its path
    relative to ``mixed``. The list is kept beside the folder, not in it: the loader would
    report any extra entry in a landing folder as ignored."""
    manifest = mixed.with_name(mixed.name + ".formats.json")
    if manifest.exists():
        return json.loads(manifest.read_text())
    shutil.rmtree(mixed, ignore_errors=True)  # a conversion cut short is redone whole
    formats: dict[str, str] = {}
    for folder in sorted(p for p in landing.iterdir() if p.is_dir()):
        target_dir = mixed / folder.name
        target_dir.mkdir(parents=True, exist_ok=True)
        for index, source in enumerate(sorted(folder.glob("*.csv"))):
            form = FORMATS[index % len(FORMATS)]
            target = _convert(source, target_dir, folder.name, form)
            formats[target.relative_to(mixed).as_posix()] = form
    manifest.write_text(json.dumps(formats, indent=1))
    return formats


def _fresh(database: Path) -> Path:
    for stale in (database, database.with_name(database.name + ".wal")):
        stale.unlink(missing_ok=True)
    return database


def loader_run(landing: Path, database: Path) -> dict[str, Any]:
    """Load ``landing`` with the product's loader into a fresh file; rows and per-file time."""
    files: list[tuple[str, int, float]] = []
    last = time.perf_counter()

    def progress(message: str) -> None:
        nonlocal last
        found = LOADED.match(message)
        if found:
            now = time.perf_counter()
            files.append((found["path"], int(found["rows"].replace(",", "")), now - last))
            last = now

    with connect(_fresh(database)) as con:
        results = load_landing(
            con, landing, Settings(), run_id="bench", as_of_date=END, progress=progress
        )
    statuses: dict[str, int] = defaultdict(int)
    for result in results:
        statuses[result.status] += 1
    return {
        "rows": sum(r.rows_read for r in results),
        "statuses": dict(statuses),
        "files": files,
    }


def text_load_run(landing: Path, database: Path) -> dict[str, Any]:
    """DuckDB's own reader: every CSV as text into one table per entity (the baseline),
    the same load ``benchmarks/ingest_paths.py`` measures."""
    return {"rows": text_load(landing, _fresh(database))}


def _count(con: Any, sql: str) -> int:
    return int(con.execute(sql).fetchall()[0][0])


def compare_raw(first: Path, second: Path) -> dict[str, dict[str, int]]:
    """Per entity: raw row counts in both warehouses and rows in one but not the other
    (a multiset difference over the typed columns, ``_account_key`` and ``_errors``)."""
    import duckdb

    found: dict[str, dict[str, int]] = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{first}' as a (read_only)")
        con.execute(f"attach '{second}' as b (read_only)")
        for name, entity in load_contract().entities.items():
            cols = ", ".join(f'"{c.name}"' for c in entity.columns) + ", _account_key, _errors"
            a_minus_b = (
                f"select {cols} from a.raw.{name} except all select {cols} from b.raw.{name}"
            )
            b_minus_a = (
                f"select {cols} from b.raw.{name} except all select {cols} from a.raw.{name}"
            )
            found[name] = {
                "rows_csv": _count(con, f"select count(*) from a.raw.{name}"),
                "rows_mixed": _count(con, f"select count(*) from b.raw.{name}"),
                "only_in_csv": _count(con, f"select count(*) from ({a_minus_b})"),
                "only_in_mixed": _count(con, f"select count(*) from ({b_minus_a})"),
            }
    return found


def _per_format(
    files: list[tuple[str, int, float]], formats: dict[str, str]
) -> dict[str, dict[str, float]]:
    """Files, rows and seconds per format of one mixed load."""
    totals: dict[str, dict[str, float]] = defaultdict(lambda: {"files": 0, "rows": 0, "s": 0.0})
    for path, rows, seconds in files:
        entry = totals[formats[path]]
        entry["files"] += 1
        entry["rows"] += rows
        entry["s"] += seconds
    return dict(totals)


def benchmark(leads: int, out: Path, rounds: int) -> dict[str, Any]:
    """Convert, then time the three ways ``rounds`` times interleaved; keep each best round."""
    _, landing = _landing_for(out, leads)
    began = time.perf_counter()
    formats = mixed_landing(landing, out / f"mixed-{leads}")
    convert_seconds = time.perf_counter() - began
    scratch = out / f"mixed-scratch-{leads}"
    scratch.mkdir(exist_ok=True)
    ways: dict[str, Callable[[Path], dict[str, Any]]] = {
        "loader, all CSV": lambda db: loader_run(landing, db),
        "loader, mixed": lambda db: loader_run(out / f"mixed-{leads}", db),
        "DuckDB text load, CSV originals": lambda db: text_load_run(landing, db),
    }
    best: dict[str, dict[str, Any]] = {}
    for _ in range(rounds):
        for number, (name, run) in enumerate(ways.items()):
            cpu, start = _cpu(), time.perf_counter()
            measured = run(scratch / f"way{number}.duckdb")
            measured |= {"wall": time.perf_counter() - start, "cpu": _cpu() - cpu}
            if name not in best or measured["wall"] < best[name]["wall"]:
                best[name] = measured
    return {
        "leads": leads,
        "files_per_format": {f: list(formats.values()).count(f) for f in FORMATS},
        "convert_seconds": convert_seconds,
        "best": best,
        "per_format": _per_format(best["loader, mixed"]["files"], formats),
        "same_raw_rows": compare_raw(scratch / "way0.duckdb", scratch / "way1.duckdb"),
        "load_average": os.getloadavg(),
    }


def _print(result: dict[str, Any]) -> None:
    """Markdown tables: the three ways, the mixed load per format, the raw-row check."""
    best = result["best"]
    base = best["DuckDB text load, CSV originals"]
    print(f"\n== {result['leads']:,} leads; files per format: {result['files_per_format']} ==")
    print(
        "| way | rows | best wall s | its CPU s | rows/s | share of the text-load rate "
        "(wall) | (CPU) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, run in best.items():
        print(
            f"| {name} | {run['rows']:,} | {run['wall']:.1f} | {run['cpu']:.1f} | "
            f"{run['rows'] / run['wall']:,.0f} | {base['wall'] / run['wall']:.0%} | "
            f"{base['cpu'] / run['cpu']:.0%} |"
        )
    print("\n| mixed load, by format | files | rows | seconds | rows/s |")
    print("|---|---|---|---|---|")
    for form, entry in sorted(result["per_format"].items()):
        rate = entry["rows"] / entry["s"] if entry["s"] else 0.0
        print(
            f"| {form} | {entry['files']:.0f} | {entry['rows']:,.0f} | {entry['s']:.1f} | "
            f"{rate:,.0f} |"
        )
    print("\n| entity | raw rows, all CSV | raw rows, mixed | only in CSV load | only in mixed |")
    print("|---|---|---|---|---|")
    for name, check in result["same_raw_rows"].items():
        print(
            f"| {name} | {check['rows_csv']:,} | {check['rows_mixed']:,} | "
            f"{check['only_in_csv']} | {check['only_in_mixed']} |"
        )
    statuses = {name: best[name]["statuses"] for name in best if "statuses" in best[name]}
    print(f"file_loads statuses: {statuses}; load average {result['load_average']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for leads in args.sizes:
        result = benchmark(leads, out, args.rounds)
        _print(result)
        results.append(result)
        (out / "mixed-results.json").write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
