"""Raw layer assets: new landing files appended to ``raw.<entity>`` in the build database.

The first step of every build, so it also applies the backfill rule
(:mod:`delivery.publish_history`): in a backfill launched from the Dagster UI, a date that
is already published yields nothing and Dagster skips the rest of that date's run,
unless the backfill carries the tag ``crm/force: true``.
"""

from collections import defaultdict
from collections.abc import Iterator

import dagster as dg

from core.constants import BUILD_DB_POOL
from core.contract import load_contract
from orchestration.resources import PipelineResource
from orchestration.runtime import (
    build_connection,
    partition_date,
    progress_reporter,
)

RAW_KEYS = {name: dg.AssetKey(["raw", name]) for name in load_contract().entities}


def build_raw_assets(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """One multi-asset for the three raw tables: a landing scan loads them together."""

    @dg.multi_asset(
        name="raw_landing_files",
        specs=[
            dg.AssetSpec(
                key,
                group_name="raw",
                kinds={"duckdb"},
                description=f"Append-only history of every landed {name} row, typed by "
                "the contract, with file, row, hash and load time.",
                skippable=True,  # a backfill skips published dates, and everything after
            )
            for name, key in RAW_KEYS.items()
        ],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
        pool=BUILD_DB_POOL,
    )
    def raw_landing_files(
        context: dg.AssetExecutionContext, pipeline: PipelineResource
    ) -> Iterator[dg.MaterializeResult]:
        from delivery.publish_history import backfill_skips, published_dates, ui_backfill_run
        from ingestion.loader import load_landing
        from quality import gx_suites

        as_of = partition_date(context)
        in_backfill, forced = ui_backfill_run(context.run.tags)
        with build_connection(pipeline.paths()) as con:
            if in_backfill and backfill_skips(as_of, published_dates(con), force=forced):
                context.log.info(
                    f"{as_of} is already published: this backfill skips it "
                    "(launch the backfill with the tag crm/force=true to rebuild)"
                )
                return
            # the quality step comes next: its Great Expectations import overlaps the load
            gx_suites.warm_up()
            results = load_landing(
                con,
                pipeline.landing(),
                pipeline.settings(),
                run_id=context.run_id,
                as_of_date=as_of,
                progress=progress_reporter(context, pipeline.progress_to_terminal),
            )
            row_counts = {
                name: int(con.execute(f"select count(*) from raw.{name}").fetchone()[0])
                for name in RAW_KEYS
            }
        by_entity = defaultdict(list)
        for result in results:
            by_entity[result.entity].append(result)
            if result.status == "rejected":
                context.log.warning(f"rejected: {result.error}")
        for name, key in RAW_KEYS.items():
            files = by_entity.get(name, [])
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "as_of_date": as_of.isoformat(),
                    "new_files": len([f for f in files if f.status == "loaded"]),
                    "duplicate_files": len([f for f in files if f.status == "duplicate"]),
                    "rejected_files": len([f for f in files if f.status == "rejected"]),
                    "withdrawn_files": len([f for f in files if f.status == "withdrawn"]),
                    "ignored_entries": len([f for f in files if f.status == "ignored"]),
                    "rows_read": sum(f.rows_read for f in files),
                    "rows_appended": sum(f.rows_loaded for f in files),
                    "dagster/row_count": row_counts[name],
                },
            )

    return raw_landing_files
