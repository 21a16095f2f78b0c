"""Second round of hostile input: what YAML, JSON, CSV and GraphML parsers can hand the schema.

Each case is a file a person could write by mistake (a huge integer, an explicit YAML tag, a date
as a number, a duplicate JSON key, ...): it loads as meant, or it is an `InputError` whose one line
names the file and the field, and the command exits 2 without a traceback. (Schema-valid figures
too large or too small for a run to hold: test_hostile_limits.py.)
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
    ("!!timestamp 2022-01-01T00:00:00Z", "expected a date without a time of day (got '2022-01-01T00:00:00Z')"),  # a time zone
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


def test_a_tagged_value_is_named_by_its_path_first_in_the_file_and_by_index_when_its_id_holds_a_dot(tmp_path: Path) -> None:
    """The first of two refused values in the file's order, `<root>` for a whole file of one, and a list entry
    whose id holds a dot by its index: `nodes.de.pot.base_stock` would read as a path of four fields."""
    sc = tmp_path / "s.yaml"
    sc.write_text(f"name: s\ntopology: {MINIMAL}\nlabs: {{utilisation: !!binary MQ==}}\nseed: !mine 1\n", encoding="utf-8")
    assert assert_clean_failure(cli("scenario", "validate", sc)).startswith(f"{sc}: labs.utilisation: a binary (!!binary)")
    sc.write_text("!!binary MQ==\n", encoding="utf-8")
    assert assert_clean_failure(cli("scenario", "validate", sc)) == f"{sc}: <root>: a binary (!!binary) value; write it as text"
    topo = tmp_path / "t.yaml"
    index = [n["id"] for n in yaml.safe_load(_minimal_text())["nodes"]].index("depot")
    topo.write_text(_minimal_text().replace("id: depot", "id: de.pot").replace("base_stock: 20", "base_stock: !!binary MQ=="),
                    encoding="utf-8")
    assert assert_clean_failure(cli("topology", "validate", topo)).startswith(f"{topo}: nodes.{index}.base_stock: a binary")


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


# --- any hostile scalar in a scenario -------------------------------------------

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
