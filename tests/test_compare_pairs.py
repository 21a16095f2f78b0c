"""The comparison tables computed by hand from small tables: censored generations on either side and their bounds,
the means beside a paired difference, gaps, peak quotes and stock points (`analysis`). Runs of the engine:
test_compare."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from supplychain.analysis import (compare_tables, gap_changes, mean_gaps, peak_changes, peak_quoted, release_delays,
                                  stock_changes, t_interval)


def _gens(scenario: str, rows: list[tuple[int, int, float]]) -> pd.DataFrame:
    """(replication, generation, day) of lab `lab`."""
    return pd.DataFrame([{"scenario": scenario, "replication": r, "lab": "lab", "generation": g, "day": d,
                          "started_day": 0.0, "gap_days": np.nan} for r, g, d in rows])


def test_a_generation_released_on_the_last_day_only_in_one_run_is_at_least_a_day_apart():
    """The end date is a day the run runs (day 1000 of `end_day=1000`): released on it in the baseline alone, the
    scenario's release is on day 1001 at the earliest. The bound read `end - release`, "delay >= 0 d"."""
    gens = pd.concat([_gens("base", [(0, 0, 100.0), (0, 1, 1000.0)]), _gens("scen", [(0, 0, 100.0)])])
    s, cens = release_delays(gens, "base", "scen", [0], end_day=1000.0)
    assert s.set_index("generation").loc[1, "note"] == "no pairs; censored: reached only in base in 1/1, delay >= 1 d"
    assert cens["bound_days"].tolist() == [1.0]


def test_censored_generations_on_either_side_are_kept_with_the_smallest_bound_and_paired_days_apart():
    """g0 reached in both in 2 of 3 replications and in the baseline only in the third; g1 in the baseline only, on
    days 400 and 500 (bounds 601 and 501: day 1000 is the last, so the other run releases on day 1001 at the
    earliest; the delay is at least the smaller); g2 in the scenario only. The days
    beside a paired delay are the means over the paired replications, not over the censored one too."""
    gens = pd.concat([_gens("base", [(0, 0, 100.0), (1, 0, 110.0), (2, 0, 300.0), (0, 1, 400.0), (1, 1, 500.0)]),
                      _gens("scen", [(0, 0, 130.0), (1, 0, 150.0), (0, 2, 900.0)])])
    s, cens = release_delays(gens, "base", "scen", [0, 1, 2], end_day=1000.0)
    s = s.set_index("generation")
    _, _, lo, hi = t_interval([30.0, 40.0])
    g0 = s.loc[0]
    assert (g0["baseline_day"], g0["scenario_day"], g0["n"], g0["delay_days"]) == (105.0, 140.0, 2, 35.0)
    assert (g0["ci_low"], g0["ci_high"]) == pytest.approx((lo, hi))
    assert g0["note"] == "censored: reached only in base in 1/3, delay >= 701 d"
    assert s.loc[1, "note"] == "no pairs; censored: reached only in base in 2/3, delay >= 501 d"
    assert (s.loc[1, "n"], s.loc[1, "censored_baseline_only"], s.loc[1, "baseline_day"]) == (0, 2, 450.0)
    assert s.loc[2, "note"] == "no pairs; censored: reached only in scen in 1/3, delay <= -101 d"
    assert (s.loc[2, "censored_scenario_only"], s.loc[2, "scenario_day"]) == (1, 900.0)
    cens = cens.sort_values(["generation", "replication"])
    assert cens[["generation", "replication", "reached_in", "bound_days"]].values.tolist() == [
        [0, 2, "base", 701.0], [1, 0, "base", 601.0], [1, 1, "base", 501.0], [2, 0, "scen", 101.0]]


def test_mean_gaps_keep_a_lab_without_a_release_and_average_its_gaps():
    """Gaps of 100, 200 and 600 days: a mean of 300 (their median is 200). A lab of the fleet with no release has a
    row of 0 generations, not none."""
    gens = _gens("s", [(0, g, d) for g, d in enumerate([0.0, 100.0, 300.0, 900.0])])
    gens["gap_days"] = [np.nan, 100.0, 200.0, 600.0]
    fleet = pd.DataFrame({"scenario": "s", "replication": 0, "lab": ["lab", "idle"]})
    g = mean_gaps(gens, fleet).set_index("lab")
    assert (g.loc["lab", "generations"], g.loc["lab", "mean_gap_days"], g.loc["lab", "last_release_day"]) == (4, 300.0, 900.0)
    assert g.loc["idle", "generations"] == 0 and np.isnan(g.loc["idle", "mean_gap_days"])


def test_gap_changes_pair_replications_both_ran_and_a_lab_without_gaps_says_only_that():
    """The baseline's third replication, which the scenario lacks, is in no mean: the means are those the change is
    the difference of. A lab of one release in the baseline and none in the scenario has no gap to compare, and
    the note says that alone (not also that the means are over different generations: there are none)."""
    gaps = pd.DataFrame({"scenario": ["base"] * 3 + ["scen"] * 2, "replication": [0, 1, 2, 0, 1], "lab": "lab",
                         "generations": 5, "mean_gap_days": [100.0, 110.0, 400.0, 130.0, 150.0]})
    g = gap_changes(gaps, "base", "scen").iloc[0]
    assert (g["n"], g["change_days"], g["baseline_mean_gap_days"], g["scenario_mean_gap_days"]) == (2, 35.0, 105.0, 140.0)
    none = pd.DataFrame({"scenario": ["base", "scen"], "replication": 0, "lab": "lab", "generations": [1, 0],
                         "mean_gap_days": np.nan})
    assert gap_changes(none, "base", "scen").iloc[0]["note"] == "fewer than 2 generations: no gap"


