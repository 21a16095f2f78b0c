"""Topology files <-> validated `networkx.DiGraph`.

The graph is the interchange object: node attributes are the node's fields
(plain JSON-able values), edge attributes hold a `flows` mapping product ->
{share, transport, source} because one supplier may ship several products to
one customer, and `graph.graph` holds the name, products and sources. Every
loader ends in `TopologyModel` validation plus the named checks of
`validation`, so a graph that loads is a graph the engine can run.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import networkx as nx
import yaml
from pydantic import ValidationError

from .arguments import given_path
from .errors import InputError, from_validation_error, short
from .schema import TopologyModel
from .stream_paths import is_stream
from .yaml_tags import TagError, check_tags, install as install_tags

__all__ = [
    "load_topology",
    "as_model",
    "save_topology",
    "model_to_graph",
    "graph_to_model",
    "parse_topology",
    "read_yaml",
    "parse_yaml",
    "load_yaml_text",
    "graph_to_data",
    "output_format",
    "dump_yaml",
    "scalar_problem",
]

FILE_SUFFIXES = (".yaml", ".yml", ".json", ".graphml")


def output_format(path: Path) -> str:
    """The format a topology is written in: the suffix's, a CSV folder without one (or for an existing folder)."""
    if path.is_dir() and path.suffix.lower() in FILE_SUFFIXES:  # it would have become a CSV folder named .yaml
        raise InputError(path, "<file>", f"is a folder; a {path.suffix} topology is a file (a CSV topology is a folder without a suffix)")
    return "csv" if path.suffix == "" or path.is_dir() else detect_format(path)


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == "":
        return "csv"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    if suffix == ".graphml":
        return "graphml"
    raise InputError(path, "<file>", f"unknown topology format {suffix!r} (use .yaml, .json, .graphml or a CSV folder)")


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses ~5x faster when present


class _Loader(_SafeLoader):  # type: ignore[misc,valid-type]
    """SafeLoader that leaves dates as strings, so pydantic parses them and a bad
    date is reported with its field path instead of a YAML constructor error."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    """Reject a key given twice in one mapping (YAML would silently keep the last)."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line
        except TypeError:  # unhashable key: the base constructor reports it
            continue
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
install_tags(_Loader)  # !!binary, !!set, !!omap, !!pairs, a time of day, unknown tags: refused by field (check_tags)
# YAML 1.2 floats that YAML 1.1 reads as text: `1e5`, `3.0e25`, `2E-3` (1.1 wants a dot and a signed
# exponent), so `capacity: 1e5` is a number wherever it is written, not a string some fields refuse
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789")
)


#: the deepest nesting of mappings and lists a file may have (real files nest ~6 levels)
MAX_NESTING = 100


def _check_nesting(text: str) -> None:
    """Refuse text nested deeper than `MAX_NESTING`, before it is composed: libyaml composes in C
    recursion and crashed the interpreter (segmentation fault) at ~30,000 levels (`[[[...]]]`),
    and a scenario ~600 levels deep overflowed Python's stack when merged (RecursionError traceback).
    Parsing is event by event, so counting the depth cannot overflow."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise ValueError(f"nested more than {MAX_NESTING} levels deep (line {event.start_mark.line + 1})")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_yaml_text(text: str) -> Any:
    """Parse YAML text as topology and scenario files are read (dates stay text, no duplicate keys).

    Raises `yaml.YAMLError`, or `ValueError` for a scalar no Python value can hold (an integer of
    thousands of digits, `!!timestamp 2024-13-01`, `!!int abc`) or for nesting deeper than
    `MAX_NESTING`, its `TagError` for a value no field can use (`!!binary`, `!!set`: `yaml_tags`),
    or `RecursionError`.
    """
    _check_nesting(text)
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except (ValueError, OverflowError, TypeError) as exc:  # raised by the constructors of explicit tags and huge ints
        raise ValueError(scalar_problem(exc)) from None
    check_tags(data)
    return data


def scalar_problem(exc: Exception) -> str:
    """Why a parser could not make a value of a scalar, in words for the file's author."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "integer string conversion" in text:  # Python's guard against quadratic int parsing
        return "a number too long to read (more than 4,300 digits)"
    return text


