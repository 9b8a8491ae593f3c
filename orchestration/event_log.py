"""Dagster's SQLite event log, with each database file kept open instead of reopened per event.

A build writes ~600 Dagster events per dbt step (a step output and a materialization per
model, a step output and a check evaluation per dbt test). Dagster's own
``SqliteEventLogStorage`` opens a new SQLite connection for every one of them and closes it
afterwards; closing the last connection to a WAL database checkpoints it, so each event cost
about seven ``fdatasync`` calls: ~20 ms wall and ~4 ms CPU per event on this machine, tens
of seconds of a small build (docs/benchmarks.md, "Fixed costs of a build").

:class:`KeptOpenSqliteEventLogStorage` stores exactly the same rows in exactly the same
files (``DAGSTER_HOME/history/runs/<run_id>.db`` and ``index.db``), so the UI, the sensors
and the alerts read the same history. It only changes how the files are opened:

- one connection per database file stays open (the most recently used files only, so a
  webserver reading thousands of runs does not keep thousands of files open);
- ``synchronous = normal``, SQLite's recommended setting in WAL mode: a commit is not
  flushed to disk on its own, checkpoints are. A crashed process loses nothing it
  committed; a power cut may lose the last commits, never corrupts the file;
- after an event is stored, its run's database file is touched, because the webserver's
  live log view watches that file for changes and the rows now sit in the WAL until the
  next checkpoint (readers see them there at once).

It is configured in the instance's ``dagster.yaml`` (``crm_pipeline/runner.py`` writes it)
as Dagster's documented ``event_log_storage`` section with this module and class.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

# Database files kept open at once: the run being written and the index, plus a few runs
# a webserver or a sensor reads.
OPEN_FILES = 8


def _tune(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection settings (SQLite does not store ``synchronous`` in the file)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("pragma journal_mode = wal")
    cursor.execute("pragma synchronous = normal")
    cursor.close()


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` that keeps its recent database files open (see module)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> KeptOpenSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """The open engine of one database file (called under ``self._db_lock``)."""
        if self._engines_pid != os.getpid():
            # a forked child must not use its parent's connections: open its own
            for inherited in self._engines.values():
                inherited.dispose(close=False)
            self._engines.clear()
            self._engines_pid = os.getpid()
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=StaticPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            event.listen(engine, "connect", _tune)
            self._engines[shard] = engine
            while len(self._engines) > OPEN_FILES:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
        self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def store_event(self, event: EventLogEntry) -> None:
        super().store_event(event)
        # wake the webserver's watcher of this run's file (see module docstring)
        with suppress(OSError):  # the next checkpoint modifies the file anyway
            os.utime(self.path_for_shard(event.run_id))

    def _close_files(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._close_files()  # the files are deleted: no connection may stay on them
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._close_files()
