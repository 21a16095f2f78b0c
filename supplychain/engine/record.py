"""Cheap tuples recorded during the run -> tidy DataFrames once at the end.

Tables (DESIGN section 5): `orders`, `lead_times` (weekly quoted and realised
series per supplier, customer, product), `nodes`, `fleet`, `generations`,
`events`, plus `stocks` for the generic kernel. Days become real dates here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .orders import ORDER_COLUMNS
from .causes import delay_causes

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["build_tables", "TABLES"]

TABLES = ("orders", "lead_times", "nodes", "fleet", "generations", "events", "stocks")

NODE_COLUMNS = ("day", "node", "kind", "capacity_per_week", "backlog", "wip", "utilisation", "quoted_days")
FLEET_COLUMNS = ("day", "lab", "installed_h100e", "commissioning_h100e", "stranded_h100e", "on_order_h100e",
                 "target_h100e", "power_mw", "power_used_mw", "training_flops", "effective_training_flops", "generation")
EVENT_COLUMNS = ("day", "type", "id", "what", "supplier", "customer", "product", "qty", "detail")
GEN_COLUMNS = ("lab", "generation", "day", "started_day", "requirement_flop", "rsi_multiplier")
STOCK_COLUMNS = ("node", "item", "demand_units", "fill_rate", "mean_on_hand", "mean_backorders", "final_on_hand", "final_backorders")


def _dates(start: dt.date, days: pd.Series) -> pd.Series:
    return pd.Timestamp(start) + pd.to_timedelta(days.astype(float).round(), unit="D")


def _frame(rows: list[tuple], columns: tuple[str, ...], start: dt.date, day_cols: tuple[str, ...] = ("day",)) -> pd.DataFrame:
    df = pd.DataFrame.from_records(rows, columns=list(columns))
    for c in day_cols:
        if c in df:
            df[c.replace("day", "date")] = _dates(start, df[c]) if len(df) else pd.Series([], dtype="datetime64[ns]")
    return df


def _lead_times(w: "World", orders: pd.DataFrame, quotes: pd.DataFrame, start: dt.date) -> pd.DataFrame:
    """Weekly quoted series, joined with realised lead times binned by order week and by delivery week."""
    quotes = quotes.copy()
    quotes["week"] = (quotes["day"] // 7).astype(int)
    done = orders[orders["delivered"].notna() & (orders["kind"] != "assembly")].copy()
    keys = ["supplier", "customer", "product", "week"]
    if len(done):
        done["lead"] = done["delivered"] - done["ordered"]
        done["week"] = (done["ordered"] // 7).astype(int)
        by_order = done.groupby(keys)["lead"].mean().rename("realised_by_order_days")
        done["week"] = (done["delivered"] // 7).astype(int)
        by_delivery = done.groupby(keys)["lead"].mean().rename("realised_by_delivery_days")
        quotes = quotes.merge(by_order.reset_index(), on=keys, how="left").merge(by_delivery.reset_index(), on=keys, how="left")
    else:
        quotes["realised_by_order_days"] = np.nan
        quotes["realised_by_delivery_days"] = np.nan
    quotes["date"] = _dates(start, quotes["day"])
    return quotes.drop(columns=["week"])


def _quote_frame(w: "World") -> pd.DataFrame:
    book = w.quote_book
    n_weeks, n_flows = len(book.days), len(book.flows)
    if n_weeks == 0 or n_flows == 0:
        return pd.DataFrame(columns=["day", "supplier", "customer", "product", "quoted_days"])
    mat = np.vstack(book.rows)
    sup, cust, prod = (np.array(x, dtype=object) for x in zip(*book.flows))
    df = pd.DataFrame({
        "day": np.repeat(np.array(book.days), n_flows),
        "supplier": np.tile(sup, n_weeks),
        "customer": np.tile(cust, n_weeks),
        "product": np.tile(prod, n_weeks),
        "quoted_days": mat.ravel(),
    })
    return df[df["quoted_days"].notna()].reset_index(drop=True)


def build_tables(w: "World") -> dict[str, pd.DataFrame]:
    start = w.scenario.start
    ids = w.net.ids
    orders = pd.DataFrame.from_records([o.row(ids) for o in w.orders], columns=list(ORDER_COLUMNS))
    orders["cause"] = delay_causes(w) if len(orders) else pd.Series([], dtype=object)
    for c in ("ordered", "released", "entered", "kitted", "started", "finished", "shipped", "delivered"):
        orders[c] = orders[c].astype(float)
        orders[f"{c}_date"] = _dates(start, orders[c].fillna(0)).where(orders[c].notna())
    orders["lead_time_days"] = orders["delivered"] - orders["ordered"]
    quotes = _quote_frame(w)
    events = w.events + w.controls.log
    tables = {
        "orders": orders,
        "lead_times": _lead_times(w, orders, quotes, start),
        "nodes": _frame(w.node_rows, NODE_COLUMNS, start),
        "fleet": _frame(w.fleet_rows, FLEET_COLUMNS, start),
        "generations": _frame(w.labs.releases, GEN_COLUMNS, start, ("day", "started_day")),
        "events": _frame(sorted(events, key=lambda r: r[0]), EVENT_COLUMNS, start),
        "stocks": pd.DataFrame.from_records(w.stocks.summary(), columns=list(STOCK_COLUMNS)),
    }
    gens = tables["generations"]
    if len(gens):
        gens["gap_days"] = gens.groupby("lab")["day"].diff()
        gens["training_days"] = gens["day"] - gens["started_day"]
    return tables
