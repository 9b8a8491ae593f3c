"""End to end: a warehouse backfilled day by day holds, for every date D, exactly the marts
that a warehouse built from scratch for D out of the files landed by D holds (issue 16).
The day-by-day warehouse builds incrementally (the staging bases keep the rows masked by
earlier builds and add the new ones, issue 14); the warehouse built from scratch builds
every table in full, so this is also the "incremental equals full" check.

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

Dates: every date a file lands on (02-28 after the first file of 01-31, 03-15, 03-31,
04-02, 04-03), where a later version must not show before it lands. The first date is
built from an empty warehouse in both cases, so it is not compared.

Beyond the funnel fixture, tests/e2e/fixtures/funnel_landing_late adds what an incremental
build must get right:
- ``follow_ups/2026-03-14.csv`` lands on time; its F25 belongs to lead L13, unknown until
  the late file below lands, so the reference check quarantines it (1 row of 6: under the
  quarantine-rate limit, the build publishes) and the 04-02 build releases it;
- ``leads/2026-03-13.csv`` is a **late file**: business date 03-13, landed on 04-02. It
  brings L13 (updated 03-12) and a later version of L07 without updated_at (known from the
  file's business date). The published builds of 03-15 and 03-31 did not have it: they
  are stale, and ``backfill --late`` rebuilds them (docs/operations.md, "Late files").
Not the backbone fixture: there a follow-up (03-06) waits for its lead (03-20), so the
day-by-day warehouse is blocked from 03-06 on by the durable gate (a quarantine-rate hold
lasts until the file is corrected, withdrawn or accepted), while a rebuild of 03-20 never
quarantines it and publishes; their marts are equal in the build databases.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crm_pipeline.backfill import run_backfill, run_late_backfill
from crm_pipeline.late_files import late_files, late_rebuild
from crm_pipeline.runner import EXIT_PUBLISHED

pytestmark = pytest.mark.e2e

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "funnel_landing"
LATER = Path(__file__).resolve().parent / "fixtures" / "funnel_landing_late"
# files that land after their business date: relative path -> the date they land
LATE_ARRIVALS = {"leads/2026-03-13.csv": dt.date(2026, 4, 2)}
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


def arrival_date(file: Path, root: Path) -> dt.date:
    """The date a fixture file lands: its business date, unless it is a late file."""
    return LATE_ARRIVALS.get(file.relative_to(root).as_posix(), business_date(file))


def land_files_until(as_of: dt.date, landing: Path) -> None:
    """Copy into ``landing`` every fixture file that has landed by D."""
    for root in (FIXTURE, LATER):
        for file in sorted(root.rglob("*.csv")):
            if arrival_date(file, root) <= as_of:
                target = landing / file.relative_to(root)
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


@dataclass
class DayByDay:
    """The day-by-day warehouse, its landing folder and the marts published each date."""

    landing: Path
    warehouse: Path
    marts: dict[dt.date, dict[str, Table]]
    # F25's quarantine (released_at, or None while held) after each build
    f25_released: dict[dt.date, dt.datetime | None]
    # per build: model kept by id -> (ids the build rebuilt, ids the table holds)
    rebuilt: dict[dt.date, dict[str, tuple[set[str], set[str]]]]


def f25_quarantine(warehouse: Path) -> list[dt.datetime | None]:
    """released_at of each quarantine row of follow-up F25 (its lead L13 lands late)."""
    with duckdb.connect(str(warehouse / "build" / "crm.duckdb"), read_only=True) as con:
        return [
            row[0]
            for row in con.execute(
                "select quarantine.released_at from data_quality.quarantine "
                "join raw.follow_ups on follow_ups._row_id = quarantine.row_id "
                "where quarantine.entity = 'follow_ups' and follow_ups.follow_up_id = 'F25'"
            ).fetchall()
        ]


# models kept record by record (macros/changed_records.sql): model -> (schema, id column)
KEPT_BY_ID = {
    "stg_crm__leads": ("staging", "lead_id"),
    "stg_crm__follow_ups": ("staging", "follow_up_id"),
    "stg_crm__service_records": ("staging", "service_id"),
    "int_leads__as_of": ("intermediate", "lead_id"),
    "int_leads__version_spans": ("intermediate", "lead_id"),
}


def rebuilt_ids(warehouse: Path) -> dict[str, tuple[set[str], set[str]]]:
    """Per model kept record by record: the ids its last run rebuilt (``<model>__changed``,
    written by an incremental run only) and the ids the table holds."""
    found: dict[str, tuple[set[str], set[str]]] = {}
    with duckdb.connect(str(warehouse / "build" / "crm.duckdb"), read_only=True) as con:
        for model, (schema, id_column) in KEPT_BY_ID.items():
            held = {
                row[0]
                for row in con.execute(f"select {id_column} from {schema}.{model}").fetchall()
            }
            exists = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [schema, f"{model}__changed"],
            ).fetchone()
            changed = (
                {
                    row[0]
                    for row in con.execute(
                        f"select {id_column} from {schema}.{model}__changed"
                    ).fetchall()
                }
                if exists and exists[0]
                else set()
            )
            found[model] = (changed, held)
    return found


@pytest.fixture(scope="module")
def day_by_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DayByDay]:
    """One warehouse built date after date; the marts as published after each build."""
    root = tmp_path_factory.mktemp("day_by_day")
    landing, warehouse = root / "landing", root / "warehouse"
    landing.mkdir()
    mp = pytest.MonkeyPatch()
    mp.delenv("DAGSTER_HOME", raising=False)  # each warehouse keeps its own instance
    result = DayByDay(landing, warehouse, {}, {}, {})
    try:
        for as_of in DATES:
            land_files_until(as_of, landing)
            build(landing, warehouse, as_of)
            result.marts[as_of] = read_marts(warehouse, as_of)
            held = f25_quarantine(warehouse)
            result.f25_released[as_of] = held[0] if len(held) == 1 else None
            result.rebuilt[as_of] = rebuilt_ids(warehouse)
        yield result
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def backfilled(day_by_day: DayByDay) -> dict[dt.date, dict[str, Table]]:
    return day_by_day.marts


def test_the_fixture_lands_files_on_several_dates() -> None:
    # guards the premise: files really arrive between the dates compared below
    arrivals = {
        arrival_date(file, root) for root in (FIXTURE, LATER) for file in root.rglob("*.csv")
    }
    assert len({as_of for as_of in DATES if as_of in arrivals}) >= 3
    assert min(arrivals) < DATES[0]
    late = LATER / "leads" / "2026-03-13.csv"
    assert business_date(late) < DATES[2] < arrival_date(late, LATER)


def test_the_day_by_day_build_quarantines_f25_then_releases_it(day_by_day: DayByDay) -> None:
    # guards the premise: a quarantine release happens inside the incremental builds
    assert len(f25_quarantine(day_by_day.warehouse)) == 1
    assert day_by_day.f25_released[dt.date(2026, 3, 31)] is None
    assert day_by_day.f25_released[dt.date(2026, 4, 2)] is not None


def test_the_day_by_day_builds_rebuild_staging_record_by_record(day_by_day: DayByDay) -> None:
    # guards the premise: the comparisons below judge the incremental staging path
    # (macros/changed_records.sql), which rebuilds only the records whose rows changed.
    # The first build makes the tables (nothing incremental yet).
    assert all(not changed for changed, _ in day_by_day.rebuilt[DATES[0]].values())
    on_04_02 = day_by_day.rebuilt[dt.date(2026, 4, 2)]
    # 04-02: the late leads file brings L13 and a version of L07; follow_ups/2026-04-02.csv
    # brings F14, and the build releases F25 (its lead L13 is known now); nothing else
    assert on_04_02["stg_crm__leads"][0] == {"L07", "L13"}
    assert on_04_02["stg_crm__follow_ups"][0] == {"F14", "F25"}
    assert on_04_02["stg_crm__service_records"][0] == set()
    # 04-03: leads/2026-04-03.csv brings a version of L08 and the new L09
    assert day_by_day.rebuilt[DATES[-1]]["stg_crm__leads"][0] == {"L08", "L09"}
    # the tables hold many more records than were rebuilt
    assert len(on_04_02["stg_crm__leads"][1]) > 10
    assert len(on_04_02["stg_crm__follow_ups"][1]) > 10


def test_the_day_by_day_builds_rebuild_lead_versions_lead_by_lead(day_by_day: DayByDay) -> None:
    # guards the premise: int_leads__as_of is rebuilt only for the leads whose version as of
    # D moved (macros/changed_records.sql), read from the fixture's lead files
    rebuilt = {as_of: day_by_day.rebuilt[as_of]["int_leads__as_of"][0] for as_of in DATES}
    assert rebuilt[DATES[0]] == set()  # the first build makes the table
    # 03-15: no lead file landed since 02-28, and every version known then is dated by 02-25
    assert rebuilt[dt.date(2026, 3, 15)] == set()
    # 03-31: leads/2026-03-31.csv brings later versions of L02, L03 and L12 and the new
    # leads L05, L06, L08 and L11
    assert rebuilt[DATES[2]] == {"L02", "L03", "L05", "L06", "L08", "L11", "L12"}
    # 04-02: the late leads/2026-03-13.csv brings L13 and L07's version known from 03-13
    assert rebuilt[dt.date(2026, 4, 2)] == {"L07", "L13"}
    # 04-03: L08's version updated 04-03 10:00, and L09
    assert rebuilt[DATES[-1]] == {"L08", "L09"}
    assert len(day_by_day.rebuilt[DATES[-1]]["int_leads__as_of"][1]) == 13


def test_the_day_by_day_builds_rebuild_version_spans_lead_by_lead(day_by_day: DayByDay) -> None:
    # guards the premise: int_leads__version_spans is rebuilt only for the leads whose set of
    # versions known by the end of D changed — in this fixture the leads whose version as of
    # D moved, since every version landed is that lead's latest when it becomes known
    spans = {as_of: day_by_day.rebuilt[as_of]["int_leads__version_spans"] for as_of in DATES}
    assert spans[DATES[0]][0] == set()  # the first build makes the table
    assert spans[dt.date(2026, 3, 15)][0] == set()
    assert spans[DATES[2]][0] == {"L02", "L03", "L05", "L06", "L08", "L11", "L12"}
    assert spans[dt.date(2026, 4, 2)][0] == {"L07", "L13"}
    assert spans[DATES[-1]][0] == {"L08", "L09"}
    assert len(spans[DATES[-1]][1]) == 13


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


def open_pipeline(warehouse: Path, snapshot_date: dt.date) -> dict[str, tuple[int, float]]:
    """Open deals and their amount per stage in pipeline_snapshot for one build date (the
    table keeps one set of rows per build date)."""
    with duckdb.connect(str(warehouse / "serving" / "crm.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select stage, open_count, open_amount from opportunity_funnel.pipeline_snapshot "
            "where snapshot_date = ?",
            [snapshot_date],
        ).fetchall()
    return {stage: (int(count), float(amount)) for stage, count, amount in rows}


def test_a_late_file_makes_the_dates_it_belongs_to_stale_and_backfill_late_rebuilds_them(
    day_by_day: DayByDay, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Runs last (it rebuilds dates of the day-by-day warehouse); the comparisons above use
    # the marts read right after each daily build.
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    build_db = day_by_day.warehouse / "build" / "crm.duckdb"
    with duckdb.connect(str(build_db), read_only=True) as con:
        late = late_files(con)
        plan = late_rebuild(con)
    # leads/2026-03-13.csv landed on 04-02: the builds of 03-15 and 03-31 (published
    # before it was loaded, on dates on or after its business date) are stale; 02-28 is
    # before its business date, 04-02 and 04-03 were built with it
    assert [(f.file_path, f.business_date, f.stale_dates) for f in late] == [
        ("leads/2026-03-13.csv", dt.date(2026, 3, 13), (dt.date(2026, 3, 15), DATES[2]))
    ]
    assert plan is not None
    assert plan.dates == (dt.date(2026, 3, 15), DATES[2], DATES[-1])
    # 03-15 as built that day, from the files of 01-31 and 02-28: open are L07 (lead,
    # 50,000), L02 (needs_confirmed, 200,000), L04 (needs_confirmed, 300,000), L03
    # (proposal, 1,200,000) and L12 (negotiation, 250,000)
    assert open_pipeline(day_by_day.warehouse, dt.date(2026, 3, 15)) == {
        "lead": (1, 50_000.0),
        "contacted": (0, 0.0),
        "needs_confirmed": (2, 500_000.0),
        "proposal": (1, 1_200_000.0),
        "negotiation": (1, 250_000.0),
    }

    lines: list[str] = []
    code = run_late_backfill(
        day_by_day.landing, day_by_day.warehouse, None, lines.append, step_retry_delay_seconds=0
    )
    assert code == EXIT_PUBLISHED, lines

    with duckdb.connect(str(build_db), read_only=True) as con:
        assert late_files(con) == []  # nothing stale any more
    # 03-15 rebuilt with every file landed by now, each row from when it is known: the late
    # file's L13 (contacted, 350,000, updated 03-12) and L07 version (contacted from its
    # business date 03-13); the 03-31 file's versions updated by 03-15 (L02 lost 03-05, L03
    # won 03-10, L05 contacted 03-02 at 900,000) and first copies from their own time (L06
    # lead 150,000 created 03-09, L11 lead 120,000 created 03-03); L04 and L12 unchanged
    assert open_pipeline(day_by_day.warehouse, dt.date(2026, 3, 15)) == {
        "lead": (2, 270_000.0),
        "contacted": (3, 1_300_000.0),
        "needs_confirmed": (1, 300_000.0),
        "proposal": (0, 0.0),
        "negotiation": (1, 250_000.0),
    }
    # the serving file ends on the newest date again, with the marts it had: rebuilding a
    # date whose files were all there gives the same numbers
    assert read_marts(day_by_day.warehouse, DATES[-1]) == day_by_day.marts[DATES[-1]]
