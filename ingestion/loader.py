"""Load new landed files into the append-only raw layer (architecture.md, step 1).

For each file under ``LANDING/<entity>/`` (``ingestion.landing``), in entity then name order:

1. hash it; the same hash as the path's latest record was seen before: skip it silently;
   a hash already *loaded* under another path is a re-landed copy: record ``duplicate``;
2. otherwise load it: a plainly structured CSV file in DuckDB (``ingestion.csv_engine``:
   UTF-8 as it is, GBK/GB18030 and the other stateless multi-byte encodings from a UTF-8
   copy in a temporary folder beside the database; read as text, headers mapped by name,
   canonical values typed by SQL generated from the contract, the rest by the reference
   parser, one INSERT ... SELECT for a run of consecutive files of one entity and one
   header, recorded in the same transaction); any other file is streamed in chunks
   (``ingestion.readers``), headers mapped by name through the contract, every value
   parsed (``ingestion.parsing``) and appended to ``raw.<entity>``. Both write the same
   rows; the Python reader alone decides and words structure rejections;
3. record one ``data_quality.file_loads`` row.

Nothing in the landing folder vanishes silently: entries that are not loaded (``.xls``,
hidden and temporary files, directories, symbolic links leading outside the folder) get
an ``ignored`` row with the reason, and a file that held the gate (rejected, or loaded
under a quarantine-rate hold) and is no longer in the folder gets a ``withdrawn`` row.

Chunks are committed as they are written (one transaction over a 5-million-row file would
hold it all in memory). A file that breaks a structure rule is therefore rolled back by
hand: its rows (same ``_file_hash`` and ``_load_seq``) are deleted before the ``rejected``
row is recorded, so nothing of it stays in raw. Rows of a load that never got its
``file_loads`` row (the process died half-way) are removed the same way at the start of the
next load, before the file is loaded again. Apart from these never-recorded rows the raw
layer is append-only. Landed files are only ever read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from core.contract import Entity, load_contract, normalise_header
from core.masking import mask_text
from core.quality_tables import DQ_SCHEMA, create_quality_tables
from core.raw_schema import RAW_SCHEMA, SQL_TYPES, create_raw_tables
from core.settings import FolderConfig, Settings
from ingestion.csv_engine import (
    FileMeta,
    PlainCsv,
    StagedCsv,
    drop_stage,
    engine_csv,
    insert_raw,
    legacy_header,
    plain_csv,
    scratch_folder,
    stage_csv,
)
from ingestion.file_hashes import FileHashes
from ingestion.landing import IgnoredEntry, LandedFile, landing_entries
from ingestion.parsing import ColumnParser, account_name_key, column_parser, parse_column
from ingestion.readers import (
    CHUNK_ROWS,
    Chunk,
    FileRejected,
    detect_encoding,
    excel_serial_text,
    file_sha256,
    header_names,
    read_file,
)

Status = Literal["loaded", "duplicate", "rejected", "withdrawn", "ignored"]
# A CSV file, or a run of them loaded in one statement, with less text goes through the
# Python reader: the DuckDB path has fixed work per statement (staging, planning a wide
# INSERT) and only ties with the Python path on a single 2.4 MB file; on runs of files it
# wins (docs/benchmarks.md, "Ingest: checkpoints and runs of files"). Both write the
# same rows.
ENGINE_MIN_BYTES = 2 << 20
# Consecutive plainly structured CSV files of one entity and one header go to DuckDB in
# one statement (their fixed costs paid once), up to this many bytes of text at a time.
BATCH_MAX_BYTES = 256 << 20
# Write-ahead log a load lets grow before DuckDB folds it into the database file.
LOAD_CHECKPOINT_BYTES = "1GiB"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class FileLoadResult:
    """What happened to one landed file in this load."""

    entity: str
    file_path: str  # relative to the landing folder
    file_hash: str
    status: Status
    rows_read: int
    rows_loaded: int  # rows appended to raw
    error: str | None  # one sentence naming the file and the line or column
    load_seq: int | None


@dataclass(frozen=True)
class _FileContext:
    """Everything the chunk writer needs about the file being loaded."""

    entity: Entity
    rel: str
    file_hash: str
    load_seq: int
    loaded_at: dt.datetime
    parsers: dict[str, ColumnParser]


# --------------------------------------------------------------------------- header mapping
def map_headers(entity: Entity, headers: list[str]) -> dict[str, int]:
    """Contract column -> position of the header that feeds it (matched by name).

    Headers are compared after trim + NFKC + case folding. When several headers map to one
    column, the canonical English name wins over an alias, then the leftmost header; the
    others (like unknown extra columns) are kept only in ``_raw``.
    """
    aliases = entity.header_map()
    chosen: dict[str, tuple[int, int]] = {}  # column -> (rank, position)
    for position, header in enumerate(headers):
        key = normalise_header(header)
        column = aliases.get(key)
        if column is None:
            continue
        rank = 0 if key == normalise_header(column) else 1
        if column not in chosen or (rank, position) < chosen[column]:
            chosen[column] = (rank, position)
    return {column: position for column, (_, position) in chosen.items()}


def missing_required(entity: Entity, present: set[str]) -> list[str]:
    """Required contract columns absent from the mapped headers.

    ``required_unless`` columns (service_records.account_name) count as present when the
    column they depend on is present.
    """
    missing = [c for c in entity.required_columns if c not in present]
    for col in entity.columns:
        if col.required_unless and col.name not in present and col.required_unless not in present:
            missing.append(col.name)
    return missing


def _missing_sentence(entity: Entity, rel: str, missing: list[str]) -> str:
    col = entity.column(missing[0])
    shown = f"'{col.name}'" + (f" ({col.aliases[0]})" if col.aliases else "")
    if col.required_unless:
        return (
            f"{rel}: neither column '{col.name}' nor '{col.required_unless}' is present "
            "after header mapping."
        )
    more = f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else ""
    return f"{rel}: required column {shown} is missing after header mapping{more}."


# --------------------------------------------------------------------------- chunk -> raw
def _raw_keys(headers: list[str]) -> list[str]:
    """Header names for the ``_raw`` JSON; repeated names get a ``#2`` suffix."""
    seen: dict[str, int] = {}
    keys = []
    for header in headers:
        seen[header] = seen.get(header, 0) + 1
        keys.append(header if seen[header] == 1 else f"{header}#{seen[header]}")
    return keys


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _chunk_frame(ctx: _FileContext, chunk: Chunk) -> tuple[pd.DataFrame, str]:
    """The chunk as a DataFrame plus the SELECT that casts it into raw.<entity> columns."""
    n = len(chunk.rows)
    positions = map_headers(ctx.entity, chunk.headers)
    columns = list(zip(*chunk.rows, strict=True)) if n else [() for _ in chunk.headers]
    frame: dict[str, object] = {}
    select: list[str] = []
    errors: list[list[dict[str, str]]] = [[] for _ in range(n)]
    typed: dict[str, pd.Series] = {}
    for name, position in positions.items():
        values = columns[position]
        if ctx.rel.lower().endswith(".xlsx") and ctx.entity.column(name).type in (
            "timestamp",
            "date",
        ):
            values = [excel_serial_text(v) for v in values]
        series, problems = parse_column(ctx.parsers[name], values)
        typed[name] = series
        frame[name] = series
        sql_type = SQL_TYPES[ctx.entity.column(name).type]
        select.append(f'cast("{name}" as {sql_type}) as "{name}"')
        for index, problem in sorted(problems.items()):
            errors[index].append(problem.as_dict())
    row_numbers = np.asarray(chunk.row_numbers, dtype="int64")
    prefix = ctx.file_hash[:16] + ":"
    frame["_row_id"] = [prefix + str(r) for r in chunk.row_numbers]
    frame["_source_row"] = row_numbers
    frame["_account_key"] = _account_keys(ctx.entity, typed, n)
    frame["_errors"] = [json.dumps(e, ensure_ascii=False) if e else "[]" for e in errors]
    raw_pairs = []
    for i, key in enumerate(_raw_keys(chunk.headers)):
        frame[f"_c{i}"] = pd.Series(columns[i], dtype=object)
        raw_pairs.append(f'{_sql_literal(key)}, "_c{i}"')
    raw_json = f"cast(json_object({', '.join(raw_pairs)}) as varchar)" if raw_pairs else "'{}'"
    select += [
        '"_row_id"',
        f"{_sql_literal(ctx.file_hash)} as _file_hash",
        f"{_sql_literal(ctx.rel)} as _source_file",
        'cast("_source_row" as integer) as _source_row',
        f"cast({ctx.load_seq} as bigint) as _load_seq",
        f"cast('{ctx.loaded_at.isoformat(sep=' ')}' as timestamp) as _loaded_at",
        '"_account_key"',
        f"{raw_json} as _raw",
        '"_errors"',
    ]
    return pd.DataFrame(frame, index=range(n)), ", ".join(select)


