"""`crm-pipeline validate`: the quality checks alone, on a landing folder, publishing nothing.

The command runs the Dagster job ``validate_landing`` (orchestration.validation) in-process
on an ephemeral instance, the same job the UI launches: the landing folder is loaded into a
throw-away build database (the same loader as a real build), the same checks run, and the
same report is printed (per entity, rule and owner). Exit code 0 when the gate's data rules
would pass (no rejected file, every quarantine rate within its limit, checks ran), 2 when
they would block. No warehouse is touched.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from core.settings import load_config

EXIT_PASS, EXIT_BLOCKED = 0, 2


def run_validate(landing: Path, config: Path | None) -> int:
    """The command: print the report, return 0 (would publish) or 2 (would block)."""
    import dagster as dg

    from crm_pipeline.runner import require_landing_folder
    from orchestration.resources import PipelineResource
    from orchestration.validation import VALIDATE_OP, validate_landing_job

    load_config(config)  # fail fast, with key and reason, before anything runs
    require_landing_folder(landing)
    # The resource wants a warehouse folder; validation reads none (an empty one adds no
    # config.yaml) and writes none.
    with tempfile.TemporaryDirectory(prefix="crm-validate-") as nowhere:
        pipeline = PipelineResource(
            landing_dir=str(landing.resolve()),
            warehouse_dir=nowhere,
            config_path=str(config.resolve()) if config is not None else "",
            progress_to_terminal=True,
        )
        with dg.DagsterInstance.ephemeral() as instance:
            result = validate_landing_job.execute_in_process(
                instance=instance,
                resources={"pipeline": pipeline},
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            )
    validation = result.output_for_node(VALIDATE_OP)
    print(validation.text)
    return EXIT_PASS if validation.would_publish else EXIT_BLOCKED
