"""The run summary: what it names as peak lead times and binding inputs."""

import re
from pathlib import Path

import pandas as pd
import pytest

from supplychain import ScenarioWarning
from supplychain.comparison import _date
from supplychain.engine.record import day_dates
from supplychain.summary import peak_lead_times, release_table, summarise


def _lead_times() -> pd.DataFrame:
    day = [0.0, 7.0, 0.0, 7.0]
    return pd.DataFrame({
        "day": day, "supplier": ["nvidia", "nvidia", "grid", "grid"], "customer": ["lab_us"] * 4,
        "product": ["h100", "h100", "power", "power"], "quoted_days": [70.0, 140.0, 900.0, 1000.0],
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(day, unit="D"),
    })


def _summary_of(lead_times: pd.DataFrame) -> str:
    """The summary of one lab's quotes (`lead_times`), with a one-row fleet and no generations or orders."""
    fleet = pd.DataFrame({"lab": ["lab_us"], "day": [7.0], "replication": [0], "installed_h100e": [10.0],
                          "stranded_h100e": [0.0], "power_mw": [5.0]})
    generations = pd.DataFrame(columns=["lab", "generation", "day", "date", "replication"])
    orders = pd.DataFrame(columns=["kind", "cause", "product", "qty", "lab"])
    return summarise({"fleet": fleet, "generations": generations, "lead_times": lead_times, "orders": orders},
                     {"h100": 1.0}, "run")


def test_peak_lead_times_keeps_the_named_products_only():
    peaks = peak_lead_times(_lead_times(), {"lab_us"}, ["h100"])
    assert list(peaks["product"]) == ["h100"] and peaks["peak_weeks"].iloc[0] == 20.0
    assert set(peak_lead_times(_lead_times(), {"lab_us"})["product"]) == {"h100", "power"}


def test_summary_lists_accelerators_not_grid_power_under_peak_lead_times():
    text = _summary_of(_lead_times())
    peaks = text.split("## Peak quoted lead time")[1].split("##")[0]
    assert "h100: 20 weeks (2024-01-08, to lab_us)\n" in peaks and "power" not in peaks


def test_summary_says_how_long_orders_took_beside_the_peak_quote():
    """The peak quote beside the longest time the orders of one week took (the realised lead time by
    order week, median over replications as the quote's): how far the quote ran ahead of the orders. It is
    a week's mean, so it says so: "took at most 64 weeks" was read as a maximum, and single lines took longer."""
    lt = _lead_times().assign(realised_by_order_days=[84.0, 98.0, 700.0, None])
    text = _summary_of(lt)
    assert ("- h100: 20 weeks (2024-01-08, to lab_us); the orders of the slowest order week that arrived took "
            "14 weeks on average\n") in text and "at most" not in text
    peaks = peak_lead_times(lt, {"lab_us"}, ["h100"], "realised_by_order_days")
    assert peaks["peak_weeks"].tolist() == [14.0]


def test_summary_counts_the_weeks_without_a_finite_quote_beside_the_peak():
    """A supplier at zero capacity quotes inf, which the peak leaves out: the summary says for how many
    weeks (median over replications, a replication without such a week counting 0)."""
    inf = float("inf")
    lt = pd.concat([_lead_times().assign(replication=r) for r in range(3)], ignore_index=True)
    lt.loc[(lt["replication"] < 2) & (lt["product"] == "h100") & (lt["day"] == 7.0), "quoted_days"] = inf
    text = _summary_of(lt)
    assert "no finite quote in 1 weeks (a supplier at zero capacity), left out of the peak\n" in text
    lt.loc[lt["replication"] == 1, "quoted_days"] = lt.loc[lt["replication"] == 2, "quoted_days"].to_numpy()
    text = _summary_of(lt)
    assert "no finite quote" not in text  # in one replication of three: the median is 0


