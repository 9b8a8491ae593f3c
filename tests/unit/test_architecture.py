"""Architecture rules that import-linter cannot see: no product module writes the process
environment (settings travel as Dagster resources and dbt vars, docs/architecture.md)."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "ingestion", "quality", "delivery", "orchestration", "crm_pipeline")
ENVIRONMENT_WRITE = re.compile(
    r"os\.environ\s*\[[^\]]+\]\s*=(?!=)|os\.environ\.(update|setdefault|pop|clear)\s*\(|"
    r"os\.(putenv|unsetenv)\s*\(|del\s+os\.environ"
)


def test_the_pattern_catches_every_way_of_writing_the_environment() -> None:
    for line in (
        'os.environ["CRM_BUILD_DB"] = str(path)',
        "os.environ.update(values)",
        'os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")',
        'os.environ.pop("CRM_PIPELINE_CONFIG", None)',
        'os.putenv("X", "1")',
        'del os.environ["X"]',
    ):
        assert ENVIRONMENT_WRITE.search(line), line
    assert not ENVIRONMENT_WRITE.search('value = os.environ.get("CRM_WAREHOUSE_DIR")')
    assert not ENVIRONMENT_WRITE.search('if os.environ["X"] == "1":')


def test_no_product_module_writes_the_process_environment() -> None:
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for package in PACKAGES
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if ENVIRONMENT_WRITE.search(line)
    ]
    assert offenders == []