def _account_keys(entity: Entity, typed: dict[str, pd.Series], n: int) -> pd.Series:
    """account_id when given, else the normalised account_name; None without either."""
    names = set(entity.column_names)
    if "account_name" not in names and "account_id" not in names:
        return pd.Series([None] * n, dtype=object)
    keys = pd.Series([None] * n, dtype=object)
    if "account_name" in typed:
        account_names = typed["account_name"]
        uniques = {v: account_name_key(v) for v in account_names.dropna().unique()}
        keys = account_names.map(uniques).astype(object)
        keys = keys.where(keys.notna(), None)
    if "account_id" in typed:
        ids = typed["account_id"]
        keys = ids.where(ids.notna(), keys)
    return keys.astype(object)


# Errors of a value the database cannot store (as opposed to I/O or a broken database).
_VALUE_ERRORS = (
    duckdb.ConversionException,
    duckdb.InvalidInputException,
    duckdb.OutOfRangeException,
)


def _append_chunk(con: duckdb.DuckDBPyConnection, ctx: _FileContext, chunk: Chunk) -> None:
    """Append one chunk. The parsers hand over only values the casts accept; should one
    still fail, the file is rejected with a sentence naming row and column, never a crash."""
    frame, select = _chunk_frame(ctx, chunk)
    con.register("_landing_chunk", frame)
    try:
        con.execute(
            f"insert into {RAW_SCHEMA}.{ctx.entity.name} by name "
            f"select {select} from _landing_chunk"
        )
    except _VALUE_ERRORS as exc:
        raise FileRejected(_unstorable_value(con, ctx)) from exc
    finally:
        con.unregister("_landing_chunk")


