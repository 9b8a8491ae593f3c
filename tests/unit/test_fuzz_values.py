"""Fuzz (issue 10 item 4): arbitrary Unicode in every column of every entity — text,
timestamp, date, money, integer, number, enum, boolean, currency — goes through the real
loader and the real quality checks without an exception, and every file accounts for its
rows: rows read = rows written = rows loaded + rows quarantined."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.contract import load_contract
from core.settings import Settings
from ingestion.loader import load_landing
from quality.checks import run_quality_checks
from quality.gx_suites import GxValidator

AS_OF = dt.date(2026, 3, 31)
CONTRACT = load_contract()
TYPES = {col.type for entity in CONTRACT.entities.values() for col in entity.columns}

# Values that have broken parsers or casts somewhere, or nearly: other digit forms, NUL,
# huge and odd numbers, impossible dates, SQL and CSV syntax, invisible characters.
HOSTILE = [
    "１２０００",
    "١٢٠٠٠",
    "१२३",
    "𝟏𝟐",
    "¹²",
    "½",
    "Ⅻ",
    "١٢.٥%",
    "１，２００，０００．００",
    "\x00",
    "12\x0000",
    "\u200b12000",
    "\ufeff1",
    "\u202e12",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "-0",
    "9" * 40,
    "0x10",
    "1..2",
    "1,2,3",
    "¥-5",
    "12e3",
    "-",
    "2026-02-30",
    "0000-00-00",
    "99999-01-01",
    "２０２６-０３-３１",
    "٢٠٢٦-٠٣-٣١ ١٤:٠٥",
    "2026-03-31T25:00",
    "2026-03-31 14:05:00+99:00",
    "true\x00",
    "是",
    "否",
    "ＹＥＳ",
    "'; drop table raw.leads; --",
    '"quoted"',
    "a,b",
    "line\nbreak",
    "line\rbreak",
    "\r\n",
    "💥",
    " ",
    "\t",
    "",
    "13812345678",
    "zhang@example.com",
    "线索",
    "赢单",
    "CNY",
    "ＣＮＹ",
    "5",
    "0",
    "100",
]
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.text(alphabet="0123456789０１２３٠١٢-:./,年月日 +万亿¥", max_size=20),
)


def test_every_column_type_is_fuzzed() -> None:
    """Guard: the entities cover the types the issue names."""
    assert {"text", "timestamp", "date", "money", "integer", "enum", "boolean"} <= TYPES


@pytest.fixture(scope="module")
def validator() -> GxValidator:
    return GxValidator()


@st.composite
def files(draw: st.DrawFn) -> dict[str, list[list[str]]]:
    """entity -> rows of cell text, one value drawn for every contract column."""
    out = {}
    for name, entity in CONTRACT.entities.items():
        rows = draw(
            st.lists(
                st.lists(VALUES, min_size=len(entity.columns), max_size=len(entity.columns)),
                min_size=1,
                max_size=6,
            )
        )
        out[name] = rows
    return out


def _write(folder: Path, entity: str, rows: list[list[str]], as_jsonl: bool) -> int:
    """One landed file; an extra `fuzz_row` column keeps no row blank. Returns rows written."""
    names = [c.name for c in CONTRACT.entity(entity).columns] + ["fuzz_row"]
    path = folder / entity / ("2026-03-31.jsonl" if as_jsonl else "2026-03-31.csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    numbered = [[*row, f"r{i}"] for i, row in enumerate(rows)]
    if as_jsonl:
        text = "".join(json.dumps(dict(zip(names, r, strict=True))) + "\n" for r in numbered)
        path.write_text(text, encoding="utf-8")
    else:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows([names, *numbered])
        path.write_text(buffer.getvalue(), encoding="utf-8")
    return len(rows)


@pytest.fixture
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(landing=files(), as_jsonl=st.booleans())
def test_arbitrary_values_never_raise_and_every_row_is_accounted_for(
    validator: GxValidator, scratch: Path, landing: dict[str, list[list[str]]], as_jsonl: bool
) -> None:
    folder = Path(tempfile.mkdtemp(dir=scratch))
    written = {e: _write(folder, e, rows, as_jsonl) for e, rows in landing.items()}
    with duckdb.connect() as con:
        results = load_landing(con, folder, Settings(), run_id="f", as_of_date=AS_OF)
        run_quality_checks(con, Settings(), run_id="f", as_of_date=AS_OF, validator=validator)
        loads = con.execute(
            "select entity, status, rows_read, rows_loaded, rows_quarantined "
            "from data_quality.file_loads"
        ).fetchall()
        raw = {e: con.execute(f"select count(*) from raw.{e}").fetchone()[0] for e in written}
    assert {r.entity for r in results} == set(written)
    for entity, status, rows_read, rows_loaded, rows_quarantined in loads:
        assert status in ("loaded", "rejected")
        assert rows_read == written[entity], (entity, status)
        assert rows_read == rows_loaded + rows_quarantined
        assert raw[entity] == (rows_read if status == "loaded" else 0)
