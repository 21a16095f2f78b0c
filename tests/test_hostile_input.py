"""Second round of hostile input: what YAML, JSON, CSV and GraphML parsers can hand the schema.

Each case is a file a person could write by mistake (a huge integer, an explicit YAML tag, a date
as a number, a duplicate JSON key, ...): it loads as meant, or it is an `InputError` whose one line
names the file and the field, and the command exits 2 without a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from _topo import MINIMAL, assert_clean_failure, cli, minimal_data, node, write_yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from supplychain.errors import InputError
from supplychain.scenario import load_scenario
from supplychain.topology import load_topology, save_topology

HUGE_INT = "9" * 5000  # Python refuses to turn more than 4,300 digits into an int


def _minimal_text() -> str:
    return MINIMAL.read_text(encoding="utf-8")


# --- YAML scalars --------------------------------------------------------------


@pytest.mark.parametrize("value", ["!!timestamp 2024-13-01", "!!float abc", "!!int abc", HUGE_INT])
def test_yaml_scalars_python_cannot_hold_are_one_line_errors(tmp_path: Path, value: str) -> None:
    topo = tmp_path / "t.yaml"
    topo.write_text(_minimal_text().replace("base_stock: 20", f"base_stock: {value}"), encoding="utf-8")
    line = assert_clean_failure(cli("topology", "validate", topo), str(topo))
    assert "invalid YAML" in line and "sys.set_int_max_str_digits" not in line
    sc = tmp_path / "s.yaml"
    sc.write_text(f"name: s\ntopology: {MINIMAL}\nseed: {value}\n", encoding="utf-8")
    assert_clean_failure(cli("scenario", "validate", sc), str(sc))


TAGGED = [  # (value, problem): the values of tags no field can use, which pydantic coerced without a word
    ("!!binary MQ==", "a binary (!!binary) value; write it as text"),  # b'1': seed 1, utilisation 1.0
    ("!!set {1, 2}", "a set (!!set), whose order YAML does not keep; write a list [a, b]"),
    ("!!omap [a: 1]", "an ordered mapping (!!omap); write a plain mapping {a: 1}"),
    ("!!pairs [a: 1]", "a list of pairs (!!pairs); write a plain mapping {a: 1}"),
    ("!!timestamp 2022-01-01T10:00:00", "expected a date without a time of day (got '2022-01-01T10:00:00')"),
    ("!!python/name:os.system ''", "a value of the tag !!python/name:os.system, which these files do not read; write the value plain"),
    ("!mine 1", "a value of the tag !mine, which these files do not read; write the value plain"),
]


@pytest.mark.parametrize("value, problem", TAGGED)
def test_a_tagged_value_no_field_can_use_is_one_line_naming_its_field(tmp_path: Path, value: str, problem: str) -> None:
    """`seed: !!binary MQ==` ran with seed 1 and `sources: !!set {a, b}` in the set's order; `!!python/...` and
    unknown tags were refused by line and column, not by field."""
    topo = tmp_path / "t.yaml"
    topo.write_text(_minimal_text().replace("base_stock: 20", f"base_stock: {value}"), encoding="utf-8")
    assert assert_clean_failure(cli("topology", "validate", topo)) == f"{topo}: nodes.depot.base_stock: {problem}"
    sc = tmp_path / "s.yaml"
    sc.write_text(f"name: s\ntopology: {MINIMAL}\nlabs: {{utilisation: {value}}}\n", encoding="utf-8")
    assert assert_clean_failure(cli("scenario", "validate", sc)) == f"{sc}: labs.utilisation: {problem}"
    sc.write_text(f"name: s\ntopology: {MINIMAL}\ndemand: {{multiplier: {{points: {{{value}: 1.5}}}}}}\n", encoding="utf-8")
    assert assert_clean_failure(cli("scenario", "validate", sc)) == f"{sc}: demand.multiplier.points: a key: {problem}"


@pytest.mark.parametrize("value", ["2022-01-01", "!!timestamp 2022-01-01", "!!timestamp 2022-01-01T00:00:00", "'2022-01-01'"])
def test_a_date_plain_quoted_or_tagged_without_a_time_of_day_is_that_date(tmp_path: Path, value: str) -> None:
    sc = tmp_path / "s.yaml"
    sc.write_text(f"name: s\ntopology: {MINIMAL}\nstart: {value}\nend: 2022-06-30\n", encoding="utf-8")
    assert str(load_scenario(sc).scenario.start) == "2022-01-01"


def test_exponent_floats_without_a_dot_are_numbers_everywhere(tmp_path: Path) -> None:
    """YAML 1.1 reads `1e5` as text: a bare schedule refused it while `{value: 1e5}` took it."""
    text = _minimal_text().replace('capacity: {value: 2000, source: "assumption: wafers/week open to AI"}', "capacity: 2e3")
    assert "capacity: 2e3" in text
    path = tmp_path / "t.yaml"
    path.write_text(text.replace("tpp: 15800", "tpp: 1.58E+4"), encoding="utf-8")
    model = load_topology(path).graph["model"]
    assert next(n for n in model.nodes if n.id == "fab").capacity.value == 2000.0
    assert model.products["acc"].tpp == 15800.0


@pytest.mark.parametrize("value", ["lots", "2,000", "'2000'", "true", "[1, 2]"])
def test_a_bare_schedule_of_the_wrong_type_says_number_or_schedule_once(tmp_path: Path, value: str) -> None:
    text = _minimal_text().replace('capacity: {value: 2000, source: "assumption: wafers/week open to AI"}', f"capacity: {value}")
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_topology(path)
    assert info.value.field == "nodes.fab.capacity"
    assert info.value.problem.startswith("expected a number or a schedule (got ")
    assert info.value.problem.count("got") == 1


# --- dates ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [86400, "86400", "2022-01-01T00:00:00", "2022-01-01 10:00", "22-01-01", "2022-1-1"])
def test_a_date_is_written_yyyy_mm_dd_never_a_number_or_a_time(tmp_path: Path, value) -> None:
    """pydantic reads a number as seconds since 1970: `start: 86400` was silently 1970-01-02."""
    data = minimal_data()
    data["start"] = value
    with pytest.raises(InputError) as info:
        load_topology(write_yaml(tmp_path, data))
    assert info.value.field == "start" and "expected a date YYYY-MM-DD" in info.value.problem, str(info.value)
    data = minimal_data()
    node(data, "lab")["target_h100e"]["points"][value] = 5.0
    with pytest.raises(InputError, match="expected a date YYYY-MM-DD"):
        load_topology(write_yaml(tmp_path, data))
    sc = tmp_path / "s.yaml"
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "end": value}), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(sc)
    assert info.value.field == "end" and "expected a date YYYY-MM-DD" in info.value.problem, str(info.value)


# --- JSON, GraphML and CSV -----------------------------------------------------


def _saved(tmp_path: Path, suffix: str) -> Path:
    out = tmp_path / f"t{suffix}"
    save_topology(load_topology(MINIMAL), out)
    return out


def test_json_duplicate_keys_huge_integers_and_undirected_graphs_are_refused(tmp_path: Path) -> None:
    path = _saved(tmp_path, ".json")
    text = path.read_text(encoding="utf-8")
    cases = {
        "dup.json": (text.replace('"directed": true,', '"directed": true, "directed": true,', 1), "<file>", "duplicate key 'directed'"),
        "big.json": (text.replace('"value": 2000.0', f'"value": {HUGE_INT}', 1), "<file>", "too long to read"),
        "undirected.json": (text.replace('"directed": true', '"directed": false', 1), "directed", "goods flow one way"),
    }
    for name, (content, field, words) in cases.items():
        bad = tmp_path / name
        bad.write_text(content, encoding="utf-8")
        assert content != text
        with pytest.raises(InputError) as info:
            load_topology(bad)
        assert (info.value.field, words in info.value.problem) == (field, True), str(info.value)
        assert_clean_failure(cli("topology", "validate", bad), str(bad))


def test_graphml_edges_to_undeclared_nodes_and_second_graphs_are_refused(tmp_path: Path) -> None:
    text = _saved(tmp_path, ".graphml").read_text(encoding="utf-8")
    ghost = tmp_path / "ghost.graphml"
    ghost.write_text(text.replace('source="toolmaker"', 'source="ghost"', 1), encoding="utf-8")
    with pytest.raises(InputError) as info:  # networkx adds the node, which then lacked a kind
        load_topology(ghost)
    assert info.value.field == "edges.0.from" and "unknown node" in info.value.problem and "'ghost'" in info.value.problem
    two = tmp_path / "two.graphml"
    two.write_text(text.replace("</graphml>", '<graph edgedefault="directed"/></graphml>'), encoding="utf-8")
    with pytest.raises(InputError, match="the file has 2"):  # the second was silently ignored
        load_topology(two)
    big = tmp_path / "big.graphml"
    big.write_text(text.replace('"value": 2000.0', f'"value": {HUGE_INT}', 1), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_topology(big)
    assert info.value.field == "nodes.fab.capacity" and "too long to read" in info.value.problem


def test_a_csv_cell_holding_a_huge_integer_names_its_row_and_column(tmp_path: Path) -> None:
    folder = _saved(tmp_path, "")
    nodes = folder / "nodes.csv"
    nodes.write_text(nodes.read_text(encoding="utf-8").replace('""value"": 2000.0', f'""value"": {HUGE_INT}', 1), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_topology(folder)
    assert (Path(info.value.file), info.value.field) == (nodes, "row 3.capacity"), str(info.value)
    assert "too long to read" in info.value.problem


# --- any hostile scalar in any format --------------------------------------------

HOSTILE = [HUGE_INT, "-" + HUGE_INT, "1e400", "-1e400", "NaN", "Infinity", "1e5", "0", "-0", "86400", "true", "null",
           "2024-13-01", "2022-01-01T10:00:00", '"2000"', "[]", "{}", '""', "!!int abc", "!!timestamp 2024-02-30", "&a x", "*b"]
FORMATS = [".yaml", ".json", ".graphml", ""]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(suffix=st.sampled_from(FORMATS), hostile=st.sampled_from(HOSTILE), which=st.integers(0, 10_000), data=st.data())
def test_a_hostile_scalar_anywhere_loads_or_is_one_line_naming_the_file(tmp_path: Path, suffix: str, hostile: str,
                                                                           which: int, data: st.DataObject) -> None:
    """Replace one number or date in a saved minimal topology (any format) by a hostile scalar."""
    import re

    folder = tmp_path / f"case{which}"
    folder.mkdir(exist_ok=True)
    path = folder / f"t{suffix}"
    if not path.exists():
        save_topology(load_topology(MINIMAL), path)
    files = sorted(path.glob("*.csv")) if suffix == "" else [path]
    target = files[which % len(files)]
    text = target.read_text(encoding="utf-8")
    spots = [m.span() for m in re.finditer(r"-?\d[\d.]*(?:-\d\d-\d\d)?", text)]
    if not spots:
        return
    start, end = spots[data.draw(st.integers(0, len(spots) - 1))]
    target.write_text(text[:start] + hostile + text[end:], encoding="utf-8")
    try:
        load_topology(path)
    except InputError as err:
        line = str(err)
        assert "\n" not in line and line.startswith(str(path)), line
    finally:
        target.write_text(text, encoding="utf-8")


# --- huge figures that overflowed or never ended -----------------------------------


@pytest.mark.parametrize("mutate, field, words", [
    (lambda d: node(d, "lab")["target_h100e"].update(growth=1e308), "nodes.lab.target_h100e.growth", "less than or equal to 100"),
    (lambda d: node(d, "fab").update(cycle_time=1e300), "nodes.fab.cycle_time", "at most 36,525 days"),
    (lambda d: node(d, "customers")["demand"].update(rate=1e300), "nodes.customers.demand", "at most 100 orders a day"),
])
def test_figures_that_overflow_or_never_end_are_refused(tmp_path: Path, mutate, field: str, words: str) -> None:
    """growth 1e308 overflowed to an InvariantError traceback; cycle time 1e300 became a garbage int32 lag;
    a poisson demand of 1e300 orders a day drew arrivals forever."""
    data = minimal_data()
    mutate(data)
    with pytest.raises(InputError) as info:
        load_topology(write_yaml(tmp_path, data))
    assert info.value.field == field and words in info.value.problem, str(info.value)


@pytest.mark.parametrize("extra, field", [
    ({"shocks": [{"id": "s", "kind": "capacity", "random": {"rate_per_year": 1e300}, "multiplier": 0.5}]},
     "shocks.s.random.rate_per_year"),
    ({"demand": {"growth": 1e308}}, "demand.growth"),
    ({"set": {"nodes.lab.target_h100e.growth": 1e308}}, "set.nodes.lab.target_h100e.growth"),
    ({"labs": {"lifetime_years": 1e300}}, "labs.lifetime_years"),
    ({"per_lab": {"lab": {"lifetime_years": 101}}}, "per_lab.lab.lifetime_years"),
    ({"labs": {"commissioning_days": 1e300}}, "labs.commissioning_days"),
    ({"labs": {"power_headroom": 1e307}}, "labs.power_headroom"),  # overflowed the grid's order book: InvariantError
    ({"per_lab": {"lab": {"power_headroom": 101}}}, "per_lab.lab.power_headroom"),
    ({"labs": {"horizon_days": 36_526}}, "labs.horizon_days"),
    ({"per_lab": {"lab": {"order_ahead_days": 1e300}}}, "per_lab.lab.order_ahead_days"),
    ({"generations": {"min_training_days": 1e300}}, "generations.min_training_days"),
    ({"shocks": [{"id": "s", "kind": "capacity", "start": "2022-02-01", "multiplier": 0.5, "recovery_days": 1e300}]},
     "shocks.s.recovery_days"),
    # ordered 1e300 accelerators ahead of the rule, installed in an unconstrained run: infinite training FLOP/s
    ({"controls": [{"id": "r", "announced": "2022-01-01", "effective": "2022-06-01", "action": "ban", "stockpile": 1e300}]},
     "controls.r.stockpile"),
])
def test_scenario_figures_that_overflow_or_never_end_are_refused(tmp_path: Path, extra: dict, field: str) -> None:
    """A random shock of 1e300 a year drew occurrences forever (the run hung); a fleet lifetime of 1e300
    years listed a retirement tranche per year of it until a MemoryError traceback."""
    sc = tmp_path / "s.yaml"
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), **extra}), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(sc)
    assert info.value.field.startswith(field) and "less than or equal to" in info.value.problem, str(info.value)


# --- YAML alias bombs ----------------------------------------------------------------


def _alias_bomb(levels: int = 9) -> str:
    """A flow list of 10^levels items in a few hundred bytes: each level repeats the one below ten times."""
    expr = "&b0 [x, x, x, x, x, x, x, x, x, x]"
    for i in range(1, levels):
        expr = f"&b{i} [{expr}, " + ", ".join([f"*b{i - 1}"] * 9) + "]"
    return expr


@pytest.mark.parametrize("kind, where", [
    ("scenario", "wizard: {bomb}"), ("scenario", "extends: {bomb}"), ("scenario", "remove: {bomb}"),
    ("topology", "wizard: {bomb}"), ("topology", "capacity"),
])
def test_an_alias_bomb_is_an_error_in_seconds_not_a_hang(tmp_path: Path, kind: str, where: str) -> None:
    """The error message wrote the offending value with repr(): 10^9 items never finished."""
    import subprocess
    import sys

    bomb = _alias_bomb()
    if kind == "scenario":
        path = tmp_path / "s.yaml"
        path.write_text(f"name: s\ntopology: {MINIMAL}\n" + where.format(bomb=bomb) + "\n", encoding="utf-8")
    else:
        text = _minimal_text()
        text = (text.replace("name: minimal", "name: minimal\n" + where.format(bomb=bomb), 1) if where != "capacity" else
                text.replace('capacity: {value: 2000, source: "assumption: wafers/week open to AI"}', f"capacity: {bomb}"))
        path = tmp_path / "t.yaml"
        path.write_text(text, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", "from supplychain.cli import main; main()", kind, "validate", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith(str(path)), proc.stderr
    assert len(proc.stderr) < 300


@pytest.mark.parametrize("kind, depth", [("scenario", 600), ("scenario", 30_000), ("topology", 30_000)])
def test_yaml_nested_too_deep_is_an_error_not_a_crash(tmp_path: Path, kind: str, depth: int) -> None:
    """libyaml composes in C recursion: 30,000 levels of `[` crashed the interpreter (segmentation fault);
    a scenario 600 levels deep was a RecursionError traceback when its layers were merged."""
    import subprocess
    import sys

    deep = "[" * depth + "]" * depth
    if kind == "scenario":
        path = tmp_path / "s.yaml"
        path.write_text(f"name: s\ntopology: {MINIMAL}\nlabs: {deep}\n", encoding="utf-8")
    else:
        path = tmp_path / "t.yaml"
        path.write_text(_minimal_text().replace("base_stock: 20", f"base_stock: {deep}"), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", "from supplychain.cli import main; main()", kind, "validate", str(path)],
                          capture_output=True, text=True, timeout=300)
    ours = f"{path}: <file>: invalid YAML: nested more than 100 levels deep ({'line 3' if kind == 'scenario' else 'line 96'})"
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2 and len(lines) == 1, (proc.returncode, proc.stderr[-500:])
    # PyYAML 6.0.4's libyaml refuses 1,000 levels itself while scanning ahead, before this check sees level 101
    theirs = lines[0].startswith(f"{path}: line ") and lines[0].endswith("invalid YAML: exceeded maximum nesting depth")
    assert lines[0] == ours or (depth >= 1000 and theirs), lines[0]


@pytest.mark.parametrize("extra, field", [
    ({"controls": [{"id": "r", "announced": "2022-01-01", "effective": "2022-02-01", "action": "license",
                    "review_days": 1e300, "approval": 0.5}]}, "controls.r.review_days.mean"),  # OutOfBoundsDatetime
    ({"labs": {"review_days": 1e-300}}, "labs.review_days"),  # reviewed forever without reaching day 1
    ({"algorithms": {"efficiency_growth": 1e300}}, "algorithms.efficiency_growth"),  # overflowed the FLOP count
    ({"generations": {"scale": 1e300}}, "generations.scale"),
    ({"rsi": {"preset": "full", "gain": 1e300}}, "rsi.gain"),
    # a quota of 0 every 0.001 days re-checked each waiting order 1,000 times a day: the run never ended
    ({"controls": [{"id": "r", "announced": "2022-01-01", "effective": "2022-02-01", "action": "quota", "quota": 0,
                    "period_days": 0.001}]}, "controls.r.period_days"),
])
def test_scenario_durations_and_rates_a_run_cannot_hold_are_refused(tmp_path: Path, extra: dict, field: str) -> None:
    sc = tmp_path / "s.yaml"
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), **extra}), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(sc)
    assert info.value.field == field, str(info.value)


@pytest.mark.parametrize("extra, field", [
    ({"demand": {"targets": {"lab": 1e300}}}, "demand.targets.lab"),
    ({"demand": {"multiplier": {"points": {"2022-01-01": 1, "2023-01-01": 1e300}}}}, "demand.multiplier"),
    ({"shocks": [{"id": "s", "kind": "demand", "start": "2022-02-01", "multiplier": 1e300, "target": {"ids": ["lab"]}}]},
     "shocks.s.multiplier"),
])
def test_lab_demand_a_fleet_cannot_hold_is_refused(tmp_path: Path, extra: dict, field: str) -> None:
    """A lab target, demand multiplier or demand shock of 1e300 ordered as much, and an unconstrained run (every
    comparison's counterfactual) installed it: infinite training FLOP/s in the fleet table."""
    sc = tmp_path / "s.yaml"
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), **extra}), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(sc)
    assert info.value.field == field and "at most" in info.value.problem, str(info.value)


