"""`crm-pipeline`: generate, build, backfill, validate, accept, report, dbt, docs, demo.

Errors are printed as one sentence, never a stack trace (the trace goes to a log file under
``WAREHOUSE/build/logs/``, named in the sentence); exit codes are 0 published, 2 blocked
by the gate, 1 error — a mistyped argument (a bad ``--as-of``) is an error too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from core.paths import WarehousePaths
from core.settings import ConfigError, Settings, config_file

EXIT_ERROR = 1


class UsageError(ValueError):
    """The command line itself is wrong (unknown option, bad date): exit 1, one sentence."""


class _Parser(argparse.ArgumentParser):
    """argparse, except that a usage error raises instead of exiting with code 2 (the
    gate's code): the caller prints one sentence and exits 1."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


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
        leads=args.leads,
        start=args.start,
        end=args.end,
        seed=args.seed,
        headers=args.headers,
        encoding=args.encoding,
        format=args.format,
        dirty_rate=args.dirty_rate,
        service_ratio=args.service_ratio,
    )
    summary = generate(Path(args.out), options, progress=_say)
    rows = ", ".join(f"{entity} {count:,}" for entity, count in summary.rows.items())
    print(f"wrote {summary.files} files to {summary.out_dir}: {rows}")
    return 0


def _warehouse_arg(args: argparse.Namespace) -> Path:
    return _require(
        args.warehouse or _env_path("CRM_WAREHOUSE_DIR"), "--warehouse", "CRM_WAREHOUSE_DIR"
    )


def check_warehouse(warehouse: Path) -> None:
    """Refuse, in one sentence, a warehouse that is a file or cannot be written."""
    if warehouse.exists() and not warehouse.is_dir():
        raise UsageError(f"--warehouse {warehouse} is a file, not a folder")
    existing = warehouse
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"--warehouse {warehouse}: {existing} is a file, not a folder")
    for folder in (existing, warehouse / "build"):
        if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"warehouse folder {folder} is read-only: the build cannot write")


def _locations(args: argparse.Namespace) -> tuple[Path, Path, Path | None]:
    landing = _require(args.landing or _env_path("CRM_LANDING_DIR"), "--landing", "CRM_LANDING_DIR")
    warehouse = _warehouse_arg(args)
    config = args.config or _env_path("CRM_PIPELINE_CONFIG")
    from core.settings import load_config

    load_config(config, warehouse if warehouse.is_dir() else None)  # before anything runs
    check_warehouse(warehouse)
    return landing, warehouse, config


def cmd_build(args: argparse.Namespace) -> int:
    from crm_pipeline.runner import build_log_path, run_build

    landing, warehouse, config = _locations(args)
    outcome = run_build(landing, warehouse, args.as_of, config, verbose=args.verbose)
    print(f"build as of {outcome.as_of_date}: {outcome.label} ({outcome.reason})")
    paths = WarehousePaths(warehouse.resolve())
    _print_details(paths, outcome.run_id)
    if outcome.status == "published":
        print(f"  serving database: {paths.serving_db}")
    report = paths.report_dir(outcome.as_of_date.isoformat())
    if report.exists():
        print(f"  quality report:   {report}")
    if not args.verbose:
        print(f"  build log:        {build_log_path(paths, outcome.as_of_date)}")
    _print_late_files(paths)
    return outcome.exit_code


def _print_late_files(paths: WarehousePaths) -> None:
    """Files landed after dates they belong to were published: name them and the fix."""
    from crm_pipeline.backfill import late_rebuild_plan
    from crm_pipeline.late_files import describe

    try:
        plan = late_rebuild_plan(paths)
    except Exception:  # the hint must not turn a finished build into an error
        return
    if plan is None:
        return
    for line in describe(plan):
        print(f"  late file: {line}")
    dates = ", ".join(map(str, plan.dates))
    print(f"  rebuild {dates} with: crm-pipeline backfill --late")


def _print_details(paths: WarehousePaths, run_id: str | None) -> None:
    """Rows quarantined per entity and each alert channel's delivery, under the outcome."""
    from crm_pipeline.runner import build_details

    try:
        details = build_details(paths, run_id)
    except Exception:  # the summary must not turn a finished build into an error
        return
    if any(details.quarantined.values()):
        per = ", ".join(f"{e} {n}" for e, n in details.quarantined.items() if n)
        print(f"  rows quarantined: {per}")
    for channel, status, error in details.deliveries:
        print(f"  alert {channel}: {status}" + (f" ({error})" if error else ""))


