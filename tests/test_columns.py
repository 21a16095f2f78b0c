"""Every written table has its declared columns and dtypes (`supplychain.columns`), in memory
and read back from Parquet or CSV alike."""

from __future__ import annotations

from pathlib import Path

import pandas.testing as pdt
import pytest

from supplychain.columns import COLUMNS, STR, TEXT, declared
from supplychain.comparison import compare
from supplychain.experiment import run_experiment
from supplychain.outputs import read_table
from supplychain.sweeps import sweep

TWO_LABS = str(Path(__file__).resolve().parent / "data" / "two_labs.yaml")
PLAIN = {"name": "plain", "topology": TWO_LABS, "end": "2023-06-30"}  # no control: `rule` is all null
EVENTFUL = {**PLAIN, "name": "eventful",
            "controls": [{"id": "r1", "announced": "2022-06-01", "effective": "2022-06-01", "action": "ban",
                          "scope": {"destinations": ["CN"], "product_kinds": ["accelerator"]}}],
            "shocks": [{"id": "s1", "kind": "capacity", "start": "2022-09-01", "duration_days": 30,
                        "multiplier": 0.5, "target": {"kinds": ["fab"]}}]}

STOCKED = {"name": "stocked", "topology": str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml"),
           "end": "2022-06-30"}  # its depot is a stock point


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """{fmt: {"run"/"compare"/"sweep": (folder of the tables, the tables in memory)}} for both formats."""
    root = tmp_path_factory.mktemp("columns")
    out = {}
    for fmt in ("parquet", "csv"):
        run = run_experiment(PLAIN, replications=1, seed=2, workers=1, out=root / fmt / "run", fmt=fmt)
        cmp = compare(PLAIN, [EVENTFUL], replications=2, seed=2, workers=1, out=root / fmt / "cmp", fmt=fmt)
        swp = sweep(PLAIN, ["labs.utilisation=0.3,0.5"], replications=2, seed=2, workers=1, out=root / fmt / "swp",
                    fmt=fmt)
        stock = sweep(STOCKED, ["labs.utilisation=0.3,0.5"], replications=1, seed=2, workers=1,
                      out=root / fmt / "stock", fmt=fmt)  # a stock point: stock_outcomes, stock_sensitivity
        out[fmt] = {"run": (root / fmt / "run", run.tables), "experiment": (root / fmt / "cmp", cmp.experiment.tables),
                    "compare": (cmp.folder, cmp.tables), "sweep": (swp.folder, swp.tables),
                    "stock sweep": (stock.folder, stock.tables)}
    return out


def test_every_table_has_its_declared_dtypes(folders):
    seen = set()
    for _, tables in folders["parquet"].values():
        for name, df in tables.items():
            seen.add(name)
            types = declared(name, list(df.columns))
            assert [c for c in COLUMNS[name] if c not in df.columns] == [], f"{name}: declared columns missing"
            inputs = {"labs.utilisation"} if name in ("points", "outcomes", "stock_outcomes") else set()  # the swept input
            assert set(df.columns) - set(types) == inputs, f"{name}: columns not declared in supplychain/columns.py"
            for col, dtype in types.items():
                want = "str" if dtype == TEXT else dtype
                assert str(df[col].dtype) == want, f"{name}.{col}: {df[col].dtype}, declared {dtype}"
                if dtype == STR:  # CSV writes "" and null alike: text is null where there is nothing
                    assert not (df[col] == "").any(), f"{name}.{col}: empty strings; use null"
                if dtype == TEXT:
                    assert df[col].notna().all(), f"{name}.{col}: null in a text column"
    assert seen == set(COLUMNS), f"tables not exercised: {set(COLUMNS) - seen}"


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_tables_read_back_as_they_were_in_memory(folders, fmt):
    """`read_table` gives the DataFrames the run had in memory, from Parquet and from CSV: empty tables,
    all-null text columns, nullable integers and dates keep their types."""
    for what, (folder, tables) in folders[fmt].items():
        for name, df in tables.items():
            got = read_table(folder, name)
            pdt.assert_frame_equal(got, df, check_exact=True, obj=f"{fmt} {what} {name}")


