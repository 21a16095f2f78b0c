"""What the report's figures choose to draw, worked by hand from small tables: the band and median of a lead time,
the realised line's mean over order lines, the order of the panels, which labs the fleet figure draws and its legend
names, how many replications date a generation, and which panel's title says quotes were left out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from supplychain.figures import fleet_figure, generations_figure, lead_time_figure

START = pd.Timestamp("2024-01-01")


def _lead_times(rows: list[tuple]) -> pd.DataFrame:
    """(scenario, replication, product, customer, day, quoted, realised, lines) rows as a lead-time table."""
    lt = pd.DataFrame(rows, columns=["scenario", "replication", "product", "customer", "day", "quoted_days",
                                     "realised_by_delivery_days", "realised_by_delivery_lines"])
    return lt.assign(date=START + pd.to_timedelta(lt["day"], unit="D"))


def _band_y(ax) -> tuple[float, float]:
    """The lowest and highest y of the panel's (one) band."""
    (band,) = ax.collections
    ys = np.concatenate([path.vertices[:, 1] for path in band.get_paths()])
    return float(np.nanmin(ys)), float(np.nanmax(ys))


def test_the_quoted_line_is_the_median_over_replications_and_the_band_their_10_to_90_percent():
    """Three replications quote 70, 140 and 700 days every week: the line is the median, 140 days (20 weeks, not
    the mean's 43.3), and the band numpy's 10 % and 90 % quantiles, 84 and 588 days (12 and 84 weeks)."""
    rows = [("s", r, "h100", "lab_a", 7.0 * w, q, np.nan, 0) for w in range(5) for r, q in enumerate((70.0, 140.0, 700.0))]
    ax = lead_time_figure(_lead_times(rows), ["s"], ["lab_a"]).axes[0]
    (line,) = ax.get_lines()
    assert line.get_label() == "s quoted" and np.allclose(np.asarray(line.get_ydata(), dtype=float), 20.0)
    assert np.allclose(_band_y(ax), (12.0, 84.0))


def test_the_realised_line_is_a_mean_over_the_order_lines_delivered_not_over_the_labs():
    """In one week lab_a got 3 lines after 70 days and lab_b 1 line after 210 days: the realised lead time is
    (3 x 70 + 210) / 4 = 105 days, 15 weeks (the mean over the two labs would be 140 days, 20 weeks)."""
    rows = [r for w in range(4) for r in (("s", 0, "h100", "lab_a", 7.0 * w, 140.0, 70.0, 3),
                                          ("s", 0, "h100", "lab_b", 7.0 * w, 140.0, 210.0, 1))]
    ax = lead_time_figure(_lead_times(rows), ["s"], ["lab_a", "lab_b"]).axes[0]
    realised = next(line for line in ax.get_lines() if line.get_label() == "s realised")
    assert np.allclose(np.asarray(realised.get_ydata(), dtype=float), 15.0)


def test_panels_go_by_lines_delivered_and_only_a_panel_with_left_out_quotes_says_so():
    """b200 was delivered in 5 order lines and quoted in 2 weeks, h100 in 1 line and quoted in 10 weeks: b200's
    panel comes first (lines delivered rank before quotes). Only b200 had quotes over 10 years; the h100 panel's
    title does not say any were left out of it."""
    rows = [("s", 0, "h100", "lab_a", 7.0 * w, 140.0, 140.0 if w == 0 else np.nan, 1 if w == 0 else 0) for w in range(10)]
    rows += [("s", 0, "b200", "lab_a", 7.0 * w, 1e6 if w == 1 else 140.0, 140.0, 5 if w == 0 else 0) for w in range(2)]
    fig = lead_time_figure(_lead_times(rows), ["s"], ["lab_a"])
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == [
        "b200 to labs (quotes over 10 years not drawn)", "h100 to labs"]


def _fleet(labs: dict[str, float], scenarios=("s",)) -> pd.DataFrame:
    days = np.arange(0, 35, 7.0)
    return pd.DataFrame([{"scenario": sc, "replication": 0, "lab": lab, "day": d,
                          "date": pd.Timestamp("2022-01-01") + pd.Timedelta(days=d), "installed_h100e": size,
                          "power_mw": 10.0, "stranded_h100e": 0.0} for sc in scenarios for lab, size in labs.items() for d in days])


def test_the_fleet_figure_draws_only_the_labs_it_is_given():
    """The report passes the twelve largest labs: the others are not drawn in any panel."""
    fig = fleet_figure(_fleet({"a": 1e5, "b": 2e5, "c": 3e5}), ["s"], ["a", "c"])
    assert [[line.get_label() for line in ax.get_lines()] for ax in fig.axes] == [["a", "c"]] * 3


def test_a_compared_fleet_legend_names_only_the_labs_drawn():
    """A lab with no installed value (all NaN) has no line in the installed panel: the legend of a comparison
    names the labs drawn there and each scenario once, not a style for a line that is not in the figure."""
    fleet = _fleet({"a": 1e5, "ghost": 1e5}, scenarios=("s1", "s2"))
    fleet.loc[fleet["lab"] == "ghost", "installed_h100e"] = np.nan
    fig = fleet_figure(fleet, ["s1", "s2"])
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["a", "scenario s1", "scenario s2"]


