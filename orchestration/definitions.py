"""Dagster entry point (`dagster dev -m orchestration.definitions`).

Kept short: the folders and configuration come from the ``CRM_*`` variables, read once
(read-only) by ``pipeline_from_environment`` when Dagster loads the definitions.
"""

import dagster as dg

from orchestration.build import build_definitions
from orchestration.resources import pipeline_from_environment


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(pipeline_from_environment())
