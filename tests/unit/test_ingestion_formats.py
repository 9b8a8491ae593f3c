"""Every file format and encoding of sources.md yields the same typed raw rows.

One hand-made data set (tests/fixtures/landing_zh, Chinese headers, UTF-8) is written out
again as UTF-8 with BOM, GBK, GB18030, xlsx and JSON Lines; an English-header copy with
shuffled columns (tests/fixtures/landing_en) must give the same typed values too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from core.contract import load_contract
from core.settings import FolderConfig, Settings
from ingestion.loader import FileLoadResult, load_landing

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ZH_LEADS = FIXTURES / "landing_zh" / "leads" / "2026-03-06.csv"
AS_OF = dt.date(2026, 3, 31)
LEAD_COLUMNS = load_contract().entity("leads").column_names

# Hand-derived from the fixture (sources.md rules): 120万 = 1 200 000; ￥800000; 1.2亿 =
# 120 000 000; 人民币 -> CNY; 2026-03-06T09:00:00+08:00 is already Shanghai time; a bare
# date is midnight; 是/否/n -> true/false/false; 高/中/低 -> high/medium/low; the account
# name is trimmed but kept as typed, its key is NFKC + lower case; with an account_id the
# key is the id.
EXPECTED_LEADS: list[dict[str, Any]] = [
    {
        "lead_id": "L001",
        "created_at": dt.datetime(2026, 3, 1, 9, 30),
        "updated_at": dt.datetime(2026, 3, 5, 10, 0),
        "source": "website",
        "account_name": "ＡＢＣ科技",
        "account_id": None,
        "contact_name": "张伟",
        "contact_phone": "013812345678",
        "contact_email": "zhang@example.com",
        "requirement": "CRM系统",
        "budget": Decimal("1200000.00"),
        "amount": Decimal("1500000.00"),
        "currency": "CNY",
        "owner": "王芳",
        "team": "华东一组",
        "stage": "proposal",
        "probability": 60.0,
        "expected_close_date": dt.date(2026, 4, 30),
        "closed_at": None,
        "loss_reason": None,
        "urgency": "high",
        "decision_maker_reached": True,
        "industry": "制造业",
        "region": "上海",
        "_account_key": "abc科技",
        "_errors": "[]",
    },
    {
        "lead_id": "L002",
        "created_at": dt.datetime(2026, 3, 2, 14, 5),
        "updated_at": dt.datetime(2026, 3, 6, 9, 0),
        "source": "expo",
        "account_name": "abc科技",
        "account_id": None,
        "contact_name": "李娜",
        "contact_phone": "13900001111",
        "contact_email": None,
        "requirement": "ERP实施",
        "budget": Decimal("800000.00"),
        "amount": None,
        "currency": None,
        "owner": "王芳",
        "team": "华东一组",
        "stage": "won",
        "probability": None,
        "expected_close_date": dt.date(2026, 4, 1),
        "closed_at": dt.datetime(2026, 3, 6, 9, 0),
        "loss_reason": None,
        "urgency": "medium",
        "decision_maker_reached": False,
        "industry": "制造业",
        "region": "上海",
        "_account_key": "abc科技",
        "_errors": "[]",
    },
    {
        "lead_id": "L003",
        "created_at": dt.datetime(2026, 3, 3, 0, 0),
        "updated_at": None,
        "source": "referral",
        "account_name": "星辰贸易",
        "account_id": "C-0099",
        "contact_name": "赵强",
        "contact_phone": None,
        "contact_email": None,
        "requirement": "数据分析",
        "budget": Decimal("120000000.00"),
        "amount": None,
        "currency": "CNY",
        "owner": "刘洋",
        "team": "华南组",
        "stage": "lost",
        "probability": 0.0,
        "expected_close_date": None,
        "closed_at": dt.datetime(2026, 3, 20, 18, 0),
        "loss_reason": "预算不足",
        "urgency": "low",
        "decision_maker_reached": False,
        "industry": "零售",
        "region": "广州",
        "_account_key": "C-0099",
        "_errors": "[]",
    },
]
TYPED = [*LEAD_COLUMNS, "_account_key", "_errors"]


def load(
    landing: Path, settings: Settings | None = None
) -> tuple[duckdb.DuckDBPyConnection, list[FileLoadResult]]:
    con = duckdb.connect()
    results = load_landing(con, landing, settings or Settings(), run_id="t", as_of_date=AS_OF)
    return con, results


def typed_rows(con: duckdb.DuckDBPyConnection, columns: list[str] = TYPED) -> list[dict]:
    names = ", ".join(f'"{c}"' for c in columns)
    rows = con.execute(f"select {names} from raw.leads order by lead_id").fetchall()
    return [dict(zip(columns, row, strict=True)) for row in rows]


def fixture_table() -> tuple[list[str], list[list[str]]]:
    with open(ZH_LEADS, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_csv(path: Path, encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ZH_LEADS.read_text(encoding="utf-8")
    path.write_bytes(text.encode(encoding))


def write_xlsx(path: Path) -> None:
    header, rows = fixture_table()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([cell if cell != "" else None for cell in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def write_jsonl(path: Path) -> None:
    header, rows = fixture_table()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            obj = {h: v for h, v in zip(header, row, strict=True) if v != ""}
            handle.write(json.dumps(obj, ensure_ascii=False) + "\n")


WRITERS = {
    "utf-8": lambda p: write_csv(p / "leads" / "a.csv", "utf-8"),
    "utf-8-bom": lambda p: write_csv(p / "leads" / "a.csv", "utf-8-sig"),
    "gbk": lambda p: write_csv(p / "leads" / "a.csv", "gbk"),
    "gb18030": lambda p: write_csv(p / "leads" / "a.csv", "gb18030"),
    "xlsx": lambda p: write_xlsx(p / "leads" / "a.xlsx"),
    "jsonl": lambda p: write_jsonl(p / "leads" / "a.jsonl"),
}


def test_fixture_is_really_in_the_claimed_encodings(tmp_path: Path) -> None:
    # guard: the GBK file must not be valid UTF-8, the BOM file must start with the BOM
    WRITERS["gbk"](tmp_path / "g")
    WRITERS["utf-8-bom"](tmp_path / "b")
    with pytest.raises(UnicodeDecodeError):
        (tmp_path / "g" / "leads" / "a.csv").read_bytes().decode("utf-8")
    assert (tmp_path / "b" / "leads" / "a.csv").read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_each_format_and_encoding_yields_the_same_typed_rows(tmp_path: Path, fmt: str) -> None:
    WRITERS[fmt](tmp_path)
    con, results = load(tmp_path)
    assert [(r.status, r.rows_read, r.rows_loaded, r.error) for r in results] == [
        ("loaded", 3, 3, None)
    ]
    assert typed_rows(con) == EXPECTED_LEADS


@pytest.mark.parametrize(
    ("fmt", "rows"), [("utf-8", [2, 3, 4]), ("xlsx", [2, 3, 4]), ("jsonl", [1, 2, 3])]
)
def test_source_row_is_what_a_person_sees(tmp_path: Path, fmt: str, rows: list[int]) -> None:
    WRITERS[fmt](tmp_path)
    con, _ = load(tmp_path)
    got = con.execute("select _source_row from raw.leads order by lead_id").fetchall()
    assert [r[0] for r in got] == rows


def test_english_headers_in_shuffled_order_give_identical_typed_rows() -> None:
    con, results = load(FIXTURES / "landing_en")
    assert {r.status for r in results} == {"loaded"}
    assert typed_rows(con) == EXPECTED_LEADS


def test_chinese_fixture_loads_as_expected() -> None:
    con, _ = load(FIXTURES / "landing_zh")
    assert typed_rows(con) == EXPECTED_LEADS


def test_extra_columns_are_kept_only_in_raw_json(tmp_path: Path) -> None:
    con, _ = load(FIXTURES / "landing_zh")
    sql = "select _raw from raw.leads where lead_id = 'L001'"
    raw = json.loads(con.execute(sql).fetchall()[0][0])
    assert raw["内部备注"] == "a"
    assert raw["预算"] == "120万"  # original text, not the parsed value
    assert raw["客户名称"] == "ＡＢＣ科技 "  # exactly as landed, untrimmed
    columns = [r[0] for r in con.execute("describe raw.leads").fetchall()]
    assert "内部备注" not in columns and "internal_note" not in columns


def test_configured_encoding_overrides_detection(tmp_path: Path) -> None:
    # GB18030 bytes read as latin-1 decode without error but give different text: proof
    # that the folder's configured encoding, not detection, was used.
    WRITERS["gbk"](tmp_path)
    settings = Settings(folders={"leads": FolderConfig(encoding="latin-1")})
    con, results = load(tmp_path, settings)
    assert results[0].status == "rejected"  # Chinese headers garbled: required columns missing
    assert "missing after header mapping" in (results[0].error or "")
    con2, results2 = load(tmp_path, Settings(folders={"leads": FolderConfig(encoding="gbk")}))
    assert results2[0].status == "loaded"
    assert typed_rows(con2) == EXPECTED_LEADS


def test_xlsx_cells_are_read_as_text(tmp_path: Path) -> None:
    # numbers stored as numbers: ids without ".0"; phone stored as text keeps its leading
    # zero; a date cell becomes an ISO timestamp; header on row 3 of the sheet "商机",
    # which is not the first sheet.
    workbook = openpyxl.Workbook()
    workbook.active.title = "说明"
    workbook.active["A1"] = "this sheet is not data"
    sheet = workbook.create_sheet("商机")
    sheet["A1"] = "导出报表"
    header = [
        "商机编号",
        "创建时间",
        "来源",
        "客户名称",
        "客户编号",
        "联系人",
        "联系电话",
        "需求",
        "预算",
        "负责人",
        "阶段",
        "赢率",
        "预计成交日期",
    ]
    sheet.append([])  # row 2 empty
    for col, name in enumerate(header, start=1):
        sheet.cell(row=3, column=col, value=name)
    sheet.append(
        [
            10001,
            dt.datetime(2026, 3, 1, 9, 30),
            "官网",
            "甲公司",
            880012,
            "张伟",
            "013812345678",
            "CRM",
            1200000.0,
            "王芳",
            "线索",
            35.5,
            dt.date(2026, 4, 30),
        ]
    )
    path = tmp_path / "leads" / "export.xlsx"
    path.parent.mkdir(parents=True)
    workbook.save(path)
    settings = Settings(folders={"leads": FolderConfig(sheet="商机", header_row=3)})
    con, results = load(tmp_path, settings)
    assert (results[0].status, results[0].rows_read) == ("loaded", 1)
    row = con.execute(
        "select lead_id, account_id, contact_phone, created_at, budget, probability, "
        "expected_close_date, _source_row, _account_key from raw.leads"
    ).fetchall()
    assert row == [
        (
            "10001",
            "880012",
            "013812345678",
            dt.datetime(2026, 3, 1, 9, 30),
            Decimal("1200000.00"),
            35.5,
            dt.date(2026, 4, 30),
            4,
            "880012",
        )
    ]
    raw = json.loads(con.execute("select _raw from raw.leads").fetchall()[0][0])
    assert raw["商机编号"] == "10001" and raw["预算"] == "1200000"


def test_csv_header_row_setting_skips_title_lines(tmp_path: Path) -> None:
    text = "商机导出,2026-03-06\n" + ZH_LEADS.read_text(encoding="utf-8")
    (tmp_path / "leads").mkdir()
    (tmp_path / "leads" / "a.csv").write_text(text, encoding="utf-8")
    # the title line has 2 fields: without the setting it is taken as the header row
    con, results = load(tmp_path, Settings(folders={"leads": FolderConfig(header_row=2)}))
    assert results[0].status == "loaded"
    assert typed_rows(con) == EXPECTED_LEADS
    rows = con.execute("select _source_row from raw.leads order by lead_id").fetchall()
    assert [r[0] for r in rows] == [3, 4, 5]


def test_jsonl_values_of_any_json_type(tmp_path: Path) -> None:
    lines = [
        {
            "lead_id": 7,
            "created_at": "2026-03-01",
            "source": "官网",
            "account_name": "甲",
            "contact_name": "张",
            "requirement": "x",
            "budget": 1200000.0,
            "owner": "王",
            "stage": "lead",
            "decision_maker_reached": True,
            "probability": None,
            "region": {"province": "广东"},
        },
    ]
    (tmp_path / "leads").mkdir()
    (tmp_path / "leads" / "a.jsonl").write_text(
        "\n".join(json.dumps(obj, ensure_ascii=False) for obj in lines) + "\n\n",
        encoding="utf-8",
    )
    con, results = load(tmp_path)
    assert (results[0].status, results[0].rows_read) == ("loaded", 1)
    assert con.execute(
        "select lead_id, budget, decision_maker_reached, probability, region from raw.leads"
    ).fetchall() == [("7", Decimal("1200000.00"), True, None, '{"province": "广东"}')]


def test_header_matching_trims_normalises_and_case_folds(tmp_path: Path) -> None:
    # ` LEAD_ID `, full-width `ｃｒｅａｔｅｄ＿ａｔ` and `Source` all map by name
    header = " LEAD_ID ,ｃｒｅａｔｅｄ＿ａｔ,Source,客户名称 ,联系人,需求,预算,负责人,商机阶段"
    (tmp_path / "leads").mkdir()
    (tmp_path / "leads" / "a.csv").write_text(
        header + "\nL9,2026-03-01 08:00:00,电话,乙,钱,y,5000,孙,新线索\n", encoding="utf-8"
    )
    con, results = load(tmp_path)
    assert results[0].status == "loaded", results[0].error
    assert con.execute(
        "select lead_id, created_at, source, stage, budget from raw.leads"
    ).fetchall() == [("L9", dt.datetime(2026, 3, 1, 8), "phone", "lead", Decimal("5000.00"))]


def test_canonical_header_wins_over_an_alias_of_the_same_column(tmp_path: Path) -> None:
    # both `备注` (alias) and `notes` present: notes feeds the column, 备注 stays in _raw
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["备注", "follow_up_id", "lead_id", "occurred_at", "owner", "channel", "notes"])
    writer.writerow(["alias text", "F1", "L1", "2026-03-01 10:00", "王", "电话", "canonical text"])
    (tmp_path / "follow_ups").mkdir()
    (tmp_path / "follow_ups" / "a.csv").write_text(text.getvalue(), encoding="utf-8")
    con, _ = load(tmp_path)
    notes, raw = con.execute("select notes, _raw from raw.follow_ups").fetchall()[0]
    assert notes == "canonical text"
    assert json.loads(raw)["备注"] == "alias text"


def test_unknown_enum_value_is_kept_with_an_enumeration_problem(tmp_path: Path) -> None:
    header = "跟进编号,商机编号,跟进时间,跟进人,跟进方式,跟进后阶段,跟进内容"
    (tmp_path / "follow_ups").mkdir()
    (tmp_path / "follow_ups" / "a.csv").write_text(
        header + "\nF1,L1,2026-03-01 10:00,王,飞鸽传书,暂停,电话 13800001111\n"
        "F2,L1,2026-13-01,王,电话,,\n",
        encoding="utf-8",
    )
    con, results = load(tmp_path)
    assert results[0].rows_loaded == 2
    rows = con.execute(
        "select follow_up_id, channel, stage_after, occurred_at, _errors "
        "from raw.follow_ups order by follow_up_id"
    ).fetchall()
    f1, f2 = rows
    assert (f1[1], f1[2]) == ("飞鸽传书", "暂停")
    problems = json.loads(f1[4])
    assert [(p["column"], p["rule"]) for p in problems] == [
        ("channel", "enumeration"),
        ("stage_after", "enumeration"),
    ]
    assert f2[3] is None  # month 13: not a date -> NULL with a type problem
    assert [(p["column"], p["rule"]) for p in json.loads(f2[4])] == [("occurred_at", "type")]
    # personal data in notes never reaches a problem detail
    assert "13800001111" not in f1[4]


def test_xlsx_date_serial_numbers_in_date_columns(tmp_path: Path) -> None:
    # a date typed into a cell without date format stays a number: 46112 = 2026-03-31
    # (days since 1899-12-30: 2026-01-01 is 46023, plus 31 + 28 + 30 = 89 days);
    # .25 of a day = 06:00. The same number in a money column stays a number.
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "lead_id",
            "created_at",
            "source",
            "account_name",
            "contact_name",
            "requirement",
            "budget",
            "owner",
            "stage",
            "expected_close_date",
        ]
    )
    sheet.append(["L1", 46112.25, "官网", "甲", "张", "x", 46112, "王", "线索", 46112])
    path = tmp_path / "leads" / "a.xlsx"
    path.parent.mkdir(parents=True)
    workbook.save(path)
    con, results = load(tmp_path)
    assert results[0].status == "loaded"
    assert con.execute(
        "select created_at, expected_close_date, budget, _errors from raw.leads"
    ).fetchall() == [(dt.datetime(2026, 3, 31, 6), dt.date(2026, 3, 31), Decimal("46112.00"), "[]")]
