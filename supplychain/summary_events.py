"""The summary's account of what a scenario's shocks and export controls did, from the `events` table.

A policy analyst's first question of a shock or a control scenario is whether the model did what the
file says: the blockade hit these nodes for that long, the licence rule refused so many units and
granted so few. The figures were in the events table only; summary.md now says them, one line per
shock and per rule, as medians over the replications (a replication where a rule decided nothing
counts 0).
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

__all__ = ["events_section", "REFUSED"]

#: the control decisions that refuse units (a `licence review` row opens a review, it refuses nothing)
REFUSED = ("denied", "quota refused", "licence denied")
#: products named beside a rule's refused units (the largest first)
PRODUCTS_SHOWN = 3


def _units(x: float) -> str:
    """Units as counted (tools and packages come in fractions of a lot: 0.63 tools, not "1")."""
    return f"{x:,.0f}" if x >= 10 or x == 0 else f"{x:.2g}"


def _median(per_rep: pd.Series, reps: Sequence[int]) -> float:
    return float(per_rep.reindex(reps, fill_value=0).median())


def _shock_line(sid: str, g: pd.DataFrame, reps: Sequence[int]) -> str:
    first = g.iloc[0]
    head = f"- shock {sid} ({first['what']}, x{first['qty']:g}): "
    hit = sorted({n for text in g["supplier"].dropna() for n in str(text).split(",") if n})
    nodes = f", hit {', '.join(hit)}" if hit else ", touched nothing"
    per_rep = g.groupby("replication").size().reindex(reps, fill_value=0)
    if (per_rep == 1).all() and g["day"].nunique() == 1 and g["duration_days"].nunique() == 1:  # scheduled: the same in each
        return f"{head}from {pd.Timestamp(first['date']).date()} for {first['duration_days']:g} days{nodes}"
    days = g.groupby("replication")["duration_days"].sum()
    return (f"{head}{per_rep.median():g} occurrences a replication (median; {per_rep.min()}-{per_rep.max()}), "
            f"{_median(days, reps):g} days in all{nodes}")


def _rule_line(rid: str, g: pd.DataFrame, reps: Sequence[int]) -> str:
    refused = g[g["what"].isin(REFUSED)]
    units = _median(refused.groupby("replication")["qty"].sum(), reps)
    products = refused.groupby("product")["qty"].sum().sort_values(ascending=False).index[:PRODUCTS_SHOWN]
    parts = [f"{_units(units)} units refused" + (f" ({', '.join(products)})" if units > 0 and len(products) else "")]
    reviews = _median(g[g["what"] == "licence review"].groupby("replication").size(), reps)
    if reviews:
        granted = _median(g[g["what"] == "licence granted"].groupby("replication").size(), reps)
        lapsed = _median(g[g["what"] == "licence lapsed"].groupby("replication").size(), reps)
        parts.append(f"{reviews:,.0f} licence reviews, {granted:,.0f} granted" + (f", {lapsed:,.0f} lapsed" if lapsed else ""))
    waits = _median(g[g["what"] == "quota wait"].groupby("replication").size(), reps)
    if waits:
        parts.append(f"{waits:,.0f} orders waited for a quota period")
    subst = g[g["what"].str.startswith("substitution")]
    if len(subst):
        swaps = ", ".join(sorted(w.split(" ", 1)[1] for w in subst["what"].unique()))
        parts.append(f"{_units(_median(subst.groupby('replication')['qty'].sum(), reps))} units ordered as a compliant "
                     f"variant ({swaps})")
    return f"- rule {rid}: " + "; ".join(parts)


def events_section(events: pd.DataFrame | None, reps: Sequence[int]) -> list[str]:
    """Lines of summary.md: per shock its occurrences and the nodes they hit, per export-control rule the
    units it refused and its licence decisions (medians over the replications `reps`). Rules that decided
    nothing have no row in the table and no line (`compare` says which of a scenario's own did nothing)."""
    if events is None or events.empty or "type" not in events:
        return []
    shocks, controls = events[events["type"] == "shock"], events[events["type"] == "control"]
    if shocks.empty and controls.empty:
        return []
    lines = ["## Shocks and export controls (medians over replications; the `events` table has every decision)\n"]
    lines += [_shock_line(sid, g, reps) for sid, g in shocks.groupby("id", sort=False)]
    lines += [_rule_line(rid, g, reps) for rid, g in controls.groupby("id", sort=False)]
    return lines
