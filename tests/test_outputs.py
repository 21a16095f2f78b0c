"""Writing tables: streamed concatenation of per-replication files gives the concatenated table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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
