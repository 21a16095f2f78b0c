"""`RunFolder.read`: part of a stored table (some columns, the rows matching `where`) without reading it
whole, as the full read filtered, from Parquet and CSV alike."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplychain import InputError, compare, load_run, run_experiment, sweep
from supplychain.columns import read_csv
from supplychain.outputs import write_table_stream

ROOT = Path(__file__).resolve().parents[1]
SC = {"name": "lr", "topology": str(ROOT / "topology" / "minimal.yaml"), "end": "2023-06-30"}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("read")
    for fmt in ("parquet", "csv"):
        run_experiment(SC, replications=2, seed=5, workers=1, out=base / fmt, fmt=fmt)
    return base


def _filtered(full: pd.DataFrame, columns, where) -> pd.DataFrame:
    keep = np.ones(len(full), bool)
    for col, values in (where or {}).items():
        values = values if isinstance(values, list) else [values]
        if str(full[col].dtype).startswith("datetime"):  # pandas' isin matches no date to a text one
            values = [pd.Timestamp(v) for v in values]
        keep &= full[col].isin(values).to_numpy()
    return full[keep][columns or list(full.columns)].reset_index(drop=True)


SELECTIONS = [
    ("lead_times", ["date", "quoted_days", "scenario"], None),  # the order asked for, as read_parquet gives
    ("lead_times", ["date", "customer", "quoted_days"], {"product": "acc", "replication": [1]}),
    ("lead_times", None, {"supplier": ["fab", "packager"], "date": ["2022-07-02", pd.Timestamp("2023-01-07")]}),
    ("lead_times", ["quoted_days"], {"product": "no such product"}),  # nothing matches: empty, typed
    ("lead_times", None, {"replication": []}),
    ("orders", ["order_id", "parent_id", "status", "rule", "delivered_date"], {"kind": ["component", "lab"]}),
    ("nodes", ["node", "day", "backlog"], {"node": "fab", "day": [7.0, 14]}),
]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize(("name", "columns", "where"), SELECTIONS)
def test_a_selective_read_is_the_full_read_filtered(folders, fmt, name, columns, where):
    r = load_run(folders / fmt)
    got = r.read(name, columns=columns, where=where)
    assert not r.tables._read  # neither the full table read nor the part kept
    expected = _filtered(r.tables[name], columns, where)
    pdt.assert_frame_equal(got, expected, check_exact=True)
    assert len(got) < len(r.tables[name]) or where is None
    if fmt == "csv":  # the same frame from either format
        pdt.assert_frame_equal(got, load_run(folders / "parquet").read(name, columns=columns, where=where))


LT_COLUMNS = ["scenario", "replication", "day", "supplier", "customer", "product", "quoted_days", "date"]
WHERES = st.fixed_dictionaries({}, optional={
    "product": st.lists(st.sampled_from(["acc", "hbm", "logic", "tool", "nope"]), max_size=3),
    "replication": st.sampled_from([0, 1, 2]) | st.lists(st.sampled_from([0, 1]), max_size=2),
    "customer": st.sampled_from(["packager", "lab", "vendor"]),
    "date": st.lists(st.sampled_from(["2022-01-01", "2022-07-02", "2023-06-24"]), max_size=2),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(columns=st.none() | st.lists(st.sampled_from(LT_COLUMNS), min_size=1, max_size=4, unique=True), where=WHERES)
def test_any_selection_is_the_full_read_filtered(folders, columns, where):
    for fmt in ("parquet", "csv"):
        r = load_run(folders / fmt)
        pdt.assert_frame_equal(r.read("lead_times", columns, where), _filtered(r.lead_times, columns, where), obj=fmt)


def test_the_selections_select_something(folders):
    r = load_run(folders / "parquet")
    assert [len(r.read(n, c, w)) > 0 for n, c, w in SELECTIONS] == [True, True, True, False, False, True, True]


def test_a_csv_table_is_filtered_chunk_by_chunk(folders):
    """The row filter applies to each chunk as it is parsed: with chunks smaller than the table, the kept
    rows of every chunk are there, in order, typed as the full read."""
    path = folders / "csv" / "orders.csv"
    full = read_csv(path, "orders")
    got = read_csv(path, "orders", keep=lambda c: c["kind"] == "component", chunk_rows=500)
    assert len(full) > 5 * 500
    pdt.assert_frame_equal(got, full[full["kind"] == "component"].reset_index(drop=True))
    pdt.assert_frame_equal(read_csv(path, "orders", keep=lambda c: c["qty"] < 0, chunk_rows=500), full.iloc[:0])


def test_a_where_on_the_replication_reads_only_its_row_groups(folders, monkeypatch):
    """A run writes each replication as row groups of its own, whose statistics (min, max) rule the
    others out: the rows of 1 of 200 replications cost 1/200 of the reading."""
    import pyarrow.parquet as pq

    read = []
    original = pq.ParquetFile.read_row_group
    monkeypatch.setattr(pq.ParquetFile, "read_row_group", lambda self, i, **kw: read.append(i) or original(self, i, **kw))
    r = load_run(folders / "parquet")
    assert pq.ParquetFile(folders / "parquet" / "nodes.parquet").metadata.num_row_groups == 2
    got = r.read("nodes", where={"replication": 1, "node": "fab"})
    assert read == [1] and set(got["replication"]) == {1} and len(got)
    read.clear()
    assert r.read("nodes", where={"replication": [5, 7]}).empty and read == []
    assert len(r.read("nodes", where={"day": 7.0})) and read == [0, 1]  # a float column's statistics are not used


def test_scenario_reads_only_its_rows(folders):
    r = load_run(folders / "csv")
    one = r.scenario("lr")
    assert not r.tables._read
    for name, df in one.items():
        pdt.assert_frame_equal(df, r.tables[name], obj=name)


def test_compare_and_sweep_tables_read_in_part(tmp_path):
    short = {**SC, "end": "2022-06-30"}
    c = compare(short, [{**short, "name": "lr2", "labs": {"utilisation": 0.2}}], replications=1, workers=1,
                out=tmp_path / "cmp", counterfactuals=False, fmt="csv")
    r = load_run(tmp_path / "cmp")
    pdt.assert_frame_equal(r.read("mean_gaps", where={"scenario": "lr2"}), _filtered(c.mean_gaps, None, {"scenario": "lr2"}))
    pdt.assert_frame_equal(r.read("orders", ["scenario", "qty"], where={"scenario": "lr2"}),
                           _filtered(r.orders, ["scenario", "qty"], {"scenario": "lr2"}))
    s = sweep(short, ["labs.utilisation=0.3,0.5"], replications=1, workers=1, out=tmp_path / "swp", fmt="csv")
    r = load_run(tmp_path / "swp")
    # a swept input's column has no declared type: matched on the type it reads with
    pdt.assert_frame_equal(r.read("points", where={"labs.utilisation": 0.5}), _filtered(s.points, None, {"labs.utilisation": 0.5}))
    assert len(r.read("outcomes", ["point", "lab"], where={"point": 1})) == len(s.outcomes.query("point == 1")) > 0


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_bad_selections_are_one_line_input_errors(folders, fmt):
    r = load_run(folders / fmt)
    file = folders / fmt / f"lead_times.{fmt}"
    cols = "scenario, replication, day, supplier, customer, product, quoted_days, share, "

    def error(match: str, *args, **kwargs) -> None:
        with pytest.raises(InputError, match="^" + re.escape(match)) as info:
            r.read(*args, **kwargs)
        assert "\n" not in str(info.value)

    error(f"{folders / fmt}: name: no such table here; the tables are events, fleet, generations, lead_times, nodes, "
          "orders, stocks (got 'lead_time')", "lead_time")
    error(f"{file}: columns.prod: no such column; the columns are {cols}", "lead_times", ["prod"])
    error(f"{file}: columns: expected a list of column names (got 'product')", "lead_times", "product")
    error(f"{file}: columns: name at least one column (None: all of them)", "lead_times", [])
    error(f"{file}: columns: a column named twice (got ", "lead_times", ["product", "quoted_days", "product"])
    error(f"{file}: where.Product: no such column; the columns are {cols}", "lead_times", where={"Product": "acc"})
    error(f"{file}: where: expected a mapping {{column: value or list of values}} (got [('product', 'acc')])",
          "lead_times", where=[("product", "acc")])
    error(f"{file}: where.replication: expected whole numbers, one value or a list of them (got '0')",
          "lead_times", where={"replication": "0"})
    error(f"{file}: where.replication: expected whole numbers, one value or a list of them (got [0, 1.0])",
          "lead_times", where={"replication": [0, 1.0]})
    error(f"{file}: where.replication: expected whole numbers, one value or a list of them (got True)",
          "lead_times", where={"replication": True})
    error(f"{file}: where.replication: expected whole numbers, one value or a list of them (got {2**70})",
          "lead_times", where={"replication": 2**70})  # no int64: pyarrow's OverflowError, naming nothing
    error(f"{file}: where.replication: expected whole numbers, one value or a list of them (got {2**63})",
          "lead_times", where={"replication": 2**63})  # one past int64's largest
    error(f"{file}: where.product: expected text, one value or a list of them (got [5])", "lead_times", where={"product": [5]})
    error(f"{file}: where.product: expected text, one value or a list of them (got None)", "lead_times", where={"product": None})
    error(f"{file}: where.date: expected dates (2024-03-01 or a datetime), one value or a list of them (got '2023-13-01')",
          "lead_times", where={"date": "2023-13-01"})
    error(f"{file}: where.date: expected dates (2024-03-01 or a datetime), one value or a list of them (got ",
          "lead_times", where={"date": pd.Timestamp("2022-07-02", tz="UTC")})  # the table's dates have no time zone
    error(f"{file}: where.quoted_days: expected numbers, one value or a list of them (got {{'min': 3}})",
          "lead_times", where={"quoted_days": {"min": 3}})


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_the_values_asked_for_may_be_a_list_tuple_set_array_or_series(folders, fmt):
    r = load_run(folders / fmt)
    want = r.read("lead_times", where={"product": ["acc", "hbm"]})
    assert set(want["product"]) == {"acc", "hbm"}
    for given in (("acc", "hbm"), {"acc", "hbm"}, np.array(["acc", "hbm"]), pd.Series(["acc", "hbm"]), pd.Index(["acc", "hbm"])):
        pdt.assert_frame_equal(r.read("lead_times", where={"product": given}), want, obj=type(given).__name__)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_the_values_may_be_a_columns_unique_values_an_extension_array(folders, fmt):
    """`where={"product": table["product"].unique()}`: of a text column pandas 3 gives an ArrowStringArray (of an
    Int64 or a date column an IntegerArray or DatetimeArray), which was refused as "expected text"."""
    r = load_run(folders / fmt)
    full = r.lead_times
    want = r.read("lead_times", where={"product": ["acc", "hbm"], "replication": [1], "date": ["2022-07-02", "2023-01-07"]})
    assert len(want) and set(want["product"]) == {"acc", "hbm"}
    for product, rep, date in ((pd.array(["acc", "hbm"], dtype="string"), pd.array([1], dtype="Int64"),
                                pd.to_datetime(["2022-07-02", "2023-01-07"]).array),
                               (pd.Categorical(["acc", "hbm"]), np.array([1]), pd.DatetimeIndex(["2022-07-02", "2023-01-07"]))):
        got = r.read("lead_times", where={"product": product, "replication": rep, "date": date})
        pdt.assert_frame_equal(got, want, obj=type(product).__name__)
    some = full[full["product"].isin(["acc", "hbm"])]
    pdt.assert_frame_equal(r.read("lead_times", where={"product": some["product"].unique()}),
                           r.read("lead_times", where={"product": ["acc", "hbm"]}))


def test_an_outages_infinite_quotes_are_selected_by_value(tmp_path):
    """README: `quoted_days` is `inf` while a supplier with a backlog has no capacity, a value the table
    holds, so `where={"quoted_days": inf}` selects those weeks (it was refused as "expected numbers");
    NaN stays refused, as no null is selected by value."""
    outage = {**SC, "name": "out", "end": "2022-12-31",
              "shocks": [{"id": "o", "kind": "capacity", "start": "2022-06-01", "duration_days": 60, "multiplier": 0,
                          "target": {"ids": ["packager"]}}]}
    got = {}
    for fmt in ("parquet", "csv"):
        run_experiment(outage, replications=1, workers=1, out=tmp_path / fmt, fmt=fmt)
        r = load_run(tmp_path / fmt)
        got[fmt] = r.read("lead_times", ["date", "supplier", "quoted_days"], where={"quoted_days": [np.inf, 1e9]})
        pdt.assert_frame_equal(got[fmt], _filtered(r.lead_times, ["date", "supplier", "quoted_days"],
                                                   {"quoted_days": [np.inf, 1e9]}))
        with pytest.raises(InputError, match="where.quoted_days: expected numbers"):
            r.read("lead_times", where={"quoted_days": float("nan")})
    assert len(got["parquet"]) and np.isinf(got["parquet"]["quoted_days"]).all()
    pdt.assert_frame_equal(got["parquet"], got["csv"])


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_table_that_cannot_be_read_is_an_input_error_naming_its_file(folders, tmp_path, fmt):
    import shutil

    shutil.copytree(folders / fmt, tmp_path / "run")
    file = tmp_path / "run" / f"fleet.{fmt}"
    file.write_bytes(file.read_bytes()[:40] if fmt == "parquet" else b"scenario,replication\nlr,x\n")
    with pytest.raises(InputError, match="^" + re.escape(f"{file}: <file>: cannot read the table (")):
        load_run(tmp_path / "run").read("fleet", where={"replication": 0})


BIG = 120_000  # rows of the table the memory test reads: ~15 MB as a DataFrame


def _big_table(folder: Path, parts_dir: Path, fmt: str) -> None:
    """A `lead_times` of 30 replications of 4,000 rows, written the way a run writes it (one row group
    of Parquet per replication, `write_table_stream`)."""
    rng = np.random.default_rng(0)
    n = BIG // 30
    products = np.array([f"product_{i}" for i in range(20)])
    parts = []
    for rep in range(30):
        df = pd.DataFrame({
            "scenario": "baseline", "replication": rep, "day": np.arange(n, dtype=float) % 2000,
            "supplier": "supplier_x", "customer": np.where(np.arange(n) // 20 % 2, "lab_us", "lab_cn"),
            "product": products[np.arange(n) % 20], "quoted_days": rng.random(n) * 100, "share": 1.0,
            "realised_by_order_days": rng.random(n), "realised_by_delivery_days": rng.random(n),
            "realised_by_order_lines": 1, "realised_by_delivery_lines": 2,
            "date": (pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) % 2000, "D")).astype("datetime64[us]")})
        parts.append(parts_dir / f"{rep}.parquet")
        df.to_parquet(parts[-1], index=False)
    for out, used in ((folder / "run", parts), (folder / "warm", parts[:1])):  # warm: a table as small as one part
        write_table_stream(used, out, "lead_times", fmt)
        (out / "manifest.json").write_text('{"scenarios": []}')


PEAK = """
import gc, sys
from supplychain import load_run

