"""`load_run`: a finished folder reads back as the tables the run returned, with what produced them."""

from __future__ import annotations

import re
from pathlib import Path

import pandas.testing as pdt
import pytest

from supplychain import InputError, compare, load_run, run_experiment, sweep

MINIMAL = str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml")
SC = {"name": "lr", "topology": MINIMAL, "end": "2023-06-30"}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_run_folder_loads_back_as_the_run_returned_it(tmp_path, fmt):
    res = run_experiment(SC, replications=2, seed=5, workers=1, out=tmp_path / "run", fmt=fmt)
    r = load_run(tmp_path / "run")
    assert set(r.tables) == set(res.tables) and r.kind == "run"
    for name, df in res.tables.items():
        pdt.assert_frame_equal(r.tables[name], df, check_exact=True, obj=name)
    pdt.assert_frame_equal(r.lead_times, res.lead_times)  # attribute access, as on the result
    [s] = r.scenarios
    assert (s.name, s.seed, s.replications, s.config_hash) == ("lr", 5, 2, res.scenarios[0].config_hash)
    assert r.summary() == res.summary()
    assert "lr" in repr(r) and len(repr(r)) < 300
    assert not len(r.compare) and not len(r.sweep)


def test_compare_and_sweep_folders_load_their_tables(tmp_path):
    c = compare(SC, [{**SC, "name": "lr2", "labs": {"utilisation": 0.2}}], replications=2, workers=1,
                out=tmp_path / "cmp", counterfactuals=False)
    r = load_run(tmp_path / "cmp")
    assert r.kind == "compare" and [s.name for s in r.scenarios] == ["lr", "lr2"]
    for name, df in c.tables.items():
        pdt.assert_frame_equal(r.compare[name], df, obj=name)
    pdt.assert_frame_equal(r.scenario("lr2")["generations"], c.experiment.scenario("lr2")["generations"])
    s = sweep(SC, ["labs.utilisation=0.3,0.5"], replications=1, workers=1, out=tmp_path / "swp")
    r = load_run(tmp_path / "swp")
    assert r.kind == "sweep" and {x.seed for x in r.scenarios} == {s.experiment.scenarios[0].seed}
    for name, df in s.tables.items():
        pdt.assert_frame_equal(r.sweep[name], df, obj=name)


def test_a_folder_that_is_not_a_run_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        load_run(tmp_path / "nope")
    with pytest.raises(InputError, match="no manifest.json"):
        load_run(tmp_path)


@pytest.mark.parametrize(("manifest", "where"), [
    ("[]", "<root>: expected a JSON object (got list)"),
    ('{"scenarios": {}}', "scenarios: expected a list (got dict)"),
    ('{"scenarios": [{"seed": 1, "replications": 2}]}', "scenarios.0.name: missing: not as a run writes it"),
    ('{"scenarios": [{"name": "a", "seed": "1", "replications": 2}]}', "scenarios.0: seed and replications must be whole"),
    ('{"scenarios": [{"name": 5, "seed": 1, "replications": 2}]}', "scenarios.0.name: expected a scenario's name (got 5)"),
])
def test_a_manifest_not_as_a_run_writes_it_is_named_at_load(tmp_path, manifest, where):
    """Not a misleading AttributeError from a property later ('RunFolder' object has no attribute 'scenarios')."""
    (tmp_path / "manifest.json").write_text(manifest)
    with pytest.raises(InputError, match="^" + re.escape(f"{tmp_path / 'manifest.json'}: {where}")):
        load_run(tmp_path)


def test_a_notebook_completes_table_names(tmp_path):
    from supplychain import simulate

    res = run_experiment(SC, replications=1, workers=1, out=tmp_path / "run")
    for obj in (res, load_run(tmp_path / "run"), simulate(None, SC)):
        assert {"lead_times", "orders", "summary"} & set(dir(obj)) >= {"lead_times", "orders"}, type(obj)