def _unstorable_value(con: duckdb.DuckDBPyConnection, ctx: _FileContext) -> str:
    """Where in the registered chunk a typed column's cast fails: row and column."""
    for column in ctx.entity.columns:
        sql_type = SQL_TYPES[column.type]
        try:
            found = con.execute(
                f'select min(_source_row) from _landing_chunk where "{column.name}" is not null '
                f'and try_cast("{column.name}" as {sql_type}) is null'
            ).fetchall()
        except duckdb.Error:
            continue  # the column is not in this chunk
        if found and found[0][0] is not None:
            return (
                f"row {found[0][0]}, column '{column.name}' holds a value that cannot be "
                f"stored as {sql_type}"
            )
    return "a value cannot be stored in the raw table"


# --------------------------------------------------------------------------- one file
def _load_rows(
    con: duckdb.DuckDBPyConnection,
    ctx: _FileContext,
    chunks: Iterator[Chunk],
    progress: Progress | None,
) -> int:
    """Append every chunk; return rows read. Raises FileRejected on a structure failure."""
    rows = 0
    present: set[str] = set()
    checked = False
    fixed_header = not ctx.rel.lower().endswith(".jsonl")
    try:
        for chunk in chunks:
            present |= set(map_headers(ctx.entity, chunk.headers))
            if fixed_header and not checked:
                if missing_required(ctx.entity, present):
                    _check_required(ctx, present, _count_all(chunk, chunks))
                checked = True
            if chunk.rows:
                _append_chunk(con, ctx, chunk)
                rows += len(chunk.rows)
                if progress is not None:
                    progress(f"{ctx.rel}: {rows:,} rows")
    except FileRejected as exc:
        exc.rows_read = max(exc.rows_read, rows)
        raise
    _check_required(ctx, present, rows)
    return rows


def _count_all(first: Chunk, rest: Iterator[Chunk]) -> int:
    """Rows of ``first`` and every later chunk: a rejected file's rows_read counts them all."""
    rows = len(first.rows)
    try:
        for chunk in rest:
            rows += len(chunk.rows)
    except FileRejected as exc:  # the reader counts the whole file when it rejects it
        return max(rows, exc.rows_read)
    return rows


def _check_required(ctx: _FileContext, present: set[str], rows: int) -> None:
    missing = missing_required(ctx.entity, present)
    if missing:
        raise _SentenceRejected(_missing_sentence(ctx.entity, ctx.rel, missing), rows)


class _SentenceRejected(FileRejected):
    """A rejection whose reason is already a whole sentence naming the file."""


