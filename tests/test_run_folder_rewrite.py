"""Writing and rewriting a run folder: `write=False` stores the replications only; a rerun removes what was made
from the old tables (report, figures, comparison) and the other format's tables; the manifest records each
scenario's own seed and whether it ran unconstrained."""

from __future__ import annotations

import json
from pathlib import Path

from supplychain import load_run, run_experiment

MINIMAL = str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml")


def scenario(name: str, **fields) -> dict:
    return {"name": name, "topology": MINIMAL, "end": "2022-12-31", **fields}


def test_write_false_stores_the_replications_and_writes_no_tables_summary_or_manifest(tmp_path):
    """`write=False` (how compare and sweep write their folders): replications stored and reusable, but the
    folder's tables, summary.md and manifest.json are left to the caller."""
    res = run_experiment(scenario("w"), replications=2, seed=1, workers=1, out=tmp_path / "o", write=False)
    folder = tmp_path / "o"
    assert len(res.computed) == 2 and res.summary_text is None
    assert not (folder / "manifest.json").exists() and not (folder / "summary.md").exists()
    assert not list(folder.glob("*.parquet"))
    again = run_experiment(scenario("w"), replications=2, seed=1, workers=1, out=folder)
    assert (len(again.computed), len(again.reused)) == (0, 2) and (folder / "manifest.json").exists()


def test_a_rerun_drops_what_was_made_from_the_old_tables_and_the_other_formats_tables(tmp_path):
    """A report, figures or comparison beside tables about to be replaced would describe other tables; a table
    left in the format the folder no longer uses would be read beside the new one. A rerun in csv after a run in
    parquet leaves only the csv tables, and no report or figures."""
    folder = tmp_path / "o"
    run_experiment(scenario("r"), replications=1, seed=1, workers=1, out=folder)
    assert (folder / "orders.parquet").exists()
    (folder / "report.html").write_text("<html>old</html>")
    (folder / "figures").mkdir()
    (folder / "figures" / "old.png").write_bytes(b"png")
    res = run_experiment(scenario("r"), replications=2, seed=1, workers=1, out=folder, fmt="csv")
    assert not (folder / "report.html").exists() and not (folder / "figures").exists()
    assert (folder / "orders.csv").exists() and not list(folder.glob("*.parquet"))
    assert load_run(folder).orders["replication"].tolist() == res.orders["replication"].tolist()


def test_the_manifest_gives_each_scenario_its_seed_and_whether_it_ran_unconstrained(tmp_path):
    """Two scenarios of seeds 1 and 2, the second unconstrained: each manifest entry says its own, as `load_run`
    reads them back; a manifest of several scenarios has no single-scenario fields at its top."""
    run_experiment([scenario("a", seed=1), scenario("b", seed=2, unconstrained=True)], replications=1, workers=1,
                   out=tmp_path / "o")
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert [(s["name"], s["seed"], s["unconstrained"]) for s in man["scenarios"]] == [("a", 1, False), ("b", 2, True)]
    assert [(s.seed, s.unconstrained) for s in load_run(tmp_path / "o").scenarios] == [(1, False), (2, True)]
    assert not {"scenario", "seed", "replications", "config_hash"} & set(man)
