"""Readers and writers for the topology file formats.

Each reader returns plain data (the YAML shape: `name`, `products`, `nodes`,
`edges`, ...) for `parse_topology` to validate; each writer takes that plain
data and writes it atomically. YAML is authored by people; node-link JSON and
GraphML are interchange forms; a CSV folder is for spreadsheet users (layout
in `csvfolder`). Readers never let a parser exception escape: malformed input
becomes an `InputError` naming the file and the field path.

GraphML holds scalars only, so structured fields (schedules, lists, BOMs,
distributions) are JSON text in string-typed attributes, and the graph-level
`products` and `sources` are JSON text too. Edges are written one per
(supplier, customer, product), keyed by the product, so any GraphML tool sees
the flows as parallel edges.
"""

from __future__ import annotations

import json
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable

import networkx as nx
import yaml
from networkx.readwrite.graphml import GraphMLReader

from . import csvfolder
from .errors import InputError
from .fields import NODE_FIELDS, lean, node_class, read_text, short, writing
from .outputs import atomic_path, atomic_write_text
from .schema import Edge, Product

__all__ = ["READERS", "WRITERS", "json_cell", "read_stream", "DISPLAY_FIELDS"]

GRAPH_KEYS = ("name", "description", "start", "products", "sources")
_GRAPHML_NS = "{http://graphml.graphdrawing.org/xmlns}"


# --- YAML -------------------------------------------------------------------


def _write_yaml(data: dict[str, Any], path: Path) -> None:
    """Write what a person would author: defaults left out, constant schedules as numbers."""
    from .topology import dump_yaml

    lean_data = {k: v for k, v in data.items() if k not in ("products", "nodes", "edges")}
    lean_data["products"] = {pid: lean(p, Product) for pid, p in (data.get("products") or {}).items()}
    lean_data["nodes"] = [_id_first(lean(n, node_class(n.get("kind")))) for n in data.get("nodes") or []]
    lean_data["edges"] = [lean(e, Edge) for e in data.get("edges") or []]
    dumper = getattr(yaml, "CSafeDumper", None)  # libyaml: ~10x faster on generated networks
    text = yaml.dump(lean_data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100) if dumper else dump_yaml(lean_data)
    with writing(path):
        atomic_write_text(path, text)


def _id_first(node: dict[str, Any]) -> dict[str, Any]:
    head = {k: node[k] for k in ("id", "kind", "name", "country") if k in node}
    return {**head, **{k: v for k, v in node.items() if k not in head}}


# --- node-link JSON ---------------------------------------------------------


def _write_json(data: dict[str, Any], path: Path) -> None:
    from .topology import model_to_graph, parse_topology

    g = model_to_graph(parse_topology(data, path))
    for cached in ("model", "model_data"):  # the validated form the loader keeps on a graph
        g.graph.pop(cached, None)
    try:
        payload = nx.node_link_data(g, edges="links")  # networkx 3.6 writes `edges` by default
    except TypeError:  # networkx 3.2-3.3 (pyproject allows them) have no `edges=` and write `links`
        payload = nx.node_link_data(g)
    with writing(path):
        atomic_write_text(path, json.dumps(payload, indent=1, ensure_ascii=False))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key given twice is an error (json would silently keep the last, YAML refuses it)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _read_json(path: Path) -> dict[str, Any]:
    return _parse_json(read_text(path), path)


def _parse_json(text: str, path: Path) -> dict[str, Any]:
    from .topology import scalar_problem

    try:
        payload = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(path, "<root>", "JSON nested too deeply") from None
    except ValueError as exc:  # a duplicate key, or an integer too long to read
        raise InputError(path, "<file>", f"invalid JSON: {scalar_problem(exc)}") from None
    if not isinstance(payload, dict):
        raise InputError(path, "<root>", f"expected a JSON object (got {short(payload)})")
    if not {"links", "directed", "graph", "multigraph"} & payload.keys():
        return payload  # the YAML shape written as JSON; parse_topology validates it
    if payload.get("directed", True) is not True:  # networkx would read the links both ways
        raise InputError(path, "directed", f"goods flow one way; expected true (got {payload['directed']!r})")
    return _from_node_link(payload, path)