def cmd_backfill(args: argparse.Namespace) -> int:
    from crm_pipeline.backfill import run_backfill, run_late_backfill

    landing, warehouse, config = _locations(args)
    if args.late:
        if args.start or args.end:
            raise UsageError("backfill --late finds its dates itself: drop --start and --end")
        return run_late_backfill(landing, warehouse, config, progress=_say)
    if args.start is None or args.end is None:
        raise UsageError("backfill needs --start and --end (or --late)")
    return run_backfill(
        landing, warehouse, args.start, args.end, config, progress=_say, force=args.force
    )


def cmd_validate(args: argparse.Namespace) -> int:
    from crm_pipeline.validate import run_validate

    landing = _require(args.landing or _env_path("CRM_LANDING_DIR"), "--landing", "CRM_LANDING_DIR")
    return run_validate(landing, validate_config(args.config))


def validate_config(config: Path | None) -> Path | None:
    """The configuration ``validate`` judges by, as a build would find it: ``--config``,
    else ``CRM_PIPELINE_CONFIG``, else the ``config.yaml`` of the warehouse that
    ``CRM_WAREHOUSE_DIR`` names (validate writes no warehouse, but a build there reads
    that file: judging by the defaults instead could say "would publish" where the build
    blocks), else None (the defaults)."""
    return config_file(config or _env_path("CRM_PIPELINE_CONFIG"), _env_path("CRM_WAREHOUSE_DIR"))


def cmd_accept(args: argparse.Namespace) -> int:
    """Accept a file that holds the gate, so that later builds may publish without it."""
    import duckdb

    from core import database
    from core.build_lock import build_db_lock
    from quality.gate import accept_file, blocking_files

    warehouse = _warehouse_arg(args)
    check_warehouse(warehouse)
    paths = WarehousePaths(warehouse.resolve())
    if not paths.build_db.exists():
        raise UsageError(f"no build database in {warehouse}: nothing has been built there yet")
    file_path = _landing_relative(Path(args.file), args.landing or _env_path("CRM_LANDING_DIR"))
    with build_db_lock(paths.lock_file, f"crm-pipeline accept {file_path}", notify=_say):
        con = database.connect(paths.build_db)
        try:
            holding = [state.file_path for state in blocking_files(con)]
            accepted = accept_file(con, holding_file(file_path, holding), args.reason)
        except duckdb.Error as exc:
            raise UsageError(f"the build database could not record the acceptance: {exc}") from exc
        finally:
            con.close()
    print(
        f"accepted {accepted.file_path} ({accepted.resolved}) by {accepted.accepted_by} "
        f"at {accepted.accepted_at:%Y-%m-%d %H:%M} UTC: {accepted.reason}; "
        "the next build no longer holds on it"
    )
    return 0


def holding_file(file_path: str, holding: list[str]) -> str:
    """The file holding the gate that FILE names: itself, or the one holding file whose
    landing-relative path ends FILE's path (``landing/leads/x.csv`` or an absolute path
    names ``leads/x.csv`` without --landing). Anything else is returned as given, and the
    acceptance then says which files hold the gate."""
    if file_path in holding:
        return file_path
    ends = [h for h in holding if file_path.endswith("/" + h)]
    return ends[0] if len(ends) == 1 else file_path


def _landing_relative(file: Path, landing: Path | None) -> str:
    """FILE as recorded in file_loads: relative to the landing folder, forward slashes."""
    if landing is not None:
        try:
            return file.resolve().relative_to(Path(landing).resolve()).as_posix()
        except ValueError:
            pass
    return file.as_posix()


def cmd_report(args: argparse.Namespace) -> int:
    from core.settings import load_config
    from delivery.decks.service import make_decks

    warehouse = _require(
        args.warehouse or _env_path("CRM_WAREHOUSE_DIR"), "--warehouse", "CRM_WAREHOUSE_DIR"
    )
    paths = WarehousePaths(warehouse.resolve())
    settings = load_config(args.config or _env_path("CRM_PIPELINE_CONFIG"), paths.root)
    run = make_decks(
        paths.serving_db,
        paths.reports_dir,
        settings,
        as_of_date=args.as_of,
        language=args.lang,
        send=bool(args.send),
    )
    print(f"decks as of {run.files.as_of_date}:")
    for path in run.files.files.values():
        print(f"  {path}")
    failed = [r for r in run.results if r.status != "sent"]
    for result in run.results:
        print(
            f"  sent to {result.channel}: {result.status}"
            + (f" ({result.error})" if result.error else "")
        )
    note = unsent_note(settings, send=bool(args.send))
    if note:
        print(f"  {note}")
    return EXIT_ERROR if failed else 0


