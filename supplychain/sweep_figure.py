"""The sweep's own figure: how the outcome moves with each swept input.

One panel per swept input (the first `MAX_INPUTS`), x the input's value at each point (numbers as numbers, dates
as dates, words as categories in the order given), y each point's outcome, the mean over its replications with
the min-max over them as a bar: the pace (`mean_gap_days`) per lab, or of a textbook chain (no labs) the fill
rate per stock point. Each panel's title gives Spearman's rho and p from the sweep's ranking (`sensitivity`).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from .figures import _figure_legend, _grid, lab_colors, lab_styles
from .columns import as_dates

__all__ = ["sweep_figure", "MAX_INPUTS", "MAX_SERIES"]

MAX_INPUTS = 6
#: most labs (or stock points) a panel draws: the largest, as the other figures choose them
MAX_SERIES = 6
_MARKERS = ["o", "s", "^", "D", "v", "P"]
#: (entity column, outcome, what the axis calls it, sweep tables, what its first entity is): the pace of labs, else
#: the stock points' fill rate
PACE = ("lab", "mean_gap_days", "mean gap between generations (days)", "outcomes", "sensitivity", "largest lab")
FILL = ("node", "fill_rate", "fill rate", "stock_outcomes", "stock_sensitivity", "most demand")


def _x(col: pd.Series) -> tuple[pd.Series, list[str] | None]:
    """An input's values to plot, and its categories (None unless words): dates as dates, numbers as numbers."""
    dates = as_dates(col)
    if dates is not None:
        return dates, None
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.astype(float), None
    order = list(dict.fromkeys(col.astype(str)))  # the order the points take them: the order given
    return col.astype(str).map({v: i for i, v in enumerate(order)}).astype(float), order


def sweep_figure(tables: Mapping[str, pd.DataFrame], labs: Sequence[str]) -> Figure | None:
    """The sweep figure of a sweep folder's tables (`points`, `outcomes`, `sensitivity`, and of a chain with stock
    points `stock_outcomes`, `stock_sensitivity`), drawing the first `MAX_SERIES` of `labs` (largest first: the
    first's rho and p title a panel of more than two); None with nothing to draw.
    The figure's label is the outcome drawn (`mean_gap_days` or `fill_rate`)."""
    by, outcome, words, out_name, sens_name, first = PACE
    out = tables.get(out_name, pd.DataFrame())
    entities = [lab for lab in labs if by in out and lab in set(out[by])]
    if not entities:  # a textbook chain: no labs, the fill rate of its stock points, those with most demand first
        by, outcome, words, out_name, sens_name, first = FILL
        out = tables.get(out_name, pd.DataFrame())
        if by not in out or out.empty:
            return None
        entities = out.groupby(by)["demand_units"].sum().sort_values(ascending=False, kind="stable").index.tolist()
    points = tables.get("points", pd.DataFrame(columns=["point"])).set_index("point")
    inputs = [c for c in points.columns if c != "scenario"]
    if not inputs or out.empty:
        return None
    shown, series, rest = inputs[:MAX_INPUTS], entities[:MAX_SERIES], entities[MAX_SERIES:]
    sens = tables.get(sens_name, pd.DataFrame(columns=[by, "outcome", "input", "spearman_rho", "p_value"]))
    sens = sens[sens["outcome"] == outcome].set_index([by, "input"])
    value = out[outcome].astype(float).replace([np.inf, -np.inf], np.nan)
    per = out.assign(_v=value).groupby([by, "point"])["_v"].agg(["mean", "min", "max"])
    drawn = per.loc[per.index.get_level_values(0).isin(series), "mean"]
    undefined = int(drawn.isna().sum())
    per = per.dropna(subset=["mean"])
    fig, axes = _grid(len(shown))
    colors, styles = lab_colors(series), lab_styles(series)
    for ax, name in zip(axes, shown):
        x, categories = _x(points[name])
        for i, e in enumerate(series):
            d = per.loc[e].join(x.rename("x"), how="inner") if e in per.index.get_level_values(0) else pd.DataFrame()
            if d.empty:
                continue
            ax.errorbar(d["x"], d["mean"], yerr=[d["mean"] - d["min"], d["max"] - d["mean"]], fmt=_MARKERS[i % 6], ms=4,
                        capsize=2, color=colors[e], label=e)
            if d["x"].duplicated().any():  # a grid: the mean over the points at each value, the input's own effect
                m = d.groupby("x")["mean"].mean()
                ax.plot(m.index, m.to_numpy(), ls=styles[e][0], lw=1, color=colors[e], alpha=0.6)
        if categories is not None:
            ax.set_xticks(range(len(categories)), categories)
        elif pd.api.types.is_datetime64_any_dtype(x):
            locator = AutoDateLocator()
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ranked = series[:2] if len(series) <= 2 else series[:1]
        stats = []
        for e in ranked:
            rho, p = (sens.loc[(e, name), ["spearman_rho", "p_value"]] if (e, name) in sens.index else (np.nan, np.nan))
            what = f"rho {rho:+.2f}, p {p:.2g}" if rho == rho else "rho n/a (not ranked)"
            stats.append(f"{e}: {what}" if len(series) > 1 else what)
        ax.set_title(f"{name}\n{'; '.join(stats)}" + (f" ({first})" if len(ranked) < len(series) else ""), fontsize=9)
        ax.set_ylabel(words)
        # from zero, as the lead-time axes: 452 to 439 days (utilisation 0.3 to 0.5) on an axis of 440-550 read as a
        # steep fall, in a panel of one lab as a collapse; a margin over the highest point, not its marker cut in two
        low, high = ax.get_ylim()
        if low > 0:  # outcomes all above zero (a negative one keeps its autoscaled axis)
            ax.set_ylim(0, high * 1.05)
        ax.grid(alpha=0.3)
        if not ax.get_lines():  # every point's outcome undefined (no lab reached a second generation)
            ax.text(0.5, 0.5, "no values", transform=ax.transAxes, ha="center", va="center", color="0.5")
    _figure_legend(fig, axes)
    notes = [f"not drawn: inputs {', '.join(inputs[MAX_INPUTS:])}" if len(inputs) > MAX_INPUTS else "",
             (f"not drawn: {len(rest)} more {by}s" + (f" ({', '.join(rest)})" if len(rest) <= MAX_SERIES else ""))
             if rest else "",
             f"{undefined} of {len(drawn)} (point, {by}) outcomes undefined (NaN), left out" if undefined else ""]
    fig.suptitle(f"Sweep: {words} per point against each input (mean over replications, bars min-max)"
                 + "".join(f"\n{n}" for n in notes if n), fontsize=10)
    fig.set_label(outcome)
    return fig
