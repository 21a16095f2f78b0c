"""Backtest aggregation at its edges, by hand: figures on the first or last day of a year, quarter or half,
medians of three (where a mean differs), ratios over nothing, years not asked for, the top causes, and
`run_backtest` on a run given as tables (which designers the totals sum, which lab's quotes are read).
Each expectation is worked out from the few rows a test writes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from supplychain import backtest as bt

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("Name,Chip manufacturer,Start date,End date,Compute estimate in H100e (median),H100e (5th percentile),"
          "H100e (95th percentile),Number of Units,Number of Units (5th percentile),Number of Units (95th percentile),"
          "Source / Link,Notes,Chip type\n")


def _epoch(folder: Path) -> pd.DataFrame:
    (folder / "nvidia_calendar_quarter_chip_timelines.csv").write_text(
        HEADER
        + "Q4 2023 - H100,Nvidia,10/1/2023,12/31/2023,100,80,120,100,80,120,,,H100\n"
        + "Q1 2024 - H100,Nvidia,1/1/2024,3/31/2024,200,150,250,,150,250,,,H100\n"  # units left blank
        + "Q1 2024 - 910B,Huawei,1/1/2024,3/31/2024,30,20,40,50,40,60,,,Ascend 910B\n"
    )
    return bt.load_epoch(folder)


def test_a_blank_figure_reads_as_zero_and_a_maker_outside_the_four_keeps_its_name_in_lower_case(tmp_path: Path) -> None:
    df = _epoch(tmp_path).set_index("chip")
    assert df.loc["H100"].set_index("quarter").loc["2024Q1", "units"] == 0.0
    assert df.loc["Ascend 910B", "designer"] == "huawei"
    value_cols = ["units", "units_p5", "units_p95", "h100e", "h100e_p5", "h100e_p95"]
    assert (df[value_cols].dtypes == "float64").all(), df[value_cols].dtypes.to_dict()


def test_observed_yearly_leaves_out_the_years_not_asked_for(tmp_path: Path) -> None:
    epoch = _epoch(tmp_path)
    assert set(bt.observed_yearly(epoch, years=[2023])["year"]) == {2023}
    assert set(bt.observed_yearly(epoch, years=[2024])["year"]) == {2024}


def _orders(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["kind", "supplier", "product", "delivered_qty", "shipped_date", "delivered_date"])
    return df.assign(**{c: pd.to_datetime(df[c]) for c in ("shipped_date", "delivered_date")})


def test_a_delivery_at_midnight_on_new_years_day_counts_in_the_new_year_only() -> None:
    orders = _orders([("lab", "nvidia", "h100", 10.0, "2024-01-01", "2024-01-01")])
    sim = bt.simulated_yearly(orders, {"h100": 1.0}, years=[2023, 2024]).set_index(["year", "designer"])
    assert sim.loc[(2024, "total"), "units"] == 10.0 and sim.loc[(2023, "total"), "units"] == 0.0


def test_a_ratio_over_an_observed_zero_is_missing_not_infinite() -> None:
    sim = pd.DataFrame({"year": [2024], "designer": ["amd"], "units": [5.0], "h100e": [4.0]})
    obs = pd.DataFrame({"year": [2024], "designer": ["amd"], "units": [0.0], "h100e": [0.0]})
    row = bt.yearly_comparison(sim, obs).iloc[0]
    assert np.isnan(row["units_ratio"]) and np.isnan(row["h100e_ratio"])


def test_quarters_run_from_their_first_day_to_their_last_and_give_medians_not_means() -> None:
    lt = pd.DataFrame({
        "date": pd.to_datetime(["2024-01-01", "2024-03-30", "2024-03-31", "2025-12-31", "2026-01-01"]),
        "customer": ["lab_us"] * 5, "product": ["h100", "h100", "h100", "h200", "h200"],
        "quoted_days": [70.0, 700.0, 84.0, 140.0, 7.0], "realised_by_order_days": [70.0, 700.0, 84.0, 140.0, 7.0],
    })
    q = bt.quarterly_lead_times(lt, products=["h100", "h200"])
    assert list(q.index) == ["2024Q1", "2025Q4"]  # 1 January is Q1; 31 December is in, the next day is past `end`
    assert q.loc["2024Q1", ["h100", "leading", "realised"]].tolist() == pytest.approx([12.0, 12.0, 12.0])  # median of 10, 100, 12 weeks
    assert q.loc["2025Q4", ["h200", "leading"]].tolist() == pytest.approx([20.0, 20.0])


def test_the_halves_of_a_year_meet_between_30_june_and_1_july() -> None:
    lt = pd.DataFrame({"date": pd.to_datetime(["2024-06-30", "2024-07-01"]), "customer": ["lab_us"] * 2,
                       "product": ["h100"] * 2, "quoted_days": [70.0, 140.0]})
    assert (bt.half_year_median(lt, 2024, 1), bt.half_year_median(lt, 2024, 2)) == (10.0, 20.0)


def test_delivery_causes_keep_the_largest_causes_of_the_years_asked_for() -> None:
    orders = pd.DataFrame({"kind": ["lab"] * 4, "product": ["h100"] * 4, "delivered_qty": [10.0, 5.0, 1.0, 8.0],
                           "delivered_date": pd.to_datetime(["2023-03-01", "2023-04-01", "2023-05-01", "2025-01-01"]),
                           "cause": ["queue:a", "queue:b", "queue:c", "queue:d"]})
    c = bt.delivery_causes(orders, years=[2023, 2024], top=1)
    assert c.to_dict("list") == {"year": [2023], "cause": ["queue:a"], "share": [pytest.approx(10 / 16)]}


def test_run_backtest_on_a_runs_tables_totals_epochs_designers_and_reads_the_us_labs_quotes() -> None:
    day = pd.Timestamp("2024-03-01")
    orders = pd.DataFrame({"kind": ["lab", "lab"], "supplier": ["nvidia", "huawei"], "product": ["acc", "acc"],
                           "delivered_qty": [10.0, 4.0], "shipped_date": [day, day], "delivered_date": [day, day],
                           "cause": [None, None]})
    lead_times = pd.DataFrame({"date": pd.to_datetime(["2024-08-03", "2024-08-03"]), "customer": ["lab_us", "lab_cn"],
                               "product": ["h100", "h100"], "quoted_days": [70.0, 700.0]})
    nodes = pd.DataFrame({"date": [day], "node": ["fab"], "utilisation": [0.5]})
    epoch = pd.DataFrame({"year": [2024], "designer": ["nvidia"], "units": [20.0], "h100e": [20.0], "h100e_p5": [10.0],
                          "h100e_p95": [30.0]})
    run = SimpleNamespace(tables={"orders": orders, "lead_times": lead_times, "nodes": nodes})
    out = bt.run_backtest(results=run, topology=ROOT / "topology" / "minimal.yaml", epoch=epoch)
    total = out["yearly"].set_index(["year", "designer"]).loc[(2024, "total")]
    assert (total["sim_units"], total["units_ratio"]) == (10.0, 0.5)  # Huawei's 4 units are not in Epoch's total
    assert out["huawei"].set_index("year").loc[2024, "units"] == 4.0
    assert out["lead_times"].loc["2024Q3", "leading"] == 10.0  # lab_cn's 100 weeks left out
