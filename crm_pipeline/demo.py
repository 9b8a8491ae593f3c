"""`crm-pipeline demo` (what `make demo` runs after set-up).

Generates three months of realistic CRM exports (a few deliberately dirty rows), lands
them day by day the way a CRM export job would, runs the daily build through Dagster on
the first of each month and on the last day (so the forecast-accuracy snapshots exist),
and prints where everything is and a few headline numbers of each mart.

The demo deletes and recreates its folders on every run, so it only ever deletes folders
it created itself (:func:`prepare_demo_folders`): each holds a ``.crm-demo`` marker, and a
folder that holds files but no marker (a real landing folder, a real warehouse) is refused
before anything is touched. "The pipeline never modifies or deletes a landed file."
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb

from core.contract import load_contract
from core.paths import WarehousePaths
from crm_pipeline.generator import GeneratorOptions, generate
from crm_pipeline.runner import run_build

DEMO_START = dt.date(2026, 7, 1)
DEMO_END = dt.date(2026, 9, 30)
DEMO_LEADS = 3000
DEMO_DIRTY_RATE = 0.01

MARKER_NAME = ".crm-demo"
MARKER_TEXT = (
    "written by `crm-pipeline demo`: the demo created this folder, and its next run deletes "
    "and recreates it with everything in it\n"
)
# The folders `make demo` uses (the CLI's defaults). Demo folders written before the marker
# existed are recognised under these names only, and only when their contents are a demo's.
DEFAULT_LANDING = "demo_landing"
DEFAULT_WAREHOUSE = "demo_warehouse"
_LEGACY_WAREHOUSE_ENTRIES = {"build", "serving", "reports", "dagster"}


class DemoFolderError(ValueError):
    """A folder the demo would delete is not one it created; nothing was touched."""


def export_dir_for(landing: Path) -> Path:
    """Where the demo generates its exports before landing them day by day."""
    return landing.parent / f"{landing.name}_export"


def _looks_like_old_demo_landing(folder: Path) -> bool:
    """Only entity folders of files named by a date of the demo's period (the generator's
    ``<entity>/<YYYY-MM-DD>.csv``), plus the generator's spill folders: an older demo's
    landing or export folder, written before the marker existed."""
    entities = set(load_contract().entities)
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink() and entry.name.startswith(".generate-spill-"):
            continue
        if entry.name not in entities or entry.is_symlink() or not entry.is_dir():
            return False
        for path in entry.iterdir():
            stem, _, suffix = path.name.partition(".")
            try:
                day = dt.date.fromisoformat(stem)
            except ValueError:
                return False
            if suffix != "csv" or not path.is_file() or not DEMO_START <= day <= DEMO_END:
                return False
    return True


def _looks_like_old_demo_warehouse(folder: Path) -> bool:
    """Only the folders a build writes (build/, serving/, reports/, dagster/), no file of
    one's own such as a config.yaml: an older demo's warehouse, written before the marker."""
    return all(
        entry.name in _LEGACY_WAREHOUSE_ENTRIES and entry.is_dir() and not entry.is_symlink()
        for entry in folder.iterdir()
    )


def _is_old_demo_folder(folder: Path, default_name: str, warehouse: bool) -> bool:
    if folder.name != default_name:
        return False
    return (_looks_like_old_demo_warehouse if warehouse else _looks_like_old_demo_landing)(folder)


def check_demo_folder(folder: Path, default_name: str = "", warehouse: bool = False) -> None:
    """Raise :class:`DemoFolderError` unless the demo may delete and recreate ``folder``:
    it is missing, empty, holds the demo's marker, or is an older demo folder under its
    default name (``default_name``; ``warehouse`` says which kind of contents to expect)."""
    shown = folder.absolute()
    if folder.is_symlink():
        raise DemoFolderError(
            f"demo: {shown} is a symbolic link, not a folder the demo created; "
            "pass an empty or new folder"
        )
    if not folder.exists():
        return
    if not folder.is_dir():
        raise DemoFolderError(
            f"demo: {shown} is a file, not a folder the demo created; "
            "pass an empty or new folder, or delete it yourself"
        )
    if (folder / MARKER_NAME).is_file() or not any(folder.iterdir()):
        return
    if _is_old_demo_folder(folder, default_name, warehouse):
        return
    raise DemoFolderError(
        f"demo: {shown} is not a folder the demo created (it holds files and no {MARKER_NAME} "
        "marker); pass an empty or new folder, or delete it yourself"
    )


def prepare_demo_folders(landing: Path, warehouse: Path) -> Path:
    """Check the demo's three folders (landing, its export folder beside it, warehouse),
    all of them before touching any; then delete and recreate each with the marker.

    Returns the export folder. A folder that is not the demo's raises
    :class:`DemoFolderError` and nothing is deleted.
    """
    export_dir = export_dir_for(landing)
    folders = [
        (export_dir, f"{DEFAULT_LANDING}_export", False),
        (landing, DEFAULT_LANDING, False),
        (warehouse, DEFAULT_WAREHOUSE, True),
    ]
    for folder, default_name, is_warehouse in folders:
        check_demo_folder(folder, default_name, is_warehouse)
    for folder, _, _ in folders:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        (folder / MARKER_NAME).write_text(MARKER_TEXT, encoding="utf-8")
    return export_dir


def build_dates(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month after ``start`` up to ``end``, then ``end`` itself."""
    dates = []
    month = dt.date(start.year, start.month, 1)
    while month <= end:
        if month > start:
            dates.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    if end not in dates:
        dates.append(end)
    return dates


