"""End to end: a BI user's view of meaning, and an analytics engineer's dbt loop.

One build of tests/e2e/fixtures/customer_landing (leads and service records) as of
2026-03-31, then: a read-only connection to the serving file finds a comment on every mart
table and column; every enumeration key stored in a mart has a row in reference.labels;
money is never DOUBLE; `crm-pipeline dbt --as-of D -- build -s funnel_conversion` rebuilds
the published table identically; a bare dbt run without the date fails with a clear message.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from crm_pipeline.cli import main
from orchestration.dbt import DBT_PROJECT_DIR, dbt_executable

pytestmark = pytest.mark.e2e

LANDING = Path(__file__).resolve().parent / "fixtures" / "customer_landing"
AS_OF = dt.date(2026, 3, 31)
MARTS = ("opportunity_funnel", "customer_lifecycle")
# Mart columns holding enumeration keys, and the enumeration of reference.labels they use.
ENUM_COLUMNS = {
    "stage": "stage",
    "furthest_stage": "stage",
    "history_stage": "stage",
    "previous_stage": "stage",
    "status": "status",
    "source": "source",
    "channel": "channel",
    "urgency": "urgency",
    "grade": "grade",
    "type": "service_type",
    "priority": "priority",
    "tier": "tier",
    "lifecycle_status": "lifecycle_status",
    "churn_reason": "risk_reason",
    "risk_reasons": "risk_reason",
    "entered_via": "entered_via",
}
# Tables whose `reason` column is an enumeration, and which one.
REASON_ENUMS = {"attention_list": "attention_reason", "churn_watchlist": "risk_reason"}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = tmp_path_factory.mktemp("meaning_warehouse")
    code = main(
        ["build", "--landing", str(LANDING), "--warehouse", str(warehouse),
         "--as-of", AS_OF.isoformat()]
    )  # fmt: skip
    assert code == 0
    return warehouse


def _serving(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse / "serving" / "crm.duckdb"), read_only=True)


def _mart_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str]]:
    return con.execute(
        "select schema_name, table_name, column_name, data_type from duckdb_columns() "
        "where schema_name in ('opportunity_funnel', 'customer_lifecycle') order by all"
    ).fetchall()


def test_every_mart_table_and_column_has_a_comment(warehouse: Path) -> None:
    with _serving(warehouse) as con:
        tables = con.execute(
            "select schema_name, table_name, coalesce(comment, '') from duckdb_tables() "
            "where schema_name in ('opportunity_funnel', 'customer_lifecycle')"
        ).fetchall()
        uncommented = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where schema_name in ('opportunity_funnel', 'customer_lifecycle', 'data_quality') "
            "and coalesce(comment, '') = ''"
        ).fetchall()
    assert len(tables) >= 20
    assert [t for t in tables if not t[2]] == []
    assert uncommented == []


def test_labels_cover_every_enum_key_found_in_the_marts(warehouse: Path) -> None:
    with _serving(warehouse) as con:
        labelled = set(con.execute("select enum, key from reference.labels").fetchall())
        found: set[tuple[str, str]] = set()
        for schema, table, column, _ in _mart_columns(con):
            enum = ENUM_COLUMNS.get(column)
            if column == "reason":
                enum = REASON_ENUMS[table]
            if enum is None:
                continue
            for (value,) in con.execute(
                f"select distinct {column} from {schema}.{table} where {column} is not null"
            ).fetchall():
                found |= {(enum, key) for key in str(value).split(",") if key}
    expected = {"stage", "status", "source", "tier", "lifecycle_status", "priority", "service_type"}
    assert {enum for enum, _ in found} >= expected
    assert found - labelled == set()


def test_money_is_decimal_with_two_decimals(warehouse: Path) -> None:
    money = ("amount", "_value", "pipeline", "per_rep")
    with _serving(warehouse) as con:
        columns = [
            (t, c, ty)
            for _, t, c, ty in _mart_columns(con)
            if any(word in c for word in money)
            and not any(word in c for word in ("rate", "share", "rank"))
        ]
    assert columns
    assert [c for c in columns if not c[2].startswith("DECIMAL(") or not c[2].endswith(",2)")] == []


def test_crm_pipeline_dbt_reproduces_the_published_table(warehouse: Path) -> None:
    code = main(
        ["dbt", "--warehouse", str(warehouse), "--as-of", AS_OF.isoformat(), "--",
         "build", "-s", "funnel_conversion"]
    )  # fmt: skip
    assert code == 0
    with duckdb.connect(str(warehouse / "build" / "crm.duckdb"), read_only=True) as con:
        con.execute(f"attach '{warehouse / 'serving' / 'crm.duckdb'}' as serving (read_only)")
        rebuilt = con.execute("select * from opportunity_funnel.funnel_conversion order by all")
        rebuilt_rows = rebuilt.fetchall()
        published = con.execute(
            "select * from serving.opportunity_funnel.funnel_conversion order by all"
        ).fetchall()
    assert rebuilt_rows and rebuilt_rows == published


def test_a_bare_dbt_run_without_the_date_fails_clearly(warehouse: Path, tmp_path: Path) -> None:
    env = {**os.environ, "CRM_BUILD_DB": str(warehouse / "build" / "crm.duckdb")}
    result = subprocess.run(
        [dbt_executable(), "run", "-s", "funnel_conversion", "--project-dir",
         str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(tmp_path / "target")],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "var as_of_date is not set" in result.stdout + result.stderr


def test_docs_are_generated_with_the_real_columns(warehouse: Path) -> None:
    import json

    assert main(["docs", "--warehouse", str(warehouse)]) == 0
    docs = warehouse / "build" / "dbt_docs"
    assert (docs / "static_index.html").is_file()
    catalog = json.loads((docs / "catalog.json").read_text(encoding="utf-8"))
    columns = catalog["nodes"]["model.crm_analytics.funnel_conversion"]["columns"]
    assert {"cohort_month", "stage", "reached_count", "conversion_to_won_rate"} <= set(columns)
