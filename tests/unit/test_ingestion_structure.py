"""Structure rules (quality.md): broken files are rejected whole with one sentence naming the
file and the line or column, nothing of them reaches raw, and file_loads records them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from core.settings import Settings
from ingestion.loader import FileLoadResult, load_landing

AS_OF = dt.date(2026, 3, 31)
HEADER = "lead_id,created_at,source,account_name,contact_name,requirement,budget,owner,stage"
ROW = "L{n},2026-03-01 10:00,官网,甲公司,张,CRM,1000,王,线索"


def rows(count: int) -> str:
    return "".join(ROW.format(n=i) + "\n" for i in range(1, count + 1))


def land_and_load(
    tmp_path: Path, relative: str, data: bytes | str
) -> tuple[duckdb.DuckDBPyConnection, FileLoadResult]:
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    con = duckdb.connect()
    results = load_landing(con, tmp_path, Settings(), run_id="t", as_of_date=AS_OF)
    assert len(results) == 1
    return con, results[0]


def assert_rejected(
    con: duckdb.DuckDBPyConnection, result: FileLoadResult, error: str, rows_read: int = 0
) -> None:
    """Rejected whole; rows_read counts every row of the file (the failing one included)."""
    assert result.status == "rejected"
    assert result.error == error
    assert (result.rows_read, result.rows_loaded, result.load_seq) == (rows_read, 0, None)
    entity = result.entity
    assert con.execute(f"select count(*) from raw.{entity}").fetchall() == [(0,)]
    # file_loads: rows_read = rows_loaded + rows_quarantined holds for rejected files too
    assert con.execute(
        "select file_path, status, rows_read, rows_loaded, rows_quarantined, error "
        "from data_quality.file_loads"
    ).fetchall() == [(result.file_path, "rejected", rows_read, 0, rows_read, error)]


@pytest.mark.parametrize(
    ("name", "data", "error", "rows_read"),
    [
        (
            "unterminated quote at the end",
            HEADER + "\n" + rows(2) + 'L3,2026-03-01,官网,"甲公司,张,CRM,1000,王,线索\n',
            "leads/a.csv: line 4 is truncated (unterminated quoted field).",
            3,
        ),
        (
            "last line cut off without a line end",
            HEADER + "\n" + rows(3) + "L4,2026-03-01 10:00,官网,甲",
            "leads/a.csv: line 5 is truncated (4 of 9 fields and no line end).",
            4,
        ),
        (
            "short row in the middle",
            HEADER + "\n" + rows(1) + "L2,2026-03-01,官网\n" + rows(1),
            "leads/a.csv: line 3 has 3 fields but the header has 9.",
            3,
        ),
        (
            "more fields than the header",
            HEADER + "\n" + rows(2) + ROW.format(n=3) + ",extra\n",
            "leads/a.csv: line 4 has 10 fields but the header has 9.",
            3,
        ),
        ("empty file", "", "leads/a.csv: the file is empty (no header row).", 0),
        ("only blank lines", "\n\n  \n", "leads/a.csv: the file is empty (no header row).", 0),
        (
            "required column missing",
            HEADER.replace(",budget", "") + "\n" + "L1,2026-03-01,官网,甲,张,CRM,王,线索\n",
            "leads/a.csv: required column 'budget' (预算) is missing after header mapping.",
            1,  # rows_read counts every row of a rejected file
        ),
    ],
)
def test_broken_csv_files_are_rejected_whole(
    tmp_path: Path, name: str, data: str, error: str, rows_read: int
) -> None:
    con, result = land_and_load(tmp_path, "leads/a.csv", data)
    assert_rejected(con, result, error, rows_read)


def test_two_missing_required_columns_are_both_named(tmp_path: Path) -> None:
    header = HEADER.replace(",budget", "").replace(",owner", "")
    con, result = land_and_load(tmp_path, "leads/a.csv", header + "\n")
    assert_rejected(
        con,
        result,
        "leads/a.csv: required column 'budget' (预算) is missing "
        "after header mapping (also missing: owner).",
    )


def test_undecodable_bytes_reject_the_file_naming_the_line(tmp_path: Path) -> None:
    # 0xFF is not a lead byte in UTF-8 or GB18030: the file is neither, so it is read as
    # GB18030 (the fallback) and line 3 fails; lines 1-2 are ASCII and decode fine.
    ascii_row = "L1,2026-03-01 10:00,website,A,B,CRM,1000,W,lead\n"
    data = (HEADER + "\n" + ascii_row).encode("utf-8") + b"L2,\xff\xff,x\n"
    con, result = land_and_load(tmp_path, "leads/a.csv", data)
    assert_rejected(
        con, result, "leads/a.csv: line 3 has bytes that cannot be decoded as gb18030.", 2
    )


def test_a_file_rejected_late_leaves_nothing_of_its_earlier_chunks(tmp_path: Path) -> None:
    # 250 good rows in chunks of 100 are written, then the cut-off last line rejects all
    path = tmp_path / "leads" / "a.csv"
    path.parent.mkdir(parents=True)
    path.write_text(HEADER + "\n" + rows(250) + "L999,2026", encoding="utf-8")
    con = duckdb.connect()
    from ingestion.landing import landed_files
    from ingestion.loader import load_file

    load_landing(con, tmp_path / "nothing", Settings(), run_id="t", as_of_date=AS_OF)
    result = load_file(
        con, landed_files(tmp_path)[0], Settings(), run_id="t", as_of_date=AS_OF, chunk_rows=100
    )
    assert result is not None
    assert_rejected(
        con, result, "leads/a.csv: line 252 is truncated (2 of 9 fields and no line end).", 251
    )


def test_service_records_need_account_name_or_account_id(tmp_path: Path) -> None:
    base = "service_id,opened_at,type,agent"
    ok_con, ok = land_and_load(
        tmp_path / "ok",
        "service_records/a.csv",
        base + ",客户编号\nS1,2026-03-01 09:00,咨询,陈,C-1\n",
    )
    assert (ok.status, ok.rows_loaded) == ("loaded", 1)
    assert ok_con.execute("select _account_key from raw.service_records").fetchall() == [("C-1",)]
    con, result = land_and_load(
        tmp_path / "bad", "service_records/a.csv", base + "\nS1,2026-03-01 09:00,咨询,陈\n"
    )
    assert_rejected(
        con,
        result,
        "service_records/a.csv: neither column 'account_name' nor "
        "'account_id' is present after header mapping.",
        rows_read=1,
    )


@pytest.mark.parametrize(
    ("name", "text", "error", "rows_read"),
    [
        (
            "truncated last object",
            '{"lead_id": "L1"}\n{"lead_id": "L2", "crea',
            "leads/a.jsonl: line 2 is truncated (incomplete JSON object).",
            2,
        ),
        (
            "broken line in the middle",
            '{"lead_id": "L1"}\nnot json\n{"lead_id": "L3"}\n',
            "leads/a.jsonl: line 2 is not valid JSON.",
            3,
        ),
        ("array instead of object", "[1, 2]\n", "leads/a.jsonl: line 1 is not a JSON object.", 1),
        ("no objects", "\n\n", "leads/a.jsonl: the file is empty (no JSON object).", 0),
    ],
)
def test_broken_jsonl_files_are_rejected(
    tmp_path: Path, name: str, text: str, error: str, rows_read: int
) -> None:
    con, result = land_and_load(tmp_path, "leads/a.jsonl", text)
    assert_rejected(con, result, error, rows_read)


def test_jsonl_missing_a_required_key_in_every_object_is_rejected(tmp_path: Path) -> None:
    obj = (
        '{"lead_id": "L1", "created_at": "2026-03-01", "source": "官网", "account_name": "甲",'
        ' "contact_name": "张", "requirement": "x", "owner": "王", "stage": "线索"}\n'
    )
    con, result = land_and_load(tmp_path, "leads/a.jsonl", obj * 2)
    assert_rejected(
        con,
        result,
        "leads/a.jsonl: required column 'budget' (预算) is missing after header mapping.",
        2,
    )


def test_damaged_workbook_is_rejected(tmp_path: Path) -> None:
    con, result = land_and_load(tmp_path, "leads/a.xlsx", b"PK\x03\x04 not really a zip")
    assert_rejected(con, result, "leads/a.xlsx: the file cannot be opened as an Excel workbook.")


def test_blank_and_all_empty_rows_are_not_data(tmp_path: Path) -> None:
    # Excel writes ",,,," for formatted empty rows; they are skipped but still counted in
    # the row numbers a person sees (rows 2 and 4 hold data, 3 and 5-6 do not).
    text = HEADER + "\n" + ROW.format(n=1) + "\n,,,,,,,,\n" + ROW.format(n=2) + "\n\n , ,,,,,,,\n"
    con, result = land_and_load(tmp_path, "leads/a.csv", text)
    assert (result.status, result.rows_read, result.rows_loaded) == ("loaded", 2, 2)
    assert con.execute("select _source_row from raw.leads order by 1").fetchall() == [(2,), (4,)]


def test_header_only_file_loads_zero_rows(tmp_path: Path) -> None:
    con, result = land_and_load(tmp_path, "leads/a.csv", HEADER + "\n")
    assert (result.status, result.rows_read, result.error) == ("loaded", 0, None)


def test_quoted_fields_with_line_breaks_and_crlf_endings(tmp_path: Path) -> None:
    multi_line = 'L1,2026-03-01 10:00,官网,甲公司,张,"第一行\r\n第二行",1000,王,线索'
    text = HEADER + "\r\n" + multi_line + "\r\n" + ROW.format(n=2) + "\r\n"
    con, result = land_and_load(tmp_path, "leads/a.csv", text)
    assert (result.status, result.rows_read) == ("loaded", 2)
    assert con.execute(
        "select requirement, _source_row from raw.leads order by lead_id"
    ).fetchall() == [("第一行\r\n第二行", 2), ("CRM", 3)]


def _workbook_bytes(rows: list[list[object]]) -> bytes:
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_value_beyond_the_header_is_rejected(tmp_path: Path) -> None:
    header = HEADER.split(",")
    good = ROW.format(n=1).split(",")
    data = _workbook_bytes([header, good, [*ROW.format(n=2).split(","), "stray"]])
    con, result = land_and_load(tmp_path, "leads/a.xlsx", data)
    assert_rejected(con, result, "leads/a.xlsx: row 3 has more fields than the header (9).", 2)


def test_xlsx_without_header_is_empty(tmp_path: Path) -> None:
    con, result = land_and_load(tmp_path, "leads/a.xlsx", _workbook_bytes([]))
    assert_rejected(con, result, "leads/a.xlsx: the file is empty (no header in row 1).")
