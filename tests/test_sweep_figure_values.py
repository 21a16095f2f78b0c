"""The sweep figure's values, read from matplotlib's objects against small sweep tables worked by hand: which stock
points of a chain without labs it draws first, a point's mean and min-max, and the line of means of a grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplychain.sweep_figure import sweep_figure


def _stock_sweep(demand: dict[str, float]) -> dict:
    """Two points of input x, one replication; each stock point's fill rate 0.9 and its demand as given."""
    points = pd.DataFrame({"point": [0, 1], "scenario": ["p0", "p1"], "x": [1.0, 2.0]})
    out = pd.DataFrame([{"point": p, "replication": 0, "node": node, "fill_rate": 0.9, "demand_units": units}
                        for node, units in demand.items() for p in range(2)])
    ranking = pd.DataFrame({"node": list(demand), "outcome": "fill_rate", "input": "x",
                            "spearman_rho": [0.1 * (i + 1) for i in range(len(demand))], "p_value": 0.5})
    return {"points": points, "stock_outcomes": out, "stock_sensitivity": ranking}


def test_a_chain_without_labs_draws_its_stock_points_of_most_demand_first():
    """Of three stock points, depot has the most demand (300 units): it is drawn first and its rho titles the
    panel, then store (200), then aisle (10), whatever their names' order."""
    fig = sweep_figure(_stock_sweep({"aisle": 10.0, "depot": 300.0, "store": 200.0}), [])
    ax = fig.axes[0]
    assert [c.get_label() for c in ax.containers] == ["depot", "store", "aisle"]
    assert ax.get_title() == "x\ndepot: rho +0.20, p 0.5 (most demand)"


def _lab_sweep(x: list[float], gaps: list[list[float]]) -> dict:
    """Lab L's mean gap at each point (one list per point: its replications) of input x."""
    points = pd.DataFrame({"point": range(len(x)), "scenario": [f"p{p}" for p in range(len(x))], "x": x})
    out = pd.DataFrame([{"point": p, "replication": r, "lab": "L", "mean_gap_days": g}
                        for p, reps in enumerate(gaps) for r, g in enumerate(reps)])
    ranking = pd.DataFrame({"lab": ["L"], "outcome": "mean_gap_days", "input": "x", "spearman_rho": [0.5], "p_value": 0.1})
    return {"points": points, "outcomes": out, "sensitivity": ranking}


def _means(ax) -> list[tuple[float, float]]:
    """(x, y) of the markers of the panel's (one) errorbar: the points' means."""
    (bar,) = ax.containers
    line = bar.lines[0]
    return list(zip(np.asarray(line.get_xdata(), float).tolist(), np.asarray(line.get_ydata(), float).tolist()))


def test_an_infinite_outcome_is_left_out_and_counted_as_undefined():
    """A point whose gap is infinite (no second generation) has no mean to draw: the panel draws the other two, and
    the title counts it with the undefined outcomes."""
    fig = sweep_figure(_lab_sweep([1.0, 2.0, 3.0], [[100.0], [110.0], [np.inf]]), ["L"])
    assert _means(fig.axes[0]) == [(1.0, 100.0), (2.0, 110.0)]
    assert "1 of 3 (point, lab) outcomes undefined (NaN), left out" in fig._suptitle.get_text()


def test_a_points_marker_is_the_mean_over_its_replications_and_its_bar_their_min_to_max():
    """Three replications of one point: 100, 110 and 150 days. The marker is their mean, 120 (their median is 110),
    the bar runs from 100 to 150."""
    fig = sweep_figure(_lab_sweep([1.0], [[100.0, 110.0, 150.0]]), ["L"])
    assert _means(fig.axes[0]) == [(1.0, 120.0)]
    (bar,) = fig.axes[0].containers
    (segment,) = bar.lines[2][0].get_segments()
    assert np.asarray(segment)[:, 1].tolist() == [100.0, 150.0]


def test_a_grids_points_that_share_a_value_are_joined_by_the_mean_at_each_value():
    """Points at x = 1, 1, 2, 2 (a grid over x and another input) with gaps 100, 120, 200, 220: a line joins the
    means at each value of x, 110 and 210 (x's own effect, the other input averaged out)."""
    ax = sweep_figure(_lab_sweep([1.0, 1.0, 2.0, 2.0], [[100.0], [120.0], [200.0], [220.0]]), ["L"]).axes[0]
    joined = [np.asarray(line.get_ydata(), float).tolist() for line in ax.get_lines()
              if np.asarray(line.get_xdata(), float).tolist() == [1.0, 2.0]]
    assert joined == [[110.0, 210.0]]


def test_a_yes_no_input_is_two_named_categories_in_the_order_given():
    """A switch swept True then False is drawn as two categories named True and False, True first (as the sweep
    gave them), not as the numbers 1 and 0."""
    tables = _lab_sweep([0.0, 0.0], [[100.0], [200.0]])
    tables["points"]["x"] = [True, False]
    ax = sweep_figure(tables, ["L"]).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["True", "False"]
    assert _means(ax) == [(0.0, 100.0), (1.0, 200.0)]
