"""How the report's figures tell series apart, read from matplotlib's objects on small hand-made tables: the colour
of each lab, the line style and marker of each lab or scenario, and where and how the legends stand."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import rcParams
from matplotlib.colors import to_hex

from supplychain.figures import fleet_figure, generations_figure, lead_time_figure

START = pd.Timestamp("2024-01-01")


def _fleet(labs: list[str], scenarios=("s",), installed=None) -> pd.DataFrame:
    """Five weekly rows per (scenario, lab), one replication; lab k's installed fleet 1e5 (k + 1) unless given, in
    the n-th scenario n + 1 times that (lines identical across scenarios would be striped, `coincident`)."""
    days = np.arange(0, 35, 7.0)
    return pd.DataFrame([{"scenario": sc, "replication": 0, "lab": lab, "day": d, "date": START + pd.Timedelta(days=d),
                          "installed_h100e": (installed(k, d) if installed else 1e5 * (k + 1) * (n + 1)),
                          "power_mw": 10.0 * (n + 1), "stranded_h100e": float(n)}
                         for n, sc in enumerate(scenarios) for k, lab in enumerate(labs) for d in days])


def test_ten_labs_take_the_default_cycles_ten_colours_in_name_order():
    """Up to ten labs each take one of the default cycle's ten strong colours (C0 the first lab by name): tab20,
    kept for more labs, pairs a dark and a light shade of one hue, so two neighbouring labs read as one."""
    labs = [f"lab_{k}" for k in range(10)]
    ax = fleet_figure(_fleet(labs), ["s"]).axes[0]
    cycle = [to_hex(c) for c in rcParams["axes.prop_cycle"].by_key()["color"]]
    assert [(line.get_label(), to_hex(line.get_color())) for line in ax.get_lines()] == list(zip(labs, cycle))


def test_labs_are_drawn_and_named_in_name_order_whatever_the_tables_row_order():
    """A lab's colour and its place in the legend come from its name, not from where its rows stand in the
    table: the same lab is the same colour in a run's and a comparison's fleet figure."""
    fleet = _fleet(["alpha", "beta"])
    backwards = pd.concat([fleet[fleet["lab"] == "beta"], fleet[fleet["lab"] == "alpha"]])
    ax = fleet_figure(backwards, ["s"]).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["alpha", "beta"]
    assert {line.get_label(): to_hex(line.get_color()) for line in ax.get_lines()} == {
        "alpha": to_hex("C0"), "beta": to_hex("C1")}


def test_compared_labs_take_six_line_styles_then_the_six_again_with_a_marker():
    """Comparing two scenarios, colour is the scenario's and each lab a line style: labs 1-6 by name plain lines
    of six different styles, labs 7-12 the same six styles with a round marker. No two labs look alike."""
    labs = [f"lab_{k:02d}" for k in range(12)]
    ax = fleet_figure(_fleet(labs, scenarios=("s1", "s2")), ["s1", "s2"]).axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    look = [(lines[f"{lab} (s1)"].get_linestyle(), lines[f"{lab} (s1)"].get_marker()) for lab in labs]
    assert [ls for ls, _ in look[:4]] == ["-", "--", ":", "-."] and look[4][0] == look[5][0] == "--"
    assert [m for _, m in look] == ["None"] * 6 + ["o"] * 6
    assert [ls for ls, _ in look[6:]] == [ls for ls, _ in look[:6]]
    dashes = [lines[f"{lab} (s1)"]._unscaled_dash_pattern for lab in labs[:6]]  # the two custom dashes differ too
    assert len({repr(d) for d in dashes}) == 6
    assert all(lines[f"{lab} (s2)"].get_linestyle() == lines[f"{lab} (s1)"].get_linestyle() for lab in labs)


def test_a_compared_fleet_legend_of_six_entries_stays_in_its_panel_and_one_of_seven_stands_beside():
    """Four labs in two scenarios name 4 + 2 = 6 entries, in the installed panel; five labs 7 entries, beside
    the panels (an entry per lab x scenario, or a long legend over the data, covered years of lines)."""
    four = fleet_figure(_fleet(["a", "b", "c", "d"], scenarios=("s1", "s2")), ["s1", "s2"])
    assert not four.legends and [t.get_text() for t in four.axes[0].get_legend().get_texts()] == [
        "a", "b", "c", "d", "scenario s1", "scenario s2"]
    five = fleet_figure(_fleet(["a", "b", "c", "d", "e"], scenarios=("s1", "s2")), ["s1", "s2"])
    assert five.axes[0].get_legend() is None and len(five.legends[0].get_texts()) == 7


def test_a_fleet_that_starts_at_zero_is_drawn_on_a_log_scale_once_any_lab_has_some():
    """A lab that installs its first accelerators in week 2 beside one of 10 million: the installed panel is on a
    log scale (and says so), as it is whenever some H100e are installed; only a panel of nothing is linear."""
    fleet = _fleet(["small", "big"], installed=lambda k, d: 1e7 if k else (0.0 if d < 14 else 1e5))
    ax = fleet_figure(fleet, ["s"]).axes[0]
    assert (ax.get_yscale(), ax.get_title()) == ("log", "Installed accelerators (H100e, log scale)")


def _gens(rows: list[tuple]) -> pd.DataFrame:
    """(scenario, replication, lab, generation, day released) rows as a generations table."""
    return pd.DataFrame([{"scenario": sc, "replication": r, "lab": lab, "generation": g, "day": float(d),
                          "started_day": 0.0, "date": START + pd.Timedelta(days=d)} for sc, r, lab, g, d in rows])


def test_each_compared_scenario_has_its_own_line_style_in_the_generation_figure():
    """Two scenarios release the same generations a week apart: their steps would hide one another; the first is
    solid, the second dashed, besides their colours C0 and C1."""
    gens = _gens([(sc, 0, "lab", g, 100 * (g + 1) + 7 * n) for n, sc in enumerate(("s", "t")) for g in (1, 2)])
    ax = generations_figure(gens, ["s", "t"], ["lab"]).axes[0]
    steps = {line.get_gid(): line for line in ax.get_lines() if line.get_gid() in ("s", "t")}
    assert (steps["s"].get_linestyle(), steps["t"].get_linestyle()) == ("-", "--")
    assert (to_hex(steps["s"].get_color()), to_hex(steps["t"].get_color())) == (to_hex("C0"), to_hex("C1"))


def _weekly(scenarios: tuple[str, ...], quoted=lambda sc: 280.0) -> pd.DataFrame:
    """Ten weeks of h100 to lab_a per scenario, quoted `quoted(sc)` days, one line delivered each week after 250 days."""
    weeks = np.arange(10)
    lt = pd.concat([pd.DataFrame({"scenario": sc, "replication": 0, "product": "h100", "customer": "lab_a",
                                  "day": 7.0 * weeks, "quoted_days": quoted(sc), "realised_by_delivery_days": 250.0,
                                  "realised_by_delivery_lines": 1}) for sc in scenarios])
    return lt.assign(date=START + pd.to_timedelta(lt["day"], unit="D"))


def test_the_lead_time_legend_has_a_column_per_scenario_its_quoted_over_its_realised():
    """Three scenarios' six entries stand in three columns below the panel: each scenario's quoted line named above
    its realised one (six columns in a row set a's realised beside b's quoted)."""
    fig = lead_time_figure(_weekly(("a", "b", "c")), ["a", "b", "c"], ["lab_a"])
    fig.canvas.draw()
    where = {t.get_text(): t.get_window_extent() for t in fig.legends[0].get_texts()}
    for sc in "abc":
        quoted, realised = where[f"{sc} quoted"], where[f"{sc} realised"]
        assert quoted.x0 == realised.x0 and quoted.y0 > realised.y0
    assert where["a quoted"].x0 < where["b quoted"].x0 < where["c quoted"].x0
    below = fig.legends[0].get_window_extent()
    assert all(below.y1 <= ax.get_tightbbox().y0 for ax in fig.axes)  # under the panels, not over the data


def test_a_scenario_without_a_finite_quote_has_no_quoted_entry_in_the_legend():
    """Scenario t's supplier quoted nothing finite (no capacity) while its orders were still delivered: the
    legend names t's realised line, not a quoted line the figure does not draw."""
    lt = _weekly(("s", "t"), quoted=lambda sc: 280.0 if sc == "s" else np.inf)
    fig = lead_time_figure(lt, ["s", "t"], ["lab_a"])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["s quoted", "s realised", "t realised"]
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["s quoted", "s realised", "t realised"]