def unsent_note(settings: Settings, *, send: bool) -> str | None:
    """The line ``report --send`` prints when the decks go nowhere (exit stays 0: they were
    written): decks go only to ``reports.channels``, never to ``alerts.channels``."""
    if not send or settings.reports.channels:
        return None
    where = "only the owners' digests were sent (owners)" if settings.owners else "nothing was sent"
    return (
        f"decks not sent: no report channel is configured, {where}; list them under "
        "reports.channels in the configuration (--config, else WAREHOUSE/config.yaml; "
        'README "Manager decks")'
    )


def _dbt_context(args: argparse.Namespace) -> tuple[WarehousePaths, Settings]:
    from core.settings import load_config

    warehouse = _warehouse_arg(args)
    paths = WarehousePaths(warehouse.resolve())
    settings = load_config(args.config or _env_path("CRM_PIPELINE_CONFIG"), paths.root)
    return paths, settings


def cmd_dbt(args: argparse.Namespace) -> int:
    """dbt ARGS with the configured settings as vars, under the one-writer lock."""
    from crm_pipeline.dbt_cli import run_dbt

    paths, settings = _dbt_context(args)
    dbt_args = list(args.dbt_args)
    if dbt_args[:1] == ["--"]:
        dbt_args = dbt_args[1:]
    return run_dbt(paths, settings, dbt_args, as_of=args.as_of, private=args.private, notify=_say)


def cmd_docs(args: argparse.Namespace) -> int:
    """dbt docs generated against the build database (real columns)."""
    from crm_pipeline.dbt_cli import generate_docs

    paths, settings = _dbt_context(args)
    page = generate_docs(
        paths, settings, as_of=args.as_of, serve=args.serve, port=args.port, notify=_say
    )
    print(f"dbt docs: {page}")
    return 0


def cmd_serve_setup(args: argparse.Namespace) -> int:
    """Create or check the read-only PostgreSQL role of ``serving`` (docs/scaling.md)."""
    from core.settings import load_config
    from delivery.serving_postgres import ServingError, setup_reader_role

    warehouse = args.warehouse or _env_path("CRM_WAREHOUSE_DIR")
    settings = load_config(args.config or _env_path("CRM_PIPELINE_CONFIG"), warehouse)
    if settings.serving is None:
        raise UsageError("the configuration has no serving section (serving: {target: postgres})")
    try:
        problems = setup_reader_role(settings.serving)
    except ServingError as exc:
        raise UsageError(str(exc)) from None
    role = settings.serving.reader_role
    for problem in problems:
        print(f"serve-setup: {problem}", file=sys.stderr)
    if problems:
        return EXIT_ERROR
    print(f"role {role} reads the marts and data_quality, nothing else; grant it to BI logins")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from crm_pipeline.demo import DemoFolderError, run_demo

    try:
        return run_demo(Path(args.landing), Path(args.warehouse))
    except DemoFolderError as exc:
        # one sentence and no trace log: a trace log would be written into the very
        # warehouse folder the demo just refused to touch
        raise UsageError(str(exc)) from None


# ------------------------------------------------------------------------------ parsing
EXITS_BUILD = "exit codes: 0 published, 2 blocked by the quality gate, 1 error"
DATE = "YYYY-MM-DD"