def yaml_problem(exc: yaml.YAMLError, text: str) -> str:
    """A YAML syntax error in words, whole: libyaml gives half of some in its `context` ("found duplicate anchor;
    first occurrence" and the problem "second occurrence"), names no anchor or alias, and says where an unclosed
    bracket or quote began only there ("while parsing a flow sequence", at its line)."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark, context, at = getattr(exc, "problem_mark", None), getattr(exc, "context", None), getattr(exc, "context_mark", None)
    named = re.match(r"[&*]([^\s,\[\]{}]+)", text[mark.index:]) if mark is not None and mark.index is not None else None
    if problem.startswith("found undefined alias") and named:
        return f"the alias *{named[1]} names no anchor &{named[1]} before it"
    if problem == "second occurrence" and context and context.startswith("found duplicate anchor"):
        first = f" (first on line {at.line + 1})" if at is not None else ""
        return f"the anchor &{named[1]} is defined twice{first}" if named else f"an anchor is defined twice{first}"
    if problem.startswith("exceeded maximum nesting depth"):  # its context, "while increasing flow level", adds nothing
        return problem
    if context and at is not None:  # "while parsing a flow sequence", "expected a single document in the stream"
        return (f"{context} from line {at.line + 1}: {problem}" if context.startswith("while ")
                else f"{context} (line {at.line + 1}), {problem}")
    return problem


def read_yaml(path: Path) -> Any:
    """Read a YAML file, turning every I/O or syntax problem into an `InputError`."""
    from .fields import read_text

    return parse_yaml(read_text(Path(path)), path)


def parse_yaml(text: str, path: Path) -> Any:
    """YAML text read from `path`, every syntax problem an `InputError` (a stream's text is read only once)."""
    try:
        return load_yaml_text(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "<file>"
        raise InputError(path, where, f"invalid YAML: {yaml_problem(exc, text)}") from None
    except TagError as exc:
        raise InputError(path, exc.field, exc.problem) from None
    except ValueError as exc:
        raise InputError(path, "<file>", f"invalid YAML: {exc}") from None
    except RecursionError:
        raise InputError(path, "<file>", "invalid YAML: nested too deeply") from None


def _node_names(data: Any) -> dict[str, str]:
    """Map `nodes.<i>` to `nodes.<id>` so error paths name the node, not its index."""
    names: dict[str, str] = {}
    if isinstance(data, dict):
        for i, node in enumerate(data.get("nodes") or []) if isinstance(data.get("nodes"), list) else []:
            if not isinstance(node, dict):
                continue
            nid = node.get("id")
            readable = isinstance(nid, str) and nid and "." not in nid and nid.isprintable() and " " not in nid
            nice = f"nodes.{nid}" if readable else f"nodes.{i}"
            names[f"nodes.{i}.{node.get('kind')}"] = nice  # pydantic puts the union tag in the path
            names[f"nodes.{i}"] = nice
    return names


def parse_topology(data: Any, file: str | Path | None = None) -> TopologyModel:
    """Validate raw data (as read from YAML/JSON) into a `TopologyModel` and run the checks."""
    from .validation import check_topology

    if not isinstance(data, dict):
        raise InputError(file, "<root>", "the file is empty (or only comments); expected a mapping with nodes and edges"
                         if data is None else f"expected a mapping with nodes and edges (got {short(data)})")
    if "nodes" not in data and any(k in data for k in ("topology", "labs", "controls", "shocks", "extends")):
        raise InputError(file, "<root>", "this is a scenario (it has no nodes, and scenario fields), not a topology: "
                                         "give it as the scenario, with its topology as --topology or its `topology:` field")
    try:
        model = TopologyModel.model_validate(data)
    except ValidationError as err:
        names = _node_names(data)
        # more specific keys first so `nodes.3.fab` wins over `nodes.3`
        names = dict(sorted(names.items(), key=lambda kv: -len(kv[0])))
        raise from_validation_error(file, err, names=names, model=TopologyModel, data=data) from None
    check_topology(model, file)
    return model


def model_to_graph(model: TopologyModel) -> nx.DiGraph:
    """Build the DiGraph: one node per node, one edge per (supplier, customer) with its flows."""
    g = nx.DiGraph()
    g.graph.update(
        {
            "name": model.name,
            "description": model.description,
            "start": model.start.isoformat() if model.start else None,
            "products": {k: p.model_dump(mode="json", exclude_none=True, by_alias=True) for k, p in model.products.items()},
            "sources": list(model.sources),
        }
    )
    for node in model.nodes:
        g.add_node(node.id, **node.model_dump(mode="json", exclude_none=True, by_alias=True, exclude={"id"}))
    for edge in model.edges:
        flow = edge.model_dump(mode="json", exclude_none=True, by_alias=True, exclude={"source_id", "target", "product"})
        if g.has_edge(edge.source_id, edge.target):
            g.edges[edge.source_id, edge.target]["flows"][edge.product] = flow
        else:
            g.add_edge(edge.source_id, edge.target, flows={edge.product: flow})
    _cache(g, model, graph_to_data(g))
    return g


def _cache(g: nx.DiGraph, model: TopologyModel, data: dict[str, Any]) -> None:
    """Keep the validated model on the graph with a copy of the data it was made from (no edit of the
    graph reaches the copy): an edit since (a capacity, a share set in networkx) makes the graph the
    user's, not the cache's. Both travel with the graph (a copy, a pickle to a worker); writers drop them."""
    g.graph["model"], g.graph["model_data"] = model, copy.deepcopy(data)


def graph_to_model(g: nx.DiGraph, file: str | Path | None = None) -> TopologyModel:
    """Recover (and re-validate) the model from a graph, e.g. one a user edited in networkx."""
    cached, data = g.graph.get("model"), graph_to_data(g)
    if isinstance(cached, TopologyModel) and g.graph.get("model_data") == data:
        return cached
    model = parse_topology(data, file)
    _cache(g, model, data)  # the edited graph validated: the cache now
    return model


def graph_to_data(g: nx.DiGraph) -> dict[str, Any]:
    """The plain-data form of a graph (what YAML and JSON files hold)."""
    data: dict[str, Any] = {"name": g.graph.get("name", "topology")}
    for key in ("description", "start"):
        if g.graph.get(key) is not None:
            data[key] = g.graph[key]
    if g.graph.get("sources"):
        data["sources"] = list(g.graph["sources"])
    data["products"] = dict(g.graph.get("products") or {})
    data["nodes"] = [{"id": n, **attrs} for n, attrs in g.nodes(data=True)]
    edges = []
    for u, v, attrs in g.edges(data=True):
        for product, flow in (attrs.get("flows") or {}).items():
            edges.append({"from": u, "to": v, "product": product, **flow})
    data["edges"] = edges
    return data


def as_model(topology: str | Path | nx.DiGraph | TopologyModel) -> TopologyModel:
    """The validated model of a topology given as a file path, a graph or a model."""
    if isinstance(topology, TopologyModel):
        return topology
    if isinstance(topology, nx.DiGraph):
        return graph_to_model(topology)
    return graph_to_model(load_topology(Path(topology)))


def load_topology(path: str | Path) -> nx.DiGraph:
    """Load and validate a topology (YAML, node-link JSON, GraphML or a CSV folder)."""
    from . import formats
    from .csvfolder import locate

    path = given_path("path", path)
    if not path.exists():
        raise InputError(path, "<file>", "no such file or folder")
    fmt = "stream" if is_stream(path) else detect_format(path)  # a stream has no suffix: its content says
    if fmt == "stream":
        data = formats.read_stream(path)
    elif fmt == "yaml":
        data = read_yaml(path)
    else:
        data = formats.READERS[fmt](path)
    try:
        model = parse_topology(data, path)
    except InputError as err:
        if fmt != "csv":
            raise
        raise locate(err, path) from None  # a spreadsheet user needs the file and row
    g = model_to_graph(model)
    g.graph["path"] = str(path)
    return g


def save_topology(g: nx.DiGraph | TopologyModel, path: str | Path) -> Path:
    """Write a graph in the format named by the path's suffix (a folder for CSV), atomically.

    A `TopologyModel` (what `generate_topology` and `parse_topology` return) is written as its graph.
    """
    from . import formats
    from .arguments import ARGUMENTS
    from .fields import writing

    if isinstance(g, TopologyModel):
        g = model_to_graph(g)
    elif not isinstance(g, nx.DiGraph):
        raise InputError(ARGUMENTS, "g", f"expected a networkx.DiGraph (load_topology) or a TopologyModel "
                                         f"(generate_topology) (got {type(g).__name__})")
    path = Path(path)
    with writing(path):  # a name too long for the file system
        fmt = output_format(path)
    data = graph_to_data(g)
    parse_topology(data, path)  # never write what we could not read back
    formats.WRITERS[fmt](data, path)
    return path


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)



