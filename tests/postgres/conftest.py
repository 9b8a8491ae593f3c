"""A throw-away PostgreSQL server for the tests marked ``postgres`` (one per session).

``initdb`` and ``pg_ctl`` come from the machine (Debian's ``postgresql`` package;
``.ci/run`` installs it when missing). ``initdb`` refuses to run as root, so under root
the server runs as the ``postgres`` user, in a fresh data folder under the temporary
directory that it owns; it listens on 127.0.0.1 on a free port (password authentication)
and on a unix socket inside that folder, and is stopped and deleted at the end.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest

SUPERUSER = "postgres"


def _binary_dir() -> Path:
    """Folder of initdb/pg_ctl: on PATH, else the newest /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if not candidates:
        pytest.fail(
            "no PostgreSQL server binaries (initdb): install Debian's postgresql package "
            "(.ci/run does) or deselect these tests with -m 'not postgres'"
        )
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class PgServer:
    """A running server: where it listens and the superuser's password."""

    host: str
    port: int
    password: str
    version: str

    def dsn(self, dbname: str = "postgres", user: str = SUPERUSER, password: str = "") -> str:
        """A libpq key/value connection string."""
        return (
            f"host={self.host} port={self.port} dbname={dbname} user={user} "
            f"password={password or self.password}"
        )

    def connect(self, dbname: str = "postgres", **kwargs: Any) -> Any:
        return psycopg2.connect(self.dsn(dbname, **kwargs))

    def create_database(self, name: str) -> None:
        """A fresh, empty database (dropped first if an earlier test left one)."""
        con = self.connect()
        con.autocommit = True
        with con.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
            cursor.execute(f'create database "{name}"')
        con.close()

    def dbt_env(self, dbname: str) -> dict[str, str]:
        """The variables the dbt profile's postgres target reads, for one database."""
        return {
            "CRM_PG_HOST": self.host,
            "CRM_PG_PORT": str(self.port),
            "CRM_PG_USER": SUPERUSER,
            "CRM_PG_PASSWORD": self.password,
            "CRM_PG_DATABASE": dbname,
        }

    def execute(self, dbname: str, statement: str) -> None:
        con = self.connect(dbname)
        con.autocommit = True
        with con.cursor() as cursor:
            cursor.execute(statement)
        con.close()


def _run_as_server_user(command: list[str], as_postgres: bool) -> None:
    full = ["runuser", "-u", "postgres", "--", *command] if as_postgres else command
    completed = subprocess.run(full, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed: {completed.stderr.strip()}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """Start a throw-away PostgreSQL server for the session; stop and delete it after."""
    bin_dir = _binary_dir()
    as_postgres = os.geteuid() == 0
    # Not pytest's tmp_path: its folders are private to root and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="crm-pg-test-"))
    data_dir = root / "data"
    password = secrets.token_hex(16)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n", encoding="utf-8")
    if as_postgres:
        shutil.chown(root, "postgres")
        shutil.chown(pwfile, "postgres")
    pwfile.chmod(0o600)
    port = _free_port()
    server_options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data_dir)]
    try:
        _run_as_server_user(
            [str(bin_dir / "initdb"), "-D", str(data_dir), "-U", SUPERUSER, "-E", "UTF8",
             "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256",
             f"--pwfile={pwfile}"],
            as_postgres,
        )  # fmt: skip
        _run_as_server_user(
            [*pg_ctl, "-l", str(root / "server.log"), "-w", "-o", server_options, "start"],
            as_postgres,
        )
        version = subprocess.run(
            [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
        yield PgServer("127.0.0.1", port, password, version)
    finally:
        if (data_dir / "postmaster.pid").exists():
            _run_as_server_user([*pg_ctl, "-m", "immediate", "-w", "stop"], as_postgres)
        shutil.rmtree(root, ignore_errors=True)