def _record(
    con: duckdb.DuckDBPyConnection,
    result: FileLoadResult,
    loaded_at: dt.datetime,
    run_id: str,
    as_of_date: dt.date,
) -> None:
    """One data_quality.file_loads row (rows_read = rows_loaded + rows_quarantined)."""
    quarantined = result.rows_read - result.rows_loaded
    con.execute(
        f"insert into {DQ_SCHEMA}.file_loads (file_path, file_hash, entity, loaded_at, "
        "rows_read, rows_loaded, rows_quarantined, status, error, run_id, as_of_date, load_seq) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.file_path,
            result.file_hash or None,
            result.entity or None,
            loaded_at,
            result.rows_read,
            result.rows_loaded,
            quarantined,
            result.status,
            result.error,
            run_id,
            as_of_date,
            result.load_seq,
        ],
    )


def _prior_loads(con: duckdb.DuckDBPyConnection, file_hash: str) -> list[tuple[str, str]]:
    return con.execute(
        f"select file_path, status from {DQ_SCHEMA}.file_loads where file_hash = ?",
        [file_hash],
    ).fetchall()


@dataclass(frozen=True)
class FileState:
    """The latest ``file_loads`` row of one landing path (ignored entries aside)."""

    file_path: str
    file_hash: str | None
    entity: str | None
    status: str
    error: str | None
    held: bool  # loaded, but its rows broke the quarantine-rate limit (a gate hold)

    @property
    def blocking(self) -> bool:
        """Whether this path holds the gate: rejected, or loaded under a hold."""
        return self.status == "rejected" or (self.status == "loaded" and self.held)


def latest_file_states(
    con: duckdb.DuckDBPyConnection, file_path: str | None = None
) -> dict[str, FileState]:
    """file path -> its latest file_loads row (by loaded_at; ignored entries left out).

    The latest row is what the gate reads: ``rejected`` blocks; ``loaded`` blocks when a
    quarantine-rate hold names that path and hash and at least one of that version's rows
    is still quarantined; a corrected version (another hash), ``withdrawn`` or ``accepted``
    resolves both, and so does the release of every quarantined row (a follow-up whose lead
    arrived later).
    """
    where = "and file_path = ?" if file_path is not None else ""
    rows = con.execute(
        f"""
        with ranked_loads as (
            select file_path, file_hash, entity, status, error,
                   row_number() over (
                       partition by file_path
                       order by loaded_at desc nulls last, coalesce(load_seq, 0) desc
                   ) as recency
            from {DQ_SCHEMA}.file_loads
            where status <> 'ignored' {where}
        )
        select ranked_loads.file_path, ranked_loads.file_hash, ranked_loads.entity,
               ranked_loads.status, ranked_loads.error,
               exists (
                   select 1 from {DQ_SCHEMA}.gate_holds as holds
                   where holds.file_path = ranked_loads.file_path
                     and holds.file_hash = ranked_loads.file_hash
               )
               -- a hold lifts by itself once the reference re-check has released every
               -- quarantined row of that file version (row ids start with its hash)
               and exists (
                   select 1 from {DQ_SCHEMA}.quarantine as active
                   where active.released_at is null
                     and active.entity = ranked_loads.entity
                     and starts_with(active.row_id, left(ranked_loads.file_hash, 16) || ':')
               ) as held
        from ranked_loads
        where recency = 1
        """,
        [file_path] if file_path is not None else [],
    ).fetchall()
    return {row[0]: FileState(*row) for row in rows}


def _record_withdrawals(
    con: duckdb.DuckDBPyConnection,
    states: dict[str, FileState],
    present: set[str],
    run_id: str,
    as_of_date: dt.date,
) -> list[FileLoadResult]:
    """A blocking file no longer in the landing folder is recorded as ``withdrawn``.

    Its raw rows (if it was loaded) stay, as everything in raw does; withdrawing only
    lifts what it held against the gate.
    """
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    results = []
    for path, state in sorted(states.items()):
        if not state.blocking or path in present:
            continue
        result = FileLoadResult(
            state.entity or "",
            path,
            state.file_hash or "",
            "withdrawn",
            0,
            0,
            f"{path}: removed from the landing folder (was {state.status}).",
            None,
        )
        _record(con, result, loaded_at, run_id, as_of_date)
        results.append(result)
    return results


