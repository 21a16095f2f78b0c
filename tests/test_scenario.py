"""Scenario files: read from a stream, reference checks and error messages, per_lab, config hash, CLI
(`extends` and deep merge: test_scenario_extends.py; `set:` overrides: test_overrides.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from supplychain.cli import app
from supplychain.errors import InputError
from supplychain.scenario import load_scenario
from supplychain.scenario_schema import Algorithms, Generations, LabPolicy, Scenario

from _scenarios import MINIMAL, ROOT, fails, scenario_with, world  # noqa: F401 - world is a fixture
from conftest import write


# -- scenarios read from a stream -----------------------------------------------


def _supplychain(world: Path, *args: str, **stdin) -> subprocess.CompletedProcess:
    """`python -m supplychain ARGS` run in `world` (this checkout's package), `stdin` as subprocess takes it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "supplychain", *args], capture_output=True, text=True, env=env,
                          cwd=world, timeout=120, **stdin)


@pytest.mark.skipif(not Path("/dev/stdin").exists(), reason="needs /dev/stdin")
def test_a_scenario_read_from_a_stream_names_its_files_relative_to_the_working_folder(world: Path) -> None:
    """`supplychain run /dev/stdin < s.yaml`: the file's folder is /dev (or /proc/self/fd), where `topology: t.yaml`
    was never meant; it said `no such topology file`."""
    text = "extends: base.yaml\nname: piped\ntopology: topo.yaml\nend: 2022-03-31\n"
    write(world, "sub/s.yaml", text)
    piped = _supplychain(world, "scenario", "validate", "/dev/stdin", input=text)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.startswith("/dev/stdin: ok (2 controls, 1 shocks, ") and "topology topo.yaml" in piped.stdout
    with open(world / "sub" / "s.yaml", encoding="utf-8") as redirected:  # a regular file, reached through fd 0
        from_file = _supplychain(world, "scenario", "validate", "/dev/stdin", stdin=redirected)
    assert from_file.returncode == 0, from_file.stderr
    missing = _supplychain(world / "sub", "scenario", "validate", "/dev/stdin", input=text.replace("extends: base.yaml\n", ""))
    assert missing.returncode == 2 and missing.stderr.splitlines() == [
        "/dev/stdin: topology: no such topology file (got 'topo.yaml'); a scenario read from a stream names it "
        "relative to the working folder"]
    ran = _supplychain(world, "run", "/dev/stdin", "-n", "1", "-w", "1", "-q", "-o", "out", input=text)
    assert ran.returncode == 0, ran.stderr
    manifest = json.loads((world / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenarios"][0]["scenario_file"] == "/dev/stdin"  # not /proc/4242/fd/pipe:[358176]
    assert manifest["scenarios"][0]["topology"] == str((world / "topo.yaml").resolve())


def _stream(text: str) -> int:
    """A pipe holding `text`, read end open: /dev/fd/N is a stream as `<(cat s.yaml)` is."""
    read, written = os.pipe()
    os.write(written, text.encode())
    os.close(written)
    return read


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
def test_a_scenario_read_from_a_stream_without_a_name_is_named_stdin(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Named after its path, `<(cat s.yaml)` (/dev/fd/63) was named `63` and wrote into outputs/63/; /dev/stdin was
    `stdin`. Every stream is `stdin`, and two of one experiment are told apart by their `name:`."""
    from supplychain.experiment import run_experiment

    monkeypatch.chdir(world)  # a stream's paths are relative to the working folder
    first, second = _stream("extends: base.yaml\n"), _stream("extends: base.yaml\nname: own\n")
    try:
        assert load_scenario(f"/dev/fd/{first}").scenario.name == "stdin"
        assert load_scenario(f"/dev/fd/{second}").scenario.name == "own"
    finally:
        os.close(first), os.close(second)
    first, second = _stream("extends: base.yaml\n"), _stream("topology: topo.yaml\n")
    try:
        with pytest.raises(InputError, match=r"share the name 'stdin' \(the name of a scenario read from a stream "
                                             r"without `name`\); give each its own `name:`"):
            run_experiment([f"/dev/fd/{first}", f"/dev/fd/{second}"], write=False)
    finally:
        os.close(first), os.close(second)


# -- references, errors, hash ------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "field", "match"),
    [
        ({"per_lab": {"lab_x": {"utilisation": 0.3}}}, "per_lab.lab_x", "unknown lab id"),
        ({"per_lab": {"fab": {"utilisation": 0.3}}}, "per_lab.fab", "unknown lab id"),
        ({"demand": {"targets": {"nolab": 5}}}, "demand.targets.nolab", "unknown lab id"),
        ({"controls": [{"id": "q", "announced": "2023-01-01", "effective": "2023-01-01", "action": "ban", "scope": {"entities": ["hauwei"]}}]},
         "controls.q.scope.entities", "hauwei"),
        ({"controls": [{"id": "q", "announced": "2023-01-01", "effective": "2023-01-01", "action": "ban", "scope": {"products": ["h999"]}}]},
         "controls.q.scope.products", "unknown product"),
        ({"shocks": [{"id": "z", "kind": "capacity", "start": "2024-01-01", "multiplier": 0, "target": {"ids": ["tsmc"]}}]},
         "shocks.z.target.ids", "unknown node"),
        ({"shocks": [{"id": "z", "kind": "capacity", "start": "2024-01-01", "multiplier": 0, "target": {"kinds": ["foundry"]}}]},
         "shocks.z.target.kinds", "unknown node kind"),
        # a capacity shock aimed at flows out of Taiwan hit every node with a capacity, without a word
        ({"shocks": [{"id": "z", "kind": "capacity", "start": "2024-01-01", "multiplier": 0.5,
                      "target": {"edge_from_countries": ["TW"]}}]},
         "shocks.z.target.edge_from_countries", "a capacity shock acts on nodes, not on flows: edge_from_countries and "
                                                "edge_to_countries choose the flows of a transport shock"),
        ({"shocks": [{"id": "z", "kind": "yield", "start": "2024-01-01", "multiplier": 0.5,
                      "target": {"countries": ["TW"], "edge_to_countries": ["US"]}}]},
         "shocks.z.target.edge_to_countries", "a yield shock acts on nodes, not on flows"),
        ({"per_lab": {"lab": {"utilisation": 3}}}, "per_lab.lab.utilisation", "less than or equal"),
        ({"controls": [{"id": "ok", "announced": "2023-01-01", "effective": "2023-01-01", "action": "ban"},
                       {"id": "late", "announced": "2023-01-01", "effective": "2023-13-45", "action": "ban"}]},
         "controls.late.effective", "date"),
        ({"controls": [{"id": "rev", "announced": "2023-05-01", "effective": "2023-01-01", "action": "ban"}]},
         "controls.rev", "before announced"),
        ({"topology": "missing.yaml"}, "topology", "no such topology"),
        ({"topology": str(ROOT / "docs")}, "topology", "a folder that is not a CSV topology (no nodes.csv)"),
        ({"labs": {"utilisation": True}}, "labs.utilisation", "expected a number (got True)"),
        ({"generations": {"max_generations": True}}, "generations.max_generations", "expected a number (got True)"),
        ({"demand": {"multiplier": -1}}, "demand.multiplier", "must not be negative (got -1)"),
        ({"demand": {"multiplier": {"points": {"2022-01-01": 1, "2030-01-01": -0.5}}}}, "demand.multiplier", "(got -0.5)"),
        ({"demand": {"targets": {"lab": -5}}}, "demand.targets.lab", "must not be negative (got -5)"),
        ({"end": "2021-06-01"}, "end", "must be after start 2022-01-01 (got 2021-06-01)"),
        ({"end": "2700-12-31"}, "end", "a run spans at most 100 years (36,525 days) from start 2022-01-01 (got 2700-12-31)"),
        ({"controls": [{"id": "r1", "announced": "2023-01-01", "effective": "2023-01-01", "action": "ban"}] * 2},
         "controls.r1.id", "duplicate rule/shock id (got 'r1')"),
        ({"controls": [{"id": "r1", "announced": "2023-01-01", "effective": "2023-01-01", "action": "ban"}],
          "shocks": [{"id": "r1", "kind": "capacity", "start": "2024-01-01", "multiplier": 0}]},
         "shocks.r1.id", "duplicate rule/shock id (got 'r1')"),
        ({"shocks": [{"id": "z", "kind": "capacity", "multiplier": 0,
                      "random": {"rate_per_year": 1, "first": "2025-01-01", "last": "2024-01-01"}}]},
         "shocks.z.random.last", "must be after first 2025-01-01"),
        ({"quotes": {"capacity": "tomorrow"}}, "quotes.capacity", "Input should be 'today' or 'plan' (got 'tomorrow')"),
        ({"quotes": "plan"}, "quotes", "expected a mapping of fields (got 'plan')"),
        # pydantic's words were "Input should be a valid dictionary or instance of LabPolicy", "a valid list"
        ({"labs": [{"utilisation": 0.5}]}, "labs", "expected a mapping of fields (got [{'utilisation': 0.5}])"),
        ({"controls": {"r": {"action": "ban"}}}, "controls", "expected a list (got {'r': {'action': 'ban'}})"),
        ({"per_lab": {"lab": 0.5}}, "per_lab.lab", "expected a mapping (got 0.5)"),
        ({"quotes": {"vendor": "fifo"}}, "quotes.vendor", "Input should be 'chain' or 'atp' (got 'fifo')"),
        ({"extend": "base.yaml"}, "extend", "unknown field (got 'base.yaml')"),
        # an unknown key shows what it holds, a mapping too (shortened), as a nested one does
        ({"x": {"a": 1}}, "x", "unknown field (got {'a': 1})"),
        ({"labs": {"foo": [1, 2]}}, "labs.foo", "unknown field (got [1, 2])"),
        ({"x": {"k": "v" * 100}}, "x", "unknown field (got {'k': 'vvvvv"),
        # a misspelt key names the field it is close to (the schema need not be looked up), else says nothing more
        ({"labs": {"utilization": 0.3}}, "labs.utilization", "unknown field (got 0.3); did you mean 'utilisation'?"),
        ({"shocks": [{"id": "b", "kind": "capacity", "start": "2024-01-01", "multiplier": 0.2, "target": {"country": ["TW"]}}]},
         "shocks.b.target.country", "unknown field (got ['TW']); did you mean 'countries'?"),
        ({"controls": [{"id": "r", "announced": "2023-01-01", "effective": "2023-01-01", "action": "ban",
                        "scope": {"destination": ["CN"]}}]}, "controls.r.scope.destination", "did you mean 'destinations'?"),
    ],
)
def test_bad_references_and_values_name_the_field(extra: dict, field: str, match: str) -> None:
    fails({"topology": str(MINIMAL), **extra}, field, match=match)


NUMBER_FIELDS = [f"{section}.{name}" for section, cls in (("labs", LabPolicy), ("generations", Generations),
                                                            ("algorithms", Algorithms))
                 for name, info in cls.model_fields.items()
                 if info.annotation in (float, int)]  # not a switch (power_aware), a name or a mapping (ordering)


@pytest.mark.parametrize("path", NUMBER_FIELDS)
@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan"), True, False])
def test_scenario_figures_are_finite_numbers_not_bools(path: str, bad) -> None:
    """`.inf` or `true` in a scenario figure is an input error naming the field, never an engine traceback
    or a silent 1.0; the same through `per_lab`."""
    section, name = path.split(".")
    err = fails({"topology": str(MINIMAL), section: {name: bad}}, path)
    if isinstance(bad, bool):
        assert f"expected a number (got {bad})" in err.problem, str(err)
    elif bad == float("inf") and path not in ("labs.utilisation", "labs.training_fraction", "generations.max_generations"):
        assert err.problem == "figures must be finite (got inf)", str(err)
    if section == "labs":
        fails({"topology": str(MINIMAL), "per_lab": {"lab": {name: bad}}}, f"per_lab.lab.{name}")


# -- per_lab: one merge over `labs` (scenario_schema.merged_lab_policy) for the check and the run --------


def test_a_bad_labs_field_is_blamed_on_labs_not_on_each_per_lab() -> None:
    """The file check merged the raw `labs` into every `per_lab` entry first, so `labs.utilisation: 2`
    was reported as `per_lab.lab.utilisation`, a field that entry does not set."""
    fails({"topology": str(MINIMAL), "labs": {"utilisation": 2}, "per_lab": {"lab": {"review_days": 7}}},
          "labs.utilisation", match="less than or equal to 1")


def test_parameters_a_lab_of_another_policy_inherits_are_blamed_on_its_ordering() -> None:
    """`labs: {ordering: smooth, ordering_params: {adjustment_days: 60}}` with one lab on `order_up_to` (or a
    user's policy) was reported at `per_lab.lab.ordering_params.adjustment_days`, a field that entry does not set;
    `ordering_params: {}` of its own, or a policy that takes the parameter, runs."""
    labs = {"ordering": "smooth", "ordering_params": {"adjustment_days": 60}}
    fails({"topology": str(MINIMAL), "labs": labs, "per_lab": {"lab": {"ordering": "order_up_to"}}}, "per_lab.lab.ordering",
          match="does not take labs.ordering_params.adjustment_days, which this lab inherits")
    for own in ({"ordering": "order_up_to", "ordering_params": {}}, {"ordering": "smooth"}):
        sc = Scenario.model_validate({"labs": labs, "per_lab": {"lab": own}})
        assert sc.lab_policy("lab").ordering == own["ordering"]


def test_scenario_model_names_the_lab_of_a_bad_per_lab_field() -> None:
    """`Scenario(...)` from Python located a per_lab error at the lab policy's root (`review_days`)."""
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate({"per_lab": {"lab": {"review_days": 0}}})
    assert [e["loc"] for e in info.value.errors()] == [("per_lab", "lab", "review_days")]
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate({"per_lab": {"lab": {"ordering_params": {"adjust": 1}}}})
    assert info.value.errors()[0]["loc"] == ("per_lab", "lab", "ordering_params", "adjust")
    assert "not a parameter of ordering policy 'order_up_to'" in info.value.errors()[0]["msg"]


def test_lab_policy_is_the_merge_the_check_validated() -> None:
    sc = Scenario.model_validate({"labs": {"utilisation": 0.5, "ordering": "smooth"},
                                  "per_lab": {"lab": {"ordering_params": {"adjustment_days": 28}}}})
    own = sc.lab_policy("lab")
    assert (own.utilisation, own.ordering, own.ordering_values()) == (0.5, "smooth", {"adjustment_days": 28.0})
    assert sc.lab_policy("other") == sc.labs


def test_config_hash_follows_content_not_location(world: Path, tmp_path_factory) -> None:
    first = load_scenario(world / "base.yaml").config_hash
    assert load_scenario(world / "base.yaml").config_hash == first
    moved = tmp_path_factory.mktemp("moved")
    for name in ("base.yaml", "topo.yaml"):
        shutil.copy(world / name, moved / name)
    assert load_scenario(moved / "base.yaml").config_hash == first
    assert load_scenario(scenario_with(world, {"nodes.fab.capacity.growth": 0.4})).config_hash != first
    write(world, "seeded.yaml", "extends: base.yaml\nseed: 3\n")
    assert load_scenario(world / "seeded.yaml").config_hash != first


def test_not_a_mapping_and_missing_file(tmp_path: Path) -> None:
    write(tmp_path, "list.yaml", "- a\n- b\n")
    fails(tmp_path / "list.yaml", "<root>", match="expected a mapping")
    fails(tmp_path / "absent.yaml", "<file>", match="no such file")


# -- CLI ---------------------------------------------------------------------

runner = CliRunner()


def test_cli_validate_and_show(world: Path) -> None:
    path = scenario_with(world, {"nodes.fab.capacity.growth": 0.4})
    ok = runner.invoke(app, ["scenario", "validate", str(path)])
    assert ok.exit_code == 0, ok.output
    assert ": ok (" in ok.output and "nodes.fab.capacity.growth: 0.0 -> 0.4" in ok.output
    shown = runner.invoke(app, ["scenario", "show", str(path)])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0].startswith("# ") and "base.yaml" in lines[0] and "s.yaml" in lines[0]
    assert "topology" in lines[1] and "nodes.fab.capacity.growth" in lines[1]
    data = yaml.safe_load(shown.output)
    assert data["name"] == "s" and [c["id"] for c in data["controls"]] == ["r1", "r2"]  # named after its file, not its parent
    assert data["set"] == {"nodes.fab.capacity.growth": 0.4}


@pytest.mark.parametrize("command", ["validate", "show"])
def test_cli_bad_date_is_one_line_with_exit_2(world: Path, command: str) -> None:
    bad = write(world, "bad.yaml", "extends: base.yaml\nstart: 2022-02-30\n")
    result = runner.invoke(app, ["scenario", command, str(bad)])
    assert result.exit_code == 2
    out = result.output.strip()
    assert len(out.splitlines()) == 1 and "Traceback" not in out
    assert out.startswith(f"{bad}: start: ") and "2022-02-30" in out


def test_a_run_may_span_exactly_100_years_and_not_a_day_more() -> None:
    """The longest run is MAX_DAYS (36,525 days) from its start: the boundary, both sides."""
    ok = Scenario.model_validate({"start": "2022-01-01", "end": "2122-01-02"})
    assert (ok.end - ok.start).days == 36_525
    fails({"topology": str(MINIMAL), "start": "2022-01-01", "end": "2122-01-03"}, "end",
          match="a run spans at most 100 years (36,525 days) from start 2022-01-01 (got 2122-01-03)")


def test_a_shipped_policy_on_another_topology_names_that_topology(tmp_path: Path) -> None:
    """`run --topology mine.yaml` of baseline.yaml: the unknown entity is one of mine.yaml, not of the scenario's own
    default.yaml; the line says which network lacked it (it said only `unknown node or entity (got 'huawei')`)."""
    mine = tmp_path / "mine.yaml"
    shutil.copy(MINIMAL, mine)
    result = runner.invoke(app, ["run", str(ROOT / "policies" / "baseline.yaml"), "--topology", str(mine),
                                 "-o", str(tmp_path / "out"), "-q", "-w", "1"])
    assert result.exit_code == 2 and not (tmp_path / "out").exists()
    assert result.output.strip().endswith(
        "baseline.yaml: controls.huawei_fdp_2020.scope.entities: unknown node or entity in topology mine.yaml (got 'huawei')")


def test_scenario_validate_and_show_check_a_policy_on_another_topology(tmp_path: Path) -> None:
    """`--topology`, as `run` takes it: a shipped policy checked on a planner's own network without running
    it. Its rules naming entities the network lacks are the error `run --topology` stops with; on a network
    that keeps the ids it is ok, and `show` prints the config hash the run would record."""
    from _topo import minimal_data, write_yaml

    from supplychain.experiment import prepare

    mine = write_yaml(tmp_path, minimal_data(), "mine.yaml")
    bad = runner.invoke(app, ["scenario", "validate", str(ROOT / "policies" / "baseline.yaml"), "--topology", str(mine)])
    assert bad.exit_code == 2 and bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        f"{ROOT / 'policies' / 'baseline.yaml'}: controls.huawei_fdp_2020.scope.entities: unknown node or entity in "
        "topology mine.yaml (got 'huawei')"]
    default = ROOT / "topology" / "default.yaml"
    policy = ROOT / "policies" / "taiwan_blockade_6m.yaml"
    ok = runner.invoke(app, ["scenario", "validate", str(policy), "-t", str(default)])
    assert ok.exit_code == 0 and "(28 nodes, 320 edges)" in ok.stdout, ok.output
    shown = runner.invoke(app, ["scenario", "show", str(policy), "--topology", str(default)])
    assert shown.exit_code == 0 and f"# config hash {prepare(policy, topology=default).config_hash}" in shown.stdout
    missing = runner.invoke(app, ["scenario", "validate", str(policy), "--topology", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and missing.stderr.strip() == f"{tmp_path / 'nope.yaml'}: <file>: no such file or folder"


def test_validate_lists_an_override_of_40_characters_whole_and_cuts_a_longer_one(world: Path) -> None:
    """`scenario validate` shows each override's value up to 40 characters; a longer one is cut to 37 and `...`."""
    whole, long = "x" * 40, "y" * 41
    path = scenario_with(world, {"nodes.fab.yield.source": whole, "nodes.packager.yield.source": long})
    ok = runner.invoke(app, ["scenario", "validate", str(path)])
    assert ok.exit_code == 0, ok.output
    assert f"nodes.fab.yield.source: assumption -> {whole};" in ok.stdout
    assert ok.stdout.rstrip().endswith(f"nodes.packager.yield.source: assumption -> {'y' * 37}...)"), ok.stdout


def test_show_names_the_files_merged_ancestors_first(world: Path) -> None:
    """`scenario show`'s first line is the chain of `extends`, the file it starts from first: `base <- mid <- s`."""
    write(world, "mid.yaml", "extends: base.yaml\nname: mid\n")
    path = write(world, "s.yaml", "extends: mid.yaml\nname: s\n")
    shown = runner.invoke(app, ["scenario", "show", str(path)])
    assert shown.exit_code == 0, shown.output
    chain = shown.stdout.splitlines()[0].removeprefix("# ").split(" <- ")
    assert [Path(p).name for p in chain] == ["base.yaml", "mid.yaml", "s.yaml"]
