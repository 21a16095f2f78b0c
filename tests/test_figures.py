"""The report's figures, drawn from small tables: what each shows, its axes, legends and colours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def test_the_lead_time_figure_shows_what_labs_received_not_what_is_quoted_most():
    """Products were ranked by quoted rows, so a SKU quoted on many flows and never delivered (a
    decades-long Ascend backlog) took a panel from the H100; quotes of over 10 years (backlogs)
    are not drawn."""
    from supplychain.figures import key_series, lead_time_figure

    rows = []
    for week in range(20):
        for lab in ("lab_a", "lab_b", "lab_c"):  # quoted on three flows, never delivered
            rows.append(("s", 0, "never", lab, 7.0 * week, 1e6, float("nan"), 0))
        rows.append(("s", 0, "h100", "lab_a", 7.0 * week, 300.0, 280.0, 2))  # one flow, delivered
    lt = pd.DataFrame(rows, columns=["scenario", "replication", "product", "customer", "day", "quoted_days",
                                     "realised_by_delivery_days", "realised_by_delivery_lines"])
    lt["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(lt["day"], unit="D")
    assert key_series(lt, ["lab_a", "lab_b", "lab_c"], None) == ["h100"]
    undelivered = lt[lt["product"] == "never"]
    assert key_series(undelivered, ["lab_a", "lab_b", "lab_c"], None) == ["never"]  # nothing delivered: the quoted
    fig = lead_time_figure(lt.assign(quoted_days=lt["quoted_days"].where(lt["day"] < 70.0, 1e6)), ["s"], ["lab_a"])
    ax = fig.axes[0]
    assert ax.get_title() == "h100 to labs (quotes over 10 years not drawn)"
    drawn = np.concatenate([np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()])
    assert np.nanmax(drawn) < 520 and np.isfinite(drawn).sum() > 10  # the 300-day quotes, not the 1e6 ones


def test_the_lead_time_figure_breaks_the_quote_line_where_no_finite_quote_was_made_and_says_so():
    """A total outage quotes inf for months: the line was drawn straight across it at the last finite
    quote, as if nothing had happened; the weeks are now a gap in the line and the title names them."""
    from supplychain.figures import lead_time_figure

    weeks = np.arange(20)
    lt = pd.DataFrame({"scenario": "s", "replication": 0, "product": "h100", "customer": "lab_a", "day": 7.0 * weeks,
                       "quoted_days": np.where((weeks >= 5) & (weeks < 12), np.inf, 175.0),
                       "realised_by_delivery_days": np.nan, "realised_by_delivery_lines": 0})
    lt["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(lt["day"], unit="D")
    ax = lead_time_figure(lt, ["s"], ["lab_a"]).axes[0]
    quoted = np.asarray(ax.get_lines()[0].get_ydata(), dtype=float)
    assert len(quoted) == 20 and np.isnan(quoted[5:12]).all() and (quoted[:5] == 25.0).all()
    assert ax.get_title() == "h100 to labs (quotes infinite (no capacity) not drawn)"


def test_a_shocks_bar_is_its_duration_also_in_tables_written_before_the_duration_column():
    from types import SimpleNamespace

    from supplychain.figures_causes import _days

    assert _days(SimpleNamespace(duration_days=45.0, detail="45 days")) == 45.0
    assert _days(SimpleNamespace(detail="182 days")) == 182.0  # an older folder: from the detail text
    assert _days(SimpleNamespace(duration_days=float("nan"), detail="")) == 0.0


def test_the_events_figure_draws_a_shock_over_its_duration():
    from supplychain.figures_causes import events_figure

    ev = pd.DataFrame({"scenario": ["s"], "type": ["shock"], "id": ["q"], "what": ["capacity"], "detail": ["45 days"],
                       "duration_days": [45.0], "date": [pd.Timestamp("2023-01-01")]})
    fig = events_figure(ev, ["s"])
    width = fig.axes[0].patches[0].get_width()
    assert width == pytest.approx(45.0)  # matplotlib's dates are in days
    fig = events_figure(ev.assign(duration_days=float("nan"), detail="90 days"), ["s"])  # an older table: the text
    assert fig.axes[0].patches[0].get_width() == pytest.approx(90.0)


def test_the_fleet_figure_of_many_labs_draws_without_a_legend_that_collapses_it():
    """A generated network's 150 labs gave a 300-line legend: matplotlib warned that the layout collapsed (and
    the legend hid the panels). Past `MAX_LEGEND` lines the panel says how many labs it draws instead."""
    import io
    import warnings

    from supplychain.figures import MAX_LEGEND, fleet_figure

    def fleet(labs: int) -> pd.DataFrame:
        days = np.arange(0, 70, 7.0)
        return pd.DataFrame([{"scenario": sc, "replication": 0, "lab": f"lab_{i:03d}", "day": d,
                              "date": pd.Timestamp("2022-01-01") + pd.Timedelta(days=d), "installed_h100e": 100.0 + i + d,
                              "power_mw": 1.0 + i, "stranded_h100e": 0.0} for sc in "ab" for i in range(labs) for d in days])

    few, many = fleet_figure(fleet(3), ["a", "b"]), fleet_figure(fleet(150), ["a", "b"])
    assert few.axes[0].get_legend() is not None and 6 <= MAX_LEGEND
    assert "150 labs" in many.axes[0].texts[0].get_text()  # the labs unnamed, the scenarios still
    assert [t.get_text() for t in many.axes[0].get_legend().get_texts()] == ["scenario a", "scenario b"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        many.savefig(io.BytesIO(), format="png")


def test_largest_labs_are_the_largest_fleets_on_the_last_date():
    """A lab that was large early but small at the end is not among them; ties keep every lab below the limit."""
    from supplychain.figures import largest_labs

    t0, t1 = pd.Timestamp("2022-01-01"), pd.Timestamp("2023-01-01")
    rows = [{"lab": f"l{i}", "date": t1, "installed_h100e": float(i)} for i in range(5)]
    rows += [{"lab": "early", "date": t0, "installed_h100e": 1e9}, {"lab": "early", "date": t1, "installed_h100e": 0.5}]
    fleet = pd.DataFrame(rows)
    assert largest_labs(fleet, 3) == ["l2", "l3", "l4"]
    assert largest_labs(fleet, 6) == sorted(["early", *[f"l{i}" for i in range(5)]])


def _weekly_lead_times(realised: np.ndarray, scenarios: tuple[str, ...] = ("s",)) -> pd.DataFrame:
    """20 weeks of one product to one lab: quoted 280 days, realised as given (NaN: nothing delivered that week)."""
    weeks = np.arange(len(realised))
    lt = pd.concat([pd.DataFrame({"scenario": sc, "replication": 0, "product": "h100", "customer": "lab_a",
                                  "day": 7.0 * weeks, "quoted_days": 280.0, "realised_by_delivery_days": realised,
                                  "realised_by_delivery_lines": np.where(np.isnan(realised), 0, 1)}) for sc in scenarios])
    return lt.assign(date=pd.Timestamp("2024-01-01") + pd.to_timedelta(lt["day"], unit="D"))


def test_the_realised_line_breaks_where_nothing_was_delivered_for_months():
    """H200 to labs, 2026: eight months without a delivery were drawn as a realised lead time rising along a
    straight line from 6 to 42 weeks; a stretch of more than `MAX_GAP` without one is now a gap in the line,
    a lone week's delivery a dot."""
    from supplychain.figures import lead_time_figure

    realised = np.full(20, np.nan)
    realised[:5], realised[10], realised[15:] = 42.0, 70.0, 294.0
    ax = lead_time_figure(_weekly_lead_times(realised), ["s"], ["lab_a"]).axes[0]
    line = next(line for line in ax.get_lines() if line.get_label() == "s realised")
    x = pd.to_datetime(np.asarray(line.get_xdata()))
    y = np.asarray(line.get_ydata(), dtype=float)
    between = (x > pd.Timestamp("2024-01-29")) & (x < pd.Timestamp("2024-04-15"))
    assert np.isnan(y[between & (x != pd.Timestamp("2024-03-11"))]).any(), "weeks 4 to 15 drawn as one line"
    assert np.isnan(y[(x > pd.Timestamp("2024-01-29")) & (x < pd.Timestamp("2024-03-11"))]).any()
    assert np.isnan(y[(x > pd.Timestamp("2024-03-11")) & (x < pd.Timestamp("2024-04-15"))]).any()
    assert line.get_markevery() is not None and np.asarray(line.get_markevery()).sum() == 1  # week 10, alone
    assert np.nanmax(y) == 42.0 and (y == 10.0).any()


