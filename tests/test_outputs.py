"""Writing tables: streamed concatenation of per-replication files gives the concatenated table;
days become dates one way (rounded half up) in every table."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.outputs import read_table, write_table, write_table_stream


def parts(tmp_path):
    """Three replications of one table; in the first, `rule` and `released` are all missing."""
    frames = [
        pd.DataFrame({"replication": [0, 0], "qty": [1.0, 2.0], "released": [None, None], "rule": [None, None]}),
        pd.DataFrame({"replication": [1], "qty": [3.5], "released": [4.0], "rule": ["oct2023"]}),
        pd.DataFrame({"replication": [2, 2, 2], "qty": [1.0, np.nan, 0.5], "released": [1.0, None, 2.0], "rule": ["", "x", None]}),
    ]
    paths = []
    for i, df in enumerate(frames):
        folder = tmp_path / f"rep_{i}"
        folder.mkdir()
        paths.append(write_table(df, folder, "orders", "parquet"))
    return frames, paths


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_streamed_table_equals_the_concatenation(tmp_path, fmt):
    frames, paths = parts(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    write_table_stream(paths, out, "orders", fmt)
    got = read_table(out, "orders")
    want = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    assert list(got.columns) == list(want.columns) and len(got) == 6
    assert got["replication"].tolist() == [0, 0, 1, 2, 2, 2]
    np.testing.assert_allclose(got["qty"].to_numpy(float), want["qty"].to_numpy(float))
    # a column that was all null in the first part takes the type it has in the others
    np.testing.assert_allclose(got["released"].to_numpy(float), [np.nan, np.nan, 4.0, 1.0, np.nan, 2.0])
    rules = [None if pd.isna(r) else r for r in got["rule"]]
    assert rules[2] == "oct2023" and rules[4] == "x"
    assert not list(out.glob(".*")) and not list(out.glob("*.tmp*")), "nothing half-written left behind"


def test_a_run_that_releases_no_generation_has_every_column_with_its_type():
    """Every table has a fixed set of columns: a run too short to release a generation writes the same
    columns and dtypes as one that releases some (else parquet schemas differ between the scenarios
    of a compare or the points of a sweep, and writing their tables fails)."""
    from supplychain.results import simulate
    from supplychain.scenario import resolve_scenario

    minimal = str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml")
    short = simulate(None, resolve_scenario({"topology": minimal, "name": "short", "end": "2022-02-01"})).tables
    full = simulate(None, resolve_scenario({"topology": minimal, "name": "full", "end": "2026-01-01"})).tables
    assert len(short["generations"]) == 0 and len(full["generations"]) > 0
    assert list(short) == list(full)
    for name in full:
        assert list(short[name].columns) == list(full[name].columns), name
        assert short[name].dtypes.astype(str).to_dict() == full[name].dtypes.astype(str).to_dict(), name


def test_an_empty_date_column_has_the_type_of_a_full_one():
    """A table with no rows (no events, no releases) dates its columns with the type a full table
    gets, so the tables of several runs stack and write as one parquet schema."""
    import datetime as dt

    import pandas as pd

    from supplychain.engine.record import day_dates

    empty = day_dates(dt.date(2022, 1, 1), pd.Series([], dtype=object))
    full = day_dates(dt.date(2022, 1, 1), pd.Series([0.0, 1.4, 400.6]))
    assert empty.dtype == full.dtype
    assert list(full.dt.strftime("%Y-%m-%d")) == ["2022-01-01", "2022-01-02", "2023-02-05"]


days = st.floats(0.0, 20_000.0, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(days, days)
def test_date_differences_follow_day_differences(a, b):
    """A date is the day its moment falls in, the same way everywhere in the calendar: two days a
    whole number of days apart are that many dates apart (half-to-even rounding made 3.5 -> 361.5
    one date short), and any two are within a day of their difference."""
    import datetime as dt

    from supplychain.engine.record import day_dates

    start = dt.date(2022, 1, 1)
    da, db, dk = day_dates(start, pd.Series([a, b, a + 357.0]))
    assert (dk - da).days == 357
    assert abs((db - da).days - (b - a)) < 1.0 + 1e-9
    assert abs((db - da).days - math.floor(b - a + 0.5)) <= 1


@given(st.integers(0, 20_000), st.floats(0.0, 0.9999))
def test_a_moment_is_dated_the_day_it_falls_in(k, part):
    """Day k + part is day k's date for any part of the day (the afternoon of the last day of a
    run is its end date, not the day after); a whole day less a float's noise is that whole day."""
    import datetime as dt

    from supplychain.engine.record import day_dates

    got = day_dates(dt.date(2022, 1, 1), pd.Series([k + part, (k + 1) - 1e-12]))
    assert list(got) == [pd.Timestamp("2022-01-01") + pd.Timedelta(days=k), pd.Timestamp("2022-01-01") + pd.Timedelta(days=k + 1)]


