"""Engine benchmarks: kernel event rate, default run, 1,000-node network, scaling.

A plain script, not a test: it prints figures and ratios and asserts nothing
about wall-clock time. Figures and their meaning: benchmarks/README.md.

    python benchmarks/bench_engine.py            # full sweep (long: see README)
    python benchmarks/bench_engine.py --quick    # smaller sweep, a few minutes
    python benchmarks/bench_engine.py --only rate,default
    python benchmarks/bench_engine.py --profile  # cProfile hot spots in supplychain/engine

Every configuration runs in a fresh subprocess (`--worker JSON`), so memory
figures (ru_maxrss, tracemalloc peak) belong to that run alone. Wall times are
measured without tracemalloc (it slows Python down by 2x or more); the
tracemalloc peak comes from a second, separate run of the same configuration.
A configuration that exceeds `--timeout` is killed and reported as such.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: the code and data measured: a `git archive` snapshot of --commit (set by the driver for its workers)
CODE_ROOT = Path(os.environ.get("BENCH_CODE_ROOT", ROOT))
DEFAULT_TOPOLOGY = CODE_ROOT / "topology" / "default.yaml"
MINIMAL_TOPOLOGY = CODE_ROOT / "topology" / "minimal.yaml"
BASELINE = CODE_ROOT / "policies" / "baseline.yaml"
START = dt.date(2022, 1, 1)
MB = 1024 * 1024

# targets (issue 3 item 9); printed beside the figures, never asserted
TARGET_RATIO = 0.5
TARGET_DEFAULT_S = 1.0
TARGET_LARGE_S = 10.0
TARGET_LARGE_BYTES = 2 * 1024**3
TRACEMALLOC_SLOWDOWN = 4  # timeout factor of the separate tracemalloc run


# ---------------------------------------------------------------------------------
# helpers used inside workers
# ---------------------------------------------------------------------------------
def _count_value(c: Any) -> int | None:
    """Next id of simpy's `env._eid` (an itertools.count): events scheduled so far."""
    if c is None:
        return None
    if isinstance(c, int):
        return c
    try:
        return int(next(copy.copy(c)))
    except Exception:  # noqa: BLE001 - copying counts may go away in a future Python
        m = re.search(r"count\((\d+)", repr(c))
        return int(m.group(1)) if m else None


def _maxrss_bytes() -> int:
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)  # Linux reports KiB


def generator() -> tuple[Any, str]:
    """The package's synthetic-topology generator (issue 2 item 6)."""
    from supplychain.generate import generate_topology

    return generate_topology, "supplychain.generate.generate_topology"


def raw_simpy_rate(pending: int, events: int, seed: int = 0) -> dict[str, Any]:
    """Events/s of a bare SimPy loop: `pending` processes each yielding timeouts of random-ish delay."""
    import random

    import simpy

    rng = random.Random(seed)
    delays = [rng.uniform(0.5, 1.5) for _ in range(997)]  # mean 1.0; prime length so processes differ
    env = simpy.Environment()

    def proc(env: simpy.Environment, k: int):
        n = len(delays)
        while True:
            yield env.timeout(delays[k % n])
            k += 7

    for i in range(pending):
        env.process(proc(env, i))
    horizon = max(1.0, events / pending)  # each process makes ~1 event per unit of time
    e0 = _count_value(env._eid)
    t0 = time.perf_counter()
    env.run(until=horizon)
    wall = time.perf_counter() - t0
    n = _count_value(env._eid) - e0
    return {"pending": pending, "events": n, "wall_s": wall, "rate": n / wall}


