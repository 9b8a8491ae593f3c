"""Writers of ``data_quality.quarantine`` and ``plausibility_findings`` from the failures.

Blocking findings become quarantine rows (one per raw row and rule, every column of that
rule in one row), warnings become plausibility findings. Record id, owner and detail pass
through the one masking rule (core.masking) on the way in: a phone or e-mail typed into
them never reaches ``data_quality``; ``row_id`` stays the raw key so staging can hold the
row back.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import duckdb

from core.contract import Entity
from core.masking import sql_mask_identifier, sql_mask_text
from core.quality_tables import DQ_SCHEMA
from core.rules import Rule
from quality.rules.new_rows import FAILURES, new_rows_table, quote

# The row rules, quarantined together before the reference rule looks at what is clean.
ROW_RULES = (
    Rule.TYPE,
    Rule.REQUIRED,
    Rule.CONDITIONAL,
    Rule.RANGE,
    Rule.ENUMERATION,
    Rule.UNIQUENESS,
)


def drop_consequential(con: duckdb.DuckDBPyConnection) -> None:
    """An unparseable value is NULL in its typed column: report it as a type problem only,
    not also as missing; the parser's and GX's enumeration findings count once."""
    con.execute(
        f"""
        delete from {FAILURES}
        where rule in ('{Rule.REQUIRED}', '{Rule.CONDITIONAL}') and exists (
            select 1 from {FAILURES} as type_problems
            where type_problems.rule = '{Rule.TYPE}'
              and type_problems.entity = {FAILURES}.entity
              and type_problems.row_id = {FAILURES}.row_id
              and type_problems.column_name = {FAILURES}.column_name)
        """
    )


def write_quarantine(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    run_id: str,
    as_of_date: dt.date,
    quarantined_at: dt.datetime,
    rules: tuple[Rule, ...],
) -> None:
    """One quarantine row per (row, rule) of the given rules, with file, row, id, owner."""
    rule_list = ", ".join(f"'{r}'" for r in rules)
    new_rows = new_rows_table(entity.name)
    con.execute(
        f"""
        insert into {DQ_SCHEMA}.quarantine
        with findings as (
            select row_id, rule, column_name, min(detail) as detail
            from {FAILURES}
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
               {sql_mask_identifier(f"new_rows.{quote(entity.record_id)}")},
               {sql_mask_identifier(f"new_rows.{quote(entity.owner_column)}")},
               per_row_rule.rule, per_row_rule.column_name,
               {sql_mask_text("per_row_rule.detail")},
               ?, null, per_row_rule.row_id
        from per_row_rule
        join {new_rows} as new_rows on new_rows._row_id = per_row_rule.row_id
        """,
        [entity.name, run_id, as_of_date, entity.name, quarantined_at],
    )


def write_findings(
    con: duckdb.DuckDBPyConnection, entity: Entity, run_id: str, as_of_date: dt.date
) -> None:
    """Warn-only findings, row by row, so the report can name records and owners (masked
    like the quarantine's)."""
    new_rows = new_rows_table(entity.name)
    con.execute(
        f"""
        insert into {DQ_SCHEMA}.plausibility_findings
        select ?, ?, ?, new_rows._source_file, new_rows._source_row,
               {sql_mask_identifier(f"new_rows.{quote(entity.record_id)}")},
               {sql_mask_identifier(f"new_rows.{quote(entity.owner_column)}")},
               {FAILURES}.rule, {FAILURES}.column_name,
               {sql_mask_text(f"{FAILURES}.detail")}, {FAILURES}.row_id
        from {FAILURES}
        join {new_rows} as new_rows on new_rows._row_id = {FAILURES}.row_id
        where {FAILURES}.entity = ? and {FAILURES}.severity = 'warn'
          and {FAILURES}.rule = '{Rule.PLAUSIBILITY}'
        """,
        [run_id, as_of_date, entity.name, entity.name],
    )


def collapse_plausibility(con: duckdb.DuckDBPyConnection) -> None:
    """Plausibility is reported as one warn rule per entity (column = null)."""
    con.execute(f"update {FAILURES} set column_name = null where rule = '{Rule.PLAUSIBILITY}'")


def quarantined_new_rows(con: duckdb.DuckDBPyConnection, entity: str) -> int:
    """Rows checked in this build that are held back now."""
    return int(
        con.execute(
            f"select count(distinct row_id) from {DQ_SCHEMA}.quarantine "
            f"where entity = ? and released_at is null "
            f"and row_id in (select _row_id from {new_rows_table(entity)})",
            [entity],
        ).fetchone()[0]
    )


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
