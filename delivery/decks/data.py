"""Reading the serving database for the decks: read-only, one query per slide element.

Every chart, table and headline of both decks is one :class:`MartQuery` in
:mod:`delivery.decks.queries`, named by a key and listing the mart tables it reads. The
deck builders and the tests run the very same SQL, so a test can compare a chart with
the query its footer names. A table or column that the serving file does not have (an
older build, a mart not yet extended) makes that query :class:`Unavailable` instead of
failing the deck.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

Row = dict[str, Any]


@dataclass(frozen=True)
class MartQuery:
    """One SELECT over the serving database and the ``schema.table`` names it reads."""

    key: str
    tables: tuple[str, ...]
    sql: str


@dataclass(frozen=True)
class Unavailable:
    """The serving file lacks a table or column the query needs (the reason, in English)."""

    query: MartQuery
    reason: str


class ServingMissing(FileNotFoundError):
    """There is no published serving database yet."""


@contextmanager
def open_serving(serving_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The published database, opened read-only (never the build database)."""
    if not serving_db.exists():
        raise ServingMissing(
            f"no published serving database at {serving_db}: run a build that publishes first"
        )
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        yield con
    finally:
        con.close()


def run_query(
    con: duckdb.DuckDBPyConnection, query: MartQuery, params: list[Any] | None = None
) -> list[Row] | Unavailable:
    """The query's rows as dicts, or :class:`Unavailable` when a table or column is absent."""
    try:
        cursor = con.execute(query.sql, params or [])
    except (duckdb.CatalogException, duckdb.BinderException) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Unavailable(query, first[:200])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def serving_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The business date D of the published marts (None for an empty serving file)."""
    for table in ("opportunity_funnel.kpi_summary", "customer_lifecycle.kpi_summary"):
        try:
            row = con.execute(f"select max(as_of_date) from {table}").fetchone()
        except duckdb.CatalogException:
            continue
        if row and row[0] is not None:
            return row[0]
    try:
        row = con.execute(
            "select as_of_date from data_quality.publish_log where status = 'published' "
            "order by finished_at desc limit 1"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None
