"""The publish gate (spec/quality.md, "The gate").

A build publishes only when (1) no file of this build was rejected, (2) for each entity,
quarantined rows ÷ rows in this build's new files is within ``max_quarantine_rate`` and
(3) every dbt test of severity error passed (and every model built), and (4) the quality
checks themselves ran (a Great Expectations failure is an infrastructure error, never
counted as bad data, and it blocks the publish). Everything is read
from the ``data_quality`` tables the earlier steps wrote, so the decision can be explained
row by row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from core.contract import load_contract
from core.settings import Settings


@dataclass(frozen=True)
class GateDecision:
    """Whether to publish, and every reason not to (empty when publishing)."""

    publish: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return "all checks passed" if self.publish else "; ".join(self.reasons)


def _rejected_files(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    rows = con.execute(
        "select coalesce(error, file_path) from data_quality.file_loads "
        "where run_id = ? and status = 'rejected' order by file_path",
        [run_id],
    ).fetchall()
    return [f"file rejected: {error}" for (error,) in rows]


def quarantine_rates(
    con: duckdb.DuckDBPyConnection, run_id: str
) -> dict[str, tuple[int, int, float | None]]:
    """entity -> (rows in this build's new files, of which quarantined, rate or None)."""
    rows = con.execute(
        "select entity, sum(rows_read), sum(rows_quarantined) from data_quality.file_loads "
        "where run_id = ? and status = 'loaded' group by entity",
        [run_id],
    ).fetchall()
    rates: dict[str, tuple[int, int, float | None]] = {}
    for entity, read, quarantined in rows:
        read, quarantined = int(read or 0), int(quarantined or 0)
        rates[entity] = (read, quarantined, quarantined / read if read else None)
    return rates


def _rate_breaches(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str) -> list[str]:
    reasons = []
    rates = quarantine_rates(con, run_id)
    for entity in load_contract().entities:
        read, quarantined, rate = rates.get(entity, (0, 0, None))
        limit = settings.quality.limit_for(entity)
        if rate is not None and rate > limit:
            reasons.append(
                f"{entity}: {quarantined} of {read} new rows quarantined "
                f"({rate:.1%}), above the limit of {limit:.0%}"
            )
    return reasons


def _dbt_failures(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    rows = con.execute(
        "select rule, failed_rows from data_quality.check_results "
        "where run_id = ? and check_source = 'dbt' and severity = 'block' and not passed "
        "order by rule",
        [run_id],
    ).fetchall()
    return [f"dbt check failed: {rule} ({failed or 0} rows)" for rule, failed in rows]


def _infrastructure_errors(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    rows = con.execute(
        "select detail from data_quality.check_results "
        "where run_id = ? and rule = 'infrastructure' and not passed order by detail",
        [run_id],
    ).fetchall()
    return [f"quality checks could not run: {detail}" for (detail,) in rows]


def evaluate_gate(
    con: duckdb.DuckDBPyConnection, settings: Settings, *, run_id: str
) -> GateDecision:
    """Apply the gate rules to what this run recorded."""
    reasons = (
        _rejected_files(con, run_id)
        + _rate_breaches(con, settings, run_id)
        + _dbt_failures(con, run_id)
        + _infrastructure_errors(con, run_id)
    )
    return GateDecision(publish=not reasons, reasons=reasons)
