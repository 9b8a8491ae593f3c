"""The incremental staging bases (models/staging/base): a run keeps the rows it masked
before, adds the rows landed since, forgets rows whose load left raw, and so always holds
what a --full-refresh holds; staging built on them for a past date equals staging built on
fully refreshed bases (docs/operations.md, "Daily builds are incremental")."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from core.quality_tables import create_quality_tables
from core.raw_schema import create_raw_tables
from core.settings import Settings
from ingestion.loader import load_landing
from tests.conftest import DbtHarness

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BASES = ["base_crm__leads", "base_crm__follow_ups", "base_crm__service_records"]
STAGING = ["stg_crm__leads", "stg_crm__follow_ups", "stg_crm__service_records"]
EARLY, LATE = dt.date(2026, 3, 9), dt.date(2026, 3, 31)


def land(db_path: Path, source: Path, landing: Path) -> None:
    """Copy a fixture landing folder's files under new names into ``landing``, then load."""
    for file in sorted(source.rglob("*.csv")):
        target = landing / file.parent.name / f"{source.name}-{file.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)
    with duckdb.connect(str(db_path)) as con:
        create_raw_tables(con)
        create_quality_tables(con)
        results = load_landing(con, landing, Settings(), run_id="t", as_of_date=LATE)
        assert {r.status for r in results} == {"loaded"}


def tables(harness: DbtHarness, models: list[str]) -> dict[str, Counter[tuple[Any, ...]]]:
    return {model: Counter(harness.query(f"select * from staging.{model}")) for model in models}


def harness_with_zh_landed(tmp_path: Path) -> tuple[DbtHarness, Path, Path]:
    """A dbt harness on a new build database holding the Chinese fixture, loaded."""
    db_path, landing = tmp_path / "build.duckdb", tmp_path / "landing"
    land(db_path, FIXTURES / "landing_zh", landing)
    return DbtHarness(db_path, tmp_path / "dbt_target"), db_path, landing


def test_an_incremental_run_keeps_the_rows_it_holds_and_adds_the_new_ones(
    tmp_path: Path,
) -> None:
    harness, db_path, landing = harness_with_zh_landed(tmp_path)
    assert harness.run("run", "--select", *BASES, as_of=LATE).success
    first = tables(harness, BASES)
    assert all(first.values())
    # mark every base row: a run that re-masked them from raw would lose the mark
    with harness.connect() as con:
        con.execute("update staging.base_crm__follow_ups set notes = 'kept' where true")

    land(db_path, FIXTURES / "landing_en", landing)
    assert harness.run("run", "--select", *BASES, as_of=LATE).success
    after = tables(harness, BASES)
    assert harness.query(
        "select count(*) from staging.base_crm__follow_ups where notes = 'kept'"
    ) == [(sum(first["base_crm__follow_ups"].values()),)]
    for model in BASES:  # the second file of each entity holds the same records again
        assert sum(after[model].values()) == 2 * sum(first[model].values())


def test_incremental_bases_and_staging_for_a_past_date_equal_a_full_refresh(
    tmp_path: Path,
) -> None:
    harness, db_path, landing = harness_with_zh_landed(tmp_path)
    selection = ["--select", *BASES, *STAGING]
    assert harness.run("run", *selection, as_of=EARLY).success
    land(db_path, FIXTURES / "landing_en", landing)
    assert harness.run("run", *selection, as_of=LATE).success
    # a past date, on bases that already hold rows landed after it
    assert harness.run("run", *selection, as_of=EARLY).success
    incremental = tables(harness, [*BASES, *STAGING])
    assert harness.run("run", *selection, "--full-refresh", as_of=EARLY).success
    full = tables(harness, [*BASES, *STAGING])
    assert all(full.values())
    assert incremental == full


def test_rows_that_leave_raw_leave_the_bases(tmp_path: Path) -> None:
    # a load that was never recorded is removed from raw by the next ingest
    # (ingestion.loader.remove_unrecorded_rows); the next run forgets its base rows
    harness, db_path, landing = harness_with_zh_landed(tmp_path)
    land(db_path, FIXTURES / "landing_en", landing)
    assert harness.run("run", "--select", *BASES, as_of=LATE).success
    with harness.connect() as con:
        gone = con.execute("select max(_load_seq) from raw.follow_ups").fetchone()[0]
        con.execute("delete from raw.follow_ups where _load_seq = ?", [gone])
        left = con.execute("select count(*) from raw.follow_ups").fetchone()[0]
    assert harness.run("run", "--select", *BASES, as_of=LATE).success
    assert harness.query(
        "select count(*), count(*) filter (where _load_seq = "
        f"{gone}) from staging.base_crm__follow_ups"
    ) == [(left, 0)]


