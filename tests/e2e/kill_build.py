"""Run `crm-pipeline build` and SIGKILL the process at a chosen step (test helper only).

``python -m tests.e2e.kill_build STEP -- ARGS`` wraps one function of the pipeline so that
the process kills itself (SIGKILL: no clean-up, no finally blocks) at that point:

- ``ingest``: right after the landing files were loaded into raw, before any check;
- ``quality``: in the middle of the quality step (findings written, not committed);
- ``dbt``: after dbt ran and tested, before its results were recorded;
- ``publish``: after the new serving file was swapped in, before ``published`` was recorded.

The wrapping happens in this process only; nothing in the product reads a test switch.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any


def _die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _after(module: Any, name: str, when: Callable[..., bool] = lambda *a, **k: True) -> None:
    real = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if when(*args, **kwargs):
            _die()
        return result

    setattr(module, name, wrapper)


def _before(module: Any, name: str, when: Callable[..., bool] = lambda *a, **k: True) -> None:
    real = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if when(*args, **kwargs):
            _die()
        return real(*args, **kwargs)

    setattr(module, name, wrapper)


def arm(step: str) -> None:
    """Install the kill for ``step``."""
    if step == "ingest":
        from ingestion import loader

        _after(loader, "load_landing")
    elif step == "quality":
        from quality import checks

        _after(checks, "_write_check_results")
    elif step == "dbt":
        from quality import dbt_results

        _before(dbt_results, "record_dbt_results")
    elif step == "publish":
        from delivery import publish

        _before(publish, "_log_published", lambda con, record, schema: schema == "data_quality")
    else:
        raise SystemExit(f"unknown step {step!r}")


if __name__ == "__main__":
    from crm_pipeline.cli import main

    arm(sys.argv[1])
    sys.exit(main(sys.argv[3:]))