def test_a_generation_is_dated_over_the_scenarios_replications_not_the_labs():
    """Three replications; lab b reached g1 in two (days 400 and 600): the third counts as after the end, so the
    median is day 600 and a `>` says some did not reach it, though b appears in only two replications' rows."""
    start = pd.Timestamp("2022-01-01")
    rows = [{"scenario": "s", "replication": r, "lab": "a", "generation": 1, "day": 100.0, "date": start + pd.Timedelta(days=100),
             "started_day": 0.0} for r in range(3)]
    rows += [{"scenario": "s", "replication": r, "lab": "b", "generation": 1, "day": float(d), "started_day": 0.0,
              "date": start + pd.Timedelta(days=d)} for r, d in ((0, 400), (1, 600))]
    fig = generations_figure(pd.DataFrame(rows), ["s"], ["a", "b"])
    b = fig.axes[1]
    step = next(line for line in b.get_lines() if line.get_gid() == "s")
    assert pd.Timestamp(step.get_xdata()[-1]) == start + pd.Timedelta(days=600)
    assert any(line.get_gid() == "s after the end" for line in b.get_lines())


@pytest.mark.parametrize("labs", [3, 5])
def test_a_generation_panel_with_an_empty_slot_below_it_keeps_its_dates(labs):
    """Panels share one time axis, dated only on the bottom row; with an odd number of labs the last panel of the
    right column has an empty slot below it and keeps its dates, or the column has none."""
    rows = [{"scenario": "s", "replication": 0, "lab": f"l{k}", "generation": 1, "day": 100.0, "started_day": 0.0,
             "date": pd.Timestamp("2022-04-11")} for k in range(labs)]
    fig = generations_figure(pd.DataFrame(rows), ["s"], [f"l{k}" for k in range(labs)])
    fig.canvas.draw()
    axes = [ax for ax in fig.axes if ax.get_visible()]
    dated = [any(t.get_visible() and t.get_text() for t in ax.get_xticklabels()) for ax in axes]
    assert dated == [False] * (labs - 2) + [True, True]


def _sweep(labs: list[str], nan_in: str | None = None) -> dict:
    """Three points of one input, one replication; every lab's outcome 100 days, NaN for lab `nan_in` at point 2."""
    from supplychain.sweep_figure import sweep_figure

    points = pd.DataFrame({"point": [0, 1, 2], "scenario": ["p0", "p1", "p2"], "x": [1.0, 2.0, 3.0]})
    outcomes = pd.DataFrame([{"point": p, "replication": 0, "lab": lab,
                              "mean_gap_days": np.nan if (lab == nan_in and p == 2) else 100.0 + p}
                             for lab in labs for p in range(3)])
    ranking = pd.DataFrame({"lab": labs, "outcome": "mean_gap_days", "input": "x",
                            "spearman_rho": [0.5 - 0.25 * i for i in range(len(labs))], "p_value": 0.25})
    return sweep_figure({"points": points, "outcomes": outcomes, "sensitivity": ranking}, labs)


def test_a_sweep_panel_of_two_labs_gives_both_their_rho():
    """Two labs: the title gives each one's rho and p, not the first's alone under its name."""
    fig = _sweep(["L0", "L1"])
    assert fig.axes[0].get_title() == "x\nL0: rho +0.50, p 0.25; L1: rho +0.25, p 0.25"


def test_the_sweep_figure_names_labs_left_out_only_when_few_and_counts_only_the_drawn_labs_undefined():
    """Of 13 labs it draws 6: the 7 others are counted, not listed (the list outgrew the title); a NaN outcome of a
    lab not drawn is not among the "outcomes undefined" of the title, one of a drawn lab is, out of 6 x 3."""
    from supplychain.sweep_figure import MAX_SERIES

    labs = [f"L{i:02d}" for i in range(13)]
    title = _sweep(labs, nan_in="L12")._suptitle.get_text()
    assert "not drawn: 7 more labs" in title and "L12" not in title and "undefined" not in title
    title = _sweep(labs, nan_in="L00")._suptitle.get_text()
    assert f"1 of {MAX_SERIES * 3} (point, lab) outcomes undefined (NaN), left out" in title


def test_the_timeline_draws_the_first_40_rules_by_date():
    """45 control rules: the timeline's rows are the 40 decided first, in date order (a row per rule)."""
    from supplychain.figures_causes import events_figure

    ev = pd.DataFrame({"scenario": "s", "type": "control", "id": [f"c{i:02d}" for i in range(45)][::-1],
                       "what": "licence denied", "date": [pd.Timestamp("2023-01-01") + pd.Timedelta(days=44 - i) for i in range(45)],
                       "detail": ""})
    rows = [t.get_text() for t in events_figure(ev, ["s"]).axes[0].get_yticklabels()]
    assert rows == [f"control c{i:02d}" for i in range(40)]


def test_a_compared_scenario_whose_generations_all_trained_with_nothing_delivered_keeps_its_panel_and_says_so():
    """Of two scenarios, t's two generations trained with nothing delivered: its panel was absent and nothing said
    why (s's panel alone). It has its panel, each generation's row saying nothing was delivered while it trained."""
    from supplychain.figures_causes import binding_figure

    gens = pd.DataFrame([{"scenario": sc, "replication": 0, "lab": "lab", "generation": g, "started_day": 100.0 * g,
                          "day": 100.0 * g + 100, "date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=100 * g + 100)}
                         for sc in ("s", "t") for g in range(2)])
    orders = pd.DataFrame([{"scenario": "s", "replication": 0, "kind": "lab", "lab": "lab", "product": "h100", "qty": 5.0,
                            "delivered": 150.0, "delivered_qty": 5.0, "cause": "queue:fab"}])
    fig = binding_figure(orders, gens, ["s", "t"], {"h100": 1.0})
    s, t = fig.axes
    assert t.get_title().startswith("t: ") and s.get_title().startswith("s: ")
    assert [x.get_text() for x in t.get_yticklabels()] == ["lab g0", "lab g1"]
    assert [x.get_text() for x in t.texts] == ["nothing delivered while it trained"] * 2 and t.get_legend() is None
    assert [x.get_text() for x in s.get_legend().get_texts()] == ["queue:fab"]
