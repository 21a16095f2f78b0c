"""The columns and dtypes of every table the program writes, declared once.

CSV keeps no types: read back by inference, an empty table is all `object`, a text
column with no value in it (`rule` in a run without controls) becomes float, a nullable
integer (`parent_id`, `rank`) becomes float, and a node named `2030` becomes a number.
`read_csv` restores the declared types, so a folder written with `--format csv`
reads back as the same DataFrames as one written as Parquet; the tests hold the tables
`simulate`, `compare` and `sweep` make to these declarations.

Text columns are null where there is nothing to say, never an empty string (CSV writes
both as an empty cell), except the `note` columns of the comparison tables: `TEXT`, always
a string, empty when there is no note.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ARRAYS", "COLUMNS", "PATTERNS", "declared", "typed", "empty", "read_csv", "run_tables_fingerprint", "as_dates", "SWEPT", "STR", "TEXT", "INT", "NULLABLE_INT", "FLOAT", "DATE"]

STR = "str"  # text, null where not applicable
TEXT = "text"  # text, never null: "" when empty
INT = "int64"
NULLABLE_INT = "Int64"
FLOAT = "float64"
DATE = "datetime64[us]"
#: what a user passes as a list of values taken from a frame: a column, its index, its `.unique()` (an
#: ExtensionArray of a text, Int64 or date column under pandas 3, or a Categorical), a numpy array
ARRAYS = (np.ndarray, pd.Series, pd.Index, pd.api.extensions.ExtensionArray)

#: the sweep's tables that carry its swept inputs as columns of their own (`points` and the outcomes beside them)
SWEPT = ("points", "outcomes", "stock_outcomes")

_KEYS = {"scenario": STR, "replication": INT}
_STAGES = ("ordered", "released", "entered", "kitted", "started", "finished", "shipped", "delivered", "installed")

COLUMNS: dict[str, dict[str, str]] = {
    # run tables (README "Tables"), one row per observation of every scenario and replication
    "orders": {**_KEYS, "order_id": INT, "kind": STR, "product": STR, "qty": FLOAT, "supplier": STR, "customer": STR,
               "lab": STR, "parent_id": NULLABLE_INT, **{s: FLOAT for s in _STAGES}, "delivered_qty": FLOAT,
               "denied_qty": FLOAT, "status": STR, "rule": STR, "cause": STR, **{f"{s}_date": DATE for s in _STAGES},
               "lead_time_days": FLOAT},
    "lead_times": {**_KEYS, "day": FLOAT, "supplier": STR, "customer": STR, "product": STR, "quoted_days": FLOAT,
                   "share": FLOAT, "realised_by_order_days": FLOAT, "realised_by_delivery_days": FLOAT,
                   "realised_by_order_lines": INT, "realised_by_delivery_lines": INT, "date": DATE},
    "nodes": {**_KEYS, "day": FLOAT, "node": STR, "kind": STR, "capacity_per_week": FLOAT, "backlog": FLOAT,
              "wip": FLOAT, "stock": FLOAT, "utilisation": FLOAT, "utilisation_mean": FLOAT, "quoted_days": FLOAT,
              "yield": FLOAT, "date": DATE},
    "fleet": {**_KEYS, "day": FLOAT, "lab": STR, "installed_h100e": FLOAT, "commissioning_h100e": FLOAT,
              "stranded_h100e": FLOAT, "on_order_h100e": FLOAT, "target_h100e": FLOAT, "power_mw": FLOAT,
              "power_used_mw": FLOAT, "training_flops": FLOAT, "effective_training_flops": FLOAT, "generation": INT,
              "date": DATE},
    "generations": {**_KEYS, "lab": STR, "generation": INT, "day": FLOAT, "started_day": FLOAT,
                    "requirement_flop": FLOAT, "rsi_multiplier": FLOAT, "date": DATE, "started_date": DATE,
                    "gap_days": FLOAT, "training_days": FLOAT},
    "events": {**_KEYS, "day": FLOAT, "type": STR, "id": STR, "what": STR, "supplier": STR, "customer": STR,
               "product": STR, "qty": FLOAT, "detail": STR, "duration_days": FLOAT, "order_id": NULLABLE_INT,
               "date": DATE},
    "stocks": {**_KEYS, "node": STR, "item": STR, "demand_units": FLOAT, "fill_rate": FLOAT, "mean_on_hand": FLOAT,
               "mean_backorders": FLOAT, "final_on_hand": FLOAT, "final_backorders": FLOAT},
    # compare/ (comparison.py)
    "release_delays": {"scenario": STR, "baseline": STR, "lab": STR, "generation": INT, "baseline_day": FLOAT,
                       "scenario_day": FLOAT, "n": INT, "delay_days": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT,
                       "censored_baseline_only": INT, "censored_scenario_only": INT, "note": TEXT,
                       "baseline_date": DATE, "scenario_date": DATE},
    "censored": {"scenario": STR, "baseline": STR, "replication": INT, "lab": STR, "generation": INT,
                 "reached_in": STR, "baseline_day": FLOAT, "scenario_day": FLOAT, "bound_days": FLOAT,
                 "baseline_date": DATE, "scenario_date": DATE},
    "gaps": {"scenario": STR, "baseline": STR, "lab": STR, "baseline_mean_gap_days": FLOAT,
             "scenario_mean_gap_days": FLOAT, "change_days": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT, "n": INT,
             "baseline_generations": FLOAT, "scenario_generations": FLOAT, "note": TEXT},
    "mean_gaps": {"scenario": STR, "replication": INT, "lab": STR, "generations": INT, "mean_gap_days": FLOAT,
                  "last_release_day": FLOAT, "last_release_date": DATE},
    "throttle": {"scenario": STR, "lab": STR, "generation": INT, "unconstrained_day": FLOAT, "scenario_day": FLOAT,
                 "n": INT, "throttle_days": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT,
                 "censored_unconstrained_only": INT, "censored_scenario_only": INT, "note": TEXT,
                 "unconstrained_date": DATE, "scenario_date": DATE},
    "peak_lead_times": {"scenario": STR, "baseline": STR, "product": STR, "baseline_peak_weeks": FLOAT,
                        "scenario_peak_weeks": FLOAT, "change_weeks": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT,
                        "n": INT, "note": TEXT},
    "binding": {"scenario": STR, "lab": STR, "cause": STR, "share": FLOAT},
    "stock_changes": {"scenario": STR, "baseline": STR, "node": STR, "outcome": STR, "baseline_mean": FLOAT,
                      "scenario_mean": FLOAT, "n": INT, "change": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT},
    # sweep/ (sweeps.py): the swept inputs' columns sit between these and take their values' types
    "points": {"point": INT, "scenario": STR},
    "outcomes": {"point": INT, "scenario": STR, "replication": INT, "lab": STR, "generations": INT,
                 "mean_gap_days": FLOAT, "last_release_day": FLOAT, "peak_quoted_weeks": FLOAT,
                 "unquoted_weeks": INT, "last_release_date": DATE},
    "sensitivity": {"lab": STR, "outcome": STR, "input": STR, "spearman_rho": FLOAT, "p_value": FLOAT, "src": FLOAT,
                    "n": INT, "rank": NULLABLE_INT},
    # sweep/ with stock points (the generic kernel)
    "stock_outcomes": {"point": INT, "scenario": STR, "replication": INT, "node": STR, "item": STR, "fill_rate": FLOAT,
                       "mean_on_hand": FLOAT, "mean_backorders": FLOAT, "demand_units": FLOAT},
    "stock_sensitivity": {"node": STR, "outcome": STR, "input": STR, "spearman_rho": FLOAT, "p_value": FLOAT,
                          "src": FLOAT, "n": INT, "rank": NULLABLE_INT},
}

#: columns named by a pattern (one per generation reached): table -> {regex: dtype}
PATTERNS: dict[str, dict[str, str]] = {"outcomes": {r"release_day_g\d+": FLOAT, r"release_date_g\d+": DATE}}


def run_tables_fingerprint() -> str:
    """A short hash of the run tables' declared columns and dtypes: stored replications written with
    other columns (an older program) are not stacked with new ones (`store.open_scenario`)."""
    import hashlib
    import json

    from .engine.record import TABLES

    spec = {name: COLUMNS[name] for name in TABLES}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]


def as_dates(col: pd.Series) -> pd.Series | None:
    """`col` as a date column (`DATE`) if every value is a date: the ISO text a swept date is written in
    (`shocks.quake.start=2027-01-01,2027-07-01`), a date, or a date column; None if any is not (a number,
    true/false, a word, a missing value). A swept date input is a date column in the sweep's tables, as the
    tables' other dates are, and reads back as one from CSV."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.astype(DATE)
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col) or not len(col):
        return None
    try:
        return pd.to_datetime(col.astype(str), format="%Y-%m-%d").astype(DATE)
    except (ValueError, TypeError):
        return None


