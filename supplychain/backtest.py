"""Backtest: a simulated 2022-2025 beside what was shipped and quoted.

Observed shipments come from the Epoch AI chip sales data (CC BY 4.0, "Epoch AI,
AI chip sales data"; copied into `data/epoch-ai-chip-counts/`), quoted lead times
from the history rows of `../shared/calibration.md` (sections 4 and 9).

Everything here is aggregation of tables a run already returns; nothing feeds
back into the model. The functions take DataFrames and return DataFrames, so
they can be tested on small synthetic frames:

- `load_epoch` reads the four Epoch CSVs into one tidy frame.
- `observed_yearly` / `simulated_yearly` give units and H100e per year and
  designer (simulator vendor id) with a `total` row per year; `yearly_comparison`
  puts them side by side with the ratio simulated / observed.
- `quarterly_lead_times` gives the median quoted lead time (weeks) of the leading
  accelerators per quarter, `LEAD_TIME_HISTORY` what industry quoted.
- `node_utilisation` and `delivery_causes` say what bound when.
- `run_backtest` runs a scenario and returns all of these.

Simulated deliveries: a lab order can be filled in several shipments, while the
`orders` table keeps only the first shipment (`shipped`) and the last delivery
(`delivered`). Its delivered quantity is spread evenly over that interval (a
point if they coincide) before it is cut into calendar years.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from .errors import InputError
from .summary import h100e_per_unit

__all__ = [
    "EPOCH_DIR",
    "EPOCH_FILES",
    "DESIGNERS",
    "H100_CLASS",
    "LEAD_TIME_HISTORY",
    "load_epoch",
    "observed_yearly",
    "simulated_yearly",
    "yearly_comparison",
    "quarterly_lead_times",
    "half_year_median",
    "node_utilisation",
    "delivery_causes",
    "product_table",
    "run_backtest",
]

EPOCH_DIR = Path(__file__).resolve().parents[1] / "data" / "epoch-ai-chip-counts"
EPOCH_FILES = (
    "nvidia_calendar_quarter_chip_timelines.csv",
    "tpu_calendar_quarter_chip_timelines.csv",
    "amd_chip_timelines.csv",
    "trainium_chip_timelines.csv",
)
#: Epoch's "Chip manufacturer" -> the simulator's vendor node id
DESIGNERS = {"Nvidia": "nvidia", "Google": "google_tpu", "AMD": "amd", "Amazon": "aws_trainium"}
#: the leading accelerators whose quoted lead time industry reported in 2023-24 ("H100 servers")
H100_CLASS = ("h100", "h800", "h200")
YEARS = (2022, 2023, 2024, 2025)

_EPOCH_COLUMNS = {
    "Chip type": "chip",
    "Chip manufacturer": "maker",
    "Number of Units": "units",
    "Number of Units (5th percentile)": "units_p5",
    "Number of Units (95th percentile)": "units_p95",
    "Compute estimate in H100e (median)": "h100e",
    "H100e (5th percentile)": "h100e_p5",
    "H100e (95th percentile)": "h100e_p95",
}

#: Quoted lead times for H100-class accelerators as reported (calibration.md s4 "Lead times
#: (history)" and s9 "Lead-time dynamics"). low/high in weeks; months converted at 4.35 wk.
LEAD_TIME_HISTORY = pd.DataFrame(
    [
        ("2023Q3", 39.0, 39.0, "H100 servers 39 wk (Dell call, Aug 2023)"),
        ("2023Q4", 36.0, 52.0, "36-52 wk (Omdia, Nov 2023); ~11 months at the peak (UDN)"),
        ("2024Q1", 13.0, 20.0, "3-4 months early 2024 (UDN); HPE ~20 wk (Mar 2024)"),
        ("2024Q2", 8.0, 12.0, "8-12 wk (Dell Taiwan, Apr 2024)"),
        ("2024Q4", 52.0, 52.0, "Blackwell 'booked out 12 months' (Morgan Stanley, Oct 2024); B200, not H100"),
    ],
    columns=["quarter", "observed_low_weeks", "observed_high_weeks", "observed_note"],
)


# -- observed -------------------------------------------------------------------------
def load_epoch(path: str | Path | None = None) -> pd.DataFrame:
    """The Epoch AI chip sales CSVs as one frame.

    Columns: designer (simulator vendor id), chip, start, end, year, quarter
    ("2023Q4"), units, units_p5, units_p95, h100e, h100e_p5, h100e_p95.
    """
    folder = Path(path) if path is not None else EPOCH_DIR
    frames = []
    for name in EPOCH_FILES:
        f = folder / name
        if not f.exists():
            continue
        df = pd.read_csv(f)
        df = df.rename(columns=_EPOCH_COLUMNS)
        df["start"] = pd.to_datetime(df["Start date"], format="%m/%d/%Y")
        df["end"] = pd.to_datetime(df["End date"], format="%m/%d/%Y")
        frames.append(df)
    if not frames:
        raise FileNotFoundError(f"no Epoch chip CSVs in {folder}")
    df = pd.concat(frames, ignore_index=True)
    df["designer"] = df["maker"].map(DESIGNERS).fillna(df["maker"].str.lower())
    df["year"] = df["start"].dt.year
    df["quarter"] = df["start"].dt.to_period("Q").astype(str)
    cols = ["designer", "chip", "start", "end", "year", "quarter", "units", "units_p5", "units_p95", "h100e", "h100e_p5", "h100e_p95"]
    for c in cols[6:]:
        df[c] = pd.to_numeric(df[c], errors="coerce").fillna(0.0).astype(float)
    return df[cols].sort_values(["designer", "start", "chip"]).reset_index(drop=True)


def _with_totals(df: pd.DataFrame, value_cols: list[str]) -> pd.DataFrame:
    tot = df.groupby("year", as_index=False)[value_cols].sum()
    tot["designer"] = "total"
    out = pd.concat([df, tot[df.columns]], ignore_index=True)
    return out.sort_values(["year", "designer"]).reset_index(drop=True)


def observed_yearly(epoch: pd.DataFrame | None = None, years: Iterable[int] = YEARS) -> pd.DataFrame:
    """Epoch units and H100e per year and designer, with a `total` row per year.

    Columns: year, designer, units, h100e, h100e_p5, h100e_p95. The percentile
    columns are summed over chips and quarters, which overstates the spread of
    the sum (the estimates are not independent); they are a bracket, not an
    interval.
    """
    epoch = load_epoch() if epoch is None else epoch
    years = list(years)
    cols = ["units", "h100e", "h100e_p5", "h100e_p95"]
    sub = epoch[epoch["year"].isin(years)]
    g = sub.groupby(["year", "designer"], as_index=False)[cols].sum()
    return _with_totals(g[["year", "designer", *cols]], cols)


# -- simulated ------------------------------------------------------------------------
def _year_bounds(years: list[int]) -> list[tuple[int, float, float]]:
    """(year, first instant, first instant of the next year) as ns timestamps."""
    return [(y, pd.Timestamp(f"{y}-01-01").value, pd.Timestamp(f"{y + 1}-01-01").value) for y in years]


def _spread(first: np.ndarray, last: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Fraction of [first, last] inside [lo, hi) (a point counts whole or not at all)."""
    width = last - first
    overlap = np.clip(np.minimum(last, hi) - np.maximum(first, lo), 0.0, None)
    point = (first >= lo) & (first < hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(width > 0, overlap / np.where(width > 0, width, 1.0), point.astype(float))
    return frac


def simulated_yearly(orders: pd.DataFrame, h100e: Mapping[str, float], years: Iterable[int] = YEARS,
                     designers: Iterable[str] | None = None) -> pd.DataFrame:
    """Units and H100e delivered to labs per year and designer (vendor), with a `total` row.

    `orders`: the run's orders table (uses kind, supplier, product,
    delivered_qty, shipped_date, delivered_date). `h100e`: product -> H100e per
    unit. `designers`: vendors to keep (default all). The total sums the kept
    designers. Columns: year, designer, units, h100e.
    """
    years = list(years)
    lab = orders[(orders["kind"] == "lab") & (orders["delivered_qty"] > 0)]
    if designers is not None:
        lab = lab[lab["supplier"].isin(list(designers))]
    last = pd.to_datetime(lab["delivered_date"])
    first = pd.to_datetime(lab["shipped_date"]).fillna(last)
    # an order still being delivered at the end has no delivered_date: it is left out
    keep = last.notna().to_numpy()
    lab, first, last = lab[keep], first[keep], last[keep]
    f = first.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float)
    l = last.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float)
    qty = lab["delivered_qty"].to_numpy(dtype=float)
    per = lab["product"].map(lambda p: float(h100e.get(p, np.nan))).to_numpy(dtype=float)
    if np.isnan(per).any():
        missing = sorted(set(lab["product"][np.isnan(per)]))
        raise KeyError(f"no h100e for products {missing}")
    rows = []
    for y, lo, hi in _year_bounds(years):
        frac = _spread(f, l, lo, hi)
        part = pd.DataFrame({"designer": lab["supplier"].to_numpy(), "units": qty * frac, "h100e": qty * frac * per})
        g = part.groupby("designer", as_index=False)[["units", "h100e"]].sum()
        g.insert(0, "year", y)
        rows.append(g)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["year", "designer", "units", "h100e"])
    return _with_totals(out[["year", "designer", "units", "h100e"]], ["units", "h100e"])


