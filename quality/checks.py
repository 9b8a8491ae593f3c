"""The quality step of a build: check every raw row not yet checked, quarantine, record.

Checks follow the rows, not the run: "this build's new rows" are the raw rows of every
``loaded`` file load without a ``checked_loads`` row, whichever run loaded them (a run
killed after loading leaves its rows pending; staging leaves pending rows out, and the
gate blocks while any remain). The whole step is one transaction: a step that dies
half-way leaves nothing behind and the rows stay pending.

This module only runs one check in order; each rule family is a module of
:mod:`quality.rules` and each ``data_quality`` writer a module of :mod:`quality`:

1. row rules — parse problems, uniqueness, the GX suites — then their quarantine;
2. references, against what is clean now, then the release of resolved ones;
3. warn-only plausibility and the counted-only legacy accounts;
4. counts, ``file_loads``, the owner scorecard, ``checked_loads`` and rate holds, and one
   ``check_results`` row per rule.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor

import duckdb

from core.contract import Entity, load_contract
from core.masking import scrub
from core.rules import Rule
from core.settings import Settings
from quality.check_results import (
    last_run_had_infrastructure_errors,
    legacy_account_check,
    plausibility_check,
    row_rule_plan,
)
from quality.check_results import write_check_results as _write_check_results
from quality.file_counts import mark_checked, rejected_files, update_file_loads
from quality.gx_suites import ContractCheck, GxValidator, contract_checks
from quality.outcome import EntityOutcome, QualityOutcome
from quality.quarantine import (
    ROW_RULES,
    collapse_plausibility,
    drop_consequential,
    examples_by_rule,
    quarantined_new_rows,
    write_findings,
    write_quarantine,
)
from quality.rules.expectations import expectation_failures
from quality.rules.legacy_accounts import legacy_account_failures
from quality.rules.new_rows import (
    create_failures,
    drop_failures,
    drop_new_rows,
    reset_pending,
    stage_new_rows,
)
from quality.rules.parse_problems import parse_problem_failures
from quality.rules.plausibility import plausibility_failures
from quality.rules.references import reference_failures, release_references
from quality.rules.versions import uniqueness_failures
from quality.scorecard import NO_OWNER, write_scorecard

__all__ = [
    "NO_OWNER",
    "EntityOutcome",
    "QualityOutcome",
    "examples_by_rule",
    "run_quality_checks",
]


def run_quality_checks(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    run_id: str,
    as_of_date: dt.date,
    validator: GxValidator | None = None,
) -> QualityOutcome:
    """Check this build's new rows against the contract; quarantine and record the results.

    Safe to re-run for the same run id. Never raises for bad data: failing rows are
    quarantined, GX failures come back as ``infrastructure_errors``.
    """
    con.begin()
    try:
        outcome = _check_pending_rows(con, settings, run_id, as_of_date, validator)
    except BaseException:
        con.rollback()
        raise
    con.commit()
    return outcome


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _check_pending_rows(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str,
    as_of_date: dt.date,
    validator: GxValidator | None,
) -> QualityOutcome:
    """The step's body, inside the caller's transaction."""
    entities = list(load_contract().entities.values())
    started = _now()
    create_failures(con)
    outcome = QualityOutcome(run_id, as_of_date, rejected_files=rejected_files(con))
    sizes = {e.name: stage_new_rows(con, e.name) for e in entities}
    every_row = last_run_had_infrastructure_errors(con)  # before a retry clears its own
    for entity in entities:
        reset_pending(con, entity.name, run_id)
    checks = {e.name: contract_checks(e, settings) for e in entities}
    plan = [p for e in entities for p in row_rule_plan(e, checks[e.name])]
    checked = [e for e in entities if sizes[e.name]]
    gx: GxValidator | Future[GxValidator] | None = validator
    if gx is None and checked:
        gx = _start_gx()

    # 1. Row rules: parser problems, uniqueness, the GX suites.
    _row_rules(con, checked, checks, gx, outcome, sizes, every_row=every_row)
    drop_consequential(con)
    for entity in entities:
        write_quarantine(con, entity, run_id, as_of_date, started, ROW_RULES)

    # 2. Cross-entity rules, against what is clean now; then release resolved orphans.
    for entity in checked:
        reference_failures(con, entity)
        write_quarantine(con, entity, run_id, as_of_date, started, (Rule.REFERENCE,))
    released = {e.name: release_references(con, e, started) for e in entities}
    outcome.rows_released = sum(released.values())

    # 3. Warn-only plausibility; counted-only legacy accounts.
    for entity in checked:
        plausibility_failures(con, entity, settings, as_of_date)
        write_findings(con, entity, run_id, as_of_date)
        if legacy_account_failures(con, entity):
            plan.append(legacy_account_check(entity.name))
    plan += [plausibility_check(e.name) for e in entities]

    # 4. Counts, file loads, scorecard, checked loads, results.
    for entity in entities:
        outcome.entities[entity.name] = EntityOutcome(
            entity.name,
            sizes[entity.name],
            quarantined_new_rows(con, entity.name),
            settings.quality.limit_for(entity.name),
        )
        update_file_loads(con, entity.name, released[entity.name] > 0)
        write_scorecard(con, entity, run_id, as_of_date)
        if not outcome.infrastructure_errors:  # else the rows stay pending, re-checked
            mark_checked(con, outcome.entities[entity.name], run_id, as_of_date, started)
    collapse_plausibility(con)
    _write_check_results(con, plan, outcome, started)
    drop_failures(con)
    for entity in entities:
        drop_new_rows(con, entity.name)
    return outcome


def _start_gx() -> Future[GxValidator]:
    """Great Expectations' import and context, started in a thread.

    Starting GX costs ~2-3 CPU seconds of Python, once per build; DuckDB runs the first
    SQL rules meanwhile on the other core (it releases the GIL while it works), so the
    start no longer adds to the step's wall time (issue 14). A failure to start is raised
    where the validator is first needed, and becomes an infrastructure error there.
    """
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gx-start")
    try:
        return executor.submit(GxValidator)
    finally:
        executor.shutdown(wait=False)


def _row_rules(
    con: duckdb.DuckDBPyConnection,
    entities: list[Entity],
    checks: dict[str, list[ContractCheck]],
    validator: GxValidator | Future[GxValidator] | None,
    outcome: QualityOutcome,
    sizes: dict[str, int],
    *,
    every_row: bool,
) -> None:
    """Parse problems, uniqueness and the GX suites on each entity with new rows.

    ``every_row``: GX validates every new row, not the candidates and a sample (the run
    after one with an infrastructure error, see ``last_run_had_infrastructure_errors``).

    Great Expectations starts only when there is something to validate. If it cannot
    start, or cannot evaluate a check, that is an infrastructure error in ``outcome``: the
    checks did not run, so the gate blocks and the rows stay pending.
    """
    gx = validator
    for entity in entities:
        parse_problem_failures(con, entity)
        uniqueness_failures(con, entity)
        try:
            if isinstance(gx, Future):
                gx = gx.result()
            if gx is None:
                gx = GxValidator()
            if entity.name not in gx.registered:
                gx.register(entity.name, checks[entity.name])
        except Exception as exc:  # GX cannot start: the checks did not run, block
            outcome.infrastructure_errors.append(
                f"Great Expectations could not start for {entity.name}: "
                f"{type(exc).__name__}: {scrub(str(exc))}"
            )
            continue
        outcome.infrastructure_errors += expectation_failures(
            con, gx, entity, checks[entity.name], sizes[entity.name], every_row=every_row
        )
