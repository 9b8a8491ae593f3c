"""Serve the published marts from PostgreSQL too (config ``serving: {target: postgres}``).

Runs after the DuckDB serving file is in place and copies it: every table of
``opportunity_funnel``, ``customer_lifecycle`` and ``data_quality`` goes into a schema of
the same name plus ``__new`` (types mapped from DuckDB's, comments along), the BI reader
role gets SELECT on them, and then one transaction renames the live schemas away, renames
the new ones in and drops the old ones. A BI session therefore sees the old marts or the
new ones, never a mix (docs/scaling.md says what that means for long transactions).

Nothing here raises into the build: :func:`publish_postgres` returns a result whose
``error`` is one sentence without the connection secret. The DuckDB file is already
published by then, so a PostgreSQL failure leaves it, the publish_log ``published`` row
and the exit code as they are; the caller reports the failure.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
from psycopg2 import sql

from core.settings import ServingConfig
from delivery.alerts import MissingSecret, resolve_url
from delivery.publish import PUBLISHED_SCHEMAS

NEW_SUFFIX = "__new"
OLD_SUFFIX = "__old"
# DuckDB column types and their PostgreSQL counterparts (DECIMAL keeps its precision).
_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(38, 0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20, 0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "VARCHAR": "text",
    "UUID": "uuid",
    "INTERVAL": "interval",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


class ServingError(RuntimeError):
    """PostgreSQL serving failed; the message names the step and carries no secret."""


@dataclass(frozen=True)
class PostgresServingResult:
    """Outcome of one PostgreSQL publish: tables and rows loaded, or why it failed."""

    tables: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def postgres_type(duckdb_type: str) -> str | None:
    """PostgreSQL type for a DuckDB column type; None when there is no faithful one."""
    upper = duckdb_type.strip().upper()
    decimal = _DECIMAL.match(upper)
    if decimal:
        return f"numeric({decimal.group(1)}, {decimal.group(2)})"
    return _TYPES.get(upper)


def _mask(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def connect(config: ServingConfig, environ: Mapping[str, str] | None = None) -> Any:
    """A psycopg2 connection from the configured DSN, its ``${VAR}`` filled from the
    environment now (not at load time), errors without the secret."""
    try:
        dsn, secrets = resolve_url(config.dsn, environ)
    except MissingSecret as exc:
        raise ServingError(f"PostgreSQL serving: {exc}") from None
    try:
        return psycopg2.connect(dsn, connect_timeout=10, application_name="crm-pipeline")
    except psycopg2.Error as exc:
        first_line = _mask(str(exc).strip().splitlines()[0] if str(exc).strip() else "", secrets)
        raise ServingError(f"PostgreSQL serving: cannot connect: {first_line}") from None


def _tables(duck: duckdb.DuckDBPyConnection, schema: str) -> list[tuple[str, str | None]]:
    """(table, comment) of a schema of the serving file, by name."""
    return duck.execute(
        "select table_name, comment from duckdb_tables() where database_name = "
        "current_database() and schema_name = ? order by table_name",
        [schema],
    ).fetchall()


def _columns(
    duck: duckdb.DuckDBPyConnection, schema: str, table: str
) -> list[tuple[str, str, str | None]]:
    """(column, DuckDB type, comment) of one table, in column order."""
    return duck.execute(
        "select column_name, data_type, comment from duckdb_columns() where database_name = "
        "current_database() and schema_name = ? and table_name = ? order by column_index",
        [schema, table],
    ).fetchall()


def copy_table(
    duck: duckdb.DuckDBPyConnection,
    cursor: Any,
    source: tuple[str, str],
    target_schema: str,
    scratch: Path,
) -> int:
    """Create ``target_schema.table`` like the DuckDB table and stream its rows via COPY.

    Columns without a faithful PostgreSQL type (lists, structs) are served as their text
    form. DuckDB writes NULL as an empty field and '' as a quoted one, which is exactly how
    PostgreSQL's CSV format tells them apart.
    """
    schema, table = source
    columns = _columns(duck, schema, table)
    definitions, selected = [], []
    for name, duck_type, _ in columns:
        pg_type = postgres_type(duck_type)
        definitions.append(
            sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(pg_type or "text"))
        )
        quoted = '"' + name.replace('"', '""') + '"'
        selected.append(quoted if pg_type else f"cast({quoted} as varchar) as {quoted}")
    target = sql.Identifier(target_schema, table)
    cursor.execute(sql.SQL("create table {} ({})").format(target, sql.SQL(", ").join(definitions)))
    csv_path = scratch / f"{schema}.{table}.csv"
    duck.execute(
        f'copy (select {", ".join(selected)} from "{schema}"."{table}") '
        f"to '{str(csv_path).replace(chr(39), chr(39) * 2)}' (format csv, header true)"
    )
    with csv_path.open(encoding="utf-8") as rows:
        cursor.copy_expert(
            sql.SQL("copy {} from stdin with (format csv, header true)").format(target), rows
        )
    csv_path.unlink()
    cursor.execute(sql.SQL("select count(*) from {}").format(target))
    return int(cursor.fetchone()[0])


def _comment(cursor: Any, target: tuple[str, str], columns: list[tuple[str, str, str | None]],
             table_comment: str | None) -> None:  # fmt: skip
    """The serving file's table and column comments, on the PostgreSQL copy."""
    if table_comment:
        cursor.execute(
            sql.SQL("comment on table {} is %s").format(sql.Identifier(*target)), [table_comment]
        )
    for name, _, comment in columns:
        if comment:
            cursor.execute(
                sql.SQL("comment on column {} is %s").format(sql.Identifier(*target, name)),
                [comment],
            )