@pytest.mark.parametrize("multiplier, target", [(60, {"ids": ["customers"]}), (100, {})])
def test_a_demand_shock_past_the_arrivals_a_run_can_hold_is_refused(tmp_path: Path, multiplier: float, target: dict) -> None:
    """The topology caps a poisson stream at 100 orders a day; a demand shock of 1,000 on its 2 a day passed by
    and the run never ended (a demand shock is at most 100 now, which still takes 2 a day to 200)."""
    sc = tmp_path / "s.yaml"
    shock = {"id": "s", "kind": "demand", "start": "2022-02-01", "multiplier": multiplier, "target": target}
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "shocks": [shock]}), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(sc)
    assert info.value.field == "shocks.s.multiplier" and "'customers'" in info.value.problem, str(info.value)
    shock["multiplier"] = 50  # 100 orders a day: the topology's own cap
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "shocks": [shock]}), encoding="utf-8")
    load_scenario(sc)



@pytest.mark.parametrize("cv", [1e-300, 1e-160, 0.0])
def test_a_random_shock_of_lognormal_duration_with_a_cv_too_small_to_square_loads(tmp_path: Path, cv: float) -> None:
    """A cv whose square is 0 in floats (1e-300) gave the check of overlapping occurrences a lognormal of sigma 0,
    whose quantile is nan: `int(nan)`, a ValueError traceback from `scenario validate` (found by the fuzz above)."""
    sc = tmp_path / "s.yaml"
    shock = {"id": "s", "kind": "transport", "random": {"rate_per_year": 0.5}, "multiplier": 2,
             "duration_days": {"dist": "lognormal", "mean": 30, "cv": cv}}
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "end": "2022-06-30", "shocks": [shock]}),
                  encoding="utf-8")
    assert load_scenario(sc).scenario.shocks[0].duration_days.cv == cv

