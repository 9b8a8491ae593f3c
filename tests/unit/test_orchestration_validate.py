"""Validation is one Dagster job, in the code location the UI loads, and the CLI's path.

The landing folder of test_quality_validate: 5 leads of which 2 are bad (40% > 20%).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.build import build_definitions
from orchestration.resources import PipelineResource
from orchestration.validation import VALIDATE_JOB, VALIDATE_OP
from tests.unit.test_quality_validate import BAD, GOOD, landing


def test_the_ui_runs_the_validation_the_cli_runs(tmp_path: Path) -> None:
    folder = landing(tmp_path, GOOD + BAD)
    warehouse = tmp_path / "warehouse"
    pipeline = PipelineResource(landing_dir=str(folder), warehouse_dir=str(warehouse))
    job = build_definitions(pipeline).resolve_job_def(VALIDATE_JOB)
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance,
            run_config={"ops": {VALIDATE_OP: {"config": {"as_of_date": "2026-03-31"}}}},
        )
    assert result.success  # a blocked verdict is a finding, not a failed run
    validation = result.output_for_node(VALIDATE_OP)
    assert not validation.would_publish
    assert "leads: 2/5 行 rows, 40.0%" in validation.text
    (output,) = [e for e in result.events_for_node(VALIDATE_OP) if e.is_successful_output]
    shown = output.event_specific_data.metadata
    assert shown["would_publish"].value is False
    assert "40.0%" in shown["report"].value
    assert not warehouse.exists()  # validation writes no warehouse
