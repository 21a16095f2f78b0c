"""The report's figures, drawn with matplotlib's Agg canvas (no pyplot, no display).

Each function takes the concatenated tables of a run, compare or sweep folder
and the scenarios to show, and returns a `matplotlib.figure.Figure` (or None
when there is nothing to draw). Bands are the 10-90 % range across
replications around the median. A series with no values (a product never
delivered to a lab, so no realised lead time) is left out, not drawn empty: a
panel with nothing left says so instead of failing the whole report.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullLocator, StrMethodFormatter

from .coincident import note, show_coincident
from .summary import BACKLOG_WEEKS, MAX_LABS, lab_quotes, largest_labs, release_table

__all__ = ["lead_time_figure", "generations_figure", "fleet_figure", "new_figure", "largest_labs", "outcome_colors",
           "BAND", "MAX_LABS"]

BAND = (0.1, 0.9)
#: one line style per scenario in the generation figure (beside its colour), per lab in a compared fleet figure
_STYLES = ["-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]
#: most lines the fleet figure's legend names: past it (a generated network's 150 labs) the legend outgrew the
#: figure (matplotlib warned that the layout collapsed) and ten colours named no lab apart anyway
MAX_LEGEND = 24
#: what the two lines of a lead-time panel are, and which date x is for each: a realised lead time is dated when
#: the orders arrived, ~40 weeks after the quote beside it, and the quote is a mean over the labs' flows (the
#: summary's peak is the largest flow's, so the figure's h200 peak of 78.9 weeks is the summary's 79.3)
QUOTED_REALISED = ("quoted (solid): mean over the labs of the week's quotes, at the week quoted"
                   "\nrealised (dashed): mean over the orders delivered that week, at the delivery week")
#: a stretch longer than this without a delivery breaks the realised lead-time line (the tables are weekly)
MAX_GAP = pd.Timedelta(weeks=4)


def scenario_colors(scenarios: Sequence[str]) -> dict[str, str]:
    """The colour of each scenario, the same in every figure of a report: in a comparison colour means the
    scenario (the fleet figure gave it to the lab, the lead-time and generation figures to the scenario)."""
    return {sc: f"C{i % 10}" for i, sc in enumerate(scenarios)}


def lab_styles(labs: Sequence[str]) -> dict[str, tuple[object, str | None]]:
    """(line style, marker) of each lab where colour is the scenario's: six styles, then the six again with a
    marker, so the `MAX_LEGEND` labs a legend names are told apart."""
    markers = [None, "o", "s", "^"]
    return {lab: (_STYLES[i % len(_STYLES)], markers[(i // len(_STYLES)) % len(markers)]) for i, lab in enumerate(labs)}


def lab_colors(labs: Sequence[str]) -> dict[str, object]:
    """A colour per lab, none shared: past ten labs the default cycle gave two of the `MAX_LABS` one colour."""
    if len(labs) <= 10:
        return {lab: f"C{i}" for i, lab in enumerate(labs)}
    palette = colormaps["tab20"].colors
    return {lab: palette[i % len(palette)] for i, lab in enumerate(labs)}


#: outcome colours once the default cycle's are all scenarios': black and greys apart from its grey (C7)
_OUTCOME_GREYS = ("black", "0.33", "0.66")


def outcome_colors(outcomes: Sequence[str], scenarios: Sequence[str]) -> dict[str, object]:
    """A colour per control outcome of the events figure that no scenario of the report has: outcomes took the
    default cycle's first colours, so "licence denied" was the orange that means the second scenario in every
    other figure. They take the cycle's colours past the scenarios', then black and greys (the outcomes also
    sit at their own offset in a row, so even a repeated colour stays apart in a dense cluster)."""
    taken = {i % 10 for i in range(len(scenarios))}
    palette = [f"C{i}" for i in range(10) if i not in taken] + list(_OUTCOME_GREYS)
    return {what: palette[j % len(palette)] for j, what in enumerate(outcomes)}


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _band(df: pd.DataFrame, value: str) -> pd.DataFrame:
    """Per date: median and 10-90 % across replications of `value` (already one value per date and replication).

    No rows when `value` has no finite value (pandas cannot take quantiles of a frame without columns).
    """
    df = df[np.isfinite(pd.to_numeric(df[value], errors="coerce").astype(float))]
    if df.empty:
        return pd.DataFrame({"lo": [], "mid": [], "hi": []}, dtype=float)
    wide = df.pivot_table(index="date", columns="replication", values=value, aggfunc="mean").sort_index()
    return pd.DataFrame({"lo": wide.quantile(BAND[0], axis=1), "mid": wide.median(axis=1), "hi": wide.quantile(BAND[1], axis=1)})


def _legend(ax, **kwargs) -> None:
    """A legend of what the panel draws, or a note that it draws nothing (a bare legend() warns and shows nothing)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)
    else:
        ax.text(0.5, 0.5, "no values", transform=ax.transAxes, ha="center", va="center", color="0.5")