def test_a_random_demand_shock_whose_occurrences_stack_past_the_arrivals_a_run_can_hold_is_refused(tmp_path: Path) -> None:
    """x2 at 365 a year lasting 30 days: each occurrence within the cap, but ~40 of them overlapped, 2^40 times the
    node's 2 orders a day, and the run never ended."""
    sc = tmp_path / "s.yaml"
    shock = {"id": "s", "kind": "demand", "random": {"rate_per_year": 365}, "duration_days": 30, "multiplier": 2,
             "target": {"ids": ["customers"]}}
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "end": "2022-06-30", "shocks": [shock]}),
                  encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(sc)
    assert info.value.field == "shocks.s.multiplier" and "occurrences typically overlap" in info.value.problem, str(info.value)
    # surges of x3 a month lasting 30 days (a day sees ~1 under way): brief peaks, which a run holds
    shock.update(random={"rate_per_year": 12}, multiplier=3)
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "end": "2022-06-30", "shocks": [shock]}),
                  encoding="utf-8")
    load_scenario(sc)


@pytest.mark.parametrize("mutate, field, problem", [
    (lambda d: node(d, "depot").update(review_days=1e-300), "nodes.depot.review_days", ""),
    (lambda d: node(d, "customers")["demand"].update(mode="fixed", period_days=1e-300), "nodes.customers.demand.period_days", ""),
    (lambda d: d["edges"][1].update(transport={"dist": "uniform", "low": 1, "high": 1e300}), "edges.1.transport.high", ""),
    # it ran, assembling each widget from a widget ordered upstream: a BOM that references itself
    (lambda d: node(d, "depot").update(bom={"widget": 1}), "nodes.depot.bom.widget", "input of itself"),
    # 1e300 installed units ran with overflow warnings and infinite training compute
    (lambda d: node(d, "lab").update(fleet={"acc": 1e300}), "nodes.lab.fleet.acc", "at most 1e+12"),
    # 1e300 in flight left on_order_h100e negative (float cancellation as its parts arrived)
    (lambda d: node(d, "lab").update(in_flight={"acc": 1e300}), "nodes.lab.in_flight.acc", "at most 1e+12"),
    # a target (or an accelerator's H100e) of 1e300 gave infinite training FLOP/s in an unconstrained run
    (lambda d: node(d, "lab").update(target_h100e=1e300), "nodes.lab.target_h100e", "at most 1e+12 H100e"),
    (lambda d: d["products"]["acc"].update(h100e=1e300), "products.acc.h100e", "less than or equal to 1000000"),
])
def test_topology_figures_a_run_cannot_hold_are_refused(tmp_path: Path, mutate, field: str, problem: str) -> None:
    data = minimal_data()
    mutate(data)
    with pytest.raises(InputError) as info:
        load_topology(write_yaml(tmp_path, data))
    assert info.value.field == field and problem in info.value.problem, str(info.value)


