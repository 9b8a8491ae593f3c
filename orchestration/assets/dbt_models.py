"""dbt models and tests as Dagster assets and asset checks (staging → intermediate → marts).

Every run passes the validated configuration as dbt vars, with the partition's date as
``as_of_date``. dbt failures do not raise here: they are recorded in
``data_quality.check_results`` and the publish step's gate refuses to publish, so the
previously published marts stay as they were and the build is reported as blocked.
"""

import json
from collections.abc import Callable, Iterable, Iterator
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
from orchestration.dbt_worker import PARSE_STATE_FLAG, THEN_TEST_FLAG
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


def _announcing_tests(events: Iterable[Any], report: Callable[[str], None]) -> Iterator[Any]:
    """The events unchanged; the progress line of ``dbt test`` when its first result comes
    (the run and the test share one dbt process, so there is no process start to report)."""
    announced = False
    for event in events:
        if not announced and isinstance(event, (dg.AssetCheckResult, dg.AssetObservation)):
            report("dbt test: contract and mart tests")
            announced = True
        yield event


def _run_results(target: Path) -> list[dict[str, Any]]:
    """The results of one dbt invocation, from its target folder."""
    return json.loads((target / "run_results.json").read_bytes())["results"]


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
        # run would end as failed instead of blocked. Both run in one dbt process, one
        # after the other on one parsed manifest (orchestration.dbt_worker, --then-test),
        # each with its own target folder. Everything is built in the private build
        # database; the publish step's gate decides what BI tools see. dbt unit tests
        # check SQL logic, not data: they run in the test suite (tests/dbt), not daily.
        with build_writer(paths, f"dbt build as of {as_of}", context.log.info):
            report(f"dbt run as of {as_of}: staging, intermediate, marts")
            run_target = run_target_path(paths.build_dir, f"{context.run_id[:8]}-run")
            run_target.mkdir(parents=True)  # counted among the kept folders from now on
            test_target = run_target_path(paths.build_dir, f"{context.run_id[:8]}-test")
            dbt_process = dbt.cli(
                [*parse_state, THEN_TEST_FLAG, str(test_target), "run", *vars_arg],
                context=context,
                raise_on_error=False,
                target_path=run_target,
            )
            # held until dbt has exited, then the models' row counts are added
            yield from with_build_metadata(
                _announcing_tests(_until_exit(dbt_process), report), context, paths, as_of
            )
        results = [*_run_results(run_target), *_run_results(test_target)]
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
