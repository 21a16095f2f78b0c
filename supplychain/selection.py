"""Part of a stored table: some of its columns, and the rows whose values match `where`.

A run of ~200 replications of the default topology writes `lead_times`, `orders` and `nodes`
of many GB each: read whole (`load_run(...).lead_times`) they may not fit in memory, though a
user wants one product's quoted series. `read_selected` reads only what is asked for, never the
whole table: Parquet one row group at a time (a run writes a replication's rows as one or more),
filtered as it is read, skipping those whose statistics rule out every value asked for; CSV in
chunks, each filtered as it is parsed. Either way
the frame is the full read (`outputs.read_table`: the declared types) filtered and cut to the
columns, with a fresh index, so Parquet and CSV folders still give the same DataFrames.

`where` is {column: value or list of values}: a row is kept when every named column holds one
of its values (equality, as `DataFrame.isin`). Values are checked against the column's type
(declared in `columns`, else the Parquet file's) before anything is read: a text `"0"` for the
whole `replication` matched nothing in pandas, and failed inside pyarrow naming no column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .columns import ARRAYS, DATE, FLOAT, INT, NULLABLE_INT, STR, TEXT, declared, read_csv
from .errors import InputError, short

__all__ = ["read_selected", "Where"]

#: {column: value or list of values}
Where = Mapping[str, Any]

_KINDS = {STR: "text", TEXT: "text", INT: "whole", NULLABLE_INT: "whole", FLOAT: "number", DATE: "date"}
_EXPECTED = {"text": "text", "whole": "whole numbers", "number": "numbers", "date": "dates (2024-03-01 or a datetime)",
             "bool": "True or False", "any": "text, numbers or True/False"}
_LISTS = (list, tuple, set, frozenset, *ARRAYS)


def read_selected(path: Path, name: str, columns: Sequence[str] | None = None, where: Where | None = None) -> pd.DataFrame:
    """The rows of table `name` (the file `path`, Parquet or CSV) matching `where`, only `columns` (all
    if None, else in the order given); an `InputError` naming the file for an unknown column or a value
    of the wrong kind."""
    header, kinds = _header(path, name)
    cols = _columns(path, header, columns)
    match = _where(path, header, kinds, where)
    needed = [c for c in header if c in cols or c in match]
    if path.suffix == ".parquet":
        df = _parquet(path, needed, match, kinds)
    else:
        df = read_csv(path, name, usecols=needed, keep=_mask(match, kinds) if match else None)
    return df[cols].reset_index(drop=True)


def _header(path: Path, name: str) -> tuple[list[str], dict[str, str]]:
    """The file's columns and each one's kind (`_KINDS`, or from the Parquet schema for an undeclared one)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        header = list(schema.names)
        kinds = {f.name: _arrow_kind(f.type) for f in schema}
    else:
        header = list(pd.read_csv(path, nrows=0).columns)
        # an undeclared column is inferred, and a `date`/`*_date` one parsed as dates (`columns.read_csv`)
        kinds = {c: "date" if c == "date" or c.endswith("_date") else "any" for c in header}
    kinds.update({c: _KINDS.get(t, "any") for c, t in declared(name, header).items()})
    return header, kinds


def _arrow_kind(tp: Any) -> str:
    import pyarrow as pa

    checks = (("text", pa.types.is_string), ("text", pa.types.is_large_string), ("whole", pa.types.is_integer),
              ("number", pa.types.is_floating), ("date", pa.types.is_timestamp), ("bool", pa.types.is_boolean))
    return next((kind for kind, check in checks if check(tp)), "any")


def _columns(path: Path, header: list[str], columns: Sequence[str] | None) -> list[str]:
    if columns is None:
        return header
    if isinstance(columns, str) or not isinstance(columns, _LISTS):
        raise InputError(path, "columns", f"expected a list of column names (got {short(columns)})")
    cols = list(columns)
    if not cols:  # pandas' empty selection keeps the rows, which CSV's reader cannot give
        raise InputError(path, "columns", "name at least one column (None: all of them)")
    for col in cols:
        if col not in header:
            raise InputError(path, f"columns.{col}", f"no such column; the columns are {', '.join(header)}")
    if len(set(cols)) < len(cols):
        raise InputError(path, "columns", f"a column named twice (got {short(cols)})")
    return cols