def _break_gaps(band: pd.DataFrame, gap: pd.Timedelta = MAX_GAP) -> pd.DataFrame:
    """`band` with a NaN row inside every stretch longer than `gap` without a value: matplotlib joins the points
    it is given, so months without a delivery were drawn as a realised lead time rising along a straight line."""
    if len(band) < 2:  # nothing to join (an empty band has no dates at all)
        return band
    dates = band.index.to_series()
    after = dates[dates.diff() > gap]
    if after.empty:
        return band
    breaks = pd.DataFrame(np.nan, index=pd.DatetimeIndex(after - pd.Timedelta(days=1)), columns=band.columns)
    return pd.concat([band, breaks]).sort_index()


def _overlap(axes: Sequence, scenarios: Sequence[str]) -> str:
    """Lines of several scenarios that coincide (sweep points that change nothing drawn) striped in their
    colours (`coincident`), and a line for the title naming the scenarios identical throughout ("" if none).
    Called once the legend is made: it keeps each line's own style (a striped quoted line read as realised)."""
    text = note(show_coincident(axes, scenarios)) if len(scenarios) > 1 else ""
    return "\n" + text if text else ""


def _figure_legend(fig: Figure, axes: Sequence) -> None:
    """One legend below the panels naming every series any panel draws: a legend in each panel repeated the
    same entries and, with three scenarios, covered the data it named."""
    named: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            named.setdefault(label, handle)
    if named:
        fig.legend(list(named.values()), list(named.keys()), loc="outside lower center", fontsize=8,
                   ncol=min(6, (len(named) + 1) // 2))  # a column per scenario: its quoted over its realised


def _grid(n: int, width: float = 11.0, row_height: float = 3.0, cols: int = 2, sharex: bool = False,
          dates: bool = False) -> tuple[Figure, list]:
    """`n` panels in `cols` columns; `dates`: x axes of dates labelled concisely (`2023`, `Jul`), as the default
    `2023-01 2023-07 ...` ran into one another in a half-width panel of a few years."""
    cols = 1 if n == 1 else cols
    rows = int(np.ceil(n / cols))
    fig = new_figure(width, row_height * rows + 0.5)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=sharex).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[:n] if dates else []:
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    if sharex:  # the last panel of a column with an empty slot below it keeps its dates
        for ax in axes[max(0, n - cols):n]:
            ax.xaxis.set_tick_params(labelbottom=True)
    return fig, axes[:n]


def key_series(lead_times: pd.DataFrame, labs: Sequence[str], accelerators: Sequence[str] | None, limit: int = 6) -> list[str]:
    """Accelerators delivered to labs, those delivered in the most order lines first (then the most
    quoted); only if none was delivered, the most quoted. Ranking by quotes alone chose SKUs quoted
    on many flows and never delivered (a decades-long Ascend backlog) over the H100."""
    lt = lab_quotes(lead_times, labs, accelerators or None)
    quoted = lab_quotes(lt, column="quoted_days")  # a product never quoted has no line to draw
    count = quoted.groupby("product")["quoted_days"].count()
    delivered = lt.groupby("product")["realised_by_delivery_lines"].sum().reindex(count.index, fill_value=0)
    rank = pd.DataFrame({"delivered": delivered, "quoted": count})
    if (rank["delivered"] > 0).any():
        rank = rank[rank["delivered"] > 0]
    return rank.sort_values(["delivered", "quoted"], ascending=False).index[:limit].tolist()


def lead_time_figure(lead_times: pd.DataFrame, scenarios: Sequence[str], labs: Sequence[str],
                     accelerators: Sequence[str] | None = None) -> Figure | None:
    """Quoted (line, band) and realised-by-delivery (dashed) lead times of accelerators to labs, weeks."""
    products = key_series(lead_times, labs, accelerators)
    if not products:
        return None
    fig, axes = _grid(len(products), dates=True)
    colors = scenario_colors(scenarios)
    lt = lab_quotes(lead_times, labs)
    unquoted = lt["quoted_days"] == np.inf  # a supplier at zero capacity: no lead time to draw
    lt = lt.replace([np.inf, -np.inf], np.nan)
    backlog = lt["quoted_days"] > BACKLOG_WEEKS * 7.0  # not a lead time: left out rather than stretch the axis
    lt = lt.assign(quoted_days=lt["quoted_days"].mask(backlog))
    for ax, product in zip(axes, products):
        for sc in scenarios:
            d = lt[(lt["product"] == product) & (lt["scenario"] == sc)]
            if d.empty:
                continue
            per = d.groupby(["date", "replication"])[["quoted_days"]].mean()
            # realised: a mean over the lines delivered, not over flows (none: NaN, not 0)
            realised = d["realised_by_delivery_days"]
            lines = d["realised_by_delivery_lines"].where(realised.notna(), 0)
            at = [d["date"], d["replication"]]
            per["realised_by_delivery_days"] = (realised * lines).groupby(at).sum() / lines.groupby(at).sum().replace(0, np.nan)
            per = per.reset_index()
            color = colors[sc]  # one colour per scenario in every panel and figure, whichever series it lacks
            # every week of the series: one left out breaks the line, not bridged by a flat one
            q = _band(per, "quoted_days").reindex(sorted(per["date"].unique())) / 7.0
            if q["mid"].notna().any():
                ax.plot(q.index, q["mid"], lw=1.5, color=color, label=f"{sc} quoted", gid=sc)
                ax.fill_between(q.index, q["lo"], q["hi"], color=color, alpha=0.2, lw=0)
            r = _break_gaps(_band(per, "realised_by_delivery_days") / 7.0)
            if len(r):  # none when the product never reached a lab in the run
                alone = r["mid"].notna() & r["mid"].shift(1).isna() & r["mid"].shift(-1).isna()
                ax.plot(r.index, r["mid"], ls="--", lw=1, color=color, label=f"{sc} realised", gid=sc,
                        marker=".", ms=3, markevery=alone.to_numpy())  # a lone week's deliveries: a dot, not nothing
        mine = lt["product"] == product
        cut = [what for what, left in (("over 10 years", backlog), ("infinite (no capacity)", unquoted)) if left[mine].any()]
        ax.set_title(f"{product} to labs" + (f" (quotes {' or '.join(cut)} not drawn)" if cut else ""))
        ax.set_ylabel("lead time (weeks)")
        ax.set_ylim(bottom=0)  # from zero: an axis from 36 to 44 weeks drew a drift of a few weeks as a collapse
        ax.grid(alpha=0.3)
        if not ax.get_lines():
            _legend(ax)  # says "no values"
    _figure_legend(fig, axes)
    fig.suptitle(f"Lead times of accelerators to labs (median; band {BAND[0]:.0%}-{BAND[1]:.0%} across replications)\n"
                 f"{QUOTED_REALISED}" + _overlap(axes, scenarios), fontsize=10)
    return fig


def generations_figure(gens: pd.DataFrame, scenarios: Sequence[str], labs: Sequence[str]) -> Figure | None:
    """Release date of each generation per lab: the median over a scenario's replications, one that did not reach
    the generation counting as after the end (`summary.release_table`: the median of those that did drops the
    slowest and dates it early); whiskers min-max, and a `>` at the right end where some replications did not
    reach it (their release is after the end). A generation whose median is after the end is not drawn. A lab
    that released none (or a scenario of it that did not) keeps its panel, saying so: it was left out, so a lab
    of the fleet figure was missing here with nothing to say why. None when no lab released any."""
    gens = gens[gens["scenario"].isin(scenarios) & gens["date"].notna()]
    if not set(labs) & set(gens["lab"]):
        return None
    fig, axes = _grid(len(labs), row_height=2.8, sharex=True, dates=True)  # one run, one time axis: labs compare at a glance
    colors = scenario_colors(scenarios)
    for ax, lab in zip(axes, labs):
        none = []  # scenarios in which the lab released nothing (or nothing with a median before the end)
        for i, sc in enumerate(scenarios):
            d = gens[(gens["lab"] == lab) & (gens["scenario"] == sc)]
            if d.empty:  # the next scenario keeps its own colour (the axes' cycle gave it this one's)
                none.append(sc)
                continue
            runs = gens.loc[gens["scenario"] == sc, "replication"].nunique()
            s = d.groupby("generation")["date"].agg(["min", "max", "count"])
            s["median"] = pd.to_datetime(release_table(d, runs).set_index("generation")["release"])
            s = s[s["median"].notna()]
            if s.empty:
                none.append(sc)
                continue
            ax.step(s["median"], s.index, where="post", ls=_STYLES[i % len(_STYLES)], color=colors[sc], label=sc, gid=sc)
            ax.errorbar(s["median"], s.index, xerr=[s["median"] - s["min"], s["max"] - s["median"]], fmt="o", ms=3,
                        capsize=2, color=colors[sc])
            part = s[s["count"] < runs]
            if len(part):  # some replications released it after the end: the whisker's right end is not its max
                ax.plot(part["max"], part.index, ls="", marker=">", ms=5, color=colors[sc], gid=f"{sc} after the end")
        if none:
            ax.text(0.01, 0.97, "no generation released" + (f": {', '.join(none)}" if len(scenarios) > 1 else ""),
                    transform=ax.transAxes, va="top", fontsize=8, color="0.3")
        ax.set_title(lab)
        ax.set_ylabel("generation")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True) if ax.get_lines() else NullLocator())  # not a 0-1 scale
        ax.grid(alpha=0.3)
    _figure_legend(fig, axes)
    fig.suptitle("Model generations: release dates (median over replications, whiskers min-max)\na replication not "
                 "reaching a generation counts as after the end; >: some did not reach it" + _overlap(axes, scenarios))
    return fig