def test_peak_quotes_count_a_week_without_a_finite_quote_once_and_note_a_peak_of_one_scenario():
    """Two suppliers quoting inf in the same week are one week without a quote. A replication with a peak in one
    scenario only is no pair: n counts the pairs and the note says how many were left out; with every replication
    paired there is no note."""
    lt = pd.DataFrame({"scenario": "s", "replication": 0, "customer": "lab", "product": "h100",
                       "supplier": ["a", "b", "a", "b"], "day": [7.0, 7.0, 14.0, 14.0],
                       "quoted_days": [np.inf, np.inf, 70.0, 60.0]})
    assert peak_quoted(lt, ["lab"]).iloc[0][["peak_quoted_days", "unquoted_weeks"]].tolist() == [70.0, 1]
    peaks = pd.DataFrame({"scenario": ["b", "b", "s", "s"], "replication": [0, 1, 0, 1], "product": "h100",
                          "peak_quoted_days": [70.0, 84.0, 140.0, np.nan]})
    p = peak_changes(peaks, "b", "s").iloc[0]
    assert (p["n"], p["change_weeks"]) == (1, 10.0)
    assert p["note"] == "CI n/a (1 paired replication); quoted in one scenario only in 1 replication(s)"
    paired = peak_changes(peaks.fillna(168.0), "b", "s").iloc[0]
    assert (paired["n"], paired["change_weeks"], paired["note"]) == (2, 11.0, "")


def test_stock_changes_compare_the_stock_points_both_runs_have_each_sides_mean_its_own():
    """The baseline's mean is the baseline's, the scenario's the scenario's; a stock point one topology lacks is
    not compared (it raised a KeyError when looked up in the run without it)."""
    stocks = pd.DataFrame({"scenario": ["b", "b", "s", "s", "s"], "replication": [0, 1, 0, 1, 0],
                           "node": ["depot", "depot", "depot", "depot", "extra"], "fill_rate": [0.8, 0.9, 0.95, 0.97, 1.0],
                           "mean_on_hand": [10.0, 12.0, 15.0, 19.0, 1.0], "mean_backorders": [2.0, 1.0, 0.5, 0.5, 0.0]})
    ch = stock_changes(stocks, "b", "s").set_index("outcome")
    assert set(ch["node"]) == {"depot"}
    on_hand = ch.loc["mean_on_hand"]
    assert (on_hand["baseline_mean"], on_hand["scenario_mean"], on_hand["change"], on_hand["n"]) == (11.0, 17.0, 6.0, 2)
    assert ch.loc["mean_backorders", ["baseline_mean", "scenario_mean", "change"]].tolist() == [1.5, 0.5, -1.0]


def test_compare_tables_keep_a_release_in_the_last_part_day_and_only_the_compared_runs_gaps():
    """A release at day 730.5 of runs of 730 days (the last day, the end date, is in the run) is compared, not left
    out; `mean_gaps` holds the baseline's and the scenarios' rows, not their unconstrained counterfactuals'."""
    gens = pd.concat([_gens(name, [(0, 0, 100.0), (0, 1, day)])
                      for name, day in (("base", 700.0), ("late", 730.5), ("base__unconstrained", 600.0))])
    fleet = pd.DataFrame({"scenario": ["base", "late", "base__unconstrained"], "replication": 0, "lab": "lab"})
    tables = {"generations": gens, "fleet": fleet,
              "lead_times": pd.DataFrame(columns=["scenario", "replication", "customer", "product", "quoted_days"]),
              "orders": pd.DataFrame(columns=["scenario", "replication", "kind", "cause", "product", "qty", "lab"])}
    out = compare_tables(tables, "base", ["late"], end_day=730.0, h100e={},
                         counterfactuals={"base": "base__unconstrained"})
    assert out["release_delays"]["delay_days"].tolist() == [0.0, 30.5] and out["censored"].empty
    assert set(out["mean_gaps"]["scenario"]) == {"base", "late"}
    assert out["throttle"]["throttle_days"].tolist() == [0.0, 100.0]


def test_a_delivery_on_the_day_a_generation_is_released_counts_for_the_next_one():
    """Windows are [started, released): a delivery on g0's release day, the day g1 starts, trained g1 alone."""
    from supplychain.analysis import binding_by_generation

    orders = pd.DataFrame({"scenario": "s", "replication": 0, "lab": "lab", "kind": "lab", "product": "h100",
                           "qty": 10.0, "delivered_qty": 10.0, "delivered": [100.0, 120.0], "cause": ["queue:a", "queue:b"]})
    gens = pd.DataFrame({"scenario": "s", "replication": 0, "lab": "lab", "generation": [0, 1],
                         "started_day": [60.0, 120.0], "day": [120.0, 300.0]})
    b = binding_by_generation(orders, gens, {"h100": 1.0}).set_index(["generation", "cause"])["share"]
    assert b.to_dict() == {(0, "queue:a"): 1.0, (1, "queue:b"): 1.0}
