"""Scenario warnings: what is legal but probably not meant (a rule or shock that touches
nothing or falls outside the run, an unknown country, a run before its topology's date) is a
warning line, printed by every command that loads the scenario; the run goes on."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from supplychain import ScenarioWarning, compare, load_scenario, run_experiment, simulate, sweep
from supplychain.cli import app
from supplychain.scenario import resolve_scenario

from conftest import write

# the warnings are asserted on `.warnings`; that Python callers are warned is its own test below
pytestmark = pytest.mark.filterwarnings("ignore::supplychain.errors.ScenarioWarning")

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "topology" / "minimal.yaml"
runner = CliRunner()


def test_unknown_countries_are_warnings_not_errors() -> None:
    rule = {"id": "q", "announced": "2023-01-01", "effective": "2023-01-01", "action": "ban", "scope": {"destinations": ["CN"]}}
    rs = resolve_scenario({"topology": str(MINIMAL), "controls": [rule]})
    assert rs.warnings == ("controls.q.scope.destinations: no node of the topology is in country 'CN'",)



@pytest.mark.parametrize("extra, warnings_", [
    ({"action": "ban", "approval": 0.5, "review_days": 30},
     ("controls.q.review_days: a ban rule does not read review_days (a license rule does); it is ignored",
      "controls.q.approval: a ban rule does not read approval (a license rule does); it is ignored")),
    ({"action": "license", "review_days": 30, "quota": 5},
     ("controls.q.quota: a license rule does not read quota (a quota rule does); it is ignored",)),
    ({"action": "equipment", "quota_excess": "refuse", "period_days": 30, "scope": {"product_kinds": ["tool"]}},
     ("controls.q.period_days: an equipment rule does not read period_days (a quota rule does); it is ignored",
      "controls.q.quota_excess: an equipment rule does not read quota_excess (a quota rule does); it is ignored")),
    ({"action": "quota", "quota": 5, "period_days": 30, "quota_excess": "refuse"}, ()),
    ({"action": "license", "review_days": 30, "approval": 0.5}, ()),
])
def test_a_figure_the_rules_action_never_reads_is_a_warning(extra: dict, warnings_: tuple) -> None:
    """`approval: 0.5` on a ban, or a `quota` on a licence, was ignored without a word."""
    rule = {"id": "q", "announced": "2023-01-01", "effective": "2023-01-01", "scope": {"destinations": ["US"]}, **extra}
    assert resolve_scenario({"topology": str(MINIMAL), "controls": [rule]}).warnings == warnings_


SHOCK = {"id": "x", "kind": "capacity", "multiplier": 0.5}


@pytest.mark.parametrize("shock, warning", [
    ({"start": "2030-01-01"}, "shocks.x.start: 2030-01-01 is after the run's last day 2025-01-01; the shock never happens"),
    ({"start": "2021-01-01", "duration_days": 30}, "shocks.x.start: the shock (2021-01-01, 30 days) is over before the run starts"),
    ({"random": {"rate_per_year": 1, "first": "2026-01-01"}}, "shocks.x.random.first: 2026-01-01 is after the run's last day"),
    ({"random": {"rate_per_year": 1, "last": "2021-06-01"}}, "shocks.x.random.last: 2021-06-01 is not after the run's start"),
    ({"start": "2023-01-01", "target": {"ids": ["fab"], "kinds": ["lab"]}}, "shocks.x.target: no node of the topology matches"),
])
def test_shocks_that_cannot_touch_the_run_are_warnings(shock: dict, warning: str) -> None:
    rs = resolve_scenario({"topology": str(MINIMAL), "end": "2025-01-01", "shocks": [{**SHOCK, **shock}]})
    assert len(rs.warnings) == 1 and rs.warnings[0].startswith(warning), rs.warnings


def test_shocks_inside_the_run_are_not_warned_about() -> None:
    for shock in ({"start": "2021-12-01", "duration_days": 60}, {"start": "2024-12-31"},
                  {"random": {"rate_per_year": 1, "first": "2021-01-01", "last": "2022-06-01"}},
                  {"start": "2023-01-01", "target": {"kinds": ["fab"], "countries": ["TW"]}}):
        assert resolve_scenario({"topology": str(MINIMAL), "end": "2025-01-01", "shocks": [{**SHOCK, **shock}]}).warnings == ()


@pytest.mark.parametrize("shock, warning", [
    ({"kind": "capacity", "target": {"ids": ["supply"]}},
     "shocks.x.target.ids: a capacity shock does not act on 'supply' (kind source): it acts on nodes with a capacity "
     "(equipment, fab, memory, packaging, grid, source); the shock touches nothing"),
    ({"kind": "capacity", "target": {"ids": ["lab", "fab", "vendor"]}},
     "shocks.x.target.ids: a capacity shock does not act on 'lab' (kind lab), 'vendor' (kind vendor): it acts on nodes "
     "with a capacity (equipment, fab, memory, packaging, grid, source)"),
    ({"kind": "demand", "target": {"kinds": ["fab", "vendor"]}},
     "shocks.x.target: a demand shock acts on labs and demand nodes, and the target matches none (it matches 2 nodes); "
     "the shock touches nothing"),
    ({"kind": "power_delay", "target": {"ids": ["lab"]}},
     "shocks.x.target.ids: a power_delay shock does not act on 'lab' (kind lab): it acts on grids; the shock touches nothing"),
])
def test_a_shock_on_nodes_its_kind_cannot_act_on_is_a_warning(shock: dict, warning: str) -> None:
    """A capacity shock on an unlimited source or a lab, a demand shock on fabs: legal, but it does
    nothing there, and the events table logs only the nodes it acted on."""
    sc = {"topology": str(MINIMAL), "end": "2023-01-01", "shocks": [{**SHOCK, "start": "2022-03-01", **shock}]}
    rs = resolve_scenario(sc)
    assert rs.warnings == (warning,)
    logged = simulate(None, {**sc, "name": "reach"}).events.query("type == 'shock'")
    reached = {"capacity": "fab" if "fab" in shock["target"].get("ids", ()) else ""}.get(shock["kind"], "")
    assert list(logged["supplier"].fillna("")) == [reached]


def test_a_shock_by_country_warns_only_when_it_reaches_no_node_it_acts_on() -> None:
    """A country's nodes include labs and vendors: a capacity shock there acts on its producers, unwarned."""
    shock = {**SHOCK, "start": "2022-03-01", "target": {"countries": ["US"]}}
    sc = {"topology": str(MINIMAL), "end": "2023-01-01", "shocks": [shock]}
    assert resolve_scenario(sc).warnings == ()
    logged = simulate(None, {**sc, "name": "us"}).events.query("type == 'shock'")
    assert logged["supplier"].tolist() == ["grid"]  # of the US vendor, grid and lab, the one with a capacity