def fleet_figure(fleet: pd.DataFrame, scenarios: Sequence[str], labs: Sequence[str] | None = None) -> Figure | None:
    """Installed H100e, power and stranded H100e per lab over time (median, band across replications), of `labs`
    (None: every lab). One scenario: a colour per lab. Several: colour is the scenario's, as in the other figures,
    and the lab its line style (`lab_styles`); the legend names each once."""
    fleet = fleet[fleet["scenario"].isin(scenarios) & (fleet["lab"].isin(labs) if labs is not None else True)]
    if fleet.empty:
        return None
    fig = new_figure(11, 8.5)
    axes = fig.subplots(3, 1, sharex=True)
    labs = sorted(fleet["lab"].unique())
    compared = len(scenarios) > 1
    colors, styles, by_scenario = lab_colors(labs), lab_styles(labs), scenario_colors(scenarios)
    for ax, col, title, unit in zip(axes, ["installed_h100e", "power_mw", "stranded_h100e"],
                                    ["Installed accelerators (H100e)", "Power connected (MW; the fleet draws less)",
                                     "Stranded: delivered, waiting for power (H100e)"], ["H100e", "MW", "H100e"]):
        for sc in scenarios:
            for lab in labs:
                d = fleet[(fleet["scenario"] == sc) & (fleet["lab"] == lab)]
                if d.empty:
                    continue
                b = _band(d, col)
                if b.empty:
                    continue
                color = by_scenario[sc] if compared else colors[lab]
                ls, marker = styles[lab] if compared else ("-", None)
                ax.plot(b.index, b["mid"], ls=ls, marker=marker, markevery=0.1, ms=3, color=color, lw=1.2,
                        label=f"{lab} ({sc})" if compared else lab, gid=sc)
                ax.fill_between(b.index, b["lo"], b["hi"], color=color, alpha=0.15, lw=0)
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
        if col == "installed_h100e" and (fleet[col] > 0).any():  # fleets 100x apart: said in words, as a reader of
            ax.set_yscale("log")  # a panel copied into a briefing took the even steps of 1e5...1e8 for a linear axis
            ax.set_title(title.replace(")", ", log scale)"))
            ax.set_ylabel(f"{unit} (log scale)")
        else:  # whole numbers as the summary writes them: a "1e8" over the axis was read as the values
            ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        if not ax.get_lines():
            _legend(ax)  # says "no values"
    _fleet_legend(fig, axes[0], labs, scenarios if compared else [], styles, by_scenario)
    overlap = _overlap(axes, scenarios)
    if overlap:
        fig.suptitle(overlap.strip(), fontsize=9)
    return fig


