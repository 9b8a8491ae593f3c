"""dbt models and tests as Dagster assets and asset checks (staging → intermediate → marts).

Every run passes the validated configuration as dbt vars, with the partition's date as
``as_of_date``. dbt failures do not raise here: they are recorded in
``data_quality.check_results`` and the publish step's gate refuses to publish, so the
previously published marts stay as they were and the build is reported as blocked.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from core.constants import BUILD_DB_POOL
from orchestration.dbt import (
    PARSE_STATE_DIR_NAME,
    CrmDbtTranslator,
    project_vars,
    run_target_path,
)
from orchestration.dbt_metadata import with_build_metadata
from orchestration.dbt_worker import PARSE_STATE_FLAG
from orchestration.resources import PipelineResource
from orchestration.runtime import (
    build_connection,
    build_writer,
    partition_date,
    progress_reporter,
)


def _until_exit(invocation: DbtCliInvocation) -> Iterator[Any]:
    """dbt's events, then wait for the process to exit: its output closes before it
    releases the DuckDB file lock, and the next step opens the database."""
    yield from invocation.stream()
    invocation.process.wait()


def build_dbt_assets(
    manifest_path: Path, partitions_def: dg.PartitionsDefinition
) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=manifest_path,
        dagster_dbt_translator=CrmDbtTranslator(),
        partitions_def=partitions_def,
        pool=BUILD_DB_POOL,
        name="crm_dbt_models",
        # one build per business date: a backfill runs the dates one by one, in order
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
    )
    def crm_dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, pipeline: PipelineResource
    ) -> Iterator[Any]:
        from quality.dbt_results import record_dbt_results

        as_of = partition_date(context)
        paths = pipeline.paths()
        # the build database reaches dbt's profile as a var, like every other setting
        dbt_vars = project_vars(pipeline.settings().dbt_vars(as_of), paths.build_db)
        vars_arg = ["--vars", json.dumps(dbt_vars)]
        # dbt parses once per configuration, not per date (orchestration.dbt_worker)
        parse_state = [PARSE_STATE_FLAG, str(paths.build_dir / PARSE_STATE_DIR_NAME)]
        report = progress_reporter(context, pipeline.progress_to_terminal)
        # `dbt run`, then `dbt test` (not `dbt build`): a failing test would make `dbt build`
        # skip every model downstream, Dagster would then skip the publish step, and the
        # run would end as failed instead of blocked. Everything is built in the private
        # build database; the publish step's gate decides what BI tools see. dbt unit tests
        # check SQL logic, not data: they run in the test suite (tests/dbt), not daily.
        with build_writer(paths, f"dbt build as of {as_of}", context.log.info):
            report(f"dbt run as of {as_of}: staging, intermediate, marts")
            run = dbt.cli(
                [*parse_state, "run", *vars_arg],
                context=context,
                raise_on_error=False,
                target_path=run_target_path(paths.build_dir, f"{context.run_id[:8]}-run"),
            )
            run_events = with_build_metadata(_until_exit(run), context, paths, as_of)
            report("dbt test: contract and mart tests")
            test = dbt.cli(
                [*parse_state, "test", "--exclude-resource-type", "unit_test", *vars_arg],
                context=context,
                raise_on_error=False,
                target_path=run_target_path(paths.build_dir, f"{context.run_id[:8]}-test"),
            )
            # Dagster stores the run's materializations (a few seconds: one event log write
            # each) while the test process starts up (imports, parse) instead of before
            yield from run_events
            yield from _until_exit(test)
        results = [
            *run.get_artifact("run_results.json")["results"],
            *test.get_artifact("run_results.json")["results"],
        ]
        with build_connection(paths) as con:
            failures = record_dbt_results(
                con, {"results": results}, run_id=context.run_id, as_of_date=as_of
            )
        for failure in failures:
            context.log.warning(f"dbt: {failure}")
        broken = [
            r for r in results if r["unique_id"].startswith("model.") and r["status"] == "error"
        ]
        if broken:
            first = broken[0]
            raise dg.Failure(
                f"dbt model {first['unique_id'].split('.')[-1]} failed: "
                f"{str(first.get('message') or '').strip().splitlines()[0][:300]}"
            )

    return crm_dbt_models