def _record_ignored(
    con: duckdb.DuckDBPyConnection,
    entries: list[IgnoredEntry],
    run_id: str,
    as_of_date: dt.date,
) -> list[FileLoadResult]:
    """One ``ignored`` row per entry not seen ignored before for the same reason."""
    seen = set(
        con.execute(
            f"select file_path, error from {DQ_SCHEMA}.file_loads where status = 'ignored'"
        ).fetchall()
    )
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    results = []
    for entry in entries:
        sentence = f"{entry.relative_path}: {entry.reason}."
        if (entry.relative_path, sentence) in seen:
            continue
        result = FileLoadResult(
            entry.entity or "", entry.relative_path, "", "ignored", 0, 0, sentence, None
        )
        _record(con, result, loaded_at, run_id, as_of_date)
        results.append(result)
    return results


def _next_load_seq(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(f"select coalesce(max(load_seq), 0) from {DQ_SCHEMA}.file_loads").fetchall()
    return int(row[0][0] if row else 0) + 1


def _seen_before(latest: FileState | None, file_hash: str) -> bool:
    """Whether this path's last load had this content and still stands (not withdrawn):
    the file is skipped, by the one-file and the many-files way alike."""
    return latest is not None and latest.file_hash == file_hash and latest.status != "withdrawn"


def load_file(
    con: duckdb.DuckDBPyConnection,
    landed: LandedFile,
    settings: Settings,
    *,
    run_id: str,
    as_of_date: dt.date,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
    latest: FileState | None = None,
    latest_known: bool = False,
    file_hash: str | None = None,
    plain: PlainCsv | None = None,
    engine: bool = True,
    encoding: str | None = None,
) -> FileLoadResult | None:
    """Load one landed file; ``None`` when this path with this content was seen before.

    ``latest`` is the path's latest ``file_loads`` state, looked up unless ``latest_known``
    says the caller already did (``None`` then means a path never seen: one query per
    file saved, issue 14): the same content under the same path is skipped, unless it was
    withdrawn and has landed again, in which case it is looked at afresh (a rejected file
    is rejected again). ``file_hash`` is the file's hash when the caller already has it;
    ``plain`` its DuckDB pre-check (``csv_engine.engine_csv``; a UTF-8 copy it names must
    outlive this call); ``engine=False`` when that pre-check failed (the Python reader's);
    ``encoding`` the file's, when the caller already detected it (a GBK file's detection
    decodes it line by line: once is enough).
    """
    file_hash = file_hash or file_sha256(landed.path)
    if latest is None and not latest_known:
        latest = latest_file_states(con, landed.relative_path).get(landed.relative_path)
    if _seen_before(latest, file_hash):
        return None
    prior = _prior_loads(con, file_hash)
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if any(status == "loaded" for _, status in prior):
        result = FileLoadResult(
            landed.entity, landed.relative_path, file_hash, "duplicate", 0, 0, None, None
        )
        _record(con, result, loaded_at, run_id, as_of_date)
        if progress is not None:
            progress(f"{landed.relative_path}: same content as an earlier file, skipped")
        return result

    entity = load_contract().entity(landed.entity)
    folder = settings.folders.get(landed.entity, FolderConfig())
    ctx = _FileContext(
        entity=entity,
        rel=landed.relative_path,
        file_hash=file_hash,
        load_seq=_next_load_seq(con),
        loaded_at=loaded_at,
        parsers={c.name: column_parser(c, settings) for c in entity.columns},
    )
    encoding = (
        encoding
        or folder.encoding
        or (detect_encoding(landed.path) if landed.path.suffix.lower() != ".xlsx" else "utf-8")
    )
    try:
        rows = None
        if engine:
            rows = _load_in_engine(con, ctx, landed.path, encoding, folder, settings, plain)
        if rows is None:
            chunks = read_file(landed.path, encoding, folder, chunk_rows)
            rows = _load_rows(con, ctx, chunks, progress)
        elif rows and progress is not None:
            progress(f"{ctx.rel}: {rows:,} rows")
        result = FileLoadResult(
            landed.entity, ctx.rel, file_hash, "loaded", rows, rows, None, ctx.load_seq
        )
    except FileRejected as exc:
        _undo(con, ctx)
        sentence = exc.reason if isinstance(exc, _SentenceRejected) else f"{ctx.rel}: {exc.reason}."
        sentence = mask_text(sentence) or sentence  # reaches data_quality, reports, alerts
        result = FileLoadResult(
            landed.entity, ctx.rel, file_hash, "rejected", exc.rows_read, 0, sentence, None
        )
    except BaseException:
        _undo(con, ctx)
        raise
    _record(con, result, loaded_at, run_id, as_of_date)
    if progress is not None:
        progress(_summary(result))
    return result


def _load_in_engine(
    con: duckdb.DuckDBPyConnection,
    ctx: _FileContext,
    path: Path,
    encoding: str,
    folder: FolderConfig,
    settings: Settings,
    plain: PlainCsv | None = None,
) -> int | None:
    """Load a CSV file with DuckDB's reader and the contract's SQL (``ingestion.csv_engine``);
    rows loaded, or ``None`` when the Python reader must read it: the file is small (see
    ``ENGINE_MIN_BYTES``), not plainly structured, lacks a required column, or holds a
    value that cannot be stored. Those paths
    write the rejection sentences; nothing was appended when this returns ``None``. A file
    in a legacy encoding is staged from a UTF-8 copy (``csv_engine.engine_csv``), removed
    as soon as it is staged."""
    if path.suffix.lower() != ".csv" or path.stat().st_size < ENGINE_MIN_BYTES:
        return None
    if plain is not None:  # pre-checked by the caller
        staged = stage_csv(con, [plain])
    else:
        with scratch_folder(con) as scratch:  # a legacy-encoded file's copy, once staged
            plain = engine_csv(path, encoding, folder.header_row, scratch)
            staged = stage_csv(con, [plain]) if plain is not None else None
    if staged is None:
        return None
    try:
        positions = map_headers(ctx.entity, staged.headers)
        if missing_required(ctx.entity, set(positions)):
            return None
        meta = FileMeta(ctx.rel, ctx.file_hash, ctx.load_seq, ctx.loaded_at)
        rows = _insert_staged(con, staged, ctx.entity, ctx.parsers, [meta], settings)
        return rows[ctx.rel]
    except _VALUE_ERRORS:
        return None
    finally:
        drop_stage(con)


def _insert_staged(
    con: duckdb.DuckDBPyConnection,
    staged: StagedCsv,
    entity: Entity,
    parsers: dict[str, ColumnParser],
    metas: list[FileMeta],
    settings: Settings,
) -> dict[str, int]:
    """Append the staged files' rows to raw (one INSERT ... SELECT); rows per file."""
    positions = map_headers(entity, staged.headers)
    aliases = {
        c.name: list(settings.alias_map(c.enum))
        for c in entity.columns
        if c.type == "enum" and c.enum
    }
    raw_keys = _raw_keys(staged.headers)
    return insert_raw(con, staged, entity, parsers, positions, raw_keys, metas, aliases)


# --------------------------------------------------------------------------- many files
@dataclass(frozen=True)
class _Candidate:
    """A new landed file the DuckDB path can load together with others."""

    landed: LandedFile
    file_hash: str
    cells: list[str]  # its header record
    plain: PlainCsv | None  # a UTF-8 file's pre-check; None: legacy-encoded, checked later
    encoding: str
    size: int


def _engine_candidate(
    con: duckdb.DuckDBPyConnection,
    landed: LandedFile,
    file_hash: str,
    settings: Settings,
    latest: FileState | None,
) -> _Candidate | None:
    """The file when it can go to DuckDB with others: a CSV file not seen under this path
    nor loaded under another (those get their skip or ``duplicate`` from ``load_file``),
    plainly structured UTF-8 (``csv_engine.plain_csv``) or in a legacy encoding DuckDB
    reads from a UTF-8 copy (``csv_engine.legacy_header``; its bytes are checked when its
    run is loaded, not copied for nothing when it ends up alone and small), with every
    required column."""
    if landed.path.suffix.lower() != ".csv":
        return None
    if _seen_before(latest, file_hash):
        return None
    if _loaded_before(con, file_hash):
        return None
    folder = settings.folders.get(landed.entity, FolderConfig())
    encoding = folder.encoding or detect_encoding(landed.path)
    plain = plain_csv(landed.path, encoding, folder.header_row)
    cells = plain.cells if plain is not None else None
    if plain is None:
        cells = legacy_header(landed.path, encoding, folder.header_row)
    if cells is None:
        return None
    entity = load_contract().entity(landed.entity)
    if missing_required(entity, set(map_headers(entity, header_names(cells)))):
        return None
    return _Candidate(landed, file_hash, cells, plain, encoding, landed.path.stat().st_size)


def _loaded_before(con: duckdb.DuckDBPyConnection, file_hash: str) -> bool:
    """Whether a file of this content was loaded (under any path): a copy is a duplicate."""
    return any(status == "loaded" for _, status in _prior_loads(con, file_hash))


def _joins(candidate: _Candidate, batch: list[_Candidate]) -> bool:
    """Whether the file can share the batch's statement: same entity, same header record,
    not the same content as a file in it, and the batch stays under ``BATCH_MAX_BYTES``."""
    if not batch:
        return True
    first = batch[0]
    return (
        candidate.landed.entity == first.landed.entity
        and candidate.cells == first.cells
        and all(c.file_hash != candidate.file_hash for c in batch)
        and sum(c.size for c in batch) + candidate.size <= BATCH_MAX_BYTES
    )


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[_Candidate],
    settings: Settings,
    run_id: str,
    as_of_date: dt.date,
) -> list[FileLoadResult] | None:
    """Load several files in one statement and record them, all in one transaction;
    ``None`` (nothing written) when any of them must be loaded on its own."""
    plains = [c.plain for c in batch if c.plain is not None]
    staged = stage_csv(con, plains) if len(plains) == len(batch) else None
    if staged is None:
        return None
    entity = load_contract().entity(batch[0].landed.entity)
    parsers = {c.name: column_parser(c, settings) for c in entity.columns}
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    first_seq = _next_load_seq(con)  # the same numbers loading them one by one would give
    metas = [
        FileMeta(c.landed.relative_path, c.file_hash, first_seq + i, loaded_at)
        for i, c in enumerate(batch)
    ]
    con.execute("begin transaction")
    try:
        rows = _insert_staged(con, staged, entity, parsers, metas, settings)
        results = [
            FileLoadResult(
                entity.name,
                m.rel,
                m.file_hash,
                "loaded",
                rows[m.rel],
                rows[m.rel],
                None,
                m.load_seq,
            )
            for m in metas
        ]
        for result in results:
            _record(con, result, loaded_at, run_id, as_of_date)
        con.execute("commit")
    except _VALUE_ERRORS:
        con.execute("rollback")
        return None
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        drop_stage(con)
    return results