def test_lognormal_draws_stay_within_a_century() -> None:
    """A wide lognormal's tail (cv 10) drew days past pandas' last date (2262), a traceback at the end of a run."""
    import numpy as np

    from supplychain.quantities import MAX_DAYS, Distribution

    draw = Distribution(dist="lognormal", mean=30000, cv=10).sampler(np.random.default_rng(1))
    draws = [draw() for _ in range(2000)]
    assert max(draws) == MAX_DAYS and min(draws) > 0




SCENARIO = """\
name: s
topology: {topology}
start: 2022-01-01
end: 2024-12-31
seed: 7
replications: 2
set: {{nodes.fab.capacity: 2500, nodes.lab.target_h100e.growth: 0.4}}
labs: {{utilisation: 0.4, review_days: 14, horizon_days: 270}}
per_lab: {{lab: {{training_fraction: 0.3}}}}
demand: {{multiplier: 1.0, growth: 0.5}}
generations: {{requirement_0: 3.0e+25, scale: 10, min_training_days: 90, max_generations: 5}}
rsi: {{preset: compound, gain: 1.5, start: 2023-01-01}}
controls:
  - {{id: r1, announced: 2022-09-01, effective: 2022-10-07, action: license, review_days: {{dist: triangular, low: 10, mode: 30, high: 60}}, approval: 0.4, scope: {{destinations: [US], min_tpp: 4800}}}}
  - {{id: r2, announced: 2023-01-01, effective: 2023-02-01, action: quota, quota: 500, period_days: 90, scope: {{product_kinds: [hbm]}}}}
shocks:
  - {{id: s1, kind: capacity, start: 2023-03-01, duration_days: 120, recovery_days: 30, multiplier: 0.3, target: {{countries: [TW]}}}}
  - {{id: s2, kind: transport, random: {{rate_per_year: 0.5, first: 2022-06-01}}, duration_days: {{dist: lognormal, mean: 30, cv: 0.5}}, multiplier: 2}}
"""


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(hostile=st.sampled_from(HOSTILE + ["-5", "1e-300", "1e300", "2021-01-01", "2099-12-31", "nope", "[nope]", "{a: 1}"]),
       data=st.data())
def test_a_hostile_scalar_anywhere_in_a_scenario_loads_or_is_one_line_naming_the_file(tmp_path: Path, hostile: str,
                                                                                        data: st.DataObject) -> None:
    """Replace one number, date or word of a scenario using every feature by a hostile scalar."""
    import re
    import warnings

    text = SCENARIO.format(topology=MINIMAL)
    spots = [m.span() for m in re.finditer(r"(?<=[:\[,] )[-\w.+]+", text)]
    start, end = spots[data.draw(st.integers(0, len(spots) - 1))]
    path = tmp_path / "s.yaml"
    path.write_text(text[:start] + hostile + text[end:], encoding="utf-8")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_scenario(path)
    except InputError as err:
        line = str(err)
        assert "\n" not in line and len(line) < 400, line
        assert line.startswith((str(path), str(MINIMAL))), line
