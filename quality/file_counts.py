"""Per-file bookkeeping of a quality run: ``file_loads`` counts, ``checked_loads``,
``gate_holds``, and the rejected files still holding the gate.

rows_read = rows_loaded + rows_quarantined must hold for every file at all times, so the
counts are recomputed from the active quarantine rather than incremented. The
``checked_loads`` rows are what makes rows "checked": they are written last, and only when
the checks ran, so a failed check leaves its rows pending for the next build.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from core.quality_tables import DQ_SCHEMA
from ingestion.loader import latest_file_states
from quality.outcome import EntityOutcome
from quality.rules.new_rows import new_rows_table, pending_loads_sql, pending_loads_table


def rejected_files(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rejected files still holding the gate (whichever build rejected them)."""
    return [
        state.error or f"{state.file_path} was rejected"
        for state in latest_file_states(con).values()
        if state.status == "rejected"
    ]


def update_file_loads(con: duckdb.DuckDBPyConnection, entity: str, released_rows: bool) -> None:
    """rows_quarantined = rows of the file with an active quarantine; rows_loaded the rest.

    Files checked in this build, plus (after a release) every loaded file of the entity,
    so that rows_read = rows_loaded + rows_quarantined stays true for every file.
    """
    # read from the few pending loads, not from every new row; a pending load without
    # rows is recounted too, to the zeros it already holds
    scope = (
        ""
        if released_rows
        else f"and file_loads.file_hash in (select file_hash from {pending_loads_table(entity)})"
    )
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
        [entity],
    )


def mark_checked(
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
        from {new_rows_table(entity)} as new_rows
        left join held_back on held_back.row_id = new_rows._row_id
        group by new_rows._source_file, new_rows._file_hash, new_rows._load_seq
        """,
        [run_id, as_of_date, checked_at],
    )
    # a loaded file without rows (header only) is checked too
    con.execute(
        f"insert into {DQ_SCHEMA}.checked_loads "
        f"select ?, ?, ?, '{entity}', file_path, file_hash, load_seq, 0, 0 "
        f"from ({pending_loads_sql(entity)})",
        [run_id, as_of_date, checked_at],
    )
    if not outcome.within_limit:
        _hold_gate(con, outcome, run_id, as_of_date, checked_at)


def _hold_gate(
    con: duckdb.DuckDBPyConnection,
    outcome: EntityOutcome,
    run_id: str,
    as_of_date: dt.date,
    checked_at: dt.datetime,
) -> None:
    """A rate breach: a gate_holds row for every file of it with a quarantined row."""
    rate = outcome.quarantine_rate or 0.0
    reason = (
        f"{outcome.entity}: {outcome.rows_quarantined} of {outcome.rows_checked} new rows "
        f"quarantined ({rate:.1%}), above the limit of {outcome.limit:.0%}"
    )
    con.execute(
        f"insert into {DQ_SCHEMA}.gate_holds "
        "select ?, ?, ?, entity, file_path, file_hash, ? "
        f"from {DQ_SCHEMA}.checked_loads "
        "where run_id = ? and entity = ? and checked_at = ? and rows_quarantined > 0",
        [run_id, as_of_date, checked_at, reason, run_id, outcome.entity, checked_at],
    )
