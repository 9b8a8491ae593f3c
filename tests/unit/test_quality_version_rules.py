"""Stage skips and uniqueness where the order and grouping of versions decide (issue 14).

The quality step orders a lead's versions by the typed ``updated_at`` (else
``created_at``), then load and row, and finds repeated (file, id, version) keys through a
hash of the three. Each case below is worked out by hand from spec/quality.md: a stage
skip is a version more than one stage ahead of the version before it; two different rows
with the same id and version in one load are both quarantined.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.settings import Settings
from quality.checks import run_quality_checks
from quality.gx_suites import GxValidator
from tests.fixtures.quality_raw.rows import CREATED_AT, fresh_database, land, valid_lead

D = dt.date(2026, 3, 31)
T = CREATED_AT


def lead(lead_id: str, stage: str, **changes: Any) -> dict[str, Any]:
    """A lead version that passes every blocking rule (created at ``T``)."""
    return valid_lead(lead_id, stage, **changes)


def follow_up(follow_up_id: str, **changes: Any) -> dict[str, Any]:
    """A follow-up of lead P1 that passes every blocking rule."""
    base = dict(follow_up_id=follow_up_id, lead_id="P1", occurred_at=T, owner="amy")
    return {**base, "channel": "call", **changes}


# First build: every row is new.
FIRST_LEADS = [
    # P1: 'lead' at 10:00:00, 'contacted' half a second later, 'needs_confirmed' one
    # microsecond after that: one step each, no skip (in row order, lead ->
    # needs_confirmed would be one).
    lead("P1", "lead", updated_at=T),  # row 2
    lead("P1", "needs_confirmed", updated_at=T + dt.timedelta(seconds=0.5, microseconds=1)),
    lead("P1", "contacted", updated_at=T + dt.timedelta(seconds=0.5)),  # 4
    # P2: no updated_at, so created_at is the version: 'needs_confirmed' created on
    # 03-02 comes after 'lead' updated on 03-01 11:00 -> lead -> needs_confirmed skips.
    lead("P2", "needs_confirmed", created_at=dt.datetime(2026, 3, 2)),  # 5 skip
    lead("P2", "lead", updated_at=dt.datetime(2026, 3, 1, 11, 0)),  # 6
    # P3: two versions with the same updated_at in one file are a uniqueness conflict
    # (both quarantined, so neither is a stage version); the third is compared with
    # nothing before it.
    lead("P3", "lead", updated_at=T),  # 7 uniqueness
    lead("P3", "won", updated_at=T, closed_at=T),  # 8 uniqueness
    lead("P3", "proposal", updated_at=T + dt.timedelta(hours=1)),  # 9 first clean version
]

FIRST_FOLLOW_UPS = [
    follow_up("Q1"),  # 2 no updated_at, with 3: different notes -> both quarantined
    follow_up("Q1", notes="called back"),  # 3
    follow_up("Q2"),  # 4 identical to 5: no conflict
    follow_up("Q2"),  # 5
    follow_up("Q3", updated_at=T),  # 6 same id and version as 7, different owner
    follow_up("Q3", updated_at=T, owner="bob"),  # 7
    follow_up("Q3", updated_at=T + dt.timedelta(minutes=1)),  # 8 another version: clean
]

# Second build: only P1 has a new version; its history is the first build's.
SECOND_LEADS = [
    lead("P1", "won", updated_at=dt.datetime(2026, 3, 20), closed_at=dt.datetime(2026, 3, 20)),
    lead("P4", "lead"),  # a new lead, nothing before it
]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build r1 (everything new), then build r2 (P1's new version and a new lead)."""
    path = tmp_path_factory.mktemp("versions") / "build.duckdb"
    validator = GxValidator()
    with duckdb.connect(str(path)) as con:
        fresh_database(con)
        land(con, "leads", FIRST_LEADS, file_name="2026-03-31.csv", run_id="r1")
        land(con, "follow_ups", FIRST_FOLLOW_UPS, file_name="2026-03-31.csv", run_id="r1")
        run_quality_checks(con, Settings(), run_id="r1", as_of_date=D, validator=validator)
        land(
            con,
            "leads",
            SECOND_LEADS,
            file_name="2026-04-01.csv",
            run_id="r2",
            as_of_date=D + dt.timedelta(days=1),
        )
        run_quality_checks(
            con, Settings(), run_id="r2", as_of_date=D + dt.timedelta(days=1), validator=validator
        )
    yield path


def _rows(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_stage_skips_follow_the_typed_version_order(database: Path) -> None:
    assert _rows(
        database,
        "select run_id, record_id, source_row, detail from data_quality.plausibility_findings "
        "where column_name = 'stage' order by all",
    ) == [
        ("r1", "P2", 5, "stage moved from lead to needs_confirmed, skipping a stage"),
        ("r2", "P1", 2, "stage moved from needs_confirmed to won, skipping a stage"),
    ]


def test_repeated_versions_in_one_load_are_quarantined(database: Path) -> None:
    assert _rows(
        database,
        "select entity, record_id, source_row, detail from data_quality.quarantine "
        "where rule = 'uniqueness' order by all",
    ) == [
        ("follow_ups", "Q1", 2, "2 different rows share follow_up_id Q1 and updated_at "),
        ("follow_ups", "Q1", 3, "2 different rows share follow_up_id Q1 and updated_at "),
        (
            "follow_ups",
            "Q3",
            6,
            "2 different rows share follow_up_id Q3 and updated_at 2026-03-01 10:00:00",
        ),
        (
            "follow_ups",
            "Q3",
            7,
            "2 different rows share follow_up_id Q3 and updated_at 2026-03-01 10:00:00",
        ),
        ("leads", "P3", 7, "2 different rows share lead_id P3 and updated_at 2026-03-01 10:00:00"),
        ("leads", "P3", 8, "2 different rows share lead_id P3 and updated_at 2026-03-01 10:00:00"),
    ]
