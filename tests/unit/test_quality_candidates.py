"""The SQL candidate predicates say "may fail" for exactly the rows GX fails (issue 14).

GX validates only the candidate rows (and a sample), so a predicate that misses a row GX
would fail would let bad data through. The differential property test feeds batches of
hostile values — nulls, empty text, NaN and infinities, bounds and just past them, enum
keys in the wrong case, pairs in either order, conditions met and unmet — for every
column a suite reads, and requires, check by check, that the rows whose predicate is
true are exactly the rows GX fails when it validates *every* row.

The other tests pin the plumbing on hand-made rows: every candidate and a deterministic
sample reach GX, and a GX failure on a row its predicate passed is an infrastructure
error, never quarantined data.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quality.rules.candidates as candidates
from core.contract import Entity, load_contract
from core.raw_schema import SQL_TYPES, create_raw_tables
from core.settings import Settings
from quality.gx_suites import ContractCheck, GxValidator, contract_checks, suite_columns
from quality.rules.candidates import failure_predicate, flag_column
from quality.rules.expectations import (
    batch_query,
    candidate_batch_query,
    expectation_failures,
    gx_rows,
)
from quality.rules.new_rows import FAILURES, create_failures, new_rows_table, quote, stage_new_rows
from tests.fixtures.quality_raw.rows import fresh_database, land
from tests.unit.test_quality_checks import FOLLOW_UPS_R1, LEAD_ERRORS, LEADS_R1, SERVICES_R1

CONTRACT = load_contract()
SETTINGS = Settings()
ENTITIES = list(CONTRACT.entities)


@functools.cache
def _validator() -> GxValidator:
    """One GX context for the module, every entity's suite registered (starting GX is slow)."""
    validator = GxValidator()
    for entity in CONTRACT.entities.values():
        validator.register(entity.name, contract_checks(entity, SETTINGS))
    return validator


def _checks(entity: Entity) -> list[ContractCheck]:
    return contract_checks(entity, SETTINGS)


# -------------------------------------------------------------- hostile values by type
BASE = dt.datetime(2026, 3, 1, 12, 0)
TIMES = st.one_of(
    st.sampled_from([BASE, BASE + dt.timedelta(microseconds=1), BASE - dt.timedelta(seconds=1)]),
    st.integers(-3, 3).map(lambda d: BASE + dt.timedelta(days=d)),
)
MONEY = st.one_of(
    st.sampled_from(["0", "0.00", "-0.01", "0.01", "-175000", "9999999999999999.99"]),
    st.integers(-500, 500).map(lambda n: str(n / 100)),
).map(decimal.Decimal)
NUMBERS = st.one_of(
    st.sampled_from(
        [0.0, -0.0, 100.0, 100.0000001, -1e-12, 50.5, float("nan"), float("inf"), -float("inf")]
    ),
    st.floats(-10, 110, allow_nan=False),
)
INTEGERS = st.one_of(st.sampled_from([0, 1, 5, 6, -1, 2**31 - 1]), st.integers(-3, 8))
TEXT = st.one_of(
    st.sampled_from(["", " ", "a", "null", "NULL", "nan", "None", "'", "赢单"]),
    st.text(max_size=4),
)


def _values(entity: Entity, column: str) -> st.SearchStrategy[Any]:
    """Values for ``column``, a third of them null; enum keys, near misses and noise."""
    col = entity.column(column)
    if col.type == "enum" and col.enum:
        keys = [v.key for v in SETTINGS.enums[col.enum]]
        near = [k.upper() for k in keys] + [f" {keys[0]}", f"{keys[0]} ", "unknown"]
        present: st.SearchStrategy[Any] = st.one_of(st.sampled_from(keys + near), TEXT)
    elif col.type == "timestamp":
        present = TIMES
    elif col.type == "money":
        present = MONEY
    elif col.type == "number":
        present = NUMBERS
    elif col.type == "integer":
        present = INTEGERS
    else:
        present = TEXT
    return st.one_of(st.none(), present, present)


ARROW_TYPES = {
    "timestamp": pa.timestamp("us"),
    "money": pa.decimal128(18, 2),
    "number": pa.float64(),
    "integer": pa.int32(),
}


