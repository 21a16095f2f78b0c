"""A short human summary of one run: releases, peak quoted lead times, binding inputs, what the shocks and controls did.

Used by `supplychain run` (printed and written as summary.md). Works on the
concatenated tables of one or more replications (medians across them).
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from .engine.record import whole_days
from .summary_events import events_section

__all__ = ["summarise", "summary_rows", "largest_labs", "labs_by_size", "MAX_LABS", "share_text", "lab_quotes", "binding_inputs", "h100e_per_unit", "peak_lead_times", "release_table"]

#: a quote longer than this (10 years) is an order backlog, not a lead time anyone would be given: the
#: summary says "over 10 years", the comparison flags it, the lead-time figure leaves it out
BACKLOG_WEEKS = 520.0
#: the summary lists the peak quotes of this many accelerators (the longest) and says how many more there are
PEAKS_SHOWN = 12
#: and this many delay causes per lab (the largest shares)
BINDING_SHOWN = 3
#: most labs the per-lab figures draw and the summary lists (`largest_labs`): a generated network's 150 labs drew
#: 44 generation panels (a figure 62 inches tall) and 450 fleet lines, and printed a summary of 750 lines
MAX_LABS = 12


def largest_labs(fleet: pd.DataFrame, limit: int = MAX_LABS) -> list[str]:
    """The `limit` labs with the largest installed fleet (H100e) on the last date of the fleet table, any scenario
    or replication: the frontier labs a reader of the report looks for. Every lab when there are no more; sorted."""
    labs = fleet["lab"].dropna().unique().tolist()
    return sorted(labs if len(labs) <= limit else labs_by_size(fleet)[:limit])


def labs_by_size(fleet: pd.DataFrame) -> list[str]:
    """Every lab of the fleet table, the largest installed fleet (H100e) on its last date first (ties in the order
    the table names them): what `largest_labs` picks from, in the order a figure titled by its largest lab wants."""
    labs = fleet["lab"].dropna().unique().tolist()
    last = fleet[fleet["date"] == fleet["date"].max()] if "date" in fleet else fleet
    size = last.groupby("lab")["installed_h100e"].max().reindex(labs).fillna(0.0)
    return size.sort_values(ascending=False, kind="stable").index.tolist()


def _censored_median(days: pd.Series, runs: int) -> float:
    """The median over `runs` replications of which those in `days` reached the generation: the others count as
    released after the end (inf), so the median is exact while more than half reached it and inf (after the end)
    otherwise. The median of the reached ones alone is earlier: it drops the slowest replications."""
    return float(np.median(np.concatenate([days.to_numpy(dtype=float), np.full(max(runs - len(days), 0), np.inf)])))


def release_table(gens: pd.DataFrame, replications: int | None = None) -> pd.DataFrame:
    """Median release date per lab and generation over `replications` (default: those in `gens`), a replication
    that did not reach it counting as after the end; `release` is None when that median is after the end.
    `replications` (the column) says how many reached it, `reached_release` is the median of those only."""
    if gens.empty:
        return pd.DataFrame(columns=["lab", "generation", "release", "replications", "reached_release"])
    runs = gens["replication"].nunique() if replications is None else replications
    g = gens.groupby(["lab", "generation"]).agg(reached=("day", "median"), replications=("replication", "nunique"))
    g["day"] = gens.groupby(["lab", "generation"])["day"].apply(_censored_median, runs=runs)
    g = g.reset_index()
    first = gens["date"].idxmin()  # its date is the start plus its day, rounded as every date is
    start = gens.loc[first, "date"] - pd.Timedelta(days=float(whole_days(gens.loc[first, "day"])))

    def dated(days: pd.Series) -> pd.Series:
        finite = days.where(np.isfinite(days))
        return (start + pd.to_timedelta(whole_days(finite), unit="D")).dt.date.where(finite.notna(), None)

    g["release"], g["reached_release"] = dated(g["day"]), dated(g["reached"])
    return g[["lab", "generation", "release", "replications", "reached_release"]]


def lab_quotes(lead_times: pd.DataFrame, labs: Iterable[str] | None = None, products: Iterable[str] | None = None,
               column: str | None = None) -> pd.DataFrame:
    """The rows of `lead_times` the labs' figures read: to a customer in `labs` (None: any), of a product
    in `products` (None: any), with a finite `column` if one is named (a backlog's inf or a week
    without deliveries is no figure). The summary, comparison, sweep and report all take them here."""
    lt = lead_times if labs is None else lead_times[lead_times["customer"].isin(set(labs))]
    if products is not None:
        lt = lt[lt["product"].isin(set(products))]
    if column is not None:
        lt = lt[np.isfinite(lt[column].astype(float))]
    return lt


def peak_lead_times(lead_times: pd.DataFrame, fleet_labs: set[str] | None = None,
                    products: Iterable[str] | None = None, column: str = "quoted_days") -> pd.DataFrame:
    """Peak quoted lead time (weeks) per product delivered to labs: each replication's own
    peak, then the median across replications, as the summary's other figures are.

    The date and customer are those of the median-ranked replication's peak (the lower
    of the two middle ones for an even count), so they name a peak that happened rather
    than the worst draw. A table without a `replication` column is one replication.
    `products` keeps those only (the accelerators: labs also take grid power). `column`
    `realised_by_order_days` gives the longest that orders of one week took instead.
    """
    lt = lab_quotes(lead_times, fleet_labs, products, column)
    if lt.empty:
        return pd.DataFrame(columns=["product", "peak_weeks", "date", "customer"])
    lt = lt.reset_index(drop=True)  # concatenated replications repeat index labels
    if "replication" not in lt.columns:
        lt = lt.assign(replication=0)
    per_rep = lt.loc[lt.groupby(["product", "replication"])[column].idxmax()]
    rows = []
    for product, grp in per_rep.groupby("product"):
        ranked = grp.sort_values([column, "replication"], kind="stable")
        pick = ranked.iloc[(len(ranked) - 1) // 2]
        rows.append({"product": product, "peak_weeks": ranked[column].median() / 7.0,
                     "date": pick["date"], "customer": pick["customer"]})
    return pd.DataFrame(rows).sort_values("peak_weeks", ascending=False, kind="stable").reset_index(drop=True)


def h100e_per_unit(products: pd.Series, h100e: Mapping[str, float] | None) -> pd.Series:
    """H100e per unit of each row's product: the weight of a lab order in the delay-cause shares. A product
    without an H100e figure (or with no map given) counts one per unit, so its orders are not dropped."""
    return products.map(dict(h100e or {})).astype(float).fillna(1.0)


def binding_inputs(orders: pd.DataFrame, products_h100e: dict[str, float] | None = None) -> pd.DataFrame:
    """Share of lab-ordered H100e (or units) whose dominant delay was each cause, per lab."""
    lab = orders[(orders["kind"] == "lab") & orders["cause"].notna()].copy()
    if lab.empty:
        return pd.DataFrame(columns=["lab", "cause", "share"])
    lab["w"] = h100e_per_unit(lab["product"], products_h100e) * lab["qty"]
    tot = lab.groupby("lab")["w"].sum()
    out = lab.groupby(["lab", "cause"])["w"].sum().reset_index()
    out["share"] = out["w"] / out["lab"].map(tot)
    return out.sort_values(["lab", "share"], ascending=[True, False]).groupby("lab").head(BINDING_SHOWN)[["lab", "cause", "share"]]


def share_text(share: float) -> str:
    """A share as a whole percentage, `<1%` for a cause that bound some orders but rounds to nothing: `0%` read as
    a cause listed by mistake (lab_0041: power:lab_0041 0%)."""
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def _release(generation: int, release: dt.date | None, reached: int, reps: int, reached_release: dt.date) -> str:
    """`g9 2034-05-01`, saying how many replications reached it when not all did (its date is the median over
    all, those that did not counting as after the end), and when half or more did not, that the median
    is after the end, with the median of those that reached it."""
    if release is None:
        return f"g{generation} after the end at the median (in {reached} of {reps} replications, their median {reached_release})"
    text = f"g{generation} {release}"
    return text if reached >= reps else f"{text} (in {reached} of {reps} replications)"


def summary_rows(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Of one replication's tables, the rows `summarise` and `compare_tables` read: the labs' fleets on
    the last day, their generations, the peak quotes to labs and the labs' orders, the stock points,
    and which replication it is. A run folder's summary, and a lean comparison, are built from these
    one replication at a time: whole tables are ~50 MB a baseline replication in pandas, these under 1 MB."""
    out: dict[str, pd.DataFrame] = {}
    fleet = tables.get("fleet")
    labs: set[str] = set()
    if fleet is not None:
        labs = set(fleet["lab"].unique()) if len(fleet) else set()
        out["fleet"] = fleet[fleet["day"] == fleet["day"].max()] if len(fleet) else fleet
    lt, orders = tables.get("lead_times"), tables.get("orders")
    if lt is not None:  # per product, the rows of this replication's peaks: all `peak_lead_times` picks from
        lt = lt[lt["customer"].isin(labs)]
        peaks: set[int] = set()
        for column in ("quoted_days", "realised_by_order_days"):
            if column in lt.columns:
                finite = lt[lt[column].notna() & (lt[column] < float("inf"))]
                peaks.update(finite.groupby("product")[column].idxmax().tolist())
        if "quoted_days" in lt.columns:  # and the weeks without a finite quote, which the peaks' notes count
            peaks.update(lt.index[lt["quoted_days"] == float("inf")].tolist())
        out["lead_times"] = lt.loc[sorted(peaks)]
    if orders is not None:
        lab = orders[orders["kind"] == "lab"]
        out["orders"] = lab[[c for c in ("scenario", "replication", "kind", "lab", "product", "qty", "cause") if c in lab]]
    for name in ("generations", "stocks", "events"):  # (events: a thousand rows a baseline replication)
        if name in tables:
            out[name] = tables[name]
    if "nodes" in tables:  # only to count the replication when there are no labs and no stock points
        out["nodes"] = tables["nodes"][["scenario", "replication"]].drop_duplicates()
    return out


