"""Decks: 商机周报 and 客户月报 (PPTX + HTML) from the serving database, after publishing.

Materialised only for a build that published: the serving file must carry this run's
``published`` row in ``data_quality.publish_log`` (a blocked build leaves the previous
serving file, and makes no new decks). The decks are a by-product for managers: a failure
to draw or send them is logged and shown in the metadata, never a failed build.
"""

from collections.abc import Iterator

import dagster as dg

from orchestration.assets.publish import PUBLISH_KEY
from orchestration.resources import PipelineResource
from orchestration.runtime import partition_date

DECKS_KEY = dg.AssetKey(["reports", "manager_decks"])


def build_decks_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=DECKS_KEY,
        deps=[PUBLISH_KEY],
        group_name="reports",
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
        output_required=False,
        kinds={"pptx", "html"},
        description="reports/<D>/opportunity_deck.pptx|html (商机周报) and "
        "customer_deck.pptx|html (客户月报), built from serving/crm.duckdb only; sent on "
        "the configured cadence.",
    )
    def manager_decks(
        context: dg.AssetExecutionContext, pipeline: PipelineResource
    ) -> Iterator[dg.MaterializeResult]:
        from delivery.decks.service import make_decks, published_by

        as_of = partition_date(context)
        paths = pipeline.paths()
        if not published_by(paths.serving_db, context.run_id):
            context.log.info(f"no decks: the build as of {as_of} did not publish")
            return
        settings = pipeline.settings()
        try:
            run = make_decks(paths.serving_db, paths.reports_dir, settings, as_of_date=as_of)
        except Exception as exc:  # the decks must never fail a published build
            context.log.error(f"decks as of {as_of} failed: {type(exc).__name__}: {exc}")
            return
        for result in run.results:
            if result.status != "sent":
                context.log.warning(
                    f"deck channel {result.channel}: {result.status}: {result.error}"
                )
        metadata: dict[str, object] = {
            "as_of_date": as_of.isoformat(),
            "sent": ", ".join(run.sent_decks) or "not due",
            "channels_sent": len([r for r in run.results if r.status == "sent"]),
            "channels_failed": len([r for r in run.results if r.status == "failed"]),
        }
        for name, path in run.files.files.items():
            metadata[name] = dg.MetadataValue.path(str(path))
        for deck, headline in run.files.headlines.items():
            metadata[f"{deck}_headline"] = dg.MetadataValue.json(headline)
        yield dg.MaterializeResult(metadata=metadata)

    return manager_decks
