"""The Dagster job ``validate_landing``: check a landing folder, publish nothing.

One op runs :func:`delivery.validation.validate_landing` on the pipeline resource's
landing folder (a scratch database; the warehouse is not touched) and shows the verdict
and the report as the op's metadata, so a validation launched from the UI reads like one
run from the command line: ``crm-pipeline validate`` executes this same job in-process
(crm_pipeline.validate). A blocked verdict is a successful run: the data failed, not the
job.
"""

# No "from __future__ import annotations": Dagster reads the op's config class from its
# annotation at definition time.
import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from delivery.validation import Validation, validate_landing
from orchestration.resources import PipelineResource
from orchestration.runtime import progress_reporter

VALIDATE_JOB = "validate_landing"
VALIDATE_OP = "validate_landing_folder"


class ValidateConfig(dg.Config):
    """The business date the folder is checked as of (``YYYY-MM-DD``; empty: today)."""

    as_of_date: str = ""


@dg.op(name=VALIDATE_OP, description="Ingest and check the landing folder in a scratch database.")
def validate_landing_folder(
    context: dg.OpExecutionContext, config: ValidateConfig, pipeline: PipelineResource
) -> Validation:
    """Validate the resource's landing folder; the verdict and report also as metadata."""
    settings = pipeline.settings()
    as_of = (
        dt.date.fromisoformat(config.as_of_date)
        if config.as_of_date
        else dt.datetime.now(ZoneInfo(settings.timezone)).date()
    )
    result = validate_landing(
        pipeline.landing(),
        settings,
        as_of_date=as_of,
        progress=progress_reporter(context, pipeline.progress_to_terminal),
    )
    context.add_output_metadata(
        {
            "as_of_date": as_of.isoformat(),
            "would_publish": result.would_publish,
            "verdict": result.verdict,
            "report": dg.MetadataValue.md(f"```\n{result.text}\n```"),
        }
    )
    return result


@dg.job(
    name=VALIDATE_JOB,
    description="Quality checks on the landing folder only, in a scratch database: "
    "the verdict a build would reach, publishing nothing (crm-pipeline validate).",
)
def validate_landing_job() -> None:
    validate_landing_folder()
