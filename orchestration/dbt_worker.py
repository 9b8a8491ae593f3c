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

3. with ``--then-test DIR`` after a ``run``: runs ``dbt test`` (data tests, not unit
   tests) as a second invocation in the same process, on the same manifest, with the same
   vars and selection, its artifacts and log in DIR. It is still two dbt commands, not
   ``dbt build``: every model is run before any test, so a failing test skips nothing, and
   the test runs whatever the run's outcome, as a separate ``dbt test`` process did. It
   saves the second process's start (Python, dbt's imports, the adapter: 1.5–6 s) and its
   parse-state check (~1–3 s) on every build.

dbt still decides when its state is stale (another configuration, build database,
project file or dbt version: it parses again). Arguments without ``--vars`` or without
``--parse-state`` go to dbt unchanged. Exit codes are dbt's: 0 success, 1 failures,
2 error; with ``--then-test`` the worse of the two invocations'.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

PARSE_STATE_FLAG = "--parse-state"
THEN_TEST_FLAG = "--then-test"
DATE_VAR = "as_of_date"
# the build's tests: data tests only; dbt unit tests check SQL logic in the test suite
TEST_COMMAND = ("test", "--exclude-resource-type", "unit_test")


def _take_flag(args: Sequence[str], flag: str) -> tuple[str | None, list[str]]:
    """The value of this worker's own ``flag`` (if given) and the other arguments."""
    rest = list(args)
    if flag not in rest:
        return None, rest
    at = rest.index(flag)
    value = rest[at + 1]
    del rest[at : at + 2]
    return value, rest


def split_parse_state(args: Sequence[str]) -> tuple[str | None, list[str]]:
    """The ``--parse-state`` folder (if given) and the arguments meant for dbt."""
    return _take_flag(args, PARSE_STATE_FLAG)


def then_test_args(run_args: Sequence[str], target_dir: str) -> list[str]:
    """The ``dbt test`` that follows a ``dbt run``: the run's vars, selection and flags,
    data tests only, artifacts and log in ``target_dir``."""
    args = list(run_args)
    if "run" not in args:
        raise ValueError(f"{THEN_TEST_FLAG} follows a dbt run, not: {' '.join(args)[:200]}")
    at = args.index("run")
    args[at : at + 1] = TEST_COMMAND
    return [*args, "--target-path", target_dir, "--log-path", target_dir]


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


def _invocations(args: list[str]) -> tuple[str | None, list[list[str]]]:
    """The parse-state folder and the dbt commands to run: the given one, then the
    ``dbt test`` that ``--then-test`` asks for."""
    test_dir, args = _take_flag(args, THEN_TEST_FLAG)
    state_dir, args = split_parse_state(args)
    commands = [args] if test_dir is None else [args, then_test_args(args, test_dir)]
    return state_dir, commands


def main(argv: Sequence[str] | None = None) -> int:
    from dbt.cli.main import dbtRunner

    state_dir, commands = _invocations(list(sys.argv[1:] if argv is None else argv))
    stable_vars = parse_vars(commands[0])
    runner = dbtRunner()
    if state_dir is not None and stable_vars is not None:
        parsed = runner.invoke(
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
        runner = dbtRunner(manifest=parsed.result)
    # each command runs whatever the one before returned: a failed model still gets tested
    # (its tests error), as when `dbt test` was a process of its own
    return max(_exit_code(runner.invoke(command)) for command in commands)


if __name__ == "__main__":
    raise SystemExit(main())
