"""Encodings and line ends (sources.md, issue 10 item 8): GBK, UTF-8 and UTF-8 with BOM are
detected; a file mixing two encodings is rejected naming the line that differs; lone-CR line
ends load; NUL bytes are removed; UTF-16 is rejected with a sentence; a rejected file's
rows_read counts every row of it."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from core.settings import FolderConfig, Settings
from ingestion.loader import FileLoadResult, load_landing
from ingestion.readers import detect_encoding

AS_OF = dt.date(2026, 3, 31)
HEADER = "lead_id,created_at,source,account_name,contact_name,requirement,budget,owner,stage"


def row(n: int, account: str = "甲公司") -> str:
    return f"L{n},2026-03-01 10:00,官网,{account},张,CRM,1000,王,线索"


def load(
    tmp_path: Path, data: bytes, settings: Settings | None = None
) -> tuple[duckdb.DuckDBPyConnection, FileLoadResult]:
    landing = tmp_path / "landing"  # its own folder: other files of the test stay out of it
    path = landing / "leads" / "a.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    con = duckdb.connect()
    results = load_landing(con, landing, settings or Settings(), run_id="t", as_of_date=AS_OF)
    assert len(results) == 1
    return con, results[0]


def lines(*texts: str) -> str:
    return "".join(t + "\n" for t in texts)


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_detects_utf8_bom_and_gbk_and_loads_the_same_text(
    tmp_path: Path, encoding: str, detected: str
) -> None:
    data = lines(HEADER, row(1, "北京甲公司"), row(2, "上海乙公司")).encode(encoding)
    (tmp_path / "probe.csv").write_bytes(data)
    assert detect_encoding(tmp_path / "probe.csv") == detected
    con, result = load(tmp_path, data)
    assert (result.status, result.rows_loaded) == ("loaded", 2)
    names = con.execute("select account_name from raw.leads order by lead_id").fetchall()
    assert names == [("北京甲公司",), ("上海乙公司",)]


def test_a_gbk_line_in_a_utf8_file_is_named(tmp_path: Path) -> None:
    data = (
        lines(HEADER, row(1, "北京甲公司"), row(2, "上海乙公司")).encode("utf-8")
        + lines(row(3, "广州丙公司")).encode("gbk")
        + lines(row(4, "深圳丁公司"), row(5)).encode("utf-8")
    )
    con, result = load(tmp_path, data)
    assert result.status == "rejected"
    assert result.error == (
        "leads/a.csv: line 4 is not UTF-8 like the rest of the file (it looks like GBK): "
        "the file mixes two encodings; save it in one."
    )
    assert result.rows_read == 5  # every row of the file, not just those before line 4
    assert con.execute("select count(*) from raw.leads").fetchall() == [(0,)]


def test_a_utf8_line_in_a_gbk_file_is_named(tmp_path: Path) -> None:
    data = (
        lines(HEADER, row(1, "北京甲公司"), row(2, "上海乙公司"), row(3, "广州丙公司")).encode(
            "gbk"
        )
        + lines(row(4, "深圳丁公司")).encode("utf-8")
        + lines(row(5, "杭州戊公司")).encode("gbk")
    )
    _, result = load(tmp_path, data)
    assert result.status == "rejected"
    assert result.error == (
        "leads/a.csv: line 5 is UTF-8 text while the rest of the file is GB18030: "
        "the file mixes two encodings; save it in one."
    )
    assert result.rows_read == 5


def test_configured_gbk_folder_still_names_a_utf8_line(tmp_path: Path) -> None:
    data = lines(HEADER, row(1, "北京甲公司")).encode("gbk") + lines(row(2, "深圳")).encode()
    settings = Settings(folders={"leads": FolderConfig(encoding="gbk")})
    _, result = load(tmp_path, data, settings)
    assert result.error == (
        "leads/a.csv: line 3 is UTF-8 text while the rest of the file is GBK: "
        "the file mixes two encodings; save it in one."
    )


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_lone_cr_line_ends_load_like_any_other(tmp_path: Path, ending: str) -> None:
    text = ending.join([HEADER, row(1), row(2), row(3)]) + ending
    con, result = load(tmp_path, text.encode("utf-8"))
    assert (result.status, result.rows_read, result.rows_loaded) == ("loaded", 3, 3)
    found = con.execute("select lead_id, _source_row from raw.leads order by 2").fetchall()
    assert found == [("L1", 2), ("L2", 3), ("L3", 4)]


def test_lone_cr_file_with_a_broken_row_names_its_line(tmp_path: Path) -> None:
    text = "\r".join([HEADER, row(1), "L2,2026-03-01", row(3)]) + "\r"
    _, result = load(tmp_path, text.encode("utf-8"))
    assert result.error == "leads/a.csv: line 3 has 2 fields but the header has 9."
    assert result.rows_read == 3


def test_nul_bytes_are_removed_from_values(tmp_path: Path) -> None:
    text = lines(
        HEADER, row(1, "甲\x00公司"), "L2\x00,2026-03-01 10:00,官网,乙,张,CRM,1\x0000,王,线索"
    )
    con, result = load(tmp_path, text.encode("utf-8"))
    assert (result.status, result.rows_loaded) == ("loaded", 2)
    found = con.execute(
        "select lead_id, account_name, budget, _errors from raw.leads order by 1"
    ).fetchall()
    assert [(a, b, int(c), e) for a, b, c, e in found] == [
        ("L1", "甲公司", 1000, "[]"),
        ("L2", "乙", 100, "[]"),
    ]


@pytest.mark.parametrize("bom", [True, False])
def test_utf16_is_rejected_with_a_sentence_counting_its_rows(tmp_path: Path, bom: bool) -> None:
    text = lines(HEADER, row(1), row(2))
    data = (codecs.BOM_UTF16_LE if bom else b"") + text.encode("utf-16-le")
    _, result = load(tmp_path, data)
    assert result.status == "rejected"
    assert result.error is not None and "is UTF-16" in result.error
    assert result.error.endswith("save it as CSV UTF-8 (or GBK) and land it again.")
    assert result.rows_read == 2


def test_file_names_in_sentences_and_progress_are_masked(tmp_path: Path) -> None:
    path = tmp_path / "leads" / "客户13812345678.csv"
    path.parent.mkdir(parents=True)
    path.write_text(lines(HEADER, "L1,2026-03-01"), encoding="utf-8")
    said: list[str] = []
    results = load_landing(
        duckdb.connect(), tmp_path, Settings(), run_id="t", as_of_date=AS_OF, progress=said.append
    )
    assert (
        results[0].error == "leads/客户138****5678.csv: line 2 has 2 fields but the header has 9."
    )
    assert said and not any("13812345678" in message for message in said)
