"""A scenario's run span: its start defaults to its topology's in every form a runner takes (a dict, a
`Scenario`, a file, a loaded scenario, a sweep's base), and `end` is checked against it even when left
out."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from supplychain.errors import InputError, ScenarioWarning
from supplychain.scenario import load_scenario, resolve_scenario
from supplychain.scenario_schema import Scenario

from conftest import write


@pytest.mark.parametrize("form", ["dict", "Scenario", "path", "loaded"])
def test_a_scenario_without_a_start_runs_from_its_topologys_start(tmp_path: Path, form: str) -> None:
    """The topology describes the world on its `start`: a scenario that names none begins there, not on
    the default 2022-01-01 (which placed 2024's fleets in 2022, with a warning), in every form a runner
    takes, also on a topology given apart; one that names a start keeps it."""
    from supplychain.scenario import resolve

    data = yaml.safe_load((Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml").read_text())
    data["start"] = "2024-01-01"
    write(tmp_path, "t.yaml", yaml.safe_dump(data))
    data["start"] = "2023-07-01"
    write(tmp_path, "other.yaml", yaml.safe_dump(data))
    write(tmp_path, "s.yaml", "name: s\ntopology: t.yaml\nend: 2025-06-30\n")
    item = {"dict": {"name": "s", "end": "2025-06-30"}, "Scenario": Scenario(name="s", end="2025-06-30"),
            "path": str(tmp_path / "s.yaml"), "loaded": load_scenario(tmp_path / "s.yaml")}[form]
    if form == "loaded":
        assert str(item.scenario.start) == "2024-01-01"  # its own topology's
    for topology, start in ((tmp_path / "t.yaml", "2024-01-01"), (tmp_path / "other.yaml", "2023-07-01")):
        rs = resolve(item, topology)
        assert str(rs.scenario.start) == start and rs.warnings == ()
    with pytest.warns(ScenarioWarning, match="before the topology's start"):
        given = resolve({"name": "s", "start": "2023-01-01", "end": "2025-06-30"}, tmp_path / "t.yaml")
    assert str(given.scenario.start) == "2023-01-01" and given.warnings[0].startswith("start: the run starts on 2023-01-01")


def test_a_start_after_the_default_end_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    """`end` left out is 2035-12-31 and checked against the start like one written down (the run crashed)."""
    data = yaml.safe_load((Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml").read_text())
    data["start"] = "2036-06-01"
    write(tmp_path, "t.yaml", yaml.safe_dump(data))
    with pytest.raises(InputError, match=r"^.*s.yaml: end: must be after start 2036-06-01 \(got 2035-12-31\)$"):
        resolve_scenario({"topology": "t.yaml"}, tmp_path / "s.yaml")


def test_a_sweep_of_a_scenario_object_starts_where_its_topology_does(tmp_path: Path) -> None:
    """The sweep resolves its base scenario itself: a `Scenario` or a loaded scenario without a start of
    its own runs from the topology's start there too (its points ran from 2022-01-01)."""
    from supplychain import sweep

    data = yaml.safe_load((Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml").read_text())
    data["start"] = "2023-01-01"
    write(tmp_path, "t.yaml", yaml.safe_dump(data))
    write(tmp_path, "s.yaml", "name: s\ntopology: t.yaml\nend: 2024-06-30\n")
    for base in (Scenario(name="s", end="2024-06-30"), load_scenario(tmp_path / "s.yaml")):
        s = sweep(base, "labs.utilisation=0.3,0.4", topology=tmp_path / "t.yaml", workers=1)
        assert {str(es.scenario.start) for es in s.experiment.scenarios} == {"2023-01-01"}


def test_an_end_before_the_default_start_is_fine_when_the_topology_starts_earlier(tmp_path: Path) -> None:
    """The start left out is the topology's (2020): an end of 2021 is after it, not before a 2022 it never uses."""
    data = yaml.safe_load((Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml").read_text())
    data["start"] = "2020-01-01"
    write(tmp_path, "t.yaml", yaml.safe_dump(data))
    with pytest.warns(ScenarioWarning, match="it orders none"):  # its accelerator is on sale from 2022 only
        rs = resolve_scenario({"topology": "t.yaml", "end": "2021-06-30"}, tmp_path / "s.yaml")
    assert (str(rs.scenario.start), str(rs.scenario.end)) == ("2020-01-01", "2021-06-30")


MINIMAL = Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml"


@pytest.mark.parametrize("extra, path", [
    ({"start": "6000-01-01", "end": "6001-12-31"}, "nodes.lab.target_h100e grows 0.5 a year"),  # +50 %/yr past 2025
    ({"set": {"nodes.fab.capacity": {"value": 1e300, "growth": 0.5}}, "end": "2080-12-31"}, "nodes.fab.capacity grows 0.5"),
    ({"set": {"edges.fab->packager:logic.share": {"points": {"2022-01-01": 1}, "growth": 100}}, "end": "2200-12-31", "start": "2150-01-01"},
     "edges.fab->packager:logic.share grows 100"),
    ({"demand": {"multiplier": {"points": {"1800-01-01": 1}, "growth": 100}}, "end": "2030-12-31"}, "demand.multiplier grows 100"),
])
def test_a_run_so_far_past_the_figures_dates_that_they_overflow_is_an_input_error(tmp_path: Path, extra: dict,
                                                                                  path: str) -> None:
    """Growth is bounded for a run near the figures' dates, but a run may start anywhere: on minimal.yaml a run
    of 6000-6001 compounded the lab targets to infinity, an InvariantError traceback (exit 1); at +100 %/yr a
    run from 2150 blamed the built-in ordering policy as a `<plugin>` for an infinite order."""
    from _topo import assert_clean_failure, cli

    sc = write(tmp_path, "s.yaml", yaml.safe_dump({"name": "s", "topology": str(MINIMAL), **extra}))
    with pytest.raises(InputError) as info:
        load_scenario(sc)
    assert info.value.field == "end" and "is too far past the figures' dates: " + path in info.value.problem, str(info.value)
    out = tmp_path / "out"
    assert_clean_failure(cli("run", sc, "--out", out, "-n", "1", "-w", "1", "-q"), f"{sc}: end: ")
    assert not out.exists()


def test_a_run_far_from_the_figures_dates_that_stay_finite_is_fine(tmp_path: Path) -> None:
    sc = write(tmp_path, "s.yaml", yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "start": "3700-01-01",
                                                    "end": "3701-12-31"}))
    assert str(load_scenario(sc).scenario.end) == "3701-12-31"


@pytest.mark.parametrize("figure, end, got", [
    ({"nodes.fab.yield.growth": 0.5}, "2025-06-30", "nodes.fab.yield passes 1 (it grows 0.5 a year, to 2.06)"),
    ({"nodes.fab.ai_share": {"points": {"2022-01-01": 0.2, "2024-01-01": 0.6}, "growth": 0.1}}, "2032-06-30",
     "nodes.fab.ai_share passes 1 (it grows 0.1 a year, to 1.35)"),
])
def test_a_growing_fraction_past_1_by_the_runs_end_is_an_input_error(tmp_path: Path, figure: dict, end: str, got: str) -> None:
    """The topology checks read a yield's or ai_share's points, not where its growth takes it: 0.5 at +50 %/yr
    ran as 2.06 good dies per candidate in 2025, silently. A run that ends before it passes 1 is fine."""
    sc = write(tmp_path, "s.yaml", yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "end": end, "set": figure}))
    with pytest.raises(InputError) as info:
        load_scenario(sc)
    assert info.value.field == "end" and f"is past the day {got}; " in info.value.problem, str(info.value)
    sc.write_text(sc.read_text().replace(end, "2023-06-30"))
    assert str(load_scenario(sc).scenario.end) == "2023-06-30"
