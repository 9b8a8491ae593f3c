"""The dbt step's fixed costs: what runs before and between its dbt commands."""

from __future__ import annotations

import datetime as dt
import json
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import pytest
from dagster_dbt import DbtCliResource
from packaging.version import Version

from orchestration.dbt import DBT_PROJECT_DIR, CrmDbtCliResource, dbt_executable


def test_dagster_dbt_still_has_the_hooks_the_resource_overrides() -> None:
    # an upgrade renaming them would silently bring back seconds of set-up per dbt command
    assert "_cli_version" in vars(DbtCliResource)
    assert "_initialize_dbt_core_adapter" in vars(DbtCliResource)


def test_a_dbt_command_starts_without_a_version_subprocess_or_an_adapter(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from dagster_dbt.core import resource as dagster_dbt_resource
    from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

    def no_subprocess(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError(f"a subprocess was started before dbt: {args}")

    started: dict[str, Any] = {}

    def record_start(**kwargs: Any) -> str:
        started.update(kwargs)
        return "started"

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    monkeypatch.setattr(DbtCliInvocation, "run", staticmethod(record_start))
    resource = CrmDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )
    assert resource.cli(["parse"], target_path=tmp_path / "target") == "started"
    assert started["adapter"] is None
    # dbt-core, not the Fusion engine: dagster-dbt reads dbt-core's JSON events
    assert started["cli_version"] == Version(installed_version("dbt-core"))
    assert started["cli_version"].major == 1


def test_the_build_step_dbt_parses_once_for_builds_on_different_dates(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # dbt keys its parse state on every var, the date included; the step's dbt parses
    # without the date and compiles with it, so a new day reuses the parse state
    from core.settings import Settings
    from orchestration.dbt_worker import PARSE_STATE_FLAG, main

    monkeypatch.chdir(DBT_PROJECT_DIR)  # where dagster-dbt starts dbt
    monkeypatch.setenv("DBT_PROFILES_DIR", str(DBT_PROJECT_DIR))
    state = tmp_path / "parse"

    def compiled_as_of(day: str) -> str:
        dbt_vars = {
            **Settings().dbt_vars(dt.date.fromisoformat(day)),
            "build_db": str(tmp_path / "build.duckdb"),
        }
        target = tmp_path / day
        args = ["compile", "--select", "fct_stage_history", "--target-path", str(target)]
        assert main([PARSE_STATE_FLAG, str(state), *args, "--vars", json.dumps(dbt_vars)]) == 0
        return next(target.rglob("fct_stage_history.sql")).read_text(encoding="utf-8")

    first = compiled_as_of("2026-03-30")
    parsed_at = (state / "partial_parse.msgpack").stat().st_mtime_ns
    second = compiled_as_of("2026-03-31")
    assert "'2026-03-30'" in first and "'2026-03-31'" not in first
    assert "'2026-03-31'" in second and "'2026-03-30'" not in second
    # dbt rewrites its parse state after any parse; untouched means it did not parse again
    assert (state / "partial_parse.msgpack").stat().st_mtime_ns == parsed_at


def test_arguments_without_the_parse_state_go_to_dbt_unchanged() -> None:
    from orchestration.dbt_worker import parse_vars, split_parse_state

    assert split_parse_state(["test", "--vars", "{}"]) == (None, ["test", "--vars", "{}"])
    assert split_parse_state(["--parse-state", "/w/p", "run", "-s", "x"]) == (
        "/w/p",
        ["run", "-s", "x"],
    )
    assert parse_vars(["run"]) is None
    assert parse_vars(["run", "--vars", '{"as_of_date": "2026-03-31", "currency": "CNY"}']) == {
        "currency": "CNY"
    }


class _Result:
    """What dbtRunner.invoke returns: success, a result, maybe an exception."""

    def __init__(self, success: bool, result: object = None, exception: object = None) -> None:
        self.success, self.result, self.exception = success, result, exception


def _recording_runner(
    monkeypatch: pytest.MonkeyPatch, outcomes: dict[str, _Result]
) -> list[tuple[object, list[str]]]:
    """Replace dbtRunner: record (manifest, args) per invocation, answer per command."""
    import dbt.cli.main

    calls: list[tuple[object, list[str]]] = []

    class Runner:
        def __init__(self, manifest: object = None) -> None:
            self.manifest = manifest

        def invoke(self, args: list[str]) -> _Result:
            calls.append((self.manifest, list(args)))
            return outcomes[args[0]]

    monkeypatch.setattr(dbt.cli.main, "dbtRunner", Runner)
    return calls


def test_then_test_runs_the_tests_after_the_run_on_its_manifest_even_if_a_model_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # one process, still two dbt commands: every model is run before any test (a failing
    # test skips nothing), and a failed model does not stop the tests, as with two processes
    from orchestration.dbt_worker import PARSE_STATE_FLAG, THEN_TEST_FLAG, main

    manifest = object()
    calls = _recording_runner(
        monkeypatch,
        {"parse": _Result(True, manifest), "run": _Result(False), "test": _Result(True)},
    )
    vars_arg = ["--vars", json.dumps({"as_of_date": "2026-03-31", "currency": "CNY"})]
    selection = ["--select", "model_a", "model_b"]
    code = main(
        [PARSE_STATE_FLAG, "/w/parse", THEN_TEST_FLAG, "/w/t2", "run", *vars_arg, *selection]
    )
    assert code == 1  # the run's failure is reported although the tests passed
    assert [args[0] for _, args in calls] == ["parse", "run", "test"]
    assert calls[1] == (manifest, ["run", *vars_arg, *selection])
    assert calls[2] == (
        manifest,
        [
            "test",
            "--exclude-resource-type",
            "unit_test",
            *vars_arg,
            *selection,
            "--target-path",
            "/w/t2",
            "--log-path",
            "/w/t2",
        ],
    )


def test_a_crash_in_either_command_is_the_worker_s_exit_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from orchestration.dbt_worker import PARSE_STATE_FLAG, THEN_TEST_FLAG, main

    args = [PARSE_STATE_FLAG, "/w/p", THEN_TEST_FLAG, "/w/t", "run", "--vars", "{}"]
    crash = _Result(False, exception=RuntimeError("database is locked"))
    for run, test in ((crash, _Result(True)), (_Result(True), crash)):
        calls = _recording_runner(
            monkeypatch, {"parse": _Result(True, object()), "run": run, "test": test}
        )
        assert main(args) == 2
        assert [args[0] for _, args in calls] == ["parse", "run", "test"]
    _recording_runner(
        monkeypatch, {"parse": _Result(True, object()), "run": _Result(True), "test": _Result(True)}
    )
    assert main(args) == 0


def test_then_test_only_follows_a_run() -> None:
    from orchestration.dbt_worker import THEN_TEST_FLAG, main

    with pytest.raises(ValueError, match="follows a dbt run"):
        main([THEN_TEST_FLAG, "/w/t", "build", "--vars", "{}"])
