"""Engine benchmarks: kernel event rate, default run, 1,000-node network, scaling, generator.

A plain script, not a test: it prints figures and ratios and asserts nothing
about wall-clock time. Figures and their meaning: benchmarks/README.md.

    python benchmarks/bench_engine.py            # full sweep (long: see README)
    python benchmarks/bench_engine.py --quick    # smaller sweep, a few minutes
    python benchmarks/bench_engine.py --only rate,default
    python benchmarks/bench_engine.py --only generate  # the topology generator alone, 500 and 5,000 nodes
    python benchmarks/bench_engine.py --profile  # cProfile hot spots in supplychain/engine

Every configuration runs in a fresh subprocess (`engine_worker.py JSON`), so memory
figures (ru_maxrss, tracemalloc peak) belong to that run alone. Wall times are
measured without tracemalloc (it slows Python down by 2x or more); the
tracemalloc peak comes from a second, separate run of the same configuration.
A configuration that exceeds `--timeout` is killed and reported as such.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from engine_worker import generator  # benchmarks/ is on sys.path when this runs as a script
from scaling_fit import fit_scaling

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: the code and data measured: a `git archive` snapshot of --commit, or the checkout (`worktree`)
CODE_ROOT = ROOT
DEFAULT_TOPOLOGY = CODE_ROOT / "topology" / "default.yaml"
MB = 1024 * 1024

# targets (issue 3 item 9); printed beside the figures, never asserted
TARGET_RATIO = 0.5
TARGET_DEFAULT_S = 1.0
#: "about" a second: within 25 %. (Until this session the harness allowed 50 %, which would call
#: 1.5 s met; the machine's run-to-run spread is ~0.1 s, so 25 % is not a noise margin.)
ABOUT = 1.25
TARGET_LARGE_S = 10.0
TARGET_LARGE_BYTES = 2 * 1024**3
#: a log-log slope at most this counts as linear: 1.1 lets cost per node-day grow ~35 % over
#: the 20x range of the sweep (noise and cache effects), 1.2 would let it nearly double
LINEAR_SLOPE = 1.1
TRACEMALLOC_SLOWDOWN = 4  # timeout factor of the separate tracemalloc run


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
    cmd = [sys.executable, str(HERE / "engine_worker.py"), json.dumps(cfg, default=str)]
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
    batched = eng.get("batched_calls", 0)
    events = eng["events"] + batched
    eng_rate = events / eng["run_s"]
    print(f"  engine run: {eng['desc']}")
    print(f"  engine: {events:,} events ({eng['events']:,} kernel events + {batched:,} calls that shared one: due now, or due at one later time)"
          f" in World.run {eng['run_s']:.3f} s = {eng_rate:,.0f} events/s"
          f" (best of {len(eng['run_s_all'])}: " + ", ".join(f"{t:.2f}" for t in eng["run_s_all"]) + " s)")
    print(f"  {'raw SimPy':<28}{'before':>14}{'after':>14}{'mean':>14}{'engine/raw':>12}")
    ratios = {}
    for b, a in zip(r["before"], r["after"]):
        mean = (b["rate"] + a["rate"]) / 2
        ratios[b["pending"]] = eng_rate / mean
        print(f"  {b['pending']:>9,} pending timeouts{'':<3}{b['rate']:>14,.0f}{a['rate']:>14,.0f}{mean:>14,.0f}{eng_rate / mean:>12.3f}")
    layer = r.get("calls_layer") or []
    for b, a, c in zip(r["before"], r["after"], layer):
        if c is not None:  # the engine's scheduling layer with no model work: what the kernel itself costs it
            mean = (b["rate"] + a["rate"]) / 2
            print(f"  {c['pending']:>9,} pending, engine scheduling alone (Calls.at, no model work): {c['rate']:,.0f} events/s"
                  f" = {c['rate'] / mean:.2f} x raw")
    wall_per_event = 1e6 * eng["run_s"] / events
    print(f"  engine wall per event: {wall_per_event:.1f} us (includes the daily step's work)")
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
    print(f"  target ~{TARGET_DEFAULT_S:.0f} s (World build + run): {verdict(r['engine_s'] <= ABOUT * TARGET_DEFAULT_S)} "
          f"({r['engine_s']:.2f} s; with invariants and tables {r['simulate_s']:.2f} s)")


def _print_run(r: dict[str, Any]) -> None:
    print(f"  {r['desc']}: {r['nodes']} nodes, {r['edges']} edges, {r['days']} days, "
          f"{r['events']:,} kernel events, {r['orders']:,} orders, {r.get('book_orders_end')} open in books at end")
    print(f"  prepare {r['prepare_s']:.2f} s | World() {r['build_s']:.2f} s | run {r['run_s']:.2f} s | "
          f"invariants {r['invariants_s']:.2f} s | tables {r['tables_s']:.2f} s | release {r.get('release_s', 0.0):.2f} s | "
          f"simulate total {r['simulate_s']:.2f} s")
    if "collect_after_s" in r:  # the cyclic collector's work this run leaves behind, paid later in the process
        print(f"  then a full gc.collect(): {r['collect_after_s']:.2f} s")
    if r["orders"]:  # the hybrid's real unit of work: most of it happens outside kernel events
        print(f"  per order line: {1e6 * r['run_s'] / r['orders']:.1f} us of World.run, "
              f"{1e6 * r['tables_s'] / r['orders']:.1f} us of tables")
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
    if r.get("year_s"):
        print("  World.run by simulated year: " + ", ".join(f"{t:.1f}" for t in r["year_s"]) + " s (deliveries start"
              " once the make-to-order pipelines fill; after that the cost per year is flat)")
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
                             "book_orders_end": r.get("book_orders_end"), "book_max_end": r.get("book_max_end"),
                             "year_s": r.get("year_s")})
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
    fit = fit_scaling(ok, years)
    if fit:
        print(f"\n  log-log fit of wall time: slope vs node-years {fit['node_years']:.2f} (polyfit); "
              f"separately: nodes^{fit['nodes']:.2f} x years^{fit['years']:.2f} (1.0 = linear)")
        print(f"  target linear in nodes x horizon (every exponent <= {LINEAR_SLOPE}): "
              f"{verdict(max(fit['node_years'], fit['nodes'], fit['years']) <= LINEAR_SLOPE)}")
        if "events_vs_node_years" in fit:  # is it the cost per kernel event, or do events grow faster?
            print(f"  kernel events grow as node-years^{fit['events_vs_node_years']:.2f}; wall time as "
                  f"events^{fit['wall_vs_events']:.2f} ({fit['us_per_event'][0]:.0f}-{fit['us_per_event'][1]:.0f} us of wall per kernel event)")
        if "orders_vs_node_years" in fit:  # the engine's cost per unit of the model's work
            print(f"  order lines grow as node-years^{fit['orders_vs_node_years']:.2f}; wall time as "
                  f"lines^{fit['wall_vs_orders']:.2f} ({fit['us_per_order'][0]:.0f}-{fit['us_per_order'][1]:.0f} us of wall per order line)")
        steady = fit.get("steady")
        if steady:
            how = ("timed inside each run" if steady["within_run"] else f"t{years[-1]}y - t{years[-2]}y of separate runs")
            print(f"  steady state, the last {years[-1] - years[-2]} years alone ({how}; pipelines fill "
                  f"in ~4 years, so only long horizons show it): " + ", ".join(f"{k['nodes']} nodes {k['us_per_node_day']:.1f}" for k in steady["rows"])
                  + f" us per node-day; slope vs nodes {steady['slope']:.2f}")
            print(f"  target linear in nodes x horizon, steady state (slope <= {LINEAR_SLOPE}): "
                  f"{verdict(steady['slope'] <= LINEAR_SLOPE)}")
    else:
        print("  too few finished runs for a fit")
    report["scaling_fit"] = fit


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


def bench_generate(args: argparse.Namespace, report: dict[str, Any]) -> None:
    """The synthetic-topology generator alone (issue 2 item 6): CPU time per size and per node, so
    the ratio between sizes shows whether it stays linear."""
    print("\n== 6. Topology generator: CPU time by network size ==")
    r = spawn({"what": "generate", "sizes": [500, 5000], "repeat": args.repeat, "seed": 7}, args.timeout)
    report["generate"] = r
    if "rows" not in r:
        print(f"  MISSED: {timeout_text(r)}" if "timeout" in r else f"  failed: {r}")
        return
    for row in r["rows"]:
        print(f"  {row['nodes']:,} nodes, {row['edges']:,} edges: {row['cpu_s']:.2f} CPU s "
              f"(best of {', '.join(f'{t:.2f}' for t in row['cpu_s_all'])}), {1e3 * row['cpu_s'] / row['nodes']:.2f} ms per node")
    small, big = r["rows"][0], r["rows"][-1]
    growth = (big["cpu_s"] / small["cpu_s"]) / (big["nodes"] / small["nodes"])
    print(f"  per-node cost at {big['nodes']:,} against {small['nodes']:,} nodes: x{growth:.2f} (1.0 is linear)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sweep and fewer raw SimPy events")
    ap.add_argument("--only", default="rate,default,large,scaling,generate", help="comma list of rate,default,large,scaling,profile,generate")
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
    args = ap.parse_args(argv)
    if args.scaling_timeout is None:
        args.scaling_timeout = 120.0 if args.quick else 600.0
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    if args.profile:
        only.add("profile")
    global CODE_ROOT, DEFAULT_TOPOLOGY
    snap = None
    if args.commit == "worktree":
        dirty = [ln[3:] for ln in git("status", "--porcelain", "supplychain").splitlines() if len(ln) > 3]
        code = f"working tree at {git('rev-parse', '--short', 'HEAD')}, uncommitted: {', '.join(dirty) or 'none'}"
    else:
        snap, full = snapshot(args.commit)
        CODE_ROOT = snap
        DEFAULT_TOPOLOGY = snap / "topology" / "default.yaml"
        code = f"commit {full[:10]} ({git('log', '-1', '--format=%cd %s', '--date=format:%Y-%m-%d %H:%M', full)[:90]})"
    info = machine(code)
    print("Engine benchmarks " + ("(--quick)" if args.quick else "(full)"))
    for k, v in info.items():
        print(f"  {k}: {v}")
    report: dict[str, Any] = {"machine": info, "quick": args.quick}
    try:
        for name, fn in (("rate", bench_rate), ("default", bench_default), ("large", bench_large),
                         ("scaling", bench_scaling), ("profile", bench_profile),
                         ("generate", bench_generate)):
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