@st.composite
def batches(draw: st.DrawFn, entity_name: str) -> pa.Table:
    """A batch of 1-25 rows of ``entity``'s suite columns, each drawn independently."""
    entity = CONTRACT.entity(entity_name)
    columns = suite_columns(_checks(entity))
    size = draw(st.integers(1, 25))
    data: dict[str, pa.Array] = {"_row_id": pa.array([f"t:{i}" for i in range(size)])}
    for name in columns:
        values = draw(st.lists(_values(entity, name), min_size=size, max_size=size))
        kind = ARROW_TYPES.get(entity.column(name).type, pa.string())
        data[name] = pa.array(values, kind)
    return pa.table(data)


def _predicate_rows(
    con: duckdb.DuckDBPyConnection, entity: Entity, checks: list[ContractCheck]
) -> dict[str, set[str]]:
    """Per check, the rows of ``raw.<entity>`` its SQL predicate says may fail."""
    types = {c.name: c.type for c in entity.columns}
    flags = ", ".join(failure_predicate(check, types) for check in checks)
    rows = con.execute(f"select _row_id, {flags} from raw.{quote(entity.name)}").fetchall()
    return {check.key: {row[0] for row in rows if row[i + 1]} for i, check in enumerate(checks)}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
@pytest.mark.parametrize("entity_name", ENTITIES)
def test_predicates_flag_exactly_the_rows_gx_fails(entity_name: str, data: st.DataObject) -> None:
    entity = CONTRACT.entity(entity_name)
    checks = _checks(entity)
    batch = data.draw(batches(entity_name))
    with duckdb.connect() as con:
        create_raw_tables(con)
        con.register("drawn", batch)
        listed = ", ".join(quote(c) for c in batch.column_names)
        con.execute(f"insert into raw.{quote(entity.name)} ({listed}) select {listed} from drawn")
        predicted = _predicate_rows(con, entity, checks)
        # GX on every row, as the step used to run it (money as DOUBLE, all new rows)
        every_row = batch_query(entity, checks).replace(
            new_rows_table(entity.name), f"raw.{entity.name}"
        )
        result = _validator().validate(
            entity.name, con.sql(every_row).fetch_arrow_table().to_pandas()
        )
    assert result.infrastructure_errors == []
    failed: dict[str, set[str]] = {check.key: set() for check in checks}
    for finding in result.findings:
        failed[finding.check.key].add(finding.row_id)
    assert predicted == failed


def test_every_check_kind_and_condition_is_exercised() -> None:
    """Guard: the contract's suites hold every kind the predicates translate, and both
    kinds of condition, so the property test above covers each of them."""
    checks = [c for e in CONTRACT.entities.values() for c in _checks(e)]
    assert {c.kind for c in checks} == {"not_null", "in_set", "between", "pair_not_before"}
    assert any("when_column" in c.params for c in checks)
    assert any("unless_null" in c.params for c in checks)
    assert any(CONTRACT.entity(c.entity).column(c.column).type == "number" for c in checks)
    # the predicates count NaN as missing only for ``number``: no other type may hold it
    assert {t for t, sql in SQL_TYPES.items() if sql in {"double", "float", "real"}} == {"number"}


# -------------------------------------------------------------- the plumbing, by hand
def _lead(n: int, **values: Any) -> dict[str, Any]:
    """A lead that passes every check, with ``values`` changed."""
    row: dict[str, Any] = {
        "lead_id": f"L{n}",
        "created_at": BASE,
        "source": "website",
        "account_name": "Acme",
        "contact_name": "Wang",
        "requirement": "CRM",
        "budget": decimal.Decimal("1000"),
        "owner": "li",
        "stage": "lead",
    }
    row.update(values)
    return row


def _batch_ids(con: duckdb.DuckDBPyConnection, sample: int) -> list[str]:
    """The rows GX would get for the ten leads, with a sample of ``sample``."""
    entity = CONTRACT.entity("leads")
    checks = _checks(entity)
    query = candidate_batch_query(entity, checks, 10, sample)
    flags = [flag_column(i) for i in range(len(checks))]
    batches = gx_rows(con.sql(query).to_arrow_reader(4), flags, sample)
    return [r for batch in batches for r in batch.column("_row_id").to_pylist()]


