"""The report's figures of what bound the labs and what happened: the delay causes behind each generation,
and the timeline of export-control decisions and shocks (`figures.py` draws lead times, generations and
fleets, and holds the helpers both share)."""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from .analysis import binding_by_generation
from .figures import _grid, new_figure, outcome_colors

__all__ = ["binding_figure", "events_figure"]


def _cause_colors(causes: Sequence[str]) -> dict[str, object]:
    """A colour per named delay cause, none of them the grey of "other": tab20's nine strong hues, then its light
    ones (in tab20's own order, power:lab_cn was queue:cxmt's lighter shade, side by side in a bar)."""
    tab20 = colormaps["tab20"].colors
    palette = [c for i, c in enumerate(tab20[0::2]) if i != 7] + [c for i, c in enumerate(tab20[1::2]) if i != 7]
    return {cause: palette[i % len(palette)] for i, cause in enumerate(causes)}



def binding_figure(orders: pd.DataFrame, gens: pd.DataFrame, scenarios: Sequence[str], h100e: dict[str, float],
                   top: int = 7, labs: Sequence[str] | None = None) -> Figure | None:
    """What bound each generation: share of H100e delivered during its training by dominant delay cause, for the
    generations of `labs` (None: every lab). A generation trained on the fleet it had, nothing delivered meanwhile
    (a lab's first, before the first deliveries), keeps its row, saying so: it was left out, and lab_us g1 of the
    baseline was missing between lab_cn g9 and lab_us g2 with nothing to say why."""
    if labs is not None:
        gens = gens[gens["lab"].isin(labs)]
    gens = gens[gens["scenario"].isin(scenarios)]
    b = binding_by_generation(orders[orders["scenario"].isin(scenarios)], gens, h100e)
    if b.empty:
        return None
    # every bar's largest cause is named, then the largest overall up to `top`: the 7 largest overall alone drew
    # lab_cn g1 (100 % power:lab_cn) and lab_us g2 (72 % transport) as "other"
    total = b.groupby("cause")["share"].sum().sort_values(ascending=False, kind="stable")
    leaders = set(b.loc[b.groupby(["scenario", "lab", "generation"])["share"].idxmax(), "cause"])
    rest = [c for c in total.index if c not in leaders][:max(0, top - len(leaders))]
    keep = [c for c in total.index if c in leaders or c in rest]
    b = b.assign(cause=b["cause"].where(b["cause"].isin(keep), "other"))
    colors = {**_cause_colors(keep), "other": "0.6"}  # grey whatever the count (it was C7 only for 7 causes)
    released = gens[["scenario", "lab", "generation"]].drop_duplicates()
    # a scenario whose every generation trained with nothing delivered keeps its panel, each row saying so: it had
    # none, and in a comparison its panel was simply absent
    shown = [sc for sc in scenarios if sc in set(b["scenario"]) | set(released["scenario"])]
    rows = released.groupby("scenario").size().reindex(shown, fill_value=0).max()
    fig, axes = _grid(len(shown), row_height=max(2.5, 0.22 * rows + 1), cols=1)
    for ax, sc in zip(axes, shown):
        mine = b[b["scenario"] == sc]
        d = (mine.pivot_table(index=["lab", "generation"], columns="cause", values="share", aggfunc="sum") if len(mine)
             else pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=["lab", "generation"])))
        every = pd.MultiIndex.from_frame(released.loc[released["scenario"] == sc, ["lab", "generation"]])
        d = d.reindex(d.index.union(every).sort_values()).fillna(0)
        none = d.sum(axis=1).to_numpy() == 0  # trained with nothing delivered: an empty bar that says so
        left = np.zeros(len(d))
        labels = [f"{lab} g{int(g)}" for lab, g in d.index]
        for cause, color in colors.items():
            if cause not in d:
                continue
            ax.barh(labels, d[cause], left=left, color=color, label=cause)
            left += d[cause].to_numpy()
        if none.all():  # no bar to give the rows their names
            ax.barh(labels, np.zeros(len(d)))
        for y in np.flatnonzero(none):
            ax.text(0.01, y, "nothing delivered while it trained", va="center", fontsize=7, color="0.3")
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_title(f"{sc}: dominant delay of accelerators delivered while each generation trained")
        ax.set_xlabel("share of delivered H100e")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def _days(row: object) -> float:
    """A shock's duration: its `duration_days`, or in tables written before that column, the `N days` of its detail."""
    days = getattr(row, "duration_days", None)
    if days is not None and days == days:
        return float(days)
    m = re.match(r"\s*([0-9.]+)\s*days", str(getattr(row, "detail", "")))
    return float(m.group(1)) if m else 0.0


def events_figure(events: pd.DataFrame, scenarios: Sequence[str], limit: int = 40) -> Figure | None:
    """Timeline of shocks (bars over their duration) and control decisions (markers by outcome)."""
    ev = events[events["scenario"].isin(scenarios) & events["date"].notna()]
    if ev.empty:
        return None
    ev = ev.assign(row=(ev["scenario"] + ": " if len(scenarios) > 1 else "") + ev["type"] + " " + ev["id"].astype(str))
    # one block per rule or shock (by first date), its scenarios in the order given
    first = ev.groupby("id")["date"].min()
    order = {sc: i for i, sc in enumerate(scenarios)}
    keys = ev.drop_duplicates("row").assign(_f=lambda d: d["id"].map(first), _s=lambda d: d["scenario"].map(order))
    rows = keys.sort_values(["_f", "id", "_s"])["row"].tolist()[:limit]
    ev = ev[ev["row"].isin(rows)]
    # a scenario without any (export_controls_lifted) was simply absent: the point of the comparison, unsaid
    quiet = [f"{sc}: no controls or shocks" for sc in scenarios if len(scenarios) > 1 and sc not in set(ev["scenario"])]
    rows += quiet
    fig = new_figure(11, 1.2 + 0.3 * len(rows))
    ax = fig.subplots()
    y = {r: i for i, r in enumerate(rows)}
    shocks = ev[ev["type"] == "shock"].drop_duplicates(["row", "date", "detail"])
    for r in shocks.itertuples():
        # hatched light grey: red was the fourth scenario's colour
        ax.barh(y[r.row], pd.Timedelta(days=max(_days(r), 3)), left=r.date, height=0.5, color="0.85", edgecolor="0.4",
                hatch="///", lw=0.5)
    other = ev[ev["type"] != "shock"]
    kinds = sorted(other["what"].astype(str).unique())
    colors = outcome_colors(kinds, scenarios)
    for j, what in enumerate(kinds):
        grp = other[other["what"].astype(str) == what]
        offset = (j - (len(kinds) - 1) / 2) * min(0.25, 0.6 / max(1, len(kinds)))
        ax.scatter(grp["date"], grp["row"].map(y) + offset, s=12, marker="|", color=colors[what], label=what)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    for label in ax.get_yticklabels()[len(rows) - len(quiet):]:
        label.set_color("0.4")
    ax.set_ylim(len(rows) - 0.5, -0.5)  # every row inside, the first on top: a quiet scenario's row, with nothing
    ax.grid(alpha=0.3, axis="x")        # drawn in it, sat on the lower edge, its label half under the dates
    if len(other):
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Controls and shocks (bars: shocks over their duration; marks: control decisions, all replications)")
    return fig
