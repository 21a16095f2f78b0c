"""Backtest aggregation (supplychain/backtest.py) on small synthetic frames, and one slow check of
the default baseline run against the Epoch AI chip sales data and the 2023-24 lead-time history.

The slow test's thresholds come from the brief and ../shared/calibration.md, not from the run:
yearly H100e within a factor of 2 of Epoch's (NVIDIA+TPU+AMD+Trainium ~1.3M in 2023, ~4.9M in
2024, ~13.2M in 2025; calibration.md s9), and quoted lead times that ease from the H2 2023 peak
(36-52 weeks) as CoWoS capacity doubled in 2024 (calibration.md s4 "Lead times (history)", s9).
Run it with `python -m pytest -m slow tests/test_backtest.py`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supplychain import backtest as bt

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- Epoch data
def test_the_copied_epoch_data_sums_to_the_figures_calibration_md_quotes() -> None:
    """calibration.md s9: NVIDIA+TPU+AMD+Trainium ~1.3M (2023), ~4.9M (2024), ~13.2M (2025) H100e;
    s4: NVIDIA 1.29M units in 2023, 3.84M in 2024."""
    obs = bt.observed_yearly().set_index(["year", "designer"])
    assert obs.loc[(2023, "total"), "h100e"] == pytest.approx(1.3e6, rel=0.03)
    assert obs.loc[(2024, "total"), "h100e"] == pytest.approx(4.9e6, rel=0.03)
    assert obs.loc[(2025, "total"), "h100e"] == pytest.approx(13.2e6, rel=0.03)
    assert obs.loc[(2023, "nvidia"), "units"] == pytest.approx(1.29e6, rel=0.01)
    assert obs.loc[(2024, "nvidia"), "units"] == pytest.approx(3.84e6, rel=0.01)
    assert set(obs.loc[2024].index) == {"nvidia", "google_tpu", "amd", "aws_trainium", "total"}
    assert (obs["h100e_p5"] <= obs["h100e"]).all() and (obs["h100e"] <= obs["h100e_p95"]).all()
    # every row is one calendar quarter, so its year and quarter are the same read from its start or its end
    epoch = bt.load_epoch()
    assert (epoch["start"].dt.to_period("Q") == epoch["end"].dt.to_period("Q")).all()


def test_the_repo_copy_matches_the_shared_data_when_present() -> None:
    shared = ROOT.parent / "shared" / "data" / "epoch-ai-chip-counts"
    if not shared.exists():
        pytest.skip("shared Epoch data not present")
    for name in bt.EPOCH_FILES:
        assert (bt.EPOCH_DIR / name).read_bytes() == (shared / name).read_bytes(), name
    assert "CC BY 4.0" in (bt.EPOCH_DIR / "README.md").read_text() and "Epoch AI, AI chip sales data" in (bt.EPOCH_DIR / "README.md").read_text()


def _write_epoch(folder: Path) -> None:
    header = ("Name,Chip manufacturer,Start date,End date,Compute estimate in H100e (median),H100e (5th percentile),"
              "H100e (95th percentile),Number of Units,Number of Units (5th percentile),Number of Units (95th percentile),"
              "Source / Link,Notes,Chip type\n")
    (folder / "nvidia_calendar_quarter_chip_timelines.csv").write_text(
        header
        + "Q4 2023 - H100,Nvidia,10/1/2023,12/31/2023,100,80,120,100,80,120,,,H100\n"
        + "Q1 2024 - H100,Nvidia,1/1/2024,3/31/2024,200,150,250,200,150,250,,,H100\n"
        + "Q1 2024 - H20,Nvidia,1/1/2024,3/31/2024,15,10,20,100,70,130,,,H20\n"
    )
    (folder / "amd_chip_timelines.csv").write_text(
        header.replace("Source / Link,Notes,Chip type", "Chip type,Notes,Source / Link")
        + "FY24 Q2 - Instinct MI300X,AMD,4/1/2024,6/30/2024,132,100,160,100,80,120,Instinct MI300X,,\n"
    )


def test_load_epoch_reads_any_subset_of_the_files(tmp_path: Path) -> None:
    _write_epoch(tmp_path)
    df = bt.load_epoch(tmp_path)
    assert list(df.columns[:6]) == ["designer", "chip", "start", "end", "year", "quarter"]
    assert sorted(df["designer"].unique()) == ["amd", "nvidia"]
    h20 = df[df["chip"] == "H20"].iloc[0]
    assert (h20["quarter"], h20["year"], h20["units"], h20["h100e"]) == ("2024Q1", 2024, 100.0, 15.0)
    with pytest.raises(FileNotFoundError):
        bt.load_epoch(tmp_path / "missing")


def test_observed_yearly_sums_by_designer_and_adds_a_total(tmp_path: Path) -> None:
    _write_epoch(tmp_path)
    obs = bt.observed_yearly(bt.load_epoch(tmp_path), years=[2023, 2024]).set_index(["year", "designer"])
    assert obs.loc[(2023, "nvidia"), "h100e"] == 100
    assert obs.loc[(2024, "nvidia"), ["units", "h100e"]].tolist() == [300, 215]
    assert obs.loc[(2024, "total"), ["units", "h100e", "h100e_p5", "h100e_p95"]].tolist() == [400, 347, 260, 430]
    assert (2023, "amd") not in obs.index


# --------------------------------------------------------------------------- simulated deliveries
def _orders(rows: list[tuple]) -> pd.DataFrame:
    cols = ["kind", "supplier", "product", "delivered_qty", "shipped_date", "delivered_date"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("shipped_date", "delivered_date"):
        df[c] = pd.to_datetime(df[c])
    return df


H = {"h100": 1.0, "b200": 2.5, "tpu_v5e": 0.2}


def test_simulated_yearly_spreads_an_order_over_its_shipments() -> None:
    orders = _orders([
        ("lab", "nvidia", "h100", 100.0, "2023-07-02", "2024-07-01"),  # 365 days: 183 in 2023, 182 in 2024
        ("lab", "nvidia", "b200", 10.0, "2024-05-01", "2024-05-01"),  # one delivery
        ("lab", "google_tpu", "tpu_v5e", 50.0, None, "2025-01-10"),  # no shipment date: a point at delivery
        ("assembly", "tsmc_cowos", "h100", 999.0, "2023-01-01", "2023-02-01"),  # not a lab order
        ("lab", "nvidia", "h100", 7.0, "2024-01-01", None),  # still being delivered at the end: left out
        ("lab", "nvidia", "h100", 0.0, None, None),  # denied
    ])
    sim = bt.simulated_yearly(orders, H, years=[2023, 2024, 2025]).set_index(["year", "designer"])
    assert sim.loc[(2023, "nvidia"), "units"] == pytest.approx(100 * 183 / 365)
    assert sim.loc[(2024, "nvidia"), "units"] == pytest.approx(100 * 182 / 365 + 10)
    assert sim.loc[(2024, "nvidia"), "h100e"] == pytest.approx(100 * 182 / 365 + 25)
    assert sim.loc[(2025, "google_tpu"), ["units", "h100e"]].tolist() == pytest.approx([50, 10])
    assert sim.loc[(2024, "total"), "units"] == pytest.approx(sim.loc[2024].drop("total")["units"].sum())
    assert sim.xs("total", level="designer")["units"].sum() == pytest.approx(160)


def test_simulated_yearly_keeps_only_the_designers_asked_for_and_needs_every_h100e() -> None:
    orders = _orders([("lab", "nvidia", "h100", 10.0, "2024-03-01", "2024-03-01"),
                      ("lab", "huawei", "ascend_910b", 5.0, "2024-03-01", "2024-03-01")])
    sim = bt.simulated_yearly(orders, H, years=[2024], designers=["nvidia"])
    assert set(sim["designer"]) == {"nvidia", "total"}
    with pytest.raises(KeyError, match="ascend_910b"):
        bt.simulated_yearly(orders, H, years=[2024])


def test_yearly_comparison_puts_both_sides_together_with_ratios() -> None:
    sim = pd.DataFrame({"year": [2024, 2024, 2024], "designer": ["nvidia", "huawei", "total"],
                        "units": [50.0, 5.0, 55.0], "h100e": [40.0, 2.0, 42.0]})
    obs = pd.DataFrame({"year": [2024, 2024, 2024], "designer": ["nvidia", "amd", "total"], "units": [100.0, 10.0, 110.0],
                        "h100e": [80.0, 12.0, 92.0], "h100e_p5": [60.0, 9.0, 69.0], "h100e_p95": [90.0, 15.0, 105.0]})
    cmp_ = bt.yearly_comparison(sim, obs).set_index("designer")
    assert cmp_.loc["nvidia", ["units_ratio", "h100e_ratio"]].tolist() == pytest.approx([0.5, 0.5])
    assert np.isnan(cmp_.loc["huawei", "obs_units"]) and np.isnan(cmp_.loc["amd", "sim_units"])
    assert list(cmp_.index) == ["nvidia", "amd", "total", "huawei"]  # Epoch's designers, total, then the rest


# --------------------------------------------------------------------------- lead times and what binds
def _lead_times() -> pd.DataFrame:
    dates = pd.to_datetime(["2023-08-05", "2023-08-12", "2023-11-04", "2024-08-03", "2024-08-10", "2024-08-10", "2024-08-10"])
    return pd.DataFrame({
        "date": dates,
        "customer": ["lab_us", "lab_us", "lab_us", "lab_us", "lab_us", "lab_cn", "lab_us"],
        "product": ["h100", "h100", "h200", "h100", "h200", "h100", "b200"],
        "quoted_days": [350.0, 364.0, 420.0, 70.0, 84.0, 700.0, 500.0],
        "realised_by_order_days": [280.0, np.nan, 434.0, 56.0, 70.0, 7.0, 7.0],  # nan: nothing ordered that week
    })


def test_quarterly_lead_times_are_medians_in_weeks_per_product_and_overall() -> None:
    q = bt.quarterly_lead_times(_lead_times(), products=["h100", "h200"], customers=["lab_us"])
    assert list(q.index) == ["2023Q3", "2023Q4", "2024Q3"]
    assert q.loc["2023Q3", "h100"] == pytest.approx(51.0) and np.isnan(q.loc["2023Q3", "h200"])
    assert q.loc["2024Q3", "leading"] == pytest.approx(11.0)  # median of 10 and 12 weeks; b200 and lab_cn left out
    assert q["realised"].tolist() == pytest.approx([40.0, 62.0, 9.0])  # the weeks' realised, same rows
    assert "realised" not in bt.quarterly_lead_times(_lead_times().drop(columns="realised_by_order_days"))
    everyone = bt.quarterly_lead_times(_lead_times(), products=["h100"])
    assert everyone.loc["2024Q3", "h100"] == pytest.approx((70 + 700) / 2 / 7)


def test_half_year_median_compares_h2_2023_with_h2_2024() -> None:
    lt = _lead_times()
    assert bt.half_year_median(lt, 2023, 2, customers=["lab_us"]) == pytest.approx(52.0)
    assert bt.half_year_median(lt, 2024, 2, customers=["lab_us"]) == pytest.approx(11.0)
    assert np.isnan(bt.half_year_median(lt, 2022, 1))


def test_node_utilisation_and_delivery_causes() -> None:
    nodes = pd.DataFrame({"date": pd.to_datetime(["2023-01-07", "2023-02-04", "2023-01-07", "2026-01-03"]),
                          "node": ["tsmc_cowos", "tsmc_cowos", "skhynix", "tsmc_cowos"],
                          "utilisation": [1.0, 0.5, 0.2, 0.1]})
    u = bt.node_utilisation(nodes)
    assert list(u.index) == ["2023Q1"] and u.loc["2023Q1", "tsmc_cowos"] == pytest.approx(0.75)
    # the week's mean where the table has it, not the recorded day's snapshot
    u = bt.node_utilisation(nodes.assign(utilisation_mean=[0.5, 0.7, 0.2, 0.1]))
    assert u.loc["2023Q1", "tsmc_cowos"] == pytest.approx(0.6)
    orders = pd.DataFrame({"kind": ["lab", "lab", "lab", "component"], "product": ["h100", "b200", "h100", "hbm3"],
                           "delivered_qty": [10.0, 2.0, 5.0, 100.0],
                           "delivered_date": pd.to_datetime(["2023-05-01", "2023-06-01", "2024-01-01", "2023-01-01"]),
                           "cause": ["queue:tsmc_cowos", "component:skhynix", None, "queue:skhynix"]})
    c = bt.delivery_causes(orders, years=[2023, 2024], h100e={"h100": 1.0, "b200": 2.5})
    c23 = c[c["year"] == 2023].set_index("cause")["share"]
    assert c23.to_dict() == pytest.approx({"queue:tsmc_cowos": 10 / 15, "component:skhynix": 5 / 15})
    assert c[c["year"] == 2024]["cause"].tolist() == ["none"]


# --------------------------------------------------------------------------- the default run
def test_product_table_reads_a_topology_given_as_a_path_a_graph_or_a_model() -> None:
    from supplychain.topology import graph_to_model, load_topology

    path = ROOT / "topology" / "minimal.yaml"
    tables = [bt.product_table(t) for t in (path, load_topology(path), graph_to_model(load_topology(path)))]
    assert list(tables[0].itertuples(index=False)) == [("acc", "vendor", 1.0)]
    for t in tables[1:]:
        pd.testing.assert_frame_equal(t, tables[0])


@pytest.mark.slow
def test_the_baseline_backtest_against_epoch_and_the_2023_shortage() -> None:
    out = bt.run_backtest(ROOT / "policies" / "baseline.yaml", keep_results=True)
    yearly = out["yearly"].set_index(["year", "designer"])
    for year in (2023, 2024, 2025):
        ratio = yearly.loc[(year, "total"), "h100e_ratio"]
        assert 0.5 <= ratio <= 2.0, f"{year}: simulated / Epoch H100e = {ratio:.2f}"
    lt = out["results"].tables["lead_times"]
    h2_2023 = bt.half_year_median(lt, 2023, 2, customers=["lab_us"])
    h2_2024 = bt.half_year_median(lt, 2024, 2, customers=["lab_us"])
    assert h2_2023 > h2_2024, (h2_2023, h2_2024)
    # what the orders took eases too, and by more: the shortage is in deliveries, not only in quotes
    took = out["lead_times"]["realised"]
    assert took["2023Q4"] - took["2024Q4"] > h2_2023 - h2_2024 > 0, (took["2023Q4"], took["2024Q4"])


def test_the_backtest_command_says_bad_input_in_one_line(tmp_path: Path) -> None:
    """`python -m supplychain.backtest` has its own argparse line: bad input is exit 2 and one line, as in `supplychain`."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "supplychain.backtest", str(tmp_path / "nope.yaml")], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip() == f"{tmp_path / 'nope.yaml'}: <file>: no such file"


