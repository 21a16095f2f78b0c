"""Paired comparisons: release delays with t intervals, gaps, throttle, lead times, censoring."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats
from typer.testing import CliRunner

from supplychain.analysis import paired_releases, t_interval
from supplychain.cli import app
from supplychain.comparison import compare

from _compare import QUAKE, scenario

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def quake():
    return compare(scenario("base"), [scenario("quake", shocks=[QUAKE])], replications=3, seed=2, workers=2)


def test_t_interval_matches_scipy():
    x = [3.0, 5.0, 10.0, 4.0]
    n, mean, lo, hi = t_interval(x)
    ref = stats.t.interval(0.95, 3, loc=np.mean(x), scale=stats.sem(x))
    assert (n, mean) == (4, 5.5) and (lo, hi) == pytest.approx(ref)
    assert t_interval([2.0, 2.0]) == (2, 2.0, 2.0, 2.0)
    n, mean, lo, hi = t_interval([7.0])
    assert (n, mean) == (1, 7.0) and math.isnan(lo) and math.isnan(hi)


def test_identical_scenarios_differ_by_nothing():
    c = compare(scenario("a"), [scenario("b")], replications=2, seed=1, workers=1, counterfactuals=False)
    d = c.release_delays
    assert len(d) and (d["delay_days"] == 0).all() and (d["ci_low"] == 0).all() and (d["ci_high"] == 0).all()
    assert (c.gaps["change_days"] == 0).all()
    assert (c.peak_lead_times["change_weeks"] == 0).all()
    assert c.censored.empty


def test_capacity_shock_delays_generations_paired_by_replication(quake):
    d = quake.release_delays
    assert (d["n"] == 3).all()
    assert d["delay_days"].max() > 20, "a year of 20 % packaging must delay a generation"
    # the reported mean and CI are those of the per-replication paired differences
    gens = quake.experiment.generations
    pairs = paired_releases(gens, "base", "quake", [0, 1, 2], end_day=1e9)
    worst = d.loc[d["delay_days"].idxmax()]
    diffs = pairs[(pairs["lab"] == worst["lab"]) & (pairs["generation"] == worst["generation"])]["diff_days"]
    _, mean, lo, hi = t_interval(diffs)
    assert (worst["delay_days"], worst["ci_low"], worst["ci_high"]) == pytest.approx((mean, lo, hi), nan_ok=True)
    p = quake.peak_lead_times
    assert p.loc[p["product"] == "acc", "change_weeks"].iloc[0] > 0, "quoted lead time must rise"


def test_throttle_against_the_unconstrained_counterfactual(quake):
    t = quake.throttle
    assert set(t["scenario"]) == {"base", "quake"}
    names = set(quake.experiment.fleet["scenario"])
    assert {"base__unconstrained", "quake__unconstrained"} <= names
    mean = t.groupby("scenario")["throttle_days"].mean()
    assert mean["quake"] > mean["base"], "the shock throttles more than the baseline's own limits"
    assert (t.loc[t["scenario"] == "quake", "throttle_days"] >= -1).all()


def test_binding_inputs_name_the_shocked_node(quake):
    b = quake.binding
    assert set(b["scenario"]) >= {"base", "quake"}
    assert b["share"].between(0, 1).all()
    assert b[b["scenario"] == "quake"]["cause"].str.contains("packager").any()


def test_one_replication_says_ci_na():
    c = compare(scenario("a"), [scenario("b", shocks=[QUAKE])], replications=1, seed=1, workers=1, counterfactuals=False)
    d = c.release_delays
    assert d["ci_low"].isna().all() and d["note"].str.contains("CI n/a").all()
    assert "n/a" in c.text


def test_generation_reached_in_one_scenario_only_is_censored_not_dropped():
    slow = scenario("slow", set={"nodes.packager.capacity.value": 300})
    c = compare(scenario("base"), [slow], replications=2, seed=1, workers=1, counterfactuals=False)
    cens = c.censored
    assert len(cens) and (cens["reached_in"] == "base").all()
    assert (cens["bound_days"] > 0).all()
    gen = cens["generation"].max()
    row = c.release_delays[c.release_delays["generation"] == gen].iloc[0]
    assert row["censored_baseline_only"] == 2 and "censored" in row["note"]
    assert "censored" in c.text


def test_compare_command_prints_and_writes_tables(tmp_path):
    base, other = tmp_path / "base.yaml", tmp_path / "quake.yaml"
    base.write_text(yaml.safe_dump(scenario("base", end="2023-06-30")))
    other.write_text(yaml.safe_dump({"extends": "base.yaml", "name": "quake", "shocks": [QUAKE]}))
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", str(base), str(other), "-n", "2", "-w", "1", "-o", str(out), "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "## quake vs base" in res.output and "Release delay" in res.output and "Throttle" in res.output
    for name in ("release_delays", "censored", "gaps", "throttle", "peak_lead_times", "binding"):
        assert (out / "compare" / f"{name}.csv").is_file(), name
    assert set(pd.read_csv(out / "fleet.csv")["scenario"]) == {"base", "quake", "base__unconstrained", "quake__unconstrained"}
    bad = runner.invoke(app, ["compare", str(base), str(tmp_path / "missing.yaml"), "-o", str(out)])
    assert bad.exit_code == 2 and bad.output.strip().endswith("missing.yaml: <file>: no such file")


def test_comparison_repr_is_short_and_names_the_tables(quake):
    text = repr(quake)
    assert len(text) < 400, text
    assert text.startswith("Comparison(baseline='base', scenarios=['quake'], replications=3, ")
    for name, df in quake.tables.items():
        assert f"{name}={len(df)}" in text


def test_across_replications_gives_each_weeks_mean_and_t_interval():
    """A weekly series over replications: suppliers averaged within a replication first (each replication
    counts once), then `t_interval` across replications; a week one replication lacks has n - 1."""
    import pandas as pd

    from supplychain.analysis import across_replications, t_interval

    d = pd.DatetimeIndex(["2022-01-01", "2022-01-08"])
    lt = pd.DataFrame({"scenario": "s", "replication": [0, 0, 1, 2, 0, 1, 2], "supplier": list("abaaaaa"),
                       "date": d[[0, 0, 0, 0, 1, 1, 1]], "quoted_days": [10.0, 20.0, 16.0, 17.0, 5.0, 5.0, float("nan")]})
    got = across_replications(lt, "quoted_days")
    assert list(got.columns) == ["scenario", "date", "n", "mean", "ci_low", "ci_high"]
    assert got["n"].tolist() == [3, 2]
    n, mean, lo, hi = t_interval([15.0, 16.0, 17.0])
    assert got.iloc[0][["mean", "ci_low", "ci_high"]].tolist() == pytest.approx([mean, lo, hi])
    assert got.iloc[1][["mean", "ci_low", "ci_high"]].tolist() == [5.0, 5.0, 5.0]
    one = across_replications(lt[lt["replication"] == 0], "quoted_days")
    assert one["n"].tolist() == [1, 1] and one["ci_low"].isna().all()
    pd.testing.assert_frame_equal(across_replications(lt, "quoted_days", by="date"), got)  # one column, not "d", "a", ...


def test_differences_equal_in_every_replication_say_so_beside_their_interval_of_no_width():
    """Common random numbers often give the same difference in every replication: the t interval has no width
    ([-9, -9] from two replications), which read as certainty. The note says the differences did not vary (a
    difference of 0 in each needs no note: +0 [+0, +0] reads as it is); the
    interval is exactly the mean even where the std of equal floats is rounding noise (1.2e-16 for six 0.7s)."""
    from supplychain.analysis import across_replications, gap_changes, summarise_pairs

    assert np.std([0.7] * 6, ddof=1) > 0  # the premise
    n, mean, lo, hi = t_interval([0.7] * 6)
    assert n == 6 and lo == hi == mean == pytest.approx(0.7)
    pairs = pd.DataFrame({"lab": "lab", "generation": [0, 0, 1, 1, 2, 2], "status": "paired", "day_a": 100.0,
                          "day_b": [91.0, 91.0, 95.0, 105.0, 100.0, 100.0], "diff_days": [-9.0, -9.0, -5.0, 5.0, 0.0, 0.0]})
    s = summarise_pairs(pairs, "diff_days", ["lab", "generation"], 2).set_index("generation")
    assert (s.loc[0, "ci_low"], s.loc[0, "ci_high"]) == (-9.0, -9.0)
    assert s.loc[0, "note"] == "same in all 2 replications" and s.loc[1, "note"] == ""
    assert s.loc[2, "note"] == ""  # +0 [+0, +0] says "no change in any replication" as it is
    gaps = pd.DataFrame({"scenario": ["base"] * 2 + ["slow"] * 2, "replication": [0, 1] * 2, "lab": "lab",
                         "generations": 3, "mean_gap_days": [100.0, 110.0, 130.0, 140.0]})
    assert gap_changes(gaps, "base", "slow").iloc[0]["note"] == "same in all 2 replications"
    weekly = pd.DataFrame({"scenario": "s", "replication": range(6), "date": pd.Timestamp("2022-01-01"), "v": 0.7})
    w = across_replications(weekly, "v").iloc[0]
    assert w["ci_low"] == w["ci_high"] == w["mean"]


def test_t_interval_leaves_out_every_kind_of_null():
    """A nullable `Float64` column (pd.NA) was a TypeError; None and NaN were already left out."""
    want = t_interval([3.0, 5.0])
    assert t_interval(pd.Series([3.0, None, 5.0], dtype="Float64")) == want
    assert t_interval([3.0, None, float("nan"), np.float32("nan"), 5.0]) == want


def test_gap_changes_are_scenario_minus_baseline_paired_by_replication():
    """Per lab: the scenario's mean gap between generations minus the baseline's, replication by
    replication, with the t interval of those differences."""
    from supplychain.analysis import gap_changes

    gaps = pd.DataFrame({
        "scenario": ["base"] * 3 + ["slow"] * 3, "replication": [0, 1, 2] * 2, "lab": ["lab"] * 6,
        "generations": [5] * 6, "mean_gap_days": [100.0, 110.0, 90.0, 130.0, 150.0, 110.0],
    })
    g = gap_changes(gaps, "base", "slow").iloc[0]
    diffs = [30.0, 40.0, 20.0]
    n, mean, lo, hi = t_interval(diffs)
    assert (g["n"], g["change_days"]) == (3, 30.0) and (g["ci_low"], g["ci_high"]) == pytest.approx((lo, hi))
    assert (g["baseline_mean_gap_days"], g["scenario_mean_gap_days"]) == (100.0, 130.0)


def test_a_gap_change_over_different_generations_says_so():
    """A ban that stops a lab after g3 (4 releases, not 6) drops its later, slower gaps: its mean gap fell 34 days
    with a tight interval, read as a faster pace while every release came later. The note says the means cover
    different generations; with the same count there is no note."""
    from supplychain.analysis import gap_changes

    gaps = pd.DataFrame({
        "scenario": ["base"] * 2 + ["ban"] * 2, "replication": [0, 1] * 2, "lab": ["lab"] * 4,
        "generations": [6, 6, 4, 4], "mean_gap_days": [461.0, 462.0, 428.0, 427.0],
    })
    g = gap_changes(gaps, "base", "ban").iloc[0]
    assert g["change_days"] == -34.0
    assert g["note"] == "means over different generations: read release_delays"
    same = gaps.assign(generations=6)
    assert gap_changes(same, "base", "ban").iloc[0]["note"] == ""


def test_peak_changes_are_in_weeks_paired_by_replication():
    from supplychain.analysis import peak_changes

    peaks = pd.DataFrame({"scenario": ["base", "base", "slow", "slow"], "replication": [0, 1, 0, 1],
                          "product": ["h100"] * 4, "peak_quoted_days": [70.0, 84.0, 140.0, 168.0]})
    p = peak_changes(peaks, "base", "slow").iloc[0]
    assert (p["n"], p["change_weeks"]) == (2, 11.0)  # (10 + 12) / 2
    assert (p["baseline_peak_weeks"], p["scenario_peak_weeks"]) == (11.0, 22.0)


def test_weeks_without_a_finite_quote_are_counted_in_the_peak_note_not_hidden():
    """A supplier at zero capacity (a total outage) quotes inf: the peak is over the finite quotes, so
    without a note a six-month outage read as 'no product changed'."""
    from supplychain.analysis import peak_changes, peak_quoted
    from supplychain.summary import summary_rows

    inf = float("inf")
    lt = pd.DataFrame({"scenario": ["base"] * 3 + ["out"] * 3, "replication": [0] * 6, "customer": ["lab"] * 6,
                       "product": ["h100"] * 6, "day": [7.0, 14.0, 21.0] * 2,
                       "quoted_days": [70.0, 70.0, 70.0, 70.0, inf, inf]})
    kept = pd.concat([summary_rows({"lead_times": part, "fleet": pd.DataFrame({"lab": ["lab"], "day": [0.0]})})["lead_times"]
                      for _, part in lt.groupby("scenario")])  # what a lean comparison keeps of each replication
    for table in (lt, kept):
        peaks = peak_quoted(table, ["lab"])
        assert peaks.set_index("scenario")["unquoted_weeks"].to_dict() == {"base": 0, "out": 2}
        p = peak_changes(peaks, "base", "out").iloc[0]
        assert p["change_weeks"] == 0.0
        assert "no finite quote in 2 week(s) of out" in p["note"] and "of base" not in p["note"]


def test_binding_by_generation_counts_deliveries_while_the_generation_trained():
    """A delivery counts for generation g if it arrived in [g started, g released)."""
    from supplychain.analysis import binding_by_generation

    orders = pd.DataFrame({"scenario": ["s"] * 4, "replication": [0] * 4, "lab": ["lab"] * 4, "kind": ["lab"] * 4,
                           "product": ["h100"] * 4, "qty": [10.0] * 4, "delivered_qty": [10.0, 10.0, 30.0, 10.0],
                           "delivered": [50.0, 100.0, 150.0, 200.0],
                           "cause": ["queue:a", "queue:b", "queue:a", "queue:b"]})
    gens = pd.DataFrame({"scenario": ["s", "s"], "replication": [0, 0], "lab": ["lab", "lab"], "generation": [0, 1],
                         "started_day": [60.0, 120.0], "day": [120.0, 300.0]})
    b = binding_by_generation(orders, gens, {"h100": 1.0}).set_index(["generation", "cause"])["share"]
    assert b.to_dict() == {(0, "queue:b"): 1.0, (1, "queue:a"): 0.75, (1, "queue:b"): 0.25}


def test_replications_one_scenario_lacks_are_left_out_not_censored():
    """Only replications both scenarios ran are paired: a baseline replication the other
    scenario did not run is no evidence that it missed a generation."""
    from supplychain.analysis import compare_tables

    def gens(name, days):
        return pd.DataFrame({"scenario": name, "replication": range(len(days)), "lab": "lab", "generation": 0,
                             "day": days, "started_day": 0.0, "gap_days": np.nan})

    fleet = pd.DataFrame({"scenario": ["base"] * 3 + ["slow"] * 2, "replication": [0, 1, 2, 0, 1], "lab": "lab"})
    tables = {"generations": pd.concat([gens("base", [100.0, 110.0, 120.0]), gens("slow", [130.0, 140.0])]),
              "fleet": fleet,
              "lead_times": pd.DataFrame(columns=["scenario", "replication", "customer", "product", "quoted_days"]),
              "orders": pd.DataFrame(columns=["scenario", "replication", "kind", "cause", "product", "qty", "lab"])}
    out = compare_tables(tables, "base", ["slow"], end_day=1000.0, h100e={})
    d = out["release_delays"].iloc[0]
    assert (d["n"], d["delay_days"], d["censored_baseline_only"]) == (2, 30.0, 0)
    assert out["censored"].empty


def test_a_release_after_the_shorter_runs_end_is_not_censored():
    """A scenario that ends a year before the baseline: the baseline's release on day 900 lay past the other's
    end (day 730), and was counted as censored with the bound end - release, "delay >= -170 d". Releases are
    compared over the days every run covers; gaps too (2 generations each, not 3 against 2)."""
    from supplychain.analysis import compare_tables

    gens = pd.DataFrame({"scenario": ["base"] * 3 + ["short"] * 2, "replication": 0, "lab": "lab",
                         "generation": [0, 1, 2, 0, 1], "day": [100.0, 400.0, 900.0, 110.0, 420.0], "started_day": 0.0,
                         "gap_days": [np.nan, 300.0, 500.0, np.nan, 310.0]})
    tables = {"generations": gens, "fleet": pd.DataFrame({"scenario": ["base", "short"], "replication": 0, "lab": "lab"}),
              "lead_times": pd.DataFrame(columns=["scenario", "replication", "customer", "product", "quoted_days"]),
              "orders": pd.DataFrame(columns=["scenario", "replication", "kind", "cause", "product", "qty", "lab"])}
    out = compare_tables(tables, "base", ["short"], end_day=730.0, h100e={})
    assert out["censored"].empty, out["censored"]
    assert out["release_delays"]["generation"].tolist() == [0, 1]
    assert out["release_delays"]["delay_days"].tolist() == [10.0, 20.0]
    g = out["gaps"].iloc[0]
    assert (g["change_days"], g["baseline_generations"], g["scenario_generations"]) == (10.0, 2.0, 2.0)
    # a release inside the window one run did not make is censored, with a positive bound: day 730 is the shorter
    # run's last, so it releases on day 731 at the earliest, 331 days after the baseline's day 400
    one = compare_tables({**tables, "generations": gens.drop(index=4)}, "base", ["short"], end_day=730.0, h100e={})
    assert one["censored"]["bound_days"].tolist() == [331.0]


def test_a_peak_quote_over_ten_years_is_flagged_as_a_backlog():
    """compare.md printed an Ascend backlog of 2,276 -> 2,259 weeks as a change with a tight CI, where the
    summary calls the same quote 'over 10 years': the row now says it is a backlog."""
    from types import SimpleNamespace

    from supplychain.comparison import _backlog_note

    row = SimpleNamespace(baseline_peak_weeks=2275.8, scenario_peak_weeks=2258.7, note="")
    assert _backlog_note(row) == "a backlog over 10 years, not a lead time"
    assert _backlog_note(SimpleNamespace(baseline_peak_weeks=45.0, scenario_peak_weeks=float("nan"), note="new")) == "new"
    both = SimpleNamespace(baseline_peak_weeks=float("nan"), scenario_peak_weeks=600.0, note="only in the scenario")
    assert _backlog_note(both) == "only in the scenario; a backlog over 10 years, not a lead time"


def test_a_textbook_chain_compares_its_stock_points_without_counterfactuals(tmp_path):
    """No labs: no generations to throttle, so no unconstrained runs; the comparison is the stock points'
    fill rate, stock and backorders, paired by replication (a higher base stock fills more, holds more)."""
    from supplychain import compare
    from supplychain.topology import model_to_graph, save_topology

    from conftest import serial_chain

    model = serial_chain(None, 0, 5, 0, demand_rate=2, mode="poisson", policy="base_stock", base_stock=13)
    save_topology(model_to_graph(model), tmp_path / "serial.yaml")
    (tmp_path / "a.yaml").write_text("name: a\ntopology: serial.yaml\nend: 2023-12-31\nreplications: 3\n")
    (tmp_path / "b.yaml").write_text("name: b\nextends: a.yaml\nset: {nodes.depot.base_stock: 16}\n")
    c = compare(tmp_path / "a.yaml", [tmp_path / "b.yaml"], workers=1)
    assert [es.name for es in c.experiment.scenarios] == ["a", "b"]
    ch = c.tables["stock_changes"].set_index("outcome")
    assert (ch["node"] == "depot").all() and (ch["n"] == 3).all()
    assert ch.loc["fill_rate", "ci_low"] > 0 and ch.loc["mean_on_hand", "ci_low"] > 0 and ch.loc["mean_backorders", "ci_high"] < 0
    assert "Stock points" in c.text and "Release delay" not in c.text


def test_a_lean_comparison_gives_the_same_tables_from_the_rows_it_reads(tmp_path):
    """The command keeps in memory only what the comparison reads (a replication's tables are ~50 MB of the
    baseline); the comparison tables and text are the same, and every table is still in the folder."""
    from supplychain.runfolder import load_run

    base = scenario("base", end="2023-12-31")
    other = scenario("other", end="2023-12-31", labs={"utilisation": 0.3})
    full = compare(base, [other], replications=2, workers=1, out=tmp_path / "full")
    lean = compare(base, [other], replications=2, workers=1, out=tmp_path / "lean", lean=True)
    for name, df in full.tables.items():
        pd.testing.assert_frame_equal(lean.tables[name], df, obj=name)
    assert lean.text == full.text
    assert len(lean.experiment.tables["nodes"]) < len(full.experiment.tables["nodes"]) / 10
    assert len(lean.experiment.tables["orders"]) < len(full.experiment.tables["orders"])
    pd.testing.assert_frame_equal(load_run(tmp_path / "lean").tables["orders"], full.experiment.tables["orders"])
    # a chain without labs: the stock points' changes come through the lean rows too
    from supplychain.topology import model_to_graph, save_topology

    from conftest import serial_chain

    save_topology(model_to_graph(serial_chain(None, 0, 5, 0, demand_rate=2, mode="poisson", policy="base_stock",
                                              base_stock=13)), tmp_path / "serial.yaml")
    (tmp_path / "a.yaml").write_text("name: a\ntopology: serial.yaml\nend: 2023-06-30\nreplications: 2\n")
    (tmp_path / "b.yaml").write_text("name: b\nextends: a.yaml\nset: {nodes.depot.base_stock: 16}\n")
    chain = [compare(tmp_path / "a.yaml", [tmp_path / "b.yaml"], workers=1, out=tmp_path / f"s{lean}", lean=lean)
             for lean in (False, True)]
    assert len(chain[1].tables["stock_changes"]) == 3
    pd.testing.assert_frame_equal(chain[1].tables["stock_changes"], chain[0].tables["stock_changes"])


def test_a_lean_comparison_without_out_is_lean_too():
    """`compare(..., lean=True)` without `out=` kept every table whole (lean was applied only with `out`),
    silently: the memory the README says lean saves was spent. It keeps the rows the comparison reads."""
    base = scenario("base", end="2022-12-31")
    other = scenario("other", end="2022-12-31", labs={"utilisation": 0.3})
    full = compare(base, [other], replications=1, workers=1, counterfactuals=False)
    lean = compare(base, [other], replications=1, workers=1, counterfactuals=False, lean=True)
    for name, df in full.tables.items():
        pd.testing.assert_frame_equal(lean.tables[name], df, obj=name)
    assert lean.text == full.text
    assert list(lean.experiment.tables["nodes"].columns) == ["scenario", "replication"]
    assert len(lean.experiment.tables["orders"]) < len(full.experiment.tables["orders"])
    assert lean.experiment.summary() == full.experiment.summary()  # what `run` would print, from the lean rows


def test_the_comparison_tables_carry_dates_beside_their_days():
    """`baseline_day` -> `baseline_date` and the like, from the baseline's start, as the run tables do."""
    # the scenario starts half a year later: its days (and its counterfactual's) count from its own start
    c = compare(scenario("base", end="2024-12-31"),
                [scenario("late", start="2022-07-01", end="2024-12-31", labs={"utilisation": 0.2})], replications=2, workers=1)
    starts = {"base": pd.Timestamp("2022-01-01"), "late": pd.Timestamp("2022-07-01"), "base__unconstrained":
              pd.Timestamp("2022-01-01"), "late__unconstrained": pd.Timestamp("2022-07-01")}

    def dated(days: pd.Series, origin: pd.Series) -> pd.Series:
        return origin + pd.to_timedelta(np.floor(days), unit="D")

    checked = 0
    for name, sides in (("release_delays", ("baseline", "scenario")), ("censored", ("baseline", "scenario")),
                        ("throttle", ("unconstrained", "scenario"))):
        t = c.tables[name]
        for side in sides:
            days, dates = t[f"{side}_day"], t[f"{side}_date"]
            origin = pd.Series(starts["base"], index=t.index) if side == "baseline" else t["scenario"].map(starts)
            assert (dates.isna() == days.isna()).all()
            ok = days.notna()
            assert (dates[ok] == dated(days[ok], origin[ok])).all(), (name, side)
            checked += int(ok.sum())
    assert checked > 10 and set(c.tables["throttle"]["scenario"]) == {"base", "late"}
    g = c.tables["mean_gaps"].dropna(subset=["last_release_day"])
    assert (g["last_release_date"] == dated(g["last_release_day"], g["scenario"].map(starts))).all()
    # the scenario's own generations table agrees on the date of its last release
    gens = c.experiment.tables["generations"]
    last = gens[gens["scenario"] == "late"].groupby("replication")["date"].max()
    assert (g[g["scenario"] == "late"].set_index("replication")["last_release_date"] == last).all()
    # the printout dates each side as the table does (it dated the late scenario's releases from the baseline's
    # start, half a year early, beside a delay of days from its own start) and says what a day is
    d = c.release_delays
    block = c.text.split("Release delay")[1].split("\n\n")[0]
    for r in d.itertuples():
        assert f"g{r.generation}   {r.baseline_date:%Y-%m-%d}  {r.scenario_date:%Y-%m-%d}  " in block, block
    assert "late runs 2022-07-01 to 2024-12-31, base 2022-01-01 to 2024-12-31: days count from each run's own start" in c.text


def test_a_scenario_that_ends_sooner_is_compared_over_its_span_not_censored_past_it():
    """The baseline runs a year longer: its release on day ~737, after the other run's end (day 729), is no
    generation the shorter run missed. The comparison window is the shortest run's, end to end."""
    c = compare(scenario("base", end="2024-12-31"), [scenario("short", end="2023-12-31")], replications=1, seed=0,
                workers=1, counterfactuals=False)
    gens = c.experiment.generations
    assert (gens.loc[gens["scenario"] == "base", "day"] > 729).any(), "the premise: a baseline release past day 729"
    assert c.censored.empty and (c.release_delays["delay_days"] == 0).all()


def test_every_scenario_runs_on_the_baselines_seed_not_its_own():
    """Replication r of each scenario is paired with the baseline's r: a scenario file's own seed is overridden."""
    c = compare(scenario("a", seed=7, end="2022-03-31"), [scenario("b", seed=8, end="2022-03-31")], replications=1,
                workers=1, counterfactuals=False)
    assert [es.seed for es in c.experiment.scenarios] == [7, 7] and c.seed == 7
