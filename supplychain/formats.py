"""Readers and writers for the topology file formats.

Each reader returns plain data (the YAML shape) for `parse_topology` to
validate; each writer takes that plain data and writes it atomically.
YAML is authored by people; node-link JSON is networkx's interchange form.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import networkx as nx

from .errors import InputError
from .outputs import atomic_write_text

__all__ = ["READERS", "WRITERS"]


def _write_yaml(data: dict[str, Any], path: Path) -> None:
    from .topology import dump_yaml

    atomic_write_text(path, dump_yaml(data))


def _graph_from_data(data: dict[str, Any]) -> nx.DiGraph:
    from .topology import model_to_graph, parse_topology

    g = model_to_graph(parse_topology(data))
    g.graph.pop("model", None)
    return g


def _write_json(data: dict[str, Any], path: Path) -> None:
    g = _graph_from_data(data)
    payload = nx.node_link_data(g, edges="links")
    atomic_write_text(path, json.dumps(payload, indent=1, default=str))


def _read_json(path: Path) -> dict[str, Any]:
    from .topology import graph_to_data

    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(path, "<file>", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}") from None
    if not isinstance(payload, dict):
        raise InputError(path, "<root>", f"expected node-link JSON object (got {type(payload).__name__})")
    if "nodes" in payload and isinstance(payload.get("nodes"), list) and "links" not in payload and "edges" in payload:
        return payload  # the YAML shape written as JSON
    try:
        g = nx.node_link_graph(payload, directed=True, multigraph=False, edges="links")
    except (KeyError, TypeError, ValueError, nx.NetworkXError) as exc:
        raise InputError(path, "<root>", f"not node-link JSON ({exc!s})") from None
    return graph_to_data(g)


READERS: dict[str, Callable[[Path], dict[str, Any]]] = {"json": _read_json}
WRITERS: dict[str, Callable[[dict[str, Any], Path], None]] = {"yaml": _write_yaml, "json": _write_json}
