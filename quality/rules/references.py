"""``reference``: a row pointing at a record that does not exist (yet), and its release.

A follow-up may land before its lead. Its row is quarantined while no clean raw row has
the referenced key, re-checked every build, and released (``released_at`` set, the row
kept) once the referenced record has arrived: the release is part of the rule, so both
live here.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from core.contract import Entity
from core.quality_tables import DQ_SCHEMA
from core.rules import Rule
from quality.rules.new_rows import FAILURES, new_rows_table, quote


def _clean_keys(entity: str, column: str) -> str:
    """Values of ``entity.column`` on raw rows without an active quarantine."""
    return (
        f"select {quote(column)} as key_value from raw.{entity} "
        f"where {quote(column)} is not null and _row_id not in ("
        f"select row_id from {DQ_SCHEMA}.quarantine "
        f"where entity = '{entity}' and released_at is null and row_id is not null)"
    )


def reference_failures(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """New rows whose referenced record exists nowhere in the clean raw layer."""
    for col in entity.columns:
        if col.references is None:
            continue
        ref = col.references
        con.execute(
            f"""
            insert into {FAILURES}
            select '{entity.name}', new_rows._row_id, '{Rule.REFERENCE}', '{col.name}',
                   '{col.name} ' || new_rows.{quote(col.name)} || ' matches no {ref.entity} '
                   || 'record (yet)', 'sql', 'block'
            from {new_rows_table(entity.name)} as new_rows
            where new_rows.{quote(col.name)} is not null
              and not exists (
                  select 1 from ({_clean_keys(ref.entity, ref.column)}) as known_records
                  where known_records.key_value = new_rows.{quote(col.name)})
            """
        )


def release_references(
    con: duckdb.DuckDBPyConnection, entity: Entity, released_at: dt.datetime
) -> int:
    """Release earlier reference quarantines whose referenced record now exists; how many."""
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
            where quarantine.entity = '{entity.name}' and quarantine.rule = '{Rule.REFERENCE}'
              and quarantine.released_at is null
              and exists (
                  select 1 from ({_clean_keys(ref.entity, ref.column)}) as known_records
                  where known_records.key_value = landed.{quote(col.name)})
            """
        ).fetchall()
        row_ids = sorted({row_id for (row_id,) in candidates})
        if row_ids:
            con.execute(
                f"update {DQ_SCHEMA}.quarantine set released_at = ? "
                f"where entity = ? and rule = '{Rule.REFERENCE}' and released_at is null "
                f"and row_id in (select unnest(?))",
                [released_at, entity.name, row_ids],
            )
            released += len(row_ids)
    return released
