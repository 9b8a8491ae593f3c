"""Report and alert: the managers' HTML quality report and the alert, after publishing.

Runs after the publish step whether it published or was blocked (a blocked build does not
fail the run), so every build with something to say is reported. It alerts from the
recorded check results themselves: Dagster's run-failure sensors never see a failed
non-blocking check. The step never fails the run because of an undeliverable alert.
"""

from collections.abc import Iterator

import dagster as dg

from core.constants import BUILD_DB_POOL
from orchestration.assets.publish import PUBLISH_KEY
from orchestration.resources import PipelineResource
from orchestration.runtime import build_connection, partition_date

REPORT_KEY = dg.AssetKey(["data_quality", "build_report"])


def build_report_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=REPORT_KEY,
        deps=[PUBLISH_KEY],
        group_name="data_quality",
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
        pool=BUILD_DB_POOL,
        kinds={"html", "apprise"},
        description="reports/<D>/quality_report.html and the alert to managers (Chinese and "
        "English: outcome, failing rules, owners' to-do list), logged in "
        "data_quality.alert_log.",
    )
    def build_report(
        context: dg.AssetExecutionContext, pipeline: PipelineResource
    ) -> Iterator[dg.MaterializeResult]:
        from delivery.alerts import report_and_alert

        as_of = partition_date(context)
        paths = pipeline.paths()
        with build_connection(paths) as con:
            outcome = report_and_alert(
                con,
                pipeline.settings(),
                run_id=context.run_id,
                as_of_date=as_of,
                report_dir=paths.report_dir(as_of.isoformat()),
                serving_db=paths.serving_db,
            )
        if outcome.error:
            context.log.error(f"report/alert: {outcome.error}")
        for result in outcome.results:
            if result.status != "sent":
                context.log.warning(
                    f"alert channel {result.channel}: {result.status} after "
                    f"{result.attempts} attempt(s): {result.error}"
                )
        metadata: dict[str, object] = {
            "as_of_date": as_of.isoformat(),
            "alerted": outcome.alerted,
            "outcome": outcome.outcome,
            "channels_sent": len([r for r in outcome.results if r.status == "sent"]),
            "channels_failed": len([r for r in outcome.results if r.status == "failed"]),
            # each channel: sent, or failed and why (secrets and URLs removed)
            "deliveries": dg.MetadataValue.json(
                {
                    r.channel: {"status": r.status, "attempts": r.attempts, "error": r.error}
                    for r in outcome.results
                }
            ),
        }
        if outcome.report_url:
            metadata["report_url"] = dg.MetadataValue.url(outcome.report_url)
        if outcome.report_path:
            metadata["report"] = dg.MetadataValue.path(outcome.report_path)
        yield dg.MaterializeResult(metadata=metadata)

    return build_report
