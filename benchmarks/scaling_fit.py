"""Fits of the scaling sweep: how wall time grows with nodes and horizon, and the steady
state alone. Pure functions of the sweep's rows (dicts with nodes, years, engine_s,
events and, from the worker, year_s); `bench_engine.py` prints them.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def fit_scaling(ok: list[dict[str, Any]], years: list[int]) -> dict[str, Any]:
    """Log-log slopes of wall time against node-years, nodes and years apart; of kernel events
    and order lines against node-years, and of wall time against each; the steady state of the
    two longest horizons. {} with fewer than 3 runs."""
    if len(ok) < 3:
        return {}
    yv = np.log([r["engine_s"] for r in ok])
    fit: dict[str, Any] = {"node_years": float(np.polyfit(np.log([r["nodes"] * r["years"] for r in ok]), yv, 1)[0])}
    a = np.column_stack([np.ones(len(ok)), np.log([r["nodes"] for r in ok]), np.log([r["years"] for r in ok])])
    coef = np.linalg.lstsq(a, yv, rcond=None)[0]
    fit["nodes"], fit["years"] = float(coef[1]), float(coef[2])
    # is it the cost per unit of work, or does the work grow faster than node-years? Kernel events, and
    # order lines: the model's own work, which grows faster in horizon while the pipelines fill
    for key, one in (("events", "event"), ("orders", "order")):
        ev = [r for r in ok if r.get(key)]
        if len(ev) >= 3:
            fit[f"{key}_vs_node_years"] = _slope([r["nodes"] * r["years"] for r in ev], [r[key] for r in ev])
            fit[f"wall_vs_{key}"] = _slope([r[key] for r in ev], [r["engine_s"] for r in ev])
            us = [1e6 * r["engine_s"] / r[key] for r in ev]
            fit[f"us_per_{one}"] = (min(us), max(us))
    steady = steady_state(ok, years[-2:])
    if steady:
        fit["steady"] = steady
    return fit


def _slope(x: list[float], y: list[float]) -> float:
    """Log-log slope of y against x (1.0: proportional)."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def steady_state(ok: list[dict[str, Any]], pair: list[int]) -> dict[str, Any] | None:
    """Marginal cost of the years between the two longest horizons, per node-day, by node count.

    A short run is mostly the warm-up (orders flow from day one, deliveries only once the
    make-to-order pipelines have filled, ~4 years), so a fit over all horizons mixes
    warm-up and steady state. The last `long - short` years of the long run, timed inside
    that run (`year_s`), are the steady-state cost alone; the difference of two separate
    runs (the fallback for results without `year_s`) also carries the change of machine
    load between them, which swung one cell from 42 s to 28 s between two sweeps.
    """
    if len(pair) < 2:
        return None
    short, long_ = pair
    rows = []
    for n in sorted({r["nodes"] for r in ok}):
        a = next((r for r in ok if r["nodes"] == n and r["years"] == short), None)
        b = next((r for r in ok if r["nodes"] == n and r["years"] == long_), None)
        within = bool(b and b.get("year_s") and len(b["year_s"]) >= long_)
        if within:
            extra = sum(b["year_s"][short:long_])
        elif a and b and b["engine_s"] > a["engine_s"]:
            extra = b["engine_s"] - a["engine_s"]
        else:
            continue
        rows.append({"nodes": n, "extra_s": extra, "within_run": within,
                     "us_per_node_day": 1e6 * extra / (n * (long_ - short) * 365.25)})
    if len(rows) < 2:
        return None
    slope = float(np.polyfit(np.log([r["nodes"] for r in rows]), np.log([r["extra_s"] for r in rows]), 1)[0])
    return {"years": [short, long_], "rows": rows, "slope": slope, "within_run": all(r["within_run"] for r in rows)}