def _scenario_for(cfg: dict[str, Any]) -> tuple[Any, Any, str]:
    """(topology model, Scenario, description) for a worker configuration."""
    from supplychain.scenario_schema import Scenario
    from supplychain.topology import graph_to_model, load_topology

    if cfg["what"] == "default":
        if DEFAULT_TOPOLOGY.exists():
            from supplychain.scenario import load_scenario

            res = load_scenario(BASELINE)
            return graph_to_model(res.topology), res.scenario, "policies/baseline.yaml on topology/default.yaml"
        import yaml

        data = yaml.safe_load(BASELINE.read_text())
        data.pop("topology", None)
        data.pop("extends", None)
        model = graph_to_model(load_topology(MINIMAL_TOPOLOGY))
        return model, Scenario.model_validate(data), (
            "policies/baseline.yaml on topology/minimal.yaml (topology/default.yaml absent)"
        )
    if cfg["what"] == "minimal":
        model = graph_to_model(load_topology(MINIMAL_TOPOLOGY))
        years = cfg.get("years", 14)
        return model, Scenario.model_validate({"name": "bench", "start": START, "end": _end(years)}), "minimal.yaml"
    if cfg["what"] == "generated":
        gen, src = generator()
        model = gen(cfg["nodes"], cfg.get("seed", 1))
        sc = Scenario.model_validate({"name": "bench", "start": START, "end": _end(cfg["years"]), "seed": cfg.get("seed", 1)})
        return model, sc, f"generated {cfg['nodes']} nodes x {cfg['years']} y by {src}"
    raise ValueError(cfg["what"])


_PROGRESS: dict[str, Any] = {}


def _on_sigterm(_signum: int, _frame: Any) -> None:
    """The driver's timeout: report how far the run got, then exit."""
    world = _PROGRESS.get("world")
    out = {"killed": True, "phase": _PROGRESS.get("phase"), "maxrss": _maxrss_bytes(),
           "elapsed_s": time.perf_counter() - _PROGRESS.get("t0", time.perf_counter())}
    if world is not None:
        out.update(day=float(world.env.now), days=world.net.days, events=_count_value(world.env._eid))
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    os._exit(3)


def _end(years: float) -> dt.date:
    return START + dt.timedelta(days=int(round(years * 365.25)) - 1)


def engine_run(cfg: dict[str, Any]) -> dict[str, Any]:
    """One run of the engine, timed by phase: build topology, World(), run(), invariants, tables."""
    from supplychain.engine import World, check_invariants
    from supplychain.engine.record import build_tables
    from supplychain.results import replication_seed

    import supplychain

    out: dict[str, Any] = {"rss_after_imports": _maxrss_bytes(), "code": str(Path(supplychain.__file__).parent)}
    if cfg.get("tracemalloc"):
        import tracemalloc

        tracemalloc.start()
    signal.signal(signal.SIGTERM, _on_sigterm)
    t0 = time.perf_counter()
    _PROGRESS.update(t0=t0, phase="prepare")
    model, sc, desc = _scenario_for(cfg)
    t1 = time.perf_counter()
    _PROGRESS["phase"] = "World()"
    world = World(model, sc, replication_seed(sc.seed, 0))
    t2 = time.perf_counter()
    _PROGRESS.update(world=world, phase="run")
    world.run()
    t3 = time.perf_counter()
    _PROGRESS["phase"] = "invariants and tables"
    check_invariants(world)
    t4 = time.perf_counter()
    tables = build_tables(world)
    t5 = time.perf_counter()
    if cfg.get("tracemalloc"):
        out["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    out.update(
        desc=desc,
        nodes=len(model.nodes),
        edges=len(model.edges),
        days=world.net.days,
        events=_count_value(getattr(world.env, "_eid", None)),
        orders=len(world.orders),
        rows={k: len(v) for k, v in tables.items()},
        prepare_s=t1 - t0,
        build_s=t2 - t1,
        run_s=t3 - t2,
        invariants_s=t4 - t3,
        tables_s=t5 - t4,
        maxrss=_maxrss_bytes(),
    )
    try:  # diagnostics: work left in the order books at the end (per-day cost grows with it)
        books = [len(b) for b in world.production.books]
        out["book_orders_end"], out["book_max_end"] = sum(books), max(books, default=0)
    except AttributeError:
        pass
    out["engine_s"] = out["build_s"] + out["run_s"]
    out["simulate_s"] = out["engine_s"] + out["invariants_s"] + out["tables_s"]
    return out