def _where(path: Path, header: list[str], kinds: dict[str, str], where: Where | None) -> dict[str, list[Any]]:
    """`where` checked: each column in the table, each value of its column's kind (dates as Timestamps)."""
    if where is None:
        return {}
    if not isinstance(where, Mapping):
        raise InputError(path, "where", f"expected a mapping {{column: value or list of values}} (got {short(where)})")
    out: dict[str, list[Any]] = {}
    for col, given in where.items():
        if col not in header:
            raise InputError(path, f"where.{col}", f"no such column; the columns are {', '.join(header)}")
        values = list(given) if isinstance(given, _LISTS) else [given]
        kind = kinds[col]
        checked = [_value(v, kind) for v in values]
        if any(v is None for v in checked):
            raise InputError(path, f"where.{col}", f"expected {_EXPECTED[kind]}, one value or a list of them (got {short(given)})")
        out[col] = checked
    return out


def _value(v: Any, kind: str) -> Any:
    """`v` as a value of a column of `kind`, or None if it is not one (a bool is no number, a float no id)."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v) if kind in ("bool", "any") else None
    if kind == "text":
        return v if isinstance(v, str) else None
    if kind == "whole":  # an int64 column's
        return int(v) if isinstance(v, (int, np.integer)) and -2**63 <= v < 2**63 else None
    if kind == "number":  # inf too (`quoted_days` in an outage); not NaN, as no null is selected (None for text)
        if not isinstance(v, (int, float, np.integer, np.floating)):
            return None
        try:
            x = float(v)
        except OverflowError:  # an int past a float's range
            return None
        return None if np.isnan(x) else x
    if kind == "date":
        if not isinstance(v, (str, dt.date, np.datetime64)):
            return None
        try:
            ts = pd.Timestamp(v)
        except (ValueError, TypeError):
            return None
        return ts if ts is not pd.NaT and ts.tzinfo is None else None
    if kind == "any":
        return v.item() if isinstance(v, np.generic) else v if isinstance(v, (str, int, float)) else None
    return None


def _parquet(path: Path, needed: list[str], match: dict[str, list[Any]], kinds: dict[str, str]) -> pd.DataFrame:
    """The matching rows, one row group (a replication, as a run writes it) at a time, converted as
    `pd.read_parquet` converts (the full read: the schema's pandas metadata gives `Int64`)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    # row group by row group, not pyarrow's dataset scan (nor pandas' `filters=`, which uses it): that reads
    # ahead, and its peak grew with the table (22 MB of RSS for 16,000 rows of a 160-row-group table, 8 MB here)
    with pq.ParquetFile(path, pre_buffer=False) as pf:
        schema = pf.schema_arrow
        tests = []
        for col, values in match.items():
            try:
                tests.append(pc.field(col).isin(pa.array(values, type=schema.field(col).type)))
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:  # e.g. a whole number past int64
                raise InputError(path, f"where.{col}", f"not a value of this column ({short(str(exc), 80)})") from None
        test = reduce(lambda a, b: a & b, tests) if tests else None
        parts = [schema.empty_table().select(needed)]  # the types, if no row matches
        for i in range(pf.metadata.num_row_groups):
            if not _may_match(pf.metadata.row_group(i), match, kinds):
                continue
            part = pf.read_row_group(i, columns=needed)
            parts.append(part.filter(test) if test is not None else part)
    return pa.concat_tables(parts).to_pandas()


def _may_match(group: Any, match: dict[str, list[Any]], kinds: dict[str, str]) -> bool:
    """False if the row group's statistics (min, max of a column) exclude every value asked for: a where on
    `replication` or `scenario` reads the row groups of those only. Text and whole numbers only (a float's
    NaN is outside every range, and Parquet's dates need converting)."""
    for j in range(group.num_columns):
        column = group.column(j)
        col, stats = column.path_in_schema, column.statistics
        if col not in match or kinds.get(col) not in ("text", "whole") or stats is None or not stats.has_min_max:
            continue
        try:
            if not any(stats.min <= v <= stats.max for v in match[col]):
                return False
        except TypeError:  # statistics of another type than the values: read the group
            continue
    return True


def _mask(match: dict[str, list[Any]], kinds: dict[str, str]) -> Any:
    """The row filter of a CSV chunk (`columns.read_csv`'s `keep`: dates are still text there)."""
    def keep(chunk: pd.DataFrame) -> pd.Series:
        return reduce(lambda a, b: a & b, ((pd.to_datetime(chunk[col]) if kinds[col] == "date" else chunk[col]).isin(values)
                                           for col, values in match.items()))
    return keep
