"""Where the dbt step's time goes: wall and CPU seconds per phase, on a built warehouse.

Runs only the dbt asset (``crm_dbt_models``) of the daily build job for one date, in
process as ``crm-pipeline build`` does, against a warehouse a full build has already
filled (e.g. ``benchmarks/run_benchmark.py``'s ``OUT/warehouse-10000``). Each round
reports the step's wall seconds, the CPU seconds of this process (Dagster, dagster-dbt)
and of the dbt subprocesses, and the phases read from the ``dbt.log`` of each dbt
invocation (start-up, parse, execution) plus the gaps between them.

Usage: ``python benchmarks/dbt_step.py --landing L --warehouse W --as-of 2026-03-30
[--rounds 3] [--profile FILE]``. Nothing here is a test: these are measurements.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import resource
import time
from pathlib import Path
from typing import Any

from core.paths import WarehousePaths

PARSED = "FoundStats"  # dbt's "Found N models, ..." line: parsing (or loading) is done
FINISHED = "CommandCompleted"


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _log_times(folder: Path) -> dict[str, float]:
    """Epoch seconds of a dbt invocation's first line, end of parse, and completion."""
    times: dict[str, float] = {}
    for line in (folder / "dbt.log").read_text(encoding="utf-8").splitlines():
        if not line.startswith("{"):
            continue
        info = json.loads(line)["info"]
        stamp = dt.datetime.fromisoformat(info["ts"].rstrip("Z")).replace(tzinfo=dt.UTC)
        times.setdefault("first", stamp.timestamp())
        if info["name"] in (PARSED, FINISHED):
            times[info["name"]] = stamp.timestamp()
    return times


def _folder_time(folder: Path) -> float:
    """When the step created a dbt target folder (its name starts with a UTC stamp)."""
    stamp = dt.datetime.strptime(folder.name.split("-")[0], "%Y%m%dT%H%M%S%f")
    return stamp.replace(tzinfo=dt.UTC).timestamp()


def _phases(folders: list[Path], began: float, ended: float) -> dict[str, float]:
    """Seconds per phase, from the step's start, the folders' stamps and dbt's logs."""
    phases: dict[str, float] = {}
    mark = began
    for index, folder in enumerate(folders):
        label = folder.name.rsplit("-", 1)[-1]
        # a folder named before the previous invocation ended (one dbt process running
        # both) counts from that end
        created, log = max(_folder_time(folder), mark), _log_times(folder)
        phases["step setup" if index == 0 else f"gap before {label}"] = created - mark
        phases[f"{label}: until dbt's first line"] = log["first"] - created
        phases[f"{label}: parse"] = log.get(PARSED, log["first"]) - log["first"]
        phases[f"{label}: execute"] = log[FINISHED] - log.get(PARSED, log["first"])
        mark = log[FINISHED]
    phases["after the last dbt invocation"] = ended - mark
    return phases


def dbt_step_once(landing: Path, warehouse: Path, as_of: dt.date) -> dict[str, Any]:
    """Run the dbt asset once for ``as_of``; return wall, CPU and per-phase seconds."""
    from dagster import AssetSelection, DagsterInstance

    from core.build_lock import build_db_lock
    from crm_pipeline.runner import dagster_home, write_instance_config
    from orchestration.build import build_definitions
    from orchestration.dbt import TARGET_DIR_NAME
    from orchestration.jobs import DAILY_BUILD_JOB
    from orchestration.resources import PipelineResource

    paths = WarehousePaths(warehouse.resolve()).ensure()
    home = dagster_home(paths)
    write_instance_config(home)
    pipeline = PipelineResource(landing_dir=str(landing.resolve()), warehouse_dir=str(paths.root))
    job = build_definitions(pipeline).resolve_job_def(DAILY_BUILD_JOB)
    target_root = paths.build_dir / TARGET_DIR_NAME
    before = set(target_root.iterdir()) if target_root.is_dir() else set()
    with (
        build_db_lock(paths.lock_file, "dbt step benchmark"),
        DagsterInstance.from_config(str(home)) as instance,
    ):
        cpu_self, cpu_children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        began = time.time()
        result = job.execute_in_process(
            partition_key=as_of.isoformat(),
            instance=instance,
            raise_on_error=False,
            asset_selection=list(
                AssetSelection.groups(
                    "staging", "intermediate", "opportunity_funnel", "customer_lifecycle"
                ).resolve(job.asset_layer.asset_graph)
            ),
        )
        ended = time.time()
        cpu_self = _cpu(resource.RUSAGE_SELF) - cpu_self
        cpu_children = _cpu(resource.RUSAGE_CHILDREN) - cpu_children
    folders = sorted(set(target_root.iterdir()) - before)
    return {
        "success": result.success,
        "wall_seconds": ended - began,
        "cpu_build_process": cpu_self,
        "cpu_dbt_processes": cpu_children,
        "phases": _phases(folders, began, ended),
    }


def _print(run: dict[str, Any]) -> None:
    print(
        f"success={run['success']} wall={run['wall_seconds']:.1f}s "
        f"cpu: build process {run['cpu_build_process']:.1f}s, "
        f"dbt processes {run['cpu_dbt_processes']:.1f}s"
    )
    for name, seconds in run["phases"].items():
        print(f"  {name:34} {seconds:6.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--profile", type=Path, help="write a cProfile of one round here")
    args = parser.parse_args()
    if args.profile:
        profiler = cProfile.Profile()
        run = profiler.runcall(dbt_step_once, args.landing, args.warehouse, args.as_of)
        profiler.dump_stats(args.profile)
    else:
        run = dbt_step_once(args.landing, args.warehouse, args.as_of)
    _print(run)
    print(json.dumps(run))
    return 0 if run["success"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