def land_until(export_dir: Path, landing_dir: Path, as_of: dt.date) -> int:
    """Copy exported daily files dated on or before ``as_of`` into the landing folder."""
    copied = 0
    for source in sorted(export_dir.glob("*/*")):
        try:
            file_date = dt.date.fromisoformat(source.name.split(".", 1)[0])
        except ValueError:
            continue
        target = landing_dir / source.parent.name / source.name
        if file_date <= as_of and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied += 1
    return copied


def _say(message: str) -> None:
    print(message, flush=True)


def run_demo(landing: Path, warehouse: Path) -> int:
    """Generate, land, build and summarise; returns the exit code of the last build.

    Refuses (:class:`DemoFolderError`, nothing touched) a folder the demo did not create.
    """
    export_dir = prepare_demo_folders(landing, warehouse)
    _say(f"Generating {DEMO_LEADS:,} leads from {DEMO_START} to {DEMO_END} into {export_dir} …")
    summary = generate(
        export_dir,
        GeneratorOptions(
            leads=DEMO_LEADS,
            start=DEMO_START,
            end=DEMO_END,
            seed=20260701,
            dirty_rate=DEMO_DIRTY_RATE,
        ),
    )
    _say("  " + ", ".join(f"{k}: {v:,} rows" for k, v in summary.rows.items()))
    exit_code = 0
    for as_of in build_dates(DEMO_START, DEMO_END):
        copied = land_until(export_dir, landing, as_of)
        _say(f"Daily build as of {as_of} ({copied} new files landed) …")
        outcome = run_build(landing, warehouse, as_of)
        _say(f"  {outcome.label}: {outcome.reason}")
        exit_code = outcome.exit_code
        if outcome.status == "failed":
            return exit_code
    print_summary(WarehousePaths(warehouse.resolve()), landing.resolve())
    print_decks(WarehousePaths(warehouse.resolve()), DEMO_END)
    return exit_code


def _scalar_row(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, object]:
    cursor = con.execute(sql)
    row = cursor.fetchone()
    names = [d[0] for d in cursor.description]
    return dict(zip(names, row, strict=True)) if row else {}


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float | Decimal):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_summary(paths: WarehousePaths, landing: Path) -> None:
    """Rows per published table, headline numbers, and where to look next."""
    if not paths.serving_db.exists():
        _say("Nothing was published (see the quality report under reports/).")
        return
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() order by schema_name, table_name"
        ).fetchall()
        _say("\nPublished tables (rows):")
        for schema, table in tables:
            rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            _say(f"  {schema}.{table:<24} {rows:>8,}")
        funnel = _scalar_row(con, "select * from opportunity_funnel.kpi_summary")
        lifecycle = _scalar_row(con, "select * from customer_lifecycle.kpi_summary")
    _say("\nOpportunity funnel (商机管理) as of " + _fmt(funnel.get("as_of_date")))
    for key in (
        "open_count",
        "open_amount",
        "weighted_pipeline",
        "win_rate_90d",
        "avg_sales_cycle_days_90d",
        "stalled_count",
        "follow_up_loss_rate",
    ):
        _say(f"  {key:<26} {_fmt(funnel.get(key))}")
    _say("Customer lifecycle (客户关系管理)")
    for key in (
        "customers",
        "active_customers",
        "at_risk_customers",
        "churned_customers_90d",
        "repurchase_rate",
        "avg_satisfaction_90d",
        "csat_rate_90d",
    ):
        _say(f"  {key:<26} {_fmt(lifecycle.get(key))}")
    _say(
        "\nWhere things are:\n"
        f"  serving database (BI tools, read-only): {paths.serving_db}\n"
        f"  Parquet copies:                         {paths.parquet_dir}\n"
        f"  quality reports:                        {paths.reports_dir}\n"
        f"  private build database:                 {paths.build_db}\n"
        "\nLook at it:\n"
        '  .venv/bin/python -c "import duckdb; print(duckdb.connect('
        f"'{paths.serving_db}', read_only=True).sql('from opportunity_funnel.kpi_summary'))\"\n"
        "  make dagster-ui    # Dagster UI on http://127.0.0.1:3000 with this warehouse\n"
        f"  (equivalent: DAGSTER_HOME={paths.dagster_home} CRM_WAREHOUSE_DIR={paths.root} "
        f"CRM_LANDING_DIR={landing} VIRTUAL_ENV=$PWD/.venv .venv/bin/dg dev --port 3000)"
    )


def print_decks(paths: WarehousePaths, as_of: dt.date) -> None:
    """The managers' decks the last published build wrote (商机周报, 客户月报)."""
    folder = paths.report_dir(as_of.isoformat())
    decks = sorted(folder.glob("*_deck.*")) if folder.is_dir() else []
    if not decks:
        _say("\nNo decks for the last build (it did not publish); see the quality report.")
        return
    _say("\nManager decks (商机周报 opportunity_deck, 客户月报 customer_deck):")
    for path in decks:
        _say(f"  {path}")
    _say(
        f"  regenerate in English: .venv/bin/crm-pipeline report --warehouse {paths.root} --lang en"
    )
