"""dbt's command line for the build's dbt step, parsing the project once per configuration.

The dbt step passes the validated configuration as dbt vars, with the build's date as
``as_of_date``. dbt keys its partial-parse state on every var, so a new date (every daily
build) made it parse the whole project again, and each of the step's two commands paid
for it. The parse does not depend on the date: ``as_of_date`` is only read while SQL is
compiled (macros/as_of.sql; configs, refs and tests never use it). So this entry point
(the ``crm-dbt`` command, started by dagster-dbt in place of ``dbt``):

1. parses with every var except ``as_of_date``, keeping dbt's partial-parse state in a
   folder of the warehouse (``--parse-state DIR``): from the second build on, dbt finds it
   valid and only checks the project's files for changes;
2. runs the requested command (``run``, ``test``) on that manifest with all the vars, as
   dbt's documented programmatic use does (``dbtRunner(manifest=...)``), so the command
   itself does not parse.

dbt still decides when its state is stale (another configuration, build database,
project file or dbt version: it parses again). Arguments without ``--vars`` or without
``--parse-state`` go to dbt unchanged. Exit codes are dbt's: 0 success, 1 failures,
2 error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

PARSE_STATE_FLAG = "--parse-state"
DATE_VAR = "as_of_date"


def split_parse_state(args: Sequence[str]) -> tuple[str | None, list[str]]:
    """The ``--parse-state`` folder (if given) and the arguments meant for dbt."""
    rest = list(args)
    if PARSE_STATE_FLAG not in rest:
        return None, rest
    at = rest.index(PARSE_STATE_FLAG)
    folder = rest[at + 1]
    del rest[at : at + 2]
    return folder, rest


def parse_vars(args: Sequence[str]) -> dict[str, object] | None:
    """The command's ``--vars`` without the build date: what the parse depends on."""
    if "--vars" not in args:
        return None
    given = json.loads(args[list(args).index("--vars") + 1])
    return {key: value for key, value in given.items() if key != DATE_VAR}


def _exit_code(result: object) -> int:
    """dbt's own exit codes: 0 success, 1 a node failed, 2 dbt could not run."""
    if getattr(result, "exception", None) is not None:
        return 2
    return 0 if getattr(result, "success", False) else 1


def main(argv: Sequence[str] | None = None) -> int:
    from dbt.cli.main import dbtRunner

    state_dir, args = split_parse_state(sys.argv[1:] if argv is None else argv)
    stable_vars = parse_vars(args)
    if state_dir is None or stable_vars is None:
        return _exit_code(dbtRunner().invoke(args))
    parsed = dbtRunner().invoke(
        [
            "parse",
            "--vars",
            json.dumps(stable_vars),
            "--target-path",
            state_dir,
            "--no-write-json",
        ]
    )
    if not parsed.success:
        return _exit_code(parsed)
    return _exit_code(dbtRunner(manifest=parsed.result).invoke(args))


if __name__ == "__main__":
    raise SystemExit(main())
