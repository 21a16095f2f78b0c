"""The worker side of bench_engine.py: one configuration, in a fresh interpreter.

`python benchmarks/engine_worker.py JSON` runs one configuration (the engine on
the default or a generated network, raw SimPy beside it, the topology
generator alone, or cProfile of World.run) and prints its figures as one JSON line. The driver starts it with
the measured code first on PYTHONPATH and its root in BENCH_CODE_ROOT, so
memory figures belong to that run alone and every configuration imports the
same snapshot.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import gc
import json
import math
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

CODE_ROOT = Path(os.environ.get("BENCH_CODE_ROOT", Path(__file__).resolve().parent.parent))
DEFAULT_TOPOLOGY = CODE_ROOT / "topology" / "default.yaml"
MINIMAL_TOPOLOGY = CODE_ROOT / "topology" / "minimal.yaml"
BASELINE = CODE_ROOT / "policies" / "baseline.yaml"
START = dt.date(2022, 1, 1)


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


def _delays(seed: int) -> list[float]:
    import random

    rng = random.Random(seed)
    return [rng.uniform(0.5, 1.5) for _ in range(997)]  # mean 1.0; prime length so chains differ


def _events_per_second(env: Any, pending: int, events: int) -> dict[str, Any]:
    """Run `env` (chains of ~1 event per unit of time each) for about `events` events."""
    horizon = max(1.0, events / pending)
    e0 = _count_value(env._eid)
    t0 = time.perf_counter()
    env.run(until=horizon)
    wall = time.perf_counter() - t0
    n = _count_value(env._eid) - e0
    return {"pending": pending, "events": n, "wall_s": wall, "rate": n / wall}


def raw_simpy_rate(pending: int, events: int, seed: int = 0) -> dict[str, Any]:
    """Events/s of a bare SimPy loop: `pending` processes each yielding timeouts of random-ish delay."""
    import simpy

    delays = _delays(seed)
    env = simpy.Environment()

    def proc(env: simpy.Environment, k: int):
        n = len(delays)
        while True:
            yield env.timeout(delays[k % n])
            k += 7

    for i in range(pending):
        env.process(proc(env, i))
    return _events_per_second(env, pending, events)


def calls_rate(pending: int, events: int, seed: int = 0) -> dict[str, Any] | None:
    """Events/s of the engine's scheduling layer alone (`Calls.at` and its dispatch, no model
    work): the chains of `raw_simpy_rate`, each link a call that schedules the next. None at a
    commit without `supplychain.engine.calls`."""
    import simpy

    try:
        from supplychain.engine.calls import Calls
    except ImportError:
        return None
    delays = _delays(seed)
    n = len(delays)
    env = simpy.Environment()
    calls = Calls(env)
    at = calls.at

    def link(k: int) -> None:
        at(env.now + delays[k % n], link, k + 7)

    for i in range(pending):
        at(delays[i % n], link, i)
    before = getattr(calls, "batched", 0)
    r = _events_per_second(env, pending, events)
    # calls that shared a kernel event count as events, as in the engine's rate: chains k and
    # k + 997 run at the same times, so from the second link on their calls share events
    r["events"] += getattr(calls, "batched", 0) - before
    r["rate"] = r["events"] / r["wall_s"]
    return r


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
    from supplychain.engine.orders import order_arrays
    from supplychain.engine.record import build_tables
    from supplychain.results import replication_seed

    import supplychain

    out: dict[str, Any] = {"rss_after_imports": _maxrss_bytes(), "code": str(Path(supplychain.__file__).parent)}
    if cfg.get("tracemalloc"):
        import tracemalloc

        tracemalloc.start()
    signal.signal(signal.SIGTERM, _on_sigterm)
    # as `simulate` does at the measured commit: since World.release exists, one collector
    # pause spans the replication and the run is freed by reference counting; before, World.run
    # and the tables each paused it and the cyclic collector freed the run later
    released = hasattr(World, "release")
    if released:
        from supplychain.engine.gcpause import gc_paused

        pause: Any = gc_paused()
    else:
        pause = contextlib.nullcontext()
    with pause:
        t0 = time.perf_counter()
        _PROGRESS.update(t0=t0, phase="prepare")
        model, sc, desc = _scenario_for(cfg)
        t1 = time.perf_counter()
        _PROGRESS["phase"] = "World()"
        world = World(model, sc, replication_seed(sc.seed, 0))
        t2 = time.perf_counter()
        _PROGRESS.update(world=world, phase="run")
        marks: list[tuple[int, float]] = []  # (day, wall clock) at each weekly progress call
        world.run(progress=lambda day: marks.append((day, time.perf_counter())))
        t3 = time.perf_counter()
        out["year_s"] = _per_year(marks, t2, t3, world.net.days)
        _PROGRESS["phase"] = "invariants and tables"
        arrays = order_arrays(world.orders)  # read once for the checks and the tables, as `run_replication` does
        check_invariants(world, arrays=arrays)
        t4 = time.perf_counter()
        tables = build_tables(world, arrays)
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
            # calls that ran without a kernel event of their own (calls due now share one, as do calls
            # made back to back for one later time); the rate counts them, as every call was an event
            # before they were batched
            batched_calls=getattr(getattr(world, "calls", None), "batched", 0),
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
        _PROGRESS.update(world=None, phase="release")
        t6 = time.perf_counter()
        if released:
            world.release()
        del world, tables
    t7 = time.perf_counter()
    gc.collect()  # what the collector still has to do for this run, sooner or later
    t8 = time.perf_counter()
    out["release_s"] = t7 - t6
    out["collect_after_s"] = t8 - t7
    out["maxrss"] = _maxrss_bytes()
    out["engine_s"] = out["build_s"] + out["run_s"]
    out["simulate_s"] = out["engine_s"] + out["invariants_s"] + out["tables_s"] + out["release_s"]
    return out


def _per_year(marks: list[tuple[int, float]], start: float, end: float, days: int) -> list[float]:
    """Wall time of each simulated year of one run (the last one may be short), from the
    run's weekly progress calls: the steady-state cost without comparing separate runs,
    whose machine load differs."""
    bounds = [start]
    for k in range(1, math.ceil(days / 365.25)):
        t = next((w for d, w in marks if d >= k * 365.25), None)
        if t is None:
            break
        bounds.append(t)
    bounds.append(end)
    return [b - a for a, b in zip(bounds, bounds[1:])]


def rate_worker(cfg: dict[str, Any]) -> dict[str, Any]:
    """Raw SimPy before and after an engine run, all in this one process."""
    ev = cfg["raw_events"]
    before = [raw_simpy_rate(p, ev) for p in (1_000, 100_000)]
    layer = [calls_rate(p, ev) for p in (1_000, 100_000)]
    runs = [engine_run({"what": cfg["engine"]}) for _ in range(cfg.get("repeat", 1))]
    eng = min(runs, key=lambda r: r["run_s"])
    eng["run_s_all"] = [r["run_s"] for r in runs]
    after = [raw_simpy_rate(p, ev) for p in (1_000, 100_000)]
    return {"before": before, "after": after, "engine": eng, "calls_layer": layer}


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
    skip = {"run", "_fire_later"}  # the drivers: 100 % by construction (every call, the daily step too, runs from a later event)
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


def generate_worker(cfg: dict[str, Any]) -> dict[str, Any]:
    """CPU seconds to generate networks of each size (best of `repeat`), one interpreter for all
    sizes so the ratios between them are taken side by side."""
    gen, src = generator()
    gen(50, cfg.get("seed", 7))  # imports and first-call caches are not the generator's cost
    rows = []
    for n in cfg["sizes"]:
        times = []
        for _ in range(cfg.get("repeat", 3)):
            t0 = time.process_time()
            model = gen(n, cfg.get("seed", 7))
            times.append(time.process_time() - t0)
        rows.append({"nodes": n, "edges": len(model.edges), "cpu_s": min(times), "cpu_s_all": times})
    return {"generator": src, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    cfg = json.loads((argv if argv is not None else sys.argv[1:])[0])
    if cfg["what"] == "generate":
        res = generate_worker(cfg)
    elif cfg["what"] == "profile":
        res = profile_worker(dict(cfg["profile"], top=cfg.get("top", 10)))
    elif cfg["what"] == "rate":
        res = rate_worker(cfg)
    else:
        res = engine_run(cfg)
    print(json.dumps(res, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