def status(key):  # KiB
    return int(next(line.split()[1] for line in open("/proc/self/status") if line.startswith(key + ":")))

def peak(read):
    gc.collect()
    open("/proc/self/clear_refs", "w").write("5")  # the peak resident size starts again from here
    before = status("VmRSS")
    n = len(read())
    return n, status("VmHWM") - before

def selected(r):
    return r.read("lead_times", ["date", "quoted_days"], where={"product": "product_3", "customer": "lab_us"})

warm = load_run(sys.argv[1] + "/warm")  # the modules either read imports first: not counted as its table's
selected(warm), warm.lead_times
r = load_run(sys.argv[1] + "/run")
part = peak(lambda: selected(r))
full = peak(lambda: r.tables["lead_times"])
print(*part, *full)
"""


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_selective_read_of_a_large_table_holds_a_fraction_of_the_full_read(tmp_path, fmt):
    """Peak resident memory (Linux's VmHWM, reset before each) of the part read, then of the full read."""
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("needs Linux's /proc/self/clear_refs to reset the peak")
    (tmp_path / "parts").mkdir()
    _big_table(tmp_path, tmp_path / "parts", fmt)
    out = subprocess.run([sys.executable, "-c", PEAK, str(tmp_path)], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    rows_part, peak_part, rows_full, peak_full = map(int, out.stdout.split())  # peaks in KiB
    assert (rows_part, rows_full) == (BIG // 40, BIG)
    assert peak_full > 20_000 and peak_part * 5 < peak_full, (peak_part, peak_full)


def test_a_selection_from_a_csv_table_of_no_rows_is_empty_with_the_parquet_tables_types(tmp_path):
    """A run that releases no generation writes a generations table of a header alone: selected from CSV
    (parsed chunk by chunk, and there is no chunk) it is empty with its columns and types, as from Parquet."""
    from supplychain.columns import empty
    from supplychain.outputs import read_table, write_table

    got = {}
    for fmt in ("parquet", "csv"):
        write_table(empty("generations"), tmp_path / fmt, "generations", fmt)
        got[fmt] = read_table(tmp_path / fmt, "generations", columns=["lab", "generation", "date"], where={"lab": "a"})
    assert len(got["csv"]) == 0 and list(got["csv"].columns) == ["lab", "generation", "date"]
    pdt.assert_frame_equal(got["csv"], got["parquet"])