def test_gx_gets_every_candidate_and_the_same_sample_each_time(tmp_path: Path) -> None:
    """Two bad leads of ten: both reach GX, plus 3 of the 8 good ones — the same 3 in every
    run, and never more than asked."""
    rows = [_lead(n) for n in range(10)]
    rows[3] = _lead(3, budget=decimal.Decimal("-5"))
    rows[7] = _lead(7, stage="lost")  # no loss_reason, no closed_at
    with duckdb.connect(str(tmp_path / "c.duckdb")) as con:
        fresh_database(con)
        file_hash = land(con, "leads", rows, file_name="a.csv", run_id="r1")
        stage_new_rows(con, "leads")
        first = _batch_ids(con, 3)
        again = _batch_ids(con, 3)
        everything = _batch_ids(con, 100)
    bad = [f"{file_hash[:16]}:5", f"{file_hash[:16]}:9"]  # rows 3 and 7, header = row 1
    assert set(bad) <= set(first)
    assert len(first) == 5 and len(set(first)) == 5
    assert first == again
    assert sorted(everything) == sorted(f"{file_hash[:16]}:{n + 2}" for n in range(10))


def test_a_gx_failure_the_predicate_missed_is_an_infrastructure_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A budget predicate that (wrongly) never fires: L2's negative budget still reaches
    GX, as a candidate of another check (its source is bogus); GX fails it, and the step
    reports the disagreement instead of quarantining the row — while every other check's
    findings are recorded as usual. (A row reaching GX through the sample only: the test
    of durable blocking below.)"""
    real = candidates.failure_predicate

    def blind_to_budget(check: ContractCheck, types: dict[str, str]) -> str:
        return "false" if check.key == "range:budget" else real(check, types)

    monkeypatch.setattr(candidates, "failure_predicate", blind_to_budget)
    entity = CONTRACT.entity("leads")
    checks = _checks(entity)
    with duckdb.connect(str(tmp_path / "d.duckdb")) as con:
        fresh_database(con)
        land(con, "leads", LEADS_R1, file_name="a.csv", run_id="r1", errors=LEAD_ERRORS)
        create_failures(con)
        stage_new_rows(con, "leads")
        errors = expectation_failures(con, _validator(), entity, checks, len(LEADS_R1))
        found = con.execute(f"select distinct rule, column_name from {FAILURES}").fetchall()
    assert len(errors) == 1
    assert errors[0].startswith(
        "Great Expectations and the SQL candidate predicate disagree on leads check "
        "range:budget: GX fails 1 row(s) the predicate passed, e.g. row "
    )
    assert ("range", "budget") not in found
    assert ("range", "probability") in found  # L9's probability: other checks still count


# -------------------------------------------------------------- the whole step, both ways
LANDINGS = Path(__file__).resolve().parents[1]
FIXTURES = [
    LANDINGS / "e2e" / "fixtures" / name
    for name in ("backbone_landing", "customer_landing", "funnel_landing", "funnel_landing_late")
] + [LANDINGS / "fixtures" / name for name in ("landing_en", "landing_zh")]


def _quality_schema(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every ``data_quality`` table, sorted, without its timestamp columns (when it ran)."""
    tables = con.execute(
        "select table_name from information_schema.tables where table_schema = 'data_quality'"
    ).fetchall()
    out: dict[str, list[tuple[Any, ...]]] = {}
    for (table,) in tables:
        columns = con.execute(
            "select column_name from information_schema.columns where table_schema = "
            "'data_quality' and table_name = ? and data_type not like 'TIMESTAMP%' "
            "order by ordinal_position",
            [table],
        ).fetchall()
        listed = ", ".join(quote(c) for (c,) in columns)
        out[table] = con.execute(
            f"select {listed} from data_quality.{table} order by all"
        ).fetchall()
    return out


def _step(
    source: Path, target: Path, sample: int, monkeypatch: pytest.MonkeyPatch
) -> dict[str, list[tuple[Any, ...]]]:
    """The quality step on a copy of ``source`` with a GX sample of ``sample`` rows."""
    from quality.checks import run_quality_checks

    monkeypatch.setattr("quality.rules.expectations.SAMPLE_ROWS", sample)
    target.write_bytes(source.read_bytes())
    with duckdb.connect(str(target)) as con:
        outcome = run_quality_checks(
            con, SETTINGS, run_id="same", as_of_date=dt.date(2026, 3, 31), validator=_validator()
        )
        assert outcome.infrastructure_errors == []
        return _quality_schema(con)


