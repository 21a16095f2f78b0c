"""The report's figures of causes and events (`figures_causes`), read from matplotlib's objects against tables worked
by hand: the order of a panel's rows, what the panels of a lab subset draw, and the timeline's shock bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from supplychain.figures_causes import binding_figure, events_figure

START = pd.Timestamp("2024-01-01")


def _gens(labs: list[str], generations: int = 2, scenario: str = "s") -> pd.DataFrame:
    """Generation g of each lab trains from day 100 g to day 100 (g + 1)."""
    return pd.DataFrame([{"scenario": scenario, "replication": 0, "lab": lab, "generation": g, "started_day": 100.0 * g,
                          "day": 100.0 * g + 100, "date": START + pd.Timedelta(days=100 * g + 100)}
                         for lab in labs for g in range(generations)])


def _orders(rows: list[tuple]) -> pd.DataFrame:
    """(lab, delivered day, H100e, cause) rows of delivered lab orders of h100 (1 H100e a unit)."""
    return pd.DataFrame([{"scenario": "s", "replication": 0, "kind": "lab", "lab": lab, "product": "h100", "qty": qty,
                          "delivered": day, "delivered_qty": qty, "cause": cause} for lab, day, qty, cause in rows])


def _rows_top_down(ax) -> list[str]:
    """A panel's row labels from the top of the picture down (display y, not the axis's own order)."""
    ticks = [(ax.transData.transform((0, y))[1], t.get_text()) for y, t in zip(ax.get_yticks(), ax.get_yticklabels())]
    return [text for _, text in sorted(ticks, reverse=True)]


def test_a_binding_panel_reads_top_down_lab_by_lab_first_generation_first():
    """lab_a g0 and g1, then lab_b g0 and g1, from the top of the panel down (as a reader reads a table)."""
    orders = _orders([(lab, day, 5.0, "queue:fab") for lab in ("lab_a", "lab_b") for day in (50.0, 150.0)])
    ax = binding_figure(orders, _gens(["lab_b", "lab_a"]), ["s"], {"h100": 1.0}).axes[0]
    assert _rows_top_down(ax) == ["lab_a g0", "lab_a g1", "lab_b g0", "lab_b g1"]


def test_a_compared_timeline_has_a_block_per_rule_by_first_date_its_scenarios_in_the_order_given():
    """Rule late decided in both scenarios from June, rule early from January (in alt only from March): the rows
    are early's block then late's, each base then alt, so a rule's two scenarios sit side by side."""
    ev = pd.DataFrame([{"scenario": sc, "type": "control", "id": rid, "what": "licence denied", "detail": "",
                        "date": pd.Timestamp(day)}
                       for sc, rid, day in (("alt", "late", "2023-06-01"), ("base", "late", "2023-06-01"),
                                            ("alt", "early", "2023-03-01"), ("base", "early", "2023-01-01"))])
    ax = events_figure(ev, ["base", "alt"]).axes[0]
    assert _rows_top_down(ax) == ["base: control early", "alt: control early", "base: control late", "alt: control late"]


def _shocks(rows: list[tuple]) -> pd.DataFrame:
    """(replication, date, days) rows of one shock, quake, of scenario s."""
    return pd.DataFrame([{"scenario": "s", "replication": r, "type": "shock", "id": "quake", "what": "capacity",
                          "detail": f"{days:g} days", "duration_days": days, "date": pd.Timestamp(day)}
                         for r, day, days in rows])


def test_each_occurrence_of_a_shock_is_a_bar_once_however_many_replications_had_it():
    """quake struck on 2023-01-01 for 30 days in replications 0 and 1, and on 2023-07-01 for 60 days in replication 0:
    two bars, from those dates, 30 and 60 days long (a bar per occurrence, not per replication or per shock)."""
    import matplotlib.dates as mdates

    ax = events_figure(_shocks([(0, "2023-01-01", 30.0), (1, "2023-01-01", 30.0), (0, "2023-07-01", 60.0)]), ["s"]).axes[0]
    bars = sorted((mdates.num2date(p.get_x()).date().isoformat(), p.get_width()) for p in ax.patches)
    assert bars == [("2023-01-01", pytest.approx(30.0)), ("2023-07-01", pytest.approx(60.0))]


def test_a_shock_of_a_day_is_drawn_three_days_wide_to_be_seen():
    """A one-day outage is a bar of 3 days (a day's bar is a hairline on a timeline of years); 30 days is 30."""
    ax = events_figure(_shocks([(0, "2023-01-01", 1.0), (0, "2023-07-01", 30.0)]), ["s"]).axes[0]
    assert sorted(p.get_width() for p in ax.patches) == [pytest.approx(3.0), pytest.approx(30.0)]


def test_the_binding_figure_of_some_labs_draws_their_generations_only():
    """Given lab_b of two labs (the report's largest), the panel's rows are lab_b's generations, not lab_a's."""
    orders = _orders([(lab, day, 5.0, "queue:fab") for lab in ("lab_a", "lab_b") for day in (50.0, 150.0)])
    ax = binding_figure(orders, _gens(["lab_a", "lab_b"]), ["s"], {"h100": 1.0}, labs=["lab_b"]).axes[0]
    assert _rows_top_down(ax) == ["lab_b g0", "lab_b g1"]


def test_causes_take_strong_hues_first_and_none_the_grey_of_other():
    """The first nine causes take tab10's strong hues in order, less its grey (tab20 in its own order gave the
    second cause the first's lighter shade: power:lab_cn and queue:cxmt side by side in one blue), and none of 18
    causes is a grey, which is "other"'s colour."""
    from matplotlib import colormaps

    from supplychain.figures_causes import _cause_colors

    colors = list(_cause_colors([f"c{i}" for i in range(18)]).values())
    tab10 = [c for i, c in enumerate(colormaps["tab10"].colors) if i != 7]
    assert np.allclose(colors[:9], tab10)
    assert not [c for c in colors if max(c) - min(c) < 0.05]
