"""Second round of hostile input: what YAML, JSON, CSV and GraphML parsers can hand the schema.

Each case is a file a person could write by mistake (a huge integer, an explicit YAML tag, a date
as a number, a duplicate JSON key, ...): it loads as meant, or it is an `InputError` whose one line
names the file and the field, and the command exits 2 without a traceback.
"""

from __future__ import annotations

import json
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
