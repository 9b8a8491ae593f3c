"""Loader bookkeeping: duplicates, re-runs, load order, row ids, lineage, progress, landing
scan, and recovery from an interrupted load."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import duckdb

from core.settings import Settings
from ingestion.landing import landed_files
from ingestion.loader import load_landing

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
AS_OF = dt.date(2026, 3, 31)


def copy_fixture(tmp_path: Path, name: str = "landing_zh") -> Path:
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / name, landing)
    return landing


def load(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    run_id: str = "r1",
    progress: list[str] | None = None,
) -> list:
    return load_landing(
        con,
        landing,
        Settings(),
        run_id=run_id,
        as_of_date=AS_OF,
        progress=None if progress is None else progress.append,
    )


def counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int, int]:
    return tuple(  # type: ignore[return-value]
        con.execute(f"select count(*) from {t}").fetchall()[0][0]
        for t in ("raw.leads", "raw.follow_ups", "raw.service_records", "data_quality.file_loads")
    )


def test_first_load_records_every_file_with_rows_read_equal_to_rows_in_file(
    tmp_path: Path,
) -> None:
    landing = copy_fixture(tmp_path)
    con = duckdb.connect()
    results = load(con, landing)
    # fixture files: 3 leads, 4 follow-up rows (F002 twice), 3 service records;
    # files in entity order of the contract, then by name; load_seq 1, 2, 3
    assert [(r.file_path, r.status, r.rows_read, r.rows_loaded, r.load_seq) for r in results] == [
        ("leads/2026-03-06.csv", "loaded", 3, 3, 1),
        ("follow_ups/2026-03-06.csv", "loaded", 4, 4, 2),
        ("service_records/2026-03-10.csv", "loaded", 3, 3, 3),
    ]
    assert counts(con) == (3, 4, 3, 3)
    rows = con.execute(
        "select file_path, entity, status, rows_read, rows_loaded, rows_quarantined, error, "
        "run_id, as_of_date, load_seq from data_quality.file_loads order by load_seq"
    ).fetchall()
    assert rows[0] == ("leads/2026-03-06.csv", "leads", "loaded", 3, 3, 0, None, "r1", AS_OF, 1)
    digest = hashlib.sha256((landing / "leads" / "2026-03-06.csv").read_bytes()).hexdigest()
    assert results[0].file_hash == digest
    lineage = con.execute(
        "select distinct _file_hash, _source_file, _load_seq from raw.leads"
    ).fetchall()
    assert lineage == [(digest, "leads/2026-03-06.csv", 1)]
    row_ids = con.execute("select _row_id from raw.leads order by _source_row").fetchall()
    assert [r[0] for r in row_ids] == [f"{digest[:16]}:{n}" for n in (2, 3, 4)]


def test_loading_again_changes_nothing(tmp_path: Path) -> None:
    landing = copy_fixture(tmp_path)
    con = duckdb.connect()
    load(con, landing)
    before = counts(con)
    assert load(con, landing, run_id="r2") == []
    assert counts(con) == before


def test_same_content_under_another_name_is_recorded_once_as_duplicate(tmp_path: Path) -> None:
    landing = copy_fixture(tmp_path)
    con = duckdb.connect()
    load(con, landing)
    shutil.copy(landing / "leads" / "2026-03-06.csv", landing / "leads" / "2026-03-06 (1).csv")
    results = load(con, landing, run_id="r2")
    assert [(r.file_path, r.status, r.rows_read, r.rows_loaded, r.load_seq) for r in results] == [
        ("leads/2026-03-06 (1).csv", "duplicate", 0, 0, None)
    ]
    assert counts(con) == (3, 4, 3, 4)  # no new raw rows, one more file_loads row
    assert load(con, landing, run_id="r3") == []  # recorded once, not at every build
    assert counts(con) == (3, 4, 3, 4)


def test_new_file_gets_the_next_load_seq_and_files_are_never_modified(tmp_path: Path) -> None:
    landing = copy_fixture(tmp_path)
    con = duckdb.connect()
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in landing.rglob("*.csv")}
    load(con, landing)
    new_file = landing / "leads" / "2026-03-07.csv"
    text = (landing / "leads" / "2026-03-06.csv").read_text(encoding="utf-8")
    new_file.write_text(text.replace("2026-03-05 10:00", "2026-03-07 10:00"), encoding="utf-8")
    results = load(con, landing, run_id="r2")
    assert [(r.file_path, r.load_seq) for r in results] == [("leads/2026-03-07.csv", 4)]
    assert con.execute(
        "select _load_seq, count(*) from raw.leads group by 1 order by 1"
    ).fetchall() == [(1, 3), (4, 3)]  # append-only history: both versions kept
    for path, (data, mtime) in before.items():
        assert (path.read_bytes(), path.stat().st_mtime_ns) == (data, mtime)


def test_a_rejected_file_is_not_retried_under_the_same_name(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "leads").mkdir(parents=True)
    (landing / "leads" / "bad.csv").write_text("lead_id\nL1\n", encoding="utf-8")
    con = duckdb.connect()
    assert [r.status for r in load(con, landing)] == ["rejected"]
    assert load(con, landing, run_id="r2") == []
    # a copy under a new name is tried again (e.g. after a configuration fix)
    shutil.copy(landing / "leads" / "bad.csv", landing / "leads" / "bad-again.csv")
    assert [r.status for r in load(con, landing, run_id="r3")] == ["rejected"]


def test_progress_is_reported_per_chunk_and_per_file(tmp_path: Path) -> None:
    landing = copy_fixture(tmp_path)
    messages: list[str] = []
    load(duckdb.connect(), landing, progress=messages)
    assert "leads/2026-03-06.csv: 3 rows" in messages
    assert "leads/2026-03-06.csv: loaded 3 rows" in messages


def test_missing_or_empty_landing_folders_are_fine(tmp_path: Path) -> None:
    con = duckdb.connect()
    assert load(con, tmp_path / "does-not-exist") == []
    (tmp_path / "empty" / "leads").mkdir(parents=True)
    assert load(con, tmp_path / "empty") == []
    assert counts(con) == (0, 0, 0, 0)


def test_rows_of_an_interrupted_load_are_removed_before_loading_again(tmp_path: Path) -> None:
    landing = copy_fixture(tmp_path)
    con = duckdb.connect()
    load(con, landing)
    # simulate a crash: raw rows of load_seq 9 were committed, file_loads never written
    con.execute(
        "insert into raw.leads (lead_id, _file_hash, _load_seq, _row_id) "
        "values ('ghost', 'deadbeef', 9, 'deadbeef:2')"
    )
    load(con, landing, run_id="r2")
    assert con.execute("select count(*) from raw.leads where lead_id = 'ghost'").fetchall() == [
        (0,)
    ]
    assert counts(con) == (3, 4, 3, 3)


def test_landed_files_lists_supported_files_by_entity_then_name(tmp_path: Path) -> None:
    landing = copy_fixture(tmp_path)
    (landing / "leads" / "b.xlsx").write_bytes(b"")
    (landing / "leads" / "a.jsonl").write_bytes(b"")
    (landing / "leads" / "readme.txt").write_text("not data")
    (landing / "leads" / "~$b.xlsx").write_bytes(b"")  # Excel lock file
    (landing / "unknown_entity").mkdir()
    (landing / "unknown_entity" / "x.csv").write_text("a\n1\n")
    found = [(f.entity, f.path.relative_to(landing).as_posix()) for f in landed_files(landing)]
    assert found == [
        ("leads", "leads/2026-03-06.csv"),
        ("leads", "leads/a.jsonl"),
        ("leads", "leads/b.xlsx"),
        ("follow_ups", "follow_ups/2026-03-06.csv"),
        ("service_records", "service_records/2026-03-10.csv"),
    ]


def test_loading_never_touches_the_landed_files(tmp_path: Path) -> None:
    landing = copy_fixture(tmp_path)
    first = landed_files(landing)
    load(duckdb.connect(), landing)  # loading reads: names, sizes and times unchanged
    assert landed_files(landing) == first
    (landing / "follow_ups" / "2026-03-07.csv").write_text("跟进编号\n", encoding="utf-8")
    assert len(landed_files(landing)) == len(first) + 1
