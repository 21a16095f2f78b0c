"""`load_run` and what a folder's manifest records: each scenario's fields as the run had them, a manifest of an
older program (no kind, no scenarios), and one not as a run writes it, named field by field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas.testing as pdt
import pytest
import yaml

from supplychain import InputError, load_run, run_experiment
from supplychain.runfolder import StoredScenario

MINIMAL = str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml")


def test_a_stored_scenario_is_the_run_s_scenario_its_files_named_absolutely(tmp_path, monkeypatch):
    """`r.scenarios` gives what `run_experiment` returned: the scenario file and topology by absolute paths
    (so the folder names its inputs wherever it is read), the seed, replications and config hash."""
    monkeypatch.chdir(tmp_path)
    Path("s.yaml").write_text(yaml.safe_dump({"name": "m", "topology": MINIMAL, "end": "2022-06-30", "seed": 3}))
    res = run_experiment("s.yaml", replications=1, workers=1, out="run")
    [es], [stored] = res.scenarios, load_run("run").scenarios
    assert stored == StoredScenario(name="m", seed=3, replications=1, config_hash=es.config_hash,
                                    source=str(tmp_path / "s.yaml"), topology_path=MINIMAL, unconstrained=False)
    assert (stored.source, stored.topology_path) == (str(Path(es.source).resolve()), es.topology_path)


def _folder(tmp_path: Path, manifest: dict) -> Path:
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_every_field_of_a_manifest_s_scenario_reads_back(tmp_path):
    scenario = {"name": "cf", "seed": 7, "replications": 3, "config_hash": "abc", "scenario_file": "/x/s.yaml",
                "topology": "/x/t.yaml", "unconstrained": True}
    r = load_run(_folder(tmp_path, {"kind": "compare", "scenarios": [scenario]}))
    assert r.scenarios == [StoredScenario("cf", 7, 3, "abc", "/x/s.yaml", "/x/t.yaml", True)]
    assert r.kind == "compare"


def test_a_manifest_of_an_older_program_reads_as_a_run_of_its_tables(tmp_path):
    """No `kind` (before compare and sweep wrote one), no `scenarios`, no summary.md: a run, whose scenario's
    rows `scenario(name)` still reads (there is no list to check the name against), and an empty summary."""
    res = run_experiment({"name": "old", "topology": MINIMAL, "end": "2022-06-30"}, replications=1, workers=1,
                         out=tmp_path / "run")
    (tmp_path / "run" / "summary.md").unlink()
    (tmp_path / "run" / "manifest.json").write_text("{}")
    r = load_run(tmp_path / "run")
    assert (r.kind, r.scenarios, r.summary()) == ("run", [], "")
    pdt.assert_frame_equal(r.scenario("old")["fleet"], res.fleet)


def test_tables_are_the_folder_s_visible_files_not_a_copy_s_hidden_companions(tmp_path):
    """A folder copied by a Mac to a USB disk gains `._fleet.parquet` beside each file (its metadata): not a table."""
    run_experiment({"name": "h", "topology": MINIMAL, "end": "2022-06-30"}, replications=1, workers=1, out=tmp_path / "run")
    (tmp_path / "run" / "._fleet.parquet").write_bytes(b"\x00\x05\x16\x07")
    r = load_run(tmp_path / "run")
    assert "._fleet" not in r.tables and "._fleet" not in list(r.tables)
    assert len(r.tables) == 7


@pytest.mark.parametrize(("scenario", "where"), [
    ({"name": "a", "seed": 1}, "scenarios.0.replications: missing: not as a run writes it"),
    ({"name": "", "seed": 1, "replications": 2}, "scenarios.0.name: expected a scenario's name (got '')"),
    ({"name": "a", "seed": True, "replications": 2}, "scenarios.0: seed and replications must be whole numbers (got True, 2)"),
    ({"name": "a", "seed": 1, "replications": 2.0}, "scenarios.0: seed and replications must be whole numbers (got 1, 2.0)"),
    ({"name": "a", "seed": "1", "replications": 2}, "scenarios.0: seed and replications must be whole numbers (got '1', 2)"),
])
def test_a_scenario_of_the_manifest_not_as_a_run_writes_it_is_named_at_load(tmp_path, scenario, where):
    _folder(tmp_path, {"kind": "run", "scenarios": [scenario]})
    with pytest.raises(InputError, match="^" + re.escape(f"{tmp_path / 'manifest.json'}: {where}")):
        load_run(tmp_path)


def test_a_path_that_is_a_file_is_not_a_finished_run_folder(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(InputError, match="^" + re.escape(f"{tmp_path / 'f'}: <folder>: not a finished run folder")):
        load_run(tmp_path / "f")