def _add_locations(parser: argparse.ArgumentParser, landing: bool = True) -> None:
    if landing:
        parser.add_argument(
            "--landing", type=Path, help="landing folder (default: $CRM_LANDING_DIR)"
        )
    parser.add_argument(
        "--warehouse", type=Path, help="warehouse folder (default: $CRM_WAREHOUSE_DIR)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="configuration YAML (default: $CRM_PIPELINE_CONFIG, else WAREHOUSE/config.yaml, "
        "else built-in defaults)",
    )


def _command(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    summary: str,
    epilog: str | None = None,
    **kwargs: object,
) -> argparse.ArgumentParser:
    """A subcommand whose one-line summary is both its entry in ``crm-pipeline --help``
    and the description at the top of its own ``--help``."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=summary, description=summary + ".", epilog=epilog, **kwargs
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="crm-pipeline",
        description="Daily CRM analytics warehouse (Dagster + dbt + DuckDB).",
        epilog="build and backfill: " + EXITS_BUILD + "; dates are " + DATE,
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    gen = _command(
        sub,
        "generate",
        "write a synthetic landing folder, a file per entity and day "
        "(the same options and seed give identical files)",
    )
    gen.add_argument("--out", required=True, type=Path, help="landing folder to write (required)")
    gen.add_argument(
        "--leads", type=int, default=2000, help="number of leads to create (default: %(default)s)"
    )
    gen.add_argument(
        "--start",
        type=_date,
        default=dt.date(2026, 1, 1),
        help=f"first day of the data, {DATE} (default: %(default)s)",
    )
    gen.add_argument(
        "--end",
        type=_date,
        default=dt.date(2026, 3, 31),
        help=f"last day of the data, {DATE}, not before --start (default: %(default)s)",
    )
    gen.add_argument("--seed", type=int, default=42, help="random seed (default: %(default)s)")
    gen.add_argument(
        "--headers",
        choices=["en", "zh"],
        default="en",
        help="column headers: contract names (en) or Chinese aliases (zh) (default: %(default)s)",
    )
    gen.add_argument(
        "--encoding",
        choices=["utf-8", "gbk"],
        default="utf-8",
        help="text encoding of csv and jsonl files (default: %(default)s)",
    )
    gen.add_argument(
        "--format",
        choices=["csv", "xlsx", "jsonl"],
        default="csv",
        help="file format (default: %(default)s)",
    )
    gen.add_argument(
        "--dirty-rate",
        type=float,
        default=0.0,
        help="share of rows made deliberately dirty, 0 to 1 (default: %(default)s)",
    )
    gen.add_argument(
        "--service-ratio",
        type=float,
        default=None,
        help="service records per lead to reach, topped up with legacy customers; the spec's "
        "volume is 1.0 (default: the simulated ratio, about 0.2)",
    )
    gen.set_defaults(func=cmd_generate)

    build = _command(
        sub,
        "build",
        "one daily build as of a date (a Dagster job run): ingest, checks, dbt, gate, "
        "publish, report, alerts",
        epilog=EXITS_BUILD,
    )
    _add_locations(build)
    build.add_argument(
        "--as-of", required=True, type=_date, help=f"business date to build, {DATE} (required)"
    )
    build.add_argument(
        "--verbose", action="store_true", help="show Dagster's step logs (default: off)"
    )
    build.set_defaults(func=cmd_build)

    backfill = _command(
        sub,
        "backfill",
        "one build per date, oldest first; stops at the first error",
        epilog=EXITS_BUILD + " (2 if any date was blocked)",
    )
    _add_locations(backfill)
    backfill.add_argument(
        "--start", type=_date, help=f"first date, {DATE} (required unless --late)"
    )
    backfill.add_argument(
        "--end", type=_date, help=f"last date, {DATE}, inclusive (required unless --late)"
    )
    backfill.add_argument(
        "--force", action="store_true", help="rebuild dates already published (default: skip)"
    )
    backfill.add_argument(
        "--late",
        action="store_true",
        help="instead of --start/--end: rebuild the published dates that files landed late "
        "made stale, through the latest published date (docs/operations.md, late files)",
    )
    backfill.set_defaults(func=cmd_backfill)

    validate = _command(
        sub,
        "validate",
        "run the quality checks on a landing folder only; publishes nothing",
        epilog="exit codes: 0 would publish, 2 would be blocked by the gate, 1 error",
    )
    validate.add_argument("--landing", type=Path, help="landing folder (default: $CRM_LANDING_DIR)")
    validate.add_argument(
        "--config",
        type=Path,
        help="configuration YAML (default: $CRM_PIPELINE_CONFIG, else the config.yaml of the "
        "warehouse $CRM_WAREHOUSE_DIR names, else built-in defaults)",
    )
    validate.set_defaults(func=cmd_validate)

    accept = _command(
        sub, "accept", "let later builds publish despite a file that holds the gate (recorded)"
    )
    accept.add_argument(
        "file",
        help="the landing file as recorded, e.g. leads/2026-03-30.csv, or any path ending in it",
    )
    accept.add_argument("--reason", required=True, help="why it is accepted (required, recorded)")
    accept.add_argument(
        "--warehouse", type=Path, help="warehouse folder (default: $CRM_WAREHOUSE_DIR)"
    )
    accept.add_argument(
        "--landing",
        type=Path,
        help="landing folder, to record FILE relative to it (default: $CRM_LANDING_DIR)",
    )
    accept.set_defaults(func=cmd_accept)

    report = _command(
        sub,
        "report",
        "write the managers' decks (商机周报, 客户月报) from the serving database",
        epilog="exit codes: 0 written (and sent), 1 error or a channel failed. --send uses "
        "reports.channels (not alerts.channels) and the owners' digests",
    )
    _add_locations(report, landing=False)
    report.add_argument(
        "--as-of",
        type=_date,
        help=f"{DATE}; must be the date the serving database holds (default: that date)",
    )
    report.add_argument(
        "--lang", choices=["zh", "en"], help="deck language (default: reports.language)"
    )
    report.add_argument(
        "--send",
        action="store_true",
        help="also deliver to the report channels, reports.channels (default: off)",
    )
    report.set_defaults(func=cmd_report)

    dbt = _command(
        sub,
        "dbt",
        "run dbt on the build database with the configuration's vars, holding the build lock",
        epilog="e.g. crm-pipeline dbt --as-of 2026-03-31 -- build -s funnel_conversion. "
        "exit codes: 0 and 1 as dbt's; any other dbt exit code (2 is a dbt usage error) "
        "becomes 1, since 2 means blocked by the gate here",
    )
    _add_locations(dbt, landing=False)
    dbt.add_argument(
        "--as-of",
        type=_date,
        help=f"business date the models compute as of, {DATE} "
        "(default: the published build's date)",
    )
    dbt.add_argument(
        "--private",
        action="store_true",
        help="run on a copy, WAREHOUSE/dev/crm.duckdb (default: the build database)",
    )
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, help="-- then dbt's arguments")
    dbt.set_defaults(func=cmd_dbt)

    docs = _command(sub, "docs", "generate dbt docs against the build database (its real columns)")
    _add_locations(docs, landing=False)
    docs.add_argument(
        "--as-of",
        type=_date,
        help=f"business date the models compute as of, {DATE} "
        "(default: the published build's date)",
    )
    docs.add_argument(
        "--serve", action="store_true", help="serve the docs on --port (default: off)"
    )
    docs.add_argument(
        "--port", type=int, default=8080, help="port for --serve (default: %(default)s)"
    )
    docs.set_defaults(func=cmd_docs)

    serve = _command(
        sub,
        "serve-setup",
        "create or check the read-only PostgreSQL role of the serving section (docs/scaling.md)",
    )
    _add_locations(serve, landing=False)
    serve.set_defaults(func=cmd_serve_setup)

    demo = sub.add_parser(
        "demo",
        help="generate demo data, run the daily builds, summarise",
        description="Generate three months of demo data, land it day by day, run the daily "
        "builds and summarise. Every run deletes and recreates its folders (--landing, the "
        "LANDING_export folder beside it, --warehouse), so it only accepts folders it created "
        "itself (they hold a .crm-demo marker), empty or new ones: a folder with other files "
        "is refused and left untouched.",
    )
    demo.add_argument(
        "--landing",
        default="demo_landing",
        help="the demo's landing folder, deleted and recreated (default: demo_landing)",
    )
    demo.add_argument(
        "--warehouse",
        default="demo_warehouse",
        help="the demo's warehouse folder, deleted and recreated (default: demo_warehouse)",
    )
    demo.set_defaults(func=cmd_demo)
    return parser


def _os_sentence(exc: OSError) -> str:
    """One sentence for an operating-system error, naming the file when known."""
    if exc.errno is None:  # raised by the pipeline itself, already a sentence
        return str(exc)
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return f"the disk is full{where}: free some space and run the command again"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"cannot write{where}: the folder is read-only or not ours"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST) and exc.filename:
        return f"{exc.filename} is a file where a folder was expected"
    return f"{exc.strerror or type(exc).__name__}{where}"


def _trace_log(args: argparse.Namespace) -> Path | None:
    """Write the current exception's trace to WAREHOUSE/build/logs/ (else a temp file)."""
    warehouse = getattr(args, "warehouse", None) or _env_path("CRM_WAREHOUSE_DIR")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    from core.masking import scrub

    text = scrub(traceback.format_exc()) or ""
    candidates = [Path(warehouse) / "build" / "logs"] if warehouse else []
    candidates.append(Path(tempfile.gettempdir()))
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"crm-pipeline-error-{stamp}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def _fail(args: argparse.Namespace, sentence: str, trace: bool) -> int:
    from core.masking import scrub

    log = _trace_log(args) if trace else None
    _say(f"error: {scrub(sentence)}" + (f" (details: {log})" if log else ""))
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        _say(f"error: {exc}")
        return EXIT_ERROR
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except (ConfigError, UsageError) as exc:
        return _fail(args, str(exc), trace=False)
    except OSError as exc:
        return _fail(args, _os_sentence(exc), trace=True)
    except ValueError as exc:
        return _fail(args, str(exc), trace=True)
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_ERROR
    except Exception as exc:  # the last line of defence: one sentence, trace to the log
        first = (str(exc).strip().splitlines() or [""])[0]
        return _fail(args, f"{type(exc).__name__}: {first}", trace=True)


if __name__ == "__main__":
    sys.exit(main())