def yearly_comparison(simulated: pd.DataFrame, observed: pd.DataFrame) -> pd.DataFrame:
    """Simulated beside observed per (year, designer): units and H100e with ratios.

    Both frames as `simulated_yearly` / `observed_yearly` return them. Designers
    only one side has (Huawei in the simulator) keep NaN on the other side; the
    `total` row of each side sums what that side covers, so compare `total`
    from frames restricted to the same designers (`run_backtest` does).
    """
    s = simulated.rename(columns={"units": "sim_units", "h100e": "sim_h100e"})[["year", "designer", "sim_units", "sim_h100e"]]
    o = observed.rename(columns={"units": "obs_units", "h100e": "obs_h100e", "h100e_p5": "obs_h100e_p5",
                                 "h100e_p95": "obs_h100e_p95"})
    o = o[[c for c in ["year", "designer", "obs_units", "obs_h100e", "obs_h100e_p5", "obs_h100e_p95"] if c in o]]
    m = s.merge(o, on=["year", "designer"], how="outer")
    with np.errstate(divide="ignore", invalid="ignore"):
        m["units_ratio"] = m["sim_units"] / m["obs_units"].where(m["obs_units"] > 0)
        m["h100e_ratio"] = m["sim_h100e"] / m["obs_h100e"].where(m["obs_h100e"] > 0)
    order = {d: i for i, d in enumerate([*DESIGNERS.values(), "total"])}
    m["_o"] = m["designer"].map(lambda d: order.get(d, len(order) - 0.5))
    return m.sort_values(["year", "_o", "designer"]).drop(columns="_o").reset_index(drop=True)


