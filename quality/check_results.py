"""The run's ``data_quality.check_results``: one row per rule that ran, failing or not.

Every rule planned for an entity gets a row even when nothing failed (a passing rule is
evidence too); a finding of a rule nobody planned still gets one. Each entity adds its
``quarantine_rate`` row, and every infrastructure error an ``error`` row the gate reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from core.contract import Entity
from core.quality_tables import DQ_SCHEMA, check_status, insert_check_results
from core.rules import Rule
from quality.gx_suites import ContractCheck
from quality.outcome import QualityOutcome
from quality.rules.new_rows import FAILURES

# Rules that only count (quality.md: a service record of a legacy customer is allowed).
COUNTED_ONLY = frozenset({Rule.LEGACY_ACCOUNT})


@dataclass(frozen=True)
class PlannedCheck:
    """A rule that ran on an entity: one ``check_results`` row."""

    entity: str
    rule: str
    column: str | None
    severity: str  # block | warn
    source: str  # gx | parser | sql
    description: str


def row_rule_plan(entity: Entity, checks: list[ContractCheck]) -> list[PlannedCheck]:
    """The row rules that run on the entity: its GX checks, type, uniqueness, reference."""
    plan = [
        PlannedCheck(entity.name, c.rule, c.column, "block", "gx", c.description) for c in checks
    ]
    plan += [
        PlannedCheck(
            entity.name, Rule.TYPE, c.name, "block", "parser", f"{c.name} must be a valid {c.type}"
        )
        for c in entity.columns
        if c.type not in {"text", "enum"}
    ]
    plan.append(
        PlannedCheck(
            entity.name,
            Rule.UNIQUENESS,
            entity.record_id,
            "block",
            "sql",
            f"no two different rows with the same {entity.record_id} and "
            f"{entity.version_column} in one load",
        )
    )
    plan += [
        PlannedCheck(
            entity.name,
            Rule.REFERENCE,
            c.name,
            "block",
            "sql",
            f"{c.name} must match a {c.references.entity} record",
        )
        for c in entity.columns
        if c.references is not None
    ]
    return plan


def legacy_account_check(entity: str) -> PlannedCheck:
    """The counted-only legacy-customer rule, for an entity it ran on."""
    return PlannedCheck(
        entity,
        Rule.LEGACY_ACCOUNT,
        "account_key",
        "warn",
        "sql",
        "service records of customers no lead knows (legacy customers: allowed, only counted)",
    )


def plausibility_check(entity: str) -> PlannedCheck:
    """The entity's one warn-only plausibility rule (its findings have no column)."""
    return PlannedCheck(
        entity,
        Rule.PLAUSIBILITY,
        None,
        "warn",
        "sql",
        "stage skips, events after D, outlier amounts",
    )


def last_run_had_infrastructure_errors(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the latest quality run recorded an infrastructure error.

    Such a run marked nothing checked, so every row it saw is pending again. The next run
    validates them all with GX instead of the candidates and a sample: the sample moves as
    new loads arrive, and a disagreement it once caught must keep blocking until fixed.
    """
    ((failed,),) = con.execute(
        f"""
        select count(*) from {DQ_SCHEMA}.check_results
        where rule = '{Rule.INFRASTRUCTURE}' and not passed
          and checked_at = (
              select max(checked_at) from {DQ_SCHEMA}.check_results where check_source <> 'dbt'
          )
        """
    ).fetchall()
    return bool(failed)


def write_check_results(
    con: duckdb.DuckDBPyConnection,
    plan: list[PlannedCheck],
    outcome: QualityOutcome,
    checked_at: dt.datetime,
) -> None:
    """One check_results row per (entity, rule, column), failing or passing."""
    counts = {
        (entity, rule, column, severity): (int(failed), source)
        for entity, rule, column, severity, source, failed in con.execute(
            "select entity, rule, column_name, severity, any_value(check_source), "
            f"count(distinct row_id) from {FAILURES} group by all"
        ).fetchall()
    }
    seen: set[tuple[str, str, str | None, str]] = set()
    rows = []
    for check in plan:
        key = (check.entity, check.rule, check.column, check.severity)
        if key in seen:
            continue
        seen.add(key)
        failed, _ = counts.get(key, (0, check.source))
        rows.append(_result_row(outcome, check, failed, checked_at))
    for key, (failed, source) in counts.items():
        if key not in seen:
            entity, rule, column, severity = key
            unplanned = PlannedCheck(
                entity, rule, column, severity, source, f"{rule} problems found"
            )
            rows.append(_result_row(outcome, unplanned, failed, checked_at))
    rows += [_rate_row(outcome, name, checked_at) for name in outcome.entities]
    rows += [_error_row(outcome, error, checked_at) for error in outcome.infrastructure_errors]
    insert_check_results(con, rows)


def _result_row(
    outcome: QualityOutcome, check: PlannedCheck, failed: int, checked_at: dt.datetime
) -> tuple[object, ...]:
    """A rule's row: rows checked and failed, the rate, pass/warn/fail."""
    entity = outcome.entities.get(check.entity)
    checked = entity.rows_checked if entity is not None else 0
    rate = failed / checked if checked else None
    # counted-only rules (legacy customers) are allowed: counted, yet passed
    status = check_status(check.severity, 0 if check.rule in COUNTED_ONLY else failed)
    return (
        outcome.run_id,
        outcome.as_of_date,
        checked_at,
        check.entity,
        check.rule,
        check.column,
        check.severity,
        checked,
        failed,
        rate,
        status,
        status == "pass",
        check.source,
        check.description,
    )


def _rate_row(outcome: QualityOutcome, name: str, checked_at: dt.datetime) -> tuple[object, ...]:
    """The entity's quarantine rate against its limit: the gate's rate rule."""
    result = outcome.entities[name]
    return (
        outcome.run_id,
        outcome.as_of_date,
        checked_at,
        name,
        Rule.QUARANTINE_RATE,
        None,
        "block",
        result.rows_checked,
        result.rows_quarantined,
        result.quarantine_rate,
        "pass" if result.within_limit else "fail",
        result.within_limit,
        "sql",
        f"quarantined rows / rows checked in this build <= {result.limit:g}",
    )


def _error_row(outcome: QualityOutcome, error: str, checked_at: dt.datetime) -> tuple[object, ...]:
    """A check that could not run: status ``error``, which blocks the gate."""
    return (
        outcome.run_id,
        outcome.as_of_date,
        checked_at,
        "(all)",
        Rule.INFRASTRUCTURE,
        None,
        "block",
        None,
        None,
        None,
        "error",
        False,
        "gx",
        error[:1000],
    )
