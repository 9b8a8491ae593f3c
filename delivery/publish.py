"""Write-audit-publish: copy the audited marts out of the private build database.

The serving file is written next to its final place under a temporary name, in a DuckDB
storage version that 1.x drivers (the ones BI tools bundle) read, then moved onto
``serving/crm.duckdb`` with ``os.replace`` (atomic on one file system). A BI tool holding
the old file open keeps reading the old snapshot; nobody ever sees a half-written file.
Parquet copies of every table are replaced file by file the same way.

``publish_log`` says ``published`` only once the new serving file is in place: the row is
written to the build database right after the swap (and into the new copy itself just
before it). Temporary files left by a build killed mid-publish are removed by the next publish (only
one build writes at a time, so any temporary file found then is stale); the serving file
itself is never opened for writing, so it is either the old or the new complete snapshot.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core import database
from core.paths import WarehousePaths
from delivery import serving_meta

PUBLISHED_SCHEMAS: tuple[str, ...] = (
    "opportunity_funnel",
    "customer_lifecycle",
    "data_quality",
    serving_meta.REFERENCE_SCHEMA,
)
# Readable by DuckDB 1.0 and later drivers (DBeaver, Metabase, Superset, Power BI ODBC…).
SERVING_STORAGE_VERSION = "v1.0.0"
TEMP_PREFIX = ".crm-"


@dataclass(frozen=True)
class PublishResult:
    serving_db: Path
    parquet_dir: Path
    tables: dict[str, int]  # "schema.table" -> rows


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? order by table_name",
        [schema],
    ).fetchall()
    return [name for (name,) in rows]


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def clean_stale_temporaries(paths: WarehousePaths) -> list[Path]:
    """Remove temporary serving and Parquet files of an earlier, interrupted publish."""
    stale: list[Path] = []
    if paths.serving_dir.is_dir():
        stale += sorted(paths.serving_dir.glob(f"{TEMP_PREFIX}*.duckdb.tmp*"))
    if paths.parquet_dir.is_dir():
        stale += sorted(paths.parquet_dir.rglob(".*.parquet.tmp"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _temporary_path(paths: WarehousePaths, run_id: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in run_id)
    return paths.serving_dir / f"{TEMP_PREFIX}{safe}.duckdb.tmp"


@dataclass(frozen=True)
class PublishRecord:
    """The ``published`` publish_log row of the build doing the publishing."""

    run_id: str
    as_of_date: dt.date
    started_at: dt.datetime
    reason: str
    # "published" or "published with warnings" (status itself stays "published")
    outcome: str = "published"
    warnings: int = 0
    rows_quarantined: int = 0


def publish_serving(
    paths: WarehousePaths, *, run_id: str, record: PublishRecord | None = None
) -> PublishResult:
    """Copy the published schemas to a new serving file and Parquet; swap them in.

    With ``record``, the ``published`` row is written into the new serving file's
    ``publish_log`` before the swap (so BI users see this build there) and into the build
    database only after the swap: a build killed in between leaves no ``published`` row
    for a file that is not in place, and backfill rebuilds that date.
    """
    paths.serving_dir.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(paths)
    temporary = _temporary_path(paths, run_id)
    counts: dict[str, int] = {}
    con = database.connect(paths.build_db)
    parquet: _ParquetCopies | None = None
    try:
        # one transaction per database written: a statement outside one is a commit of its own
        con.execute("begin transaction")
        serving_meta.refresh_labels(con)
        con.execute("commit")
        tables = [(schema, table) for schema in PUBLISHED_SCHEMAS for table in _tables(con, schema)]
        # the Parquet files are written beside the serving copy, which DuckDB writes on one
        # core; publish_log only after its `published` row, below
        parquet = _ParquetCopies(con.cursor(), paths, [t for t in tables if t != _LOG_TABLE])
        con.execute(
            f"attach '{_quote(temporary)}' as serving (storage_version '{SERVING_STORAGE_VERSION}')"
        )
        con.execute("begin transaction")
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists serving.{schema}")
        for schema, table in tables:
            con.execute(f"create table serving.{schema}.{table} as select * from {schema}.{table}")
        serving_meta.write_comments(con, "serving")
        if record is not None:
            _log_published(con, record, "serving.data_quality")
        for schema, table in tables:
            counts[f"{schema}.{table}"] = int(
                con.execute(f"select count(*) from serving.{schema}.{table}").fetchone()[0]
            )
        con.execute("commit")
        con.execute("detach serving")
        os.replace(temporary, paths.serving_db)
        if record is not None:
            _log_published(con, record, "data_quality")
        parquet.put_in_place()
        if _LOG_TABLE in tables:
            _write_parquet(con, paths, *_LOG_TABLE)
            _place_parquet(paths, *_LOG_TABLE)
    finally:
        if parquet is not None:
            parquet.abandon()
        con.close()
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return PublishResult(paths.serving_db, paths.parquet_dir, counts)


_LOG_TABLE = ("data_quality", "publish_log")


def _parquet_paths(paths: WarehousePaths, schema: str, table: str) -> tuple[Path, Path]:
    """(final, temporary) path of one table's Parquet file; the folder is created."""
    folder = paths.parquet_dir / schema
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{table}.parquet", folder / f".{table}.parquet.tmp"