def rate_worker(cfg: dict[str, Any]) -> dict[str, Any]:
    """Raw SimPy before and after an engine run, all in this one process."""
    ev = cfg["raw_events"]
    before = [raw_simpy_rate(p, ev) for p in (1_000, 100_000)]
    runs = [engine_run({"what": cfg["engine"]}) for _ in range(cfg.get("repeat", 1))]
    eng = min(runs, key=lambda r: r["run_s"])
    eng["run_s_all"] = [r["run_s"] for r in runs]
    after = [raw_simpy_rate(p, ev) for p in (1_000, 100_000)]
    return {"before": before, "after": after, "engine": eng}


def profile_worker(cfg: dict[str, Any]) -> dict[str, Any]:
    """cProfile of World.run; top functions by cumulative time, as % of the run."""
    import cProfile
    import pstats

    from supplychain.engine import World
    from supplychain.results import replication_seed

    model, sc, desc = _scenario_for(cfg)
    world = World(model, sc, replication_seed(sc.seed, 0))
    prof = cProfile.Profile()
    prof.enable()
    world.run()
    prof.disable()
    st = pstats.Stats(prof)
    total = max(v[3] for v in st.stats.values())  # cumulative time of the outermost call
    rows = []
    for (fname, line, func), (_cc, nc, tt, ct, _callers) in st.stats.items():
        rows.append({"file": fname, "line": line, "func": func, "calls": nc, "tottime": tt, "cumtime": ct})
    import supplychain.engine

    engine_dir = str(Path(supplychain.engine.__file__).resolve().parent)
    code_root = Path(engine_dir).parent.parent
    eng = [r for r in rows if r["file"].startswith(engine_dir)]
    for r in eng:
        r["where"] = f"{Path(r['file']).relative_to(code_root)}:{r['line']} {r['func']}"
        r["cum_pct"] = 100 * r["cumtime"] / total
        r["self_pct"] = 100 * r["tottime"] / total
    skip = {"run", "_daily"}  # the driver loop: 100 % by construction
    top_cum = [r for r in sorted(eng, key=lambda r: -r["cumtime"]) if r["func"] not in skip][:cfg.get("top", 10)]
    top_self = sorted(eng + [dict(r, where=r["func"] if r["file"] == "~" else f"{Path(r['file']).name}:{r['line']} {r['func']}",
                                  cum_pct=100 * r["cumtime"] / total, self_pct=100 * r["tottime"] / total)
                             for r in rows if not r["file"].startswith(engine_dir)],
                      key=lambda r: -r["tottime"])[:cfg.get("top", 10)]
    strip = lambda rs: [{k: r[k] for k in ("where", "calls", "cum_pct", "self_pct")} for r in rs]  # noqa: E731
    return {"desc": desc, "total_s": total, "top_cum": strip(top_cum), "top_self": strip(top_self)}


# ---------------------------------------------------------------------------------
# the driver
# ---------------------------------------------------------------------------------
def best_of(cfg: dict[str, Any], timeout: float, repeat: int) -> dict[str, Any]:
    """`repeat` fresh runs of one configuration; the fastest (least disturbed) one, with all times."""
    runs = [spawn(cfg, timeout) for _ in range(max(1, repeat))]
    ok = [r for r in runs if "engine_s" in r]
    if not ok:
        return runs[0]
    best = min(ok, key=lambda r: r["engine_s"])
    best["engine_s_all"] = [r["engine_s"] for r in ok]
    return best


