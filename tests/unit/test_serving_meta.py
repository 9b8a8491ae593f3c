"""Meaning in the serving file (comments, labels, Parquet metadata) and the dbt-the-dbt-way
helpers (history start, per-run dbt targets, `crm-pipeline dbt` arguments)."""

from __future__ import annotations

import datetime as dt
import json
import re
import struct
from pathlib import Path

import duckdb
import pytest
import yaml

from core.paths import WarehousePaths
from core.quality_tables import COLUMN_COMMENTS, TABLES, create_quality_tables
from core.settings import Settings
from delivery.publish import publish_serving

FUNNEL_YML = (
    Path(__file__).resolve().parents[2]
    / "dbt_project/models/marts/opportunity_funnel/_opportunity_funnel__models.yml"
)


def _yml_descriptions(model: str) -> tuple[str, dict[str, str]]:
    """The model's and its columns' descriptions, read straight from the yml."""
    data = yaml.safe_load(FUNNEL_YML.read_text(encoding="utf-8"))
    node = next(m for m in data["models"] if m["name"] == model)
    columns = {c["name"]: " ".join(c["description"].split()) for c in node["columns"]}
    return " ".join(node["description"].split()), columns


@pytest.fixture
def published(tmp_path: Path) -> WarehousePaths:
    """A build database with one real mart table (plus a column the yml does not know)."""
    paths = WarehousePaths(tmp_path / "warehouse").ensure()
    with duckdb.connect(str(paths.build_db)) as con:
        create_quality_tables(con)
        con.execute("create schema opportunity_funnel")
        con.execute("create schema customer_lifecycle")
        con.execute(
            "create table opportunity_funnel.funnel_conversion as select "
            "date '2026-03-01' as cohort_month, 'lead' as stage, 3 as reached_count, "
            "1 as scratch_column"
        )
    publish_serving(paths, run_id="run-1")
    return paths


def test_comments_from_the_yml_reach_a_read_only_reader_of_the_v1_file(
    published: WarehousePaths,
) -> None:
    table_text, column_texts = _yml_descriptions("funnel_conversion")
    header = published.serving_db.read_bytes()[:20]
    assert struct.unpack("<Q", header[12:20])[0] == 64  # storage v1.0.0 (DuckDB 0.10+)
    with duckdb.connect(str(published.serving_db), read_only=True) as con:
        table_comment = con.execute(
            "select comment from duckdb_tables() "
            "where schema_name = 'opportunity_funnel' and table_name = 'funnel_conversion'"
        ).fetchone()[0]
        columns = dict(
            con.execute(
                "select column_name, comment from duckdb_columns() "
                "where schema_name = 'opportunity_funnel' and table_name = 'funnel_conversion'"
            ).fetchall()
        )
    assert table_comment == table_text and table_comment.startswith("阶段转化")
    assert columns["reached_count"] == column_texts["reached_count"]
    assert columns["stage"] == column_texts["stage"]
    assert columns["scratch_column"] is None  # no invented meaning


def test_every_data_quality_column_is_commented(published: WarehousePaths) -> None:
    with duckdb.connect(str(published.serving_db), read_only=True) as con:
        missing = con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where schema_name = 'data_quality' and coalesce(comment, '') = ''"
        ).fetchall()
        tables = con.execute(
            "select table_name from duckdb_tables() "
            "where schema_name = 'data_quality' and coalesce(comment, '') = ''"
        ).fetchall()
    assert missing == [] and tables == []
    declared = {c.split()[0] for cols in TABLES.values() for c in cols.split(",") if c.strip()}
    assert declared <= set(COLUMN_COMMENTS)


def test_labels_table_is_published_from_labels_yaml(published: WarehousePaths) -> None:
    with duckdb.connect(str(published.serving_db), read_only=True) as con:
        row = con.execute(
            "select label_zh, label_en, sort_order from reference.labels "
            "where enum = 'stage' and key = 'proposal'"
        ).fetchone()
        tiers = con.execute(
            "select key from reference.labels where enum = 'tier' order by sort_order"
        ).fetchall()
        comment = con.execute(
            "select comment from duckdb_tables() where table_name = 'labels'"
        ).fetchone()[0]
    assert row == ("方案报价", "Proposal", 4)
    assert tiers == [("A",), ("B",), ("C",)]
    assert comment.startswith("枚举标签")


def test_parquet_carries_table_and_column_comments(published: WarehousePaths) -> None:
    table_text, column_texts = _yml_descriptions("funnel_conversion")
    path = published.parquet_dir / "opportunity_funnel" / "funnel_conversion.parquet"
    rows = duckdb.sql(
        f"select decode(key), decode(value) from parquet_kv_metadata('{path}')"
    ).fetchall()
    metadata = dict(rows)
    assert metadata["comment"] == table_text
    assert json.loads(metadata["column_comments"])["reached_count"] == column_texts["reached_count"]