def _fleet_legend(fig: Figure, ax, labs: Sequence[str], compared: Sequence[str],
                  styles: dict[str, tuple[object, str | None]], colors: dict[str, str]) -> None:
    """The fleet figure's legend: each lab once (its colour, or in a comparison its line style in grey) and each
    compared scenario once (its colour). Lab x scenario entries (24 for 12 labs in 2 scenarios) named no more.
    Past `MAX_LEGEND` labs (a generated network's 150) the labs are not named: the panel says how many."""
    drawn = {line.get_label().split(" (")[0] for line in ax.get_lines()}
    shown = [lab for lab in labs if lab in drawn]
    if not shown:
        return
    handles, names = [], []
    if len(shown) > MAX_LEGEND:
        ax.text(0.01, 0.97, f"{len(labs)} labs: no legend (the fleet table names them)", transform=ax.transAxes,
                va="top", fontsize=7, color="0.3")
    elif compared:
        handles += [Line2D([], [], color="0.3", ls=styles[lab][0], marker=styles[lab][1], ms=3) for lab in shown]
        names += shown
    else:
        handles, names = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color=colors[sc], lw=3) for sc in compared]
    names += [f"scenario {sc}" for sc in compared]
    if len(handles) > 6:  # beside the panels: 24 entries (12 labs, 2 scenarios) covered two years of data
        fig.legend(handles, names, fontsize=7, loc="outside right upper")
    elif handles:
        ax.legend(handles, names, fontsize=7, ncol=2)