def test_the_lead_time_axis_starts_at_zero_and_one_legend_names_the_series():
    """A panel from 36 to 44 weeks drew a drift of a few weeks as a collapse; and each of six panels had its own
    legend of six entries (three scenarios) drawn over the data. The axes start at zero, the legend is the figure's."""
    from supplychain.figures import lead_time_figure

    realised = np.full(20, 250.0)
    fig = lead_time_figure(_weekly_lead_times(realised, ("a", "b", "c")), ["a", "b", "c"], ["lab_a"])
    ax = fig.axes[0]
    assert ax.get_ylim()[0] == 0 and ax.get_legend() is None and "weeks" in ax.get_ylabel()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [f"{sc} {what}" for sc in "abc" for what in ("quoted", "realised")]


def test_the_fleet_figure_labels_its_units_and_gives_every_lab_its_own_colour():
    """The stranded panel's ticks read 0.0 to 1.0 under a "1e8" a reader took for the values, no axis named its
    unit, and the 12 labs of a generated network shared 10 colours (lab_0005 and lab_0127 both blue)."""
    from matplotlib.colors import to_hex

    from supplychain.figures import MAX_LABS, fleet_figure

    days = np.arange(0, 70, 7.0)
    fleet = pd.DataFrame([{"scenario": "s", "replication": 0, "lab": f"lab_{i:02d}", "day": d,
                           "date": pd.Timestamp("2022-01-01") + pd.Timedelta(days=d), "installed_h100e": 1e5 * (i + 1),
                           "power_mw": 1e3 * (i + 1), "stranded_h100e": 1e8 * d / 70} for i in range(MAX_LABS) for d in days])
    fig = fleet_figure(fleet, ["s"])
    fig.canvas.draw()
    assert [ax.get_ylabel() for ax in fig.axes] == ["H100e (log scale)", "MW", "H100e"]
    assert fig.axes[0].get_yscale() == "log" and fig.axes[0].get_title() == "Installed accelerators (H100e, log scale)"
    flat = fleet_figure(fleet.assign(installed_h100e=0.0), ["s"]).axes[0]  # nothing installed: linear, said as such
    assert (flat.get_yscale(), flat.get_ylabel(), flat.get_title()) == ("linear", "H100e", "Installed accelerators (H100e)")
    stranded = fig.axes[2]
    assert stranded.yaxis.get_offset_text().get_text() == ""
    assert any(t.get_text() == "100,000,000" for t in stranded.get_yticklabels())
    assert len({to_hex(line.get_color()) for line in fig.axes[0].get_lines()}) == MAX_LABS


