"""What `run`, `compare`, `sweep` and `report` print and where they write: the options they pass on, their
default output folders and their closing lines (their bad input: test_cli_bad_input.py and test_experiment.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from _topo import MINIMAL, cli

RUN = ["-n", "1", "-w", "1", "-q"]


def _scenarios(folder: Path) -> tuple[Path, Path]:
    """A short base scenario on minimal.yaml and a child of it that grows algorithms faster."""
    base = folder / "base.yaml"
    base.write_text(yaml.safe_dump({"name": "base", "topology": str(MINIMAL), "end": "2022-06-30", "seed": 4}))
    other = folder / "fast.yaml"
    other.write_text(yaml.safe_dump({"extends": "base.yaml", "name": "fast", "algorithms": {"efficiency_growth": 4.0}}))
    return base, other


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


@pytest.mark.parametrize("command", ["compare", "sweep"])
def test_compare_and_sweep_run_on_the_seed_and_topology_given(tmp_path: Path, command: str) -> None:
    """`--seed` and `--topology` reach the replications of every scenario or point, as they do `run`'s."""
    base, other = _scenarios(tmp_path)
    mine = tmp_path / "mine.yaml"
    shutil.copy(MINIMAL, mine)
    out = tmp_path / "o"
    args = {"compare": ["compare", base, other, "--no-counterfactual"],
            "sweep": ["sweep", base, "-p", "algorithms.efficiency_growth=2,4"]}[command]
    res = cli(*args, *RUN, "--seed", "9", "-t", mine, "-o", out)
    assert res.exit_code == 0, res.output
    man = _manifest(out)
    assert {s["seed"] for s in man["scenarios"]} == {9}
    assert {s["topology"] for s in man["scenarios"]} == {str(mine.resolve())}


def test_compare_writes_by_default_to_a_folder_named_after_its_scenarios(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """README: `compare baseline.yaml hbm_full_ban.yaml` writes outputs/compare_baseline_vs_hbm_full_ban; two
    scenarios are joined by `+`."""
    base, other = _scenarios(tmp_path)
    third = tmp_path / "slow.yaml"
    third.write_text(yaml.safe_dump({"extends": "base.yaml", "name": "slow", "algorithms": {"efficiency_growth": 1.5}}))
    monkeypatch.chdir(tmp_path)
    res = cli("compare", base, other, third, "--no-counterfactual", *RUN)
    assert res.exit_code == 0, res.output
    assert [p.name for p in (tmp_path / "outputs").iterdir()] == ["compare_base_vs_fast+slow"]
    assert (tmp_path / "outputs" / "compare_base_vs_fast+slow" / "compare").is_dir()


def test_a_compare_folder_name_is_cut_to_120_characters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many long scenario names would pass the file system's 255-byte limit on a name: the default folder is cut."""
    base, _ = _scenarios(tmp_path)
    names = []
    for i in range(3):
        name = f"scenario_{i}_" + "x" * 50
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump({"extends": "base.yaml", "name": name}))
        names.append(tmp_path / f"{name}.yaml")
    monkeypatch.chdir(tmp_path)
    res = cli("compare", base, *names, "--no-counterfactual", *RUN)
    assert res.exit_code == 0, res.output
    (folder,) = (tmp_path / "outputs").iterdir()
    assert len(folder.name) == 120 and folder.name.startswith("compare_base_vs_scenario_0_")


def test_sweep_writes_by_default_to_sweep_and_the_scenarios_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base, _ = _scenarios(tmp_path)
    monkeypatch.chdir(tmp_path)
    res = cli("sweep", base, "-p", "algorithms.efficiency_growth=2,4", *RUN)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "outputs" / "sweep_base" / "sweep" / "outcomes.parquet").is_file()


def test_sweep_lhs_runs_that_many_points_over_the_ranges(tmp_path: Path) -> None:
    """`--lhs 3 -p PATH=lo:hi`: three points, each inside the range, recorded as asked."""
    import pandas as pd

    base, _ = _scenarios(tmp_path)
    out = tmp_path / "o"
    res = cli("sweep", base, "--lhs", "3", "-p", "algorithms.efficiency_growth=2:4", *RUN, "-o", out, "--format", "csv")
    assert res.exit_code == 0, res.output
    values = pd.read_csv(out / "sweep" / "outcomes.csv")["algorithms.efficiency_growth"].unique()
    assert len(values) == 3 and all(2 <= v <= 4 for v in values)
    assert _manifest(out)["sweep"]["lhs"] == 3


def test_a_resumed_run_says_how_many_replications_it_computed_and_reused(tmp_path: Path) -> None:
    """Rerun with more replications: the closing line counts the new ones and those taken from the folder."""
    base, _ = _scenarios(tmp_path)
    out = tmp_path / "o"
    first = cli("run", base, "-n", "1", "-w", "1", "-o", out)
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[-1] == f"1 replication(s) computed on serial (1 worker); tables written to {out}"
    again = cli("run", base, "-n", "2", "-w", "1", "-o", out)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1] == (f"1 replication(s) computed on serial (1 worker), 1 reused from earlier runs; "
                                             f"tables written to {out}")


def test_report_says_where_it_wrote_unless_quiet(tmp_path: Path) -> None:
    """`report RUN_DIR` names report.html and the figures folder beside it; `-q` prints nothing and still writes."""
    base, _ = _scenarios(tmp_path)
    out = tmp_path / "o"
    assert cli("run", base, *RUN, "-o", out).exit_code == 0
    res = cli("report", out)
    assert res.exit_code == 0, res.output
    assert res.stdout == f"report written to {out / 'report.html'} (figures in {out / 'figures'})\n"
    (out / "report.html").unlink()
    quiet = cli("report", out, "-q")
    assert quiet.exit_code == 0 and quiet.stdout == "" and (out / "report.html").is_file()
    assert any((out / "figures").glob("*.png"))
