"""Prepared scenarios in one experiment: the call's seed and replications override theirs, each keeps its own
replications, wall times and summary in the run folder, and concatenating replications keeps column types."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pandas.testing as pdt

from supplychain.experiment import concat_tables, prepare, run_experiment

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = str(ROOT / "topology" / "minimal.yaml")


def scenario(name: str = "x", **fields) -> dict:
    return {"name": name, "topology": MINIMAL, "end": "2023-06-30", **fields}


def test_the_calls_seed_and_replications_override_a_prepared_scenarios():
    """`run_experiment(prepare(...), seed=2, replications=1)`: the documented override, as for a file or a dict
    (a prepared scenario kept its own seed 1 and 3 replications, unsaid)."""
    res = run_experiment(prepare(scenario(seed=1, replications=3)), replications=1, seed=2, workers=1)
    assert (res.scenarios[0].seed, res.scenarios[0].replications) == (2, 1)
    plain = run_experiment(scenario(), replications=1, seed=2, workers=1)
    for name in ("orders", "generations"):
        pdt.assert_frame_equal(res.tables[name], plain.tables[name], obj=name)


def test_scenarios_of_different_replications_each_get_their_own_in_the_folder(tmp_path):
    """Scenario a with 3 replications and b with 1: the result says 3 (the most), the manifest gives each
    scenario its own wall times, and summary.md (streamed from the stored replications) is the summary of all
    of each scenario's replications, as the same experiment held in memory gives it."""
    a, b = prepare(scenario("a"), replications=3, seed=4), prepare(scenario("b"), replications=1, seed=4)
    res = run_experiment([a, b], workers=1, out=tmp_path / "o")
    assert res.replications == 3 and "replications=3" in repr(res)
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert [(s["name"], len(s["replication_wall_s"])) for s in man["scenarios"]] == [("a", 3), ("b", 1)]
    memory = run_experiment([a, b], workers=1)
    text = (tmp_path / "o" / "summary.md").read_text()
    assert text == memory.summary()
    one = run_experiment(a, replications=1, workers=1).summary()
    figures = [line for line in one.splitlines() if not line.startswith("Replications:")]
    assert not all(line in text.split("# b")[0] for line in figures), "the premise: replication 0 alone gives other figures"


def test_a_replication_without_rows_does_not_change_a_tables_column_types():
    """A replication whose table has no rows (nothing happened) and columns of another type (object) is left
    out of the concatenation: pandas 3 lets an empty frame's types decide (a float column became object)."""
    full = pd.DataFrame({"replication": [0, 0], "day": [1.5, 2.5]})
    none = pd.DataFrame({"replication": pd.Series([], dtype=object), "day": pd.Series([], dtype=object)})
    got = concat_tables([{"t": full}, {"t": none}, {"t": full.assign(replication=2)}])["t"]
    assert got.dtypes.to_dict() == full.dtypes.to_dict() and got["replication"].tolist() == [0, 0, 2, 2]
    empty = concat_tables([{"t": none}, {"t": none}])["t"]
    assert empty.empty and list(empty.columns) == ["replication", "day"]
