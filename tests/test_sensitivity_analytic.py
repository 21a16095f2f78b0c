"""The sensitivity ranking against figures computed by hand: SRC, rho, exact permutation p-values, the
boundaries of `SMALL_N` and `MIN_POINTS`, and how a point's replications and missing inputs count."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from supplychain.sensitivity import MIN_POINTS, SMALL_N, sensitivity, spearman


def _exact_p(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided p of Spearman's rho by every pairing of the ranks: the share with |rho| at least the one seen."""
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    seen = abs(np.corrcoef(rx, ry)[0, 1])
    rhos = [abs(np.corrcoef(np.array(p), ry)[0, 1]) for p in permutations(rx)]
    return sum(r >= seen - 1e-12 for r in rhos) / len(rhos)


def test_one_inputs_src_is_pearsons_r_and_a_points_outcome_is_its_mean_over_replications():
    """With one input the standardised regression coefficient is Pearson's r of the input and the outcome (both
    standardised alike, ddof 1); the outcome of a point is its mean over replications (not the median: the
    replications' spread is skewed here, so the two differ)."""
    a = np.array([0.1, 0.4, 0.2, 0.9, 0.6, 0.3])
    reps = np.array([[100.0, 104.0, 130.0], [150.0, 151.0, 200.0], [90.0, 120.0, 121.0],
                     [260.0, 262.0, 300.0], [170.0, 240.0, 241.0], [140.0, 141.0, 180.0]])
    out = pd.DataFrame([{"point": i, "replication": r, "lab": "L", "a": a[i], "mean_gap_days": reps[i, r]}
                        for i in range(6) for r in range(3)])
    s = sensitivity(out, ["a"], ["mean_gap_days"]).iloc[0]
    means = reps.mean(axis=1)
    assert not np.allclose(means, np.median(reps, axis=1))  # the premise
    assert s["n"] == 6 and s["src"] == pytest.approx(stats.pearsonr(a, means)[0], rel=1e-12)
    assert s["spearman_rho"] == pytest.approx(stats.spearmanr(a, means)[0], rel=1e-12)


def test_a_point_missing_an_input_leaves_the_ranking_and_n_counts_the_rest():
    """A point without a value of an input (a parameter its policy does not take) is no evidence about it: left
    out of that outcome's rho and SRC, n the points that remain."""
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    b = np.array([3.0, 1.0, 4.0, 1.5, 5.0, 9.0, np.nan])
    y = np.array([10.0, 14.0, 13.0, 20.0, 26.0, 25.0, 40.0])
    s = sensitivity(pd.DataFrame({"lab": "L", "a": a, "b": b, "mean_gap_days": y}), ["a", "b"],
                    ["mean_gap_days"]).set_index("input")
    assert (s["n"] == 6).all()
    assert s.loc["a", "spearman_rho"] == pytest.approx(stats.spearmanr(a[:6], y[:6])[0])
    assert s.loc["b", "spearman_rho"] == pytest.approx(stats.spearmanr(b[:6], y[:6])[0])
    Z = np.column_stack([np.ones(6), stats.zscore(a[:6], ddof=1), stats.zscore(b[:6], ddof=1)])
    coef = np.linalg.lstsq(Z, stats.zscore(y[:6], ddof=1), rcond=None)[0]
    assert s.loc[["a", "b"], "src"].tolist() == pytest.approx(coef[1:].tolist())


def test_three_points_and_two_inputs_give_rho_but_no_src_and_rank_by_rho():
    """Three points fit two inputs and an intercept exactly: no SRC (it would be a perfect fit, not evidence),
    but rho is measured from `MIN_POINTS` points on, with its exact p (2 of the 3! pairings give |rho| = 1),
    and the inputs rank by |rho| (the tie-break), not in the order given."""
    assert MIN_POINTS == 3
    df = pd.DataFrame({"lab": "L", "b": [1.0, 3.0, 2.0], "a": [1.0, 2.0, 3.0], "mean_gap_days": [10.0, 20.0, 30.0]})
    s = sensitivity(df, ["b", "a"], ["mean_gap_days"]).set_index("input")
    assert s["src"].isna().all() and (s["n"] == 3).all()
    assert s.loc["a", "spearman_rho"] == pytest.approx(1.0) and s.loc["b", "spearman_rho"] == pytest.approx(0.5)
    assert s.loc["a", "p_value"] == pytest.approx(2 / 6) and s.loc["b", "p_value"] == pytest.approx(1.0)
    assert (s.loc["a", "rank"], s.loc["b", "rank"]) == (1, 2)
    four = pd.concat([df, pd.DataFrame({"lab": "L", "b": [5.0], "a": [4.0], "mean_gap_days": [35.0]})])
    assert sensitivity(four, ["b", "a"], ["mean_gap_days"])["src"].notna().all(), "one point more: the SRC is measured"


def test_a_small_samples_p_value_is_that_of_every_pairing_of_the_ranks():
    """Below `SMALL_N` points the p-value is the permutation test on the ranks (exact: 5! = 120 pairings, fewer
    than the 9999 resamples), not on the values: the outlier 100 would make Pearson's r of the values another test."""
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([1.0, 3.0, 2.0, 100.0, 4.0])
    rho, p = spearman(x, y)
    assert rho == pytest.approx(stats.spearmanr(x, y)[0])
    assert p == pytest.approx(_exact_p(x, y))
    values = [abs(np.corrcoef(np.array(q), y)[0, 1]) for q in permutations(x)]
    assert p != pytest.approx(sum(v >= abs(np.corrcoef(x, y)[0, 1]) - 1e-12 for v in values) / 120)  # the premise


def test_from_small_n_points_on_the_p_value_is_scipys():
    """At exactly `SMALL_N` points scipy's t approximation takes over (a resampled p would differ from it)."""
    assert SMALL_N == 10
    x = np.arange(10.0)
    y = np.array([2.0, 1.0, 4.0, 3.0, 7.0, 5.0, 6.0, 9.0, 8.0, 0.0])
    rho, p = spearman(x, y)
    want = stats.spearmanr(x, y)
    assert (rho, p) == pytest.approx((want[0], want[1]), rel=1e-12)
    _, p9 = spearman(x[:9], y[:9])
    assert p9 != pytest.approx(stats.spearmanr(x[:9], y[:9])[1], rel=1e-6), "below it, the permutation test"
