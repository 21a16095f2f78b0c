"""The JSON Schemas of topology and scenario files (`supplychain topology schema`, `scenario schema`): every file
the loader takes, the schema takes; a misspelt field it flags where the loader does."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from supplychain.cli import app
from supplychain.file_schemas import scenario_schema, topology_schema
from supplychain.generate import generate_topology
from supplychain.topology import model_to_graph, save_topology

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGIES = sorted((ROOT / "topology").glob("*.yaml"))
POLICIES = sorted((ROOT / "policies").glob("*.yaml"))


def as_editor_reads(data: Any) -> Any:
    """YAML as a YAML 1.2 editor hands it to the schema: an unquoted date is text, not PyYAML's `date`."""
    if isinstance(data, dict):
        return {(k.isoformat() if isinstance(k, dt.date) else k): as_editor_reads(v) for k, v in data.items()}
    if isinstance(data, list):
        return [as_editor_reads(v) for v in data]
    return data.isoformat() if isinstance(data, dt.date) else data


def errors(schema: dict[str, Any], data: Any) -> list[str]:
    check = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in check.iter_errors(as_editor_reads(data))]


def test_the_schemas_are_valid_json_schemas_titled_by_the_file_they_describe():
    """An editor (VS Code's YAML extension) shows a schema's title: the kind of file, not pydantic's class name."""
    for schema, title in ((topology_schema(), "supplychain topology"), (scenario_schema(), "supplychain scenario")):
        jsonschema.Draft202012Validator.check_schema(schema)
        assert (schema["title"], schema["$schema"]) == (title, "https://json-schema.org/draft/2020-12/schema")


@pytest.mark.parametrize("path", TOPOLOGIES, ids=lambda p: p.name)
def test_every_shipped_topology_meets_the_schema(path):
    """Bare numbers for schedules (`share: 1.0`) and distributions included: the loader's shorthand."""
    assert errors(topology_schema(), yaml.safe_load(path.read_text())) == []


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_every_shipped_policy_meets_the_schema(path):
    """`extends` and `remove` included, which the file layer reads before the scenario's fields."""
    assert errors(scenario_schema(), yaml.safe_load(path.read_text())) == []


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nodes=st.integers(min_value=20, max_value=80), seed=st.integers(min_value=0, max_value=10_000))
def test_a_generated_topology_written_as_yaml_meets_the_schema(tmp_path, nodes, seed):
    path = tmp_path / f"g{nodes}_{seed}.yaml"
    save_topology(model_to_graph(generate_topology(nodes, seed)), path)
    assert errors(topology_schema(), yaml.safe_load(path.read_text())) == []


def test_the_schema_flags_what_the_loader_refuses_field_by_field():
    minimal = as_editor_reads(yaml.safe_load((ROOT / "topology" / "minimal.yaml").read_text()))
    typo = json.loads(json.dumps(minimal))
    typo["edges"][0]["shares"] = typo["edges"][0].pop("share", 1.0)
    assert any(e.startswith("edges.0: Additional properties are not allowed ('shares'") for e in errors(topology_schema(), typo))
    for edit in ({"transport": {"dist": "normal", "mean": 5}}, {"transport": {"dist": "lognormal", "mean": 5, "cv": 20}}):
        bad = json.loads(json.dumps(minimal))
        bad["edges"][0].update(edit)
        assert errors(topology_schema(), bad), edit
    unknown_kind = json.loads(json.dumps(minimal))
    unknown_kind["nodes"][0]["kind"] = "factory"
    assert errors(topology_schema(), unknown_kind)
    assert errors(scenario_schema(), {"name": "x", "shocks": [{"id": "s", "target": {"country": ["TW"]}}]})
    assert errors(scenario_schema(), {"extends": []})
    assert errors(scenario_schema(), {"name": "x", "extends": "baseline.yaml", "remove": ["r1"]}) == []


@settings(max_examples=60, deadline=None)
@given(mean=st.floats(-10, 40_000, allow_nan=False), cv=st.floats(-1, 12, allow_nan=False))
def test_on_a_figures_bounds_the_schema_and_the_loader_agree(mean, cv):
    """A lognormal transport time: its mean and cv are plain bounded fields, so the schema takes exactly what the
    loader takes. pydantic wrote the bounds of a number behind a validator as `ge`/`le`, which no JSON Schema
    validator reads: cv 20 passed the schema and failed the loader."""
    from pydantic import ValidationError

    from supplychain.quantities import Distribution

    data = {"dist": "lognormal", "mean": mean, "cv": cv}
    try:
        Distribution.model_validate(data)
        loader = True
    except ValidationError:
        loader = False
    schema = {"$defs": topology_schema()["$defs"], "$ref": "#/$defs/Distribution"}
    assert (errors(schema, data) == []) == loader


def test_the_cli_prints_the_schemas():
    runner = CliRunner()
    for group, schema in (("topology", topology_schema()), ("scenario", scenario_schema())):
        res = runner.invoke(app, [group, "schema"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout) == schema
