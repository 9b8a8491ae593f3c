"""``data_quality.owner_scorecard``: per owner, how much of the day's data is usable.

For the files loaded for D: each owner's rows, how many are held back, and the share
clean. Owners are masked (core.masking.mask_identifier) the way the quarantine masks them,
so two owners never merge and no phone or e-mail typed as an owner is shown.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from core.contract import Entity
from core.masking import sql_mask_identifier
from core.quality_tables import DQ_SCHEMA
from quality.rules.new_rows import quote

NO_OWNER = "(no owner)"


def write_scorecard(
    con: duckdb.DuckDBPyConnection, entity: Entity, run_id: str, as_of_date: dt.date
) -> None:
    """Replace the entity's scorecard rows for D from raw and the active quarantine."""
    owner = quote(entity.owner_column)
    con.execute(
        f"delete from {DQ_SCHEMA}.owner_scorecard where as_of_date = ? and entity = ?",
        [as_of_date, entity.name],
    )
    # Counted per owner as written, then masked: the masking rule runs once per owner,
    # not once per row, and owners it masks alike are summed (grouping by the masked
    # value directly gives the same rows).
    con.execute(
        f"""
        insert into {DQ_SCHEMA}.owner_scorecard
        with rows_for_day as (
            select landed._row_id, landed.{owner} as owner_as_written
            from raw.{entity.name} as landed
            where landed._file_hash in (
                select file_hash from {DQ_SCHEMA}.file_loads
                where as_of_date = ? and status = 'loaded' and entity = ?)
        ),
        held_back as (
            select distinct row_id from {DQ_SCHEMA}.quarantine
            where entity = ? and released_at is null
        ),
        per_owner_as_written as (
            select rows_for_day.owner_as_written, count(*) as records,
                   count(held_back.row_id) as quarantined
            from rows_for_day
            left join held_back on held_back.row_id = rows_for_day._row_id
            group by rows_for_day.owner_as_written
        ),
        per_owner as (
            select coalesce({sql_mask_identifier("owner_as_written")}, '{NO_OWNER}') as owner,
                   cast(sum(records) as bigint) as records,
                   cast(sum(quarantined) as bigint) as quarantined
            from per_owner_as_written
            group by 1
        )
        select ?, owner, ?, records, quarantined,
               1.0 - quarantined * 1.0 / records as completeness_rate, ?
        from per_owner
        """,
        [as_of_date, entity.name, entity.name, as_of_date, entity.name, run_id],
    )
