"""Two commits side by side: the engine's cost at a base commit against a head, in one sitting.

Figures of different sessions come from different (and differently loaded) machines, so a
change is measured against its base in the same run: each configuration runs in fresh
interpreters (`engine_worker.py`), alternating base and head and swapping who goes first every
round, so a slow spell of the shared machine falls on both. Prints World build and run CPU
seconds (wall) of each round, their best and mean, and the head's change. A plain script: it asserts
nothing.

    python benchmarks/ab_commits.py 9a7aaf2                      # HEAD against 9a7aaf2: default run and 1,000 x 3
    python benchmarks/ab_commits.py 9a7aaf2 --head worktree --rounds 8 --only default
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench_engine import HERE, ROOT, snapshot  # benchmarks/ is on sys.path when this runs as a script

CONFIGS = {"default": {"what": "default"}, "large": {"what": "generated", "nodes": 1000, "years": 3, "seed": 1}}


def measure(code: Path, cfg: dict[str, Any], timeout: float) -> dict[str, Any]:
    """One fresh run of `cfg` on the code at `code` (engine_worker's JSON line)."""
    env = dict(os.environ, PYTHONPATH=str(code), BENCH_CODE_ROOT=str(code))
    p = subprocess.run([sys.executable, str(HERE / "engine_worker.py"), json.dumps(cfg)], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=timeout)
    lines = p.stdout.strip().splitlines()
    if p.returncode or not lines:
        raise SystemExit(f"ab_commits: the worker failed on {cfg} at {code}: {p.stderr.strip()[-400:]}")
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", help="the commit measured against")
    ap.add_argument("--head", default="HEAD", help="a commit, or `worktree` for the checkout as it is (default HEAD)")
    ap.add_argument("--rounds", type=int, default=4, help="runs of each side per configuration (default 4)")
    ap.add_argument("--only", default="default,large", help="configurations: default (baseline on default.yaml), "
                                                            "large (generated 1,000 nodes x 3 years)")
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args()
    made: list[Path] = []
    sides: dict[str, Path] = {}
    try:
        for label, rev in (("base", args.base), ("head", args.head)):
            if rev == "worktree":
                sides[label] = ROOT
            else:
                path, full = snapshot(rev)
                made.append(path)
                sides[label] = path
                print(f"{label}: {full[:10]}")
        for name in args.only.split(","):
            cfg = CONFIGS[name]
            runs: dict[str, list[tuple[float, float]]] = {"base": [], "head": []}
            for k in range(args.rounds):
                for label in (("base", "head") if k % 2 == 0 else ("head", "base")):
                    r = measure(sides[label], cfg, args.timeout)
                    runs[label].append((r["build_s"], r["run_s"]))
            print(f"\n{name} ({cfg}), {args.rounds} rounds, wall s")
            best = {}
            for label in ("base", "head"):
                build, run = zip(*runs[label])
                best[label] = (min(run), statistics.mean(run))
                print(f"  {label}: build best {min(build):.3f} mean {statistics.mean(build):.3f} | run best {min(run):.3f} "
                      f"mean {statistics.mean(run):.3f} | runs {', '.join(f'{x:.2f}' for x in run)}")
            print(f"  head against base: run best {best['head'][0] / best['base'][0] - 1:+.1%}, "
                  f"mean {best['head'][1] / best['base'][1] - 1:+.1%}")
    finally:
        for path in made:
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
