"""``plausibility`` (warn only): values that parse and pass the contract yet look wrong.

Three findings, never quarantined, kept row by row in ``plausibility_findings`` for the
report: a lead version skipping a stage, a required event timestamp after the business
date D, and an amount far above its source's median (spec/quality.md). The thresholds come
from the settings, never from this module.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from core.contract import Entity
from core.quality_tables import DQ_SCHEMA
from core.rules import Rule
from core.settings import Settings
from quality.rules.new_rows import FAILURES, every_row_is_new, new_rows_table, quote
from quality.rules.versions import version_order


def plausibility_failures(
    con: duckdb.DuckDBPyConnection, entity: Entity, settings: Settings, as_of_date: dt.date
) -> None:
    """All three plausibility findings of the entity's new rows."""
    _stage_skips(con, entity, settings)
    _after_business_date(con, entity, as_of_date)
    _outlier_amounts(con, entity, settings)


def _stage_order_case(settings: Settings, column: str) -> str:
    """SQL giving a stage key its 1-based position in the configured stage order."""
    whens = " ".join(f"when '{v.key}' then {i + 1}" for i, v in enumerate(settings.enums["stage"]))
    return f"case {column} {whens} end"


def _stage_skips(con: duckdb.DuckDBPyConnection, entity: Entity, settings: Settings) -> None:
    """A lead version whose stage jumps more than one step forward from the version
    before it (moving to a terminal stage with probability 0, i.e. lost, is no skip).

    The history is every clean version of the ids with new rows (all of them on a first
    build: then the filter that finds those ids is left out), ordered by the typed version.
    Skips found in it are joined to the new rows by row id, so a file copied under another
    path (the same row ids) reports what it always did.
    """
    if entity.kind != "versioned" or "stage" not in entity.column_names:
        return
    falls = [f"'{v.key}'" for v in settings.enums["stage"] if v.terminal and not v.probability]
    not_fall = f"and new_rows.stage not in ({', '.join(falls)})" if falls else ""
    rid = quote(entity.record_id)
    new_rows = new_rows_table(entity.name)
    ids = f"landed.{rid} is not null"
    if not every_row_is_new(con, entity.name):
        ids = f"landed.{rid} in (select {rid} from {new_rows})"
    con.execute(
        f"""
        insert into {FAILURES}
        with history as (
            select landed._row_id, landed.stage,
                   lag(landed.stage) over (
                       partition by landed.{rid}
                       order by {version_order(entity)}, landed._load_seq,
                                landed._source_row
                   ) as previous_stage
            from raw.{entity.name} as landed
            where {ids}
              and landed._row_id not in (
                  select row_id from {DQ_SCHEMA}.quarantine
                  where entity = '{entity.name}' and released_at is null
                    and row_id is not null)
        )
        select '{entity.name}', history._row_id, '{Rule.PLAUSIBILITY}', 'stage',
               'stage moved from ' || history.previous_stage || ' to ' || history.stage
               || ', skipping a stage', 'sql', 'warn'
        from history
        join {new_rows} as new_rows on new_rows._row_id = history._row_id
        where {_stage_order_case(settings, "history.stage")}
              - {_stage_order_case(settings, "history.previous_stage")} > 1
          {not_fall}
        """
    )


def _after_business_date(
    con: duckdb.DuckDBPyConnection, entity: Entity, as_of_date: dt.date
) -> None:
    """A required event timestamp (occurred_at, opened_at, created_at) after the day D."""
    day_after = as_of_date + dt.timedelta(days=1)
    for col in entity.columns:
        if col.type != "timestamp" or not col.required:
            continue
        con.execute(
            f"""
            insert into {FAILURES}
            select '{entity.name}', _row_id, '{Rule.PLAUSIBILITY}', '{col.name}',
                   '{col.name} ' || cast({quote(col.name)} as varchar)
                   || ' is after the business date {as_of_date.isoformat()}', 'sql', 'warn'
            from {new_rows_table(entity.name)}
            where {quote(col.name)} >= ?
            """,
            [dt.datetime.combine(day_after, dt.time())],
        )


def _outlier_amounts(con: duckdb.DuckDBPyConnection, entity: Entity, settings: Settings) -> None:
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
        value = quote(col.name)
        con.execute(
            f"""
            insert into {FAILURES}
            with medians as (
                select {group} as amount_group, median({value}) as median_amount
                from raw.{entity.name}
                where {value} > 0 and _row_id not in (
                    select row_id from {DQ_SCHEMA}.quarantine
                    where entity = '{entity.name}' and released_at is null
                      and row_id is not null)
                group by 1
            )
            select '{entity.name}', new_rows._row_id, '{Rule.PLAUSIBILITY}', '{col.name}',
                   '{col.name} ' || cast(new_rows.{value} as varchar) || ' is more than '
                   || '{multiple:g} times the median ' || cast(medians.median_amount as varchar)
                   || '{" of source " if has_source else ""}'
                   {"|| new_rows.source" if has_source else ""}, 'sql', 'warn'
            from {new_rows_table(entity.name)} as new_rows
            join medians on medians.amount_group = {"new_rows.source" if has_source else "'all'"}
            where new_rows.{value} > {multiple} * medians.median_amount
            """
        )
