"""JSON Schemas of the files users write: a YAML topology and a scenario (policy) file.

pydantic writes them from the models that validate the files, so they cannot drift
from the loader. `supplychain topology schema` and `supplychain scenario schema` print
them. An editor given one (VS Code's YAML extension: a first line
`# yaml-language-server: $schema=topology.schema.json`) completes field names, shows
their descriptions and flags a misspelt or misplaced field while the file is written:
the field reference of the files.

A schema checks names, types, kinds and the bounds of plain fields. The rest is the
loader's: a schedule's range (a yield over 1, a negative capacity), what spans fields
(an edge to an unknown node, a cycle, a rule naming a product the topology lacks):
`supplychain topology validate` and `scenario validate` stay the word on a file.
"""

from __future__ import annotations

from typing import Any

from .schema import TopologyModel
from .scenario_schema import Scenario

__all__ = ["topology_schema", "scenario_schema", "SCHEMA_DIALECT"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"  # what pydantic writes


#: pydantic's names of bounds it leaves as they are on a number behind a validator (`quantities.Number`):
#: keywords no JSON Schema validator knows, so `cv: 20` passed; renamed to JSON Schema's own
_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _json_bounds(node: Any) -> Any:
    """`node` with every number's pydantic bounds under their JSON Schema names."""
    if isinstance(node, list):
        return [_json_bounds(v) for v in node]
    if not isinstance(node, dict):
        return node
    number = node.get("type") in ("number", "integer")
    return {(_BOUNDS.get(k, k) if number else k): _json_bounds(v) for k, v in node.items()}


def topology_schema() -> dict[str, Any]:
    """The JSON Schema of a YAML topology file (the node-link JSON, GraphML and CSV forms are other layouts)."""
    schema = _json_bounds(TopologyModel.model_json_schema())
    return {"$schema": SCHEMA_DIALECT, **schema, "title": "supplychain topology"}


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file: the scenario's fields, and `extends` and `remove`, which the file
    layer reads (`scenario_merge`) before the fields are validated."""
    schema = _json_bounds(Scenario.model_json_schema())
    props = dict(schema["properties"])
    props["extends"] = {
        "description": "scenario file(s) this one starts from, relative to this file; later files and this one "
                       "merge over earlier ones",
        "anyOf": [{"type": "string", "minLength": 1},
                  {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}],
    }
    props["remove"] = {
        "description": "ids of inherited controls or shocks to drop (`controls.*`, `shocks.*`: all of them)",
        "type": "array", "items": {"type": "string"},
    }
    return {"$schema": SCHEMA_DIALECT, **schema, "title": "supplychain scenario", "properties": props}