def test_a_load_held_in_part_is_held_whole_again(tmp_path: Path) -> None:
    # the bases compare loads with their row counts, not rows (macros/landed_rows.sql): a
    # load the base holds only part of must come back whole, not stay short or doubled
    harness, db_path, landing = harness_with_zh_landed(tmp_path)
    land(db_path, FIXTURES / "landing_en", landing)
    assert harness.run("run", "--select", *BASES, as_of=LATE).success
    whole = tables(harness, BASES)
    with harness.connect() as con:
        seq = con.execute("select max(_load_seq) from staging.base_crm__leads").fetchone()[0]
        con.execute(
            "delete from staging.base_crm__leads where _load_seq = ? "
            "and _source_row = (select min(_source_row) from staging.base_crm__leads "
            "where _load_seq = ?)",
            [seq, seq],
        )
    assert sum(tables(harness, BASES)["base_crm__leads"].values()) == (
        sum(whole["base_crm__leads"].values()) - 1
    )
    assert harness.run("run", "--select", *BASES, as_of=LATE).success
    assert tables(harness, BASES) == whole


def test_a_load_done_again_replaces_the_interrupted_one(tmp_path: Path) -> None:
    # an interrupted load is removed from raw and done again under the same _load_seq with
    # a new _loaded_at (ingestion/loader.py): the base holds the new load's rows only
    harness, _, _ = harness_with_zh_landed(tmp_path)
    assert harness.run("run", "--select", *BASES, as_of=LATE).success
    with harness.connect() as con:
        raw_rows = con.execute("select count(*) from raw.service_records").fetchone()[0]
        con.execute(
            "update raw.service_records set _loaded_at = _loaded_at + interval 1 hour "
            "where _load_seq = (select max(_load_seq) from raw.service_records)"
        )
    assert harness.run("run", "--select", *BASES, as_of=LATE).success
    assert harness.query(
        "select count(*), count(*) filter (where (_load_seq, _loaded_at) in "
        "(select _load_seq, _loaded_at from raw.service_records)) "
        "from staging.base_crm__service_records"
    ) == [(raw_rows, raw_rows)]


def test_a_table_no_model_builds_any_more_is_dropped(tmp_path: Path) -> None:
    # int_funnel__stage_events became ephemeral: a warehouse built before still holds its
    # table, which the next run drops (macros/retired_tables.sql); other tables stay
    harness, _, _ = harness_with_zh_landed(tmp_path)
    with harness.connect() as con:
        con.execute("create schema if not exists intermediate")
        con.execute("create table intermediate.int_funnel__stage_events as select 1 as lead_id")
        con.execute("create table intermediate.kept_by_someone as select 1 as lead_id")
    assert harness.run("run", "--select", "base_crm__leads", as_of=LATE).success
    assert harness.query(
        "select table_name from information_schema.tables "
        "where table_schema = 'intermediate' order by table_name"
    ) == [("kept_by_someone",)]


def changed_tables(harness: DbtHarness) -> list[str]:
    """The staging models whose last run was incremental (it leaves ``<model>__changed``)."""
    return [
        name
        for (name,) in harness.query(
            "select table_name from information_schema.tables where table_schema = 'staging' "
            "and table_name like '%\\_\\_changed' escape '\\' order by table_name"
        )
    ]


def test_staging_built_with_another_configuration_is_built_from_scratch(
    tmp_path: Path,
) -> None:
    # staging keeps the rows of unchanged records from build to build
    # (macros/changed_records.sql); a configured value they were computed with (here the
    # reporting currency: amounts converted from CNY, in another decimal type) must not
    # stay behind in them
    harness, _, _ = harness_with_zh_landed(tmp_path)
    selection = ["--select", *BASES, *STAGING]
    assert harness.run("run", *selection, as_of=LATE).success
    before = tables(harness, STAGING)
    assert harness.run("run", *selection, as_of=LATE).success
    # same configuration: an incremental run that found nothing to rebuild
    assert changed_tables(harness) == sorted(f"{model}__changed" for model in STAGING)
    assert harness.query("select count(*) from staging.stg_crm__leads__changed") == [(0,)]
    assert tables(harness, STAGING) == before

    # another version of the project's code (a changed macro): built from scratch, once
    new_code = {"project_code": "another version of the project"}
    assert harness.run("run", *selection, as_of=LATE, extra_vars=new_code).success
    assert changed_tables(harness) == []
    assert tables(harness, STAGING) == before
    assert harness.run("run", *selection, as_of=LATE, extra_vars=new_code).success
    assert changed_tables(harness) == sorted(f"{model}__changed" for model in STAGING)

    in_usd = {"currency": "USD", "currency_rates": {"CNY": 0.14}, **new_code}
    assert harness.run("run", *selection, as_of=LATE, extra_vars=in_usd).success
    assert changed_tables(harness) == []  # every staging model was built from scratch
    incremental = tables(harness, STAGING)
    assert harness.run("run", *selection, "--full-refresh", as_of=LATE, extra_vars=in_usd).success
    full = tables(harness, STAGING)
    assert full["stg_crm__leads"] != before["stg_crm__leads"]  # the change shows in staging
    assert incremental == full


