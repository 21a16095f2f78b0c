"""The replication store's folders without a run: scenario names as folder names, what `--fresh` clears (and
keeps), the lock naming the run that holds a folder, and a stored replication's marker checked against its tables."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from supplychain import InputError
from supplychain.columns import empty
from supplychain.engine.record import TABLES
from supplychain.store import LOCK, ScenarioStore, claim_folder, drop_derived, folder_lock, open_scenario, safe_name


@pytest.mark.parametrize(("name", "folder"), [
    ("baseline", "baseline"), ("v1.2", "v1.2"), ("labs.utilisation=0.3", "labs.utilisation=0.3"),
    ("tsmc +10%", "tsmc_+10_"), ("a/../b", "a_.._b"), ("", "_"), (".", "_"), ("..", "__"), ("...", "___"),
])
def test_a_scenario_name_as_a_folder_keeps_dots_and_never_names_the_folder_above(name, folder):
    """A sweep point's name (`labs.utilisation=0.3`) keeps its dots, so it names its folder as typed; a name of
    dots only would name `replications/` itself or the folder above, so it becomes underscores."""
    assert safe_name(name) == folder


def _stored_run(root: Path) -> ScenarioStore:
    """A run folder as a finished run leaves it: one stored replication, tables, summary, manifest, a report."""
    store = open_scenario(root, "a", "hash", 1)
    store.save(0, {name: empty(name) for name in TABLES})
    for name in ("manifest.json", "summary.md", "fleet.parquet", "report.html"):
        (root / name).write_text("{}")
    for name in ("compare", "figures"):
        (root / name).mkdir()
        (root / name / "x.png").write_text("")
    return store


def test_fresh_in_a_folder_without_a_manifest_still_discards_its_stored_replications(tmp_path):
    """A run killed before its tables were written leaves replications and no manifest: `--fresh` must start
    over there too, not resume what it was asked to discard."""
    _stored_run(tmp_path)
    (tmp_path / "manifest.json").unlink()
    claim_folder(tmp_path, "run", fresh=True)
    assert list((tmp_path / "replications").iterdir()) == []


def test_fresh_removes_the_old_summary_manifest_and_everything_derived_but_not_the_lock(tmp_path):
    _stored_run(tmp_path)
    (tmp_path / "replications" / LOCK).write_text("")
    claim_folder(tmp_path, "compare", fresh=True)
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert left == ["fleet.parquet", "replications", f"replications/{LOCK}"]  # the tables the run replaces itself


def test_new_tables_drop_figures_comparison_and_report_made_from_the_old(tmp_path):
    _stored_run(tmp_path)
    drop_derived(tmp_path)
    assert not any((tmp_path / name).exists() for name in ("compare", "figures", "report.html"))
    assert (tmp_path / "summary.md").exists()


def test_fresh_removes_a_linked_scenario_folder_as_a_link_and_keeps_what_it_points_at(tmp_path):
    """A scenario's folder under replications/ that is a link (replications kept on a scratch disk) goes as a
    link: `shutil.rmtree` refuses a link (a traceback after the lock was taken), and what it points at is not
    this folder's to remove."""
    elsewhere = tmp_path / "scratch"
    (elsewhere / "rep_0000").mkdir(parents=True)
    (tmp_path / "out" / "replications").mkdir(parents=True)
    (tmp_path / "out" / "replications" / "a").symlink_to(elsewhere, target_is_directory=True)
    claim_folder(tmp_path / "out", "run", fresh=True)
    assert not os.path.lexists(tmp_path / "out" / "replications" / "a")
    assert (elsewhere / "rep_0000").is_dir()


def test_a_manifest_that_is_json_but_not_an_object_does_not_stop_a_run_from_taking_the_folder(tmp_path):
    (tmp_path / "manifest.json").write_text("[1, 2]")
    claim_folder(tmp_path, "compare")  # not a run's manifest: no kind to refuse
    claim_folder(tmp_path, "compare", fresh=True)
    assert not (tmp_path / "manifest.json").exists()


