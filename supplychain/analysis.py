"""Pace metrics and paired comparisons with confidence intervals.

Pure functions of the tables (`generations`, `lead_times`, `orders`, `fleet`)
of one experiment holding several scenarios. Replication r of every scenario
ran on the same seeds (common random numbers), so differences are taken per
replication and summarised by their mean and a 95 % t interval
(`scipy.stats.t`); with one replication the interval is reported as n/a.

A generation that a lab reaches in one scenario but not in the other within
the horizon is *censored*: it is not a paired difference, so it is counted
apart with the bound the horizon gives (the delay is at least `end - release + 1` days, the end date being
a day the run runs).
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .columns import empty, typed
from .summary import binding_inputs, h100e_per_unit, lab_quotes

__all__ = ["t_interval", "across_replications", "paired_releases", "summarise_pairs", "release_delays", "mean_gaps",
           "gap_changes", "throttle", "peak_quoted", "peak_changes", "binding", "binding_by_generation",
           "compare_tables", "stock_changes", "STOCK_VALUES", "CONFIDENCE"]

CONFIDENCE = 0.95


def t_interval(values: Iterable[float], confidence: float = CONFIDENCE) -> tuple[int, float, float, float]:
    """(n, mean, low, high) of the mean by a t interval; low/high are NaN with fewer than 2 values."""
    x = pd.Series(list(values), dtype=object).dropna().to_numpy(dtype=float)  # None, NaN and pd.NA (a Float64 column)
    n = len(x)
    if n == 0:
        return 0, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return n, mean, math.nan, math.nan
    if (x == x[0]).all():  # exactly: np.std of six equal 0.7s is 1.2e-16, an interval of rounding noise
        return n, mean, mean, mean
    sd = float(x.std(ddof=1))
    lo, hi = stats.t.interval(confidence, n - 1, loc=mean, scale=sd / math.sqrt(n))
    return n, mean, float(lo), float(hi)


def across_replications(table: pd.DataFrame, value: str, by: Sequence[str] = ("date",),
                        confidence: float = CONFIDENCE, weight: str | None = None) -> pd.DataFrame:
    """Per scenario and `by` (e.g. each week's `date`): mean of `value` over replications and its t interval.

    Rows of one replication in a group (several suppliers of a product, or customers) are averaged
    first, so each replication counts once; by `weight` if given (`realised_by_order_lines` for
    `realised_by_order_days`: a mean over lines, not over flows), else plainly. Replications without
    a value there (no line ordered that week) are left out and `n` says how many remain. One row per
    group: `scenario`, `by`..., `n`, `mean`, `ci_low`, `ci_high` (NaN with one replication).
    """
    by = [by] if isinstance(by, str) else list(by)  # by="date": one column, not its letters
    keys = ["scenario", *by] if "scenario" in table.columns and "scenario" not in by else list(by)
    groups = [*keys, "replication"]
    if weight is None:
        per_rep = table.groupby(groups, observed=True, sort=True)[value].mean().dropna()
    else:
        has = table[value].notna() & (table[weight] > 0)
        t = table.loc[has, groups].assign(_vw=table.loc[has, value] * table.loc[has, weight], _w=table.loc[has, weight])
        sums = t.groupby(groups, observed=True, sort=True)[["_vw", "_w"]].sum()
        per_rep = sums["_vw"] / sums["_w"]
    g = per_rep.groupby(level=list(range(len(keys))), sort=True).agg(["count", "mean", "std", "nunique"])
    n = g["count"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):  # as `t_interval`: NaN below 2, exact when all agree
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * g["std"].to_numpy() / np.sqrt(n)
    half = np.where(n < 2, np.nan, np.where(g["nunique"].to_numpy() == 1, 0.0, half))  # std of equal floats: ~1e-16
    out = g.index.to_frame(index=False)
    return out.assign(n=n.astype(np.int64), mean=g["mean"].to_numpy(), ci_low=g["mean"].to_numpy() - half,
                      ci_high=g["mean"].to_numpy() + half)


def _ci_note(n: int, low: float = math.nan, high: float = math.nan) -> str:
    """What the interval cannot say: none from one replication; none of width from differences all equal, which
    a `[-9, -9]` from two replications does not say (it is no certainty, only no spread to measure). A `+0 [+0, +0]`
    reads right as it is (no change in any replication) and gets no note: a policy that never acted printed dozens."""
    if n >= 2 and low == high and low != 0:
        return f"same in all {n} replications"
    return "CI n/a (1 paired replication)" if n == 1 else ("no pairs" if n == 0 else "")


def _replications(fleet: pd.DataFrame, scenario: str) -> list[int]:
    return sorted(fleet.loc[fleet["scenario"] == scenario, "replication"].unique().tolist())


def paired_releases(gens: pd.DataFrame, a: str, b: str, replications: Sequence[int], end_day: float) -> pd.DataFrame:
    """Per replication, lab and generation reached in `a` or `b`: days in each and `b - a`.

    `status` is `paired`, `only_a` (b did not reach it: b - a >= bound) or
    `only_b` (a did not reach it: b - a <= -bound); `bound_days` = end_day + 1 - release. `end_day` is
    the run's last day (its end date, which it runs): a generation not released by then is released on
    day `end_day + 1` at the earliest (releases fall on whole days), so `end - release` fell a day short,
    0 for a release on the last day.
    """
    cols = ["replication", "lab", "generation"]
    da = gens.loc[(gens["scenario"] == a) & gens["replication"].isin(replications), cols + ["day"]].rename(columns={"day": "day_a"})
    db = gens.loc[(gens["scenario"] == b) & gens["replication"].isin(replications), cols + ["day"]].rename(columns={"day": "day_b"})
    m = da.merge(db, on=cols, how="outer")
    m["diff_days"] = m["day_b"] - m["day_a"]
    m["status"] = np.where(m["day_a"].notna() & m["day_b"].notna(), "paired", np.where(m["day_a"].notna(), "only_a", "only_b"))
    m["bound_days"] = end_day + 1 - m["day_a"].fillna(m["day_b"])
    m.loc[m["status"] == "paired", "bound_days"] = np.nan
    return m.sort_values(cols).reset_index(drop=True)


def summarise_pairs(pairs: pd.DataFrame, value: str, by: list[str], n_reps: int, names: tuple[str, str] = ("a", "b"),
                    what: str = "delay") -> pd.DataFrame:
    """Mean, 95 % CI and counts of `value` over paired rows, per `by` group; censored counted apart.

    `names` label the two sides in the note; `what` names the difference (b - a).
    """
    rows = []
    for key, grp in pairs.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        paired = grp[grp["status"] == "paired"]
        n, mean, lo, hi = t_interval(paired[value])
        only_a, only_b = grp[grp["status"] == "only_a"], grp[grp["status"] == "only_b"]
        note = _ci_note(n, lo, hi)
        if len(only_a):
            note = (note + "; " if note else "") + (f"censored: reached only in {names[0]} in {len(only_a)}/{n_reps}, "
                                                    f"{what} >= {max(only_a['bound_days'].min(), 0.0):.0f} d")
        if len(only_b):
            note = (note + "; " if note else "") + (f"censored: reached only in {names[1]} in {len(only_b)}/{n_reps}, "
                                                    f"{what} <= {-max(only_b['bound_days'].min(), 0.0) + 0.0:.0f} d")
        rows.append({**dict(zip(by, key)), "day_a_mean": paired["day_a"].mean() if n else grp["day_a"].mean(),
                     "day_b_mean": paired["day_b"].mean() if n else grp["day_b"].mean(), "n": n, "mean": mean,
                     "ci_low": lo, "ci_high": hi, "censored_only_a": len(only_a), "censored_only_b": len(only_b),
                     "note": note})
    cols = by + ["day_a_mean", "day_b_mean", "n", "mean", "ci_low", "ci_high", "censored_only_a", "censored_only_b", "note"]
    return pd.DataFrame(rows, columns=cols)


def release_delays(gens: pd.DataFrame, baseline: str, scenario: str, replications: Sequence[int],
                   end_day: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per lab and generation: release delay of `scenario` vs `baseline` with CI; the censored rows)."""
    pairs = paired_releases(gens, baseline, scenario, replications, end_day)
    s = summarise_pairs(pairs, "diff_days", ["lab", "generation"], len(replications), (baseline, scenario), "delay")
    s = s.rename(columns={"day_a_mean": "baseline_day", "day_b_mean": "scenario_day", "mean": "delay_days",
                          "censored_only_a": "censored_baseline_only", "censored_only_b": "censored_scenario_only"})
    s.insert(0, "scenario", scenario)
    s.insert(1, "baseline", baseline)
    cens = pairs[pairs["status"] != "paired"].copy()
    cens["reached_in"] = np.where(cens["status"] == "only_a", baseline, scenario)
    cens["scenario"] = scenario
    cens["baseline"] = baseline
    cens = cens.rename(columns={"day_a": "baseline_day", "day_b": "scenario_day"})
    return s, cens[["scenario", "baseline", "replication", "lab", "generation", "reached_in", "baseline_day",
                    "scenario_day", "bound_days"]].reset_index(drop=True)


def mean_gaps(gens: pd.DataFrame, fleet: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, replication and lab: generations released and the mean gap between them (days)."""
    labs = fleet[["scenario", "replication", "lab"]].drop_duplicates()
    g = gens.groupby(["scenario", "replication", "lab"]).agg(generations=("generation", "count"),
                                                              mean_gap_days=("gap_days", "mean"),
                                                              last_release_day=("day", "max")).reset_index()
    out = labs.merge(g, on=["scenario", "replication", "lab"], how="left")
    out["generations"] = out["generations"].fillna(0).astype(int)
    return out.sort_values(["scenario", "replication", "lab"]).reset_index(drop=True)


def gap_changes(gaps: pd.DataFrame, baseline: str, scenario: str) -> pd.DataFrame:
    """Per lab: change in mean gap between generations (scenario - baseline), paired by replication."""
    a = gaps[gaps["scenario"] == baseline].set_index(["replication", "lab"])
    b = gaps[gaps["scenario"] == scenario].set_index(["replication", "lab"])
    m = a.merge(b, left_index=True, right_index=True, how="inner", suffixes=("_a", "_b")).reset_index()
    rows = []
    for lab, grp in m.groupby("lab"):
        diff = grp["mean_gap_days_b"] - grp["mean_gap_days_a"]
        n, mean, lo, hi = t_interval(diff)
        gens_a, gens_b = grp["generations_a"].mean(), grp["generations_b"].mean()
        note = _ci_note(n, lo, hi) if n or len(grp) == 0 else "fewer than 2 generations: no gap"
        if n and gens_a != gens_b:  # a ban that stops a lab's later, slower generations shortens its mean gap
            note = "; ".join(x for x in (note, "means over different generations: read "
                                               "release_delays") if x)
        rows.append({"scenario": scenario, "baseline": baseline, "lab": lab,
                     "baseline_mean_gap_days": grp["mean_gap_days_a"].mean(), "scenario_mean_gap_days": grp["mean_gap_days_b"].mean(),
                     "change_days": mean, "ci_low": lo, "ci_high": hi, "n": n,
                     "baseline_generations": gens_a, "scenario_generations": gens_b, "note": note})
    return pd.DataFrame(rows, columns=["scenario", "baseline", "lab", "baseline_mean_gap_days", "scenario_mean_gap_days",
                                       "change_days", "ci_low", "ci_high", "n", "baseline_generations",
                                       "scenario_generations", "note"])


def throttle(gens: pd.DataFrame, scenario: str, counterfactual: str, replications: Sequence[int],
             end_day: float) -> pd.DataFrame:
    """Per lab and generation: release day of `scenario` minus its unconstrained counterfactual (paired)."""
    pairs = paired_releases(gens, counterfactual, scenario, replications, end_day)
    s = summarise_pairs(pairs, "diff_days", ["lab", "generation"], len(replications), ("the unconstrained run", scenario),
                        "throttle")
    s = s.rename(columns={"day_a_mean": "unconstrained_day", "day_b_mean": "scenario_day", "mean": "throttle_days",
                          "censored_only_a": "censored_unconstrained_only", "censored_only_b": "censored_scenario_only"})
    s.insert(0, "scenario", scenario)
    return s


def peak_quoted(lead_times: pd.DataFrame, labs: Iterable[str], products: Iterable[str] | None = None) -> pd.DataFrame:
    """Per scenario, replication and product delivered to labs: the peak quoted lead time (days) over
    the finite quotes, and the weeks without one (`unquoted_weeks`: a supplier with no capacity, as in
    a total outage, quotes inf), which the peak cannot show."""
    keys = ["scenario", "replication", "product"]
    lt = lab_quotes(lead_times, labs, products)
    q = lt["quoted_days"].astype(float)
    peaks = lt[np.isfinite(q)].groupby(keys)["quoted_days"].max().rename("peak_quoted_days")
    weeks = lt[q == np.inf].drop_duplicates([*keys, *(["day"] if "day" in lt else [])])  # one row a week per supplier
    unquoted = weeks.groupby(keys).size().rename("unquoted_weeks")
    out = pd.concat([peaks, unquoted], axis=1).reset_index()
    return out.assign(unquoted_weeks=out["unquoted_weeks"].fillna(0).astype(int))


def peak_changes(peaks: pd.DataFrame, baseline: str, scenario: str) -> pd.DataFrame:
    """Per product: change in peak quoted lead time (weeks), paired by replication."""
    cols = {"peak_quoted_days": "", "unquoted_weeks": "unquoted_"}
    a, b = (peaks[peaks["scenario"] == who].set_index(["replication", "product"]) for who in (baseline, scenario))
    m = pd.concat({f"{pre}{side}": frame[col] for col, pre in cols.items() if col in peaks
                   for side, frame in (("a", a), ("b", b))}, axis=1).reset_index()
    if "unquoted_weeks" in peaks:
        m = m.assign(unquoted_a=m["unquoted_a"].fillna(0), unquoted_b=m["unquoted_b"].fillna(0))
    rows = []
    for product, grp in m.groupby("product"):
        both = grp.dropna(subset=["a", "b"])
        n, mean, lo, hi = t_interval((both["b"] - both["a"]) / 7.0)
        notes = [_ci_note(n, lo, hi)]
        if len(both) < len(grp):
            notes.append(f"quoted in one scenario only in {len(grp) - len(both)} replication(s)")
        if "unquoted_a" in grp:  # a quote of inf is left out of the peak: say so, or an outage reads as no change
            notes += [f"no finite quote in {w:.3g} week(s) of {who} (mean per replication), left out of its peak"
                      for who, w in ((baseline, grp["unquoted_a"].mean()), (scenario, grp["unquoted_b"].mean())) if w > 0]
        note = "; ".join(x for x in notes if x)
        rows.append({"scenario": scenario, "baseline": baseline, "product": product,
                     "baseline_peak_weeks": grp["a"].mean() / 7.0, "scenario_peak_weeks": grp["b"].mean() / 7.0,
                     "change_weeks": mean, "ci_low": lo, "ci_high": hi, "n": n, "note": note})
    return pd.DataFrame(rows, columns=["scenario", "baseline", "product", "baseline_peak_weeks", "scenario_peak_weeks",
                                       "change_weeks", "ci_low", "ci_high", "n", "note"])


def binding(orders: pd.DataFrame, scenarios: Sequence[str], h100e: dict[str, float]) -> pd.DataFrame:
    """Which inputs bound: top dominant delay causes of the labs' orders, per scenario and lab."""
    parts = []
    for name in scenarios:
        b = binding_inputs(orders[orders["scenario"] == name], h100e)
        b.insert(0, "scenario", name)
        parts.append(b)
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["scenario", "lab", "cause", "share"])


def binding_by_generation(orders: pd.DataFrame, gens: pd.DataFrame, h100e: dict[str, float]) -> pd.DataFrame:
    """Share of H100e delivered to a lab while it trained each generation, by dominant delay cause."""
    cols = ["scenario", "lab", "generation", "cause", "share"]
    lab = orders[(orders["kind"] == "lab") & orders["delivered"].notna() & orders["cause"].notna()]
    if lab.empty or gens.empty:
        return pd.DataFrame(columns=cols)
    lab = lab.assign(w=h100e_per_unit(lab["product"], h100e) * lab["delivered_qty"].fillna(lab["qty"]))
    windows = gens[["scenario", "replication", "lab", "generation", "started_day", "day"]]
    m = lab[["scenario", "replication", "lab", "delivered", "cause", "w"]].merge(windows, on=["scenario", "replication", "lab"])
    m = m[(m["delivered"] >= m["started_day"]) & (m["delivered"] < m["day"])]
    if m.empty:
        return pd.DataFrame(columns=cols)
    w = m.groupby(["scenario", "lab", "generation", "cause"])["w"].sum().reset_index()
    w["share"] = w["w"] / w.groupby(["scenario", "lab", "generation"])["w"].transform("sum")
    return w[cols].sort_values(["scenario", "lab", "generation", "share"], ascending=[True, True, True, False]).reset_index(drop=True)


#: a stock point's outcomes a comparison pairs (the `stocks` table's)
STOCK_VALUES = ("fill_rate", "mean_on_hand", "mean_backorders")


def stock_changes(stocks: pd.DataFrame | None, baseline: str, name: str) -> pd.DataFrame:
    """Per stock point and outcome (the generic kernel): the baseline's and the scenario's means and the
    paired difference (scenario - baseline) over replications, with its 95 % t interval."""
    rows = []
    if stocks is not None and len(stocks):
        a = stocks[stocks["scenario"] == baseline].set_index(["node", "replication"])
        b = stocks[stocks["scenario"] == name].set_index(["node", "replication"])
        for node in sorted(set(a.index.get_level_values(0)) & set(b.index.get_level_values(0))):
            xa, xb = a.loc[node], b.loc[node]
            for value in STOCK_VALUES:
                n, mean, lo, hi = t_interval((xb[value] - xa[value]).dropna())
                rows.append({"scenario": name, "baseline": baseline, "node": node, "outcome": value,
                             "baseline_mean": float(xa[value].mean()), "scenario_mean": float(xb[value].mean()), "n": n,
                             "change": mean, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows, columns=["scenario", "baseline", "node", "outcome", "baseline_mean", "scenario_mean", "n",
                                       "change", "ci_low", "ci_high"])


def compare_tables(tables: dict[str, pd.DataFrame], baseline: str, scenarios: Sequence[str], *, end_day: float,
                   h100e: dict[str, float], counterfactuals: dict[str, str] | None = None,
                   key_products: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """All comparison tables of `scenarios` against `baseline` (see module docstring).

    `counterfactuals` maps a scenario name (baseline included) to the name of
    its unconstrained run in `tables`; `key_products` are the accelerators
    whose quoted lead time to labs is compared (default: all products sold to labs).
    `end_day` is the last day every run covers (the shortest run's `end - start`): releases after it
    are left out, so a run that ended sooner is not read as one that missed a generation (its
    bound, end - release, was negative) and gaps compare the same window. A no-op when all runs
    have the same span, as a run never reaches day `end - start + 1`.
    """
    gens, fleet = tables["generations"], tables["fleet"]
    gens = gens[gens["day"] < end_day + 1]
    labs = sorted(fleet["lab"].unique().tolist())
    reps = _replications(fleet, baseline)
    delays, censored, gap_rows, peak_rows, thr = [], [], [], [], []
    gaps = mean_gaps(gens, fleet)
    peaks = peak_quoted(tables["lead_times"], labs, key_products)
    for name in scenarios:
        common = sorted(set(reps) & set(_replications(fleet, name)))
        d, c = release_delays(gens, baseline, name, common, end_day)
        delays.append(d)
        censored.append(c)
        gap_rows.append(gap_changes(gaps, baseline, name))
        peak_rows.append(peak_changes(peaks, baseline, name))
    for name, cf in (counterfactuals or {}).items():
        common = sorted(set(_replications(fleet, name)) & set(_replications(fleet, cf)))
        thr.append(throttle(gens, name, cf, common, end_day))

    def cat(frames: list[pd.DataFrame]) -> pd.DataFrame | None:
        full = [f for f in frames if len(f)]
        return pd.concat(full, ignore_index=True) if full else None

    names = [baseline, *scenarios]
    out = {
        "release_delays": cat(delays),
        "censored": cat(censored),
        "gaps": cat(gap_rows),
        "mean_gaps": gaps[gaps["scenario"].isin(names)].reset_index(drop=True),
        "throttle": cat(thr),  # none without counterfactuals: the table is empty, with its columns
        "peak_lead_times": cat(peak_rows),
        "binding": binding(tables["orders"], names, h100e),
        "stock_changes": cat([stock_changes(tables.get("stocks"), baseline, name) for name in scenarios]),
    }
    return {k: empty(k) if v is None else typed(v, k) for k, v in out.items()}
