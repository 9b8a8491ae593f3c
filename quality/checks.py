"""The quality step of a build: check every raw row not yet checked, quarantine, record.

Checks follow the rows, not the run: "this build's new rows" are the raw rows of every
``loaded`` file load without a ``checked_loads`` row, whichever run loaded them (a run
killed after loading leaves its rows pending; staging leaves pending rows out, and the
gate blocks while any remain). The whole step is one transaction: a step that dies
half-way leaves nothing behind and the rows stay pending. The rules of spec/quality.md
run on them:

- ``type`` (and ``enumeration``) problems the loader found while parsing (raw ``_errors``);
- ``required``, ``conditional``, ``range``, ``enumeration``: Great Expectations suites
  generated from the contract (:mod:`quality.gx_suites`), on pandas chunks;
- ``uniqueness``: two *different* rows with the same record id and version in one load;
- ``reference``: a row whose referenced record (a follow-up's lead) is unknown; re-checked
  every build and released once the record arrives;
- ``plausibility`` (warn only): a stage skipped, an event after D, an outlier amount.

Blocking failures go to ``data_quality.quarantine`` (one row per quarantined row and rule),
warnings to ``data_quality.plausibility_findings``; every rule gets a ``check_results``
row; ``file_loads`` counts and the ``owner_scorecard`` are brought up to date. Each checked
load gets its ``checked_loads`` row; an entity whose quarantine rate (quarantined ÷ rows
checked in this build) is above its limit gets a ``gate_holds`` row for every file whose
rows were quarantined, which holds the gate until that file is resolved (quality.gate).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field

import duckdb

from core.contract import Entity, load_contract
from core.masking import scrub, sql_mask_identifier, sql_mask_text
from core.quality_tables import DQ_SCHEMA, check_status, insert_check_results
from core.settings import Settings
from ingestion.loader import latest_file_states
from quality.gx_suites import ContractCheck, GxValidator, contract_checks, suite_columns

CHUNK_VECTORS = 98  # DuckDB vectors of 2,048 rows: ~200k rows per pandas chunk
NO_OWNER = "(no owner)"
# Rules that only count (quality.md: a service record of a legacy customer is allowed).
COUNTED_ONLY = frozenset({"legacy_account"})


@dataclass(frozen=True)
class EntityOutcome:
    """Quarantine counts of one entity in this build's new rows, against its limit."""

    entity: str
    rows_checked: int
    rows_quarantined: int
    limit: float

    @property
    def quarantine_rate(self) -> float | None:
        return self.rows_quarantined / self.rows_checked if self.rows_checked else None

    @property
    def within_limit(self) -> bool:
        rate = self.quarantine_rate
        return rate is None or rate <= self.limit


@dataclass
class QualityOutcome:
    """What the quality step found; the gate and the Dagster asset read it."""

    run_id: str
    as_of_date: dt.date
    entities: dict[str, EntityOutcome] = field(default_factory=dict)
    rejected_files: list[str] = field(default_factory=list)
    rows_released: int = 0
    infrastructure_errors: list[str] = field(default_factory=list)

    @property
    def data_rules_pass(self) -> bool:
        """The gate's data rules: no rejected file, every rate within its limit."""
        return not self.rejected_files and all(e.within_limit for e in self.entities.values())


@dataclass(frozen=True)
class PlannedCheck:
    """A rule that ran on an entity: one ``check_results`` row."""

    entity: str
    rule: str
    column: str | None
    severity: str  # block | warn
    source: str  # gx | parser | sql
    description: str


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _new_rows(entity: str) -> str:
    return f"dq_new_{entity}"


# ---------------------------------------------------------------------------- set-up
def _pending_loads_sql(entity: str) -> str:
    """Loaded files of ``entity`` whose rows no quality step has checked yet."""
    return (
        f"select file_path, file_hash, load_seq from {DQ_SCHEMA}.file_loads as file_loads "
        f"where file_loads.status = 'loaded' and file_loads.entity = '{entity}' "
        f"and not exists (select 1 from {DQ_SCHEMA}.checked_loads as checked "
        "where checked.file_hash = file_loads.file_hash "
        "and checked.load_seq = file_loads.load_seq)"
    )


