"""End to end: a warehouse backfilled day by day holds, for every date D, exactly the marts
that a warehouse built from scratch for D out of the files landed by D holds (issue 16).

Files arrive like in production: the fixture tests/e2e/fixtures/funnel_landing names each
file by its business date, and before the build of D the temporary landing folder receives
only the files dated on or before D. One warehouse is built date after date through the
real backfill (``crm_pipeline.backfill.run_backfill``, one date per call, as the nightly
schedule would); after each build every mart table is read from the published serving
file. Then, for each D, a fresh warehouse is built once, for D only, from a landing folder
holding the files of D and before, and every mart table must hold the same rows.

What a past build saw must be reproducible: a mart that differs means the daily build of D
used something that was not known by the end of D (a later version, a quarantine release,
a rating given later), or that a rebuild of D would not reproduce the day's numbers.

Rules of the comparison:
- rows are compared as multisets (order-insensitive), column names and order must match;
- values are compared exactly, floats included: both warehouses compute from the same rows
  with the same SQL, so any difference at all is a difference in input;
- ``pipeline_snapshot`` and ``forecast_snapshot`` keep one set of rows per build date
  across builds (marts.md): the backfilled warehouse holds the sets of every earlier date
  as well, a fresh warehouse only D's. Their rows of ``snapshot_date = D`` are compared;
  the earlier sets are the earlier builds' own, checked when those dates were compared.

Dates: every date a file lands on (02-28 after the first file of 01-31, 03-31, 04-02,
04-03) and one date between two arrivals (03-15), where a later version must not show.
The first date is built from an empty warehouse in both cases, so it is not compared.
Not the backbone fixture: there a follow-up (03-06) waits for its lead (03-20), so the
day-by-day warehouse is blocked from 03-06 on by the durable gate (a quarantine-rate hold
lasts until the file is corrected, withdrawn or accepted), while a rebuild of 03-20 never
quarantines it and publishes; their marts are equal in the build databases.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crm_pipeline.backfill import run_backfill
from crm_pipeline.runner import EXIT_PUBLISHED

pytestmark = pytest.mark.e2e

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "funnel_landing"
DATES = [
    dt.date(2026, 2, 28),
    dt.date(2026, 3, 15),
    dt.date(2026, 3, 31),
    dt.date(2026, 4, 2),
    dt.date(2026, 4, 3),
]
MART_SCHEMAS = ("opportunity_funnel", "customer_lifecycle")
# tables that keep one set of rows per build date (compared on snapshot_date = D)
SNAPSHOT_TABLES = {"opportunity_funnel.pipeline_snapshot", "opportunity_funnel.forecast_snapshot"}

Table = tuple[tuple[str, ...], Counter[tuple[Any, ...]]]


def business_date(file: Path) -> dt.date:
    """The fixture's files are named by their business date (``YYYY-MM-DD.csv``)."""
    return dt.date.fromisoformat(file.stem)


def land_files_until(as_of: dt.date, landing: Path) -> None:
    """Copy into ``landing`` every fixture file whose business date is on or before D."""
    for file in sorted(FIXTURE.rglob("*.csv")):
        if business_date(file) <= as_of:
            target = landing / file.relative_to(FIXTURE)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, target)


def build(landing: Path, warehouse: Path, as_of: dt.date) -> None:
    """One daily build of D through the backfill; it must publish."""
    lines: list[str] = []
    code = run_backfill(
        landing, warehouse, as_of, as_of, None, lines.append, step_retry_delay_seconds=0
    )
    assert code == EXIT_PUBLISHED, lines


def read_marts(warehouse: Path, as_of: dt.date) -> dict[str, Table]:
    """Every mart table of the published serving file: column names and a multiset of rows."""
    tables: dict[str, Table] = {}
    with duckdb.connect(str(warehouse / "serving" / "crm.duckdb"), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (?, ?)",
            list(MART_SCHEMAS),
        ).fetchall()
        for schema, table in names:
            key = f"{schema}.{table}"
            where = "where snapshot_date = ?" if key in SNAPSHOT_TABLES else ""
            cursor = con.execute(
                f'select * from "{schema}"."{table}" {where}',
                [as_of] if where else [],
            )
            columns = tuple(column[0] for column in cursor.description)
            tables[key] = (columns, Counter(cursor.fetchall()))
    return tables


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> dict[dt.date, dict[str, Table]]:
    """One warehouse built date after date; the marts as published after each build."""
    root = tmp_path_factory.mktemp("day_by_day")
    landing, warehouse = root / "landing", root / "warehouse"
    landing.mkdir()
    mp = pytest.MonkeyPatch()
    mp.delenv("DAGSTER_HOME", raising=False)  # each warehouse keeps its own instance
    marts: dict[dt.date, dict[str, Table]] = {}
    try:
        for as_of in DATES:
            land_files_until(as_of, landing)
            build(landing, warehouse, as_of)
            marts[as_of] = read_marts(warehouse, as_of)
    finally:
        mp.undo()
    return marts


def test_the_fixture_lands_files_on_several_dates() -> None:
    # guards the premise: files really arrive between the dates compared below
    arrivals = {business_date(file) for file in FIXTURE.rglob("*.csv")}
    assert len({as_of for as_of in DATES if as_of in arrivals}) >= 3
    assert min(arrivals) < DATES[0]


@pytest.mark.parametrize("as_of", DATES[1:], ids=str)
def test_a_rebuild_from_scratch_equals_the_day_by_day_build(
    as_of: dt.date,
    backfilled: dict[dt.date, dict[str, Table]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    landing.mkdir()
    land_files_until(as_of, landing)
    build(landing, warehouse, as_of)
    rebuilt = read_marts(warehouse, as_of)
    day_by_day = backfilled[as_of]

    assert sorted(rebuilt) == sorted(day_by_day)
    assert any(rows for _, rows in rebuilt.values())  # the comparison is not of empty marts
    differences = {}
    for table in sorted(rebuilt):
        (columns, rows), (columns_then, rows_then) = rebuilt[table], day_by_day[table]
        if columns != columns_then or rows != rows_then:
            differences[table] = {
                "only in the day-by-day build": list((rows_then - rows).elements())[:5],
                "only in the rebuild": list((rows - rows_then).elements())[:5],
                "columns": (columns_then, columns) if columns != columns_then else "same",
            }
    assert not differences, differences
