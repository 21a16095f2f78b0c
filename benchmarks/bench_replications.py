"""Replications per second: serial vs local processes vs a local Dask cluster, side by side in one run.

    python benchmarks/bench_replications.py                     # policies/baseline.yaml, 4 replications, 2 workers
    python benchmarks/bench_replications.py --end 2026-12-31    # shorter horizon, same comparison
    python benchmarks/bench_replications.py --scenario topology-minimal --replications 8

The scenario defaults to policies/baseline.yaml on its topology (the default
scenario); if that cannot be loaded, the minimal topology over the default
horizon. Each executor runs the same replications with the same seed; the
tables are checked to be identical across executors. Process-pool start-up
is included in its time (it is part of every run); the Dask cluster's start-up
is reported apart (a cluster usually outlives one run) and also included in a
second speed-up figure. With `--repeat R` the executors take turns R times and
the best wall time of each is reported (the usual defence against a busy machine).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import pandas.testing as pdt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from supplychain.errors import InputError  # noqa: E402
from supplychain.executors import DaskExecutor, ProcessExecutor, SerialExecutor, default_workers  # noqa: E402
from supplychain.experiment import prepare, run_experiment  # noqa: E402

MINIMAL = ROOT / "topology" / "minimal.yaml"


def load(scenario: str, end: str | None, replications: int):
    extra = {"end": end} if end else {}
    if scenario == "topology-minimal":
        return prepare({"name": "minimal", "topology": str(MINIMAL), **extra}, replications=replications)
    try:
        es = prepare(Path(scenario), replications=replications)
    except (InputError, FileNotFoundError) as exc:
        print(f"cannot load {scenario} ({exc}); using the minimal topology")
        return load("topology-minimal", end, replications)
    if end:
        sc = es.scenario.model_copy(update={"end": __import__("datetime").date.fromisoformat(end)})
        es = prepare(sc.model_dump(mode="json", exclude_none=True) | {"topology": es.topology_path}, replications=replications)
    return es


def timed(es, executor, seed: int):
    t0 = time.perf_counter()
    res = run_experiment(es, seed=seed, executor=executor)
    return time.perf_counter() - t0, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "policies" / "baseline.yaml"),
                    help="scenario file, or topology-minimal (default: policies/baseline.yaml)")
    ap.add_argument("--replications", "-n", type=int, default=4)
    ap.add_argument("--workers", "-w", type=int, default=2)
    ap.add_argument("--end", default=None, help="end date to shorten the horizon (YYYY-MM-DD)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="run each executor this many times (interleaved); report the best")
    args = ap.parse_args()

    es = load(args.scenario, args.end, args.replications)
    n = es.replications
    print(f"scenario {es.name} on {Path(es.topology_path).name}: {es.scenario.start} to {es.scenario.end}, "
          f"{n} replications, {args.workers} workers; {default_workers()} cores usable, Python {platform.python_version()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    best: dict[str, list[float]] = {"serial": [], "processes": [], "dask": [], "dask_start": []}
    for _ in range(args.repeat):  # interleaved, so a busy spell on a shared machine hits every executor alike
        with SerialExecutor() as ex:
            wall, ref = timed(es, ex, args.seed)
        best["serial"].append(wall)
        with ProcessExecutor(args.workers) as ex:
            wall, res = timed(es, ex, args.seed)
        best["processes"].append(wall)
        same = [res]
        t0 = time.perf_counter()
        with DaskExecutor("local", args.workers) as ex:
            best["dask_start"].append(time.perf_counter() - t0)
            wall, res = timed(es, ex, args.seed)
        best["dask"].append(wall)
        same.append(res)
    rows = [("serial", min(best["serial"]), 0.0), (f"processes ({args.workers})", min(best["processes"]), 0.0),
            (f"dask local cluster ({args.workers})", min(best["dask"]), min(best["dask_start"]))]
    if args.repeat > 1:
        print("all walls (s): " + "; ".join(f"{k} " + " ".join(f"{w:.2f}" for w in v) for k, v in best.items()))
    differ = []
    for label, other in zip(("processes", "dask"), same):
        for name in ref.tables:
            try:
                pdt.assert_frame_equal(ref.tables[name], other.tables[name], obj=name)
            except AssertionError:
                differ.append(f"{label}:{name}")

    base = rows[0][1]
    print(f"\n{'executor':<28}{'wall s':>9}{'rep/s':>9}{'speed-up':>10}{'  with cluster start-up':>25}")
    for name, wall, startup in rows:
        extra = f"{base / (wall + startup):>10.2f}x ({startup:.1f} s)" if startup else ""
        print(f"{name:<28}{wall:>9.2f}{n / wall:>9.3f}{base / wall:>9.2f}x{extra:>25}")
    same_text = "tables identical on all executors" if not differ else (
        "TABLES DIFFER from serial (" + ", ".join(differ) + "): the engine depends on something outside the seed, "
        "e.g. the string hash seed of the worker processes")
    print(f"\nsimulation time per replication (serial): {base / n:.2f} s; {same_text}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
