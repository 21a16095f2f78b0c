"""The run summary: what it names as peak lead times and binding inputs."""

import pandas as pd

from supplychain.summary import peak_lead_times, summarise


def _lead_times() -> pd.DataFrame:
    day = [0.0, 7.0, 0.0, 7.0]
    return pd.DataFrame({
        "day": day, "supplier": ["nvidia", "nvidia", "grid", "grid"], "customer": ["lab_us"] * 4,
        "product": ["h100", "h100", "power", "power"], "quoted_days": [70.0, 140.0, 900.0, 1000.0],
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(day, unit="D"),
    })


def test_peak_lead_times_keeps_the_named_products_only():
    peaks = peak_lead_times(_lead_times(), {"lab_us"}, ["h100"])
    assert list(peaks["product"]) == ["h100"] and peaks["peak_weeks"].iloc[0] == 20.0
    assert set(peak_lead_times(_lead_times(), {"lab_us"})["product"]) == {"h100", "power"}


def test_summary_lists_accelerators_not_grid_power_under_peak_lead_times():
    fleet = pd.DataFrame({"lab": ["lab_us"], "day": [7.0], "replication": [0], "installed_h100e": [10.0],
                          "stranded_h100e": [0.0], "power_mw": [5.0]})
    generations = pd.DataFrame(columns=["lab", "generation", "day", "date", "replication"])
    orders = pd.DataFrame(columns=["kind", "cause", "product", "qty", "lab"])
    text = summarise({"fleet": fleet, "generations": generations, "lead_times": _lead_times(), "orders": orders},
                     {"h100": 1.0}, "run")
    peaks = text.split("## Peak quoted lead time")[1].split("##")[0]
    assert "h100: 20 weeks" in peaks and "power" not in peaks