def test_compare_and_sweep_with_a_run_that_releases_nothing(tmp_path):
    """compare and sweep where one scenario (point) releases no generation and another does."""
    import yaml
    from typer.testing import CliRunner

    from supplychain.cli import app

    minimal = str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml")
    base, tiny = tmp_path / "base.yaml", tmp_path / "tiny.yaml"
    base.write_text(yaml.safe_dump({"name": "base", "topology": minimal, "end": "2025-01-01"}))
    tiny.write_text(yaml.safe_dump({"name": "tiny", "topology": minimal, "end": "2022-02-01"}))
    runner = CliRunner()
    res = runner.invoke(app, ["compare", str(base), str(tiny), "-n", "1", "-w", "1", "-q", "--no-counterfactual",
                              "-o", str(tmp_path / "cmp")])
    assert res.exit_code == 0, (res.output, res.exception)
    gens = read_table(tmp_path / "cmp", "generations")
    assert "gap_days" in gens and set(gens["scenario"]) == {"base"}
    res = runner.invoke(app, ["sweep", str(base), "-p", "end=2022-02-01,2025-01-01", "-n", "1", "-w", "1", "-q",
                              "-o", str(tmp_path / "sw")])
    assert res.exit_code == 0, (res.output, res.exception)


def test_a_run_reads_back_the_same_from_parquet_and_csv(tmp_path):
    # null is null in both formats: a line without a rule has no rule, not an empty string
    from supplychain.experiment import run_experiment

    scenario = {"name": "fmt", "topology": str(Path(__file__).parent / "data" / "two_labs.yaml"), "end": "2023-06-30",
                "controls": [{"id": "r1", "announced": "2022-06-01", "effective": "2022-06-01", "action": "ban",
                              "scope": {"destinations": ["CN"], "product_kinds": ["accelerator"]}}]}
    got = {}
    for fmt in ("parquet", "csv"):
        run_experiment(scenario, replications=1, seed=3, workers=1, out=tmp_path / fmt, fmt=fmt)
        got[fmt] = read_table(tmp_path / fmt, "orders")
    a, b = got["parquet"], got["csv"]
    assert a["rule"].notna().any() and a["rule"].isna().any()
    assert (a["rule"] != "").all()
    pd.testing.assert_series_equal(a["rule"].isna(), b["rule"].isna())
    for col in ("order_id", "qty", "delivered", "lead_time_days", "status"):
        np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy())


def test_the_stocks_table_has_its_types_with_and_without_stock_points():
    from supplychain.results import simulate
    from supplychain.scenario import resolve_scenario

    from conftest import serial_chain

    two_labs = str(Path(__file__).resolve().parent / "data" / "two_labs.yaml")  # no stock point
    none = simulate(None, resolve_scenario({"topology": two_labs, "name": "n", "end": "2022-03-01"})).tables["stocks"]
    chain = serial_chain(None, 0, 5.0, 0, demand_rate=2.0, mode="poisson", policy="base_stock", base_stock=13)
    some = simulate(chain, {"name": "bs", "start": "2022-01-01", "end": "2022-06-30", "seed": 7}).tables["stocks"]
    assert len(none) == 0 and len(some) > 0
    assert none.dtypes.astype(str).to_dict() == some.dtypes.astype(str).to_dict()


def test_the_manifest_names_a_notebook_instead_of_its_kernel_launcher():
    """In Jupyter, sys.argv is the kernel launcher and a connection file, which say nothing of the run."""
    from supplychain.outputs import _command

    kernel = ["/venv/lib/python3.11/site-packages/ipykernel_launcher.py", "-f", "/root/.local/share/jupyter/k.json"]
    assert _command(kernel) == "python (a Jupyter kernel; the calls are in the notebook)"
    assert _command(["/venv/bin/supplychain", "run", "-n", "3"]) == "/venv/bin/supplychain run -n 3"
    assert _command(["my_study.py", "--fast"]) == "my_study.py --fast"


