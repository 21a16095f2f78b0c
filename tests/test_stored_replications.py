"""Stored replications: reused only when the same program and configuration made them and their files are
as a run stores them; --fresh discards them all; more replications extend them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest

from supplychain.cli import app
from supplychain.outputs import _fingerprint, program_fingerprint, read_table

from _resume import manifest, runner, scenario_file


def test_changed_config_is_refused_then_fresh_starts_over(tmp_path):
    path = scenario_file(tmp_path, end="2023-03-31")
    out = tmp_path / "out"
    args = ["run", str(path), "-n", "2", "-w", "1", "-o", str(out), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    before = read_table(out, "fleet")

    scenario_file(tmp_path, end="2023-03-31", algorithms={"efficiency_growth": 5.0})
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "config hash" in lines[0] and "--fresh" in lines[0]
    pdt.assert_frame_equal(read_table(out, "fleet"), before)  # nothing was touched

    scenario_file(tmp_path, end="2023-03-31")  # back to the stored configuration, another seed
    seed = runner.invoke(app, [*args, "--seed", "99"])
    assert seed.exit_code == 2 and ": seed: stored replications were made with seed 4, this run has 99" in seed.output
    scenario_file(tmp_path, end="2023-03-31", algorithms={"efficiency_growth": 5.0})

    fresh = runner.invoke(app, [*args, "--fresh"])
    assert fresh.exit_code == 0
    assert (manifest(out)["computed"], manifest(out)["reused"]) == (2, 0)
    assert not read_table(out, "fleet").equals(before)


def test_replications_stored_by_a_program_with_other_tables_are_refused(tmp_path):
    """A store from before a table gained a column (its config.json has no, or another, tables
    fingerprint) would stack frames of two shapes into one table: refused, as a changed config is."""
    import json

    path = scenario_file(tmp_path, end="2023-03-31")
    out = tmp_path / "out"
    args = ["run", str(path), "-n", "1", "-w", "1", "-o", str(out), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    config = next((out / "replications").glob("*/config.json"))
    assert runner.invoke(app, [*args, "-n", "2"]).exit_code == 0, "the same program resumes its own store"
    stored = json.loads(config.read_text())
    del stored["tables"]  # as an older program wrote it
    config.write_text(json.dumps(stored))
    res = runner.invoke(app, [*args, "-n", "3"])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and ": tables: stored replications were written with other table columns " \
        "(fingerprint none recorded;" in lines[0] and "--fresh" in lines[0], res.output
    assert runner.invoke(app, [*args, "-n", "3", "--fresh"]).exit_code == 0


def test_replications_stored_by_other_code_are_refused(tmp_path):
    """A fix can change results without changing a column or a scenario field: replications stored
    by other source code (another program fingerprint in config.json, or none) are not stacked with
    this program's; the run says which and how to discard them, and the manifest records the code."""
    path = scenario_file(tmp_path, end="2023-03-31")
    out = tmp_path / "out"
    args = ["run", str(path), "-n", "1", "-w", "1", "-o", str(out), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    config = next((out / "replications").glob("*/config.json"))
    stored = json.loads(config.read_text())
    assert stored["program"] == manifest(out)["program"] == program_fingerprint()
    for made_by in ("0123456789ab", None):
        if made_by is None:
            del stored["program"]  # as a program before the fingerprint wrote it
        else:
            stored["program"] = made_by
        config.write_text(json.dumps(stored))
        res = runner.invoke(app, [*args, "-n", "2"])
        assert res.exit_code == 2
        lines = res.output.strip().splitlines()
        was = made_by or "none recorded"
        assert len(lines) == 1 and f": program: stored replications were made by other code (source fingerprint {was}; " \
            f"this program's {program_fingerprint()})" in lines[0] and "--fresh" in lines[0], res.output
    assert runner.invoke(app, [*args, "-n", "2", "--fresh"]).exit_code == 0
    assert (manifest(out)["computed"], manifest(out)["reused"]) == (2, 0)


def test_the_program_fingerprint_follows_the_source(tmp_path):
    """Any change to a .py file below the package (its content or its name) changes the fingerprint;
    other files do not."""
    (tmp_path / "engine").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "engine" / "b.py").write_text("y = 2\n")
    prints = [program_fingerprint(tmp_path)]
    for change in (lambda: (tmp_path / "notes.md").write_text("not code"),
                   lambda: (tmp_path / "engine" / "b.py").write_text("y = 3\n"),
                   lambda: (tmp_path / "engine" / "b.py").rename(tmp_path / "engine" / "c.py")):
        change()
        _fingerprint.cache_clear()
        prints.append(program_fingerprint(tmp_path))
    assert prints[1] == prints[0]
    assert len(set(prints[1:])) == 3
    assert program_fingerprint() == program_fingerprint() and len(program_fingerprint()) == 12