def test_a_manifest_without_a_kind_is_no_kind_of_experiment(tmp_path):
    """Only a manifest saying another kind refuses the folder; one without (not the program's) is taken."""
    (tmp_path / "manifest.json").write_text('{"scenarios": []}')
    claim_folder(tmp_path, "sweep")
    (tmp_path / "manifest.json").write_text('{"kind": "run"}')
    with pytest.raises(InputError, match="the folder holds a run"):
        claim_folder(tmp_path, "sweep")


def _try_lock(root: Path) -> str:
    """What another process is told when it tries to take `root` (a POSIX lock never conflicts in one process)."""
    code = ("import sys\nfrom supplychain.store import folder_lock\ntry:\n    with folder_lock(sys.argv[1]): print('free')\n"
            "except Exception as exc: print(exc)")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, env=env).stdout


def test_a_folder_held_is_refused_naming_the_process_holding_it_not_an_earlier_one(tmp_path):
    """The lock file names its holder; a run that takes a folder a killed run held replaces that name."""
    (tmp_path / "replications").mkdir()
    (tmp_path / "replications" / LOCK).write_text("process 1 on gone-node\n")
    with folder_lock(tmp_path):
        told = _try_lock(tmp_path)
    assert told == (f"{tmp_path}: <folder>: process {os.getpid()} on {socket.gethostname()} is writing this folder; "
                    "wait for it to end, or choose another --out (out=)\n")
    assert _try_lock(tmp_path) == "free\n"


def test_a_marker_must_list_exactly_the_tables_a_run_stores(tmp_path):
    """A done.json listing as many tables but not those (one twice, one left out) is damaged, named as such."""
    store = open_scenario(tmp_path, "a", "hash", 1)
    store.save(0, {name: empty(name) for name in TABLES})
    store.check_stored(0)
    marker = store.rep_dir(0) / "done.json"
    listed = json.loads(marker.read_text())
    marker.write_text(json.dumps({**listed, "tables": [*sorted(TABLES)[1:], sorted(TABLES)[1]]}))
    with pytest.raises(InputError, match=f"^{marker}: tables: damaged: not a JSON object listing the tables"):
        store.check_stored(0)


def test_load_reads_the_tables_asked_for_that_the_replication_has(tmp_path):
    store = open_scenario(tmp_path, "a", "hash", 1)
    store.save(0, {name: empty(name) for name in TABLES})
    assert sorted(store.load(0)) == sorted(TABLES)
    assert list(store.load(0, ["fleet", "not_a_table"])) == ["fleet"]


def test_a_config_json_that_is_not_an_object_is_a_store_of_another_configuration(tmp_path):
    """config.json edited into JSON that is not an object: refused as stored replications of unknown origin
    (one line, with the way out), not an AttributeError."""
    open_scenario(tmp_path, "a", "hash", 1)
    config = tmp_path / "replications" / "a" / "config.json"
    for text in ("[]", "{not json"):
        config.write_text(text)
        with pytest.raises(InputError, match=f"^{config.parent}: config hash: stored replications were made with "
                                             "config hash none recorded, this run has hash; rerun with --fresh"):
            open_scenario(tmp_path, "a", "hash", 1)


def test_a_stored_table_with_its_columns_in_another_order_is_not_the_table_a_run_stores(tmp_path):
    """The replications' tables are streamed into one file column by column: a table rewritten with its columns
    reordered (by hand, in a notebook) is named before any work, as one of other columns is."""
    import pandas as pd

    store = open_scenario(tmp_path, "a", "hash", 1)
    store.save(0, {name: empty(name) for name in TABLES})
    path = store.table_path(0, "fleet")
    fleet = pd.read_parquet(path)
    fleet[list(reversed(fleet.columns))].to_parquet(path)
    with pytest.raises(InputError, match=f"^{path}: <file>: not the fleet table a run stores"):
        store.check_stored(0)
