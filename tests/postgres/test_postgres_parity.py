"""Spec operations.md, "Scaling out": the same dbt project builds on PostgreSQL by switching
the target, with the same results.

Each hand-made landing folder of the end-to-end tests (whose DuckDB results those tests
check against hand-derived values) is built by ``crm-pipeline build`` on DuckDB; its
``raw`` and ``data_quality`` tables are copied to a fresh PostgreSQL database, where
``dbt build --target postgres`` runs every model, data test and unit test. Every mart
table must then hold the same rows with the same values (floats within a relative 1e-9),
the same column names, and corresponding column types.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from crm_pipeline.cli import main
from tests.postgres.conftest import PgServer
from tests.postgres.parity import compare_table, compare_types, copy_sources, mart_tables, run_dbt

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

FIXTURES = Path(__file__).resolve().parents[1] / "e2e" / "fixtures"
AS_OF = dt.date(2026, 3, 31)


@pytest.fixture(scope="module", params=["backbone", "customer", "funnel"])
def replayed(request: pytest.FixtureRequest, pg_server: PgServer,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:  # fmt: skip
    """(DuckDB build database, PostgreSQL database) of one fixture, built on both engines."""
    name = request.param
    warehouse = tmp_path_factory.mktemp(f"{name}_warehouse")
    code = main(
        ["build", "--landing", str(FIXTURES / f"{name}_landing"), "--warehouse", str(warehouse),
         "--as-of", AS_OF.isoformat()]
    )  # fmt: skip
    assert code == 0
    build_db = warehouse / "build" / "crm.duckdb"
    database = f"parity_{name}"
    pg_server.create_database(database)
    with pg_server.connect(database) as pg:
        copy_sources(build_db, pg)
    env = pg_server.dbt_env(database)
    completed = run_dbt("postgres", env, AS_OF, tmp_path_factory.mktemp(f"{name}_dbt_pg"))
    assert completed.returncode == 0, completed.stdout[-4000:]
    return build_db, database


def test_every_mart_table_holds_the_same_rows_and_values(
    replayed: tuple[Path, str], pg_server: PgServer
) -> None:
    build_db, database = replayed
    with duckdb.connect(str(build_db), read_only=True) as duck, pg_server.connect(database) as pg:
        tables = mart_tables(duck)
        # both marts are there, with the tables the e2e tests read (not an empty comparison)
        assert {schema for schema, _ in tables} == {"opportunity_funnel", "customer_lifecycle"}
        assert len(tables) >= 20
        problems = []
        with pg.cursor() as cursor:
            for schema, table in tables:
                problems += compare_table(duck, cursor, schema, table)
        assert problems == []


def test_mart_rows_are_not_all_empty(replayed: tuple[Path, str], pg_server: PgServer) -> None:
    """The fixture's facts reach PostgreSQL: the comparison is over real rows."""
    _, database = replayed
    with pg_server.connect(database) as pg, pg.cursor() as cursor:
        cursor.execute("select count(*) from customer_lifecycle.kpi_summary")
        assert cursor.fetchone()[0] > 0


def test_column_types_correspond(replayed: tuple[Path, str], pg_server: PgServer) -> None:
    build_db, database = replayed
    with (
        duckdb.connect(str(build_db), read_only=True) as duck,
        pg_server.connect(database) as pg,
        pg.cursor() as cursor,
    ):
        assert compare_types(duck, cursor) == []
