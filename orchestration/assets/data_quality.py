"""Data-quality asset: contract checks on this build's new rows, quarantine, scorecards.

The checks themselves live in ``quality/`` (Great Expectations suites generated from the
contract, plus the SQL rules); this asset runs them and shows the outcome in Dagster as
metadata and asset checks. The checks do not stop the run: the publish step applies the
gate (quality.gate) to everything recorded, so a blocked build is still recorded,
reported and alerted.
"""


from collections.abc import Iterator

import dagster as dg

from core.constants import BUILD_DB_POOL
from core.contract import load_contract
from orchestration.assets.ingest import RAW_KEYS
from orchestration.resources import PipelineResource
from orchestration.runtime import build_connection, partition_date

QUARANTINE_KEY = dg.AssetKey(["data_quality", "quarantine"])
ENTITIES = list(load_contract().entities)


def _check_specs() -> list[dg.AssetCheckSpec]:
    specs = [
        dg.AssetCheckSpec(
            "no_rejected_files",
            asset=QUARANTINE_KEY,
            description="No landed file of this build was rejected (structure rules).",
        )
    ]
    specs.append(
        dg.AssetCheckSpec(
            "quality_checks_ran",
            asset=QUARANTINE_KEY,
            description="Great Expectations and the SQL rules evaluated every check (an "
            "infrastructure error blocks the publish and is never counted as bad data).",
        )
    )
    specs += [
        dg.AssetCheckSpec(
            f"{entity}_quarantine_rate_within_limit",
            asset=QUARANTINE_KEY,
            description=f"Quarantined {entity} rows ÷ rows in this build's new files is at "
            "most max_quarantine_rate.",
        )
        for entity in ENTITIES
    ]
    return specs


def build_quality_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=QUARANTINE_KEY,
        deps=list(RAW_KEYS.values()),
        group_name="data_quality",
        partitions_def=partitions_def,
        check_specs=_check_specs(),
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
        pool=BUILD_DB_POOL,
        kinds={"great_expectations", "duckdb"},
        description="Rows held back from the marts (one per row and rule), with the "
        "rule, file, row, record id and owner; re-checked every build.",
    )
    def quarantine(
        context: dg.AssetExecutionContext, pipeline: PipelineResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        from quality.checks import run_quality_checks

        as_of = partition_date(context)
        settings = pipeline.settings()
        with build_connection(pipeline.paths()) as con:
            outcome = run_quality_checks(con, settings, run_id=context.run_id, as_of_date=as_of)
        for error in outcome.infrastructure_errors:
            context.log.error(f"quality check infrastructure error: {error}")
        yield dg.MaterializeResult(
            metadata={
                "as_of_date": as_of.isoformat(),
                "rows_checked": sum(e.rows_checked for e in outcome.entities.values()),
                "rows_quarantined": sum(e.rows_quarantined for e in outcome.entities.values()),
                "rows_released": outcome.rows_released,
                "rejected_files": len(outcome.rejected_files),
                "quarantine_rates": dg.MetadataValue.json(
                    {name: e.quarantine_rate for name, e in outcome.entities.items()}
                ),
            }
        )
        yield dg.AssetCheckResult(
            check_name="quality_checks_ran",
            passed=not outcome.infrastructure_errors,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"errors": "\n".join(outcome.infrastructure_errors) or "none"},
        )
        yield dg.AssetCheckResult(
            check_name="no_rejected_files",
            passed=not outcome.rejected_files,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"rejected": "\n".join(outcome.rejected_files) or "none"},
        )
        for entity in ENTITIES:
            result = outcome.entities[entity]
            yield dg.AssetCheckResult(
                check_name=f"{entity}_quarantine_rate_within_limit",
                passed=result.within_limit,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "rows_checked": result.rows_checked,
                    "rows_quarantined": result.rows_quarantined,
                    "quarantine_rate": result.quarantine_rate,
                    "limit": result.limit,
                },
            )

    return quarantine
