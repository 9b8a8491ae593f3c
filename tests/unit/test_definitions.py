"""The Dagster definitions load and form the asset graph raw → quality → dbt → publish."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from core.contract import load_contract

SPEC_MART_TABLES = {
    "opportunity_funnel": {
        "fct_opportunities",
        "fct_stage_history",
        "funnel_conversion",
        "monthly_kpis",
        "pipeline_snapshot",
        "forecast",
        "forecast_accuracy",
        "rep_performance",
        "source_performance",
        "loss_reasons",
        "attention_list",
        "kpi_summary",
        "weekly_kpis",
        "team_performance",
    },
    "customer_lifecycle": {
        "dim_customers",
        "customer_monthly",
        "cohort_retention",
        "service_monthly",
        "tier_summary",
        "churn_watchlist",
        "kpi_summary",
        "fct_service_requests",
        "agent_monthly",
    },
}


@pytest.fixture(scope="module")
def defs(tmp_path_factory: pytest.TempPathFactory) -> dg.Definitions:
    root = tmp_path_factory.mktemp("defs")
    from orchestration.build import build_definitions
    from orchestration.resources import PipelineResource

    return build_definitions(
        PipelineResource(landing_dir=str(root / "landing"), warehouse_dir=str(root / "warehouse"))
    )


def _keys(defs: dg.Definitions) -> set[str]:
    return {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}


def test_every_spec_table_is_an_asset(defs: dg.Definitions) -> None:
    keys = _keys(defs)
    for schema, tables in SPEC_MART_TABLES.items():
        for table in tables:
            assert f"{schema}/{table}" in keys


def test_raw_assets_follow_the_contract(defs: dg.Definitions) -> None:
    keys = _keys(defs)
    for entity in load_contract().entities:
        assert f"raw/{entity}" in keys
        assert f"staging/stg_crm__{entity}" in keys


def test_groups_are_the_dbt_folders(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups["raw/leads"] == "raw"
    assert groups["staging/stg_crm__leads"] == "staging"
    assert groups["intermediate/int_leads__as_of"] == "intermediate"
    assert groups["opportunity_funnel/kpi_summary"] == "opportunity_funnel"
    assert groups["customer_lifecycle/kpi_summary"] == "customer_lifecycle"
    assert groups["serving/published_marts"] == "publish"


def test_lineage_runs_raw_to_publish(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    # raw -> the incremental base (every row, masked) -> staging (what counts as of D)
    base = graph.get(dg.AssetKey(["staging", "base_crm__follow_ups"]))
    assert {key.to_user_string() for key in base.parent_keys} == {"raw/follow_ups"}
    staging = graph.get(dg.AssetKey(["staging", "stg_crm__follow_ups"]))
    parents = {key.to_user_string() for key in staging.parent_keys}
    assert {"staging/base_crm__follow_ups", "data_quality/quarantine"} <= parents
    publish = graph.get(dg.AssetKey(["serving", "published_marts"]))
    publish_parents = {key.to_user_string() for key in publish.parent_keys}
    for schema, tables in SPEC_MART_TABLES.items():
        assert {f"{schema}/{t}" for t in tables} <= publish_parents


def test_daily_build_job_is_partitioned_by_date(defs: dg.Definitions) -> None:
    job = defs.resolve_job_def("daily_build")
    partitions = job.partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition)
    # nothing has landed and no history_start is configured: the fallback start
    assert partitions.has_partition_key("2026-02-28")
    assert not partitions.has_partition_key("2015-01-01")


def test_definitions_module_has_no_import_time_environment_reads() -> None:
    source = (Path(__file__).resolve().parents[2] / "orchestration" / "definitions.py").read_text()
    assert "os.environ" not in source and "getenv" not in source


def test_dagster_dev_takes_the_folders_and_config_from_crm_variables(tmp_path: Path) -> None:
    from orchestration.resources import pipeline_from_environment

    pipeline = pipeline_from_environment(
        {
            "CRM_LANDING_DIR": str(tmp_path / "landing"),
            "CRM_WAREHOUSE_DIR": str(tmp_path / "warehouse"),
            "CRM_PIPELINE_CONFIG": str(tmp_path / "config.yaml"),
        }
    )
    assert pipeline.landing() == tmp_path / "landing"
    assert pipeline.paths().root == tmp_path / "warehouse"
    assert pipeline.config_path == str(tmp_path / "config.yaml")
    assert pipeline.progress_to_terminal is False  # the daemon only logs


def test_an_unset_folder_variable_is_left_for_dagster_to_name_at_run_time() -> None:
    from orchestration.resources import pipeline_from_environment, settings_at_load

    pipeline = pipeline_from_environment({})
    assert isinstance(pipeline.landing_dir, dg.EnvVar)
    assert pipeline.landing_dir.env_var_name == "CRM_LANDING_DIR"
    assert isinstance(pipeline.warehouse_dir, dg.EnvVar)
    assert pipeline.config_path == ""
    assert settings_at_load(pipeline).timezone == "Asia/Shanghai"  # the defaults still load


def test_dbt_tests_never_block_the_run(defs: dg.Definitions) -> None:
    """Error-severity dbt tests are gate inputs, not blocking checks: a blocking check would
    fail the dbt step, so a bad test would end the run as failed instead of blocked."""
    graph = defs.resolve_asset_graph()
    dbt_layers = {"staging", "intermediate", *SPEC_MART_TABLES}
    dbt_specs = [
        graph.get_check_spec(key)
        for key in graph.asset_check_keys
        if key.asset_key.path[0] in dbt_layers
    ]
    assert len(dbt_specs) > 50, "the dbt tests should appear as asset checks"
    assert [s.name for s in dbt_specs if s.blocking] == []


def test_decks_are_an_asset_downstream_of_publish(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    decks = graph.get(dg.AssetKey(["reports", "manager_decks"]))
    assert {key.to_user_string() for key in decks.parent_keys} == {"serving/published_marts"}
    assert isinstance(decks.partitions_def, dg.DailyPartitionsDefinition)
    job = defs.resolve_job_def("daily_build")
    assert dg.AssetKey(["reports", "manager_decks"]) in job.asset_layer.executable_asset_keys
