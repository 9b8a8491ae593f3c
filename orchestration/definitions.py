"""Dagster entry point (`dagster dev -m orchestration.definitions`).

Kept short and free of environment reads at import time: the definitions are assembled
when Dagster loads them.
"""

import dagster as dg

from orchestration.build import build_definitions


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
