"""Names shared by the command line and the Dagster definitions.

They live here, below both, so the orchestration layer never imports the app to learn how
the app tags its runs.
"""

from __future__ import annotations

# Every step that writes the build database takes a slot in this pool; the instance
# limits it to one (dagster.yaml / the CLI's instance), so writers never overlap.
BUILD_DB_POOL = "crm_build_db"

# Runs carrying this tag are queued one at a time (run queue tag_concurrency_limits in
# dagster.yaml), so a schedule tick and a sensor-triggered build never interleave.
BUILD_DB_RUN_TAG = "crm/build_db"

# Command-line builds carry ``crm/trigger: cli``: they report their own failures, so the
# daemon's failure sensor leaves them alone, and a killed one can be recognised and closed.
CLI_TRIGGER_TAG = "crm/trigger"
CLI_TRIGGER = "cli"

# Dagster tags every run of a backfill with its id; a backfill skips published dates
# unless its runs carry ``crm/force: true`` (delivery.publish_history).
BACKFILL_RUN_TAG = "dagster/backfill"
FORCE_TAG = "crm/force"
