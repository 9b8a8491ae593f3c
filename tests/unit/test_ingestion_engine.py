"""The CSV load in DuckDB (ingestion/csv_engine.py) writes exactly what the Python reader
and parser write: the same raw rows (values, ``_raw``, ``_errors``, ``_account_key``, row
numbers) and the same file_loads rows, on every landing fixture and on hostile files;
files it cannot read as plainly as the Python reader go to the Python reader."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from core.contract import load_contract
from core.settings import Settings
from ingestion import csv_engine, loader
from ingestion.csv_engine import plain_csv
from ingestion.loader import load_landing

ROOT = Path(__file__).resolve().parent.parent
LANDINGS = [
    ROOT / "fixtures" / "landing_en",
    ROOT / "fixtures" / "landing_zh",
    ROOT / "e2e" / "fixtures" / "backbone_landing",
    ROOT / "e2e" / "fixtures" / "customer_landing",
    ROOT / "e2e" / "fixtures" / "funnel_landing",
]
AS_OF = dt.date(2026, 3, 31)
LEADS_HEADER = (
    "lead_id,created_at,source,account_name,contact_name,requirement,budget,owner,stage,"
    "probability,decision_maker_reached,currency,expected_close_date"
)


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    """Every raw row (without the load time) and every file_loads outcome, sorted."""
    tables: dict[str, list[tuple[object, ...]]] = {}
    for name in load_contract().entities:
        columns = [
            r[0]
            for r in con.execute(f"describe raw.{name}").fetchall()
            if r[0] not in ("_loaded_at",)
        ]
        select = ", ".join(f'"{c}"' for c in columns)
        tables[name] = con.execute(f"select {select} from raw.{name} order by _row_id").fetchall()
    tables["file_loads"] = con.execute(
        "select file_path, status, rows_read, rows_loaded, rows_quarantined, error "
        "from data_quality.file_loads order by file_path, status"
    ).fetchall()
    return tables


def _load(landing: Path, engine: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, int]:
    """Load ``landing`` with or without the DuckDB path; the snapshot and the number of
    files the DuckDB path wrote."""
    written = []
    real_insert = csv_engine.insert_raw

    def counting_insert(*args: object, **kwargs: object) -> int:
        rows = real_insert(*args, **kwargs)  # type: ignore[arg-type]
        written.append(rows)
        return rows

    with monkeypatch.context() as patch:
        patch.setattr(loader, "insert_raw", counting_insert)
        patch.setattr(loader, "ENGINE_MIN_BYTES", 0)  # fixtures are small files
        if not engine:
            patch.setattr(loader, "stage_csv", lambda *args, **kwargs: None)
        con = duckdb.connect()
        load_landing(con, landing, Settings(), run_id="r1", as_of_date=AS_OF)
        return _snapshot(con), len(written)


@pytest.mark.parametrize("landing", LANDINGS, ids=lambda p: p.name)
def test_engine_load_equals_python_load_on_every_fixture(
    landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python, none = _load(landing, False, monkeypatch)
    engine, used = _load(landing, True, monkeypatch)
    assert none == 0
    assert used > 0  # the DuckDB path really loaded files of this fixture
    assert engine == python


def _write(landing: Path, name: str, data: bytes) -> None:
    path = landing / "leads" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


_GOOD = "L1,2026-03-01 09:00:00,website,Acme  Ltd,Ann,CRM,120000.00,Bob,lead,5,yes,CNY,2026-04-01\n"
# name -> (file bytes, whether the DuckDB path may load it)
HOSTILE = {
    "crlf_bom_quotes.csv": (
        (
            "\ufeff"
            + LEADS_HEADER
            + "\r\n"
            + _GOOD.replace("\n", "\r\n")
            + 'L2,"2026-03-01 10:00:00",phone,"Beta, ""Inc""",李,"x,y",'
            + "120万,Bob,线索,35%,是,rmb,2026年4月1日\r\n"
        ).encode(),
        True,
    ),
    "padded_and_odd_values.csv": (
        (
            LEADS_HEADER + "\n" + _GOOD + "L2, 2026-03-01 10:00 ,Website ,ＡＢＣ科技 ,Ann, CRM ,"
            '"１２,０００.５０",Bob,LEAD,１２,TRUE,usd,2026-02-30\n'
            "L3,2026-13-01 10:00:00,nowhere,acme ltd,Ann,CRM,1e3,Bob,won,abc,maybe,EURO,x\n"
            ",,,,,,,,,,,,\n"
            "  ,\t, ,,,,,,,,,,\n"
            "L4,2026-03-01T10:00:00,website,,Ann,CRM,12.345,Bob,lead,007,0,¥,2026-03-01\n"
        ).encode(),
        True,
    ),
    "blank_line.csv": ((LEADS_HEADER + "\n" + _GOOD + "\n" + _GOOD).encode(), False),
    "short_row.csv": ((LEADS_HEADER + "\n" + _GOOD + "L9,2026-03-01\n").encode(), False),
    "truncated.csv": ((LEADS_HEADER + "\n" + _GOOD + 'L9,"2026').encode(), False),
    "no_line_end.csv": ((LEADS_HEADER + "\n" + _GOOD.rstrip("\n")).encode(), False),
    "lone_cr.csv": ((LEADS_HEADER + "\r" + _GOOD).encode(), False),
    "mixed_line_ends.csv": ((LEADS_HEADER + "\r\n" + _GOOD + _GOOD).encode(), False),
    "nul.csv": ((LEADS_HEADER + "\n" + _GOOD.replace("Ann", "A\x00nn")).encode(), False),
    "space_before_quote.csv": (
        (LEADS_HEADER + "\n" + _GOOD.replace(",Ann,", ', "Ann",')).encode(),
        False,
    ),
    "quoted_line_break.csv": (
        (LEADS_HEADER + "\n" + _GOOD.replace(",CRM,", ',"CR\nM",')).encode(),
        False,
    ),
    # a GBK file is read from a UTF-8 copy; its broken variants go to the Python reader,
    # which names the line: a UTF-8 line in it, bytes GB18030 cannot decode, a lead byte
    # before a line break, and GB18030's own byte-order mark (kept by the Python reader)
    "gbk.csv": ((LEADS_HEADER + "\n" + _GOOD.replace("Ann", "张三")).encode("gbk"), True),
    "gbk_with_a_utf8_line.csv": (
        (LEADS_HEADER + "\n" + _GOOD.replace("Ann", "张三")).encode("gbk")
        + _GOOD.replace("L1,", "L2,").replace("Ann", "李四").encode(),
        False,
    ),
    "gbk_undecodable.csv": (
        (LEADS_HEADER + "\n" + _GOOD.replace("Ann", "张三")).encode("gbk")
        + _GOOD.replace("L1,", "L2,").encode().replace(b"Ann", b"A\x81\x7fnn"),
        False,
    ),
    "gbk_lead_byte_at_line_end.csv": (
        (LEADS_HEADER + "\n" + _GOOD.replace("Ann", "张三")).encode("gbk")
        + _GOOD.replace("L1,", "L2,").encode().replace(b"2026-04-01\n", b"2026-04-01\x81\n"),
        False,
    ),
    "gb18030_bom.csv": (
        ("\ufeff" + LEADS_HEADER + "\n" + _GOOD.replace("Ann", "张三")).encode("gb18030"),
        False,
    ),
    "missing_required.csv": (
        (LEADS_HEADER.replace("budget", "other") + "\n" + _GOOD).encode(),
        False,
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_engine_load_equals_python_load_on_hostile_files(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, engine_may_load = HOSTILE[name]
    landing = tmp_path / "landing"
    _write(landing, name, data)
    python, _ = _load(landing, False, monkeypatch)
    engine, used = _load(landing, True, monkeypatch)
    assert engine == python
    assert used == (1 if engine_may_load else 0)


def test_hostile_values_really_reach_the_reference_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # hand-checked against sources.md: 120万 is 1,200,000.00; 35% is 35; 是 is true;
    # rmb is CNY; the quoted account name keeps its comma and quotes
    landing = tmp_path / "landing"
    _write(landing, "x.csv", HOSTILE["crlf_bom_quotes.csv"][0])
    engine, used = _load(landing, True, monkeypatch)
    con = duckdb.connect()
    shutil.copytree(landing, tmp_path / "again")
    monkeypatch.setattr(loader, "ENGINE_MIN_BYTES", 0)
    load_landing(con, tmp_path / "again", Settings(), run_id="r1", as_of_date=AS_OF)
    row = con.execute(
        "select budget, probability, decision_maker_reached, currency, account_name, "
        "expected_close_date, _source_row, _errors from raw.leads where lead_id = 'L2'"
    ).fetchall()
    assert used == 1
    assert row == [(1200000, 35.0, True, "CNY", 'Beta, "Inc"', dt.date(2026, 4, 1), 3, "[]")]


def test_small_files_take_the_python_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    landing = tmp_path / "landing"
    _write(landing, "x.csv", HOSTILE["crlf_bom_quotes.csv"][0])
    written = []
    monkeypatch.setattr(loader, "insert_raw", lambda *a, **k: written.append(1) or 0)
    load_landing(duckdb.connect(), landing, Settings(), run_id="r1", as_of_date=AS_OF)
    assert written == []


def _batch_sizes(landing: Path, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Files per INSERT statement of the DuckDB path when ``landing`` is loaded."""
    sizes = []
    real_insert = csv_engine.insert_raw

    def sizing_insert(*args: object, **kwargs: object) -> dict[str, int]:
        sizes.append(len(args[6]))  # type: ignore[arg-type]  # the files' lineage
        return real_insert(*args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(loader, "insert_raw", sizing_insert)
        patch.setattr(loader, "ENGINE_MIN_BYTES", 0)
        load_landing(duckdb.connect(), landing, Settings(), run_id="r1", as_of_date=AS_OF)
    return sizes


def test_several_files_in_one_statement_equal_loading_them_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # good files in runs, broken ones between them and inside a run (short_row and
    # blank_line pass the byte pre-check, so DuckDB itself must refuse the whole run),
    # and a copy of a good file (a duplicate, never loaded twice)
    landing = tmp_path / "landing"
    good = HOSTILE["crlf_bom_quotes.csv"][0]
    odd = HOSTILE["padded_and_odd_values.csv"][0]
    files = {
        "01_good.csv": good,
        "02_odd.csv": odd,
        "03_gbk.csv": HOSTILE["gbk.csv"][0],
        "04_odd.csv": odd.replace(b"L1,", b"L5,"),
        "05_copy_of_01.csv": good,
        "06_good.csv": good.replace(b"L2,", b"L6,"),
        "07_missing_required.csv": HOSTILE["missing_required.csv"][0],
        "08_good.csv": good.replace(b"L2,", b"L8,"),
        "09_short_row.csv": HOSTILE["short_row.csv"][0],
        "10_blank_line.csv": HOSTILE["blank_line.csv"][0],
        "11_odd.csv": odd.replace(b"L1,", b"L11,"),
        "12_lone_cr.csv": HOSTILE["lone_cr.csv"][0],
    }
    for name, data in files.items():
        _write(landing, name, data)
    python, _ = _load(landing, False, monkeypatch)
    engine, _ = _load(landing, True, monkeypatch)
    assert engine == python
    # 01..04 (one header: 02's is plain, BOM aside; 03 is GBK, read from its UTF-8 copy),
    # 05 is a copy of 01 (a duplicate), 06 alone, 08..11 refused as a run and loaded one
    # by one (08 and 11 by DuckDB)
    assert _batch_sizes(landing, monkeypatch) == [4, 1, 1, 1]


def test_a_copy_of_a_file_in_the_run_before_is_a_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # b.csv cannot join a's run (same content): that run is loaded first, so b is a
    # duplicate, never the first file of the next run (which would load it again)
    landing = tmp_path / "landing"
    good = HOSTILE["padded_and_odd_values.csv"][0]
    _write(landing, "a.csv", good)
    _write(landing, "b.csv", good)
    _write(landing, "c.csv", good.replace(b"L1,", b"L3,"))
    python, _ = _load(landing, False, monkeypatch)
    engine, _ = _load(landing, True, monkeypatch)
    assert engine == python
    assert [row[1] for row in engine["file_loads"]] == ["loaded", "duplicate", "loaded"]


def test_a_batch_holds_files_of_one_header_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    good = HOSTILE["padded_and_odd_values.csv"][0]
    reordered = good.replace(b"lead_id,created_at,", b"created_at,lead_id,", 1)
    _write(landing, "a.csv", good)
    _write(landing, "b.csv", good.replace(b"L1,", b"L7,"))
    _write(landing, "c.csv", reordered)
    _write(landing, "d.csv", reordered.replace(b"L1,", b"L9,"))
    python, _ = _load(landing, False, monkeypatch)
    engine, _ = _load(landing, True, monkeypatch)
    assert engine == python
    assert _batch_sizes(landing, monkeypatch) == [2, 2]


def test_the_byte_pre_check_matches_every_line_that_holds_a_quote(tmp_path: Path) -> None:
    # only the lines with a quote are matched: a bad one after good ones, or a line break
    # inside quotes (more lines than records), still sends the file to the Python reader
    quoted = _GOOD.replace(",Ann,", ',"Ann ""A""",')
    cases = {
        "later_line.csv": (LEADS_HEADER + "\n" + quoted + _GOOD + quoted.replace('"A""', 'A"')),
        "quoted_line_break.csv": HOSTILE["quoted_line_break.csv"][0].decode(),
        "good.csv": LEADS_HEADER + "\n" + quoted + _GOOD + quoted + '"L9",' + _GOOD[3:],
    }
    for name, text in cases.items():
        (tmp_path / name).write_bytes(text.encode())
    assert plain_csv(tmp_path / "later_line.csv", "utf-8", 1) is None
    assert plain_csv(tmp_path / "quoted_line_break.csv", "utf-8", 1) is None
    good = plain_csv(tmp_path / "good.csv", "utf-8", 1)
    assert good is not None and good.lines == 1 + 4 * _GOOD.count("\n")


@pytest.mark.parametrize("broken", ["short_row.csv", "blank_line.csv"])
def test_a_file_duckdb_reads_differently_sends_its_whole_run_one_by_one(
    broken: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # these pass the byte pre-check: only DuckDB's strict reader or the per-file record
    # count can tell, so the run of three is refused and its good files load alone
    landing = tmp_path / "landing"
    good = HOSTILE["padded_and_odd_values.csv"][0]
    _write(landing, "a.csv", good)
    _write(landing, "b.csv", HOSTILE[broken][0])
    _write(landing, "c.csv", good.replace(b"L1,", b"L3,"))
    python, _ = _load(landing, False, monkeypatch)
    engine, _ = _load(landing, True, monkeypatch)
    assert engine == python
    assert _batch_sizes(landing, monkeypatch) == [1, 1]
