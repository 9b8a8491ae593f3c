"""`crm-pipeline dbt` and `crm-pipeline docs`: dbt the way an analytics engineer runs it.

``crm-pipeline dbt --as-of D -- build -s funnel_conversion`` runs dbt on the warehouse's
build database with exactly the vars a daily build passes (the validated configuration,
``Settings.dbt_vars``, plus the build database's path), while holding the one-writer lock
(core/build_lock.py): a scheduled build waits for it, and it waits for a running build.
With ``--private`` dbt runs on a copy (``WAREHOUSE/dev/crm.duckdb``, taken under the lock)
so that experiments never touch the pipeline's database; the lock is then released at once.

``crm-pipeline docs`` generates dbt's documentation against the real build database, so
the catalog lists every table's real columns and types, and prints the path of the
self-contained page (``--serve`` serves it on a local port instead).

dbt's artifacts go to a folder per invocation under ``WAREHOUSE/build/dbt_target/``; only
the last few are kept (orchestration/dbt.py).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import yaml

from core.build_lock import build_db_lock
from core.paths import WarehousePaths
from core.settings import Settings

PRIVATE_DIR = "dev"
DOCS_DIR = "dbt_docs"


def exit_code(dbt_code: int) -> int:
    """crm-pipeline's exit code for dbt's: 0 and 1 as they are, anything else 1.

    dbt exits 2 on a usage error (and a killed process has a negative code), but in this
    CLI 2 means "blocked by the quality gate"; scripts must not mistake one for the other.
    """
    return dbt_code if dbt_code in (0, 1) else 1


def _run(command: list[str], notify: Callable[[str], None]) -> int:
    code = subprocess.run(command, check=False).returncode
    if code not in (0, 1):
        notify(f"dbt exited with code {code}: crm-pipeline exits 1 (2 means blocked by the gate)")
    return exit_code(code)


def latest_published_date(paths: WarehousePaths) -> dt.date | None:
    """The business date of the newest published build, read from ``publish_log``."""
    if not paths.serving_db.exists():
        return None
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        row = con.execute(
            "select max(as_of_date) from data_quality.publish_log where status = 'published'"
        ).fetchone()
    return row[0] if row and row[0] is not None else None


def resolve_as_of(paths: WarehousePaths, as_of: dt.date | None) -> dt.date:
    """``--as-of`` when given, else the published build's date; one sentence otherwise."""
    if as_of is not None:
        return as_of
    published = latest_published_date(paths)
    if published is None:
        raise ValueError(
            f"nothing is published in {paths.root} yet: pass --as-of YYYY-MM-DD "
            "(the business date the models compute as of)"
        )
    return published


def split_user_vars(args: Sequence[str]) -> tuple[list[str], dict[str, Any]]:
    """dbt ARGS without ``--vars``, and the vars it held (YAML or JSON), so that the user's
    vars can override the configured ones instead of replacing them all."""
    rest: list[str] = []
    user: dict[str, Any] = {}
    items = list(args)
    index = 0
    while index < len(items):
        item = items[index]
        if item == "--vars" and index + 1 < len(items):
            user.update(yaml.safe_load(items[index + 1]) or {})
            index += 2
            continue
        if item.startswith("--vars="):
            user.update(yaml.safe_load(item.removeprefix("--vars=")) or {})
        else:
            rest.append(item)
        index += 1
    return rest, user


def dbt_command(
    args: Sequence[str], *, settings: Settings, as_of: dt.date, database: Path, target_path: Path
) -> list[str]:
    """The full dbt command line: ARGS plus project, profiles, target path and the vars."""
    from orchestration.dbt import DBT_PROJECT_DIR, dbt_executable, project_vars

    rest, user_vars = split_user_vars(args)
    dbt_vars = {**project_vars(settings.dbt_vars(as_of), database), **user_vars}
    return [
        dbt_executable(),
        *rest,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--vars",
        json.dumps(dbt_vars, ensure_ascii=False),
    ]


def _private_copy(paths: WarehousePaths) -> Path:
    copy = paths.root / PRIVATE_DIR / paths.build_db.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(paths.build_db, copy)
    return copy


def run_dbt(
    paths: WarehousePaths,
    settings: Settings,
    args: Sequence[str],
    *,
    as_of: dt.date | None,
    private: bool = False,
    notify: Callable[[str], None] = print,
) -> int:
    """Run dbt ARGS on the build database (or a private copy); dbt's exit code, except
    that a code other than 0 and 1 becomes 1 (``exit_code``)."""
    from orchestration.dbt import run_target_path

    if not args:
        raise ValueError("no dbt arguments: e.g. crm-pipeline dbt --as-of 2026-03-31 -- build")
    if not paths.build_db.exists():
        raise ValueError(f"no build database in {paths.root}: run a build first")
    date = resolve_as_of(paths, as_of)
    target = run_target_path(paths.build_dir, f"cli-{args[0]}")
    purpose = f"crm-pipeline dbt {' '.join(args)[:80]}"
    if private:
        with build_db_lock(paths.lock_file, purpose, notify=notify):
            database = _private_copy(paths)
        notify(f"dbt on a private copy {database}, as of {date}")
        command = dbt_command(args, settings=settings, as_of=date, database=database,
                              target_path=target)  # fmt: skip
        return _run(command, notify)
    with build_db_lock(paths.lock_file, purpose, notify=notify):
        notify(f"dbt on the build database {paths.build_db}, as of {date} (lock held)")
        command = dbt_command(args, settings=settings, as_of=date, database=paths.build_db,
                              target_path=target)  # fmt: skip
        return _run(command, notify)


def generate_docs(
    paths: WarehousePaths,
    settings: Settings,
    *,
    as_of: dt.date | None,
    serve: bool = False,
    port: int = 8080,
    notify: Callable[[str], None] = print,
) -> Path:
    """``dbt docs generate`` on the build database (real columns); the static page's path.

    With ``serve``, ``dbt docs serve`` then serves the generated folder until interrupted.
    """
    if not paths.build_db.exists():
        raise ValueError(f"no build database in {paths.root}: run a build first")
    date = resolve_as_of(paths, as_of)
    target = paths.build_dir / DOCS_DIR
    shutil.rmtree(target, ignore_errors=True)
    command = dbt_command(["docs", "generate", "--static"], settings=settings, as_of=date,
                          database=paths.build_db, target_path=target)  # fmt: skip
    with build_db_lock(paths.lock_file, "crm-pipeline docs", notify=notify):
        code = subprocess.run(command, check=False).returncode
    if code != 0:
        raise RuntimeError(f"dbt docs generate failed (exit {code}); see the output above")
    page = target / "static_index.html"
    if serve:
        serve_command = dbt_command(
            ["docs", "serve", "--port", str(port), "--no-browser"],
            settings=settings, as_of=date, database=paths.build_db, target_path=target,
        )  # fmt: skip
        notify(f"serving dbt docs on http://127.0.0.1:{port} (Ctrl-C stops)")
        subprocess.run(serve_command, check=False)
    return page
