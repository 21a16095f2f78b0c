"""Two commits side by side: the engine's cost at a base commit against a head, in one sitting.

Figures of different sessions come from different (and differently loaded) machines, so a
change is measured against its base in the same run: each configuration runs in fresh
interpreters (`engine_worker.py`), alternating base and head and swapping who goes first every
round, so a slow spell of the shared machine falls on both. Prints World build and run CPU
seconds (wall) of each round, their best and mean, and the head's change. A plain script: it asserts
nothing.

On a shared machine rounds of one side spread by 20-40 %, more than most changes. `--instructions`
counts instructions instead (valgrind's cachegrind, `apt-get install valgrind`; Python's hash seed
fixed): one run of each side, the same count to 0.1-0.4 % however loaded the machine,
at about 50x the wall time. World.run's count is the build-and-run process's less a build-only one.

    python benchmarks/ab_commits.py 9a7aaf2                      # HEAD against 9a7aaf2: default run and 1,000 x 3
    python benchmarks/ab_commits.py 9a7aaf2 --head worktree --rounds 8 --only default
    python benchmarks/ab_commits.py 9a7aaf2 --instructions --only default   # ~15 min
"""

from __future__ import annotations

import argparse
import json
import os
import re
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


#: one World built (and run) in a fresh interpreter, as engine_worker builds it; `{run}` is True or False
_ONE_WORLD = """
import json, sys
sys.path.insert(0, {bench!r})
import supplychain
assert supplychain.__file__.startswith({code!r}), supplychain.__file__  # the side's own code, not another's
from engine_worker import _scenario_for
from supplychain.engine import World
from supplychain.results import replication_seed
model, sc, _ = _scenario_for(json.loads({cfg!r}))
world = World(model, sc, replication_seed(sc.seed, 0))
if {run}:
    world.run()
"""


def instructions(code: Path, cfg: dict[str, Any], run: bool, timeout: float) -> int:
    """Instructions a fresh interpreter executes to build (and with `run`, run) one World of `cfg` at `code`."""
    if shutil.which("valgrind") is None:
        raise SystemExit("ab_commits: --instructions needs valgrind (apt-get install valgrind)")
    script = _ONE_WORLD.format(bench=str(HERE), code=str(code), cfg=json.dumps(cfg), run=run)
    env = dict(os.environ, PYTHONPATH=str(code), BENCH_CODE_ROOT=str(code), PYTHONHASHSEED="0")
    p = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                        sys.executable, "-c", script], capture_output=True, text=True, cwd=code, env=env, timeout=timeout)
    # (cwd: `-c` puts the working folder first on sys.path, so under ROOT both sides imported the checkout)
    m = re.search(r"I\s+refs:\s+([\d,]+)", p.stderr)
    if p.returncode or m is None:
        raise SystemExit(f"ab_commits: cachegrind failed on {cfg} at {code}: {p.stderr.strip()[-400:]}")
    return int(m.group(1).replace(",", ""))


def compare_instructions(sides: dict[str, Path], name: str, cfg: dict[str, Any], timeout: float) -> None:
    counts = {label: {run: instructions(code, cfg, run, timeout) for run in (False, True)} for label, code in sides.items()}
    print(f"\n{name} ({cfg}), instructions (G)")
    for label in ("base", "head"):
        c = counts[label]
        print(f"  {label}: imports + build {c[False] / 1e9:.3f} | + run {c[True] / 1e9:.3f} | World.run {(c[True] - c[False]) / 1e9:.3f}")
    run = {label: counts[label][True] - counts[label][False] for label in counts}
    # (imports + build differ also by bytecode: a snapshot compiles every module, a checkout may have it cached)
    print(f"  head against base: World.run {run['head'] / run['base'] - 1:+.2%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", help="the commit measured against")
    ap.add_argument("--head", default="HEAD", help="a commit, or `worktree` for the checkout as it is (default HEAD)")
    ap.add_argument("--rounds", type=int, default=4, help="runs of each side per configuration (default 4)")
    ap.add_argument("--only", default="default,large", help="configurations: default (baseline on default.yaml), "
                                                            "large (generated 1,000 nodes x 3 years)")
    ap.add_argument("--timeout", type=float, default=600.0, help="s per run (x 60 with --instructions)")
    ap.add_argument("--instructions", action="store_true", help="count instructions under cachegrind (one run a side) "
                                                                "instead of timing rounds")
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
            if args.instructions:
                compare_instructions(sides, name, cfg, 60 * args.timeout)
                continue
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
