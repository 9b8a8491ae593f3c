"""PostgreSQL serving (docs/scaling.md): publish copies the DuckDB serving file's marts and
data_quality into PostgreSQL and swaps them in atomically; BI users read through a role
with exactly SELECT on those schemas.

The serving files here are small and hand-made: every table carries the number of the
publish it came from (``version``), so a reader can tell old from new marts.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from psycopg2 import errors

from core.settings import ServingConfig
from delivery.serving_postgres import PostgresServingResult, publish_postgres, setup_reader_role
from tests.postgres.conftest import PgServer

pytestmark = pytest.mark.postgres

OWNER, OWNER_PASSWORD = "crm_owner", "owner-secret-7f3a"
BI_LOGIN, BI_PASSWORD = "bi_alice", "alice-secret-91c2"
TABLES = {
    "opportunity_funnel": "kpi_summary",
    "customer_lifecycle": "dim_customers",
    "data_quality": "publish_log",
}


def make_serving_file(path: Path, version: int) -> Path:
    """A serving file like the pipeline's: one table per published schema, with comments."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        for schema, table in TABLES.items():
            con.execute(f"create schema {schema}")
            con.execute(
                f"create table {schema}.{table} (version integer, amount decimal(18, 2), "
                "win_rate double, note varchar, as_of_date date, is_open boolean)"
            )
            con.execute(
                f"insert into {schema}.{table} values "
                f"({version}, 1234.50, 0.125, '', date '2026-03-31', true), "
                f"({version}, null, null, null, null, null)"
            )
        con.execute("comment on table opportunity_funnel.kpi_summary is '关键指标汇总'")
        con.execute("comment on column opportunity_funnel.kpi_summary.win_rate is '赢单率'")
    return path