def _checked(candidate: _Candidate, settings: Settings, scratch: Path) -> _Candidate | None:
    """The candidate with its pre-check (a legacy-encoded file's, on its UTF-8 copy written
    in ``scratch``); ``None`` when the Python reader must read it."""
    if candidate.plain is not None:
        return candidate
    folder = settings.folders.get(candidate.landed.entity, FolderConfig())
    plain = engine_csv(candidate.landed.path, candidate.encoding, folder.header_row, scratch)
    return None if plain is None else dataclasses.replace(candidate, plain=plain)


def _undo(con: duckdb.DuckDBPyConnection, ctx: _FileContext) -> None:
    """Remove the rows this load appended (the file is being rejected or the load failed)."""
    con.execute(
        f"delete from {RAW_SCHEMA}.{ctx.entity.name} where _file_hash = ? and _load_seq = ?",
        [ctx.file_hash, ctx.load_seq],
    )


def remove_unrecorded_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Delete raw rows whose load was never recorded as ``loaded`` (an interrupted load).

    Returns how many rows were removed. Recorded loads are never touched.
    """
    removed = 0
    for name in load_contract().entities:
        row = con.execute(
            f"select count(*) from {RAW_SCHEMA}.{name} r where not exists ("
            f"select 1 from {DQ_SCHEMA}.file_loads f where f.status = 'loaded' "
            "and f.file_hash = r._file_hash and f.load_seq = r._load_seq)"
        ).fetchall()
        count = int(row[0][0]) if row else 0
        if count:
            con.execute(
                f"delete from {RAW_SCHEMA}.{name} r where not exists ("
                f"select 1 from {DQ_SCHEMA}.file_loads f where f.status = 'loaded' "
                "and f.file_hash = r._file_hash and f.load_seq = r._load_seq)"
            )
            removed += count
    return removed


def _summary(result: FileLoadResult) -> str:
    if result.status == "rejected":
        return f"rejected: {result.error}"
    return f"{result.file_path}: loaded {result.rows_loaded:,} rows"


def _masked(progress: Progress | None) -> Progress | None:
    """Progress messages go to logs: file names pass through the one masking rule."""
    if progress is None:
        return None
    return lambda message: progress(mask_text(message) or "")


def load_landing(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    settings: Settings,
    *,
    run_id: str,
    as_of_date: dt.date,
    progress: Progress | None = None,
) -> list[FileLoadResult]:
    """Load every new file under ``landing_dir`` into raw.*; one result per newly seen entry.

    Files seen before (same path, same content) are skipped and not reported again.
    Every other entry is accounted for in ``file_loads``: a blocking file that left the
    folder is ``withdrawn``; an entry that is not loaded is ``ignored`` with the reason.
    Creates the raw and data_quality tables when missing.
    """
    create_raw_tables(con)
    create_quality_tables(con)
    with _few_checkpoints(con):
        return _load_landing(con, Path(landing_dir), settings, run_id, as_of_date, progress)


@contextlib.contextmanager
def _few_checkpoints(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Checkpoint once per ``LOAD_CHECKPOINT_BYTES`` of write-ahead log, and once at the end.

    DuckDB checkpoints whenever its log passes 16 MiB: every few files of a landing
    folder, each checkpoint rewriting the raw tables' unfinished row groups again. That
    was a third of the 10^5 ingest's wall time (docs/benchmarks.md, "Ingest: checkpoints
    and runs of files"). Every statement still commits to the log as before, so a crash loses
    nothing more; only the log grows larger before it is folded into the file.
    """
    previous = con.execute("select current_setting('checkpoint_threshold')").fetchall()[0][0]
    con.execute(f"set checkpoint_threshold = '{LOAD_CHECKPOINT_BYTES}'")
    try:
        yield
    finally:
        con.execute(f"set checkpoint_threshold = '{previous}'")
    con.execute("checkpoint")


