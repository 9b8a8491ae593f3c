"""Which published dates a late file makes stale (crm_pipeline.late_files; the rule in
docs/operations.md, "Late files"), on hand-made publish_log and file_loads rows."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from core.quality_tables import create_quality_tables
from crm_pipeline.late_files import late_files, late_rebuild


def day(d: int) -> dt.date:
    return dt.date(2026, 3, d)


def at(d: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 3, d, hour)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    create_quality_tables(connection)
    return connection


def published(
    con: duckdb.DuckDBPyConnection, as_of: int, finished: dt.datetime, status: str = "published"
) -> None:
    con.execute(
        "insert into data_quality.publish_log (run_id, as_of_date, started_at, finished_at, "
        "status) values ('r', ?, ?, ?, ?)",
        [day(as_of), finished - dt.timedelta(minutes=5), finished, status],
    )


def loaded(
    con: duckdb.DuckDBPyConnection, path: str, when: dt.datetime, status: str = "loaded"
) -> None:
    con.execute(
        "insert into data_quality.file_loads (file_path, file_hash, entity, loaded_at, "
        "status) values (?, ?, 'leads', ?, ?)",
        [path, f"hash-{path}", when, status],
    )


def test_a_file_on_time_is_not_late(con: duckdb.DuckDBPyConnection) -> None:
    loaded(con, "leads/2026-03-10.csv", at(11, 1))  # loaded by the build of 03-10, night after
    published(con, 10, at(11, 2))
    published(con, 11, at(12, 2))
    assert late_files(con) == []
    assert late_rebuild(con) is None


def test_a_late_file_makes_the_dates_from_its_business_date_stale(
    con: duckdb.DuckDBPyConnection,
) -> None:
    for d in (9, 10, 11, 12):
        published(con, d, at(d + 1, 2))
    loaded(con, "leads/2026-03-10.csv", at(13, 9))  # business date 03-10, loaded on 03-13
    published(con, 13, at(14, 2))  # the build that loaded it has it
    [late] = late_files(con)
    assert (late.file_path, late.business_date) == ("leads/2026-03-10.csv", day(10))
    assert late.stale_dates == (day(10), day(11), day(12))  # 03-09 is before its date
    plan = late_rebuild(con)
    assert plan is not None and plan.dates == (day(10), day(11), day(12), day(13))


def test_a_rebuilt_date_is_no_longer_stale(con: duckdb.DuckDBPyConnection) -> None:
    published(con, 10, at(11, 2))
    published(con, 11, at(12, 2))
    loaded(con, "leads/20260310.csv", at(12, 9))  # compact date in the name
    published(con, 10, at(12, 10))  # backfill --late rebuilt 03-10 after the load
    assert [late.stale_dates for late in late_files(con)] == [(day(11),)]


def test_blocked_dates_unloaded_files_and_undated_names_are_left_out(
    con: duckdb.DuckDBPyConnection,
) -> None:
    published(con, 10, at(11, 2))
    published(con, 11, at(12, 2), status="blocked")  # nothing published for 03-11
    loaded(con, "leads/export.csv", at(13, 1))  # known from its load date: never late
    loaded(con, "leads/2026-03-09.csv", at(13, 1), status="rejected")  # no rows
    assert late_files(con) == []
    loaded(con, "leads/2026-03-11.csv", at(13, 1))  # 03-10 is before its business date
    assert late_files(con) == []
