"""A sweep's outcomes: the tables its sensitivity ranking reads, and its printout.

Per point, replication and lab: the generations released, the mean gap between them (the
pace) and the peak quoted lead time to the lab; per point, replication and stock point (the
generic kernel): fill rate, mean stock and mean backorders (`stocks`).
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from .analysis import STOCK_VALUES, mean_gaps
from .sensitivity import date_days, text_codes
from .summary import BACKLOG_WEEKS, lab_quotes

__all__ = ["PACE", "OUTCOMES", "STOCK_OUTCOMES", "OUTCOME_TABLES", "outcome_rows", "outcomes_table", "stock_outcomes_table",
           "sweep_text"]

#: the outcome the ranking is printed for: mean days between generations (lower = faster pace)
PACE = "mean_gap_days"
OUTCOMES = ("mean_gap_days", "generations", "last_release_day", "peak_quoted_weeks")
#: the outcomes of a stock point (the generic kernel), per point, replication and node: the `stocks` table's
STOCK_OUTCOMES = STOCK_VALUES


#: what `outcomes_table` reads; a sweep keeps only these in memory (every table is on disk with --out)
OUTCOME_TABLES = ("generations", "fleet", "lead_times", "stocks")


def outcome_rows(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Of one replication's lead times, the quotes to labs: all `outcomes_table` uses."""
    out = dict(tables)
    lt = tables["lead_times"]
    labs = set(tables["fleet"]["lab"].unique())
    out["lead_times"] = lt.loc[lt["customer"].isin(labs), ["scenario", "replication", "customer", "product", "day", "quoted_days"]]
    return out


def outcomes_table(tables: dict[str, pd.DataFrame], points: pd.DataFrame, labs: Sequence[str],
                   accelerators: Sequence[str] | None) -> pd.DataFrame:
    """One row per point, replication and lab: inputs, then outcomes (releases, mean gap, peak lead time)."""
    gaps = mean_gaps(tables["generations"], tables["fleet"])
    lt = tables["lead_times"]
    per_lab = lab_quotes(lt, labs, accelerators or None, "quoted_days")
    lab_peak = (per_lab.groupby(["scenario", "replication", "customer"])["quoted_days"].max() / 7.0).rename("peak_quoted_weeks")
    lab_peak = lab_peak.reset_index().rename(columns={"customer": "lab"})
    # weeks with no finite quote (a supplier at zero capacity quotes inf, which the peak leaves out): a
    # six-month outage would otherwise read as a point whose peak did not move
    quoted = lab_quotes(lt, labs, accelerators or None)
    inf = quoted[quoted["quoted_days"] == float("inf")].drop_duplicates(["scenario", "replication", "customer", "day"])
    unquoted = inf.groupby(["scenario", "replication", "customer"]).size().rename("unquoted_weeks").reset_index()
    lab_peak = lab_peak.merge(unquoted.rename(columns={"customer": "lab"}), on=["scenario", "replication", "lab"], how="outer")
    out = gaps.merge(lab_peak, on=["scenario", "replication", "lab"], how="left")
    out["unquoted_weeks"] = out["unquoted_weeks"].fillna(0).astype("int64")
    gens = tables["generations"]
    if len(gens):
        wide = gens.pivot_table(index=["scenario", "replication", "lab"], columns="generation", values="day", aggfunc="first")
        wide.columns = [f"release_day_g{int(g)}" for g in wide.columns]
        out = out.merge(wide.reset_index(), on=["scenario", "replication", "lab"], how="left")
    out = points.merge(out, on="scenario", how="right")
    first = ["point", "scenario", "replication", *[c for c in points.columns if c not in ("point", "scenario")], "lab"]
    return out[first + [c for c in out.columns if c not in first]].sort_values(["point", "replication", "lab"]).reset_index(drop=True)