def _hand_made(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        fresh_database(con)
        land(con, "leads", LEADS_R1, file_name="2026-03-31.csv", run_id="r1", errors=LEAD_ERRORS)
        land(con, "follow_ups", FOLLOW_UPS_R1, file_name="2026-03-31.csv", run_id="r1")
        land(con, "service_records", SERVICES_R1, file_name="2026-03-31.csv", run_id="r1")


@pytest.mark.parametrize("landing", [*FIXTURES, None], ids=[p.name for p in FIXTURES] + ["hand"])
def test_quality_schema_is_the_same_when_gx_validates_every_row(
    tmp_path: Path, landing: Path | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The step with GX on the candidates only (no sample) and with GX on every row (a
    sample larger than the data) leaves the same ``data_quality`` schema — every table,
    timestamps aside, same run id — on each landing fixture and on the hand-made rows
    (which fail every kind of check)."""
    from ingestion.loader import load_landing

    loaded = tmp_path / "loaded.duckdb"
    if landing is None:
        _hand_made(loaded)
    else:
        with duckdb.connect(str(loaded)) as con:
            load_landing(con, landing, SETTINGS, run_id="load", as_of_date=dt.date(2026, 3, 31))
    candidates_only = _step(loaded, tmp_path / "a.duckdb", 0, monkeypatch)
    every_row = _step(loaded, tmp_path / "b.duckdb", 10**9, monkeypatch)
    assert every_row["checked_loads"]  # the step ran and checked something
    assert candidates_only == every_row
    if landing is None:
        assert len(every_row["quarantine"]) >= 10


def _sample_rank(con: duckdb.DuckDBPyConnection, row_id: str) -> int:
    """1-based rank of ``row_id`` by hash among the pending leads (all but it are clean)."""
    ((rank,),) = con.execute(
        f"select count(*) from {new_rows_table('leads')} where hash(_row_id) <= (select hash(?))",
        [row_id],
    ).fetchall()
    return int(rank)


def test_a_disagreement_keeps_blocking_when_later_loads_move_the_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spec quality.md: what blocked a build keeps blocking every later build until it is
    resolved. A budget predicate that (wrongly) never fires: the one bad lead reaches GX
    in the sample of build 1, which blocks. Build 2 brings 200 clean leads whose smaller
    hashes push that lead out of a rank-based sample; the predicate is still wrong, so
    build 2 must block too and the bad lead must not be marked checked unquarantined."""
    from quality.checks import run_quality_checks
    from quality.gate import evaluate_gate, pending_loads

    real = candidates.failure_predicate

    def blind_to_budget(check: ContractCheck, types: dict[str, str]) -> str:
        return "false" if check.key == "range:budget" else real(check, types)

    monkeypatch.setattr(candidates, "failure_predicate", blind_to_budget)
    first = [_lead(n) for n in range(10)]
    first[4] = _lead(4, budget=decimal.Decimal("-5"))
    with duckdb.connect(str(tmp_path / "e.duckdb")) as con:
        fresh_database(con)
        file_hash = land(con, "leads", first, file_name="a.csv", run_id="r1")
        bad = f"{file_hash[:16]}:6"
        stage_new_rows(con, "leads")
        sample = _sample_rank(con, bad)  # the smallest sample that holds the bad lead
        monkeypatch.setattr("quality.rules.expectations.SAMPLE_ROWS", sample)

        def build(run_id: str) -> list[str]:
            outcome = run_quality_checks(
                con, SETTINGS, run_id=run_id, as_of_date=dt.date(2026, 3, 31),
                validator=_validator(),
            )  # fmt: skip
            return outcome.infrastructure_errors

        assert build("b1")
        land(con, "leads", [_lead(100 + n) for n in range(200)], file_name="b.csv", run_id="r2")
        stage_new_rows(con, "leads")
        assert _sample_rank(con, bad) > sample  # build 2's sample no longer holds it
        errors = build("b2")
        blocked = not evaluate_gate(con, SETTINGS, run_id="b2", with_dbt=False).publish
        still_pending = "leads/a.csv" in pending_loads(con)
    assert any("range:budget" in e for e in errors)
    assert blocked and still_pending
