"""Load a CSV file into ``raw.<entity>`` inside DuckDB: the fast path of the loader (issue 14).

DuckDB reads the file as text (``read_csv`` with every column VARCHAR, no header, no
sniffing), the contract's SQL (:mod:`ingestion.sql_parsing`) types the canonical values,
the reference parser types the rest once per distinct text, and one INSERT ... SELECT
writes the rows with their ``_raw``, ``_errors`` and ``_account_key``.

The Python reader (:func:`ingestion.readers.read_csv`) stays the authority on structure:
this path only takes a file whose structure leaves no room for the two readers to differ,
and says ``None`` (the caller falls back to the Python reader, which then writes the exact
sentence of any structure rule) for anything else:

- UTF-8 text (a BOM is fine), header in the first line, every line ending in ``\\n`` or
  ``\\r\\n`` (no lone CR, the last line terminated), no NUL byte;
- quotes, if any, only around whole fields (a regular expression over the bytes);
- DuckDB's strict reader loads it, one record per line (no blank line, no line break
  inside a quoted field), and its first record equals Python's ``csv`` header.

Then the row number of a record is its line number, as the Python reader counts it, and
rows whose cells are all blank are skipped as the Python reader skips them.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import mmap
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.contract import Entity
from core.raw_schema import RAW_SCHEMA, SQL_TYPES
from ingestion.parsing import ColumnParser
from ingestion.readers import _blank, _header_names
from ingestion.sql_parsing import (
    ColumnSql,
    account_keys,
    ascii_account_key_sql,
    blank_sql,
    column_sql,
    literal,
    printable_ascii_sql,
    reference_results,
)

STAGE_TABLE = "_engine_csv"
ROWS_TABLE = "_engine_rows"
_BLOCK = 1 << 24
_FIELD = rb'(?:"[^"]*+(?:""[^"]*+)*+"|[^",\r\n]*+)'
# A CSV file whose quotes only ever enclose whole fields, every line terminated.
_WELL_QUOTED = re.compile(rb"(?:" + _FIELD + rb"(?:," + _FIELD + rb")*+\r?\n)*+")
_LONE_CR = re.compile(rb"\r(?!\n)")


@dataclass(frozen=True)
class StagedCsv:
    """A CSV file loaded as text into the temporary ``STAGE_TABLE`` (c0, c1, ...)."""

    headers: list[str]
    lines: int  # records in the file, header included


@dataclass(frozen=True)
class FileMeta:
    """Lineage values every raw row of the file carries."""

    rel: str
    file_hash: str
    load_seq: int
    loaded_at: dt.datetime


def _plain_lines(path: Path) -> int | None:
    """Number of lines when the bytes pass the structure pre-check, else ``None``."""
    if path.stat().st_size == 0:
        return None
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
        if m[-1:] != b"\n" or m.find(b"\x00") != -1 or _LONE_CR.search(m):
            return None
        if m.find(b'"') != -1 and _WELL_QUOTED.fullmatch(m) is None:
            return None
        return sum(m[i : i + _BLOCK].count(b"\n") for i in range(0, len(m), _BLOCK))


def _first_record(path: Path) -> list[str] | None:
    """The first line's cells as Python's ``csv`` reads them (``None``: not a plain header)."""
    with open(path, "rb") as handle:
        line = handle.readline()
    try:
        cells = next(csv.reader([line.decode("utf-8-sig")], strict=True))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    return None if _blank(cells) else cells


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    except LookupError:
        return False


def stage_csv(
    con: duckdb.DuckDBPyConnection, path: Path, encoding: str, header_row: int
) -> StagedCsv | None:
    """Load the file as text into ``STAGE_TABLE``; ``None`` when the Python reader must read it."""
    if header_row != 1 or not _is_utf8(encoding):
        return None
    lines = _plain_lines(path)
    cells = _first_record(path) if lines else None
    if cells is None or lines is None:
        return None
    columns = ", ".join(f"'c{i}': 'varchar'" for i in range(len(cells)))
    # force_not_null: an empty field is the text '' (as Python's csv reads it), never NULL
    not_null = ", ".join(f"'c{i}'" for i in range(len(cells)))
    try:
        con.execute(
            f"create or replace temp table {STAGE_TABLE} as select * from read_csv("
            f"{literal(str(path))}, header = false, auto_detect = false, delim = ',', "
            f"quote = '\"', escape = '\"', strict_mode = true, columns = {{{columns}}}, "
            f"force_not_null = [{not_null}])"
        )
    except duckdb.Error:
        drop_stage(con)
        return None
    if not _same_records(con, cells, lines):
        drop_stage(con)
        return None
    return StagedCsv(_header_names(cells), lines)


def _same_records(con: duckdb.DuckDBPyConnection, header: list[str], lines: int) -> bool:
    """One record per line, and DuckDB's first record is Python's header."""
    count = con.execute(f"select count(*) from {STAGE_TABLE}").fetchall()[0][0]
    if count != lines:
        return False
    first = con.execute(f"select * from {STAGE_TABLE} where rowid = 0").fetchall()
    return bool(first) and list(first[0]) == header


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the staged text table and its view."""
    con.execute(f"drop view if exists {ROWS_TABLE}")
    con.execute(f"drop table if exists {STAGE_TABLE}")


