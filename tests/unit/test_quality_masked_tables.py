"""Phones and e-mails typed into record ids and owners never reach data_quality unmasked:
quarantine (record_id, owner, detail), plausibility findings and the owner scorecard use
the one masking rule (core.masking), and two owners that mask alike stay two owners."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.masking import mask_identifier
from core.settings import Settings
from quality.checks import run_quality_checks
from quality.gx_suites import GxValidator
from tests.fixtures.quality_raw.rows import fresh_database, land, valid_lead

D = dt.date(2026, 3, 31)
T = dt.datetime(2026, 3, 1, 10, 0)
OWNER_A, OWNER_B = "13811115678", "13822225678"  # both mask to 138****5678
LEAD_ID = "139-1111-0002"
MAIL = "wang.fang@example.com"

LEAD = valid_lead(LEAD_ID, owner=OWNER_A)
LEADS = [
    {**LEAD, "requirement": "ERP"},  # uniqueness with the next row: detail names the id
    {**LEAD, "requirement": "MES"},
    {**LEAD, "lead_id": "L2", "owner": OWNER_B, "source": "bogus"},  # enumeration
    {**LEAD, "lead_id": "L3", "owner": MAIL},  # clean
    {**LEAD, "lead_id": "L4", "owner": MAIL, "budget": 90_000_000},  # outlier: warn
    {**LEAD, "lead_id": "L5", "owner": "amy"},  # clean: the median stays 100,000
    {**LEAD, "lead_id": "L6", "owner": "amy"},
]
FOLLOW_UPS = [
    dict(
        follow_up_id="F 021-1111 0007",
        lead_id="+86 139 0000 1111",
        occurred_at=T,
        owner=MAIL,
        channel="call",
    ),  # orphan: reference detail names the lead id
]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("masked") / "build.duckdb"
    with duckdb.connect(str(path)) as con:
        fresh_database(con)
        land(con, "leads", LEADS, file_name="2026-03-31.csv", run_id="r1")
        land(con, "follow_ups", FOLLOW_UPS, file_name="2026-03-31.csv", run_id="r1")
        run_quality_checks(con, Settings(), run_id="r1", as_of_date=D, validator=GxValidator())
    yield path


def _rows(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def test_no_phone_or_mail_in_any_data_quality_table(database: Path) -> None:
    for table in ("quarantine", "plausibility_findings", "owner_scorecard", "check_results"):
        text = " ".join(
            str(v) for row in _rows(database, f"select * from data_quality.{table}") for v in row
        )
        assert text, table
        for phone in (OWNER_A, OWNER_B, "13911110002", "13900001111", "02111110007"):
            assert phone not in _digits(text), table
        assert MAIL not in text, table


def test_quarantine_names_masked_ids_and_owners(database: Path) -> None:
    found = sorted(_rows(database, "select record_id, owner, rule from data_quality.quarantine"))
    assert found == sorted(
        [
            (mask_identifier(LEAD_ID), mask_identifier(OWNER_A), "uniqueness"),
            (mask_identifier(LEAD_ID), mask_identifier(OWNER_A), "uniqueness"),
            ("L2", mask_identifier(OWNER_B), "enumeration"),
            (mask_identifier("F 021-1111 0007"), mask_identifier(MAIL), "reference"),
        ]
    )
    details = " ".join(d for (d,) in _rows(database, "select detail from data_quality.quarantine"))
    assert "lead_id 139****0002" in details and "lead_id 139****1111 matches no" in details


def test_scorecard_keeps_owners_that_mask_alike_apart(database: Path) -> None:
    card = dict(
        (
            (owner, (records, held))
            for owner, records, held in _rows(
                database,
                "select owner, records, quarantined from data_quality.owner_scorecard "
                "where entity = 'leads'",
            )
        )
    )
    assert card == {
        mask_identifier(OWNER_A): (2, 2),
        mask_identifier(OWNER_B): (1, 1),
        mask_identifier(MAIL): (2, 0),
        "amy": (2, 0),
    }
    findings = _rows(database, "select record_id, owner from data_quality.plausibility_findings")
    assert findings == [("L4", mask_identifier(MAIL))]
