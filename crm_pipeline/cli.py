"""`crm-pipeline`: generate, build, backfill, validate, demo (spec/operations.md).

Errors are printed as one sentence, never a stack trace; exit codes are 0 published,
2 blocked by the gate, 1 error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from core.paths import WarehousePaths
from core.settings import ConfigError

EXIT_ERROR = 1


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def _require(value: Path | None, flag: str, env: str) -> Path:
    if value is None:
        raise ConfigError(f"{flag} is required (or set {env})")
    return value


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- commands
def cmd_generate(args: argparse.Namespace) -> int:
    from crm_pipeline.generator import GeneratorOptions, generate

    options = GeneratorOptions(
        leads=args.leads, start=args.start, end=args.end, seed=args.seed,
        headers=args.headers, encoding=args.encoding, format=args.format,
        dirty_rate=args.dirty_rate,
    )
    summary = generate(Path(args.out), options, progress=_say)
    rows = ", ".join(f"{entity} {count:,}" for entity, count in summary.rows.items())
    print(f"wrote {summary.files} files to {summary.out_dir}: {rows}")
    return 0


def _locations(args: argparse.Namespace) -> tuple[Path, Path, Path | None]:
    landing = _require(args.landing or _env_path("CRM_LANDING_DIR"), "--landing", "CRM_LANDING_DIR")
    warehouse = _require(
        args.warehouse or _env_path("CRM_WAREHOUSE_DIR"), "--warehouse", "CRM_WAREHOUSE_DIR"
    )
    return landing, warehouse, args.config or _env_path("CRM_PIPELINE_CONFIG")


def cmd_build(args: argparse.Namespace) -> int:
    from crm_pipeline.runner import build_log_path, run_build

    landing, warehouse, config = _locations(args)
    outcome = run_build(landing, warehouse, args.as_of, config, verbose=args.verbose)
    print(f"build as of {outcome.as_of_date}: {outcome.status} ({outcome.reason})")
    paths = WarehousePaths(warehouse.resolve())
    if outcome.status == "published":
        print(f"  serving database: {paths.serving_db}")
    report = paths.report_dir(outcome.as_of_date.isoformat())
    if report.exists():
        print(f"  quality report:   {report}")
    if not args.verbose:
        print(f"  build log:        {build_log_path(paths, outcome.as_of_date)}")
    return outcome.exit_code


def cmd_backfill(args: argparse.Namespace) -> int:
    from crm_pipeline.backfill import run_backfill

    landing, warehouse, config = _locations(args)
    return run_backfill(
        landing, warehouse, args.start, args.end, config, progress=_say, force=args.force
    )


def cmd_validate(args: argparse.Namespace) -> int:
    from crm_pipeline.validate import run_validate

    landing = _require(args.landing or _env_path("CRM_LANDING_DIR"), "--landing", "CRM_LANDING_DIR")
    return run_validate(landing, args.config or _env_path("CRM_PIPELINE_CONFIG"))


def cmd_demo(args: argparse.Namespace) -> int:
    from crm_pipeline.demo import run_demo

    return run_demo(Path(args.landing), Path(args.warehouse))


# ------------------------------------------------------------------------------ parsing
def _add_locations(parser: argparse.ArgumentParser, landing: bool = True) -> None:
    if landing:
        parser.add_argument("--landing", type=Path, help="landing folder (or CRM_LANDING_DIR)")
    parser.add_argument("--warehouse", type=Path, help="warehouse folder (or CRM_WAREHOUSE_DIR)")
    parser.add_argument("--config", type=Path, help="configuration YAML (or CRM_PIPELINE_CONFIG)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm-pipeline", description="Daily CRM analytics warehouse (Dagster + dbt + DuckDB)."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a synthetic landing folder")
    gen.add_argument("--out", required=True, type=Path)
    gen.add_argument("--leads", type=int, default=2000)
    gen.add_argument("--start", type=_date, default=dt.date(2026, 1, 1))
    gen.add_argument("--end", type=_date, default=dt.date(2026, 3, 31))
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--headers", choices=["en", "zh"], default="en")
    gen.add_argument("--encoding", choices=["utf-8", "gbk"], default="utf-8")
    gen.add_argument("--format", choices=["csv", "xlsx", "jsonl"], default="csv")
    gen.add_argument("--dirty-rate", type=float, default=0.0)
    gen.set_defaults(func=cmd_generate)

    build = sub.add_parser("build", help="one daily build as of a date (a Dagster job run)")
    _add_locations(build)
    build.add_argument("--as-of", required=True, type=_date)
    build.add_argument("--verbose", action="store_true", help="show Dagster's step logs")
    build.set_defaults(func=cmd_build)

    backfill = sub.add_parser("backfill", help="one build per date, in order")
    _add_locations(backfill)
    backfill.add_argument("--start", required=True, type=_date)
    backfill.add_argument("--end", required=True, type=_date)
    backfill.add_argument(
        "--force", action="store_true", help="rebuild dates already published (default: skip)"
    )
    backfill.set_defaults(func=cmd_backfill)

    validate = sub.add_parser("validate", help="quality checks only; publishes nothing")
    validate.add_argument("--landing", type=Path, help="landing folder (or CRM_LANDING_DIR)")
    validate.add_argument("--config", type=Path, help="configuration YAML")
    validate.set_defaults(func=cmd_validate)

    demo = sub.add_parser("demo", help="generate demo data, run the daily builds, summarise")
    demo.add_argument("--landing", default="demo_landing")
    demo.add_argument("--warehouse", default="demo_warehouse")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        _say(f"error: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
