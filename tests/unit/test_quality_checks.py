"""The quality step on a hand-made build: every rule of spec/quality.md, worked out by hand.

Build r1 (D = 2026-03-31) lands 15 lead rows, 5 follow-ups and 4 service records; build r2
lands the lead an orphan follow-up was waiting for. The expected quarantine of each row is
derived from the rules table of quality.md, row by row, in the comments below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.contract import load_contract
from core.settings import Settings
from delivery.report import collect_summary
from quality.checks import QualityOutcome, examples_by_rule, run_quality_checks
from quality.gate import evaluate_gate
from quality.gx_suites import GxValidator, contract_checks, suite_columns
from tests.fixtures.quality_raw.rows import fresh_database, land, reject, valid_lead

D = dt.date(2026, 3, 31)
T = dt.datetime(2026, 3, 1, 10, 0)
PHONE = "13812345678"
EMAIL = "zhang.wei@example.com"

LEAD = valid_lead("L1")
FOLLOW_UP = dict(follow_up_id="F1", lead_id="L1", occurred_at=T, owner="amy", channel="call")
SERVICE = dict(service_id="S1", account_name="Acme", opened_at=T, type="repair", agent="gina")


def lead(**changes: Any) -> dict[str, Any]:
    return {**LEAD, **changes}


# Leads of build r1, by index (source row = index + 2):
LEADS_R1 = [
    lead(),  # 0 L1 clean
    lead(lead_id="L2", source="bogus", budget=-5),  # 1 enumeration + range: one row
    lead(lead_id="L3", stage="lost", owner="bob"),  # 2 conditional: closed_at and loss_reason
    # 3 closed before created:
    lead(lead_id="L4", stage="won", owner="bob", closed_at=dt.datetime(2026, 1, 1)),
    lead(
        lead_id="L5", contact_name=None, contact_phone=PHONE, contact_email=EMAIL, owner="carol"
    ),  # 4 required contact_name
    lead(lead_id="L6", budget=None, owner="carol"),  # 5 type (unparseable budget), not required
    lead(lead_id="L7", requirement="ERP", owner="dave"),  # 6 uniqueness with 7
    lead(lead_id="L7", requirement="MES", owner="dave"),  # 7 uniqueness with 6
    lead(lead_id="L8", owner="dave"),  # 8 identical to 9: not "different", kept
    lead(lead_id="L8", owner="dave"),  # 9
    lead(lead_id="L9", probability=150),  # 10 range 0-100
    lead(lead_id="L10", stage="proposal", updated_at=dt.datetime(2026, 3, 2)),  # 11 clean
    # 12 L1 lead -> proposal: skips two stages (warn)
    lead(stage="proposal", updated_at=dt.datetime(2026, 3, 5)),
    lead(
        stage="lost",
        updated_at=dt.datetime(2026, 3, 6),
        closed_at=dt.datetime(2026, 3, 6),
        loss_reason="price",
    ),  # 13 L1 proposal -> lost: no skip
    lead(lead_id="L11", budget=50_000_000),  # 14 outlier: > 100 x median 100,000 (warn)
]
LEAD_ERRORS = {5: [{"column": "budget", "rule": "type", "detail": "budget 'abc' is not an amount"}]}
# Quarantined lead rows: 1, 2, 3, 4, 5, 6, 7, 10 -> 8 of 15.

FOLLOW_UPS_R1 = [
    FOLLOW_UP,  # F1 clean
    {
        **FOLLOW_UP,
        "follow_up_id": "F2",
        "lead_id": "L404",
        "owner": "erin",
        "notes": f"call {PHONE} or mail {EMAIL}",
    },  # orphan: reference
    {**FOLLOW_UP, "follow_up_id": "F3", "lead_id": "L3", "owner": "bob"},  # L3 only quarantined
    {**FOLLOW_UP, "follow_up_id": "F4", "occurred_at": dt.datetime(2026, 4, 2)},  # after D: warn
    {**FOLLOW_UP, "follow_up_id": "F5", "channel": None},  # required channel
]
# Quarantined follow-ups: F2, F3, F5 -> 3 of 5.

SERVICES_R1 = [
    SERVICE,  # S1 clean
    {**SERVICE, "service_id": "S2", "account_name": None, "account_id": "C-9"},  # id suffices
    {**SERVICE, "service_id": "S3", "account_name": None},  # required unless account_id
    {**SERVICE, "service_id": "S4", "satisfaction": 7, "agent": "hank"},  # range 1-5
]
# Quarantined service records: S3, S4 -> 2 of 4.


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("quality") / "build.duckdb"
    with duckdb.connect(str(path)) as con:
        fresh_database(con)
        land(con, "leads", LEADS_R1, file_name="2026-03-31.csv", run_id="r1", errors=LEAD_ERRORS)
        land(con, "follow_ups", FOLLOW_UPS_R1, file_name="2026-03-31.csv", run_id="r1")
        land(con, "service_records", SERVICES_R1, file_name="2026-03-31.csv", run_id="r1")
        reject(con, "leads", "broken.csv", "r1", "leads/broken.csv: row 3 is cut off.")
    yield path


@pytest.fixture(scope="module")
def outcomes(database: Path) -> dict[str, QualityOutcome]:
    """Build r1, then build r2 which lands lead L404 (as of the next day)."""
    validator = GxValidator()
    with duckdb.connect(str(database)) as con:
        first = run_quality_checks(con, Settings(), run_id="r1", as_of_date=D, validator=validator)
        land(
            con,
            "leads",
            [lead(lead_id="L404", owner="erin")],
            file_name="2026-04-01.csv",
            run_id="r2",
            as_of_date=D + dt.timedelta(days=1),
        )
        # The same L50 version with different content in two files: the later file wins
        # (sources.md), no uniqueness conflict.
        for name, requirement in (("a.csv", "ERP"), ("b.csv", "MES")):
            land(
                con,
                "leads",
                [lead(lead_id="L50", requirement=requirement)],
                file_name=name,
                run_id="r2",
                as_of_date=D + dt.timedelta(days=1),
            )
        second = run_quality_checks(
            con, Settings(), run_id="r2", as_of_date=D + dt.timedelta(days=1), validator=validator
        )
    return {"r1": first, "r2": second}


def rows(database: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def quarantined(database: Path, entity: str, run_id: str = "r1") -> dict[str, set[str]]:
    """record id -> rules it is quarantined for, in one run."""
    found: dict[str, set[str]] = {}
    for record_id, rule in rows(
        database,
        "select record_id, rule from data_quality.quarantine where entity = ? and run_id = ?",
        [entity, run_id],
    ):
        found.setdefault(record_id, set()).add(rule)
    return found


def test_lead_rules_quarantine_exactly_the_failing_rows(
    database: Path, outcomes: dict[str, QualityOutcome]
) -> None:
    assert quarantined(database, "leads") == {
        "L2": {"enumeration", "range"},
        "L3": {"conditional"},
        "L4": {"conditional"},
        "L5": {"required"},
        "L6": {"type"},  # unparseable, reported once: not also "required"
        "L7": {"uniqueness"},
        "L9": {"range"},
    }
    # L7's two different rows are both held back; L8's identical copies are not.
    l7 = rows(database, "select source_row from data_quality.quarantine where record_id = 'L7'")
    assert sorted(r[0] for r in l7) == [8, 9]


def test_one_quarantine_row_per_row_and_rule(database: Path, outcomes: Any) -> None:
    ((columns, detail),) = rows(
        database,
        "select column_name, detail from data_quality.quarantine "
        "where record_id = 'L3' and run_id = 'r1'",
    )
    assert columns == "closed_at, loss_reason"
    assert "loss_reason is missing" in detail and "closed_at is missing" in detail


def test_quarantine_rows_carry_file_row_owner(database: Path, outcomes: Any) -> None:
    ((source_file, source_row, owner, row_id),) = rows(
        database,
        "select source_file, source_row, owner, row_id from data_quality.quarantine "
        "where record_id = 'L5'",
    )
    assert (source_file, source_row, owner) == ("leads/2026-03-31.csv", 6, "carol")
    assert row_id.endswith(":6")


def test_entity_outcomes_and_rates(outcomes: dict[str, QualityOutcome]) -> None:
    first = outcomes["r1"]
    assert set(first.entities) == set(load_contract().entities)
    leads, follow_ups, services = (
        first.entities[e] for e in ("leads", "follow_ups", "service_records")
    )
    assert (leads.rows_checked, leads.rows_quarantined) == (15, 8)
    assert leads.quarantine_rate == pytest.approx(8 / 15)
    assert leads.limit == 0.2 and not leads.within_limit
    assert (follow_ups.rows_checked, follow_ups.rows_quarantined) == (5, 3)
    assert (services.rows_checked, services.rows_quarantined) == (4, 2)
    assert first.rejected_files == ["leads/broken.csv: row 3 is cut off."]
    assert not first.data_rules_pass and first.infrastructure_errors == []


def test_follow_up_rules(database: Path, outcomes: Any) -> None:
    assert quarantined(database, "follow_ups") == {
        "F2": {"reference"},  # L404 unknown
        "F3": {"reference"},  # L3's only row is quarantined
        "F5": {"required"},
    }


def test_service_record_rules(database: Path, outcomes: Any) -> None:
    assert quarantined(database, "service_records") == {"S3": {"required"}, "S4": {"range"}}


def test_plausibility_warns_without_quarantine(database: Path, outcomes: Any) -> None:
    findings = rows(
        database,
        "select entity, record_id, column_name, source_row "
        "from data_quality.plausibility_findings where run_id = 'r1' order by all",
    )
    assert findings == [
        ("follow_ups", "F4", "occurred_at", 5),
        ("leads", "L1", "stage", 14),  # lead -> proposal skips two stages
        ("leads", "L11", "budget", 16),  # 50,000,000 > 100 x 100,000
    ]
    warn = rows(
        database,
        "select entity, failed_rows, passed from data_quality.check_results "
        "where run_id = 'r1' and rule = 'plausibility' order by entity",
    )
    assert warn == [("follow_ups", 1, False), ("leads", 2, False), ("service_records", 0, True)]
    assert "F4" not in quarantined(database, "follow_ups")


def test_check_results_one_row_per_rule_and_column(database: Path, outcomes: Any) -> None:
    results = {
        (entity, rule, column): (checked, failed, passed, source)
        for entity, rule, column, checked, failed, passed, source in rows(
            database,
            "select entity, rule, column_name, checked_rows, failed_rows, passed, "
            "check_source from data_quality.check_results where run_id = 'r1'",
        )
    }
    assert results[("leads", "required", "contact_name")] == (15, 1, False, "gx")
    assert results[("leads", "required", "owner")] == (15, 0, True, "gx")
    assert results[("leads", "type", "budget")] == (15, 1, False, "parser")
    assert results[("leads", "uniqueness", "lead_id")] == (15, 2, False, "sql")
    assert results[("follow_ups", "reference", "lead_id")] == (5, 2, False, "sql")
    assert results[("leads", "quarantine_rate", None)] == (15, 8, False, "sql")
    assert results[("service_records", "quarantine_rate", None)] == (4, 2, False, "sql")
    # S2's account C-9 is known to no lead: a legacy customer, allowed and only counted.
    assert results[("service_records", "legacy_account", "account_key")] == (4, 1, True, "sql")


def test_file_counts_add_up(database: Path, outcomes: Any) -> None:
    for path, read, loaded, held in rows(
        database,
        "select file_path, rows_read, rows_loaded, rows_quarantined "
        "from data_quality.file_loads where status = 'loaded'",
    ):
        assert read == loaded + held, path
    counts = dict(
        (p, (lo, q))
        for p, lo, q in rows(
            database,
            "select file_path, rows_loaded, rows_quarantined "
            "from data_quality.file_loads where status = 'loaded'",
        )
    )
    assert counts["leads/2026-03-31.csv"] == (7, 8)
    # F2 was released by build r2, so 2 of 5 follow-ups remain held back.
    assert counts["follow_ups/2026-03-31.csv"] == (3, 2)


def test_orphan_released_when_its_lead_arrives(
    database: Path, outcomes: dict[str, QualityOutcome]
) -> None:
    assert outcomes["r2"].rows_released == 1
    released = rows(
        database,
        "select record_id, released_at is not null from data_quality.quarantine "
        "where rule = 'reference' order by record_id",
    )
    # F3 stays: its lead L3 is still only in quarantine.
    assert released == [("F2", True), ("F3", False)]
    assert outcomes["r2"].entities["leads"].rows_checked == 3
    assert outcomes["r2"].entities["leads"].rows_quarantined == 0
    assert outcomes["r2"].entities["follow_ups"].rows_checked == 0
    assert outcomes["r2"].entities["follow_ups"].quarantine_rate is None


def test_owner_scorecard(database: Path, outcomes: Any) -> None:
    card = {
        (entity, owner): (records, held)
        for entity, owner, records, held in rows(
            database,
            "select entity, owner, records, quarantined from "
            "data_quality.owner_scorecard where as_of_date = ?",
            [D],
        )
    }
    # amy's leads: rows 0,1,10,11,12,13,14 -> 7, of which L2 and L9 held back.
    assert card[("leads", "amy")] == (7, 2)
    assert card[("leads", "dave")] == (4, 2)
    # The scorecard of D is the state at D's build: erin's orphan F2 was still held back.
    assert card[("follow_ups", "erin")] == (1, 1)


def test_no_personal_data_in_quality_tables(database: Path, outcomes: Any) -> None:
    text = " ".join(
        str(value)
        for table in ("quarantine", "check_results", "plausibility_findings")
        for row in rows(database, f"select * from data_quality.{table}")
        for value in row
    )
    assert PHONE not in text and EMAIL not in text and "or mail" not in text


def test_examples_by_rule(database: Path, outcomes: Any) -> None:
    with duckdb.connect(str(database), read_only=True) as con:
        examples = examples_by_rule(con, "r1")
    assert examples[("leads", "conditional")] == ["L3", "L4"]
    assert examples[("follow_ups", "plausibility")] == ["F4"]


def test_gate_blocks_for_every_reason(database: Path, outcomes: Any) -> None:
    with duckdb.connect(str(database), read_only=True) as con:
        decision = evaluate_gate(con, Settings(), run_id="r1")
    assert not decision.publish
    assert any("broken.csv" in r for r in decision.reasons)
    assert any(r.startswith("leads: 8 of 15") for r in decision.reasons)
    assert any(r.startswith("service_records: 2 of 4") for r in decision.reasons)


def test_report_summary(database: Path, outcomes: Any) -> None:
    with duckdb.connect(str(database), read_only=True) as con:
        first = collect_summary(con, "r1", D, status="blocked", reason="rates")
        second = collect_summary(con, "r2", D + dt.timedelta(days=1), status="published", reason="")
    rules = {(r.entity, r.rule, r.severity): r.failed_rows for r in first.rules}
    assert rules == {
        ("leads", "conditional", "block"): 2,  # L3, L4
        ("leads", "enumeration", "block"): 1,  # L2
        ("leads", "range", "block"): 2,  # L2 budget, L9 probability
        ("leads", "required", "block"): 1,  # L5
        ("leads", "type", "block"): 1,  # L6
        ("leads", "uniqueness", "block"): 2,  # L7 twice
        ("follow_ups", "reference", "block"): 2,  # F2, F3
        ("follow_ups", "required", "block"): 1,  # F5
        ("service_records", "range", "block"): 1,  # S4
        ("service_records", "required", "block"): 1,  # S3
        ("leads", "plausibility", "warn"): 2,  # L1 stage skip, L11 amount
        ("follow_ups", "plausibility", "warn"): 1,  # F4
    }
    owners = {o.owner: (o.records, o.entities) for o in first.owners}
    # bob: L3, L4 (leads) and F3 (follow_ups); dave: both L7 rows.
    assert owners["bob"] == (3, ["follow_ups", "leads"])
    assert owners["dave"] == (2, ["leads"])
    assert first.quarantined_rows == 8 + 3 + 2 and first.has_news
    assert second.rows_released == 1 and second.quarantined_rows == 0
    # nothing new was quarantined in r2, but r1's rejected file still holds the gate
    assert second.rejected_files == first.rejected_files != []
    assert second.has_news is True


def test_rerunning_a_build_replaces_its_results(database: Path, outcomes: Any) -> None:
    with duckdb.connect(str(database)) as con:
        before = con.execute("select count(*) from data_quality.quarantine").fetchone()
        again = run_quality_checks(con, Settings(), run_id="r2", as_of_date=D)
        after = con.execute("select count(*) from data_quality.quarantine").fetchone()
    assert before == after
    assert again.entities["leads"].rows_quarantined == 0


def test_contract_checks_come_from_the_contract() -> None:
    contract = load_contract()
    keys = {c.key for c in contract_checks(contract.entity("leads"), Settings())}
    required = {f"required:{c.name}" for c in contract.entity("leads").columns if c.required}
    assert required <= keys
    assert {
        "conditional:closed_at",
        "conditional:loss_reason",
        "range:budget",
        "range:probability",
        "enumeration:stage",
    } <= keys


def test_suite_columns_are_every_column_an_expectation_reads() -> None:
    entity = load_contract().entity("leads")
    columns = suite_columns(contract_checks(entity, Settings()))
    # conditional closed_at/loss_reason read stage; the close-date pair reads created_at
    assert {"closed_at", "loss_reason", "stage", "created_at", "budget"} <= set(columns)
    assert "contact_phone" not in columns  # personal data with no expectation: not fetched
    assert len(columns) == len(set(columns))


def test_gx_on_suite_columns_finds_what_it_finds_on_whole_rows(tmp_path: Path) -> None:
    """Fetching only the suite's columns (issue 14) changes no finding and no detail."""
    entity = load_contract().entity("leads")
    checks = contract_checks(entity, Settings())
    validator = GxValidator()
    validator.register(entity.name, checks)
    with duckdb.connect(str(tmp_path / "g.duckdb")) as con:
        fresh_database(con)
        land(con, "leads", LEADS_R1, file_name="a.csv", run_id="r1", errors=LEAD_ERRORS)

        def findings(columns: list[str]) -> list[tuple[str, str, str]]:
            listed = ", ".join(f'"{c}"' for c in ["_row_id", *columns])
            frame = con.execute(f"select {listed} from raw.leads").df()
            result = validator.validate(entity.name, frame)
            assert result.infrastructure_errors == []
            return sorted((f.row_id, f.check.key, f.detail) for f in result.findings)

        whole = findings(list(entity.column_names))
        pruned = findings(suite_columns(checks))
    assert len(whole) >= 5  # enumeration, range, conditional x2, pair, required
    assert pruned == whole


