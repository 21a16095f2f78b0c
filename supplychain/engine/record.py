"""Cheap tuples recorded during the run -> tidy DataFrames once at the end.

Tables (README, "Tables"): `orders`, `lead_times` (weekly quoted and realised
series per supplier, customer, product), `nodes`, `fleet`, `generations`,
`events`, plus `stocks` for the generic kernel. Days become real dates here.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..columns import typed
from .orders import OrderArrays, order_arrays, order_columns
from .causes_batch import delay_causes
from .gcpause import gc_paused

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["build_tables", "day_dates", "whole_days", "with_dates", "TABLES"]

TABLES = ("orders", "lead_times", "nodes", "fleet", "generations", "events", "stocks")

EVENT_COLUMNS = ("day", "type", "id", "what", "supplier", "customer", "product", "qty", "detail", "duration_days",
                 "order_id")
GEN_COLUMNS = ("lab", "generation", "day", "started_day", "requirement_flop", "rsi_multiplier")
STOCK_COLUMNS = ("node", "item", "demand_units", "fill_rate", "mean_on_hand", "mean_backorders", "final_on_hand", "final_backorders")


#: a day number this close below a whole day is that day (sums of float durations: 6.9999999999)
DAY_EPS = 1e-9


def whole_days(days: Any) -> Any:
    """The whole day each day number falls in (`floor`), the one rounding every date uses: day 0.66
    is the afternoon of the start date, and the last moment of a run (day `days - 0.5`) is dated
    its end date, never the day after. Rounding to the nearest day (as before) dated afternoons
    the next day and put rows a day past the scenario's `end`.
    """
    if isinstance(days, pd.Series):
        return np.floor(days.astype(float) + DAY_EPS)
    return np.floor(np.asarray(days, dtype=float) + DAY_EPS)


def day_dates(start: dt.date, days: pd.Series) -> pd.Series:
    """Calendar dates of day numbers from the scenario start (`whole_days`); an empty
    column gets the same date type as a full one."""
    return pd.Timestamp(start) + pd.to_timedelta(whole_days(days), unit="D")


def with_dates(df: pd.DataFrame, start: "dt.date | pd.Series", own: "dict[str, dt.date] | None" = None) -> pd.DataFrame:
    """`df` with the calendar date beside each of its day columns (`scenario_day` -> `scenario_date`,
    `release_day_g3` -> `release_date_g3`), counted from `start`: one date, or one per row (each
    scenario's or sweep point's own); `own` gives a column a start of its own (a comparison's
    `baseline_day` counts from the baseline's). The comparison and sweep tables."""
    for col in [c for c in df.columns if c.endswith("_day") or re.fullmatch(r"release_day_g\d+", c)]:
        origin = (own or {}).get(col, start)
        origin = pd.to_datetime(origin) if isinstance(origin, pd.Series) else pd.Timestamp(origin)
        date = col.replace("_day", "_date")
        if date not in df:
            df[date] = origin + pd.to_timedelta(whole_days(df[col]), unit="D")
    return df


def _frame(rows: list[tuple], columns: tuple[str, ...], start: dt.date) -> pd.DataFrame:
    df = pd.DataFrame.from_records(rows, columns=list(columns))
    df["date"] = day_dates(start, df["day"])
    return df


LEAD_COLUMNS = ("day", "supplier", "customer", "product", "quoted_days", "share", "realised_by_order_days",
                "realised_by_delivery_days", "realised_by_order_lines", "realised_by_delivery_lines", "date")


def _line_weeks(a: OrderArrays) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(flow, lead time, {"order": week, "delivery": week}) of the delivered lines the realised
    series average: those that travelled on a flow's edge, a compliant variant shipped in place of
    its SKU included, and a vendor's kits at its packagers (`assembly`: the packager -> vendor flow's
    lines, beside that flow's quotes). Orders in flight at the start are left out: their `ordered` (0)
    stands in for a date before the run, so delivered - ordered is the assumed spread of their arrivals
    (`in_flight_days`), not a lead time."""
    keep = ~np.isnan(a["delivered"]) & (a["flow"] >= 0) & (a["note"] != "in_flight")
    flow, ordered, delivered = a["flow"][keep], a["ordered"][keep], a["delivered"][keep]
    weeks = {"order": (ordered // 7).astype(np.int64), "delivery": (delivered // 7).astype(np.int64)}
    return flow.astype(np.int64), delivered - ordered, weeks


def _realised(lines: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]], at_flow: np.ndarray,
              at_week: np.ndarray) -> dict[str, np.ndarray]:
    """Mean realised lead time and number of lines per (flow, week), by order week and by delivery
    week, at the (flow, week) rows of the lead-time table (nan and 0 where no line): the lines of
    `_line_weeks` (`lines`). The counts weight a mean over flows (`analysis.across_replications(weight=)`).
    Grouped on one integer key per (flow, week): a MultiIndex and its reindex cost more than the means."""
    flow, days, weeks = lines
    lead = pd.Series(days)
    width = 1 + max([int(at_week.max(initial=0))] + [int(w.max(initial=0)) for w in weeks.values()])
    at = at_flow * width + at_week
    out = {}
    for by, week in weeks.items():
        g = lead.groupby(flow * width + week).agg(["mean", "count"]).reindex(at)
        out[f"realised_by_{by}_days"] = g["mean"].to_numpy()
        out[f"realised_by_{by}_lines"] = g["count"].fillna(0).to_numpy(dtype=np.int64)  # lines in the mean
    return out


def _lead_times(w: "World", start: dt.date, a: OrderArrays) -> pd.DataFrame:
    """Weekly quoted series of every flow, with realised lead times binned by order week and by
    delivery week (`_realised` of the lines of the run's `order_arrays` `a`). A row per (flow, week) with a quote
    or with lines ordered or delivered: a week its lab no longer had a quote for the SKU still
    delivered the lines ordered before (a null quote; rows only where quoted, the realised series
    lost those deliveries). Joined on (flow, week) integers; the name columns are filled in last, once."""
    book = w.quote_book
    if not book.days or not book.flows:
        return _frame([], LEAD_COLUMNS[:-1], start)
    lines = _line_weeks(a)
    flow, _, weeks = lines
    quoted = np.vstack(book.rows)  # weeks x flows, a week every 7 days from day 0
    n = max([len(quoted)] + [int(wk.max(initial=-1)) + 1 for wk in weeks.values()])
    mat = np.full((n, quoted.shape[1]), np.nan)
    mat[:len(quoted)] = quoted
    shares = np.full_like(mat, np.nan)
    shares[:len(quoted)] = np.vstack(book.shares)
    row = ~np.isnan(mat)
    for wk in weeks.values():
        row[wk, flow] = True
    week_i, flow_i = np.nonzero(row)  # row-major: week by week, flows in order
    day = np.concatenate([np.asarray(book.days), 7.0 * np.arange(len(quoted), n)])[week_i]
    # each flow's names once, as text, then taken per row (not converted row by row: ~500 k rows)
    sup, cust, prod = (pd.array(list(x), dtype="str") for x in zip(*book.flows))
    out = pd.DataFrame({
        "day": day,
        "supplier": sup.take(flow_i),
        "customer": cust.take(flow_i),
        "product": prod.take(flow_i),
        "quoted_days": mat[week_i, flow_i],
        "share": shares[week_i, flow_i],
    })
    realised = _realised(lines, flow_i.astype(np.int64), (day // 7).astype(np.int64))
    for c in ("realised_by_order_days", "realised_by_delivery_days", "realised_by_order_lines", "realised_by_delivery_lines"):
        out[c] = realised[c]
    out["date"] = day_dates(start, out["day"])
    return out


def build_tables(w: "World", arrays: OrderArrays | None = None) -> dict[str, pd.DataFrame]:
    """The run's tables (README, "Tables") as DataFrames. `arrays`: the orders' `order_arrays`, if
    the caller has them (`check_invariants` reads the same); emptied once used, as a second copy of
    every line's fields is not kept while the tables grow."""
    with gc_paused():
        return _build_tables(w, arrays if arrays is not None else order_arrays(w.orders))


def _build_tables(w: "World", arrays: OrderArrays) -> dict[str, pd.DataFrame]:
    start = w.scenario.start
    ids = w.net.ids
    orders = pd.DataFrame(order_columns(arrays, ids))
    orders["cause"] = delay_causes(w, arrays) if len(orders) else pd.Series([], dtype=object)
    lead_times = _lead_times(w, start, arrays)
    in_flight = arrays["note"] == "in_flight"
    arrays.clear()  # a second copy of every line's fields: not kept while the tables grow (nor by the caller)
    for c in ("ordered", "released", "entered", "kitted", "started", "finished", "shipped", "delivered", "installed"):
        orders[c] = orders[c].astype(float)
        orders[f"{c}_date"] = day_dates(start, orders[c].fillna(0)).where(orders[c].notna())
    # an order in flight at the start has no order date (`ordered` 0 stands in for one before the run):
    # delivered - 0 is the spread of its arrivals, not a lead time, as `lead_times` leaves it out too
    orders["lead_time_days"] = (orders["delivered"] - orders["ordered"]).mask(in_flight)
    # a shock's row ends with its duration in days (and no order), a control decision's with none and its order line
    events = [r if len(r) == len(EVENT_COLUMNS) else (*r, float("nan")) for r in w.events + w.controls.log]
    tables = {
        "orders": orders,
        "lead_times": lead_times,
        "nodes": w.node_rows.frame(start),
        "fleet": w.fleet_rows.frame(start),
        "generations": _generations(w.labs.training.releases, start),
        "events": _frame(sorted(events, key=lambda r: r[0]), EVENT_COLUMNS, start),
        "stocks": _stocks(w.stocks.summary()),
    }
    return {name: typed(df, name) for name, df in tables.items()}  # an empty table typed as a full one


def _stocks(rows: list[tuple]) -> pd.DataFrame:
    """The stock points' summary (`typed` gives an empty one its columns' types)."""
    return pd.DataFrame.from_records(rows, columns=list(STOCK_COLUMNS))


def _generations(releases: list[tuple], start: dt.date) -> pd.DataFrame:
    """One row per release, typed column by column: a run that releases nothing (a short
    horizon) still has every column with its type, so its tables stack with other runs'."""
    df = typed(pd.DataFrame.from_records(releases, columns=list(GEN_COLUMNS)), "generations")
    df["date"] = day_dates(start, df["day"])
    df["started_date"] = day_dates(start, df["started_day"])
    df["gap_days"] = df.groupby("lab")["day"].diff() if len(df) else pd.Series([], dtype=float)
    df["training_days"] = df["day"] - df["started_day"]
    return df