# -- lead times -----------------------------------------------------------------------
def quarterly_lead_times(lead_times: pd.DataFrame, products: Iterable[str] = H100_CLASS,
                         customers: Iterable[str] | None = None, start: str = "2022-01-01",
                         end: str = "2025-12-31") -> pd.DataFrame:
    """Median quoted lead time (weeks) per quarter and product, plus `leading` (all of them).

    `lead_times`: the run's lead_times table (date, customer, product,
    quoted_days, and realised_by_order_days if present). Rows for `products`,
    optionally only for `customers`, between `start` and `end`. Index: quarter
    ("2023Q4"); columns: one per product present and `leading`, the median over
    every row of the quarter; then `realised`, if the table has it: the median
    realised lead time (weeks) of the lines ordered in those rows' weeks, what the
    orders of the quarter took to arrive, beside what they were quoted.
    """
    products = list(products)
    lt = lead_times[lead_times["product"].isin(products)]
    if customers is not None:
        lt = lt[lt["customer"].isin(list(customers))]
    date = pd.to_datetime(lt["date"])
    lt = lt[(date >= pd.Timestamp(start)) & (date <= pd.Timestamp(end))].copy()
    lt["quarter"] = pd.to_datetime(lt["date"]).dt.to_period("Q").astype(str)
    lt["weeks"] = lt["quoted_days"].astype(float) / 7.0
    per = lt.pivot_table(index="quarter", columns="product", values="weeks", aggfunc="median")
    per = per[[p for p in products if p in per.columns]]
    per["leading"] = lt.groupby("quarter")["weeks"].median()
    if "realised_by_order_days" in lt:
        per["realised"] = (lt["realised_by_order_days"].astype(float) / 7.0).groupby(lt["quarter"]).median()
    per.columns.name = None
    return per.sort_index()