def test_gx_failure_is_an_infrastructure_error_not_bad_data() -> None:
    """A frame without the owner column makes GX raise: reported, never a failing row."""
    import pandas as pd

    validator = GxValidator()
    entity = load_contract().entity("service_records")
    validator.register(entity.name, contract_checks(entity, Settings()))
    frame = pd.DataFrame({"_row_id": ["x:2"], "service_id": ["S1"]})
    result = validator.validate(entity.name, frame)
    assert result.findings == []
    assert result.infrastructure_errors
    assert all("could not" in e for e in result.infrastructure_errors)


def test_gx_that_cannot_start_blocks_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GX failing to start is an infrastructure error: reported, gate blocks, no data blame."""
    import quality.checks

    def broken() -> None:
        raise RuntimeError("no GX today")

    monkeypatch.setattr(quality.checks, "GxValidator", broken)
    with duckdb.connect(str(tmp_path / "b.duckdb")) as con:
        fresh_database(con)
        land(con, "leads", [lead()], file_name="a.csv", run_id="x")
        outcome = run_quality_checks(con, Settings(), run_id="x", as_of_date=D)
        decision = evaluate_gate(con, Settings(), run_id="x", with_dbt=False)
    assert outcome.infrastructure_errors == [
        "Great Expectations could not start for leads: RuntimeError: no GX today"
    ]
    assert outcome.entities["leads"].rows_quarantined == 0
    # the rows were not fully checked: they stay pending and the next build checks them
    assert decision.reasons == [
        "1 loaded file(s) not yet checked by the quality step (leads/a.csv)",
        "quality checks could not run: Great Expectations could not start for leads: "
        "RuntimeError: no GX today",
    ]