def _write_parquet(
    con: duckdb.DuckDBPyConnection, paths: WarehousePaths, schema: str, table: str
) -> None:
    """One table's Parquet file, under its temporary name (moved into place by the caller)."""
    _, temporary = _parquet_paths(paths, schema, table)
    con.execute(
        f"copy (select * from {schema}.{table}) to '{_quote(temporary)}' "
        f"(format parquet{serving_meta.kv_metadata_option(schema, table)})"
    )


def _place_parquet(paths: WarehousePaths, schema: str, table: str) -> None:
    """Move one table's written Parquet file onto its final name (atomic)."""
    final, temporary = _parquet_paths(paths, schema, table)
    os.replace(temporary, final)


class _ParquetCopies:
    """The Parquet files of ``tables``, written in a thread on their own connection while
    the serving file is written (DuckDB writes that file on one core: 10.3–11.3 s against
    12.1–12.4 s one after the other for the 10⁶ marts, docs/benchmarks.md). They stay under
    their temporary names until :meth:`put_in_place`, after the serving file's swap, so a
    publish that fails leaves the old Parquet files as they were."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        paths: WarehousePaths,
        tables: list[tuple[str, str]],
    ) -> None:
        self._con = con
        self._paths = paths
        self._tables = tables
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._write, name="parquet-copies", daemon=True)
        self._thread.start()

    def _write(self) -> None:
        try:
            for schema, table in self._tables:
                _write_parquet(self._con, self._paths, schema, table)
        except BaseException as error:  # re-raised in the publishing thread
            self._error = error
        finally:
            self._con.close()

    def put_in_place(self) -> None:
        """Wait for the files, then move each onto its final name (raises what failed)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        for schema, table in self._tables:
            _place_parquet(self._paths, schema, table)

    def abandon(self) -> None:
        """At the end, failed or not: wait for the thread, remove what it left unplaced."""
        self._thread.join()
        for schema, table in self._tables:
            _parquet_paths(self._paths, schema, table)[1].unlink(missing_ok=True)


def _log_published(con: duckdb.DuckDBPyConnection, record: PublishRecord, schema: str) -> None:
    """The ``published`` row, in the build database or the new serving copy."""
    finished_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute(f"delete from {schema}.publish_log where run_id = ?", [record.run_id])
    con.execute(
        f"insert into {schema}.publish_log ({_LOG_COLUMNS}) "
        "values (?, ?, ?, ?, 'published', ?, ?, ?, ?)",
        [
            record.run_id,
            record.as_of_date,
            record.started_at,
            finished_at,
            record.reason,
            record.outcome,
            record.warnings,
            record.rows_quarantined,
        ],
    )


_LOG_COLUMNS = (
    "run_id, as_of_date, started_at, finished_at, status, reason, outcome, warnings, "
    "rows_quarantined"
)


def record_publish(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    as_of_date: dt.date,
    started_at: dt.datetime,
    status: str,
    reason: str,
    outcome: str | None = None,
    warnings: int = 0,
    rows_quarantined: int = 0,
) -> None:
    """One publish_log row per build (re-running a run id replaces its row).

    ``status`` is the spec's published / blocked / failed; ``outcome`` (default: the
    status) says "published with warnings" where that applies."""
    finished_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute("delete from data_quality.publish_log where run_id = ?", [run_id])
    con.execute(
        f"insert into data_quality.publish_log ({_LOG_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            as_of_date,
            started_at,
            finished_at,
            status,
            reason,
            outcome or status,
            warnings,
            rows_quarantined,
        ],
    )