def _role_exists(cursor: Any, role: str) -> bool:
    cursor.execute("select 1 from pg_roles where rolname = %s", [role])
    return cursor.fetchone() is not None


def fill_new_schemas(duck: duckdb.DuckDBPyConnection, pg: Any, reader_role: str) -> dict[str, int]:
    """Load every published table into ``<schema>__new`` and grant the reader SELECT; commit.

    Leftover ``__new`` schemas of an interrupted publish are replaced. Nothing live changes.
    """
    counts: dict[str, int] = {}
    with pg.cursor() as cursor, tempfile.TemporaryDirectory(prefix="crm-serving-") as scratch:
        if not _role_exists(cursor, reader_role):
            raise ServingError(
                f"PostgreSQL serving: role {reader_role} does not exist "
                "(run `crm-pipeline serve-setup` once)"
            )
        for schema in PUBLISHED_SCHEMAS:
            new_schema = schema + NEW_SUFFIX
            cursor.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(new_schema))
            )
            cursor.execute(sql.SQL("create schema {}").format(sql.Identifier(new_schema)))
            for table, table_comment in _tables(duck, schema):
                counts[f"{schema}.{table}"] = copy_table(
                    duck, cursor, (schema, table), new_schema, Path(scratch)
                )
                _comment(cursor, (new_schema, table), _columns(duck, schema, table), table_comment)
            role = sql.Identifier(reader_role)
            cursor.execute(
                sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(new_schema), role)
            )
            cursor.execute(
                sql.SQL("grant select on all tables in schema {} to {}").format(
                    sql.Identifier(new_schema), role
                )
            )
    pg.commit()
    return counts


def swap_schemas(pg: Any, lock_timeout_seconds: float) -> None:
    """One transaction: live schemas renamed to ``__old``, ``__new`` renamed live, old dropped.

    Dropping the old tables waits for BI transactions that already read them (they keep
    their consistent old view until they end); after ``lock_timeout_seconds`` the whole
    swap rolls back and the old marts stay live.
    """
    with pg.cursor() as cursor:
        cursor.execute("select set_config('lock_timeout', %s, true)", [f"{lock_timeout_seconds}s"])
        cursor.execute(
            "select nspname from pg_namespace where nspname = any(%s)", [list(PUBLISHED_SCHEMAS)]
        )
        live = {name for (name,) in cursor.fetchall()}
        for schema in PUBLISHED_SCHEMAS:
            old = sql.Identifier(schema + OLD_SUFFIX)
            cursor.execute(sql.SQL("drop schema if exists {} cascade").format(old))
            if schema in live:
                cursor.execute(
                    sql.SQL("alter schema {} rename to {}").format(sql.Identifier(schema), old)
                )
            cursor.execute(
                sql.SQL("alter schema {} rename to {}").format(
                    sql.Identifier(schema + NEW_SUFFIX), sql.Identifier(schema)
                )
            )
        for schema in PUBLISHED_SCHEMAS:
            cursor.execute(
                sql.SQL("drop schema if exists {} cascade").format(
                    sql.Identifier(schema + OLD_SUFFIX)
                )
            )
    pg.commit()