def leads_as_of(harness: DbtHarness) -> Counter[tuple[Any, ...]]:
    return Counter(harness.query("select * from intermediate.int_leads__as_of"))


def leads_rebuilt(harness: DbtHarness) -> set[str]:
    """The leads the last incremental run of int_leads__as_of rebuilt."""
    return {
        lead_id
        for (lead_id,) in harness.query(
            "select lead_id from intermediate.int_leads__as_of__changed"
        )
    }


def test_lead_versions_as_of_d_are_rebuilt_lead_by_lead_where_the_pick_moved(
    tmp_path: Path,
) -> None:
    # int_leads__as_of keeps each lead's row while the version picked for it as of D is the
    # same (macros/changed_records.sql). The Chinese fixture: L001 updated 03-05 10:00, L002
    # (its only version) updated 03-06 09:00, L003 without updated_at, first copy, so known
    # from its created_at 03-03. The English fixture holds the same three records again in
    # a later load, named for 03-06: L001 and L002 tie on updated_at and the later load
    # wins; L003's second copy is known from its file's business date, 03-06.
    harness, db_path, landing = harness_with_zh_landed(tmp_path)
    selection = ["--select", *BASES, *STAGING, "int_leads__as_of"]
    assert harness.run("run", *selection, as_of=dt.date(2026, 3, 5)).success
    assert {row[0] for row in leads_as_of(harness)} == {"L001", "L003"}

    # 03-09: L002's version is known now; L001 and L003 pick the same version as on 03-05
    assert harness.run("run", *selection, as_of=EARLY).success
    assert leads_rebuilt(harness) == {"L002"}

    # the second copies land: every lead picks its copy of the later load
    land(db_path, FIXTURES / "landing_en", landing)
    assert harness.run("run", *selection, as_of=EARLY).success
    assert leads_rebuilt(harness) == {"L001", "L002", "L003"}

    # a rebuild of 03-05: L002 did not exist yet, L003 stood at its first copy; L001 picks
    # the later load's copy, as on 03-09, and keeps its row
    assert harness.run("run", *selection, as_of=dt.date(2026, 3, 5)).success
    assert leads_rebuilt(harness) == {"L002", "L003"}
    incremental = leads_as_of(harness)
    assert harness.run("run", *selection, "--full-refresh", as_of=dt.date(2026, 3, 5)).success
    assert leads_as_of(harness) == incremental
    assert {row[0] for row in incremental} == {"L001", "L003"}

    # the same run again: nothing moved, nothing is rebuilt
    assert harness.run("run", *selection, as_of=dt.date(2026, 3, 5)).success
    assert leads_rebuilt(harness) == set()
    assert leads_as_of(harness) == incremental


def test_the_pick_breaks_ties_as_int_leads_as_of_does(tmp_path: Path) -> None:
    # The pick (macros/lead_versions.sql) and the model rank a lead's versions in the same
    # order: greatest updated_at, then the later load, then the later row. Were they to
    # differ on a tie, the pick would never match the table and the lead would be rebuilt
    # by every run. Versions tying on updated_at are put into staging by hand: L001's
    # version again, a row later in the same load (stage won), and L003's version again in
    # an earlier load (stage won): the first must win, the second must not.
    harness, _, _ = harness_with_zh_landed(tmp_path)
    selection = ["--select", *BASES, *STAGING, "int_leads__as_of"]
    assert harness.run("run", *selection, as_of=LATE).success
    with harness.connect() as con:
        con.execute(
            "insert into staging.stg_crm__leads select * replace ("
            "'won' as stage, _row_id || '-later-row' as _row_id, _source_row + 1 as _source_row"
            ") from staging.stg_crm__leads where lead_id = 'L001'"
        )
        con.execute(
            "insert into staging.stg_crm__leads select * replace ("
            "'won' as stage, _row_id || '-earlier-load' as _row_id, _load_seq - 1 as _load_seq"
            ") from staging.stg_crm__leads where lead_id = 'L003'"
        )
    only_the_model = ["--select", "int_leads__as_of"]
    assert harness.run("run", *only_the_model, as_of=LATE).success
    assert leads_rebuilt(harness) == {"L001"}
    stages = dict(harness.query("select lead_id, stage from intermediate.int_leads__as_of"))
    assert stages["L001"] == "won"
    assert stages["L003"] == "lost"
    assert harness.run("run", *only_the_model, as_of=LATE).success
    assert leads_rebuilt(harness) == set()