def summarise(tables: dict[str, pd.DataFrame], products_h100e: dict[str, float], name: str) -> str:
    fleet = tables["fleet"]
    labs = set(fleet["lab"].unique()) if not fleet.empty else set()
    lines = [f"# {name}", ""]
    # every table may be empty (a network without labs has no fleet rows), the nodes table rarely is
    reps = max([t["replication"].nunique() for t in tables.values() if "replication" in t and not t.empty] or [1])
    lines.append(f"Replications: {reps}. Figures are medians across replications.\n")
    if labs or not tables["generations"].empty:  # the generic kernel alone has no labs to speak of
        lines += _lab_sections(tables, labs, reps, products_h100e)
    seen = sorted({int(r) for t in tables.values() if "replication" in t for r in t["replication"].unique()})
    events = events_section(tables.get("events"), seen or [0])
    if events and lines[-1]:  # a heading after the fleet's last line: a blank line first
        lines.append("")
    lines += events
    stock = _stock_section(tables.get("stocks"))
    if stock and lines[-1] and not lines[-1].endswith("\n"):  # a heading after the fleet's last line: a blank line first
        lines.append("")
    lines += stock
    return "\n".join(lines) + "\n"


def _unquoted_weeks(lead_times: pd.DataFrame, labs: set[str], products: Iterable[str] | None) -> dict[str, float]:
    """Per product to labs, the median over replications of the weeks it had no finite quote (a supplier
    at zero capacity quotes inf, which the peak leaves out)."""
    lt = lab_quotes(lead_times, labs, products)
    if "quoted_days" not in lt or "replication" not in lt:
        return {}
    every = pd.MultiIndex.from_frame(lt[["product", "replication"]].drop_duplicates())  # a replication without counts 0
    lt = lt[lt["quoted_days"] == float("inf")]
    weeks = lt.drop_duplicates(["product", "replication", "day"]).groupby(["product", "replication"]).size()
    return weeks.reindex(every, fill_value=0).groupby("product").median().to_dict()