RULE_ON_MINIMAL = {"id": "r", "announced": "2023-01-01", "effective": "2023-01-01", "action": "ban"}


@pytest.mark.parametrize("rule, warning", [
    ({"announced": "2029-01-01", "effective": "2030-01-01"},
     "controls.r.effective: 2030-01-01 is after the run's last day 2025-01-01; the rule never takes effect"),
    ({"announced": "2019-01-01", "effective": "2019-01-01", "ends": "2021-06-01"},
     "controls.r.ends: 2021-06-01 is not after the run's start 2022-01-01; the rule is never in force"),
    ({"scope": {"supplier_countries": ["KR"], "product_kinds": ["tool"]}}, "controls.r.scope: no flow of the topology matches"),
    ({"scope": {"entities": ["toolmaker"], "product_kinds": ["accelerator"]}}, "controls.r.scope: no flow of the topology matches"),
])
def test_rules_that_cannot_act_in_the_run_are_warnings(rule: dict, warning: str) -> None:
    """As for shocks: a rule in force only outside the run, or whose scope no flow falls in, is legal but suspect."""
    rs = resolve_scenario({"topology": str(MINIMAL), "end": "2025-01-01", "controls": [{**RULE_ON_MINIMAL, **rule}]})
    assert len(rs.warnings) == 1 and rs.warnings[0].startswith(warning), rs.warnings