@pytest.fixture
def serving_db(pg_server: PgServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database owned by a publishing role that may create roles (serve-setup).

    Roles are cluster-wide: the database (with every grant in it) is dropped after the
    test, then the roles, so the next test starts from none.
    """
    name = "serving_" + request.node.name.split("[")[0][-40:].lower()
    pg_server.create_database(name)
    pg_server.execute(name, f"create role {OWNER} login createrole password '{OWNER_PASSWORD}'")
    pg_server.execute(name, f'alter database "{name}" owner to {OWNER}')
    pg_server.execute(name, f"alter schema public owner to {OWNER}")
    yield name
    pg_server.execute("postgres", f'drop database "{name}" with (force)')
    for role in (BI_LOGIN, "crm_reader", OWNER):
        pg_server.execute("postgres", f"drop role if exists {role}")


def _config(**overrides: Any) -> ServingConfig:
    return ServingConfig(dsn="${PG_DSN}", **overrides)


def _env(pg_server: PgServer, database: str) -> dict[str, str]:
    return {"PG_DSN": pg_server.dsn(database, OWNER, OWNER_PASSWORD)}


def _bi_login(pg_server: PgServer, database: str) -> None:
    """A BI user's login, granted the reader role."""
    pg_server.execute(database, f"create role {BI_LOGIN} login password '{BI_PASSWORD}'")
    pg_server.execute(database, f"grant crm_reader to {BI_LOGIN}")


def _publish(pg_server: PgServer, database: str, tmp_path: Path, version: int,
             **overrides: Any) -> PostgresServingResult:  # fmt: skip
    serving_file = make_serving_file(tmp_path / f"serving-{version}.duckdb", version)
    return publish_postgres(serving_file, _config(**overrides), _env(pg_server, database))


def _versions(cursor: Any) -> tuple[int, ...]:
    """The publish each published schema comes from, read in one statement."""
    cursor.execute(
        "select (select max(version) from opportunity_funnel.kpi_summary), "
        "(select max(version) from customer_lifecycle.dim_customers), "
        "(select max(version) from data_quality.publish_log)"
    )
    return tuple(cursor.fetchone())


@pytest.fixture
def published(pg_server: PgServer, serving_db: str, tmp_path: Path) -> str:
    """serve-setup done, version 1 published, a BI login granted the reader role."""
    assert setup_reader_role(_config(), _env(pg_server, serving_db)) == []
    result = _publish(pg_server, serving_db, tmp_path, 1)
    assert result.error is None
    _bi_login(pg_server, serving_db)
    return serving_db


def test_publish_loads_rows_types_and_comments(pg_server: PgServer, published: str) -> None:
    with pg_server.connect(published) as con, con.cursor() as cursor:
        cursor.execute(
            "select version, amount, win_rate, note, as_of_date, is_open "
            "from opportunity_funnel.kpi_summary order by amount nulls last"
        )
        assert cursor.fetchall() == [
            (1, Decimal("1234.50"), 0.125, "", dt.date(2026, 3, 31), True),
            (1, None, None, None, None, None),  # NULL stays NULL, '' stays ''
        ]
        cursor.execute(
            "select column_name, data_type, numeric_precision, numeric_scale "
            "from information_schema.columns where table_schema = 'opportunity_funnel' "
            "and table_name = 'kpi_summary' order by ordinal_position"
        )
        assert cursor.fetchall() == [
            ("version", "integer", 32, 0),
            ("amount", "numeric", 18, 2),
            ("win_rate", "double precision", 53, None),
            ("note", "text", None, None),
            ("as_of_date", "date", None, None),
            ("is_open", "boolean", None, None),
        ]
        cursor.execute(
            "select obj_description('opportunity_funnel.kpi_summary'::regclass), "
            "col_description('opportunity_funnel.kpi_summary'::regclass, 3)"
        )
        assert cursor.fetchone() == ("关键指标汇总", "赢单率")


def test_republish_replaces_every_schema_and_leaves_no_staging_schema(
    pg_server: PgServer, published: str, tmp_path: Path
) -> None:
    result = _publish(pg_server, published, tmp_path, 2)
    assert result.tables == {f"{s}.{t}": 2 for s, t in TABLES.items()}
    with pg_server.connect(published) as con, con.cursor() as cursor:
        assert _versions(cursor) == (2, 2, 2)
        cursor.execute("select nspname from pg_namespace where nspname like '%%\\_\\_%%'")
        assert cursor.fetchall() == []


def _wait_until_publisher_waits_for_a_lock(pg_server: PgServer, database: str) -> None:
    """Poll pg_stat_activity (one transaction per poll: psycopg2's ``with connection`` would
    hold one open and see a frozen activity snapshot)."""
    deadline = time.monotonic() + 30
    with closing(pg_server.connect(database)) as con:
        con.autocommit = True
        with con.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute(
                    "select count(*) from pg_stat_activity where application_name = "
                    "'crm-pipeline' and wait_event_type = 'Lock'"
                )
                if cursor.fetchone()[0]:
                    return
                time.sleep(0.05)
    raise AssertionError("the publisher never waited for the reader's lock")


def test_repeatable_read_reader_sees_the_old_marts_until_its_transaction_ends(
    pg_server: PgServer, published: str, tmp_path: Path
) -> None:
    reader = pg_server.connect(published, user=BI_LOGIN, password=BI_PASSWORD)
    reader.set_session(isolation_level="REPEATABLE READ")
    cursor = reader.cursor()
    cursor.execute("select max(version) from opportunity_funnel.kpi_summary")
    assert cursor.fetchone() == (1,)
    outcome: list[PostgresServingResult] = []
    publisher = threading.Thread(
        target=lambda: outcome.append(_publish(pg_server, published, tmp_path, 2))
    )
    publisher.start()
    _wait_until_publisher_waits_for_a_lock(pg_server, published)
    # mid-publish, in the same transaction: the other schemas are still the old publish
    cursor.execute("select max(version) from customer_lifecycle.dim_customers")
    assert cursor.fetchone() == (1,)
    assert _versions(cursor) == (1, 1, 1)
    reader.commit()
    publisher.join(timeout=60)
    assert outcome and outcome[0].error is None
    assert _versions(cursor) == (2, 2, 2)  # the same connection, next transaction
    reader.close()


def test_plain_session_sees_whole_publishes_only(
    pg_server: PgServer, published: str, tmp_path: Path
) -> None:
    reader = pg_server.connect(published, user=BI_LOGIN, password=BI_PASSWORD)
    reader.autocommit = True
    cursor = reader.cursor()
    seen: set[tuple[int, ...]] = set()
    publisher = threading.Thread(
        target=lambda: [_publish(pg_server, published, tmp_path, v) for v in (2, 3, 4)]
    )
    publisher.start()
    while publisher.is_alive():
        seen.add(_versions(cursor))
    seen.add(_versions(cursor))
    reader.close()
    assert all(len(set(versions)) == 1 for versions in seen), seen
    assert (4, 4, 4) in seen


def test_reader_holding_old_tables_past_the_lock_timeout_keeps_the_old_marts_live(
    pg_server: PgServer, published: str, tmp_path: Path
) -> None:
    reader = pg_server.connect(published, user=BI_LOGIN, password=BI_PASSWORD)
    cursor = reader.cursor()
    cursor.execute("select count(*) from opportunity_funnel.kpi_summary")  # holds its lock
    result = _publish(pg_server, published, tmp_path, 2, lock_timeout_seconds=0.5)
    reader.rollback()
    reader.close()
    assert result.error is not None and "lock timeout" in result.error
    with pg_server.connect(published) as con, con.cursor() as other:
        assert _versions(other) == (1, 1, 1)
    assert _publish(pg_server, published, tmp_path, 3).error is None  # the next one works


def test_connection_failure_is_reported_without_the_secret(
    pg_server: PgServer, published: str, tmp_path: Path
) -> None:
    wrong = pg_server.dsn(published, OWNER, "not-the-password-5e1d")
    serving_file = make_serving_file(tmp_path / "serving.duckdb", 2)
    result = publish_postgres(serving_file, _config(), {"PG_DSN": wrong})
    assert result.error is not None and "cannot connect" in result.error
    assert "not-the-password-5e1d" not in result.error
    missing = publish_postgres(serving_file, _config(), {})
    assert missing.error == "PostgreSQL serving: environment variable PG_DSN is not set"
    with pg_server.connect(published) as con, con.cursor() as cursor:
        assert _versions(cursor) == (1, 1, 1)


def test_publish_without_the_reader_role_fails_before_anything_changes(
    pg_server: PgServer, serving_db: str, tmp_path: Path
) -> None:
    result = _publish(pg_server, serving_db, tmp_path, 1, reader_role="nobody_reads")
    assert result.error == (
        "PostgreSQL serving: role nobody_reads does not exist (run `crm-pipeline serve-setup` once)"
    )
    with pg_server.connect(serving_db) as con, con.cursor() as cursor:
        cursor.execute("select count(*) from pg_namespace where nspname like 'opportunity%%'")
        assert cursor.fetchone() == (0,)


@pytest.mark.parametrize(
    "statement",
    [
        "insert into opportunity_funnel.kpi_summary (version) values (9)",
        "update customer_lifecycle.dim_customers set version = 9",
        "delete from data_quality.publish_log",
        "truncate opportunity_funnel.kpi_summary",
        "create table opportunity_funnel.mine (x int)",
        "drop table opportunity_funnel.kpi_summary",
        "create table public.mine (x int)",
        "create schema mine",
        "select * from private.secrets",
    ],
)
def test_read_only_role_is_refused_anything_but_reading_the_marts(
    pg_server: PgServer, published: str, statement: str
) -> None:
    pg_server.execute(published, f"create schema if not exists private authorization {OWNER}")
    pg_server.execute(published, "create table if not exists private.secrets (phone text)")
    pg_server.execute(published, f"alter table private.secrets owner to {OWNER}")
    with pg_server.connect(published, user=BI_LOGIN, password=BI_PASSWORD) as con:
        with con.cursor() as cursor:
            assert _versions(cursor) == (1, 1, 1)  # reading is allowed
        with con.cursor() as cursor, pytest.raises(errors.InsufficientPrivilege):
            cursor.execute(statement)


def test_reader_can_read_tables_of_later_publishes(
    pg_server: PgServer, published: str, tmp_path: Path
) -> None:
    assert _publish(pg_server, published, tmp_path, 2).error is None
    with (
        closing(pg_server.connect(published, user=BI_LOGIN, password=BI_PASSWORD)) as con,
        con.cursor() as cursor,
    ):
        assert _versions(cursor) == (2, 2, 2)


def test_serve_setup_strips_extra_privileges_and_reports_what_it_cannot_fix(
    pg_server: PgServer, published: str
) -> None:
    pg_server.execute(published, "grant insert on opportunity_funnel.kpi_summary to crm_reader")
    assert setup_reader_role(_config(), _env(pg_server, published)) == []
    with pg_server.connect(published) as con, con.cursor() as cursor:
        cursor.execute(
            "select privilege_type from information_schema.table_privileges "
            "where grantee = 'crm_reader' and table_name = 'kpi_summary'"
        )
        assert cursor.fetchall() == [("SELECT",)]
    pg_server.execute(published, "alter role crm_reader createdb")
    assert setup_reader_role(_config(), _env(pg_server, published)) == [
        "role crm_reader has CREATEDB"
    ]