def declared(name: str, columns: list[str]) -> dict[str, str]:
    """The declared dtype of each of `columns` of table `name` that has one (swept inputs have none)."""
    fixed = COLUMNS.get(name, {})
    out = {}
    for col in columns:
        if col in fixed:
            out[col] = fixed[col]
            continue
        for pattern, dtype in PATTERNS.get(name, {}).items():
            if re.fullmatch(pattern, col):
                out[col] = dtype
    return out


def typed(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """`df` (table `name`) with its declared types: an empty table or an all-null column gets the type
    a full one has (so runs stack into one Parquet schema), and empty text becomes null (`STR`) or
    null text empty (`TEXT`), one way, as CSV can hold it."""
    for col, dtype in declared(name, list(df.columns)).items():
        s = df[col]
        if dtype in (STR, TEXT):
            s = s.astype("str") if str(s.dtype) != "str" else s
            s = s.fillna("") if dtype == TEXT else s.mask(s == "")
        elif str(s.dtype) != dtype:
            s = s.astype(dtype)
        df[col] = s
    return df


def empty(name: str) -> pd.DataFrame:
    """Table `name` with no rows: its declared columns, typed (for a table a run has nothing for)."""
    return typed(pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS[name]}), name)


def read_csv(path: str | Path, name: str, usecols: list[str] | None = None,
             keep: Callable[[pd.DataFrame], pd.Series] | None = None, chunk_rows: int = 10_000) -> pd.DataFrame:
    """Table `name` from a CSV file, with its declared types; undeclared columns are inferred,
    any `date`/`*_date` column of a table without a declaration is parsed as dates, and so is a swept
    input of a sweep's table whose every value is an ISO date (`as_dates`).

    `usecols` reads only those columns (in the file's order). `keep` (a chunk -> a boolean mask) is applied
    to each chunk of `chunk_rows` rows as it is parsed, so only the rows kept are ever held whole: a table
    of many GB is filtered in the memory of one chunk (`selection`). It sees the declared types but dates
    still as text: they are parsed in the rows kept only."""
    header = list(pd.read_csv(path, nrows=0).columns)
    types = declared(name, header)
    read_as = {c: ("str" if t in (STR, TEXT) else t) for c, t in types.items() if t != DATE and (usecols is None or c in usecols)}
    # only an empty cell is null (what `to_csv` writes for one): pandas' default list would also read a
    # scenario, node or lab named `NA`, `None` or `null` as null
    options: dict[str, Any] = {"dtype": read_as, "keep_default_na": False, "na_values": [""], "usecols": usecols}
    if keep is None:
        return _swept_dates(_restore(pd.read_csv(path, **options), types), types, name)
    with pd.read_csv(path, chunksize=chunk_rows, **options) as chunks:
        parts = [_restore(chunk[keep(chunk)], types) for chunk in chunks]
    if not parts:  # a header and no rows: no chunk at all
        return _swept_dates(_restore(pd.read_csv(path, **options), types), types, name)
    return _swept_dates(pd.concat(parts, ignore_index=True), types, name)  # whole: a chunk may keep no row


def _restore(df: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """The declared dates and never-null text of a frame read from CSV."""
    for col in df.columns:
        if types.get(col) == DATE or (col not in types and (col == "date" or col.endswith("_date"))):
            df[col] = pd.to_datetime(df[col]).astype(DATE)
        elif types.get(col) == TEXT:
            df[col] = df[col].fillna("")
    return df


def _swept_dates(df: pd.DataFrame, types: dict[str, str], name: str) -> pd.DataFrame:
    """A sweep's table read from CSV with its swept date inputs as dates (`as_dates`), as Parquet keeps them."""
    if name in SWEPT:
        for col in df.columns:
            if col not in types and (dates := as_dates(df[col])) is not None:
                df[col] = dates
    return df