def test_rules_that_can_act_are_not_warned_about() -> None:
    for rule in ({"announced": "2024-06-01", "effective": "2030-01-01", "stockpile": 1.5},  # buyers stockpile in the run
                 {"scope": {"entities": ["vendor"], "product_kinds": ["logic"]}},  # dies for the vendor's accelerator
                 {"scope": {"supplier_countries": ["NL"], "destinations": ["TW"], "product_kinds": ["tool"]}}):
        assert resolve_scenario({"topology": str(MINIMAL), "end": "2025-01-01",
                                 "controls": [{**RULE_ON_MINIMAL, **rule}]}).warnings == (), rule


def test_a_run_starting_before_its_topology_is_a_warning() -> None:
    default = str(ROOT / "topology" / "default.yaml")  # describes 2022-01-01
    early = resolve_scenario({"topology": default, "start": "2020-01-01", "end": "2024-01-01"})
    assert [w for w in early.warnings if w.startswith("start:")] == [
        "start: the run starts on 2020-01-01, before the topology's start (2022-01-01): the fleets, power and "
        "orders in flight it gives for 2022-01-01 are placed on 2020-01-01"]
    for start in ("2022-01-01", "2023-06-01"):
        on_time = resolve_scenario({"topology": default, "start": start, "end": "2024-01-01"})
        assert not [w for w in on_time.warnings if w.startswith("start:")]


def test_a_start_fleet_drawing_more_than_its_labs_power_is_a_warning() -> None:
    """The engine installs the start fleet as given, above the lab's power if it must: legal (a what-if of
    a fleet without power), but a topology written so usually has its MW or its fleet wrong."""
    sets = {"nodes.lab.power_mw": 10}  # its 10,000 `acc` draw 17 MW
    short = resolve_scenario({"topology": str(MINIMAL), "end": "2023-01-01", "set": sets})
    assert [w for w in short.warnings if w.startswith("nodes.lab.fleet")] == [
        "nodes.lab.fleet: the start fleet draws 17 MW, more than the 10 MW of power_mw on 2022-01-01: it is counted as "
        "running above the power limit until it retires"]
    assert not [w for w in resolve_scenario({"topology": str(MINIMAL), "end": "2023-01-01"}).warnings if "start fleet" in w]


def test_a_lab_that_can_buy_no_accelerator_in_the_run_is_a_warning() -> None:
    """A lab whose SKUs are all on sale only after the run, or left the market before it, orders nothing: its
    fleet only retires and its generations stall, and no line of the summary said why. As the engine orders:
    on a day of the run, a SKU on sale `order_ahead_days` (180) later; the boundaries are the engine's."""
    from supplychain.engine import World
    from supplychain.topology import graph_to_model

    run = {"topology": str(MINIMAL), "start": "2024-01-01", "end": "2025-01-01"}  # sale days 2024-06-29 to 2025-06-30

    def warned(sets: dict) -> list[str]:
        return [w for w in resolve_scenario({**run, "set": sets}).warnings if w.startswith("nodes.")]

    assert warned({"products.acc.available": "2025-07-01"}) == [
        "nodes.lab: none of the accelerators it buys is on sale on the days its orders look at "
        "(order_ahead_days 180 after a day of the run: 2024-06-29 to 2025-06-30; acc from 2025-07-01): it orders none"]
    assert warned({"products.acc.discontinued": "2024-06-29"}) == [
        "nodes.lab: none of the accelerators it buys is on sale on the days its orders look at "
        "(order_ahead_days 180 after a day of the run: 2024-06-29 to 2025-06-30; acc from 2022-01-01 until 2024-06-29): it orders none"]
    for sets, orderable in (({"products.acc.available": "2025-07-01"}, False), ({"products.acc.available": "2025-06-30"}, True),
                            ({"products.acc.discontinued": "2024-06-29"}, False), ({"products.acc.discontinued": "2024-06-30"}, True)):
        assert bool(warned(sets)) != orderable, sets
        rs = resolve_scenario({**run, "set": sets})
        w = World(graph_to_model(rs.topology), rs.scenario, 0)
        assert any(days.any() for days in w.labs.orderable().values()) == orderable, sets  # the engine agrees
    late = resolve_scenario({**run, "set": {"products.acc.available": "2025-07-01"}, "labs": {"order_ahead_days": 1}})
    assert [w for w in late.warnings if w.startswith("nodes.")] == [
        "nodes.lab: none of the accelerators it buys is on sale on the days its orders look at "
        "(order_ahead_days 1 after a day of the run: 2024-01-02 to 2025-01-02; acc from 2025-07-01): it orders none"]


