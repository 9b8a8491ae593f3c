"""Write-audit-publish on real files: atomic swap, BI-readable storage, readers, crashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from core.paths import WarehousePaths
from core.quality_tables import create_quality_tables
from delivery import publish
from delivery.publish import publish_serving

# DuckDB's storage version number for files readable by DuckDB 0.10 and every 1.x release.
STORAGE_NUMBER_V1 = 64


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def set_marts(paths: WarehousePaths, value: int) -> None:
    """A build database whose mart holds one row with ``value``."""
    with duckdb.connect(str(paths.build_db)) as con:
        create_quality_tables(con)
        for schema in ("opportunity_funnel", "customer_lifecycle"):
            con.execute(f"create schema if not exists {schema}")
        con.execute(
            "create or replace table opportunity_funnel.funnel_summary as "
            f"select {value} as opportunities, 'won' as stage"
        )
        con.execute(
            "create or replace table customer_lifecycle.customer_tiers as "
            "select 'C-1' as account_key, 'A' as tier"
        )


def served_value(paths: WarehousePaths) -> int:
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        return int(
            con.execute("select opportunities from opportunity_funnel.funnel_summary").fetchone()[0]
        )


def parquet_value(paths: WarehousePaths) -> int:
    parquet = paths.parquet_dir / "opportunity_funnel" / "funnel_summary.parquet"
    return int(duckdb.sql(f"select opportunities from '{parquet}'").fetchall()[0][0])


@pytest.fixture
def paths(tmp_path: Path) -> WarehousePaths:
    warehouse = WarehousePaths(tmp_path / "warehouse").ensure()
    set_marts(warehouse, 1)
    return warehouse


def test_publish_writes_v1_storage_and_parquet(paths: WarehousePaths) -> None:
    result = publish_serving(paths, run_id="run-1")
    assert result.tables["opportunity_funnel.funnel_summary"] == 1
    assert "data_quality.quarantine" in result.tables
    header = paths.serving_db.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    assert struct.unpack("<Q", header[12:20])[0] == STORAGE_NUMBER_V1
    parquet = paths.parquet_dir / "opportunity_funnel" / "funnel_summary.parquet"
    assert duckdb.sql(f"select opportunities from '{parquet}'").fetchall() == [(1,)]
    assert sorted(p.name for p in paths.serving_dir.iterdir()) == ["crm.duckdb", "parquet"]


@pytest.fixture
def reader(paths: WarehousePaths) -> Iterator[subprocess.Popen[str]]:
    """A separate process holding the serving file open read-only, like a BI tool."""
    publish_serving(paths, run_id="run-1")
    script = (
        "import sys, time, duckdb\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print(con.execute('select opportunities from opportunity_funnel.funnel_summary')"
        ".fetchone()[0], flush=True)\n"
        "sys.stdin.readline()\n"
        "print(con.execute('select opportunities from opportunity_funnel.funnel_summary')"
        ".fetchone()[0], flush=True)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(paths.serving_db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_reader_holding_the_file_does_not_break_publishing(
    paths: WarehousePaths, reader: subprocess.Popen[str]
) -> None:
    assert reader.stdout is not None and reader.stdin is not None
    assert reader.stdout.readline().strip() == "1"  # the reader has the file open
    set_marts(paths, 2)
    publish_serving(paths, run_id="run-2")
    assert served_value(paths) == 2  # new readers see the new snapshot
    reader.stdin.write("\n")
    reader.stdin.flush()
    # the old reader keeps its consistent old snapshot
    assert reader.stdout.readline().strip() == "1"
    assert reader.wait(timeout=30) == 0


def test_failure_mid_publish_leaves_serving_intact(
    paths: WarehousePaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_serving(paths, run_id="run-1")
    before = digest(paths.serving_db)
    set_marts(paths, 2)

    def crash(src: object, dst: object) -> None:
        raise OSError("simulated crash after writing the temporary file")

    monkeypatch.setattr(publish.os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        publish_serving(paths, run_id="run-2")
    monkeypatch.undo()
    assert digest(paths.serving_db) == before
    assert served_value(paths) == 1
    # the Parquet files, written beside the serving copy, stay the old ones, and nothing
    # half-placed is left behind
    assert parquet_value(paths) == 1
    assert not list(paths.parquet_dir.rglob("*.tmp"))


def test_next_publish_cleans_up_after_a_killed_build(paths: WarehousePaths) -> None:
    publish_serving(paths, run_id="run-1")
    stale = [
        paths.serving_dir / ".crm-killed.duckdb.tmp",
        paths.serving_dir / ".crm-killed.duckdb.tmp.wal",
        paths.parquet_dir / "opportunity_funnel" / ".funnel_summary.parquet.tmp",
    ]
    for path in stale:
        path.write_bytes(b"half written")
    set_marts(paths, 3)
    publish_serving(paths, run_id="run-3")
    assert served_value(paths) == 3
    assert not any(path.exists() for path in stale)


RECORD = publish.PublishRecord(
    "run-2", dt.date(2026, 3, 31), dt.datetime(2026, 3, 31, 6, 0), "all checks passed"
)


def logged(path: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select run_id, status from data_quality.publish_log").fetchall()


def test_published_is_recorded_after_the_swap_and_inside_the_new_copy(
    paths: WarehousePaths,
) -> None:
    publish_serving(paths, run_id="run-2", record=RECORD)
    assert logged(paths.build_db) == [("run-2", "published")]
    assert logged(paths.serving_db) == [("run-2", "published")]
    # the Parquet copy of publish_log is written after the row, with it
    parquet = paths.parquet_dir / "data_quality" / "publish_log.parquet"
    assert duckdb.sql(f"select run_id, status from '{parquet}'").fetchall() == [
        ("run-2", "published")
    ]
    assert set_and_publish_again(paths) == 3


def set_and_publish_again(paths: WarehousePaths) -> int:
    """Publish a build whose mart holds 3; the value its Parquet file then holds."""
    set_marts(paths, 3)
    publish_serving(paths, run_id="run-3")
    return parquet_value(paths)


def test_a_failure_before_the_swap_records_no_published_row(
    paths: WarehousePaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(src: object, dst: object) -> None:
        raise OSError("simulated crash before the swap")

    monkeypatch.setattr(publish.os, "replace", crash)
    with pytest.raises(OSError, match="before the swap"):
        publish_serving(paths, run_id="run-2", record=RECORD)
    assert logged(paths.build_db) == []  # backfill will not skip this date
    assert not paths.serving_db.exists()
