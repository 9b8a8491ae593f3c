"""The quality step on a dirty generated landing folder (no dbt): nothing is lost.

Every deliberately dirty row the generator writes breaks a blocking rule (missing required
field, unknown enumeration, negative money, unparseable date, orphan follow-up,
satisfaction 7), so at least that many rows per entity must be quarantined; and for every
file rows read = rows loaded + rows quarantined.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from core.settings import Settings
from crm_pipeline.generator import GenerationSummary, GeneratorOptions, generate
from ingestion.loader import load_landing
from quality.checks import QualityOutcome, run_quality_checks

D = dt.date(2026, 2, 28)


def merge_days(landing: Path, merged: Path) -> Path:
    """One CSV per entity and month (fewer files load faster; rows and order unchanged)."""
    for folder in sorted(p for p in landing.iterdir() if p.is_dir()):
        by_month: dict[str, list[str]] = {}
        header = ""
        for path in sorted(folder.glob("*.csv")):
            header, *lines = path.read_text(encoding="utf-8").splitlines()
            by_month.setdefault(path.stem[:7], []).extend(lines)
        (merged / folder.name).mkdir(parents=True)
        for month, lines in by_month.items():
            text = "\n".join([header, *lines]) + "\n"
            (merged / folder.name / f"{month}.csv").write_text(text, encoding="utf-8")
    return merged


@pytest.fixture(scope="module")
def checked(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[GenerationSummary, QualityOutcome, Path]:
    root = tmp_path_factory.mktemp("generated")
    summary = generate(
        root / "landing",
        GeneratorOptions(leads=100, start=dt.date(2025, 11, 1), end=D, seed=7, dirty_rate=0.08),
    )
    merged = merge_days(root / "landing", root / "merged")
    db = root / "build.duckdb"
    with duckdb.connect(str(db)) as con:
        load_landing(con, merged, Settings(), run_id="g1", as_of_date=D)
        outcome = run_quality_checks(con, Settings(), run_id="g1", as_of_date=D)
    return summary, outcome, db


def test_rows_read_equal_loaded_plus_quarantined(checked: tuple) -> None:
    _, _, db = checked
    with duckdb.connect(str(db), read_only=True) as con:
        files = con.execute(
            "select file_path, status, rows_read, rows_loaded, rows_quarantined "
            "from data_quality.file_loads"
        ).fetchall()
        held = con.execute("select count(distinct row_id) from data_quality.quarantine").fetchone()[
            0
        ]
    assert len(files) >= 9 and all(status == "loaded" for _, status, *_ in files)
    for path, _, read, loaded, quarantined in files:
        assert read == loaded + quarantined, path
    assert sum(q for *_, q in files) == held


def test_every_dirty_row_is_quarantined(checked: tuple) -> None:
    summary, outcome, _ = checked
    for entity, dirty in summary.dirty_rows.items():
        assert dirty > 0, entity
        assert outcome.entities[entity].rows_quarantined >= dirty, entity
        assert outcome.entities[entity].rows_checked == summary.rows[entity]
    assert outcome.infrastructure_errors == []


def test_no_phone_numbers_in_quarantine_details(checked: tuple) -> None:
    _, _, db = checked
    with duckdb.connect(str(db), read_only=True) as con:
        details = " ".join(
            str(d) for (d,) in con.execute("select detail from data_quality.quarantine").fetchall()
        )
    assert not re.search(r"1[3-9]\d{9}", details)
    assert not re.search(r"[\w.]+@[\w.]+\.\w+", details)