def half_year_median(lead_times: pd.DataFrame, year: int, half: int, products: Iterable[str] = H100_CLASS,
                     customers: Iterable[str] | None = None) -> float:
    """Median quoted lead time (weeks) of `products` in H1 (half=1) or H2 (half=2) of `year`."""
    lo, hi = (f"{year}-01-01", f"{year}-06-30") if half == 1 else (f"{year}-07-01", f"{year}-12-31")
    lt = lead_times[lead_times["product"].isin(list(products))]
    if customers is not None:
        lt = lt[lt["customer"].isin(list(customers))]
    d = pd.to_datetime(lt["date"])
    sel = lt[(d >= pd.Timestamp(lo)) & (d <= pd.Timestamp(hi))]
    return float(sel["quoted_days"].median() / 7.0) if len(sel) else float("nan")


# -- what binds -----------------------------------------------------------------------
def node_utilisation(nodes: pd.DataFrame, nodes_of_interest: Iterable[str] | None = None, freq: str = "Q",
                     start: str = "2022-01-01", end: str = "2025-12-31") -> pd.DataFrame:
    """Mean utilisation per period (rows) and node (columns) from the weekly nodes table: of
    `utilisation_mean` (each row the mean of its week), or of the weekly snapshot `utilisation` in
    tables written before that column (a node fed in weekly lumps reads 0 or 1 on the recorded day)."""
    df = nodes.copy()
    d = pd.to_datetime(df["date"])
    df = df[(d >= pd.Timestamp(start)) & (d <= pd.Timestamp(end))]
    if nodes_of_interest is not None:
        df = df[df["node"].isin(list(nodes_of_interest))]
    df["period"] = pd.to_datetime(df["date"]).dt.to_period(freq).astype(str)
    value = "utilisation_mean" if "utilisation_mean" in df.columns else "utilisation"
    out = df.pivot_table(index="period", columns="node", values=value, aggfunc="mean")
    out.columns.name = None
    return out


def delivery_causes(orders: pd.DataFrame, years: Iterable[int] = YEARS, h100e: Mapping[str, float] | None = None,
                    top: int = 4) -> pd.DataFrame:
    """Share of lab deliveries (by H100e if `h100e` given, else units) per dominant delay cause and year.

    Uses each lab order's `cause` and its delivery year. Returns the `top`
    causes per year: year, cause, share.
    """
    lab = orders[(orders["kind"] == "lab") & (orders["delivered_qty"] > 0) & orders["delivered_date"].notna()].copy()
    lab["year"] = pd.to_datetime(lab["delivered_date"]).dt.year
    lab = lab[lab["year"].isin(list(years))]
    lab["w"] = lab["delivered_qty"].astype(float) * (h100e_per_unit(lab["product"], h100e) if h100e is not None else 1.0)
    lab["cause"] = lab["cause"].fillna("none")
    g = lab.groupby(["year", "cause"], as_index=False)["w"].sum()
    g["share"] = g["w"] / g.groupby("year")["w"].transform("sum")
    g = g.sort_values(["year", "share"], ascending=[True, False]).groupby("year").head(top)
    return g[["year", "cause", "share"]].reset_index(drop=True)


# -- running it -----------------------------------------------------------------------
def product_table(topology: Any) -> pd.DataFrame:
    """Accelerator products of a topology (path, graph or model): product, vendor, h100e."""
    from .topology import as_model

    model = as_model(topology)
    rows = [(pid, p.vendor, float(p.h100e)) for pid, p in model.products.items() if p.kind == "accelerator"]
    return pd.DataFrame(rows, columns=["product", "vendor", "h100e"])


def _path(p: Any) -> Any:
    """A relative path that is not found from here is taken from the repository root."""
    if isinstance(p, (str, Path)) and not Path(p).exists() and (EPOCH_DIR.parents[1] / p).exists():
        return EPOCH_DIR.parents[1] / p
    return p