def test_the_generation_panels_share_one_readable_time_axis():
    """Each lab's panel had its own time axis (2022-2035 beside 2022-2036) and, over a few years in a half-width
    panel, labels `2022-07 2023-01 2023-07 ...` that ran into one another; and a legend of the one scenario in each."""
    from matplotlib.dates import ConciseDateFormatter

    from supplychain.figures import generations_figure

    rows = [{"scenario": "s", "replication": 0, "lab": lab, "generation": g, "day": 300.0 * g + k, "started_day": 0.0,
             "date": pd.Timestamp("2022-06-01") + pd.Timedelta(days=300 * g + 100 * k)}
            for k, lab in enumerate(["a", "b", "c"]) for g in range(5)]
    fig = generations_figure(pd.DataFrame(rows), ["s"], ["a", "b", "c"])
    a, b, c = fig.axes[:3]
    assert a.get_xlim() == b.get_xlim() == c.get_xlim()
    assert all(isinstance(ax.xaxis.get_major_formatter(), ConciseDateFormatter) for ax in (a, b, c))
    assert a.get_legend() is None and [t.get_text() for t in fig.legends[0].get_texts()] == ["s"]


def test_the_events_figure_names_a_compared_scenario_without_controls_or_shocks():
    """Comparing the baseline with export_controls_lifted, the timeline drew the baseline's controls and nothing
    for the other scenario: not even its name, so the difference the comparison is about went unsaid."""
    from supplychain.figures_causes import events_figure

    ev = pd.DataFrame({"scenario": ["base"], "type": ["control"], "id": ["oct2022"], "what": ["denied"], "detail": [""],
                       "date": [pd.Timestamp("2023-01-01")]})
    rows = [t.get_text() for t in events_figure(ev, ["base", "lifted"]).axes[0].get_yticklabels()]
    assert rows == ["base: control oct2022", "lifted: no controls or shocks"]
    for what in (ev, ev.assign(type="shock", what="capacity", detail="45 days")):  # its row inside the axes, not on
        bottom, top = events_figure(what, ["base", "lifted"]).axes[0].get_ylim()  # the lower edge (y 1 of 1.0)
        assert top < 0 < 1 < bottom and min(-top, bottom - 1) >= 0.25  # the first row on top
    assert [t.get_text() for t in events_figure(ev, ["base"]).axes[0].get_yticklabels()] == ["control oct2022"]


