"""Hostile values and personal data through `crm-pipeline build` (issue 10 items 4 and 6).

A. as of 2026-03-30: clean leads, follow-ups and service records whose ids, owners, agents,
   account names and free text hold phone numbers and e-mail addresses in many formats:
   published (exit 0); no phone or e-mail is in any table of the serving file or in the
   Parquet files, and the two leads whose ids mask alike are still two opportunities.
B. as of 2026-03-31: every column of every entity gets hostile values (other scripts'
   digits, NUL, huge numbers, impossible dates, SQL, CSV syntax): the build ends with 0 or 2,
   never 1 (no crash); so do a second build and `validate`; every file's rows add up.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from core.contract import load_contract
from crm_pipeline.cli import main

pytestmark = pytest.mark.e2e

CONTRACT = load_contract()
PHONES = [
    "13911110002",
    "13911110003",
    "13911110017",
    "02111110007",
    "13811115678",
    "13822225678",
    "13700001234",
]
MAILS = ["wang.fang@example.com", "li@corp.cn"]
HOSTILE = [
    "１２０００",
    "١٢٠٠٠",
    "𝟏𝟐",
    "12\x0000",
    "\u200b12",
    "1e309",
    "9" * 40,
    "2026-02-30",
    "٢٠٢٦-٠٣-٣١",
    "'; drop table raw.leads; --",
    "a,b",
    "line\nbreak",
    "line\rbreak",
    "NaN",
    "-0",
    "是",
    "ＣＮＹ",
    "💥",
    "",
]

LEADS_A = [
    [
        "lead_id",
        "created_at",
        "source",
        "account_name",
        "contact_name",
        "contact_phone",
        "contact_email",
        "requirement",
        "budget",
        "owner",
        "stage",
        "closed_at",
        "loss_reason",
    ],
    [
        "13811115678",
        "2026-03-01 10:00",
        "官网",
        "客户 139-1111-0002",
        "张",
        "13900001111",
        "zhang@example.com",
        "CRM",
        "10万",
        "wang.fang@example.com",
        "输单",
        "2026-03-20 10:00",
        "客户电话 +86-139-1111-0017 / (021)11110007",
    ],
    [
        "13822225678",
        "2026-03-02 10:00",
        "官网",
        "乙公司",
        "李",
        "",
        "",
        "ERP",
        "5万",
        "13700001234",
        "线索",
        "",
        "",
    ],
]
FOLLOW_UPS_A = [
    ["follow_up_id", "lead_id", "occurred_at", "owner", "channel", "notes"],
    [
        "F 139 1111 0003",
        "13811115678",
        "2026-03-03 10:00",
        "王芳",
        "电话",
        "回电 021-1111 0007，邮箱 li@corp.cn",
    ],
]
SERVICE_A = [
    ["service_id", "account_name", "opened_at", "type", "agent", "notes"],
    ["S1", "客户 139-1111-0002", "2026-03-04 10:00", "投诉", "陈静 13700001234", "无"],
]


def _write(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _hostile_rows(entity: str) -> list[list[str]]:
    """Header plus, for every column, rows holding each hostile value in that column (and
    the column's value from a valid base row everywhere else)."""
    base = {
        "leads": dict(zip(LEADS_A[0], LEADS_A[2], strict=True)),
        "follow_ups": dict(zip(FOLLOW_UPS_A[0], FOLLOW_UPS_A[1], strict=True)),
        "service_records": dict(zip(SERVICE_A[0], SERVICE_A[1], strict=True)),
    }[entity]
    names = [c.name for c in CONTRACT.entity(entity).columns]
    rows = [names]
    for n, column in enumerate(names):
        for i, value in enumerate(HOSTILE):
            row = [base.get(name, "") for name in names]
            row[names.index(column)] = value
            if column != names[0]:
                row[0] = f"X{n}-{i}"  # distinct record ids: no uniqueness noise
            rows.append(row)
    return rows


def _text_of(db: Path) -> str:
    """Every text value of every table in a DuckDB file, joined."""
    parts: list[str] = []
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        for schema, table in tables:
            for row in con.execute(f'select * from "{schema}"."{table}"').fetchall():
                parts += [str(v) for v in row if isinstance(v, str)]
    return "\n".join(parts)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isdigit())


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    mp = pytest.MonkeyPatch()
    for name in ("CRM_LANDING_DIR", "CRM_WAREHOUSE_DIR", "CRM_PIPELINE_CONFIG", "DAGSTER_HOME"):
        mp.delenv(name, raising=False)
    root = tmp_path_factory.mktemp("hostile")
    landing, warehouse = root / "landing", root / "warehouse"

    def build(as_of: str) -> int:
        return main(
            ["build", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", as_of]
        )

    facts: dict[str, object] = {"warehouse": warehouse}
    _write(landing / "leads" / "2026-03-30.csv", LEADS_A)
    _write(landing / "follow_ups" / "2026-03-30.csv", FOLLOW_UPS_A)
    _write(landing / "service_records" / "2026-03-30.csv", SERVICE_A)
    facts["A"] = build("2026-03-30")
    serving = warehouse / "serving" / "crm.duckdb"
    facts["serving_text_A"] = _text_of(serving)
    facts["parquet_text_A"] = "\n".join(
        _text_of_parquet(path) for path in sorted(warehouse.rglob("*.parquet"))
    )
    with duckdb.connect(str(serving), read_only=True) as con:
        facts["opportunities_A"] = con.execute(
            "select count(*) from opportunity_funnel.fct_opportunities"
        ).fetchone()[0]
    for entity in ("leads", "follow_ups", "service_records"):
        _write(landing / entity / "2026-03-31.csv", _hostile_rows(entity))
    facts["B"] = build("2026-03-31")
    facts["B_again"] = build("2026-03-31")
    facts["validate"] = main(["validate", "--landing", str(landing)])
    build_db = warehouse / "build" / "crm.duckdb"
    with duckdb.connect(str(build_db), read_only=True) as con:
        facts["file_loads"] = con.execute(
            "select file_path, status, rows_read, rows_loaded, rows_quarantined "
            "from data_quality.file_loads"
        ).fetchall()
    mp.undo()
    return facts


def _text_of_parquet(path: Path) -> str:
    with duckdb.connect() as con:
        rows = con.execute("select * from read_parquet(?)", [str(path)]).fetchall()
    return "\n".join(str(v) for row in rows for v in row if isinstance(v, str))


def test_personal_data_never_reaches_the_serving_file_or_parquet(run: dict) -> None:
    assert run["A"] == 0
    text = f"{run['serving_text_A']}\n{run['parquet_text_A']}"
    assert "139****0017" in text and "021****0007" in text  # the marts do hold the masks
    for phone in PHONES:
        assert phone not in _digits(text), phone
    for mail in MAILS:
        assert mail not in text, mail


def test_ids_that_mask_alike_stay_two_opportunities(run: dict) -> None:
    assert run["opportunities_A"] == 2


def test_hostile_values_never_crash_a_build(run: dict) -> None:
    assert run["B"] in (0, 2)
    assert run["B_again"] in (0, 2)
    assert run["validate"] in (0, 2)


def test_every_file_accounts_for_its_rows(run: dict) -> None:
    loads = run["file_loads"]
    assert len(loads) == 6
    for path, status, rows_read, rows_loaded, rows_quarantined in loads:
        assert status == "loaded", path
        assert rows_read == rows_loaded + rows_quarantined, path
    hostile = {p: r for p, _, r, _, _ in loads if p.endswith("2026-03-31.csv")}
    for entity in ("leads", "follow_ups", "service_records"):
        expected = len(CONTRACT.entity(entity).columns) * len(HOSTILE)
        assert hostile[f"{entity}/2026-03-31.csv"] == expected