def run_backtest(scenario: Any = "policies/baseline.yaml", topology: Any = None, *, seed: int | None = None,
                 epoch: pd.DataFrame | None = None, results: Any = None, keep_results: bool = False) -> dict[str, Any]:
    """Run `scenario` (or take `results` of a run) and return the backtest tables.

    Keys: `yearly` (simulated beside observed per year and designer; totals over
    the four designers Epoch covers), `huawei` (simulated Huawei deliveries,
    which Epoch does not cover), `lead_times` (quarterly median quoted weeks of
    H100-class SKUs at the US labs, beside `LEAD_TIME_HISTORY`), `utilisation`
    (quarterly mean utilisation of the capacity nodes), `causes` (dominant delay
    causes of lab deliveries per year); `results` (the run) if `keep_results`.
    `topology` None takes the scenario's own.
    """
    from .results import simulate
    from .scenario import load_scenario

    scenario, topology = _path(scenario), _path(topology)
    resolved = load_scenario(Path(scenario)) if isinstance(scenario, (str, Path)) else None
    if results is None:  # on a given topology the scenario's `set:` overrides still apply, as in `simulate`
        results = simulate(topology, resolved if resolved is not None else scenario, seed=seed)
    tables = results.tables
    topo = topology if topology is not None else (resolved.topology if resolved is not None else None)
    if topo is None:
        raise ValueError("no topology: pass one, or a scenario file that names one")
    prods = product_table(topo)
    h = dict(zip(prods["product"], prods["h100e"]))
    covered = list(DESIGNERS.values())
    sim = simulated_yearly(tables["orders"], h, designers=covered)
    obs = observed_yearly(load_epoch() if epoch is None else epoch)
    hua = simulated_yearly(tables["orders"], h, designers=["huawei"])
    hua = hua[hua["designer"] == "huawei"].reset_index(drop=True)
    lt = quarterly_lead_times(tables["lead_times"], customers=["lab_us"])
    lt = lt.join(LEAD_TIME_HISTORY.set_index("quarter"), how="left")
    out: dict[str, Any] = {
        "yearly": yearly_comparison(sim, obs),
        "huawei": hua,
        "lead_times": lt,
        "utilisation": node_utilisation(tables["nodes"]),
        "causes": delivery_causes(tables["orders"], h100e=h),
    }
    if keep_results:
        out["results"] = results
    return out


# -- printing -------------------------------------------------------------------------
def markdown(df: pd.DataFrame, digits: int = 2, index: bool = True) -> str:
    """A DataFrame as a GitHub markdown table (numbers rounded; NaN shown as '-')."""
    d = df.reset_index() if index else df
    def cell(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            return "-" if np.isnan(v) else f"{v:,.{digits}f}"
        return str(v)
    head = "| " + " | ".join(str(c) for c in d.columns) + " |"
    rule = "|" + "|".join("---" for _ in d.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in d.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def main(argv: list[str] | None = None) -> None:
    """`python -m supplychain.backtest [SCENARIO] [--topology PATH]`: print the backtest tables."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m supplychain.backtest", description=main.__doc__)
    ap.add_argument("scenario", nargs="?", default="policies/baseline.yaml")
    ap.add_argument("--topology", default=None)
    a = ap.parse_args(argv)
    try:
        out = run_backtest(a.scenario, a.topology)
    except InputError as exc:  # bad input: one line and exit 2, as the supplychain commands do
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from None
    y = out["yearly"]
    y = y[y["year"].isin(YEARS)].copy()
    for c in ("sim_units", "obs_units", "sim_h100e", "obs_h100e"):
        y[c] = y[c] / 1e6
    try:
        print("## Yearly deliveries (millions; observed = Epoch AI, AI chip sales data)\n")
        print(markdown(y[["year", "designer", "sim_units", "obs_units", "units_ratio", "sim_h100e", "obs_h100e",
                          "h100e_ratio"]], index=False))
        print("\n## Lead time of H100-class SKUs at the US labs (median weeks per quarter: quoted per SKU and "
              "together, realised by the lines ordered that quarter)\n")
        print(markdown(out["lead_times"], digits=0))
        sys.stdout.flush()  # here, not at exit, where a closed pipe is an "Exception ignored" message and status 120
    except BrokenPipeError:  # `| head -1` closed it: Python's note on SIGPIPE, as the supplychain commands end
        _stdout_closed()


def _stdout_closed() -> None:
    """End quietly with status 1 once stdout's reader has closed it (`| head`): no traceback, no message, and
    stdout pointed at devnull so the interpreter's flush at exit does not fail again
    (https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