def test_the_backtest_command_on_a_closed_pipe_ends_quietly_with_status_1() -> None:
    """`python -m supplychain.backtest | head -1`: a BrokenPipeError traceback (or, had the tables fit the buffer,
    "Exception ignored" and status 120 at exit). Python's note on SIGPIPE: no message, status 1."""
    import os
    import subprocess
    import sys

    code = ("import pandas as pd, supplychain.backtest as bt\n"
            "bt.run_backtest = lambda scenario, topology: {'yearly': pd.DataFrame({c: [2023] for c in ['year', 'designer', "
            "'sim_units', 'obs_units', 'units_ratio', 'sim_h100e', 'obs_h100e', 'h100e_ratio']}), "
            "'lead_times': pd.DataFrame({'quarter': ['2023Q1'] * ROWS})}\n"
            "bt.main([])\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(bt.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    for rows in (3, 20_000):  # within the pipe's buffer (the flush at exit) and past it (a print)
        read, write = os.pipe()
        os.close(read)
        try:
            r = subprocess.run([sys.executable, "-c", code.replace("ROWS", str(rows))], stdout=write, stderr=subprocess.PIPE,
                               text=True, env=env, timeout=120)
        finally:
            os.close(write)
        assert (r.returncode, r.stderr) == (1, ""), (rows, r.stderr)