def _keep_rows(con: duckdb.DuckDBPyConnection, width: int) -> None:
    """``ROWS_TABLE``: a view of the data records (text, never NULL) with their line
    number, rows whose cells are all blank skipped (the Python reader skips them too).

    A view, not a copy: the text is staged once; the few queries that read it repeat
    only the blank-row test.
    """
    cells = ", ".join(f"c{i}" for i in range(width))
    # "some cell is not blank" as an OR chain: DuckDB stops at the first non-blank cell
    filled = " or ".join(f"not {blank_sql(f'c{i}')}" for i in range(width))
    con.execute(
        f"create or replace temp view {ROWS_TABLE} as "
        f"select rowid + 1 as _source_row, {cells} from {STAGE_TABLE} "
        f"where rowid > 0 and ({filled})"
    )


@dataclass(frozen=True)
class TypedColumn:
    """One mapped contract column: its cell, SQL, and reference join (if any)."""

    name: str
    cell: str
    sql_type: str
    value: str
    problem: str | None
    join: str | None


def typed_columns(
    con: duckdb.DuckDBPyConnection,
    parsers: dict[str, ColumnParser],
    positions: dict[str, int],
    aliases: dict[str, list[str]],
) -> list[TypedColumn]:
    """SQL of every mapped column; non-canonical texts parsed by the reference parser.

    One query collects, for every column, the distinct texts that are neither blank nor
    canonical; the reference results are registered as ``_engine_ref_<i>`` to join.
    """
    sqls = {}
    for name, position in positions.items():
        sqls[name] = column_sql(parsers[name], f"kept.c{position}", aliases.get(name, ()))
    todo = _non_canonical(con, positions, sqls)
    typed = []
    for index, (name, position) in enumerate(positions.items()):
        cell, sql = f"kept.c{position}", sqls[name]
        sql_type = SQL_TYPES[parsers[name].column.type]
        if sql.complete:
            typed.append(TypedColumn(name, cell, sql_type, sql.value, None, None))
        elif name not in todo:
            # every cell that is not blank is canonical: no second canonical test
            value = f"case when not {blank_sql(cell)} then {sql.value} end"
            typed.append(TypedColumn(name, cell, sql_type, value, None, None))
        else:
            ref = f"_engine_ref_{index}"
            con.register(ref, reference_results(parsers[name], todo[name]))
            fallback = f"cast({ref}.value as {sql_type})"
            # a cell is blank, one of the reference's texts, or else canonical
            value = (
                f"case when {ref}.cell is not null then {fallback} "
                f"when {blank_sql(cell)} then null else {sql.value} end"
            )
            join = f"left join {ref} on {ref}.cell = {cell}"
            typed.append(TypedColumn(name, cell, sql_type, value, f"{ref}.problem", join))
    return typed


