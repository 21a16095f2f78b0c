"""Intervals across replications (`analysis.across_replications`) against scipy by hand: each scenario apart,
a group no replication has a value in left out, a weighted mean over the lines of positive weight."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from supplychain.analysis import across_replications


def _by_hand(values: list[float]) -> tuple[int, float, float, float]:
    x = np.asarray(values)
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return len(x), x.mean(), x.mean() - half, x.mean() + half


def test_each_scenario_gets_its_own_interval_over_its_own_replications():
    """Two scenarios of one experiment share replication numbers (common random numbers): pooled, each would get
    the mean of both and an interval over 2n values."""
    d = pd.Timestamp("2022-01-01")
    t = pd.DataFrame({"scenario": ["a"] * 3 + ["b"] * 4, "replication": [0, 1, 2, 0, 1, 2, 3], "date": d,
                      "v": [1.0, 2.0, 4.0, 10.0, 13.0, 11.0, 17.0]})
    got = across_replications(t, "v").set_index("scenario")
    for name, values in (("a", [1.0, 2.0, 4.0]), ("b", [10.0, 13.0, 11.0, 17.0])):
        assert got.loc[name, ["n", "mean", "ci_low", "ci_high"]].tolist() == pytest.approx(_by_hand(values), rel=1e-12)


def test_a_group_no_replication_has_a_value_in_has_no_row():
    """A week no replication ordered in has no mean and no interval: no row, not a row of n = 0."""
    d = pd.DatetimeIndex(["2022-01-01", "2022-01-08", "2022-01-15"])
    t = pd.DataFrame({"scenario": "s", "replication": [0, 1, 0, 1, 0, 1], "date": d[[0, 0, 1, 1, 2, 2]],
                      "v": [3.0, 5.0, np.nan, np.nan, 7.0, 6.0]})
    got = across_replications(t, "v")
    assert got["date"].tolist() == [d[0], d[2]] and got["n"].tolist() == [2, 2]
    assert got.iloc[1][["mean", "ci_low", "ci_high"]].tolist() == pytest.approx(_by_hand([7.0, 6.0])[1:], rel=1e-12)


def test_a_weighted_mean_is_over_the_lines_and_a_row_of_no_lines_counts_for_nothing():
    """`weight=` (lines): each replication's value is its line-weighted mean, then the t interval across
    replications; a row with a value but no lines (weight 0) is no observation: a group of such rows has no row."""
    t = pd.DataFrame({"scenario": "s", "replication": [0, 0, 1, 1, 2, 0, 1], "k": [0, 0, 0, 0, 0, 1, 1],
                      "v": [10.0, 20.0, 30.0, 60.0, 40.0, 5.0, 6.0], "w": [1, 3, 2, 1, 5, 0, 0]})
    got = across_replications(t, "v", by="k", weight="w")
    assert got["k"].tolist() == [0]
    per_rep = [(10 * 1 + 20 * 3) / 4, (30 * 2 + 60 * 1) / 3, 40.0]
    assert got.iloc[0][["n", "mean", "ci_low", "ci_high"]].tolist() == pytest.approx(_by_hand(per_rep), rel=1e-12)


def test_the_confidence_level_is_two_sided():
    """`confidence=0.9`: the 0.95 quantile of t with n - 1 degrees of freedom, over sqrt(n)."""
    t = pd.DataFrame({"scenario": "s", "replication": range(5), "date": pd.Timestamp("2022-01-01"),
                      "v": [2.0, 4.0, 3.0, 8.0, 5.0]})
    got = across_replications(t, "v", confidence=0.9).iloc[0]
    x = t["v"].to_numpy()
    half = stats.t.ppf(0.95, 4) * stats.sem(x)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((x.mean() - half, x.mean() + half), rel=1e-12)