def spawn(cfg: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one configuration in a fresh interpreter; {'timeout': s} or {'error': ...} on failure."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(cfg, default=str)]
    t0 = time.perf_counter()
    env = dict(os.environ)
    # the measured code first on the path: a snapshot shadows the editable install, and the
    # checkout itself imports as a regular package (not through the editable finder)
    env["PYTHONPATH"] = os.pathsep.join([str(CODE_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["BENCH_CODE_ROOT"] = str(CODE_ROOT)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)  # the worker reports how far it got (simulated day, peak RSS)
        try:
            out, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        res: dict[str, Any] = {"timeout": timeout}
        try:
            res.update(json.loads(out.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            pass
        return res
    if p.returncode != 0:
        return {"error": (err.strip().splitlines() or ["?"])[-1], "wall_s": time.perf_counter() - t0}
    return json.loads(out.strip().splitlines()[-1])


def timeout_text(r: dict[str, Any]) -> str:
    """'did not finish in T s (reached day d of D, peak RSS m)' for a killed run."""
    text = f"did not finish within {r['timeout']:.0f} s"
    if "day" in r:
        text += f" (reached day {r['day']:.0f} of {r['days']}, {r['events']:,} events, peak RSS {fmt_bytes(r['maxrss'])})"
    elif "phase" in r:
        text += f" (in {r['phase']}, peak RSS {fmt_bytes(r.get('maxrss'))})"
    return text


def fmt_bytes(b: float | None) -> str:
    return "n/a" if b is None else f"{b / MB:,.0f} MB"


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def git(*a: str) -> str:
    try:
        return subprocess.run(["git", *a], capture_output=True, text=True, cwd=ROOT).stdout.rstrip()
    except OSError:
        return "?"


def snapshot(rev: str) -> tuple[Path, str]:
    """`git archive` of the package, topologies and policies at `rev` into a temporary folder.

    Other engineers commit to the engine while a long sweep runs; measuring a
    snapshot keeps every configuration of one run on the same code.
    """
    import tempfile

    full = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    if not full:
        raise SystemExit(f"bench_engine: unknown commit {rev!r}")
    dest = Path(tempfile.mkdtemp(prefix=f"bench-engine-{full[:8]}-"))
    arch = subprocess.run(["git", "archive", "--format=tar", full, "supplychain", "topology", "policies"],
                          capture_output=True, cwd=ROOT, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=arch, check=True)
    return dest, full


def machine(code: str) -> dict[str, str]:
    import numpy
    import simpy

    dirty = [ln[3:] for ln in git("status", "--porcelain", "supplychain").splitlines() if len(ln) > 3]
    cpu = ""
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    return {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "nproc": str(os.cpu_count()),
        "loadavg_at_start": loadavg(),
        "cpu": cpu,
        "python": platform.python_version(),
        "simpy": simpy.__version__,
        "numpy": numpy.__version__,
        "code": code,
        "generator": generator()[1],
    }


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def bench_rate(args: argparse.Namespace, report: dict[str, Any]) -> None:
    print("\n== 1. Kernel event rate: engine vs raw SimPy (same process) ==")
    what = "default"
    r = spawn({"what": "rate", "engine": what, "raw_events": 300_000 if args.quick else 1_000_000, "repeat": args.repeat},
              args.timeout * args.repeat)
    report["rate"] = r
    if "engine" not in r:
        print(f"  failed: {r}")
        return
    eng = r["engine"]
    eng_rate = eng["events"] / eng["run_s"]
    print(f"  engine run: {eng['desc']}")
    print(f"  engine: {eng['events']:,} kernel events in World.run {eng['run_s']:.3f} s = {eng_rate:,.0f} events/s"
          f" (best of {len(eng['run_s_all'])}: " + ", ".join(f"{t:.2f}" for t in eng["run_s_all"]) + " s)")
    print(f"  {'raw SimPy':<28}{'before':>14}{'after':>14}{'mean':>14}{'engine/raw':>12}")
    ratios = {}
    for b, a in zip(r["before"], r["after"]):
        mean = (b["rate"] + a["rate"]) / 2
        ratios[b["pending"]] = eng_rate / mean
        print(f"  {b['pending']:>9,} pending timeouts{'':<3}{b['rate']:>14,.0f}{a['rate']:>14,.0f}{mean:>14,.0f}{eng_rate / mean:>12.3f}")
    wall_per_event = 1e6 * eng["run_s"] / eng["events"]
    print(f"  engine wall per kernel event: {wall_per_event:.1f} us (includes the daily step's work)")
    r["engine_rate"] = eng_rate
    r["ratios"] = ratios
    best = max(ratios.values())
    print(f"  target engine/raw >= {TARGET_RATIO}: {verdict(best >= TARGET_RATIO)} "
          f"(ratio {ratios[1000]:.3f} vs 1k pending, {ratios[100000]:.3f} vs 100k pending)")


def bench_default(args: argparse.Namespace, report: dict[str, Any]) -> None:
    print("\n== 2. Default run: wall time and peak memory ==")
    r = best_of({"what": "default"}, args.timeout, args.repeat)
    report["default"] = r
    if "run_s" not in r:
        print(f"  MISSED: {timeout_text(r)}" if "timeout" in r else f"  failed: {r}")
        return
    tm = spawn({"what": "default", "tracemalloc": True}, TRACEMALLOC_SLOWDOWN * args.timeout)
    r["tracemalloc_peak"] = tm.get("tracemalloc_peak")
    if not DEFAULT_TOPOLOGY.exists():
        print("  NOTE: topology/default.yaml does not exist yet; the baseline scenario runs on topology/minimal.yaml")
    _print_run(r)
    print("  World build + run, best of " + ", ".join(f"{t:.2f}" for t in r["engine_s_all"]) + " s")
    print(f"  target ~{TARGET_DEFAULT_S:.0f} s (World build + run): {verdict(r['engine_s'] <= 1.5 * TARGET_DEFAULT_S)} "
          f"({r['engine_s']:.2f} s; with invariants and tables {r['simulate_s']:.2f} s)")


def _print_run(r: dict[str, Any]) -> None:
    print(f"  {r['desc']}: {r['nodes']} nodes, {r['edges']} edges, {r['days']} days, "
          f"{r['events']:,} kernel events, {r['orders']:,} orders, {r.get('book_orders_end')} open in books at end")
    print(f"  prepare {r['prepare_s']:.2f} s | World() {r['build_s']:.2f} s | run {r['run_s']:.2f} s | "
          f"invariants {r['invariants_s']:.2f} s | tables {r['tables_s']:.2f} s | simulate total {r['simulate_s']:.2f} s")
    print(f"  code imported from {r.get('code')}")
    print(f"  peak RSS {fmt_bytes(r['maxrss'])} (after imports {fmt_bytes(r['rss_after_imports'])}); "
          f"tracemalloc peak {fmt_bytes(r.get('tracemalloc_peak'))}")


def bench_large(args: argparse.Namespace, report: dict[str, Any]) -> None:
    print("\n== 3. Generated 1,000-node network over 10 years ==")
    cfg = {"what": "generated", "nodes": 1000, "years": 10, "seed": 1}
    r = spawn(cfg, args.large_timeout)
    report["large"] = r
    if "run_s" not in r:
        print(f"  MISSED: {timeout_text(r)}" if "timeout" in r else f"  failed: {r}")
        return
    _print_run(r)
    if r["simulate_s"] <= args.large_tracemalloc_max:
        tm = spawn(dict(cfg, tracemalloc=True), TRACEMALLOC_SLOWDOWN * args.large_timeout)
        r["tracemalloc_peak"] = tm.get("tracemalloc_peak")
        print(f"  tracemalloc peak (separate run): {fmt_bytes(r['tracemalloc_peak'])}")
    else:
        print(f"  tracemalloc run skipped: the run took over {args.large_tracemalloc_max:.0f} s (tracemalloc makes it 2-4x slower)")
    ok_t, ok_m = r["engine_s"] < TARGET_LARGE_S, r["maxrss"] < TARGET_LARGE_BYTES
    print(f"  target < {TARGET_LARGE_S:.0f} s: {verdict(ok_t)} ({r['engine_s']:.1f} s World build + run)")
    print(f"  target < 2 GB: {verdict(ok_m)} (peak RSS {fmt_bytes(r['maxrss'])})")


def bench_scaling(args: argparse.Namespace, report: dict[str, Any]) -> None:
    import numpy as np

    nodes = [50, 100, 200] if args.quick else [100, 250, 500, 1000, 2000]
    years = [1, 2, 4] if args.quick else [2, 5, 10]
    timeout = args.scaling_timeout
    print(f"\n== 4. Scaling: nodes x horizon (World build + run; timeout {timeout:.0f} s per run) ==")
    rows = []
    for y in years:
        dead = False
        for n in nodes:
            if dead:  # larger networks at this horizon would time out too
                rows.append({"nodes": n, "years": y, "skipped": True})
                continue
            r = spawn({"what": "generated", "nodes": n, "years": y, "seed": 1}, timeout)
            r.update(nodes_req=n, years=y)
            if "timeout" in r or "error" in r:
                dead = "timeout" in r
                rows.append({"nodes": n, "years": y, **r})
            else:
                rows.append({"nodes": n, "years": y, "engine_s": r["engine_s"], "run_s": r["run_s"], "events": r["events"],
                             "orders": r["orders"], "maxrss": r["maxrss"], "actual_nodes": r["nodes"],
                             "book_orders_end": r.get("book_orders_end"), "book_max_end": r.get("book_max_end")})
            last = rows[-1]
            print("  " + _scaling_line(last), flush=True)
    report["scaling"] = rows
    ok = [r for r in rows if "engine_s" in r]
    print(f"\n  {'nodes':>6}" + "".join(f"{f'{y} y s':>11}{'us/node-day':>13}" for y in years))
    for n in nodes:
        line = f"  {n:>6}"
        for y in years:
            r = next(r for r in rows if r["nodes"] == n and r["years"] == y)
            if "engine_s" in r:
                line += f"{r['engine_s']:>11.2f}{1e6 * r['engine_s'] / (n * y * 365.25):>13.1f}"
            else:
                line += f"{('timeout' if 'timeout' in r else 'skipped' if r.get('skipped') else 'error'):>11}{'':>13}"
        print(line)
    fit: dict[str, Any] = {}
    if len(ok) >= 3:
        x = np.log([r["nodes"] * r["years"] for r in ok])
        yv = np.log([r["engine_s"] for r in ok])
        slope, icpt = np.polyfit(x, yv, 1)
        fit["node_years"] = float(slope)
        a = np.column_stack([np.ones(len(ok)), np.log([r["nodes"] for r in ok]), np.log([r["years"] for r in ok])])
        coef = np.linalg.lstsq(a, yv, rcond=None)[0]
        fit["nodes"], fit["years"] = float(coef[1]), float(coef[2])
        print(f"\n  log-log fit of wall time: slope vs node-years {slope:.2f} (polyfit); "
              f"separately: nodes^{coef[1]:.2f} x years^{coef[2]:.2f} (1.0 = linear)")
        print(f"  target linear in nodes x horizon: {verdict(max(slope, coef[1], coef[2]) <= 1.2)}")
        ev = [r for r in ok if r.get("events")]
        if len(ev) >= 3:  # is the cost per kernel event, or do events themselves grow faster than node-years?
            s_ev = np.polyfit(np.log([r["nodes"] * r["years"] for r in ev]), np.log([r["events"] for r in ev]), 1)[0]
            s_we = np.polyfit(np.log([r["events"] for r in ev]), np.log([r["engine_s"] for r in ev]), 1)[0]
            us = [1e6 * r["engine_s"] / r["events"] for r in ev]
            fit["events_vs_node_years"], fit["wall_vs_events"] = float(s_ev), float(s_we)
            print(f"  kernel events grow as node-years^{s_ev:.2f}; wall time as events^{s_we:.2f} "
                  f"({min(us):.0f}-{max(us):.0f} us of wall per kernel event)")
        steady = steady_state(ok, years[-2:])
        if steady:
            fit["steady"] = steady
            print(f"  steady state, the last {years[-1] - years[-2]} years alone (t{years[-1]}y - t{years[-2]}y; pipelines fill "
                  f"in ~4 years, so only long horizons show it): " + ", ".join(f"{k['nodes']} nodes {k['us_per_node_day']:.1f}" for k in steady["rows"])
                  + f" us per node-day; slope vs nodes {steady['slope']:.2f}")
            print(f"  target linear in nodes x horizon, steady state: {verdict(steady['slope'] <= 1.2)}")
    else:
        print("  too few finished runs for a fit")
    report["scaling_fit"] = fit


def steady_state(ok: list[dict[str, Any]], pair: list[int]) -> dict[str, Any] | None:
    """Marginal cost of the years between the two longest horizons, per node-day, by node count.

    A short run is mostly the warm-up (orders flow from day one, deliveries only once the
    make-to-order pipelines have filled, ~4 years), so a fit over all horizons mixes
    warm-up and steady state; the difference of two long runs of one network is the
    steady-state cost of those years alone.
    """
    import numpy as np

    if len(pair) < 2:
        return None
    short, long_ = pair
    rows = []
    for n in sorted({r["nodes"] for r in ok}):
        a = next((r for r in ok if r["nodes"] == n and r["years"] == short), None)
        b = next((r for r in ok if r["nodes"] == n and r["years"] == long_), None)
        if a and b and b["engine_s"] > a["engine_s"]:
            extra = b["engine_s"] - a["engine_s"]
            rows.append({"nodes": n, "extra_s": extra, "us_per_node_day": 1e6 * extra / (n * (long_ - short) * 365.25)})
    if len(rows) < 2:
        return None
    slope = float(np.polyfit(np.log([r["nodes"] for r in rows]), np.log([r["extra_s"] for r in rows]), 1)[0])
    return {"years": [short, long_], "rows": rows, "slope": slope}


def _scaling_line(r: dict[str, Any]) -> str:
    head = f"{r['nodes']:>5} nodes x {r['years']:>2} y: "
    if "engine_s" in r:
        per = 1e6 * r["engine_s"] / (r["nodes"] * r["years"] * 365.25)
        return (head + f"{r['engine_s']:8.2f} s  {per:8.1f} us/node-day  {r['events']:>10,} events  "
                f"{r['orders']:>9,} orders  RSS {fmt_bytes(r['maxrss'])}  open in books at end {r.get('book_orders_end')}"
                f" (max {r.get('book_max_end')} at one node)")
    if r.get("skipped"):
        return head + "skipped (a smaller network timed out)"
    return head + (timeout_text(r) if "timeout" in r else f"error: {r['error']}")


def bench_profile(args: argparse.Namespace, report: dict[str, Any]) -> None:
    target = args.profile_target
    if target == "default":
        prof: dict[str, Any] = {"what": "default"}
    else:
        n, y = (int(v) for v in target.split("x"))
        prof = {"what": "generated", "nodes": n, "years": y, "seed": 1}
    print(f"\n== Hot spots: cProfile of World.run ({target}) ==")
    r = spawn({"what": "profile", "profile": prof, "top": 10}, TRACEMALLOC_SLOWDOWN * args.large_timeout)
    report["profile"] = r
    if "top_cum" not in r:
        print(f"  failed: {r}")
        return
    print(f"  {r['desc']}: World.run {r['total_s']:.1f} s under cProfile")
    print(f"  {'supplychain/engine function (by cumulative)':<70}{'calls':>10}{'cum %':>8}{'self %':>8}")
    for row in r["top_cum"]:
        print(f"  {row['where']:<70}{row['calls']:>10,}{row['cum_pct']:>8.1f}{row['self_pct']:>8.1f}")
    print(f"\n  {'any function (by self time)':<70}{'calls':>10}{'cum %':>8}{'self %':>8}")
    for row in r["top_self"]:
        print(f"  {row['where']:<70}{row['calls']:>10,}{row['cum_pct']:>8.1f}{row['self_pct']:>8.1f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sweep and fewer raw SimPy events")
    ap.add_argument("--only", default="rate,default,large,scaling", help="comma list of rate,default,large,scaling,profile")
    ap.add_argument("--profile", action="store_true", help="also profile World.run (adds 'profile' to --only)")
    ap.add_argument("--profile-target", default="default",
                    help="'default' (the default run) or NODESxYEARS of a generated network, e.g. 200x2")
    ap.add_argument("--timeout", type=float, default=300.0, help="s per run for the rate and default runs")
    ap.add_argument("--large-timeout", type=float, default=1800.0, help="s for the 1,000-node run and the profile")
    ap.add_argument("--large-tracemalloc-max", type=float, default=120.0,
                    help="skip the tracemalloc run of the 1,000-node network if the timed run took longer (s)")
    ap.add_argument("--scaling-timeout", type=float, default=None, help="s per scaling run (default 600, quick 120)")
    ap.add_argument("--repeat", type=int, default=3, help="fresh runs of the rate and default configurations (best kept)")
    ap.add_argument("--commit", default="HEAD",
                    help="measure a snapshot of this commit (default HEAD); 'worktree' measures the checkout as it is")
    ap.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        cfg = json.loads(args.worker)
        if cfg["what"] == "profile":
            res = profile_worker(dict(cfg["profile"], top=cfg.get("top", 10)))
        elif cfg["what"] == "rate":
            res = rate_worker(cfg)
        else:
            res = engine_run(cfg)
        print(json.dumps(res, default=str))
        return 0
    if args.scaling_timeout is None:
        args.scaling_timeout = 120.0 if args.quick else 600.0
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    if args.profile:
        only.add("profile")
    global CODE_ROOT, DEFAULT_TOPOLOGY, MINIMAL_TOPOLOGY, BASELINE
    snap = None
    if args.commit == "worktree":
        dirty = [ln[3:] for ln in git("status", "--porcelain", "supplychain").splitlines() if len(ln) > 3]
        code = f"working tree at {git('rev-parse', '--short', 'HEAD')}, uncommitted: {', '.join(dirty) or 'none'}"
    else:
        snap, full = snapshot(args.commit)
        CODE_ROOT = snap
        DEFAULT_TOPOLOGY, MINIMAL_TOPOLOGY = snap / "topology" / "default.yaml", snap / "topology" / "minimal.yaml"
        BASELINE = snap / "policies" / "baseline.yaml"
        code = f"commit {full[:10]} ({git('log', '-1', '--format=%cd %s', '--date=format:%Y-%m-%d %H:%M', full)[:90]})"
    info = machine(code)
    print("Engine benchmarks " + ("(--quick)" if args.quick else "(full)"))
    for k, v in info.items():
        print(f"  {k}: {v}")
    report: dict[str, Any] = {"machine": info, "quick": args.quick}
    try:
        for name, fn in (("rate", bench_rate), ("default", bench_default), ("large", bench_large),
                         ("scaling", bench_scaling), ("profile", bench_profile)):
            if name in only:
                fn(args, report)
    finally:
        if snap is not None:
            import shutil

            shutil.rmtree(snap, ignore_errors=True)
    info["loadavg_at_end"] = loadavg()
    print(f"\nload average at end: {info['loadavg_at_end']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