def _non_canonical(
    con: duckdb.DuckDBPyConnection, positions: dict[str, int], sqls: dict[str, ColumnSql]
) -> dict[str, list[str]]:
    """Column -> its distinct cell texts that are neither blank nor canonical."""
    parts = [
        f"select distinct {literal(name)} as name, kept.c{positions[name]} as cell "
        f"from {ROWS_TABLE} as kept where not {blank_sql(f'kept.c{positions[name]}')} "
        f"and not {sql.canonical}"
        for name, sql in sqls.items()
        if not sql.complete
    ]
    todo: dict[str, list[str]] = {}
    if parts:
        for name, cell in con.execute(" union all ".join(parts)).fetchall():
            todo.setdefault(name, []).append(cell)
    return todo


def _account_key(
    con: duckdb.DuckDBPyConnection, entity: Entity, typed: list[TypedColumn]
) -> tuple[str, str | None]:
    """SQL of ``_account_key`` (account_id, else the normalised account_name) and a join."""
    by_name = {t.name: t for t in typed}
    if not {"account_name", "account_id"} & set(entity.column_names):
        return "null", None
    key, join = "null", None
    if "account_name" in by_name:
        name = by_name["account_name"].value
        todo = con.execute(
            f"select distinct {name} from {ROWS_TABLE} as kept "
            f"where {name} is not null and not {printable_ascii_sql(name)}"
        ).fetchall()
        key = f"case when {printable_ascii_sql(name)} then {ascii_account_key_sql(name)}"
        if todo:
            con.register("_engine_accounts", account_keys([row[0] for row in todo]))
            key += " else _engine_accounts.account_key"
            join = f"left join _engine_accounts on _engine_accounts.name = {name}"
        key += " end"
    if "account_id" in by_name:
        key = f"coalesce({by_name['account_id'].value}, {key})"
    return key, join


def insert_raw(
    con: duckdb.DuckDBPyConnection,
    staged: StagedCsv,
    entity: Entity,
    parsers: dict[str, ColumnParser],
    positions: dict[str, int],
    raw_keys: list[str],
    meta: FileMeta,
    aliases: dict[str, list[str]],
) -> int:
    """Append the staged file's rows to ``raw.<entity>`` in one statement; rows written.

    Raises a DuckDB error when a value cannot be stored (nothing is written then).
    """
    _keep_rows(con, len(staged.headers))
    registered = [f"_engine_ref_{i}" for i in range(len(positions))] + ["_engine_accounts"]
    try:
        typed = typed_columns(con, parsers, positions, aliases)
        account_key, account_join = _account_key(con, entity, typed)
        joins = [t.join for t in typed if t.join] + ([account_join] if account_join else [])
        problems = [t.problem for t in typed if t.problem]
        errors = f"'[' || concat_ws(', ', {', '.join(problems)}) || ']'" if problems else "'[]'"
        raw_pairs = ", ".join(f"{literal(key)}, kept.c{i}" for i, key in enumerate(raw_keys))
        raw_json = f"cast(json_object({raw_pairs}) as varchar)" if raw_pairs else "'{}'"
        columns = [f'cast({t.value} as {t.sql_type}) as "{t.name}"' for t in typed] + [
            f"{literal(meta.file_hash[:16] + ':')} || kept._source_row as _row_id",
            f"{literal(meta.file_hash)} as _file_hash",
            f"{literal(meta.rel)} as _source_file",
            "cast(kept._source_row as integer) as _source_row",
            f"cast({meta.load_seq} as bigint) as _load_seq",
            f"cast('{meta.loaded_at.isoformat(sep=' ')}' as timestamp) as _loaded_at",
            f"{account_key} as _account_key",
            f"{raw_json} as _raw",
            f"{errors} as _errors",
        ]
        rows = con.execute(
            f"insert into {RAW_SCHEMA}.{entity.name} by name "
            f"select {', '.join(columns)} from {ROWS_TABLE} as kept {' '.join(joins)} "
            "order by kept._source_row"
        ).fetchall()
    finally:
        for name in registered:
            with contextlib.suppress(duckdb.Error):
                con.unregister(name)
    return int(rows[0][0]) if rows else 0
