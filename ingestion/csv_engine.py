"""Load CSV files into ``raw.<entity>`` inside DuckDB: the fast path of the loader (issue 14).

DuckDB reads the files as text (``read_csv`` over one or several files of one header,
every column VARCHAR, no header, no sniffing, ``filename`` telling the files apart), the
contract's SQL (:mod:`ingestion.sql_parsing`) types the canonical values, the reference
parser types the rest once per distinct text, and one INSERT ... SELECT writes the rows of
all of them with their ``_raw``, ``_errors``, ``_account_key`` and each file's lineage.

The Python reader (:func:`ingestion.readers.read_csv`) stays the authority on structure:
this path only takes a file whose structure leaves no room for the two readers to differ,
and says ``None`` (the caller falls back to the Python reader, which then writes the exact
sentence of any structure rule) for anything else:

- UTF-8 text (a BOM is fine), header in the first line, every line ending in ``\\n`` or
  ``\\r\\n`` (no lone CR, the last line terminated), no NUL byte; a file in a legacy
  multi-byte encoding (GBK/GB18030 above all, what Chinese Excel writes) is read from a
  UTF-8 copy (:func:`utf8_copy`) when its bytes decode as the Python reader decodes them;
- quotes, if any, only around whole fields, none holding a line break (a regular
  expression over the lines that hold a quote);
- DuckDB's strict reader loads it, one record per line (no blank line, no line break
  inside a quoted field), and its first record equals Python's ``csv`` header.

Then the row number of a record is its line number in its file, as the Python reader
counts it, and rows whose cells are all blank are skipped as the Python reader skips them.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import mmap
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from core.contract import Entity
from core.raw_schema import RAW_SCHEMA, SQL_TYPES
from ingestion.parsing import ColumnParser
from ingestion.readers import (
    GB_FAMILY,
    header_names,
    is_blank,
    is_utf8_text,
    physical_lines,
)
from ingestion.sql_parsing import (
    ColumnSql,
    account_keys,
    blank_sql,
    column_sql,
    literal,
    reference_results,
    simple_account_key_sql,
    simple_name_sql,
)

STAGE_TABLE = "_engine_csv"
ROWS_TABLE = "_engine_rows"
FILES_TABLE = "_engine_files"
_BLOCK = 1 << 24
_FIELD = rb'(?:"[^"\r\n]*+(?:""[^"\r\n]*+)*+"|[^",\r\n]*+)'
# A line whose quotes only ever enclose whole fields, none holding a line break.
_WELL_QUOTED_LINE = re.compile(_FIELD + rb"(?:," + _FIELD + rb")*+\r?\n")
_LONE_CR = re.compile(rb"\r(?!\n)")
# Legacy encodings read from a UTF-8 copy: stateless multi-byte codecs none of whose
# characters holds the byte 0x0A or 0x0D (their trail bytes are 0x30-0x39 or 0x40 and up),
# so a line of the copy is a line of the original and row numbers stay the same. They are
# the GB family and every multi-byte encoding ``readers.detect_encoding`` can name (a test
# checks the bytes of each); HZ and UTF-16 fail that check and stay with the Python reader.
TRANSCODED = frozenset(
    {
        "gb18030",
        "gbk",
        "gb2312",
        "big5",
        "big5hkscs",
        "cp950",
        "shift_jis",
        "shift_jis_2004",
        "shift_jisx0213",
        "cp932",
        "euc_jp",
        "euc_kr",
        "cp949",
    }
)


@dataclass(frozen=True)
class PlainCsv:
    """A CSV file whose bytes passed the structure pre-check, with its first record."""

    path: Path
    cells: list[str]  # the header record as Python's ``csv`` reads it
    lines: int  # records in the file, header included


@dataclass(frozen=True)
class StagedCsv:
    """CSV files of one header loaded as text into the temporary ``STAGE_TABLE``
    (c0, c1, ..., filename)."""

    headers: list[str]
    files: list[PlainCsv]


@dataclass(frozen=True)
class FileMeta:
    """Lineage values every raw row of one file carries."""

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
        if not _well_quoted(m):
            return None
        return sum(m[i : i + _BLOCK].count(b"\n") for i in range(0, len(m), _BLOCK))


def _well_quoted(data: mmap.mmap) -> bool:
    """Every line holding a quote is whole fields, quoted or not (the data ends in a line
    break). Only those lines are matched: a 10^6-size leads file has quotes on 2 % of its
    lines, and matching all its bytes cost 0.07 s per file (docs/benchmarks.md, "Ingest:
    typing each cell once"). A quoted line break fails the match: such a file holds more
    lines than records, which the Python reader alone counts right."""
    quote = data.find(b'"')
    while quote != -1:
        start = data.rfind(b"\n", 0, quote) + 1
        end = data.find(b"\n", quote) + 1
        if _WELL_QUOTED_LINE.fullmatch(data, start, end) is None:
            return False
        quote = data.find(b'"', end)
    return True


def _first_record(path: Path) -> list[str] | None:
    """The first line's cells as Python's ``csv`` reads them (``None``: not a plain header)."""
    with open(path, "rb") as handle:
        line = handle.readline()
    try:
        cells = next(csv.reader([line.decode("utf-8-sig")], strict=True))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    return None if is_blank(cells) else cells


def _codec(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def _is_utf8(encoding: str) -> bool:
    return _codec(encoding) in ("utf-8", "utf-8-sig")


def plain_csv(path: Path, encoding: str, header_row: int) -> PlainCsv | None:
    """The file when its bytes leave DuckDB's reader no room to differ from Python's
    (see the module docstring), else ``None``: the Python reader must read it."""
    if header_row != 1 or not _is_utf8(encoding):
        return None
    lines = _plain_lines(path)
    cells = _first_record(path) if lines else None
    if cells is None or lines is None:
        return None
    return PlainCsv(path, cells, lines)


def engine_csv(path: Path, encoding: str, header_row: int, scratch: Path) -> PlainCsv | None:
    """:func:`plain_csv` of the file, read from a UTF-8 copy written in ``scratch`` when it
    is in a legacy encoding of ``TRANSCODED``; ``None`` when the Python reader must read it.
    """
    if _is_utf8(encoding):
        return plain_csv(path, encoding, header_row)
    if header_row != 1:
        return None
    copy = utf8_copy(path, encoding, scratch)
    return plain_csv(copy, "utf-8", header_row) if copy is not None else None


def legacy_header(path: Path, encoding: str, header_row: int) -> list[str] | None:
    """The first record of a file in an encoding of ``TRANSCODED``, decoded from its first
    line alone (``None``: another encoding, or not a plain header): enough to group files
    before any is copied. Whether the whole file can go to DuckDB is decided on its copy
    (:func:`engine_csv`), only once the group is known to be large enough."""
    if header_row != 1 or _codec(encoding) not in TRANSCODED:
        return None
    with open(path, "rb") as handle:
        line = handle.readline()
    if line.startswith(codecs.BOM_UTF8):
        line = line[len(codecs.BOM_UTF8) :]
    try:
        cells = next(csv.reader([line.decode(encoding)], strict=True))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    return None if is_blank(cells) else cells


def utf8_copy(path: Path, encoding: str, scratch: Path) -> Path | None:
    """A UTF-8 copy, written in ``scratch``, of a file in an encoding of ``TRANSCODED``
    holding the text the Python reader decodes from it, line for line; ``None`` when the
    Python reader would reject its bytes (it then names the line) or the text would differ.

    The reader decodes line by line, after dropping a UTF-8 byte-order mark; it rejects a
    GB-family line that is UTF-8 text and a line that does not decode. Decoding the whole
    file fails exactly when some line does (no character spans a line break); a decoded
    U+FEFF first (GB18030's own byte-order mark) would be kept by the reader but dropped
    as a BOM by the UTF-8 readers, so such a file stays with the Python reader.
    """
    codec = _codec(encoding)
    if codec not in TRANSCODED:
        return None
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if codec in GB_FAMILY and _has_utf8_line(data):
        return None
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    if text.startswith("\ufeff"):
        return None
    handle, name = tempfile.mkstemp(prefix="utf8-", suffix=".csv", dir=scratch)
    try:
        with os.fdopen(handle, "wb") as copy:
            copy.write(text.encode("utf-8"))
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _has_utf8_line(data: bytes) -> bool:
    """Whether a line is UTF-8 text with a character of three bytes or more: the Python
    reader rejects such a line in a GB-family file. Its own line splitting and test, so
    the two cannot differ (about 5 ms per MB: a regular expression over the bytes was
    ten times slower)."""
    lines = physical_lines(io.BytesIO(data))
    return any(not raw.isascii() and is_utf8_text(raw) for raw in lines)


@contextlib.contextmanager
def scratch_folder(con: duckdb.DuckDBPyConnection) -> Iterator[Path]:
    """A temporary folder for UTF-8 copies beside the database file (the warehouse's build
    area; the system's temporary folder for an in-memory database), never in the landing
    folder, removed with everything in it when the block ends, however it ends."""
    row = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    parent = Path(row[0][0]).resolve().parent if row and row[0][0] else None
    with tempfile.TemporaryDirectory(prefix="ingest-utf8-", dir=parent) as folder:
        yield Path(folder)


def stage_csv(con: duckdb.DuckDBPyConnection, files: list[PlainCsv]) -> StagedCsv | None:
    """Load the files (all with one header record) as text into ``STAGE_TABLE`` in one
    statement; ``None`` when DuckDB reads any of them differently from the Python reader.

    One statement for many files: the per-statement costs are paid once, not per file.
    """
    cells = files[0].cells
    if any(f.cells != cells for f in files) or len({str(f.path) for f in files}) < len(files):
        return None
    columns = ", ".join(f"'c{i}': 'varchar'" for i in range(len(cells)))
    # force_not_null: an empty field is the text '' (as Python's csv reads it), never NULL
    not_null = ", ".join(f"'c{i}'" for i in range(len(cells)))
    paths = ", ".join(literal(str(f.path)) for f in files)
    try:
        con.execute(
            f"create or replace temp table {STAGE_TABLE} as select * from read_csv("
            f"[{paths}], header = false, auto_detect = false, delim = ',', "
            f"quote = '\"', escape = '\"', strict_mode = true, columns = {{{columns}}}, "
            f"force_not_null = [{not_null}], filename = true)"
        )
    except duckdb.Error:
        drop_stage(con)
        return None
    if not _same_records(con, files):
        drop_stage(con)
        return None
    return StagedCsv(header_names(cells), files)


def _same_records(con: duckdb.DuckDBPyConnection, files: list[PlainCsv]) -> bool:
    """Per file: one record per line, in file order, the first one Python's header."""
    spans = {
        name: (count, first, last)
        for name, count, first, last in con.execute(
            f"select filename, count(*), min(rowid), max(rowid) from {STAGE_TABLE} group by all"
        ).fetchall()
    }
    for plain in files:
        count, first, last = spans.get(str(plain.path), (0, 0, -1))
        if count != plain.lines or last - first + 1 != count:
            return False
    heads = con.execute(
        f"select * exclude (filename) from {STAGE_TABLE} where rowid in "
        f"(select min(rowid) from {STAGE_TABLE} group by filename)"
    ).fetchall()
    return len(heads) == len(files) and all(list(head) == files[0].cells for head in heads)


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the staged text table, its view and the table of staged files."""
    con.execute(f"drop view if exists {ROWS_TABLE}")
    con.execute(f"drop table if exists {FILES_TABLE}")
    con.execute(f"drop table if exists {STAGE_TABLE}")


def _keep_rows(con: duckdb.DuckDBPyConnection, staged: StagedCsv, metas: list[FileMeta]) -> None:
    """``ROWS_TABLE``: a view of the data records (text, never NULL) with their file's
    lineage and their line number in it; rows whose cells are all blank are skipped (the
    Python reader skips them too).

    A view, not a copy: the text is staged once; the few queries that read it repeat
    only the blank-row test.
    """
    files = pd.DataFrame(
        {
            "filename": [str(f.path) for f in staged.files],
            "_file_hash": [m.file_hash for m in metas],
            "_row_prefix": [m.file_hash[:16] + ":" for m in metas],
            "_source_file": [m.rel for m in metas],
            "_load_seq": [m.load_seq for m in metas],
            "_loaded_at": [m.loaded_at.isoformat(sep=" ") for m in metas],
        }
    )
    con.register("_engine_meta", files)
    try:
        con.execute(
            f"create or replace temp table {FILES_TABLE} as select meta.*, spans.first_rowid "
            f"from _engine_meta as meta join (select filename, min(rowid) as first_rowid "
            f"from {STAGE_TABLE} group by filename) as spans using (filename)"
        )
    finally:
        con.unregister("_engine_meta")
    width = len(staged.headers)
    cells = ", ".join(f"stage.c{i}" for i in range(width))
    # "some cell is not blank" as an OR chain: DuckDB stops at the first non-blank cell
    filled = " or ".join(f"not {blank_sql(f'stage.c{i}')}" for i in range(width))
    con.execute(
        f"create or replace temp view {ROWS_TABLE} as "
        "select stage.rowid - files.first_rowid + 1 as _source_row, files._file_hash, "
        "files._row_prefix, files._source_file, files._load_seq, files._loaded_at, "
        f"{cells} from {STAGE_TABLE} as stage join {FILES_TABLE} as files "
        f"on files.filename = stage.filename where stage.rowid > files.first_rowid and ({filled})"
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


def column_sqls(
    parsers: dict[str, ColumnParser], positions: dict[str, int], aliases: dict[str, list[str]]
) -> dict[str, ColumnSql]:
    """Canonical-form SQL of every mapped column over its cell ``kept.c<position>``."""
    return {
        name: column_sql(parsers[name], f"kept.c{position}", aliases.get(name, ()))
        for name, position in positions.items()
    }


def typed_columns(
    con: duckdb.DuckDBPyConnection,
    parsers: dict[str, ColumnParser],
    positions: dict[str, int],
    aliases: dict[str, list[str]],
    todo: dict[str, list[str]] | None = None,
    sqls: dict[str, ColumnSql] | None = None,
) -> list[TypedColumn]:
    """SQL of every mapped column; non-canonical texts parsed by the reference parser.

    ``todo`` holds, per column, the distinct texts that are neither blank nor canonical
    (:func:`scan_rows` collects them with the rest the INSERT needs to know); without it,
    one query collects them; ``sqls``, when the caller already has them, are
    :func:`column_sqls`. The reference results are registered as ``_engine_ref_<i>`` to
    join.
    """
    sqls = sqls if sqls is not None else column_sqls(parsers, positions, aliases)
    if todo is None:
        todo = scan_rows(con, positions, sqls).todo
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


@dataclass(frozen=True)
class RowScan:
    """What one scan of the kept rows tells before the INSERT is written."""

    todo: dict[str, list[str]]  # column -> its distinct texts neither blank nor canonical
    per_file: dict[str, int]  # _source_file -> kept rows (when asked for)
    accounts: list[str]  # distinct stripped account names the SQL key cannot read


def scan_rows(
    con: duckdb.DuckDBPyConnection,
    positions: dict[str, int],
    sqls: dict[str, ColumnSql],
    *,
    per_file: bool = False,
    account_name: str | None = None,
) -> RowScan:
    """One scan of ``ROWS_TABLE`` for all the INSERT must know beforehand.

    A grouping set per column keeps its distinct leftovers (each cell tested once); with
    ``per_file``, one more set counts each file's kept rows; with ``account_name`` (SQL of
    the stripped name), one more keeps the names the SQL key cannot normalise. A row of
    the result has at most one non-NULL key. One scan instead of three: every scan of the
    view repeats the blank-row test (docs/benchmarks.md, "Ingest of large files").
    """
    names = [name for name, sql in sqls.items() if not sql.complete]
    keys = [
        f"case when not {blank_sql(f'kept.c{positions[name]}')} and not {sqls[name].canonical} "
        f"then kept.c{positions[name]} end"
        for name in names
    ]
    if account_name is not None:
        keys.append(
            f"case when {account_name} is not null and not {simple_name_sql(account_name)} "
            f"then {account_name} end"
        )
    if per_file:
        keys.append("kept._source_file")
    if not keys:
        return RowScan({}, {}, [])
    flagged = ", ".join(f"{key} as k{index}" for index, key in enumerate(keys))
    columns = ", ".join(f"k{index}" for index in range(len(keys)))
    sets = ", ".join(f"(k{index})" for index in range(len(keys)))
    rows = con.execute(
        f"with flagged_cells as (select {flagged} from {ROWS_TABLE} as kept) "
        f"select {columns}, count(*) from flagged_cells group by grouping sets ({sets})"
    ).fetchall()
    scan = RowScan({}, {}, [])
    for *cells, count in rows:
        for name, cell in zip(names, cells[: len(names)], strict=True):
            if cell is not None:
                scan.todo.setdefault(name, []).append(cell)
        if account_name is not None and cells[len(names)] is not None:
            scan.accounts.append(cells[len(names)])
        if per_file and cells[-1] is not None:
            scan.per_file[cells[-1]] = int(count)
    return scan


def _account_key(
    con: duckdb.DuckDBPyConnection, entity: Entity, typed: list[TypedColumn], accounts: list[str]
) -> tuple[str, str | None]:
    """SQL of ``_account_key`` (account_id, else the normalised account_name) and a join;
    ``accounts`` are the distinct names the SQL key cannot read (:func:`scan_rows`)."""
    by_name = {t.name: t for t in typed}
    if not {"account_name", "account_id"} & set(entity.column_names):
        return "null", None
    key, join = "null", None
    if "account_name" in by_name:
        name = by_name["account_name"].value
        key = simple_account_key_sql(name)
        if accounts:
            # the scan tested every name: the join holds the ones the SQL key cannot read
            con.register("_engine_accounts", account_keys(accounts))
            key = (
                "case when _engine_accounts.name is not null "
                f"then _engine_accounts.account_key else {key} end"
            )
            join = f"left join _engine_accounts on _engine_accounts.name = {name}"
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
    metas: list[FileMeta],
    aliases: dict[str, list[str]],
) -> dict[str, int]:
    """Append the staged files' rows to ``raw.<entity>`` in one statement; rows written
    per file (``metas[i]`` is the lineage of ``staged.files[i]``, keyed by its ``rel``).

    Raises a DuckDB error when a value cannot be stored (nothing is written then).
    """
    _keep_rows(con, staged, metas)
    registered = [f"_engine_ref_{i}" for i in range(len(positions))] + ["_engine_accounts"]
    try:
        sqls = column_sqls(parsers, positions, aliases)
        # account_name is text: its value is its SQL alone, known before the scan
        name_sql = sqls["account_name"].value if "account_name" in sqls else None
        scan = scan_rows(con, positions, sqls, per_file=True, account_name=name_sql)
        typed = typed_columns(con, parsers, positions, aliases, scan.todo, sqls)
        account_key, account_join = _account_key(con, entity, typed, scan.accounts)
        joins = [t.join for t in typed if t.join] + ([account_join] if account_join else [])
        problems = [t.problem for t in typed if t.problem]
        errors = f"'[' || concat_ws(', ', {', '.join(problems)}) || ']'" if problems else "'[]'"
        raw_pairs = ", ".join(f"{literal(key)}, kept.c{i}" for i, key in enumerate(raw_keys))
        raw_json = f"cast(json_object({raw_pairs}) as varchar)" if raw_pairs else "'{}'"
        columns = [f'cast({t.value} as {t.sql_type}) as "{t.name}"' for t in typed] + [
            "kept._row_prefix || kept._source_row as _row_id",
            "kept._file_hash",
            "kept._source_file",
            "cast(kept._source_row as integer) as _source_row",
            "cast(kept._load_seq as bigint) as _load_seq",
            "cast(kept._loaded_at as timestamp) as _loaded_at",
            f"{account_key} as _account_key",
            f"{raw_json} as _raw",
            f"{errors} as _errors",
        ]
        # No ORDER BY: a raw row's place is its _load_seq and _source_row, which every
        # reader orders by (the quality step's new rows are a semi join, dbt orders by
        # them). Sorting the wide rows only to store them in that order cost ~1 CPU s per
        # 10^6-size day of leads and follow-ups (docs/benchmarks.md, "Ingest of large files").
        con.execute(
            f"insert into {RAW_SCHEMA}.{entity.name} by name "
            f"select {', '.join(columns)} from {ROWS_TABLE} as kept {' '.join(joins)}"
        )
    finally:
        for name in registered:
            with contextlib.suppress(duckdb.Error):
                con.unregister(name)
    return {m.rel: scan.per_file.get(m.rel, 0) for m in metas}
