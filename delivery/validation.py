"""Validation of a landing folder: a build's ingest and quality checks, publishing nothing.

The folder is loaded into a throw-away build database with the same loader as a build,
the same checks run, the gate's data rules decide, and the same report a build writes is
rendered as text (per entity, rule and owner). Nothing else is written: the scratch
database is deleted before this returns. ``crm-pipeline validate`` and the Dagster job
``validate_landing`` (orchestration.validation) both run this function, through that job.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core import database
from core.settings import Settings
from delivery.report import collect_summary, render_text
from ingestion.loader import load_landing
from quality.checks import run_quality_checks
from quality.gate import evaluate_gate


@dataclass(frozen=True)
class Validation:
    """The verdict on a landing folder and the report that explains it."""

    would_publish: bool
    verdict: str
    text: str


def validate_landing(
    landing: Path,
    settings: Settings,
    *,
    as_of_date: dt.date,
    progress: Callable[[str], None] | None = None,
) -> Validation:
    """Load ``landing`` into a temporary database, check it; the verdict and report text."""
    if not landing.is_dir():
        raise FileNotFoundError(f"landing folder {landing} does not exist")
    run_id = f"validate-{uuid.uuid4().hex[:12]}"
    with (
        tempfile.TemporaryDirectory(prefix="crm-validate-") as scratch,
        database.connect(Path(scratch) / "validate.duckdb") as con,
    ):
        load_landing(
            con, landing, settings, run_id=run_id, as_of_date=as_of_date, progress=progress
        )
        run_quality_checks(con, settings, run_id=run_id, as_of_date=as_of_date)
        decision = evaluate_gate(con, settings, run_id=run_id, with_dbt=False)
        verdict = (
            "数据规则通过,可以发布 / data rules pass: a build would publish"
            if decision.publish
            else f"会被阻止 / a build would be blocked: {decision.summary}"
        )
        summary = collect_summary(
            con, run_id, as_of_date, settings=settings, status="validated", reason=verdict
        )
    text = (
        f"{render_text(summary, where=False)}\n结论 / Verdict: {verdict}\n"
        "报告 / Report: validate 不发布、不保存任何内容 / validate publishes and keeps "
        "nothing; a build writes the HTML report and the data_quality tables"
    )
    return Validation(decision.publish, verdict, text)