def test_the_binding_figure_names_the_largest_cause_of_every_bar():
    """The figure named the 7 causes with the largest shares summed over all bars and drew the rest as "other":
    lab_cn g1, delayed wholly by power:lab_cn, and lab_us g2, 72 % by transport, were grey "other" bars. A bar's
    largest cause is now always named, and "other" is grey however many causes there are."""
    from matplotlib.colors import to_hex

    from supplychain.figures_causes import binding_figure

    causes = [f"queue:fab_{i}" for i in range(8)]
    gens, orders = [], []
    for g, cause in enumerate(causes + ["power:lab"]):  # one generation per cause, the last a single small one
        gens.append({"scenario": "s", "replication": 0, "lab": "lab", "generation": g, "started_day": 10.0 * g,
                     "day": 10.0 * g + 10, "date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=10 * g + 10)})
        for c, qty in ((cause, 1.0 if g == 8 else 5.0), *(((causes[0], 0.4), ("transport:x", 0.1)) if g == 8 else ())):
            orders.append({"scenario": "s", "replication": 0, "kind": "lab", "lab": "lab", "product": "h100", "qty": qty,
                           "delivered": 10.0 * g + 5, "delivered_qty": qty, "cause": c})
    ax = binding_figure(pd.DataFrame(orders), pd.DataFrame(gens), ["s"], {"h100": 1.0}).axes[0]
    named = {c.get_label(): c for c in ax.containers}
    row = [t.get_text() for t in ax.get_yticklabels()].index("lab g8")
    assert named["power:lab"].patches[row].get_width() == pytest.approx(1 / 1.5)
    assert set(causes) <= set(named) and named["other"].patches[row].get_width() == pytest.approx(0.1 / 1.5)
    assert to_hex(named["other"].patches[0].get_facecolor()) == to_hex("0.6")  # grey: not a cause's colour
    assert len({to_hex(c.patches[0].get_facecolor()) for c in ax.containers}) == len(named)


def test_a_fleet_legend_of_many_lines_stands_beside_the_panels_not_over_them():
    """12 labs in 2 scenarios: the 24-entry legend in the installed panel covered its first two years of lines.
    Past six entries it is the figure's, right of the panels; a few stay inside."""
    from supplychain.figures import fleet_figure

    days = np.arange(0, 70, 7.0)
    fleet = pd.DataFrame([{"scenario": sc, "replication": 0, "lab": f"lab_{i:02d}", "day": d,
                           "date": pd.Timestamp("2022-01-01") + pd.Timedelta(days=d), "installed_h100e": 1e5 * (i + 1),
                           "power_mw": 1.0, "stranded_h100e": 0.0} for sc in "ab" for i in range(12) for d in days])
    fig = fleet_figure(fleet, ["a", "b"])
    fig.canvas.draw()
    legend, = fig.legends
    assert fig.axes[0].get_legend() is None and len(legend.get_texts()) == 12 + 2  # each lab and scenario once
    assert legend.get_window_extent().x0 >= max(ax.get_window_extent().x1 for ax in fig.axes)
    assert fleet_figure(fleet[fleet["lab"] < "lab_03"], ["a", "b"]).axes[0].get_legend() is not None


def test_colour_is_the_scenario_in_every_figure_of_a_comparison():
    """The fleet figure gave each lab a colour (lab_a blue in both scenarios) where the lead-time and generation
    figures gave each scenario one (the baseline blue): in a comparison blue meant two things. Colour is now the
    scenario's in all three, the lab the fleet figure's line style; and a scenario without a lab's generations no
    longer hands its colour to the next (the generation figure took colours from the axes' cycle)."""
    from matplotlib.colors import to_hex

    from supplychain.figures import fleet_figure, generations_figure, lead_time_figure

    scenarios = ["base", "ban", "lift"]
    days = np.arange(0, 70, 7.0)
    date = pd.Timestamp("2022-01-01") + pd.to_timedelta(days, unit="D")
    fleet = pd.concat([pd.DataFrame({"scenario": sc, "replication": 0, "lab": lab, "day": days, "date": date,
                                     "installed_h100e": 100.0 * (k + 1) + i, "power_mw": 1.0 + i, "stranded_h100e": i})
                       for i, sc in enumerate(scenarios) for k, lab in enumerate(["lab_a", "lab_b"])])
    gens = pd.DataFrame([{"scenario": sc, "replication": 0, "lab": lab, "generation": g, "day": 300.0 * g,
                          "started_day": 0.0, "date": pd.Timestamp("2022-06-01") + pd.Timedelta(days=300 * g + 30 * k)}
                         for k, sc in enumerate(scenarios) for lab in ("lab_a", "lab_b") for g in range(3)
                         if not (sc == "ban" and lab == "lab_a")])  # no generation of lab_a under the ban
    lt = _weekly_lead_times(np.full(20, 250.0), tuple(scenarios))

    def colours(lines, name) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for line in lines:
            sc = next((s for s in scenarios if name(line.get_label()) == s), None)
            if sc is not None:
                out.setdefault(sc, set()).add(to_hex(line.get_color()))
        return out

    lead = colours(lead_time_figure(lt, scenarios, ["lab_a"]).axes[0].get_lines(), lambda t: t.rsplit(" ", 1)[0])
    gen_fig = generations_figure(gens, scenarios, ["lab_a", "lab_b"])
    gen = colours([line for ax in gen_fig.axes[:2] for line in ax.get_lines()], lambda t: t)
    fleet_fig = fleet_figure(fleet, scenarios)
    flt = colours([line for ax in fleet_fig.axes for line in ax.get_lines()], lambda t: t.split(" (")[-1].rstrip(")"))
    expected = {sc: {to_hex(f"C{i}")} for i, sc in enumerate(scenarios)}
    assert lead == gen == flt == expected
    a, b = ({str(line.get_linestyle()) for line in fleet_fig.axes[0].get_lines() if line.get_label().startswith(lab)}
            for lab in ("lab_a", "lab_b"))
    assert len(a) == len(b) == 1 and a != b  # the lab by its line style, the same in every scenario
    legend = [t.get_text() for t in fleet_fig.axes[0].get_legend().get_texts()]
    assert legend == ["lab_a", "lab_b", "scenario base", "scenario ban", "scenario lift"]


def test_sweep_points_that_draw_the_same_lines_are_striped_and_named_not_hidden():
    """Sweep points that change nothing drawn (a `capacity.growth` past the run) gave identical lines, each drawn
    over the one before: only the last point's colour showed. Identical lines are now one line striped in their
    colours (each a dash at its own offset), the title names the points, and the legend keeps each line's style."""
    from supplychain.figures import fleet_figure, generations_figure, lead_time_figure

    scenarios = ("s_p000", "s_p001", "s_p002")
    realised = np.full(20, 250.0)
    lt = _weekly_lead_times(realised, scenarios)
    lt.loc[lt["scenario"] == "s_p002", "quoted_days"] = 300.0  # the third differs
    fig = lead_time_figure(lt, list(scenarios), ["lab_a"])
    quoted = {line.get_gid(): line for line in fig.axes[0].get_lines() if line.get_label().endswith("quoted")}
    (o0, d0), (o1, d1) = (quoted[sc]._unscaled_dash_pattern for sc in scenarios[:2])  # (offset, dashes): no getter
    assert d0 == d1 == (4.0, 4.0) and o0 != o1  # dashes of one length, each point's at its own place
    assert quoted["s_p002"].get_linestyle() == "-"  # a line of its own stays solid
    assert "s_p000 = s_p001" in fig._suptitle.get_text() and "s_p002" not in fig._suptitle.get_text().split("Identical")[1]
    styles = {t.get_text(): h.get_linestyle() for t, h in zip(fig.legends[0].get_texts(), fig.legends[0].legend_handles)}
    assert styles["s_p000 quoted"] == styles["s_p002 quoted"] == "-" and styles["s_p000 realised"] == "--"

    days = np.arange(0, 70, 7.0)
    fleet = pd.concat([pd.DataFrame({"scenario": sc, "replication": 0, "lab": "lab_a", "day": days,
                                     "date": pd.Timestamp("2022-01-01") + pd.to_timedelta(days, unit="D"),
                                     "installed_h100e": 100.0, "power_mw": 1.0, "stranded_h100e": 0.0}) for sc in scenarios])
    assert "s_p000 = s_p001 = s_p002" in fleet_figure(fleet, list(scenarios))._suptitle.get_text()
    gens = pd.DataFrame([{"scenario": sc, "replication": 0, "lab": "lab_a", "generation": g, "day": 300.0 * g,
                          "started_day": 0.0, "date": pd.Timestamp("2022-06-01") + pd.Timedelta(days=300 * g)}
                         for sc in scenarios for g in range(3)])
    assert "s_p000 = s_p001 = s_p002" in generations_figure(gens, list(scenarios), ["lab_a"])._suptitle.get_text()
    assert "Identical" not in generations_figure(gens, ["s_p000"], ["lab_a"])._suptitle.get_text()


@pytest.mark.parametrize("n", [1, 2, 4, 9, 12])
def test_the_events_figure_gives_outcomes_and_shocks_colours_no_scenario_has(n):
    """Outcomes took the default cycle's first colours: "licence denied" was orange on the baseline's rows, and
    orange means the second scenario in every other figure of a comparison (shocks were the fourth's red). An
    outcome's colour is now none of the report's scenarios', and outcomes differ while colours remain."""
    from matplotlib.colors import to_rgba

    from supplychain.figures import scenario_colors
    from supplychain.figures_causes import events_figure

    scenarios = [f"s{i}" for i in range(n)]
    kinds = ["denied", "licence denied", "licence granted", "licence review", "quota wait", "substitution a->b"]
    ev = pd.DataFrame({"scenario": "s0", "type": "control", "id": "r", "what": kinds, "detail": "",
                       "date": pd.date_range("2023-01-01", periods=len(kinds), freq="W")})
    shock = pd.DataFrame({"scenario": ["s0"], "type": ["shock"], "id": ["q"], "what": ["capacity"], "detail": ["45 days"],
                          "duration_days": [45.0], "date": [pd.Timestamp("2023-01-01")]})
    ax = events_figure(pd.concat([ev, shock]), scenarios).axes[0]
    taken = {to_rgba(c) for c in scenario_colors(scenarios).values()}
    marks = [to_rgba(c.get_facecolor()[0], 1.0) for c in ax.collections]
    assert len(marks) == len(kinds) and not set(marks) & taken
    assert len(set(marks)) == min(len(kinds), 10 - min(n, 10) + 3)  # the free cycle colours, black and two greys
    assert not {to_rgba(p.get_facecolor(), 1.0) for p in ax.patches} & taken


def test_a_generation_some_replications_miss_is_dated_by_the_median_over_all_of_them():
    """The figure dated a generation by the median of the replications that reached it, which drops the slowest:
    reached on days 400 and 600 of three replications, it drew 500. The third counts as after the end (as in
    summary.md): the median is 600, a `>` says some did not reach it, and one reached in 1 of 3 is not drawn."""
    from matplotlib.dates import date2num

    from supplychain.figures import generations_figure

    start = pd.Timestamp("2022-01-01")
    days = {0: [10, 10, 10], 1: [400, 600], 2: [900]}  # g1 in 2 of 3 replications, g2 in 1 of 3
    rows = [{"scenario": "s", "replication": r, "lab": "a", "generation": g, "day": float(d), "started_day": 0.0,
             "date": start + pd.Timedelta(days=d)} for g, ds in days.items() for r, d in enumerate(ds)]
    ax = generations_figure(pd.DataFrame(rows), ["s"], ["a"]).axes[0]
    step = next(line for line in ax.get_lines() if line.get_gid() == "s")
    assert list(step.get_ydata()) == [0, 1]  # g2's median is after the end: not drawn
    assert step.get_xdata()[1] == pd.Timestamp(start + pd.Timedelta(days=600))
    after = next(line for line in ax.get_lines() if line.get_gid() == "s after the end")
    assert list(after.get_ydata()) == [1] and date2num(after.get_xdata()[0]) == date2num(start + pd.Timedelta(days=600))


def test_identical_lines_striped_in_scenario_colours_keep_their_labs_line_style():
    """In a comparison the fleet figure tells labs apart by line style (solid, dashed, dotted). Identical lines of
    two scenarios were striped as dashes with gaps whatever their style: the dotted lab_us drew dashed, the style the
    legend gives lab_row, and its 115 GW read as lab_row's. Each stripe now keeps its line's own dash pattern."""
    from matplotlib.lines import _get_dash_pattern

    from supplychain.figures import fleet_figure

    days = np.arange(0, 70, 7.0)
    fleet = pd.concat([pd.DataFrame({"scenario": sc, "replication": 0, "lab": lab, "day": days,
                                     "date": pd.Timestamp("2022-01-01") + pd.to_timedelta(days, unit="D"),
                                     "installed_h100e": 100.0 * (i + 1), "power_mw": 10.0 * (i + 1), "stranded_h100e": 0.0})
                       for sc in ("base", "scen") for i, lab in enumerate(("lab_a", "lab_b", "lab_c"))])
    fig = fleet_figure(fleet, ["base", "scen"])
    legend = {t.get_text(): h.get_linestyle() for t, h in zip(fig.axes[0].get_legend().get_texts(),
                                                              fig.axes[0].get_legend().legend_handles)}
    assert legend["lab_b"] == "--" and legend["lab_c"] == ":"
    lines = {line.get_label(): line._unscaled_dash_pattern for line in fig.axes[1].get_lines()}
    for lab, style in (("lab_b", "--"), ("lab_c", ":")):
        own = _get_dash_pattern(style)[1]  # (on, off) of the lab's style
        (o0, d0), (o1, d1) = lines[f"{lab} (base)"], lines[f"{lab} (scen)"]
        assert d0 == d1 and d0[0] == pytest.approx(own[0]) and o0 != o1  # its own dashes (dots), in turn
        assert sum(d0) == pytest.approx(2 * sum(own))  # one period each


def test_the_binding_figure_keeps_a_generation_trained_with_nothing_delivered_and_says_so():
    """A generation trained on the fleet the lab had, nothing delivered meanwhile (the baseline's lab_us g1,
    before the first deliveries), had no bar and no row: lab_us g2 followed lab_cn g9 with nothing to say why."""
    from supplychain.figures_causes import binding_figure

    gens = pd.DataFrame([{"scenario": "s", "replication": 0, "lab": "lab", "generation": g, "started_day": 100.0 * g,
                          "day": 100.0 * g + 100, "date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=100 * g + 100)}
                         for g in range(3)])
    orders = pd.DataFrame([{"scenario": "s", "replication": 0, "kind": "lab", "lab": "lab", "product": "h100", "qty": 5.0,
                            "delivered": day, "delivered_qty": 5.0, "cause": "queue:fab"} for day in (150.0, 250.0)])
    ax = binding_figure(orders, gens, ["s"], {"h100": 1.0}).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["lab g0", "lab g1", "lab g2"]
    assert [p.get_width() for p in ax.containers[0].patches] == [0.0, 1.0, 1.0]
    notes = [(t.get_text(), t.get_position()[1]) for t in ax.texts]
    assert notes == [("nothing delivered while it trained", 0)]


def test_a_lab_that_released_no_generation_keeps_its_panel_and_says_so():
    """A lab of the fleet figure that released no generation (or did in one compared scenario only) was left out
    of the generation figure, or its scenario's line was simply absent: nothing said it released none."""
    from supplychain.figures import generations_figure

    gens = pd.DataFrame([{"scenario": "base", "replication": 0, "lab": "a", "generation": g, "day": 300.0 * g,
                          "started_day": 0.0, "date": pd.Timestamp("2022-06-01") + pd.Timedelta(days=300 * g)}
                         for g in range(3)])
    fig = generations_figure(gens, ["base"], ["a", "b"])
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["a", "b"]
    assert [t.get_text() for t in fig.axes[1].texts] == ["no generation released"] and not fig.axes[0].texts
    fig = generations_figure(gens, ["base", "scen"], ["a"])
    assert [t.get_text() for t in fig.axes[0].texts] == ["no generation released: scen"]
    assert generations_figure(gens, ["base"], ["b"]) is None  # no lab released any: no figure (the report says why)


def test_the_lead_time_figure_says_what_its_quoted_and_realised_lines_are_and_when():
    """A quoted and a realised line side by side read as the same orders: the realised one is dated when orders
    arrived (some 40 weeks after the quote beside it), and the quoted one is a mean over the labs' flows (below the
    summary's peak, which is the largest flow's). The figure now says both; the lines are what it says."""
    from supplychain.figures import lead_time_figure

    weeks = np.arange(10)
    lt = pd.concat([pd.DataFrame({"scenario": "s", "replication": 0, "product": "h100", "customer": lab,
                                  "day": 7.0 * weeks, "quoted_days": quoted, "realised_by_delivery_days": realised,
                                  "realised_by_delivery_lines": lines})
                    for lab, quoted, realised, lines in (("lab_a", 70.0, 140.0, 1), ("lab_b", 210.0, 280.0, 3))])
    lt["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(lt["day"], unit="D")
    fig = lead_time_figure(lt, ["s"], ["lab_a", "lab_b"])
    title = fig._suptitle.get_text()
    assert "quoted (solid): mean over the labs" in title and "realised (dashed): mean over the orders delivered that " \
           "week, at the delivery week" in title
    quoted, realised = fig.axes[0].get_lines()
    assert np.asarray(quoted.get_ydata(), dtype=float)[0] == pytest.approx(20.0)  # (70 + 210) / 2 days, in weeks
    assert np.asarray(realised.get_ydata(), dtype=float)[0] == pytest.approx((140 + 3 * 280) / 4 / 7)  # per order
