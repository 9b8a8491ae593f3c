"""`crm-pipeline validate`: the quality checks alone, on a landing folder, publishing nothing.

The landing folder is loaded into a throw-away build database (the same loader as a real
build), the same checks run, and the same report is printed (per entity, rule and owner).
Exit code 0 when the gate's data rules would pass (no rejected file, every quarantine rate
within its limit, checks ran), 2 when they would block. No warehouse is touched.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from core import database
from core.settings import Settings, load_config
from delivery.report import collect_summary, render_text
from quality.checks import run_quality_checks
from quality.gate import evaluate_gate

EXIT_PASS, EXIT_BLOCKED = 0, 2


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def validate_landing(
    landing: Path, settings: Settings, *, as_of_date: dt.date | None = None
) -> tuple[int, str]:
    """Load ``landing`` into a temporary database, check it; (exit code, report text)."""
    from ingestion.loader import load_landing

    if not landing.is_dir():
        raise FileNotFoundError(f"landing folder {landing} does not exist")
    as_of = as_of_date or dt.datetime.now(ZoneInfo(settings.timezone)).date()
    run_id = f"validate-{uuid.uuid4().hex[:12]}"
    with (
        tempfile.TemporaryDirectory(prefix="crm-validate-") as scratch,
        database.connect(Path(scratch) / "validate.duckdb") as con,
    ):
        load_landing(con, landing, settings, run_id=run_id, as_of_date=as_of, progress=_say)
        run_quality_checks(con, settings, run_id=run_id, as_of_date=as_of)
        decision = evaluate_gate(con, settings, run_id=run_id)
        verdict = (
            "数据规则通过,可以发布 / data rules pass: a build would publish"
            if decision.publish
            else f"会被阻止 / a build would be blocked: {decision.summary}"
        )
        summary = collect_summary(con, run_id, as_of, settings=settings,
                                  status="validated", reason=verdict)
    text = (
        f"{render_text(summary, where=False)}\n结论 / Verdict: {verdict}\n"
        "报告 / Report: validate 不发布、不保存任何内容 / validate publishes and keeps "
        "nothing; a build writes the HTML report and the data_quality tables"
    )
    return (EXIT_PASS if decision.publish else EXIT_BLOCKED), text


def run_validate(landing: Path, config: Path | None) -> int:
    """The command: print the report, return 0 (would publish) or 2 (would block)."""
    settings = load_config(config)
    code, text = validate_landing(Path(landing), settings)
    print(text)
    return code