@pytest.mark.parametrize("command", ["validate", "show", "run", "compare", "sweep"])
def test_warnings_are_printed_by_every_command_that_loads_the_scenario(tmp_path: Path, command: str) -> None:
    """`scenario show`, run, compare and sweep print the same one-line warnings as `scenario validate` (on stderr; exit 0)."""
    shutil.copy(MINIMAL, tmp_path / "topo.yaml")
    rule = {"id": "r", "announced": "2022-01-10", "effective": "2022-01-20", "action": "ban", "scope": {"destinations": ["ZZ"]}}
    path = write(tmp_path, "s.yaml", yaml.safe_dump({"name": "s", "topology": "topo.yaml", "end": "2022-03-01", "controls": [rule],
                                                     "shocks": [{**SHOCK, "start": "2023-01-01"}]}))
    base = write(tmp_path, "b.yaml", "name: b\ntopology: topo.yaml\nend: 2022-03-01\n")
    run = ["-n", "1", "-w", "1", "-q", "-o", str(tmp_path / "o")]
    args = {"validate": ["scenario", "validate", str(path)], "show": ["scenario", "show", str(path)], "run": ["run", str(path), *run],
            "compare": ["compare", str(base), str(path), "--no-counterfactual", *run],
            "sweep": ["sweep", str(path), "-p", "algorithms.efficiency_growth=2,3", *run]}[command]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioWarning)  # the commands say them once, as their own lines
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {path}: controls.r.scope.destinations: no node of the topology is in country 'ZZ'",
        f"warning: {path}: shocks.x.start: 2023-01-01 is after the run's last day 2022-03-01; the shock never happens in the run",
    ]


def test_sweep_prints_the_warnings_of_its_points_once(tmp_path: Path) -> None:
    """A warning only a point has (its shock date swept past the end) was a `ScenarioWarning` the command
    silenced: the sweep ran a shock that never happens without a word."""
    path = write(tmp_path, "s.yaml", yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "end": "2022-03-01",
                                                     "shocks": [{**SHOCK, "start": "2022-02-01"}]}))
    result = runner.invoke(app, ["sweep", str(path), "-p", "shocks.x.start=2022-02-01,2023-01-01,2024-01-01",
                                 "-n", "1", "-w", "1", "-q", "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {path}: shocks.x.start: 2023-01-01 is after the run's last day 2022-03-01; the shock never happens in the run",
        f"warning: {path}: shocks.x.start: 2024-01-01 is after the run's last day 2022-03-01; the shock never happens in the run",
    ]


def test_a_sweep_does_not_warn_of_the_base_what_every_point_sets_otherwise(tmp_path: Path) -> None:
    """The base's shock start past its end, swept into the run at every point: the sweep said "the shock never
    happens in the run" (the base's warning) of a sweep in which it happened at every point."""
    path = write(tmp_path, "s.yaml", yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "end": "2022-03-01",
                                                     "shocks": [{**SHOCK, "start": "2023-01-01"}]}))
    result = runner.invoke(app, ["sweep", str(path), "-p", "shocks.x.start=2022-01-15,2022-02-01",
                                 "-n", "1", "-w", "1", "-q", "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert _shown(lambda: sweep(path, {"shocks.x.start": ["2022-01-15", "2022-02-01"]}, replications=1, workers=1)) == []


def _shown(call) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call()
    return [w for w in seen if issubclass(w.category, ScenarioWarning)]


@pytest.fixture
def suspicious(tmp_path: Path) -> Path:
    return write(tmp_path, "s.yaml", yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "end": "2022-03-01",
                                                     "shocks": [{**SHOCK, "start": "2023-01-01"}]}))


