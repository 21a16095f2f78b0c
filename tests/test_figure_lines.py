"""Where the report's figures put their lines and panels, read from matplotlib's objects on small hand-made tables:
the realised line's gaps, the panels of the lead-time figure and their date axes, a generation's whiskers and `>`,
the generation axis's whole numbers, and the date axes cut back to the years matplotlib can draw."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from matplotlib.dates import ConciseDateFormatter, date2num

from supplychain.figures import MAX_GAP, fleet_figure, generations_figure, lead_time_figure, new_figure

START = pd.Timestamp("2024-01-01")


def _lead_times(delivered: dict[int, float], weeks: int = 20, products=("h100",)) -> pd.DataFrame:
    """Weekly h100 (or each of `products`) to lab_a, quoted 280 days; week w delivers one line after delivered[w] days."""
    rows = [("s", 0, product, "lab_a", 7.0 * w, 280.0, delivered.get(w, np.nan), 1 if w in delivered else 0)
            for product in products for w in range(weeks)]
    lt = pd.DataFrame(rows, columns=["scenario", "replication", "product", "customer", "day", "quoted_days",
                                     "realised_by_delivery_days", "realised_by_delivery_lines"])
    return lt.assign(date=START + pd.to_timedelta(lt["day"], unit="D"))


def _realised(ax) -> tuple[pd.DatetimeIndex, np.ndarray]:
    line = next(line for line in ax.get_lines() if line.get_label() == "s realised")
    return pd.to_datetime(np.asarray(line.get_xdata())), np.asarray(line.get_ydata(), dtype=float)


def test_two_deliveries_ten_weeks_apart_are_two_dots_not_a_line_between_them():
    """Weeks 0 and 10 delivered (after 70 and 140 days), nothing between: ten weeks is more than `MAX_GAP`
    (4 weeks), so the line breaks and each lone week is a dot; a band of only two dates is broken too."""
    ax = lead_time_figure(_lead_times({0: 70.0, 10: 140.0}), ["s"], ["lab_a"]).axes[0]
    x, y = _realised(ax)
    assert list(y[~np.isnan(y)]) == [10.0, 20.0] and np.isnan(y[1]) and x[0] < x[1] < x[2]
    line = next(line for line in ax.get_lines() if line.get_label() == "s realised")
    assert np.asarray(line.get_markevery()).sum() == 2


@pytest.mark.parametrize("apart, broken", [(4, False), (5, True)])
def test_the_realised_line_breaks_only_past_four_weeks_without_a_delivery(apart, broken):
    """`MAX_GAP` is 4 weeks: deliveries 4 weeks apart (3 weeks without one) are joined, 5 weeks apart broken."""
    assert MAX_GAP == pd.Timedelta(weeks=4)
    _, y = _realised(lead_time_figure(_lead_times({0: 70.0, 1: 70.0, apart + 1: 70.0, apart + 2: 70.0}), ["s"],
                                      ["lab_a"]).axes[0])
    assert np.isnan(y).any() == broken and (y[~np.isnan(y)] == 10.0).all()


def test_a_labs_row_without_a_realised_lead_time_counts_none_of_its_lines():
    """In one week lab_a got 2 lines after 70 days; lab_b's row gives 1 line but no realised lead time (NaN): the
    week's realised lead time is lab_a's 10 weeks, not (2 x 70 + 0) / 3 days, nor a 0 drawn for a week of nothing."""
    rows = [r for w in range(4) for r in (("s", 0, "h100", "lab_a", 7.0 * w, 140.0, 70.0, 2),
                                          ("s", 0, "h100", "lab_b", 7.0 * w, 140.0, np.nan, 1))]
    lt = pd.DataFrame(rows, columns=["scenario", "replication", "product", "customer", "day", "quoted_days",
                                     "realised_by_delivery_days", "realised_by_delivery_lines"])
    ax = lead_time_figure(lt.assign(date=START + pd.to_timedelta(lt["day"], unit="D")), ["s"], ["lab_a", "lab_b"]).axes[0]
    _, y = _realised(ax)
    assert list(y) == [10.0] * 4
    only_b = lt[lt["customer"] == "lab_b"].assign(date=lambda d: START + pd.to_timedelta(d["day"], unit="D"))
    assert [line.get_label() for line in lead_time_figure(only_b, ["s"], ["lab_b"]).axes[0].get_lines()] == ["s quoted"]


def test_a_lead_time_figure_of_one_product_is_one_panel_across_the_figure():
    """One accelerator: one panel as wide as the figure, not a half-width one beside an empty slot."""
    fig = lead_time_figure(_lead_times({0: 70.0}), ["s"], ["lab_a"])
    assert len(fig.axes) == 1 and fig.axes[0].get_position().width > 0.7


def test_the_lead_time_figure_draws_the_six_accelerators_of_most_lines_delivered():
    """Seven accelerators delivered, p0 in 1 line a week ... p6 in 7: six panels, p6 first, p0 not drawn."""
    rows = [("s", 0, f"p{k}", "lab_a", 7.0 * w, 280.0, 250.0, k + 1) for k in range(7) for w in range(5)]
    lt = pd.DataFrame(rows, columns=["scenario", "replication", "product", "customer", "day", "quoted_days",
                                     "realised_by_delivery_days", "realised_by_delivery_lines"])
    fig = lead_time_figure(lt.assign(date=START + pd.to_timedelta(lt["day"], unit="D")), ["s"], ["lab_a"])
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == [f"p{k} to labs" for k in range(6, 0, -1)]


def test_every_lead_time_panel_labels_its_dates_concisely():
    """Two years in each of two half-width panels: both label years and months (`2024`, `Apr`), not the
    `2024-04 2024-07 ...` that ran into one another; each panel has its own axis (no shared one)."""
    fig = lead_time_figure(_lead_times({w: 70.0 for w in range(104)}, weeks=104, products=("h100", "b200")), ["s"],
                           ["lab_a"])
    fig.canvas.draw()
    for ax in fig.axes:
        assert isinstance(ax.xaxis.get_major_formatter(), ConciseDateFormatter)
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert "2025" in labels and not any("-" in text for text in labels)


def _gens(days: list[float | None], runs: int) -> pd.DataFrame:
    """Generation 1 of `lab` in each of `runs` replications, released on the day given (None: not reached)."""
    rows = [{"scenario": "s", "replication": r, "lab": "lab", "generation": 1, "day": d, "started_day": 0.0,
             "date": START + pd.Timedelta(days=d)} for r, d in enumerate(days) if d is not None]
    rows += [{"scenario": "s", "replication": r, "lab": "other", "generation": 1, "day": 10.0, "started_day": 0.0,
              "date": START + pd.Timedelta(days=10)} for r in range(runs)]  # every replication is in the table
    return pd.DataFrame(rows)


def test_a_generations_whisker_runs_from_its_earliest_release_to_its_latest():
    """Three replications release g1 on days 100, 400 and 500: the marker at the median, day 400, the whisker from
    day 100 to day 500 (not 300 days before the median and 100 after)."""
    ax = generations_figure(_gens([100.0, 400.0, 500.0], 3), ["s"], ["lab"]).axes[0]
    step = next(line for line in ax.get_lines() if line.get_gid() == "s")
    assert pd.Timestamp(step.get_xdata()[0]) == START + pd.Timedelta(days=400)
    (whisker,) = [c for c in ax.collections if len(c.get_segments())]
    (segment,) = whisker.get_segments()
    assert sorted(segment[:, 0]) == [date2num(START + pd.Timedelta(days=d)) for d in (100, 500)]


def test_the_after_the_end_mark_stands_at_the_latest_release_of_those_that_reached_it():
    """Five replications, four reach g1 on days 100, 200, 300 and 500, one never: the median counting it as after
    the end is day 300; the `>` stands at day 500, the whisker's right end, where the dates known stop."""
    ax = generations_figure(_gens([100.0, 200.0, 300.0, 500.0, None], 5), ["s"], ["lab"]).axes[0]
    step = next(line for line in ax.get_lines() if line.get_gid() == "s")
    mark = next(line for line in ax.get_lines() if line.get_gid() == "s after the end")
    assert pd.Timestamp(step.get_xdata()[0]) == START + pd.Timedelta(days=300)
    assert mark.get_marker() == ">" and [pd.Timestamp(x) for x in mark.get_xdata()] == [START + pd.Timedelta(days=500)]


