"""Small run-time helpers shared by the asset, schedule and sensor modules."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from core import database
from core.build_lock import build_db_lock
from core.paths import WarehousePaths
from core.quality_tables import create_quality_tables
from core.raw_schema import create_raw_tables


def partition_date(context: dg.AssetExecutionContext) -> dt.date:
    """The build's business date D, from the run's partition key (YYYY-MM-DD)."""
    return dt.date.fromisoformat(context.partition_key)


@contextmanager
def build_writer(
    paths: WarehousePaths,
    purpose: str = "a build step",
    log: Callable[[str], None] | None = None,
    timeout: float | None = None,
) -> Iterator[None]:
    """Hold the build database's OS-level writer lock (re-entrant within one thread).

    Inside ``crm-pipeline build`` the run already holds it, so this costs nothing; under
    the Dagster daemon each writing step takes it, so a command-line build and a daemon
    step never write at the same time.
    """
    with build_db_lock(paths.lock_file, purpose, notify=log, timeout=timeout):
        yield


@contextmanager
def build_connection(
    paths: WarehousePaths,
    log: Callable[[str], None] | None = None,
    timeout: float | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the private build database, tables ensured.

    The connection is opened under the writer lock (see :func:`build_writer`; ``timeout``
    defaults to ``CRM_BUILD_LOCK_TIMEOUT``).
    """
    paths.ensure()
    with build_writer(paths, "a build step", log, timeout):
        con = database.connect(paths.build_db)
        try:
            create_raw_tables(con)
            create_quality_tables(con)
            yield con
        finally:
            con.close()


TERMINAL_PROGRESS_SECONDS = 3.0


def progress_reporter(
    context: dg.AssetExecutionContext | dg.OpExecutionContext, to_terminal: bool = False
) -> Callable[[str], None]:
    """Report progress to the Dagster log and, for command-line runs, to the terminal.

    The Dagster log gets every line; the terminal (``to_terminal``: the pipeline
    resource's ``progress_to_terminal``) at most one every few seconds, so a build over
    hundreds of small daily files stays readable.
    """
    last_shown = [float("-inf")]

    def report(message: str) -> None:
        context.log.info(message)
        now = time.monotonic()
        if to_terminal and now - last_shown[0] >= TERMINAL_PROGRESS_SECONDS:
            last_shown[0] = now
            print(f"  {message}", file=sys.stderr, flush=True)

    return report