def test_the_manifest_records_python_m_supplychain_as_the_command_a_user_retypes(tmp_path):
    """Run as `python -m supplychain`, the manifest (and the report's "made by") said
    `.../supplychain/__main__.py compare ...`, which runs nothing when retyped: it is the interpreter's own command
    line now (`sys.orig_argv`), or without one `python -m supplychain`; arguments are quoted where they need it."""
    import json
    import os
    import shlex
    import subprocess
    import sys

    from supplychain.outputs import _command

    main = str(Path(__file__).resolve().parents[1] / "supplychain" / "__main__.py")
    assert _command([main, "compare", "a.yaml", "my b.yaml", "-n", "4"]) == "python -m supplychain compare a.yaml 'my b.yaml' -n 4"
    assert _command([main, "run", "-n", "2"], ["python3", "-m", "supplychain", "run", "-n", "2"]) == "python3 -m supplychain run -n 2"
    assert _command(["-c", "run"], ["python", "-c", "from supplychain.cli import main; main()", "run"]) == \
        "python -c 'from supplychain.cli import main; main()' run"
    root = Path(__file__).resolve().parents[1]
    (tmp_path / "s.yaml").write_text(f"name: s\ntopology: {root / 'topology' / 'minimal.yaml'}\nend: 2022-03-31\n")
    args = [sys.executable, "-m", "supplychain", "run", str(tmp_path / "s.yaml"), "-n", "1", "-w", "1", "-q",
            "-o", str(tmp_path / "my run")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "my run" / "manifest.json").read_text())["command"] == shlex.join(args)


def test_no_date_in_any_table_is_after_the_scenario_end():
    """Orders delivered on the afternoon of the last day were dated the day after the end."""
    from supplychain.results import simulate

    minimal = str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml")
    r = simulate(minimal, {"name": "e", "end": "2023-06-30"})
    end = pd.Timestamp("2023-06-30")
    late = {f"{name}.{col}": int((df[col] > end).sum()) for name, df in r.tables.items()
            for col in df.columns if col.endswith("date")}
    assert late and not any(late.values()), late
    fractional = r.orders["delivered"].dropna()
    assert (fractional % 1 > 0.5).any()  # afternoons, which the old rounding moved a day on


def test_a_missing_table_is_named_in_both_formats(tmp_path):
    """A CSV run folder without a table: the error named only `<name>.parquet`, a file a CSV folder never has."""
    write_table(pd.DataFrame({"scenario": ["s"], "replication": [0]}), tmp_path, "fleet", "csv")
    with pytest.raises(FileNotFoundError, match=r"no table 'orders' in .*: neither orders\.parquet nor orders\.csv"):
        read_table(tmp_path, "orders")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_filtered_frame_reads_back_with_its_columns_and_a_fresh_index(tmp_path, fmt):
    """A table is its columns: a frame filtered before it was written (`df[df.lab == "a"]`) reads back with
    rows 0..n-1 and no index column, so `got.loc[0]` is its first row in either format."""
    import pyarrow.parquet as pq

    df = pd.DataFrame({"lab": ["a", "b", "a"], "installed_h100e": [1.0, 2.0, 3.0]})
    path = write_table(df[df["lab"] == "a"], tmp_path, "fleet", fmt)
    got = read_table(tmp_path, "fleet")
    assert list(got.columns) == ["lab", "installed_h100e"] and got.index.equals(pd.RangeIndex(2))
    assert got.loc[0, "installed_h100e"] == 1.0 and got.loc[1, "installed_h100e"] == 3.0
    if fmt == "parquet":  # what pyarrow, polars or DuckDB see: the two columns, no `__index_level_0__`
        assert pq.read_schema(path).names == ["lab", "installed_h100e"]


def test_a_written_table_has_the_permissions_of_any_new_file(tmp_path):
    """A table is renamed into place from a temporary that `mkstemp` makes readable by its owner only: it gets
    the mode the umask gives any new file, so a run shared in a group folder is readable by the group."""
    import os
    import stat

    old = os.umask(0o027)
    try:
        path = write_table(pd.DataFrame({"lab": ["a"]}), tmp_path, "fleet", "csv")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_parts_with_their_columns_in_another_order_stream_into_one_table(tmp_path):
    """Parts are put in one column order (the first part's) before they are appended: a part written with its
    columns in another order is the same rows, not a cast error."""
    a = write_table(pd.DataFrame({"replication": [0], "lab": ["x"], "qty": [1.0]}), tmp_path / "a", "fleet")
    b = write_table(pd.DataFrame({"qty": [2.0], "lab": ["y"], "replication": [1]}), tmp_path / "b", "fleet")
    write_table_stream([a, b], tmp_path / "out", "fleet")
    got = read_table(tmp_path / "out", "fleet")
    assert list(got.columns) == ["replication", "lab", "qty"]
    assert got.to_dict("list") == {"replication": [0, 1], "lab": ["x", "y"], "qty": [1.0, 2.0]}


def test_a_package_run_with_python_m_is_named_by_its_dotted_path(tmp_path):
    """Without the interpreter's own command line, `python -m a.b` is rebuilt from the `__main__.py` path:
    outermost package first."""
    from supplychain.outputs import _command

    main = tmp_path / "outer" / "inner" / "__main__.py"
    main.parent.mkdir(parents=True)
    for folder in (tmp_path / "outer", main.parent):
        (folder / "__init__.py").write_text("")
    main.write_text("")
    assert _command([str(main), "run"]) == "python -m outer.inner run"