def _mapping(value: Any, file: Path, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(file, field, f"expected a mapping (got {short(value)})")
    return value


def _sequence(value: Any, file: Path, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(file, field, f"expected a list (got {short(value)})")
    return value


def _from_node_link(payload: dict[str, Any], file: Path) -> dict[str, Any]:
    """Node-link JSON (networkx's form) -> the YAML shape, checking its structure on the way.

    A link carries either `flows` (product -> {share, transport, source}, as
    written here) or one flow inline (`product`, `share`, `transport`, `source`).
    """
    graph = _mapping(payload.get("graph", {}), file, "graph")
    data: dict[str, Any] = {k: v for k, v in graph.items() if v is not None}
    data["nodes"] = []
    for i, node in enumerate(_sequence(payload.get("nodes", []), file, "nodes")):
        node = _mapping(node, file, f"nodes.{i}")
        if "id" not in node:
            raise InputError(file, f"nodes.{i}.id", "missing node id")
        data["nodes"].append(dict(node))
    if "links" in payload and "edges" in payload:  # one would be read, the other silently ignored
        raise InputError(file, "edges", "both `links` and `edges` hold the flows; give one")
    key = "links" if "links" in payload else "edges"
    edges: list[dict[str, Any]] = []
    for i, link in enumerate(_sequence(payload.get(key, []), file, key)):
        link = dict(_mapping(link, file, f"{key}.{i}"))
        for end in ("source", "target"):
            if end not in link:
                raise InputError(file, f"{key}.{i}.{end}", "missing link end")
        ends = {"from": link.pop("source"), "to": link.pop("target")}
        link.pop("key", None)
        if "flows" in link:
            flows = _mapping(link.pop("flows"), file, f"{key}.{i}.flows")
            if link:
                raise InputError(file, f"{key}.{i}.{next(iter(link))}", "unknown link field (flows go in `flows`)")
            for product, flow in flows.items():
                flow = _mapping(flow, file, f"{key}.{i}.flows.{product}")
                edges.append({**ends, "product": product, **flow})
        else:
            edges.append({**ends, **link})
    data["edges"] = edges
    return data


# --- GraphML ----------------------------------------------------------------


def _write_graphml(data: dict[str, Any], path: Path) -> None:
    g = nx.MultiDiGraph()
    for key in GRAPH_KEYS:
        value = data.get(key)
        if value is not None:
            g.graph[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    for node in data["nodes"]:
        attrs = lean(node, node_class(node["kind"]))
        attrs.pop("id")
        g.add_node(node["id"], **{k: _graphml_value(k, v) for k, v in attrs.items()})
    for edge in data["edges"]:
        attrs = lean(edge, Edge)
        u, v, product = attrs.pop("from"), attrs.pop("to"), attrs.pop("product")
        flow = {k: (val if isinstance(val, str) and k == "source" else json.dumps(val)) for k, val in attrs.items()}
        g.add_edge(u, v, key=product, product=product, **flow)
    with writing(path), atomic_path(path, ".graphml") as tmp:
        nx.write_graphml(g, tmp, encoding="utf-8")


def _graphml_value(field: str, value: Any) -> Any:
    meta = NODE_FIELDS.get(field)
    if meta is not None and meta.structured:
        return json.dumps(value, ensure_ascii=False)
    return value


def _decode(value: Any, file: Path, field: str) -> Any:
    if not isinstance(value, str):
        return value
    return json_cell(value, file, field)


def json_cell(value: str, file: Path, field: str) -> Any:
    """The JSON text of a GraphML attribute or a CSV cell; any problem is an `InputError` at `field`."""
    from .topology import scalar_problem

    try:
        return json.loads(value)
    except (json.JSONDecodeError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise InputError(file, field, f"not valid JSON: {reason} (got {short(value)})") from None
    except ValueError as exc:  # an integer too long to read
        raise InputError(file, field, f"not valid JSON: {scalar_problem(exc)} (got {short(value)})") from None


#: what graph editors add for drawing (Gephi's label, position, size and colour; yEd's geometry, label and
#: shape, as networkx reads them; an edge's GraphML id, which networkx writes back as data): not topology
#: fields, so left out, and a node's label becomes its `name` if it has none
DISPLAY_FIELDS = frozenset({"label", "x", "y", "z", "size", "width", "height", "r", "g", "b", "color", "shape_type",
                            "weight", "id"})

#: GraphML's numeric and boolean attr.types, as networkx reads them
_GRAPHML_TYPES: dict[str, Callable[[str], Any]] = {"int": int, "long": int, "float": float, "double": float}
_GRAPHML_BOOLEANS = {"true", "false", "1", "0"}


def _check_typed_data(root: ET.Element, path: Path) -> None:
    """A <data> value its <key> declares a number or a boolean, and that is not one, named by its
    node and field (networkx's reader says only `could not convert string to float`)."""
    types = {el.get("id"): (el.get("attr.name") or el.get("id"), el.get("attr.type"))
             for el in root.iter(f"{_GRAPHML_NS}key") if el.get("attr.type") in (*_GRAPHML_TYPES, "boolean")}
    if not types:
        return
    edges = 0
    for el in root.iter():
        if el.tag == f"{_GRAPHML_NS}edge":
            where, edges = f"edges.{edges}", edges + 1
        elif el.tag == f"{_GRAPHML_NS}node":
            where = f"nodes.{el.get('id')}"
        elif el.tag == f"{_GRAPHML_NS}graph":
            where = "graph"
        else:
            continue
        for data in el.findall(f"{_GRAPHML_NS}data"):
            name, kind = types.get(data.get("key"), (None, None))
            if kind is None:
                continue
            text = data.text or ""  # as networkx reads it: a number may be padded (`float(" 3 ")`), a boolean not
            try:
                ok = text.lower() in _GRAPHML_BOOLEANS if kind == "boolean" else (_GRAPHML_TYPES[kind](text) is not None)
            except ValueError:
                ok = False
            if not ok:
                raise InputError(path, f"{where}.{name}", f"not a {kind}, as its <key> declares (got {short(text)})")


def _read_graphml(path: Path) -> dict[str, Any]:
    return _parse_graphml(read_text(path), path)


def _parse_graphml(text: str, path: Path) -> dict[str, Any]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, col = exc.position
        raise InputError(path, f"line {line}, column {col + 1}", f"invalid XML: {str(exc).split(':')[0]}") from None
    except ValueError as exc:  # e.g. an encoding declaration on decoded text
        raise InputError(path, "<root>", f"invalid XML: {exc}") from None
    seen: set[str | None] = set()
    for el in root.iter(f"{_GRAPHML_NS}node"):
        nid = el.get("id")
        if nid in seen:
            raise InputError(path, f"nodes.{nid}.id", f"duplicate node id (got {nid!r})")
        seen.add(nid)
    for i, el in enumerate(root.iter(f"{_GRAPHML_NS}edge")):  # networkx would add the node, without a kind
        for end, field in (("source", "from"), ("target", "to")):
            if el.get(end) not in seen:
                raise InputError(path, f"edges.{i}.{field}", f"unknown node: no <node> has this id (got {el.get(end)!r})")
    for el in root.iter(f"{_GRAPHML_NS}node"):  # networkx reads a nested graph only as a yEd group, else drops it
        if el.find(f"{_GRAPHML_NS}graph") is not None:
            raise InputError(path, f"nodes.{el.get('id')}", "holds a nested <graph> (a group); a topology is one flat graph")
    _check_typed_data(root, path)
    try:
        # networkx raises an open-ended set of exceptions (KeyError, ValueError,
        # NetworkXError, ...) on malformed GraphML; all mean "cannot read this".
        with warnings.catch_warnings():  # a <key> without attr.type is a string by the GraphML spec, not a problem
            warnings.filterwarnings("ignore", message="No key type for id", category=UserWarning)
            warnings.filterwarnings("ignore", message="GraphML port tag", category=UserWarning)  # drawing only
            graphs = list(GraphMLReader(node_type=str, edge_key_type=str, force_multigraph=True)(string=text))
    except Exception as exc:  # noqa: BLE001 - see above
        raise InputError(path, "<root>", f"not GraphML ({type(exc).__name__}: {short(str(exc), 80)})") from None
    if not graphs:
        raise InputError(path, "<root>", "no <graph> element in the GraphML file")
    if len(graphs) > 1:  # the others would be ignored
        raise InputError(path, "<root>", f"one topology is one <graph>; the file has {len(graphs)}")
    g = graphs[0]
    if not g.is_directed():
        raise InputError(path, "graph.edgedefault", "goods flow one way; expected a directed graph (got undirected)")
    data: dict[str, Any] = {}
    for key, value in g.graph.items():
        if key in ("node_default", "edge_default"):  # added by networkx's reader
            continue
        data[key] = _decode(value, path, key) if key in ("products", "sources") else value
    data["nodes"] = []
    for nid, attrs in g.nodes(data=True):
        node: dict[str, Any] = {"id": nid}
        if "name" not in attrs and isinstance(attrs.get("label"), str) and attrs["label"] != nid:
            node["name"] = attrs["label"]
        for key, value in attrs.items():
            if key in DISPLAY_FIELDS:
                continue
            meta = NODE_FIELDS.get(key)
            node[key] = _decode(value, path, f"nodes.{nid}.{key}") if meta and meta.structured else value
        data["nodes"].append(node)
    data["edges"] = []
    for i, (u, v, attrs) in enumerate(g.edges(data=True)):
        edge: dict[str, Any] = {"from": u, "to": v}
        for key, value in attrs.items():
            if key in DISPLAY_FIELDS:
                continue
            edge[key] = _decode(value, path, f"edges.{i}.{key}") if key in ("share", "transport") else value
        if "product" not in edge:
            raise InputError(path, f"edges.{i}.product", f"missing product on edge {u} -> {v}")
        data["edges"].append(edge)
    return data


def read_stream(path: Path) -> Any:
    """A topology read from a stream (`/dev/stdin`, `<(cat t.yaml)`), whose format its content says: it has no
    suffix, and can be read once. XML is GraphML; text that is a JSON document is JSON (node-link or the YAML
    shape); any other is YAML. A CSV topology is a folder, which no stream can be."""
    from .topology import parse_yaml

    text = read_text(path)
    start = text.lstrip()
    if start.startswith("<"):
        return _parse_graphml(text, path)
    if start[:1] in ("{", "["):
        try:  # else a YAML flow mapping, whose error says what is wrong with it as YAML
            json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:
            return _parse_json(text, path)
    first = start.partition("\n")[0]
    csv = "," in first and ":" not in first and first[:1] not in ("#", "-", "'", '"', "%")  # `id,kind,country,...`
    data = None if csv else parse_yaml(text, path)  # a table read as YAML: "invalid YAML" at some line
    if not isinstance(data, dict):
        got = "a CSV table" if csv else "an empty stream" if data is None else short(data)
        raise InputError(path, "<root>", f"expected a YAML, JSON or GraphML topology; a CSV topology is a folder "
                                         f"(nodes.csv, edges.csv), which a stream cannot be (got {got})")
    return data


READERS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "json": _read_json,
    "graphml": _read_graphml,
    "csv": csvfolder.read_folder,
}
WRITERS: dict[str, Callable[[dict[str, Any], Path], None]] = {
    "yaml": _write_yaml,
    "json": _write_json,
    "graphml": _write_graphml,
    "csv": csvfolder.write_folder,
}