def _load_landing(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    settings: Settings,
    run_id: str,
    as_of_date: dt.date,
    progress: Progress | None,
) -> list[FileLoadResult]:
    """The body of :func:`load_landing`, tables created."""
    progress = _masked(progress)
    removed = remove_unrecorded_rows(con)
    if removed and progress is not None:
        progress(f"removed {removed:,} rows of an interrupted earlier load")
    files, ignored = landing_entries(landing_dir)
    states = latest_file_states(con)
    results = _record_withdrawals(con, states, {f.relative_path for f in files}, run_id, as_of_date)
    results += _record_ignored(con, ignored, run_id, as_of_date)
    for result in results:
        if progress is not None:
            progress(result.error or result.file_path)
    batch: list[_Candidate] = []
    hashes = FileHashes(con)

    def load_one(
        landed: LandedFile,
        file_hash: str,
        candidate: _Candidate | None = None,
        engine: bool = True,
    ) -> None:
        result = load_file(
            con,
            landed,
            settings,
            run_id=run_id,
            as_of_date=as_of_date,
            progress=progress,
            latest=states.get(landed.relative_path),
            latest_known=True,
            file_hash=file_hash,
            plain=candidate.plain if candidate is not None else None,
            engine=engine,
            encoding=candidate.encoding if candidate is not None else None,
        )
        if result is not None:
            results.append(result)

    def load_run(run: list[_Candidate]) -> None:
        """Pre-checked files: in one statement when there are several and text enough."""
        done = None
        if len(run) > 1 and sum(c.size for c in run) >= ENGINE_MIN_BYTES:
            done = _load_batch(con, run, settings, run_id, as_of_date)
        if done is None:  # one file, too little text, or a file DuckDB must not read
            for candidate in run:
                load_one(candidate.landed, candidate.file_hash, candidate)
        else:
            results.extend(done)
            for result in done:
                if progress is not None:
                    progress(f"{result.file_path}: {result.rows_read:,} rows")
                    progress(_summary(result))

    def flush() -> None:
        if len(batch) < 2 or sum(c.size for c in batch) < ENGINE_MIN_BYTES:
            load_run(batch)  # one by one; a legacy-encoded file is copied only if large
            batch.clear()
            return
        # legacy-encoded files are checked on their UTF-8 copies now that the run is
        # known to be large enough; one that fails splits the run (the same order, the
        # same runs as checking every file up front would give)
        with scratch_folder(con) as scratch:
            run: list[_Candidate] = []
            for candidate in batch:
                checked = _checked(candidate, settings, scratch)
                if checked is None:
                    load_run(run)
                    run = []
                    load_one(candidate.landed, candidate.file_hash, candidate, engine=False)
                else:
                    run.append(checked)
            load_run(run)
        batch.clear()

    for landed in files:
        file_hash = hashes.hash_of(landed.path, landed.relative_path)
        candidate = _engine_candidate(
            con, landed, file_hash, settings, states.get(landed.relative_path)
        )
        if candidate is None or not _joins(candidate, batch):
            flush()
            if candidate is not None and _loaded_before(con, file_hash):
                candidate = None  # the run just loaded holds the same content: a duplicate
        if candidate is None:
            load_one(landed, file_hash)
        else:
            batch.append(candidate)
    flush()
    hashes.save()
    return results