@pytest.mark.parametrize("call, times", [
    (lambda f: load_scenario(f), 1),
    (lambda f: simulate(None, f), 1),
    (lambda f: simulate(MINIMAL, f), 1),
    (lambda f: run_experiment(f, replications=1, workers=1), 1),
    (lambda f: compare(f, [{"name": "t", "extends": str(f)}], replications=1, workers=1, counterfactuals=True), 2),
    (lambda f: sweep(f, {"algorithms.efficiency_growth": [2.0, 3.0]}, replications=1, workers=1), 1),
], ids=["load_scenario", "simulate", "simulate_on_topology", "run_experiment", "compare", "sweep"])
def test_python_callers_see_each_warning_once_per_scenario(suspicious: Path, call, times: int) -> None:
    """Not only the CLI: from Python (a notebook) each warning is a `ScenarioWarning`, once per scenario
    (not per replication, counterfactual or sweep point), named by the caller's line."""
    shown = _shown(lambda: call(suspicious))
    problem = "shocks.x.start: 2023-01-01 is after the run's last day 2022-03-01; the shock never happens in the run"
    assert [str(w.message) for w in shown][:1] == [f"{suspicious}: {problem}"]
    assert len(shown) == times and all(str(w.message).endswith(problem) for w in shown)
    assert {w.filename for w in shown} == {__file__}


def test_a_loaded_scenario_is_not_warned_about_again(suspicious: Path) -> None:
    with pytest.warns(ScenarioWarning, match="shocks.x.start"):
        rs = load_scenario(suspicious)
    assert _shown(lambda: simulate(None, rs)) == []
    assert _shown(lambda: simulate(MINIMAL, rs)) == []  # the same warnings on another copy of its topology
    assert _shown(lambda: run_experiment(rs, replications=1, workers=1)) == []


def test_a_shock_or_rule_on_the_end_date_acts_on_the_runs_last_day_and_is_not_warned_about() -> None:
    """The run's days are start to end, both in (`Net.days`): a shock starting on the end date is logged and acts
    that day, a rule effective on it decides that day. Both were warned to 'never happen in the run'."""
    sc = {"topology": str(MINIMAL), "end": "2023-01-01"}
    on_end = {"shocks": [{**SHOCK, "start": "2023-01-01", "target": {"ids": ["fab"]}}],
              "controls": [{**RULE_ON_MINIMAL, "announced": "2023-01-01", "effective": "2023-01-01"}]}
    assert resolve_scenario({**sc, **on_end}).warnings == ()
    assert resolve_scenario({**sc, "shocks": [{**SHOCK, "random": {"rate_per_year": 1, "first": "2023-01-01"}}]}).warnings == ()
    events = simulate(None, {**sc, "name": "end", **on_end}).events
    assert events.query("type == 'shock'")["date"].astype(str).tolist() == ["2023-01-01"]
    day_after = {**sc, "shocks": [{**SHOCK, "start": "2023-01-02"}],
                 "controls": [{**RULE_ON_MINIMAL, "announced": "2023-01-02", "effective": "2023-01-02"}]}
    assert [w.split(":")[0] for w in resolve_scenario(day_after).warnings] == ["controls.r.effective", "shocks.x.start"]