def _replicated_lead_times(peaks_weeks: list[float]) -> pd.DataFrame:
    """One h100 row before the peak and one at it per replication; replication r peaks on day 7 x (r + 1) to lab_r."""
    rows = []
    for r, weeks in enumerate(peaks_weeks):
        for day, quoted in ((0.0, 7.0), (7.0 * (r + 1), weeks * 7.0)):
            rows.append({"replication": r, "day": day, "supplier": "nvidia", "customer": f"lab_{r}",
                         "product": "h100", "quoted_days": quoted})
    out = pd.DataFrame(rows)
    out["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(out["day"], unit="D")
    return out


def test_peak_lead_time_is_the_median_of_each_replications_peak_not_the_pooled_maximum():
    peaks = peak_lead_times(_replicated_lead_times([10.0, 30.0, 20.0]))
    row = peaks.iloc[0]
    assert (row["peak_weeks"], row["customer"], row["date"]) == (20.0, "lab_2", pd.Timestamp("2024-01-22"))


def test_peak_lead_time_over_an_even_count_names_the_lower_middle_replication():
    row = peak_lead_times(_replicated_lead_times([10.0, 30.0])).iloc[0]
    assert (row["peak_weeks"], row["customer"]) == (20.0, "lab_0")


def test_summary_says_how_many_replications_reached_a_generation_only_when_some_did_not():
    fleet = pd.DataFrame({"lab": ["lab_us"] * 3, "day": [7.0] * 3, "replication": [0, 1, 2],
                          "installed_h100e": [10.0] * 3, "stranded_h100e": [0.0] * 3, "power_mw": [5.0] * 3})
    gens = pd.DataFrame({"lab": ["lab_us"] * 5, "generation": [0, 0, 0, 1, 1], "day": [10.0, 10.0, 10.0, 40.0, 60.0],
                         "replication": [0, 1, 2, 0, 1]})
    gens["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(gens["day"], unit="D")
    orders = pd.DataFrame(columns=["kind", "cause", "product", "qty", "lab"])
    text = summarise({"fleet": fleet, "generations": gens, "lead_times": _lead_times(), "orders": orders},
                     {"h100": 1.0}, "run")
    # g1 on days 40 and 60, not reached in the third: the median of the three is day 60, the third counting as
    # after the end (the median of the two that reached it, day 50, drops the slowest and read 2024-02-20)
    assert "- lab_us: g0 2024-01-11, g1 2024-03-01 (in 2 of 3 replications)\n" in text
    assert "A date is the median over all replications, one that did not reach the generation counting as after" in text


def test_a_generation_half_the_replications_did_not_reach_has_its_median_after_the_end():
    """Reached in 1 of 2 or 2 of 5 replications, the median release is after the run: the summary says so, with
    the median of those that reached it, rather than printing that as the date."""
    day = pd.Series([10.0, 10.0, 40.0])
    gens = pd.DataFrame({"lab": "lab_us", "generation": [0, 0, 1], "day": day, "replication": [0, 1, 0],
                         "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(day, unit="D")})
    rel = release_table(gens).set_index("generation")
    assert str(rel.loc[0, "release"]) == "2024-01-11" and rel.loc[1, "release"] is None
    assert str(rel.loc[1, "reached_release"]) == "2024-02-10" and rel.loc[1, "replications"] == 1
    three = release_table(gens, replications=3).set_index("generation")  # of 3 run: g0 in 2 (median known), g1 in 1
    assert str(three.loc[0, "release"]) == "2024-01-11" and three.loc[1, "release"] is None
    assert release_table(gens, replications=5)["release"].isna().all()  # 2 of 5: the 3rd smallest is censored
    fleet = pd.DataFrame({"lab": ["lab_us"] * 2, "day": [7.0] * 2, "replication": [0, 1],
                          "installed_h100e": [10.0] * 2, "stranded_h100e": [0.0] * 2, "power_mw": [5.0] * 2})
    orders = pd.DataFrame(columns=["kind", "cause", "product", "qty", "lab"])
    text = summarise({"fleet": fleet, "generations": gens, "lead_times": _lead_times(), "orders": orders},
                     {"h100": 1.0}, "run")
    assert ("- lab_us: g0 2024-01-11, g1 after the end at the median (in 1 of 2 replications, their median "
            "2024-02-10)\n") in text


def test_release_dates_are_the_tables_dates():
    """The summary's and the comparison's release dates are the generations table's dates: the day
    each moment falls in."""
    day = pd.Series([3.5, 360.5, 361.5])
    gens = pd.DataFrame({"lab": ["a", "b", "c"], "generation": [0, 0, 0], "day": day, "replication": [0, 0, 0],
                         "date": day_dates(pd.Timestamp("2022-01-01").date(), day)})
    assert [str(d) for d in gens["date"].dt.date] == ["2022-01-04", "2022-12-27", "2022-12-28"]
    assert [str(d) for d in release_table(gens)["release"]] == ["2022-01-04", "2022-12-27", "2022-12-28"]
    assert [_date("2022-01-01", d) for d in day] == ["2022-01-04", "2022-12-27", "2022-12-28"]


def test_binding_inputs_weigh_orders_by_h100e_and_keep_each_labs_top_three():
    """Shares are of ordered H100e (units x the SKU's H100e), per lab, the three largest first."""
    from supplychain.summary import binding_inputs

    orders = pd.DataFrame({
        "kind": ["lab"] * 5 + ["component"],
        "lab": ["lab_us"] * 5 + ["lab_us"],
        "product": ["h100", "a100", "a100", "a100", "h20", "logic"],
        "qty": [100.0, 160.0, 100.0, 50.0, 480.0, 1e6],
        "cause": ["queue:cowos", "production:tsmc", "queue:hbm", "transport:x->y", "licence:oct2023", "queue:tsmc"],
    })
    h100e = {"h100": 1.0, "a100": 0.5, "h20": 0.25}  # H100e: 100, 80, 50, 25, 120 (of 375)
    b = binding_inputs(orders, h100e)
    assert b["cause"].tolist() == ["licence:oct2023", "queue:cowos", "production:tsmc"]
    assert b["share"].tolist() == pytest.approx([120 / 375, 100 / 375, 80 / 375])


def test_the_fleet_lines_say_power_connected_and_drawn():
    """`power_mw` is what the grid connected, not what the fleet draws (lab_cn: 46 GW connected, 10 GW
    drawn at the end of the baseline); the summary said only 'MW', which read as consumption."""
    from supplychain import simulate
    from supplychain.summary import summarise

    r = simulate(str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml"), {"name": "x", "end": "2022-12-31"})
    last = r.fleet[r.fleet["day"] == r.fleet["day"].max()].iloc[0]
    text = summarise(r.tables, {"acc": 1.0}, "x")
    line = next(x for x in text.splitlines() if x.startswith("- lab: ") and "H100e installed" in x)  # the fleet line
    assert line.endswith(f"{last.power_mw:,.0f} MW connected ({last.power_used_mw:,.0f} MW drawn)")


def test_each_heading_of_a_summary_with_labs_and_stock_points_starts_a_paragraph():
    """minimal.yaml has a lab and a stock point: '## Stock points' followed the fleet's last line with no blank
    line between, so a Markdown viewer read the heading into the list above it."""
    from supplychain import simulate
    from supplychain.summary import summarise

    r = simulate(str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml"), {"name": "x", "end": "2022-06-30"})
    lines = summarise(r.tables, {"acc": 1.0}, "x").splitlines()
    headings = [k for k, x in enumerate(lines) if x.startswith("## ")]
    assert any(lines[k].startswith("## Stock points") for k in headings)
    assert all(lines[k - 1] == "" for k in headings)


def test_a_section_with_nothing_to_list_says_so():
    """An accelerator not on sale before the end (no quote to a lab, no lab order) left 'Peak quoted lead time'
    and 'What bound the labs' orders' headings with nothing under them, and a stock point no demand reached
    printed 'fill rate nan'."""
    from supplychain import simulate

    minimal = str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml")
    with pytest.warns(ScenarioWarning, match="it orders none"):  # the lab is told so before the run
        r = simulate(minimal, {"name": "late", "end": "2022-06-30", "set": {"products.acc.available": "2030-01-01"},
                               "shocks": [{"id": "quiet", "kind": "demand", "start": "2022-01-01", "duration_days": 400,
                                           "multiplier": 0, "target": {"ids": ["customers"]}}]})
    text = summarise(r.tables, {"acc": 1.0}, "late")
    assert "## Peak quoted lead time, accelerators to labs\n\n- no quote to a lab" in text
    assert "(dominant delay, share of ordered H100e over all replications; the 3 largest per lab)\n\n- no lab order" in text
    assert "fill rate n/a (no demand)" in text and not re.search(r"\bnan\b", text)


def test_a_network_without_labs_summarises_its_stock_points_and_counts_its_replications():
    """The generic kernel: no lab sections (they would be empty), the stock points' figures, and the
    replications counted from any table (the fleet table, which counted them, is empty without labs)."""
    from supplychain import run_experiment
    from supplychain.summary import summarise

    from conftest import serial_chain

    model = serial_chain(None, 0, 5, 0, demand_rate=2, mode="poisson", policy="base_stock", base_stock=13)
    res = run_experiment({"name": "serial", "end": "2023-12-31", "replications": 3}, topology=model, workers=1)
    text = summarise(res.scenario("serial"), {}, "serial")
    assert "Replications: 3." in text and "Model generations" not in text and "Peak quoted" not in text
    med = res.stocks.groupby("node")[["fill_rate", "mean_on_hand"]].median().loc["depot"]
    assert f"- depot (widget): fill rate {med.fill_rate:.3f}, mean on hand {med.mean_on_hand:,.2f}," in text


def test_every_cause_share_weighs_a_product_without_an_h100e_figure_as_one_unit():
    """The summary, the comparison's binding tables and the backtest's causes share one weight: an order of
    a product missing from the H100e map counts per unit (the backtest dropped it, the others counted it)."""
    from supplychain.backtest import delivery_causes
    from supplychain.summary import h100e_per_unit

    assert h100e_per_unit(pd.Series(["h100", "mystery"]), {"h100": 2.0}).tolist() == [2.0, 1.0]
    orders = pd.DataFrame({"kind": ["lab", "lab"], "product": ["h100", "mystery"], "delivered_qty": [1.0, 2.0],
                           "delivered_date": pd.to_datetime(["2023-03-01", "2023-04-01"]), "cause": ["queue:a", "queue:b"]})
    shares = delivery_causes(orders, years=[2023], h100e={"h100": 2.0}).set_index("cause")["share"]
    assert shares.to_dict() == pytest.approx({"queue:a": 0.5, "queue:b": 0.5})


@pytest.mark.filterwarnings("ignore::supplychain.errors.ScenarioWarning")  # the baseline's 2025 rules, past this end
@pytest.mark.parametrize("scenario", ["policies/baseline.yaml", str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml")])
def test_the_summary_from_each_replications_summary_rows_is_the_summary_of_the_whole_tables(scenario):
    """A run folder's summary is built one stored replication at a time from `summary_rows` (a few thousand
    rows, not ~50 MB): it must read exactly as the summary of the concatenated tables."""
    from supplychain import run_experiment
    from supplychain.experiment import concat_tables
    from supplychain.summary import summarise, summary_rows

    sc = {"name": "s", "end": "2024-12-31"}
    sc = {**sc, "topology": scenario} if scenario.endswith("minimal.yaml") else {**sc, "extends": scenario}
    res = run_experiment(sc, replications=2, workers=1)
    es = res.scenarios[0]
    whole = res.scenario(es.name)
    parts = [summary_rows({k: v[v["replication"] == r] for k, v in whole.items()}) for r in range(2)]
    assert summarise(concat_tables(parts), es.h100e, es.name) == summarise(whole, es.h100e, es.name)
    assert sum(len(t) for p in parts for t in p.values()) < sum(len(t) for t in whole.values()) / 10


def test_summary_says_how_many_accelerators_it_leaves_out_of_the_peak_quotes():
    """Only the longest PEAKS_SHOWN peaks are listed; the rest are counted, so a reader looking for a SKU
    knows it was cut, not missing from the run."""
    from supplychain.summary import PEAKS_SHOWN

    n = PEAKS_SHOWN + 2
    lt = pd.DataFrame({"day": [0.0] * n, "supplier": ["v"] * n, "customer": ["lab_us"] * n,
                       "product": [f"sku{i}" for i in range(n)], "quoted_days": [7.0 * (i + 1) for i in range(n)],
                       "date": [pd.Timestamp("2024-01-01")] * n})
    fleet = pd.DataFrame({"lab": ["lab_us"], "day": [0.0], "replication": [0], "installed_h100e": [1.0],
                          "stranded_h100e": [0.0], "power_mw": [1.0]})
    generations = pd.DataFrame(columns=["lab", "generation", "day", "date", "replication"])
    orders = pd.DataFrame(columns=["kind", "cause", "product", "qty", "lab"])
    text = summarise({"fleet": fleet, "generations": generations, "lead_times": lt, "orders": orders},
                     {f"sku{i}": 1.0 for i in range(n)}, "run")
    peaks = text.split("## Peak quoted lead time")[1].split("##")[0]
    assert peaks.count("weeks (2024-01-01") == PEAKS_SHOWN
    assert "- 2 more accelerators peaked lower" in peaks and "sku0:" not in peaks and f"sku{n - 1}:" in peaks


def test_the_summary_of_many_labs_lists_the_largest_and_says_so():
    """A generated network of 200 nodes has 150 labs: the summary printed 750 lines (generations, causes and fleet
    of each). It lists the MAX_LABS with the largest fleet at the end, as the report's figures draw, and says so."""
    from supplychain.summary import MAX_LABS

    labs = [f"lab_{i:03d}" for i in range(MAX_LABS + 3)]
    fleet = pd.DataFrame({"lab": labs, "day": 7.0, "date": pd.Timestamp("2024-01-08"), "replication": 0,
                          "installed_h100e": [float(i) for i in range(len(labs))], "stranded_h100e": 0.0, "power_mw": 1.0})
    generations = pd.DataFrame({"lab": labs, "generation": 0, "day": 3.0, "date": pd.Timestamp("2024-01-04"), "replication": 0})
    orders = pd.DataFrame({"kind": "lab", "cause": "queue:fab", "product": "h100", "qty": 1.0, "lab": labs})
    text = summarise({"fleet": fleet, "generations": generations, "lead_times": _lead_times(), "orders": orders},
                     {"h100": 1.0}, "run")
    assert f"{len(labs)} labs: listed are the {MAX_LABS} with the largest installed fleet at the end" in text
    for section in ("Model generations", "What bound", "Fleet at the end"):
        part = text.split(f"## {section}")[1].split("##")[0]
        named = {lab for lab in labs if f"- {lab}:" in part}
        assert named == set(labs[-MAX_LABS:]), section


def test_a_cause_share_that_rounds_to_nothing_reads_under_one_percent():
    """A generated network's summary listed `lab_0041: power:lab_0041 0%`: a cause that bound some orders, shown as
    none. It reads `<1%`; a share of exactly 0 stays `0%`."""
    from supplychain.summary import share_text

    orders = pd.DataFrame({"kind": "lab", "lab": "lab_a", "product": "h100", "qty": [999.0, 1.0],
                           "cause": ["queue:fab", "power:lab_a"]})
    fleet = pd.DataFrame({"lab": ["lab_a"], "day": [7.0], "replication": [0], "installed_h100e": [10.0],
                          "stranded_h100e": [0.0], "power_mw": [5.0]})
    generations = pd.DataFrame(columns=["lab", "generation", "day", "date", "replication"])
    text = summarise({"fleet": fleet, "generations": generations, "lead_times": _lead_times(), "orders": orders},
                     {"h100": 1.0}, "run")
    assert "- lab_a: queue:fab 100%\n- lab_a: power:lab_a <1%\n" in text
    assert share_text(0.0) == "0%" and share_text(0.42) == "42%"