def test_parent_ids_are_nullable_integers():
    """An order id is an integer: `parent_id` matches `order_id` without float noise, and is null
    for a line not exploded from another."""
    orders = run_experiment(PLAIN, replications=1, seed=2, workers=1).tables["orders"]
    kids = orders.dropna(subset=["parent_id"])
    assert len(kids) and orders["parent_id"].isna().any()
    assert set(kids["parent_id"]) <= set(orders["order_id"])
    assert str(orders["parent_id"].dtype) == "Int64"


def test_the_events_order_ids_are_nullable_integers_as_the_orders():
    """`events.order_id` was a float (1509.0) though the README says ids are integers: it is an `Int64`, null for
    a shock, and every one is an `order_id` of the orders table."""
    t = run_experiment(EVENTFUL, replications=1, seed=2, workers=1).tables
    ev = t["events"]
    assert str(ev["order_id"].dtype) == "Int64"
    assert ev.loc[ev["type"] == "shock", "order_id"].isna().all()
    ids = ev.loc[ev["type"] == "control", "order_id"]
    assert len(ids) and ids.notna().all() and set(ids) <= set(t["orders"]["order_id"])


def test_a_comparison_without_counterfactuals_has_an_empty_throttle_table_with_its_columns():
    """`c.throttle[c.throttle.scenario == ...]` works whether or not counterfactuals ran (it was a
    frame without columns: a KeyError, and a CSV that read back with none)."""
    short = {**PLAIN, "end": "2022-06-30"}
    c = compare(short, [{**short, "name": "other"}], replications=1, workers=1, counterfactuals=False)
    assert len(c.throttle) == 0
    assert {c: str(t) for c, t in c.throttle.dtypes.items()} == {
        c: ("str" if t == TEXT else t) for c, t in COLUMNS["throttle"].items()}


@pytest.mark.parametrize("name", ["NA", "None", "null", "nan", "N/A"])
def test_a_name_pandas_would_read_as_null_reads_back_from_csv(tmp_path, name):
    """Only an empty cell is null in a CSV table: a scenario (or node, lab) named `NA` is North America,
    not a missing value (pandas' default list read it as null, and `load_run(...).scenario("NA")` was empty)."""
    res = run_experiment({**PLAIN, "name": name, "end": "2022-06-30"}, replications=1, workers=1,
                         out=tmp_path / "run", fmt="csv")
    for table, df in res.tables.items():
        got = read_table(tmp_path / "run", table)
        pdt.assert_frame_equal(got, df, check_exact=True, obj=table)
    assert (read_table(tmp_path / "run", "fleet")["scenario"] == name).all()


RUN_TABLES = ("orders", "lead_times", "nodes", "fleet", "generations", "events", "stocks")


def test_the_readme_names_every_column_of_the_run_tables():
    """README "Tables" is the column reference an analyst reads: each run table's paragraph (from its
    bold name to the next) names every declared column, so a column added or renamed in `columns.py`
    without the README fails here rather than in a notebook."""
    import re

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    text = text[text.index("## Tables"):]
    parts = re.split(r"\*\*(\w+)\*\*", text[:text.index("A compare folder adds")])
    paragraphs = dict(zip(parts[1::2], parts[2::2]))
    assert set(RUN_TABLES) <= set(paragraphs)
    for name in RUN_TABLES:
        named = set(re.findall(r"`([a-z0-9_]+)`", paragraphs[name]))
        missing = [c for c in COLUMNS[name] if c not in named and c not in ("scenario", "replication")]
        assert not missing, f"README 'Tables' {name}: {missing} not named"


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_table_the_program_does_not_declare_reads_its_dates_back_as_dates(tmp_path, fmt):
    """A user's own table written beside a run's (`write_table`): read back from CSV its `date` and `*_date`
    columns are dates, as from Parquet, so `got.date.dt.year` works in either format."""
    import pandas as pd

    from supplychain.outputs import write_table

    dates = pd.to_datetime(["2024-01-06", "2024-03-30"]).astype("datetime64[us]")
    df = pd.DataFrame({"lab": ["a", "b"], "date": dates, "release_date": dates + pd.Timedelta(days=7),
                       "gap_days": [1.5, 2.0]})
    write_table(df, tmp_path, "my_table", fmt)
    got = read_table(tmp_path, "my_table")
    for col in ("date", "release_date"):
        assert str(got[col].dtype) == "datetime64[us]", col
        assert got[col].tolist() == df[col].tolist(), col
    assert got["gap_days"].tolist() == [1.5, 2.0] and got["lab"].tolist() == ["a", "b"]