def test_the_generation_axis_is_marked_in_whole_generations_and_a_lab_without_one_has_no_scale():
    """Generations 1 and 2: the axis's ticks are whole numbers (a tick at 1.25 is no generation). A lab that
    released none keeps its panel, saying so, without a 0-to-1 scale of generations it does not have."""
    gens = pd.concat([_gens([100.0], 1), _gens([300.0], 1).assign(generation=2)], ignore_index=True)
    fig = generations_figure(gens, ["s"], ["lab", "none"])
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_yticks() if 1 <= t <= 2]
    assert ticks == [1.0, 2.0]
    empty = fig.axes[1]
    assert empty.texts[0].get_text() == "no generation released" and list(empty.get_yticks()) == []


def _drawn_png(fig):
    """`fig` as `report` writes it (its date axes cut back to the years matplotlib draws)."""
    from supplychain.report import _png

    assert _png(fig).startswith(b"\x89PNG")
    return fig


@pytest.mark.parametrize("dates_on", ["x", "y"])
def test_a_date_axis_padded_past_year_1_is_cut_back_at_year_1_and_keeps_its_other_end(dates_on):
    """A run of 63 days from 0001-01-01: matplotlib pads the axis into year 0, which it cannot draw; the PNG's
    axis starts on 0001-01-01 and still ends where it did (past day 63), not at year 9999. So on either axis."""
    fig = new_figure(6, 3)
    ax = fig.subplots()
    dates = [dt.datetime(1, 1, 1) + dt.timedelta(days=d) for d in range(0, 70, 7)]
    ax.plot(*((dates, np.arange(10.0)) if dates_on == "x" else (np.arange(10.0), dates)))
    limits = ax.get_xlim if dates_on == "x" else ax.get_ylim
    lo, hi = limits()
    first = date2num(dt.datetime(1, 1, 1))
    assert lo < first < date2num(dt.datetime(1, 3, 5)) < hi < date2num(dt.datetime(2, 1, 1))
    _drawn_png(fig)
    assert limits() == (first, hi)


def test_a_value_axis_past_the_calendars_day_numbers_is_not_cut():
    """The cut is for date axes: a lab of 10 billion H100e is drawn to its top, though 1e10 is past the day
    numbers of year 9999 (about 2.9 million)."""
    days = np.arange(0, 70, 7.0)
    fleet = pd.DataFrame({"scenario": "s", "replication": 0, "lab": "a", "day": days, "installed_h100e": 1e10,
                          "power_mw": 1e10, "stranded_h100e": 1e10, "date": START + pd.to_timedelta(days, unit="D")})
    fig = fleet_figure(fleet, ["s"])
    before = [ax.get_ylim() for ax in fig.axes]
    assert all(hi > 1e10 for _, hi in before) and [ax.get_ylim() for ax in _drawn_png(fig).axes] == before
