#!/usr/bin/env bash
# Reproduce the PostgreSQL verification of docs/postgres.md: build a seeded demo warehouse
# with the pipeline (DuckDB), copy its raw and data_quality tables to PostgreSQL, replay
# the same dbt builds there (unit tests included) and compare every mart table.
#
# Needs a running PostgreSQL server and a SCRATCH database the role owns (its raw,
# data_quality, staging, intermediate and mart schemas are replaced):
#   CRM_PG_HOST CRM_PG_PORT CRM_PG_USER CRM_PG_PASSWORD CRM_PG_DATABASE
# Optional: PROJECT_VENV (the project's venv with crm-pipeline; default .venv),
#           PG_VENV (a separate venv for dbt-postgres; created when missing;
#           default $TMPDIR/crm-dbt-postgres-venv), WORK_DIR (default: a new temporary folder).
# Not part of `make test`: CI has no PostgreSQL server.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO_ROOT=$(pwd)
PROJECT_VENV=${PROJECT_VENV:-$REPO_ROOT/.venv}
PG_VENV=${PG_VENV:-${TMPDIR:-/tmp}/crm-dbt-postgres-venv}
WORK_DIR=${WORK_DIR:-$(mktemp -d -t crm-postgres-check-XXXXXX)}

for name in CRM_PG_HOST CRM_PG_PORT CRM_PG_USER CRM_PG_PASSWORD CRM_PG_DATABASE; do
    if [ -z "${!name:-}" ]; then
        echo "check_postgres.sh: set $name (see docs/postgres.md)" >&2
        exit 1
    fi
done
if [ ! -x "$PROJECT_VENV/bin/crm-pipeline" ]; then
    echo "check_postgres.sh: $PROJECT_VENV/bin/crm-pipeline not found (run make install or set PROJECT_VENV)" >&2
    exit 1
fi

if [ ! -x "$PG_VENV/bin/dbt" ]; then
    echo "creating $PG_VENV with dbt-postgres"
    python3 -m venv "$PG_VENV"
    "$PG_VENV/bin/pip" install --quiet "dbt-core>=1.11,<1.12" "dbt-postgres>=1.9,<2" \
        "duckdb>=1.3" "pydantic>=2.6" "pyyaml>=6"
    "$PG_VENV/bin/pip" install --quiet --no-deps -e "$REPO_ROOT"
fi

echo "work folder: $WORK_DIR"
"$PROJECT_VENV/bin/crm-pipeline" generate --out "$WORK_DIR/landing" --leads 400 \
    --start 2025-10-01 --end 2026-03-31 --seed 7 --dirty-rate 0.03
# Two builds: the first day of March feeds forecast_accuracy, the last day is compared.
for as_of in 2026-03-01 2026-03-31; do
    "$PROJECT_VENV/bin/crm-pipeline" build --landing "$WORK_DIR/landing" \
        --warehouse "$WORK_DIR/warehouse" --as-of "$as_of"
done

"$PG_VENV/bin/python" scripts/check_postgres.py all "$WORK_DIR/warehouse/build/crm.duckdb"
