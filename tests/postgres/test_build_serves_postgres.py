"""`crm-pipeline build` with ``serving: {target: postgres, dsn: ${PG_DSN}}``: the published
marts and data_quality reach PostgreSQL as well as the DuckDB serving file; when PostgreSQL
fails, the DuckDB file is still published, the exit code is still 0 and publish_log says
why (without the password). `crm-pipeline serve-setup` creates the reader role.
"""

from __future__ import annotations

import datetime as dt
from contextlib import closing
from pathlib import Path

import duckdb
import pytest

from crm_pipeline.cli import main
from tests.postgres.conftest import PgServer

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

LANDING = Path(__file__).resolve().parents[1] / "e2e" / "fixtures" / "funnel_landing"
AS_OF = dt.date(2026, 3, 31)
DATABASE = "build_serving"


@pytest.fixture(scope="module")
def config(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pg_server.create_database(DATABASE)
    path = tmp_path_factory.mktemp("serving_config") / "config.yaml"
    # its own reader role: roles are cluster-wide and test_serving_postgres drops crm_reader
    path.write_text(
        "serving:\n  target: postgres\n  dsn: ${PG_DSN}\n  reader_role: build_reader\n",
        encoding="utf-8",
    )
    return path


def _build(warehouse: Path, config: Path) -> int:
    return main(
        ["build", "--landing", str(LANDING), "--warehouse", str(warehouse),
         "--as-of", AS_OF.isoformat(), "--config", str(config)]
    )  # fmt: skip


def _serving_counts(serving_db: Path) -> dict[str, int]:
    with duckdb.connect(str(serving_db), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('opportunity_funnel', 'customer_lifecycle', 'data_quality')"
        ).fetchall()
        return {
            f"{s}.{t}": con.execute(f"select count(*) from {s}.{t}").fetchone()[0]
            for s, t in tables
        }


def test_serve_setup_then_build_publishes_the_same_tables_to_postgresql(
    pg_server: PgServer, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PG_DSN", pg_server.dsn(DATABASE))
    assert main(["serve-setup", "--config", str(config)]) == 0
    assert _build(tmp_path, config) == 0
    expected = _serving_counts(tmp_path / "serving" / "crm.duckdb")
    assert "opportunity_funnel.fct_opportunities" in expected
    with closing(pg_server.connect(DATABASE)) as pg, pg.cursor() as cursor:
        found = {}
        for qualified in expected:
            cursor.execute(f"select count(*) from {qualified}")
            found[qualified] = cursor.fetchone()[0]
        assert found == expected
        cursor.execute(
            "select count(*) from opportunity_funnel.fct_opportunities where lead_id = 'L01'"
        )
        assert cursor.fetchone() == (1,)
        cursor.execute(
            "select has_table_privilege('build_reader', 'opportunity_funnel.kpi_summary', "
            "'SELECT'), has_table_privilege('build_reader', 'opportunity_funnel.kpi_summary', "
            "'INSERT')"
        )
        assert cursor.fetchone() == (True, False)


def test_a_postgresql_failure_leaves_the_duckdb_publish_and_the_exit_code(
    pg_server: PgServer, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PG_DSN", pg_server.dsn(DATABASE, password="wrong-password-3b9e"))
    assert _build(tmp_path, config) == 0
    with duckdb.connect(str(tmp_path / "build" / "crm.duckdb"), read_only=True) as con:
        status, reason = con.execute(
            "select status, reason from data_quality.publish_log"
        ).fetchone()
    assert status == "published"
    assert "PostgreSQL serving: cannot connect" in reason
    assert "wrong-password-3b9e" not in reason
    assert (tmp_path / "serving" / "crm.duckdb").exists()


def test_serve_setup_without_a_serving_section_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "config.yaml"
    empty.write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
    assert main(["serve-setup", "--config", str(empty)]) == 1