def _stage_new_rows(con: duckdb.DuckDBPyConnection, entity: str) -> int:
    """A temp table of the entity's rows not yet checked; returns its size."""
    con.execute(
        f"create or replace temp table {_new_rows(entity)} as "
        f"select landed.* from raw.{entity} as landed "
        f"join ({_pending_loads_sql(entity)}) as pending "
        "on pending.file_hash = landed._file_hash and pending.load_seq = landed._load_seq"
    )
    return int(con.execute(f"select count(*) from {_new_rows(entity)}").fetchone()[0])


def _reset_pending(con: duckdb.DuckDBPyConnection, entity: str, run_id: str) -> None:
    """Findings an unfinished earlier check left on rows still pending are replaced, and a
    retry of this run replaces its own check results (re-running the step is safe)."""
    for table in ("quarantine", "plausibility_findings"):
        con.execute(
            f"delete from {DQ_SCHEMA}.{table} where entity = ? "
            f"and row_id in (select _row_id from {_new_rows(entity)})",
            [entity],
        )
    con.execute(
        f"delete from {DQ_SCHEMA}.check_results where run_id = ? and entity = ? "
        "and check_source <> 'dbt'",
        [run_id, entity],
    )


def _create_failures(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create or replace temp table dq_failures (entity varchar, row_id varchar, "
        "rule varchar, column_name varchar, detail varchar, check_source varchar, "
        "severity varchar)"
    )


def _add_failures(
    con: duckdb.DuckDBPyConnection,
    rows: list[tuple[str, str, str, str | None, str, str, str]],
) -> None:
    if rows:
        con.executemany("insert into dq_failures values (?, ?, ?, ?, ?, ?, ?)", rows)


# --------------------------------------------------------------------- parser problems
def _parser_failures(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """Type and enumeration problems the loader recorded in raw ``_errors``."""
    cursor = con  # one result stream at a time; findings are written afterwards
    cursor.execute(
        f"select _row_id, _errors from {_new_rows(entity.name)} "
        "where _errors is not null and _errors <> '[]'"
    )
    rows: list[tuple[str, str, str, str | None, str, str, str]] = []
    while batch := cursor.fetchmany(10_000):
        for row_id, errors in batch:
            for problem in _problems(errors):
                rule = str(problem.get("rule") or "type")
                source = "parser" if rule == "type" else "gx"
                rows.append(
                    (
                        entity.name,
                        row_id,
                        rule,
                        problem.get("column"),
                        scrub(str(problem.get("detail") or f"{rule} problem")) or "",
                        source,
                        "block",
                    )
                )
    _add_failures(con, rows)


def _problems(errors: str) -> list[dict[str, str]]:
    try:
        parsed = json.loads(errors)
    except (TypeError, ValueError):
        return [{"column": None, "rule": "type", "detail": "unreadable parse problem list"}]
    return [p for p in parsed if isinstance(p, dict)] if isinstance(parsed, list) else []


# --------------------------------------------------------------------------------- GX
def _gx_failures(
    con: duckdb.DuckDBPyConnection,
    validator: GxValidator,
    entity: Entity,
    checks: list[ContractCheck],
) -> list[str]:
    """Run the entity's suite chunk by chunk; record failing rows; return GX errors.

    Each chunk holds only ``_row_id`` and the columns the suite reads (issue 14).
    """
    columns = ", ".join(_q(c) for c in ["_row_id", *suite_columns(checks)])
    cursor = con  # one result stream at a time; findings are written afterwards
    cursor.execute(f"select {columns} from {_new_rows(entity.name)}")
    errors: list[str] = []
    rows: list[tuple[str, str, str, str | None, str, str, str]] = []
    while True:
        frame = cursor.fetch_df_chunk(CHUNK_VECTORS)
        if frame is None or frame.empty:
            break
        result = validator.validate(entity.name, frame)
        errors.extend(e for e in result.infrastructure_errors if e not in errors)
        rows.extend(
            (entity.name, f.row_id, f.check.rule, f.check.column, f.detail, "gx", "block")
            for f in result.findings
        )
    _add_failures(con, rows)
    return errors


# ------------------------------------------------------------------------- uniqueness
def _version_key(entity: Entity) -> str:
    version = entity.column(entity.version_column)
    parts = [f"cast({_q(version.name)} as varchar)"]
    if version.default_from:
        parts.append(f"cast({_q(version.default_from)} as varchar)")
    return f"coalesce({', '.join(parts)}, '')"


def _uniqueness_failures(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """Two different rows with the same record id and version in one load (one file): all
    of them. Across files the later file wins (sources.md), so that is no conflict."""
    content = ", ".join(
        f"coalesce(cast({_q(c)} as varchar), '<null>')" for c in entity.column_names
    )
    rid = _q(entity.record_id)
    con.execute(
        f"""
        insert into dq_failures
        with versions as (
            select _row_id, _file_hash, {rid} as record_id,
                   {_version_key(entity)} as version_key,
                   md5(concat_ws('|', {content})) as content_hash
            from {_new_rows(entity.name)}
            where {rid} is not null
        ),
        conflicting_versions as (
            select _file_hash, record_id, version_key, count(*) as copies
            from versions
            group by _file_hash, record_id, version_key
            having count(distinct content_hash) > 1
        )
        select '{entity.name}', versions._row_id, 'uniqueness', '{entity.record_id}',
               cast(conflicting_versions.copies as varchar) || ' different rows share '
               || '{entity.record_id} ' || versions.record_id || ' and '
               || '{entity.version_column} ' || versions.version_key,
               'sql', 'block'
        from versions
        join conflicting_versions
          on versions._file_hash = conflicting_versions._file_hash
         and versions.record_id = conflicting_versions.record_id
         and versions.version_key = conflicting_versions.version_key
        """
    )


# -------------------------------------------------------------------------- reference
def _clean_keys(entity: str, column: str) -> str:
    """Values of ``entity.column`` on raw rows without an active quarantine."""
    return (
        f"select {_q(column)} as key_value from raw.{entity} "
        f"where {_q(column)} is not null and _row_id not in ("
        f"select row_id from {DQ_SCHEMA}.quarantine "
        f"where entity = '{entity}' and released_at is null and row_id is not null)"
    )


def _reference_failures(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """Rows whose referenced record exists nowhere in the clean raw layer."""
    for col in entity.columns:
        if col.references is None:
            continue
        ref = col.references
        con.execute(
            f"""
            insert into dq_failures
            select '{entity.name}', new_rows._row_id, 'reference', '{col.name}',
                   '{col.name} ' || new_rows.{_q(col.name)} || ' matches no {ref.entity} '
                   || 'record (yet)', 'sql', 'block'
            from {_new_rows(entity.name)} as new_rows
            where new_rows.{_q(col.name)} is not null
              and not exists (
                  select 1 from ({_clean_keys(ref.entity, ref.column)}) as known_records
                  where known_records.key_value = new_rows.{_q(col.name)})
            """
        )


def _release_references(
    con: duckdb.DuckDBPyConnection, entity: Entity, released_at: dt.datetime
) -> int:
    """Release earlier reference quarantines whose referenced record now exists."""
    released = 0
    for col in entity.columns:
        if col.references is None:
            continue
        ref = col.references
        candidates = con.execute(
            f"""
            select quarantine.row_id
            from {DQ_SCHEMA}.quarantine as quarantine
            join raw.{entity.name} as landed on landed._row_id = quarantine.row_id
            where quarantine.entity = '{entity.name}' and quarantine.rule = 'reference'
              and quarantine.released_at is null
              and exists (
                  select 1 from ({_clean_keys(ref.entity, ref.column)}) as known_records
                  where known_records.key_value = landed.{_q(col.name)})
            """
        ).fetchall()
        row_ids = sorted({row_id for (row_id,) in candidates})
        if row_ids:
            con.execute(
                f"update {DQ_SCHEMA}.quarantine set released_at = ? "
                f"where entity = ? and rule = 'reference' and released_at is null "
                f"and row_id in (select unnest(?))",
                [released_at, entity.name, row_ids],
            )
            released += len(row_ids)
    return released


# ----------------------------------------------------------------------- plausibility
def _stage_order_case(settings: Settings, column: str) -> str:
    whens = " ".join(f"when '{v.key}' then {i + 1}" for i, v in enumerate(settings.enums["stage"]))
    return f"case {column} {whens} end"


def _plausibility_stage_skips(
    con: duckdb.DuckDBPyConnection, entity: Entity, settings: Settings
) -> None:
    """A lead version whose stage jumps more than one step forward from the version
    before it (moving to a terminal stage with probability 0, i.e. lost, is no skip)."""
    if entity.kind != "versioned" or "stage" not in entity.column_names:
        return
    falls = [f"'{v.key}'" for v in settings.enums["stage"] if v.terminal and not v.probability]
    not_fall = f"and new_rows.stage not in ({', '.join(falls)})" if falls else ""
    rid = _q(entity.record_id)
    version = _version_key(entity)
    con.execute(
        f"""
        insert into dq_failures
        with history as (
            select _row_id, {rid} as record_id, stage,
                   lag(stage) over (
                       partition by {rid}
                       order by {version}, _load_seq, _source_row
                   ) as previous_stage
            from raw.{entity.name}
            where {rid} in (select {rid} from {_new_rows(entity.name)})
              and _row_id not in (
                  select row_id from {DQ_SCHEMA}.quarantine
                  where entity = '{entity.name}' and released_at is null
                    and row_id is not null)
        )
        select '{entity.name}', history._row_id, 'plausibility', 'stage',
               'stage moved from ' || history.previous_stage || ' to ' || history.stage
               || ', skipping a stage', 'sql', 'warn'
        from history
        join {_new_rows(entity.name)} as new_rows on new_rows._row_id = history._row_id
        where {_stage_order_case(settings, "history.stage")}
              - {_stage_order_case(settings, "history.previous_stage")} > 1
          {not_fall}
        """
    )


def _plausibility_future(
    con: duckdb.DuckDBPyConnection, entity: Entity, as_of_date: dt.date
) -> None:
    """A required event timestamp (occurred_at, opened_at, created_at) after the day D."""
    day_after = as_of_date + dt.timedelta(days=1)
    for col in entity.columns:
        if col.type != "timestamp" or not col.required:
            continue
        con.execute(
            f"""
            insert into dq_failures
            select '{entity.name}', _row_id, 'plausibility', '{col.name}',
                   '{col.name} ' || cast({_q(col.name)} as varchar)
                   || ' is after the business date {as_of_date.isoformat()}', 'sql', 'warn'
            from {_new_rows(entity.name)}
            where {_q(col.name)} >= ?
            """,
            [dt.datetime.combine(day_after, dt.time())],
        )


def _plausibility_amounts(
    con: duckdb.DuckDBPyConnection, entity: Entity, settings: Settings
) -> None:
    """An amount above outlier_amount_multiple × the median amount of its source.

    "Its source" is the lead's source channel where the entity has a ``source`` column,
    otherwise the entity (the source system's file) as a whole. The median is taken over
    positive amounts of the clean raw layer.
    """
    multiple = settings.thresholds.outlier_amount_multiple
    has_source = "source" in entity.column_names
    group = "source" if has_source else "'all'"
    for col in entity.columns:
        if col.type != "money":
            continue
        value = _q(col.name)
        con.execute(
            f"""
            insert into dq_failures
            with medians as (
                select {group} as amount_group, median({value}) as median_amount
                from raw.{entity.name}
                where {value} > 0 and _row_id not in (
                    select row_id from {DQ_SCHEMA}.quarantine
                    where entity = '{entity.name}' and released_at is null
                      and row_id is not null)
                group by 1
            )
            select '{entity.name}', new_rows._row_id, 'plausibility', '{col.name}',
                   '{col.name} ' || cast(new_rows.{value} as varchar) || ' is more than '
                   || '{multiple:g} times the median ' || cast(medians.median_amount as varchar)
                   || '{" of source " if has_source else ""}'
                   {"|| new_rows.source" if has_source else ""}, 'sql', 'warn'
            from {_new_rows(entity.name)} as new_rows
            join medians on medians.amount_group = {"new_rows.source" if has_source else "'all'"}
            where new_rows.{value} > {multiple} * medians.median_amount
            """
        )


def _legacy_accounts(con: duckdb.DuckDBPyConnection, entity: Entity) -> bool:
    """Count (never quarantine) event rows whose account no lead knows: legacy customers.

    Applies to event entities that name an account (service records); the account key is
    the loader's ``_account_key`` on both sides. Returns whether the entity was checked.
    """
    names = set(entity.column_names)
    if entity.kind != "event" or not names & {"account_id", "account_name"}:
        return False
    versioned = [e.name for e in load_contract().entities.values() if e.kind == "versioned"]
    if not versioned:
        return False
    known = " union ".join(
        f"select _account_key from raw.{name} where _account_key is not null" for name in versioned
    )
    con.execute(
        f"""
        insert into dq_failures
        select '{entity.name}', new_rows._row_id, 'legacy_account', 'account_key',
               'account unknown to the leads: a legacy customer (allowed, counted)',
               'sql', 'warn'
        from {_new_rows(entity.name)} as new_rows
        where new_rows._account_key is not null
          and not exists (
              select 1 from ({known}) as known_accounts
              where known_accounts._account_key = new_rows._account_key)
        """
    )
    return True


# ------------------------------------------------------------------------- recording
def _drop_consequential(con: duckdb.DuckDBPyConnection) -> None:
    """An unparseable value is NULL in its typed column: report it as a type problem only,
    not also as missing; the parser's and GX's enumeration findings count once."""
    con.execute(
        """
        delete from dq_failures
        where rule in ('required', 'conditional') and exists (
            select 1 from dq_failures as type_problems
            where type_problems.rule = 'type'
              and type_problems.entity = dq_failures.entity
              and type_problems.row_id = dq_failures.row_id
              and type_problems.column_name = dq_failures.column_name)
        """
    )


def _write_quarantine(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    run_id: str,
    as_of_date: dt.date,
    quarantined_at: dt.datetime,
    rules: tuple[str, ...],
) -> None:
    """One quarantine row per (row, rule) of the given rules, with file, row, id, owner.

    Record id, owner and detail pass through the one masking rule (core.masking): a phone
    or e-mail typed into them never reaches data_quality; ``row_id`` stays the raw key.
    """
    rule_list = ", ".join(f"'{r}'" for r in rules)
    con.execute(
        f"""
        insert into {DQ_SCHEMA}.quarantine
        with findings as (
            select row_id, rule, column_name, min(detail) as detail
            from dq_failures
            where entity = ? and severity = 'block' and rule in ({rule_list})
            group by row_id, rule, column_name
        ),
        per_row_rule as (
            select row_id, rule,
                   string_agg(column_name, ', ' order by column_name) as column_name,
                   string_agg(detail, '; ' order by column_name) as detail
            from findings
            group by row_id, rule
        )
        select ?, ?, ?, new_rows._source_file, new_rows._source_row,
               {sql_mask_identifier(f"new_rows.{_q(entity.record_id)}")},
               {sql_mask_identifier(f"new_rows.{_q(entity.owner_column)}")},
               per_row_rule.rule, per_row_rule.column_name,
               {sql_mask_text("per_row_rule.detail")},
               ?, null, per_row_rule.row_id
        from per_row_rule
        join {_new_rows(entity.name)} as new_rows on new_rows._row_id = per_row_rule.row_id
        """,
        [entity.name, run_id, as_of_date, entity.name, quarantined_at],
    )


def _write_findings(
    con: duckdb.DuckDBPyConnection, entity: Entity, run_id: str, as_of_date: dt.date
) -> None:
    """Warn-only findings, row by row, so the report can name records and owners (masked
    like the quarantine's)."""
    con.execute(
        f"""
        insert into {DQ_SCHEMA}.plausibility_findings
        select ?, ?, ?, new_rows._source_file, new_rows._source_row,
               {sql_mask_identifier(f"new_rows.{_q(entity.record_id)}")},
               {sql_mask_identifier(f"new_rows.{_q(entity.owner_column)}")},
               dq_failures.rule, dq_failures.column_name,
               {sql_mask_text("dq_failures.detail")}, dq_failures.row_id
        from dq_failures
        join {_new_rows(entity.name)} as new_rows on new_rows._row_id = dq_failures.row_id
        where dq_failures.entity = ? and dq_failures.severity = 'warn'
          and dq_failures.rule = 'plausibility'
        """,
        [run_id, as_of_date, entity.name, entity.name],
    )


def _plan(entity: Entity, checks: list[ContractCheck]) -> list[PlannedCheck]:
    """Every rule that runs on the entity, for check_results (failing or not)."""
    plan = [
        PlannedCheck(entity.name, c.rule, c.column, "block", "gx", c.description) for c in checks
    ]
    plan += [
        PlannedCheck(
            entity.name, "type", c.name, "block", "parser", f"{c.name} must be a valid {c.type}"
        )
        for c in entity.columns
        if c.type not in {"text", "enum"}
    ]
    plan.append(
        PlannedCheck(
            entity.name,
            "uniqueness",
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
            "reference",
            c.name,
            "block",
            "sql",
            f"{c.name} must match a {c.references.entity} record",
        )
        for c in entity.columns
        if c.references is not None
    ]
    return plan


def _write_check_results(
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
            "count(distinct row_id) from dq_failures group by all"
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
        rows.append(
            _result_row(
                outcome,
                check.entity,
                check.rule,
                check.column,
                check.severity,
                failed,
                check.source,
                check.description,
                checked_at,
            )
        )
    for key, (failed, source) in counts.items():
        if key not in seen:
            entity, rule, column, severity = key
            rows.append(
                _result_row(
                    outcome,
                    entity,
                    rule,
                    column,
                    severity,
                    failed,
                    source,
                    f"{rule} problems found",
                    checked_at,
                )
            )
    for name, result in outcome.entities.items():
        rows.append(
            (
                outcome.run_id,
                outcome.as_of_date,
                checked_at,
                name,
                "quarantine_rate",
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
        )
    for error in outcome.infrastructure_errors:
        rows.append(
            (
                outcome.run_id,
                outcome.as_of_date,
                checked_at,
                "(all)",
                "infrastructure",
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
        )
    insert_check_results(con, rows)


def _result_row(
    outcome: QualityOutcome,
    entity: str,
    rule: str,
    column: str | None,
    severity: str,
    failed: int,
    source: str,
    description: str,
    checked_at: dt.datetime,
) -> tuple[object, ...]:
    checked = outcome.entities[entity].rows_checked if entity in outcome.entities else 0
    rate = failed / checked if checked else None
    # counted-only rules (legacy customers) are allowed: counted, yet passed
    status = check_status(severity, 0 if rule in COUNTED_ONLY else failed)
    return (
        outcome.run_id,
        outcome.as_of_date,
        checked_at,
        entity,
        rule,
        column,
        severity,
        checked,
        failed,
        rate,
        status,
        status == "pass",
        source,
        description,
    )


def _update_file_loads(con: duckdb.DuckDBPyConnection, entity: str, released_rows: bool) -> None:
    """rows_quarantined = rows of the file with an active quarantine; rows_loaded the rest.

    Files checked in this build, plus (after a release) every loaded file of the entity,
    so that rows_read = rows_loaded + rows_quarantined stays true for every file.
    """
    scope = (
        ""
        if released_rows
        else f"and file_loads.file_hash in (select _file_hash from {_new_rows(entity)})"
    )
    params: list[object] = [entity]
    con.execute(
        f"""
        update {DQ_SCHEMA}.file_loads
        set rows_quarantined = coalesce((
                select count(distinct quarantine.row_id)
                from {DQ_SCHEMA}.quarantine as quarantine
                join raw.{entity} as landed on landed._row_id = quarantine.row_id
                where quarantine.entity = file_loads.entity
                  and quarantine.released_at is null
                  and landed._file_hash = file_loads.file_hash), 0),
            rows_loaded = rows_read - coalesce((
                select count(distinct quarantine.row_id)
                from {DQ_SCHEMA}.quarantine as quarantine
                join raw.{entity} as landed on landed._row_id = quarantine.row_id
                where quarantine.entity = file_loads.entity
                  and quarantine.released_at is null
                  and landed._file_hash = file_loads.file_hash), 0)
        where file_loads.entity = ? and file_loads.status = 'loaded' {scope}
        """,
        params,
    )


def _write_scorecard(
    con: duckdb.DuckDBPyConnection, entity: Entity, run_id: str, as_of_date: dt.date
) -> None:
    """Per owner: rows of the files loaded for D, how many are held back, share clean.

    Owners are masked (core.masking.mask_identifier): two owners never merge.
    """
    owner = _q(entity.owner_column)
    con.execute(
        f"delete from {DQ_SCHEMA}.owner_scorecard where as_of_date = ? and entity = ?",
        [as_of_date, entity.name],
    )
    con.execute(
        f"""
        insert into {DQ_SCHEMA}.owner_scorecard
        with rows_for_day as (
            select landed._row_id,
                   coalesce({sql_mask_identifier(f"landed.{owner}")}, '{NO_OWNER}') as owner
            from raw.{entity.name} as landed
            where landed._file_hash in (
                select file_hash from {DQ_SCHEMA}.file_loads
                where as_of_date = ? and status = 'loaded' and entity = ?)
        ),
        held_back as (
            select distinct row_id from {DQ_SCHEMA}.quarantine
            where entity = ? and released_at is null
        )
        select ?, rows_for_day.owner, ?, count(*) as records,
               count(held_back.row_id) as quarantined,
               1.0 - count(held_back.row_id) * 1.0 / count(*) as completeness_rate, ?
        from rows_for_day
        left join held_back on held_back.row_id = rows_for_day._row_id
        group by rows_for_day.owner
        """,
        [as_of_date, entity.name, entity.name, as_of_date, entity.name, run_id],
    )


def _rejected_files(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rejected files still holding the gate (whichever build rejected them)."""
    return [
        state.error or f"{state.file_path} was rejected"
        for state in latest_file_states(con).values()
        if state.status == "rejected"
    ]


def _quarantined_new_rows(con: duckdb.DuckDBPyConnection, entity: str) -> int:
    """Rows checked in this build that are held back now."""
    return int(
        con.execute(
            f"select count(distinct row_id) from {DQ_SCHEMA}.quarantine "
            f"where entity = ? and released_at is null "
            f"and row_id in (select _row_id from {_new_rows(entity)})",
            [entity],
        ).fetchone()[0]
    )


def _mark_checked(
    con: duckdb.DuckDBPyConnection,
    outcome: EntityOutcome,
    run_id: str,
    as_of_date: dt.date,
    checked_at: dt.datetime,
) -> None:
    """One checked_loads row per file load checked; a rate breach holds its files."""
    entity = outcome.entity
    con.execute(
        f"""
        insert into {DQ_SCHEMA}.checked_loads
        with held_back as (
            select distinct row_id from {DQ_SCHEMA}.quarantine
            where entity = '{entity}' and released_at is null
        )
        select ?, ?, ?, '{entity}', new_rows._source_file, new_rows._file_hash,
               new_rows._load_seq, count(*), count(held_back.row_id)
        from {_new_rows(entity)} as new_rows
        left join held_back on held_back.row_id = new_rows._row_id
        group by new_rows._source_file, new_rows._file_hash, new_rows._load_seq
        """,
        [run_id, as_of_date, checked_at],
    )
    # a loaded file without rows (header only) is checked too
    con.execute(
        f"insert into {DQ_SCHEMA}.checked_loads "
        f"select ?, ?, ?, '{entity}', file_path, file_hash, load_seq, 0, 0 "
        f"from ({_pending_loads_sql(entity)})",
        [run_id, as_of_date, checked_at],
    )
    if outcome.within_limit:
        return
    rate = outcome.quarantine_rate or 0.0
    reason = (
        f"{entity}: {outcome.rows_quarantined} of {outcome.rows_checked} new rows "
        f"quarantined ({rate:.1%}), above the limit of {outcome.limit:.0%}"
    )
    con.execute(
        f"insert into {DQ_SCHEMA}.gate_holds "
        "select ?, ?, ?, entity, file_path, file_hash, ? "
        f"from {DQ_SCHEMA}.checked_loads "
        "where run_id = ? and entity = ? and checked_at = ? and rows_quarantined > 0",
        [run_id, as_of_date, checked_at, reason, run_id, entity, checked_at],
    )


# ------------------------------------------------------------------------------ entry
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


def _check_pending_rows(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str,
    as_of_date: dt.date,
    validator: GxValidator | None,
) -> QualityOutcome:
    """The step's body, inside the caller's transaction."""
    contract = load_contract()
    entities = list(contract.entities.values())
    started = _now()
    _create_failures(con)
    outcome = QualityOutcome(run_id, as_of_date, rejected_files=_rejected_files(con))
    sizes = {e.name: _stage_new_rows(con, e.name) for e in entities}
    for entity in entities:
        _reset_pending(con, entity.name, run_id)
    plan: list[PlannedCheck] = []

    # 1. Row rules: parser problems, the GX suites, uniqueness.
    checks = {e.name: contract_checks(e, settings) for e in entities}
    gx = validator
    for entity in entities:
        plan += _plan(entity, checks[entity.name])
        if not sizes[entity.name]:
            continue
        _parser_failures(con, entity)
        _uniqueness_failures(con, entity)
        try:
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
        outcome.infrastructure_errors += _gx_failures(con, gx, entity, checks[entity.name])
    _drop_consequential(con)
    row_rules = ("type", "required", "conditional", "range", "enumeration", "uniqueness")
    for entity in entities:
        _write_quarantine(con, entity, run_id, as_of_date, started, row_rules)

    # 2. Cross-entity rules, against what is clean now; then release resolved orphans.
    for entity in entities:
        if sizes[entity.name]:
            _reference_failures(con, entity)
            _write_quarantine(con, entity, run_id, as_of_date, started, ("reference",))
    released_by_entity = {e.name: _release_references(con, e, started) for e in entities}
    outcome.rows_released = sum(released_by_entity.values())

    # 3. Warn-only plausibility.
    for entity in entities:
        if sizes[entity.name]:
            _plausibility_stage_skips(con, entity, settings)
            _plausibility_future(con, entity, as_of_date)
            _plausibility_amounts(con, entity, settings)
            _write_findings(con, entity, run_id, as_of_date)
            if _legacy_accounts(con, entity):
                plan.append(
                    PlannedCheck(
                        entity.name,
                        "legacy_account",
                        "account_key",
                        "warn",
                        "sql",
                        "service records of customers no lead knows "
                        "(legacy customers: allowed, only counted)",
                    )
                )
    plan += [
        PlannedCheck(
            e.name,
            "plausibility",
            None,
            "warn",
            "sql",
            "stage skips, events after D, outlier amounts",
        )
        for e in entities
    ]

    # 4. Counts, results, file loads, scorecard.
    for entity in entities:
        outcome.entities[entity.name] = EntityOutcome(
            entity.name,
            sizes[entity.name],
            _quarantined_new_rows(con, entity.name),
            settings.quality.limit_for(entity.name),
        )
        _update_file_loads(con, entity.name, released_by_entity[entity.name] > 0)
        _write_scorecard(con, entity, run_id, as_of_date)
        if not outcome.infrastructure_errors:  # else the rows stay pending, re-checked
            _mark_checked(con, outcome.entities[entity.name], run_id, as_of_date, started)
    _collapse_plausibility(con)
    _write_check_results(con, plan, outcome, started)
    con.execute("drop table if exists dq_failures")
    for entity in entities:
        con.execute(f"drop table if exists {_new_rows(entity.name)}")
    return outcome


def _collapse_plausibility(con: duckdb.DuckDBPyConnection) -> None:
    """Plausibility is reported as one warn rule per entity (column = null)."""
    con.execute("update dq_failures set column_name = null where rule = 'plausibility'")


def examples_by_rule(
    con: duckdb.DuckDBPyConnection, run_id: str, limit: int = 10
) -> dict[tuple[str, str], list[str]]:
    """(entity, rule) -> up to ``limit`` example record ids quarantined or flagged this run."""
    rows = con.execute(
        f"""
        with flagged as (
            select entity, rule, record_id from {DQ_SCHEMA}.quarantine where run_id = ?
            union
            select entity, rule, record_id from {DQ_SCHEMA}.plausibility_findings
            where run_id = ?
        )
        select entity, rule, record_id from flagged
        where record_id is not null order by entity, rule, record_id
        """,
        [run_id, run_id],
    ).fetchall()
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    for entity, rule, record_id in rows:
        if len(examples[(entity, rule)]) < limit:
            examples[(entity, rule)].append(str(record_id))
    return dict(examples)
