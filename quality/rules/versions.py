"""``uniqueness``: one version of a record per load, and the version key rules share.

A versioned record (a lead) may land many times; sources.md keeps every version and lets
a later file win. Inside one file, though, two *different* rows with the same record id
and version contradict each other, and nothing says which is right: every such row is
quarantined. Identical copies are no conflict.
"""

from __future__ import annotations

import duckdb

from core.contract import Entity
from core.rules import Rule
from quality.rules.new_rows import FAILURES, new_rows_table, quote


def version_key(entity: Entity) -> str:
    """SQL for a row's version as text: the version column, else its default ('' if none)."""
    version = entity.column(entity.version_column)
    parts = [f"cast({quote(version.name)} as varchar)"]
    if version.default_from:
        parts.append(f"cast({quote(version.default_from)} as varchar)")
    return f"coalesce({', '.join(parts)}, '')"


def version_value(entity: Entity) -> str:
    """SQL for a row's version as a typed value where that groups rows as ``version_key`` does.

    Casting a timestamp or date to text is one-to-one, so grouping by the typed value
    (null for the empty text) gives the same groups without casting every row (issue 14);
    other types, or a default of another type, keep the text key.
    """
    version = entity.column(entity.version_column)
    default = entity.column(version.default_from) if version.default_from else None
    if version.type not in {"timestamp", "date"} or (default and default.type != version.type):
        return version_key(entity)
    parts = [quote(version.name), *([quote(default.name)] if default else [])]
    return f"coalesce({', '.join(parts)})"


def version_order(entity: Entity) -> str:
    """SQL ordering rows by version as ``version_key`` orders them, on the typed value where
    that gives the same order.

    Both parsers keep timestamps and dates within the years 1900-2200
    (``ingestion.parsing.YEAR_RANGE``), where the text form sorts like the value; the empty
    text of a missing version sorts first, hence ``nulls first``. Sorting by the value saves
    casting every row of the history to text (issue 14).
    """
    value = version_value(entity)
    if value == version_key(entity):
        return value
    return f"{value} nulls first"


def uniqueness_failures(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """Two different rows with the same record id and version in one load (one file): all
    of them. Across files the later file wins (sources.md), so that is no conflict."""
    content = ", ".join(
        f"coalesce(cast({quote(c)} as varchar), '<null>')" for c in entity.column_names
    )
    rid = quote(entity.record_id)
    new_rows = new_rows_table(entity.name)
    # Only rows sharing their (file, id, version) with another row can conflict: find
    # those first, so the content of the other ~all rows is never hashed. A repeat shows
    # as two equal 64-bit hashes of the three next to each other once the hashes are
    # sorted, which costs less than grouping every new row by the three values (a
    # 64-character file hash among them) or by the hash; rows whose hash repeats are then
    # grouped by the values themselves, so a collision only adds a candidate (issue 14).
    key = f"hash(_file_hash, {rid}, {version_value(entity)})"
    con.execute(
        f"""
        insert into {FAILURES}
        with sorted_hashes as (
            select key_hash, lag(key_hash) over (order by key_hash) as previous_hash
            from (select {key} as key_hash from {new_rows} where {rid} is not null)
        ),
        repeated_hashes as (
            select distinct key_hash from sorted_hashes where key_hash = previous_hash
        ),
        repeated_versions as (
            select _file_hash, {rid} as record_id, {version_value(entity)} as version
            from {new_rows}
            where {rid} is not null
              and {key} in (select key_hash from repeated_hashes)
            group by all
            having count(*) > 1
        ),
        versions as (
            select new_rows._row_id, new_rows._file_hash, repeated_versions.record_id,
                   repeated_versions.version, {version_key(entity)} as version_key,
                   md5(concat_ws('|', {content})) as content_hash
            from {new_rows} as new_rows
            join repeated_versions
              on repeated_versions._file_hash = new_rows._file_hash
             and repeated_versions.record_id = new_rows.{rid}
             and repeated_versions.version is not distinct from {version_value(entity)}
        ),
        conflicting_versions as (
            select _file_hash, record_id, version, count(*) as copies
            from versions
            group by _file_hash, record_id, version
            having count(distinct content_hash) > 1
        )
        select '{entity.name}', versions._row_id, '{Rule.UNIQUENESS}', '{entity.record_id}',
               cast(conflicting_versions.copies as varchar) || ' different rows share '
               || '{entity.record_id} ' || versions.record_id || ' and '
               || '{entity.version_column} ' || versions.version_key,
               'sql', 'block'
        from versions
        join conflicting_versions
          on versions._file_hash = conflicting_versions._file_hash
         and versions.record_id = conflicting_versions.record_id
         and versions.version is not distinct from conflicting_versions.version
        """
    )