def test_a_folder_under_home_written_as_tilde(tmp_path, monkeypatch):
    """`out="~/runs/x"` (a notebook's natural spelling) made a folder named `~` in the working folder, then
    failed with a FileNotFoundError from pandas, which does expand `~` when it reads the stored tables."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    short = {**SC, "end": "2022-06-30"}
    res = run_experiment(short, replications=1, workers=1, out="~/runs/run")
    c = compare(short, [{**short, "name": "lr2"}], replications=1, workers=1, out="~/runs/cmp", counterfactuals=False)
    s = sweep(short, ["labs.utilisation=0.3,0.5"], replications=1, workers=1, out="~/runs/swp")
    assert not (tmp_path / "~").exists()
    assert res.folder == tmp_path / "home" / "runs" / "run"
    assert c.folder == tmp_path / "home" / "runs" / "cmp" / "compare" and s.folder.parent == tmp_path / "home" / "runs" / "swp"
    pdt.assert_frame_equal(load_run("~/runs/run").fleet, res.fleet)
    assert set(load_run("~/runs/cmp").compare) == set(c.tables) and set(load_run("~/runs/swp").sweep) == set(s.tables)
    from supplychain import make_report

    assert make_report("~/runs/run") == tmp_path / "home" / "runs" / "run" / "report.html"


def test_a_scenario_the_run_has_not_is_an_input_error_not_empty_tables(tmp_path):
    """`r.scenario("Baseline")` (a typo) gave every table empty: it read as a run where nothing happened."""
    res = run_experiment({**SC, "end": "2022-06-30"}, replications=1, workers=1, out=tmp_path / "run")
    assert len(res.scenario("lr")["orders"]) and len(load_run(tmp_path / "run").scenario("lr")["orders"])
    for obj in (res, load_run(tmp_path / "run")):
        with pytest.raises(InputError, match=r"^<arguments>: name: no such scenario here; the scenarios are lr \(got 'LR'\)$"):
            obj.scenario("LR")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_table_that_cannot_be_read_is_an_input_error_naming_its_file(tmp_path, fmt):
    """A table edited by hand or cut short raised pandas' or pyarrow's own error, naming no file."""
    run_experiment({**SC, "end": "2022-06-30"}, replications=1, workers=1, out=tmp_path / "run", fmt=fmt)
    file = tmp_path / "run" / f"fleet.{fmt}"
    file.write_bytes(file.read_bytes()[:40] if fmt == "parquet" else b"scenario,replication\nlr,\n")
    r = load_run(tmp_path / "run")
    with pytest.raises(InputError, match="^" + re.escape(f"{file}: <file>: cannot read the table (")):
        r.fleet
    assert len(r.orders)  # the others still read


def test_a_summary_that_is_not_utf8_is_an_input_error_naming_it(tmp_path):
    """`r.summary()` of a summary.md saved in another encoding raised UnicodeDecodeError, naming no file."""
    run_experiment({**SC, "end": "2022-06-30"}, replications=1, workers=1, out=tmp_path / "run")
    (tmp_path / "run" / "summary.md").write_bytes("caf\u00e9\n".encode("latin-1"))
    with pytest.raises(InputError, match="^" + re.escape(f"{tmp_path / 'run' / 'summary.md'}: <file>: not UTF-8 text (")):
        load_run(tmp_path / "run").summary()


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_table_copied_over_another_is_an_input_error_naming_its_file(tmp_path, fmt):
    """events.parquet saved as fleet.parquet read back as the fleet without a word (the report refused it)."""
    run_experiment({**SC, "end": "2022-06-30"}, replications=1, workers=1, out=tmp_path / "run", fmt=fmt)
    run = tmp_path / "run"
    (run / f"fleet.{fmt}").write_bytes((run / f"events.{fmt}").read_bytes())
    r = load_run(run)
    with pytest.raises(InputError, match="^" + re.escape(f"{run / f'fleet.{fmt}'}: lab: missing column; not the fleet "
                                                         "table the program writes, or one of an older program (has [")):
        r.fleet
    assert len(r.orders) and list(r.read("fleet", columns=["scenario"]).columns) == ["scenario"]  # a part: its columns