def _lab_sections(tables: dict[str, pd.DataFrame], labs: set[str], reps: int, products_h100e: dict[str, float]) -> list[str]:
    """Releases, peak quotes, what bound the labs' orders, the fleets at the end."""
    fleet = tables["fleet"]
    lines: list[str] = []
    listed = set(largest_labs(fleet)) if not fleet.empty else None  # None: every lab (a run without fleet rows)
    if listed is not None and len(listed) < len(labs):  # 150 labs of a generated network printed 750 lines
        lines.append(f"{len(labs)} labs: listed are the {len(listed)} with the largest installed fleet at the end "
                     "(peak quotes are over every lab); the generations, orders and fleet tables have them all.\n")
    rel = release_table(tables["generations"], reps)
    if listed is not None:
        rel = rel[rel["lab"].isin(listed)]
    lines.append("## Model generations (release dates)\n")
    if rel.empty:
        lines.append("No generation released.\n")
    else:
        for lab, grp in rel.groupby("lab"):
            lines.append(f"- {lab}: " + ", ".join(_release(int(r.generation), r.release, int(r.replications), reps,
                                                           r.reached_release) for r in grp.itertuples()))
        if (rel["replications"] < reps).any():  # the median of those that reached it drops the slowest: say which
            lines.append("\nA date is the median over all replications, one that did not reach the generation "
                         "counting as after the end.")
        lines.append("")
    lt = tables["lead_times"]
    peaks = peak_lead_times(lt, labs, products_h100e)
    took: dict[str, float] = {}  # the longest the orders of one week took to arrive, per product
    if "realised_by_order_days" in lt.columns:
        took = peak_lead_times(lt, labs, products_h100e, "realised_by_order_days").set_index("product")["peak_weeks"].to_dict()
    lines.append("## Peak quoted lead time, accelerators to labs\n")
    shown = peaks.head(PEAKS_SHOWN)
    unquoted = _unquoted_weeks(lt, labs, products_h100e)
    for r in shown.itertuples():
        weeks = f"{r.peak_weeks:.0f} weeks" if r.peak_weeks <= BACKLOG_WEEKS else "over 10 years (orders far beyond capacity)"
        # a weekly mean (of one flow's lines ordered that week), not a maximum: "took at most 64 weeks" was read
        # as no order taking longer, while single H20 lines took 66
        realised = (f"; the orders of the slowest order week that arrived took {took[r.product]:.0f} weeks on average"
                    if r.product in took else "")
        none = unquoted.get(r.product, 0)
        none = f"; no finite quote in {none:.0f} weeks (a supplier at zero capacity), left out of the peak" if none else ""
        lines.append(f"- {r.product}: {weeks} ({pd.Timestamp(r.date).date()}, to {r.customer}){realised}{none}")
    if peaks.empty:  # a heading with nothing under it read as a table that failed to print
        lines.append("- no quote to a lab (no accelerator on sale to one during the run)")
    if len(peaks) > len(shown):  # say so: a reader looks for the SKU they care about (B200, ...) and it is cut
        lines.append(f"- {len(peaks) - len(shown)} more accelerators peaked lower (the `lead_times` table has them)")
    lines.append("")
    bind = binding_inputs(tables["orders"], products_h100e)
    if listed is not None:
        bind = bind[bind["lab"].isin(listed)]
    lines.append(f"## What bound the labs' orders (dominant delay, share of ordered H100e over all replications; "
                 f"the {BINDING_SHOWN} largest per lab)\n")  # pooled, not a median: say so under the header's "medians"
    for r in bind.itertuples():
        lines.append(f"- {r.lab}: {r.cause} {share_text(r.share)}")
    if bind.empty:
        lines.append("- no lab order with a delay cause (none placed, or none that waited)")
    if not fleet.empty:
        cols = ["installed_h100e", "stranded_h100e", "power_mw", "power_used_mw"]
        last = fleet[(fleet["day"] == fleet["day"].max()) & fleet["lab"].isin(listed)]
        last = last.groupby("lab")[[c for c in cols if c in fleet]].median()
        lines.append("\n## Fleet at the end\n")
        for lab, r in last.iterrows():
            drawn = f" ({r.power_used_mw:,.0f} MW drawn)" if "power_used_mw" in last else ""
            lines.append(f"- {lab}: {r.installed_h100e:,.0f} H100e installed, {r.stranded_h100e:,.0f} stranded, "
                         f"{r.power_mw:,.0f} MW connected{drawn}")
    return lines


def _stock_section(stocks: pd.DataFrame | None) -> list[str]:
    """The generic kernel's stock points: fill rate, stock and backorders (medians over replications)."""
    lines: list[str] = []
    if stocks is not None and not stocks.empty:
        lines.append("## Stock points (the generic kernel)\n")
        cols = ["fill_rate", "mean_on_hand", "mean_backorders", "demand_units"]
        for (node, item), r in stocks.groupby(["node", "item"])[cols].median().iterrows():
            fill = "n/a (no demand)" if pd.isna(r.fill_rate) else f"{r.fill_rate:.3f}"
            lines.append(f"- {node} ({item}): fill rate {fill}, mean on hand {r.mean_on_hand:,.2f}, "
                         f"mean backorders {r.mean_backorders:,.2f}, demand {r.demand_units:,.0f} units")
    return lines