def test_more_replications_extend_a_stored_run(tmp_path):
    path = scenario_file(tmp_path, end="2023-03-31")
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(path), "-n", "2", "-w", "1", "-o", str(out), "-q"]).exit_code == 0
    assert runner.invoke(app, ["run", str(path), "-n", "3", "-w", "1", "-o", str(out), "-q"]).exit_code == 0
    assert (manifest(out)["computed"], manifest(out)["reused"]) == (1, 2)
    assert sorted(pd.unique(read_table(out, "fleet")["replication"])) == [0, 1, 2]


def test_fresh_discards_every_stored_replication_not_only_the_commands_scenarios(tmp_path):
    """--fresh discards the replications stored in the folder: a sweep point no longer in the command (or another
    scenario run there before) stayed on disk, and a later command naming it reused it."""
    path = scenario_file(tmp_path, end="2023-03-31")
    out = tmp_path / "out"
    base = ["sweep", str(path), "-n", "1", "-w", "1", "-o", str(out), "-q"]
    assert runner.invoke(app, [*base, "-p", "algorithms.efficiency_growth=2,4"]).exit_code == 0
    points = sorted(p.name for p in (out / "replications").iterdir() if p.is_dir())
    assert len(points) == 2, points
    res = runner.invoke(app, [*base, "-p", "algorithms.efficiency_growth=3", "--fresh"])
    assert res.exit_code == 0, res.output
    left = sorted(p.name for p in (out / "replications").iterdir() if p.is_dir())
    assert len(left) == 1, (points, left)  # the second point of the old sweep went with the first
    assert (out / "replications" / ".lock").exists()  # the held lock is kept, not removed under the run


def _copy_over(rep: Path, name: str) -> None:
    shutil.copy(rep / "events.parquet", rep / name)


@pytest.mark.parametrize("damage, file, problem", [
    (lambda rep: (rep / "done.json").write_text("{not json"), "done.json", "tables: damaged: not a JSON object listing"),
    (lambda rep: (rep / "done.json").write_text('{"tables": ["fleet"]}'), "done.json", "tables: damaged: not a JSON object"),
    (lambda rep: (rep / "orders.parquet").unlink(), "orders.parquet", "<file>: missing from a stored replication"),
    (lambda rep: (rep / "fleet.parquet").write_bytes((rep / "fleet.parquet").read_bytes()[:300]), "fleet.parquet",
     "<file>: damaged: not a Parquet table, or cut short"),
    (lambda rep: _copy_over(rep, "fleet.parquet"), "fleet.parquet", "<file>: not the fleet table a run stores"),
    (lambda rep: shutil.rmtree(rep) or rep.write_text("x"), "", "<file>: a file where a stored replication's folder goes"),
])
def test_a_damaged_stored_replication_is_named_before_any_work(tmp_path, damage, file, problem):
    """A stored replication whose marker or tables were edited, cut short or removed ended the resume in a
    traceback after the missing replications had been computed (JSONDecodeError, pyarrow's errors,
    NotADirectoryError), or stacked the events table copied over fleet.parquet as the run's fleet without a word."""
    path = scenario_file(tmp_path, end="2022-06-30")
    out = tmp_path / "out"
    args = ["run", str(path), "-n", "1", "-w", "1", "-o", str(out), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    rep = next((out / "replications").glob("*/rep_0000"))
    damage(rep)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    res = runner.invoke(app, [*args, "-n", "2"])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.output, res.output
    assert lines[0].startswith(f"{rep / file if file else rep}: {problem}"), lines[0]
    assert lines[0].endswith("rerun with --fresh (fresh=True) to start over, or remove rep_0000 to compute that "
                             "replication again"), lines[0]
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before, "nothing computed or written"
    assert runner.invoke(app, [*args, "-n", "2", "--fresh"]).exit_code == 0
