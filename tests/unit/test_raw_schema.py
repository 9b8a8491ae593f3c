"""The raw tables' storage: ``_raw`` compressed with zstd where the format allows it."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from core.raw_schema import RAW_SCHEMA, create_raw_tables

ROWS = 130_000  # more than one row group, so the column is written compressed


def _raw_compressions(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    """Compressions of raw.leads' _raw segments after filling it and checkpointing."""
    text = json.dumps({"lead_id": "OPP-1", "notes": "客户要求下周回访"}, ensure_ascii=False)
    con.execute(
        f"insert into {database}.{RAW_SCHEMA}.leads (_raw) select ? || i from range({ROWS}) t(i)",
        [text],
    )
    con.execute(f"checkpoint {database}")
    rows = con.execute(
        f"select distinct compression from pragma_storage_info('{database}.{RAW_SCHEMA}.leads') "
        "where column_name = '_raw' and segment_type = 'VARCHAR'"
    ).fetchall()
    return {row[0] for row in rows}


def test_raw_text_is_stored_with_zstd(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    create_raw_tables(con)
    create_raw_tables(con)  # idempotent: the second call finds the tables
    assert _raw_compressions(con, "build") == {"ZSTD"}
    # the text reads back byte for byte
    texts = con.execute(f"select _raw from {RAW_SCHEMA}.leads where _raw like '%}}7'").fetchall()
    assert [json.loads(t.removesuffix("7"))["notes"] for (t,) in texts] == ["客户要求下周回访"]


def test_a_storage_format_without_zstd_keeps_the_default(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute(f"attach '{tmp_path / 'old.duckdb'}' as old (storage_version 'v1.0.0')")
    con.execute("use old")
    create_raw_tables(con)
    assert "ZSTD" not in _raw_compressions(con, "old")