def publish_postgres(
    serving_db: Path, config: ServingConfig, environ: Mapping[str, str] | None = None
) -> PostgresServingResult:
    """Copy the DuckDB serving file's marts and data_quality to PostgreSQL and swap them in.

    Never raises for a PostgreSQL or connection problem: the result's ``error`` says what
    failed (without the secret) and the live PostgreSQL marts are then the previous ones.
    """
    try:
        pg = connect(config, environ)
    except ServingError as exc:
        return PostgresServingResult(error=str(exc))
    try:
        with duckdb.connect(str(serving_db), read_only=True) as duck:
            counts = fill_new_schemas(duck, pg, config.reader_role)
        swap_schemas(pg, config.lock_timeout_seconds)
        return PostgresServingResult(tables=counts)
    except ServingError as exc:
        pg.rollback()
        return PostgresServingResult(error=str(exc))
    except (psycopg2.Error, duckdb.Error, OSError) as exc:
        pg.rollback()
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return PostgresServingResult(error=f"PostgreSQL serving failed: {detail}")
    finally:
        pg.close()


def setup_reader_role(config: ServingConfig, environ: Mapping[str, str] | None = None) -> list[str]:
    """Create or check the read-only role: exactly SELECT on the mart schemas' tables.

    Creates the role (NOLOGIN: BI logins are granted it) when missing, grants CONNECT on the
    database, USAGE and SELECT on the published schemas that exist, and default privileges
    so tables the publishing role creates later are readable (publish also grants them
    explicitly on each new schema). Revokes any other table or schema privilege it holds
    there. Returns the problems it cannot fix (e.g. the role is a superuser); [] when the
    role is exactly read-only.
    """
    pg = connect(config, environ)
    try:
        problems = _grant_read_only(pg, config.reader_role)
        pg.commit()
        return problems
    except psycopg2.Error as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ServingError(f"PostgreSQL serve-setup failed: {detail}") from None
    finally:
        pg.close()


def _grant_read_only(pg: Any, reader_role: str) -> list[str]:
    """The grants and revocations of :func:`setup_reader_role`; its remaining problems."""
    role = sql.Identifier(reader_role)
    with pg.cursor() as cursor:
        if not _role_exists(cursor, reader_role):
            cursor.execute(sql.SQL("create role {} nologin").format(role))
        cursor.execute(
            sql.SQL("grant connect on database {} to {}").format(
                sql.Identifier(pg.info.dbname), role
            )
        )
        cursor.execute(
            sql.SQL("alter default privileges grant select on tables to {}").format(role)
        )
        cursor.execute(
            "select nspname from pg_namespace where nspname = any(%s)",
            [list(PUBLISHED_SCHEMAS)],
        )
        for (schema,) in cursor.fetchall():
            name = sql.Identifier(schema)
            cursor.execute(sql.SQL("revoke create on schema {} from {}").format(name, role))
            cursor.execute(sql.SQL("grant usage on schema {} to {}").format(name, role))
            cursor.execute(
                sql.SQL("revoke all on all tables in schema {} from {}").format(name, role)
            )
            cursor.execute(
                sql.SQL("grant select on all tables in schema {} to {}").format(name, role)
            )
        return _role_problems(cursor, reader_role)


def _role_problems(cursor: Any, role: str) -> list[str]:
    """What makes the role more than read-only, one sentence each."""
    cursor.execute(
        "select rolsuper, rolcreatedb, rolcreaterole, rolbypassrls from pg_roles "
        "where rolname = %s",
        [role],
    )
    flags = cursor.fetchone()
    problems = [
        f"role {role} has {name}"
        for name, held in zip(
            ("SUPERUSER", "CREATEDB", "CREATEROLE", "BYPASSRLS"), flags, strict=True
        )  # fmt: skip
        if held
    ]
    cursor.execute(
        "select table_schema, table_name, privilege_type from information_schema.table_privileges "
        "where grantee = %s and privilege_type <> 'SELECT' order by 1, 2, 3",
        [role],
    )
    problems += [f"role {role} may {p} on {s}.{t}" for s, t, p in cursor.fetchall()]
    cursor.execute(
        "select nspname from pg_namespace where has_schema_privilege(%s, oid, 'CREATE') order by 1",
        [role],
    )
    problems += [f"role {role} may create objects in schema {s}" for (s,) in cursor.fetchall()]
    return problems