def stock_outcomes_table(stocks: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """One row per point, replication and stock point: inputs, then its fill rate, mean stock and backorders."""
    keep = ["scenario", "replication", "node", "item", *STOCK_OUTCOMES, "demand_units"]
    out = points.merge(stocks[keep], on="scenario", how="right")
    first = ["point", "scenario", "replication", *[c for c in points.columns if c not in ("point", "scenario")], "node"]
    return out[first + [c for c in out.columns if c not in first]].sort_values(["point", "replication", "node"]).reset_index(drop=True)


def _signed(x: float) -> str:
    """A coefficient with its sign, a rounding error's -0.000 as +0.000: an input without effect (SRC -2e-16 in a
    sweep of a CoWoS growth that acts after the run) read as a small negative one."""
    text = f"{x:+.3f}"
    return "+0.000" if text == "-0.000" else text


def _ranking(lines: list[str], sens: pd.DataFrame, outcome: str, by: str, title: str, what: str, none: str) -> None:
    """The printed ranking of the inputs for one outcome (`what` names it, `none` says why there is none)."""
    lines += ["", title, ""]
    chosen = sens[sens["outcome"] == outcome]
    s = chosen[chosen["rank"].notna()][[by, "rank", "input", "src", "spearman_rho", "p_value", "n"]]
    if s.empty:
        lines.append(f"    n/a ({none})")
        return
    signed = {c: _signed for c in ("src", "spearman_rho")}  # a p-value has no sign: "+0.333" read as a direction
    lines += ["    " + line for line in s.to_string(index=False, formatters={**signed, "p_value": "{:.3f}".format}).splitlines()]
    unranked = chosen[chosen["rank"].isna()].groupby(by)["input"].agg(", ".join)
    if len(unranked):
        lines += ["", f"Not ranked (rho and SRC undefined: the input or {what} did not vary), rank empty in the table:", ""]
        lines += [f"    {who}: {inputs}" for who, inputs in unranked.items()]


def _stock_text(points: pd.DataFrame, stock_out: pd.DataFrame, stock_sens: pd.DataFrame) -> list[str]:
    """The stock points' part of the sweep's printout (the generic kernel)."""
    lines = ["", "Stock points, per point (means over replications):", ""]
    agg = stock_out.groupby(["point", "node"])[list(STOCK_OUTCOMES)].mean().reset_index()
    agg = points.drop(columns="scenario").merge(agg, on="point")
    lines += ["    " + line for line in agg.to_string(index=False, float_format=lambda x: f"{x:.4g}", na_rep="-").splitlines()]
    _ranking(lines, stock_sens, "fill_rate", "node", "Sensitivity of the fill rate, ranked by |SRC|:", "the fill rate",
             "no variation")
    return lines


def _coded(points: pd.DataFrame) -> list[str]:
    """How the text inputs were ranked: as 0, 1, ... in the order given (`sensitivity.text_codes`). An order
    of `labs.ordering` or `rsi.preset` values is the user's, not the data's: a rho of +0.9 means "later in the
    list", and with three or more values the ranking assumes the list is in an order that means something. A date
    input is ranked by date (`sensitivity.date_days`), whatever order it was given in."""
    lines = []
    for col in (c for c in points.columns if c not in ("point", "scenario")):
        if date_days(points[col]) is not None:
            lines.append(f"{col} is ranked by date (days since its earliest value): a positive rho or SRC means a "
                         "later date raises the outcome")
            continue
        codes = text_codes(points[col])
        if codes:
            order = ", ".join(f"{v}={i}" for v, i in codes.items())
            lines.append(f"{col} is ranked as {order} (the order given): a positive rho or SRC means a later value "
                         "raises the outcome" + ("; with three or more values that order is taken to mean something"
                                                 if len(codes) > 2 else ""))
    return ["", *lines] if lines else []


def sweep_text(points: pd.DataFrame, outcomes: pd.DataFrame, sens: pd.DataFrame, reps: int,
          stock_out: pd.DataFrame | None = None, stock_sens: pd.DataFrame | None = None) -> str:
    lines = [f"{len(points)} point(s) x {reps} replication(s)."]
    if stock_out is not None and len(stock_out):
        lines += _stock_text(points, stock_out, stock_sens)
        if outcomes.empty:  # the generic kernel alone: no labs, no pace to rank
            return "\n".join(lines + _coded(points)) + "\n"
    lines += ["", "Per point (means over replications):", ""]
    agg = outcomes.groupby(["point", "lab"])[["generations", "mean_gap_days", "peak_quoted_weeks"]].mean().reset_index()
    agg = points.drop(columns="scenario").merge(agg, on="point")
    # outcomes in the units the summary writes (generations to a tenth, days and weeks whole), inputs as given
    agg = agg.round({"generations": 1, "mean_gap_days": 0, "peak_quoted_weeks": 0})
    backlog = agg["peak_quoted_weeks"] > BACKLOG_WEEKS
    lines += ["    " + line for line in agg.to_string(index=False, float_format=lambda x: f"{x:g}", na_rep="-").splitlines()]
    if backlog.any():  # a quote over 10 years is a backlog far beyond capacity, not a lead time anyone faces
        who = ", ".join(sorted(set(agg.loc[backlog, "lab"])))
        lines += ["", f"peak_quoted_weeks over {BACKLOG_WEEKS:.0f} (10 years) is a backlog far beyond capacity, not a "
                      f"lead time ({who})"]
    counts = agg.groupby("lab")["generations"].nunique()
    if (counts > 1).any():  # a point that stops a lab early drops its later, slower gaps: a shorter mean, not a faster pace
        who = ", ".join(sorted(counts.index[counts > 1]))
        lines += ["", f"{PACE} is over different numbers of generations across points ({who}): a point that stops a "
                      "lab early can show a shorter mean gap; read it beside generations and release_day_g* of outcomes"]
    missing = outcomes[outcomes[PACE].isna()].groupby("lab")["point"]
    if len(missing.size()):  # a lab too slow for a second release has no gap: the slowest runs drop out of the means
        none = outcomes.groupby(["lab", "point"])[PACE].count().eq(0).groupby("lab").sum()
        who = "; ".join(f"{lab}: {n} of {len(outcomes[outcomes['lab'] == lab])} point-replications"
                        + (f", every replication of {none[lab]} point(s)" if none[lab] else "")
                        for lab, n in missing.size().items())
        lines += ["", f"{PACE} is undefined (fewer than 2 generations) in {who}: a point's mean is over the replications "
                      "that have one, a point without any is left out of the ranking (its n), so the slowest runs count "
                      "least; read generations beside it"]
    _ranking(lines, sens, PACE, "lab", f"Sensitivity of the pace ({PACE}: mean days between generations), ranked by |SRC|:",
             "the pace", "fewer than 2 generations, fewer than 3 points, or no variation")
    return "\n".join(lines + _coded(points)) + "\n"