# ------------------------------------------------------------------ partitions from history
def test_history_starts_at_configuration_else_earliest_file_else_fallback(tmp_path: Path) -> None:
    from orchestration.partitions import FALLBACK_HISTORY_START, history_start, name_date

    assert name_date("leads_20260305.csv") == dt.date(2026, 3, 5)
    assert name_date("2026-13-45.csv") is None
    landing = tmp_path / "landing"
    assert history_start(Settings(), landing) == FALLBACK_HISTORY_START
    (landing / "leads").mkdir(parents=True)
    (landing / "leads" / "2026-02-10.csv").write_text("lead_id\n", encoding="utf-8")
    (landing / "leads" / "2026-01-20.csv").write_text("lead_id\n", encoding="utf-8")
    assert history_start(Settings(), landing) == dt.date(2026, 1, 20)
    configured = Settings(history_start=dt.date(2025, 6, 1))
    assert history_start(configured, landing) == dt.date(2025, 6, 1)


def test_partitions_begin_at_the_history_start() -> None:
    from orchestration.partitions import daily_partitions

    partitions = daily_partitions("Asia/Shanghai", dt.date(2026, 1, 20))
    assert partitions.get_first_partition_key() == "2026-01-20"
    assert not partitions.has_partition_key("2026-01-19")


# ------------------------------------------------------------------------- dbt the dbt way
def test_only_the_last_dbt_targets_are_kept(tmp_path: Path) -> None:
    from orchestration.dbt import KEEP_TARGET_RUNS, TARGET_DIR_NAME, run_target_path

    made = []
    for index in range(KEEP_TARGET_RUNS + 3):
        target = run_target_path(tmp_path, f"step-{index}")
        target.mkdir(parents=True)
        made.append(target)
    left = sorted(p for p in (tmp_path / TARGET_DIR_NAME).iterdir())
    assert left == made[-KEEP_TARGET_RUNS:]


def test_dbt_command_passes_the_configured_vars_and_user_overrides(tmp_path: Path) -> None:
    from crm_pipeline.dbt_cli import dbt_command

    settings = Settings(tiers={"a_share": 0.1, "b_share": 0.2})
    command = dbt_command(
        ["build", "-s", "funnel_conversion", "--vars", "{currency: USD}"],
        settings=settings,
        as_of=dt.date(2026, 3, 31),
        database=tmp_path / "crm.duckdb",
        target_path=tmp_path / "target",
    )
    assert command[1:4] == ["build", "-s", "funnel_conversion"]
    dbt_vars = json.loads(command[command.index("--vars") + 1])
    assert command.count("--vars") == 1
    assert dbt_vars["as_of_date"] == "2026-03-31"
    assert dbt_vars["tiers"] == {"a_share": 0.1, "b_share": 0.2}
    assert dbt_vars["currency"] == "USD"
    assert dbt_vars["build_db"] == str(tmp_path / "crm.duckdb")
    # the project's code fingerprint: incremental staging is rebuilt when the code changes
    assert len(dbt_vars["project_code"]) == 64


def test_the_project_code_var_changes_with_any_macro(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import orchestration.dbt as dbt_module

    project = tmp_path / "dbt_project"
    shutil.copytree(
        dbt_module.DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs")
    )
    monkeypatch.setattr(dbt_module, "DBT_PROJECT_DIR", project)
    before = dbt_module.project_vars({}, tmp_path / "crm.duckdb")["project_code"]
    assert dbt_module.project_vars({}, tmp_path / "crm.duckdb")["project_code"] == before
    masking = project / "macros" / "masking.sql"
    masking.write_text(masking.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert dbt_module.project_vars({}, tmp_path / "crm.duckdb")["project_code"] != before


def test_dbt_without_a_date_or_a_published_build_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crm_pipeline.cli import main

    paths = WarehousePaths(tmp_path / "warehouse").ensure()
    duckdb.connect(str(paths.build_db)).close()
    code = main(["dbt", "--warehouse", str(paths.root), "--", "build"])
    assert code == 1
    assert "pass --as-of" in capsys.readouterr().err


def test_committed_marts_doc_equals_generator_output() -> None:
    from delivery.marts_doc import MARTS_DOC, marts_markdown

    assert MARTS_DOC.read_text(encoding="utf-8") == marts_markdown(), (
        "regenerate with `python -m delivery.marts_doc`"
    )


def test_marts_doc_defines_every_spec_metric_in_both_languages() -> None:
    from delivery.marts_doc import marts_markdown

    doc = marts_markdown()
    metrics = ("conversion_to_next_rate", "win_rate", "weighted_amount", "churn_rate",
               "csat_rate", "follow_up_loss_rate", "lifetime_value", "accuracy_pct")  # fmt: skip
    for metric in metrics:
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{metric}` |"))
        assert re.search(r"[\u4e00-\u9fff]", row) and re.search(r"[A-Za-z]{4}", row), row


def test_source_tests_are_checks_on_the_raw_assets(tmp_path: Path) -> None:
    from orchestration.build import build_definitions
    from orchestration.resources import PipelineResource

    defs = build_definitions(
        PipelineResource(landing_dir=str(tmp_path / "l"), warehouse_dir=str(tmp_path / "w"))
    )
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    checked = {check.asset_key.to_user_string() for check in graph.asset_check_keys}
    assert not any(key.startswith("crm/") for key in keys)  # no phantom source assets
    assert {"raw/leads", "raw/follow_ups", "raw/service_records"} <= checked
