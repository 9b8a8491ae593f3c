"""Publish: the gate decides, then the audited marts are copied to the serving file.

The asset always records its decision (``data_quality.publish_log`` and the
``gate_passed`` check): a blocked build leaves ``serving/crm.duckdb`` untouched and is
still visible in the UI, the report and the alert.
"""

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import dagster as dg

from core.constants import BUILD_DB_POOL
from orchestration.failures import run_started_at
from orchestration.resources import PipelineResource
from orchestration.runtime import build_connection, build_writer, partition_date

if TYPE_CHECKING:
    from delivery.publish import PublishRecord

PUBLISH_KEY = dg.AssetKey(["serving", "published_marts"])


def _serve_postgres(
    context: dg.AssetExecutionContext, pipeline: PipelineResource, record: "PublishRecord"
) -> str:
    """Copy the new serving file to PostgreSQL when ``serving`` is configured.

    The DuckDB file is already published: a failure here changes neither it, nor the
    ``published`` status, nor the exit code. It is logged as an error and appended to the
    publish_log reason (which the report and the alert show).
    """
    from delivery.publish import record_publish
    from delivery.serving_postgres import publish_postgres

    settings = pipeline.settings()
    if settings.serving is None:
        return "not configured"
    paths = pipeline.paths()
    result = publish_postgres(paths.serving_db, settings.serving)
    if result.ok:
        context.log.info(f"PostgreSQL serving: {len(result.tables)} tables swapped in")
        return f"published ({len(result.tables)} tables)"
    context.log.error(str(result.error))
    with build_connection(paths) as con:
        record_publish(
            con,
            run_id=record.run_id,
            as_of_date=record.as_of_date,
            started_at=record.started_at,
            status="published",
            reason=f"{record.reason}; {result.error} (the DuckDB serving file is published)",
            outcome=record.outcome,
            warnings=record.warnings,
            rows_quarantined=record.rows_quarantined,
        )
    return f"failed: {result.error}"


def build_publish_asset(
    upstream: Iterable[dg.AssetKey], partitions_def: dg.PartitionsDefinition
) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISH_KEY,
        deps=list(upstream),
        group_name="publish",
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
        pool=BUILD_DB_POOL,
        kinds={"duckdb", "parquet"},
        check_specs=[
            dg.AssetCheckSpec(
                "gate_passed",
                asset=PUBLISH_KEY,
                description="No rejected file, quarantine rates within limits, every "
                "error-severity dbt test passed.",
            )
        ],
        description="serving/crm.duckdb and serving/parquet: both marts and data_quality, "
        "replaced atomically after the gate passed.",
    )
    def published_marts(
        context: dg.AssetExecutionContext, pipeline: PipelineResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        from delivery.publish import PublishRecord, publish_serving, record_publish
        from quality.gate import build_findings, evaluate_gate

        as_of = partition_date(context)
        paths = pipeline.paths()
        started_at = run_started_at(context.instance, context.run_id)
        with build_connection(paths) as con:
            decision = evaluate_gate(con, pipeline.settings(), run_id=context.run_id)
            findings = build_findings(con, context.run_id)
            status = "published" if decision.publish else "blocked"
            outcome = findings.outcome(status)
            reason = findings.describe() if decision.publish else decision.summary
            if not decision.publish:
                record_publish(
                    con,
                    run_id=context.run_id,
                    as_of_date=as_of,
                    started_at=started_at,
                    status=status,
                    reason=reason,
                    outcome=outcome,
                    warnings=findings.warnings,
                    rows_quarantined=findings.rows_quarantined,
                )
        tables: dict[str, int] = {}
        postgres_outcome = "not configured"
        if decision.publish:
            # `published` is recorded by publish_serving once the new file is in place
            record = PublishRecord(
                context.run_id,
                as_of,
                started_at,
                reason,
                outcome,
                findings.warnings,
                findings.rows_quarantined,
            )
            try:
                with build_writer(paths, "publish"):
                    tables = publish_serving(paths, run_id=context.run_id, record=record).tables
            except Exception as exc:
                with build_connection(paths) as con:
                    record_publish(
                        con,
                        run_id=context.run_id,
                        as_of_date=as_of,
                        started_at=started_at,
                        status="failed",
                        reason=f"publishing failed: {exc}",
                    )
                raise
            postgres_outcome = _serve_postgres(context, pipeline, record)
        else:
            context.log.warning(f"publish blocked: {decision.summary}")
        yield dg.MaterializeResult(
            metadata={
                "as_of_date": as_of.isoformat(),
                "status": status,
                "outcome": outcome,
                "reason": reason,
                "warnings": findings.warnings,
                "rows_quarantined": findings.rows_quarantined,
                "rows_quarantined_per_entity": dg.MetadataValue.json(findings.quarantined),
                "serving_db": dg.MetadataValue.path(str(paths.serving_db)),
                "tables": dg.MetadataValue.json(tables),
                "postgres_serving": postgres_outcome,
            }
        )
        yield dg.AssetCheckResult(
            check_name="gate_passed",
            passed=decision.publish,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"reasons": "\n".join(decision.reasons) or "none"},
        )

    return published_marts
