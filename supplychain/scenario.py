"""Scenario files -> a resolved, validated scenario on its (overridden) topology.

A scenario file says what differs from the topology's world. Two features
keep the policy library small and honest:

`extends: other.yaml` (or a list of files, merged left to right; paths are
relative to the file that names them; chains allowed, a cycle is an error)
starts from other scenarios and deep-merges this file over them. Every file
of the extends graph is merged once, ancestors before descendants, so two
parents sharing a grandparent (`extends: [rsi_full.yaml, blockade.yaml]`,
both on baseline) combine without the grandparent undoing the first parent.

- mappings merge key by key, recursively (`labs: {utilisation: 0.3}` keeps the
  other inherited lab fields);
- a figure (a mapping with `value`, `points` or `dist`, i.e. a schedule or a
  distribution) is one value: it replaces the inherited one whole, because
  half of one schedule merged with half of another is neither;
- `set:` merges path by path (a child's path replaces the same inherited path);
- lists replace, except `controls` and `shocks`, which merge by `id`: an entry
  with an inherited id replaces that entry in place, new ids append in order
  (one file naming an id twice is an error, as it is without `extends`);
- `remove: [id, ...]` drops inherited rules or shocks by id before this file's
  own entries are added (`controls.*` / `shocks.*` drop them all). Naming an id
  nothing inherits is an error, so a typo cannot leave a rule in force.

Every file of a chain must be a valid scenario on its own (it is validated
before it is merged), so an error names the file that holds it. An inherited
`topology` path stays relative to the file that wrote it.

`set:` overrides topology figures by dotted path into the topology's plain
data (see `apply_overrides`). References to the topology (node ids, entities,
lab ids, product ids, node kinds) are checked after the topology is loaded.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
import warnings as pywarnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import networkx as nx
from pydantic import ValidationError

from .arguments import ARGUMENTS
from .errors import InputError, ScenarioWarning, short, from_validation_error
from .scenario_schema import LabPolicy, Scenario
from .schema import TopologyModel
from .overrides import apply_overrides, override_topology
from .scenario_refs import check_refs
from .topology import graph_to_data, load_topology, model_to_graph, read_yaml

__all__ = [
    "ResolvedScenario",
    "as_data",
    "load_scenario",
    "resolve_scenario",
    "resolve",
    "compose",
    "deep_merge",
    "validate_data",
    "apply_overrides",
    "scenario_data",
    "config_hash",
    "emit_warnings",
    "BY_ID_LISTS",
]

#: top-level lists that merge by entry `id` instead of being replaced
BY_ID_LISTS = ("controls", "shocks")
#: the `topology` a scenario that names none has (relative to its folder: a file in `policies/`)
DEFAULT_TOPOLOGY: str = Scenario.model_fields["topology"].default
#: the project's default topology, beside the package in a checkout
PROJECT_TOPOLOGY = Path(__file__).resolve().parents[1] / "topology" / "default.yaml"
#: the longest chain of `extends` (real chains are 2-3 files): ~1,000 overflowed the stack, a RecursionError traceback
MAX_EXTENDS = 100
#: keys of a mapping that make it one figure (schedule or distribution): replaced, never merged
_FIGURE_KEYS = frozenset({"value", "points", "dist"})


@dataclass(frozen=True)
class ResolvedScenario:
    """What the engine runs: the validated scenario, its topology with overrides, and a hash.

    `overrides` lists `(path, old, new)` for each `set:` entry applied;
    `chain` the files merged, ancestors first, this file last; `warnings`
    the suspicious but legal (e.g. a rule naming a country no node is in).
    """

    scenario: Scenario
    path: Path | None
    topology_path: Path
    topology: nx.DiGraph
    config_hash: str
    overrides: tuple[tuple[str, Any, Any], ...] = ()
    chain: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)
    start_given: bool = True  # False: `start` is the topology's (resolved on another topology, it takes that one's)


# -- extends -----------------------------------------------------------------


def _is_figure(value: Any) -> bool:
    return isinstance(value, dict) and bool(_FIGURE_KEYS & set(value))


def _merge_by_id(base: list[Any], over: list[Any]) -> list[Any]:
    out = list(base)
    where = {e["id"]: i for i, e in enumerate(out) if isinstance(e, dict) and isinstance(e.get("id"), str)}
    for entry in over:
        key = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(key, str) and key in where:
            out[where[key]] = copy.deepcopy(entry)
        else:
            if isinstance(key, str):
                where[key] = len(out)
            out.append(copy.deepcopy(entry))
    return out


def deep_merge(base: dict[str, Any], over: dict[str, Any], top: bool = True) -> dict[str, Any]:
    """Merge `over` onto `base` by the rules in the module docstring; inputs are not modified."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        old = out.get(key)
        if top and key in BY_ID_LISTS and isinstance(value, list) and isinstance(old, list):
            out[key] = _merge_by_id(old, value)
        elif top and key == "set" and isinstance(value, dict) and isinstance(old, dict):
            out[key] = {**old, **copy.deepcopy(value)}
        elif isinstance(value, dict) and isinstance(old, dict) and not _is_figure(value):
            out[key] = deep_merge(old, value, top=False)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _remove(data: dict[str, Any], remove: Any, file: Path | None) -> dict[str, Any]:
    if remove is None:
        return data
    items = [remove] if isinstance(remove, str) else remove
    if not isinstance(items, list):
        raise InputError(file, "remove", f"expected a list of rule or shock ids (got {short(remove)})")
    out = dict(data)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise InputError(file, f"remove.{i}", f"expected a rule or shock id (got {short(item)})")
        if item in (f"{k}.*" for k in BY_ID_LISTS):
            out[item[:-2]] = []
            continue
        found = False
        for key in BY_ID_LISTS:
            entries = out.get(key) or []
            kept = [e for e in entries if not (isinstance(e, dict) and e.get("id") == item)]
            found |= len(kept) != len(entries)
            if key in out:
                out[key] = kept
        if not found:
            raise InputError(file, f"remove.{i}", f"no inherited rule or shock has this id (got {short(item)})")
    return out


def _parents(value: Any, file: Path | None) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) and v for v in items):
        raise InputError(file, "extends", f"expected a scenario file path or a list of them (got {short(value)})")
    return items


def _names(data: dict[str, Any]) -> dict[str, str]:
    """`controls.3` -> `controls.<rule id>` so errors name the rule, not its position."""
    names: dict[str, str] = {}
    for key in BY_ID_LISTS:
        entries = data.get(key)
        if isinstance(entries, list):
            for i, e in enumerate(entries):
                if isinstance(e, dict) and isinstance(e.get("id"), str) and e["id"]:
                    names[f"{key}.{i}"] = f"{key}.{e['id']}"
    return names


def validate_data(data: dict[str, Any], file: Path | str | None) -> Scenario:
    """Validate merged plain data into a `Scenario`; errors name the field by rule/shock id."""
    if "nodes" in data and "edges" in data:  # else pydantic says only `nodes: unknown field`
        raise InputError(file, "<root>", "this is a topology (it has nodes and edges), not a scenario: a scenario names "
                                         "it as `topology: FILE`, or pass it with --topology")
    per_lab = data.get("per_lab")
    if isinstance(per_lab, dict):
        labs = data.get("labs") if isinstance(data.get("labs"), dict) else {}
        for lab, fields in per_lab.items():
            try:
                LabPolicy.model_validate({**labs, **(fields or {})} if isinstance(fields, dict) else fields)
            except ValidationError as err:
                raise from_validation_error(file, err, prefix=f"per_lab.{lab}") from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(file, err, names=_names(data)) from None


Layer = tuple["Path | None", dict[str, Any]]


def _linearise(data: Any, file: Path | None, stack: tuple[Path, ...], memo: dict[Path, list[Layer]]) -> list[Layer]:
    """Every file of the extends graph once, ancestors before descendants, as (file, own data).

    Merging each file's own data once, in this order, is what makes a diamond
    (two parents sharing a grandparent) behave: the grandparent's values never
    come back to overwrite what the first parent changed.
    """
    if not isinstance(data, dict):
        raise InputError(file, "<root>", f"expected a mapping of scenario fields (got {type(data).__name__})")
    here = file.parent if file is not None else Path.cwd()
    own = dict(data)
    extends = own.pop("extends", None)
    if extends is not None:  # merging by id keeps the last of two equal ids: check this file's own lists first
        validate_data({key: own[key] for key in BY_ID_LISTS if key in own}, file)
    layers: list[Layer] = []
    for rel in _parents(extends, file) if extends is not None else []:
        parent = (here / rel).resolve()
        if parent in stack:
            loop = " -> ".join(p.name for p in (*stack[stack.index(parent):], parent))
            raise InputError(file, "extends", f"extends cycle ({loop})")
        if len(stack) > MAX_EXTENDS:  # named from the file the user gave, the chain's first
            raise InputError(stack[0], "extends", f"a chain of more than {MAX_EXTENDS} files extending one another "
                                                  f"(the {MAX_EXTENDS + 1}st, {file}, extends {rel!r})")
        if not parent.is_file():
            raise InputError(file, "extends", f"no such scenario file (got {rel!r})")
        if parent not in memo:
            memo[parent] = _linearise(read_yaml(parent), parent, (*stack, parent), memo)
            validate_data(_merge_layers(memo[parent]), parent)  # so an error names the file that holds it
        seen = {f for f, _ in layers}
        layers += [layer for layer in memo[parent] if layer[0] not in seen]
    if isinstance(own.get("topology"), str) and len(stack) > 1:
        own["topology"] = str((here / own["topology"]).resolve())  # relative to the file that wrote it
    layers.append((file, own))
    return layers


def _merge_layers(layers: list[Layer]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for file, own in layers:
        own = dict(own)
        merged = _remove(merged, own.pop("remove", None), file)
        merged = deep_merge(merged, own)
    return merged


def compose(data: Any, file: str | Path | None = None) -> tuple[dict[str, Any], list[Path]]:
    """Resolve `extends` and `remove`: the merged plain data and the files merged, in order.

    An inherited `topology` is rewritten relative to this file's folder (it was
    relative to the file that wrote it); this file's own `topology` stays as written.
    """
    merged, layers = _compose_layers(data, Path(file) if file is not None else None)
    return merged, [f for f, _ in layers if f is not None]


def _compose_layers(data: Any, file: Path | None) -> tuple[dict[str, Any], list[Layer]]:
    """`compose`, keeping each file's own data (`_written_by` reads which file wrote a field)."""
    stack = (file.resolve(),) if file is not None else (Path.cwd() / "<input>",)
    layers = _linearise(data, file, stack, {})
    merged = _merge_layers(layers)
    inherited = merged.get("topology")
    if "topology" not in layers[-1][1] and isinstance(inherited, str) and os.path.isabs(inherited):
        here = file.parent if file is not None else Path.cwd()
        merged["topology"] = os.path.relpath(inherited, here.resolve())
    return merged, layers


def _written_by(layers: list[Layer], field: str, default: Path | None) -> Path | None:
    """The file that wrote `field` (a dotted path; `controls` and `shocks` entries by id) last, i.e. the one
    whose value the merged scenario holds; `default` if no layer holds the whole path."""
    for file, own in reversed(layers):
        value: Any = own
        for key in field.split("."):
            if isinstance(value, list):  # a by-id list: its entry with that id
                value = next((e for e in value if isinstance(e, dict) and str(e.get("id")) == key), None)
            else:
                value = value.get(key) if isinstance(value, dict) else None
            if value is None:
                break
        else:
            return file
    return default


# -- putting it together -----------------------------------------------------


def scenario_data(sc: Scenario) -> dict[str, Any]:
    """Plain data of a scenario (dates as dates, no nulls): what `scenario show` prints."""
    return sc.model_dump(mode="python", exclude_none=True)


def config_hash(sc: Scenario, g: nx.DiGraph) -> str:
    """sha256 of the canonical resolved scenario and topology data.

    The topology path is left out (its content is in), so moving a folder
    does not change the hash but editing any figure does.
    """
    blob = {"scenario": sc.model_dump(mode="json", exclude={"topology"}), "topology": graph_to_data(g)}
    text = json.dumps(blob, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _outside_level() -> int:
    """The `stacklevel`, for a `warnings.warn` in the caller, that names the first frame outside this package."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == __name__.partition(".")[0]:
        frame, level = frame.f_back, level + 1
    return level


def emit_warnings(rs: ResolvedScenario, skip: Iterable[str] = ()) -> None:
    """Each of `rs.warnings` (but those in `skip`, already shown) as a `ScenarioWarning`, named by the
    caller's line outside this package: without it a notebook never sees them (only the CLI prints them)."""
    where = str(rs.path) if rs.path is not None else f"scenario {rs.scenario.name!r}"  # a dict has no file
    skip = set(skip)
    for w in rs.warnings:
        if w not in skip:
            pywarnings.warn(ScenarioWarning(f"{where}: {w}"), stacklevel=_outside_level())


def resolve_scenario(data: Any, file: str | Path | None = None, topology: nx.DiGraph | None = None, *,
                     warn: bool = True) -> ResolvedScenario:
    """Resolve plain data (e.g. built in a notebook) as if it were the file `file`.

    `extends` and `topology` paths are relative to `file`'s folder (the working
    folder if None). Pass `topology` to use a graph you already hold instead of
    the file the scenario names; `set:` overrides still apply to a copy of it.
    Its warnings are emitted as `ScenarioWarning`s (`warn=False`: only kept in `.warnings`).
    """
    file = Path(file) if file is not None else None
    merged, layers = _compose_layers(data, file)
    chain = [f for f, _ in layers if f is not None]
    here = file.parent if file is not None else Path.cwd()
    start_given = not isinstance(merged, dict) or "start" in merged
    named = merged.get("topology", DEFAULT_TOPOLOGY) if isinstance(merged, dict) else None
    # data (a dict or `Scenario` carries the field's default) or a file that names no topology: the default one
    default = file is None or not (isinstance(merged, dict) and "topology" in merged)
    if not start_given and topology is None and isinstance(named, str):
        topology = _named_topology(_topology_path(here, named, default), named, file)  # its start, before validating
    if not start_given and topology is not None and topology.graph.get("start"):
        # a scenario that gives no start runs from the date its topology describes, not from the default
        merged = {**merged, "start": str(topology.graph["start"])}
    sc = validate_data(merged, file)
    topology_path = _topology_path(here, sc.topology, default)
    if topology is None:
        topology = _named_topology(topology_path, sc.topology, file)
    elif topology.graph.get("path"):
        topology_path = Path(topology.graph["path"])
    applied: list[tuple[str, Any, Any]] = []
    if sc.set:
        done = override_topology(graph_to_data(topology), sc.set, file)
        applied = done.applied
        g = model_to_graph(done.model)
        g.graph["path"] = str(topology_path)
        topology = g
    try:
        warnings = check_refs(sc, topology, file)
    except InputError as err:  # an inherited rule naming a node this topology lacks: name the file that wrote it
        writer = _written_by(layers, err.field, file)
        if writer == file:
            raise
        raise InputError(writer, err.field, err.problem) from None
    resolved = ResolvedScenario(
        scenario=sc,
        path=file,
        topology_path=topology_path,
        topology=topology,
        config_hash=config_hash(sc, topology),
        overrides=tuple(applied),
        chain=tuple(chain),
        warnings=tuple(warnings),
        start_given=start_given,
    )
    if warn:
        emit_warnings(resolved)
    return resolved


def _topology_path(here: Path, named: str, default: bool) -> Path:
    """Where the topology a scenario names is: relative to the scenario's folder. A scenario that names none
    (`default`: a dict, `Scenario` or None in a notebook, or a file of the user's own folder) and has no
    `../topology/default.yaml` beside that folder runs on the project's default topology, which `simulate()` means:
    the field's default is relative to `policies/`, and the error named a file the user never wrote."""
    path = Path(os.path.normpath(here / named))
    if default and named == DEFAULT_TOPOLOGY and not path.exists() and PROJECT_TOPOLOGY.is_file():
        return PROJECT_TOPOLOGY
    return path


def _named_topology(path: Path, named: str, file: Path | None) -> nx.DiGraph:
    """The topology file a scenario names (relative to the scenario's folder), loaded."""
    if not path.exists():
        raise InputError(file, "topology", f"no such topology file (got {named!r})")
    if path.is_dir() and not (path / "nodes.csv").is_file():
        raise InputError(file, "topology", f"a folder that is not a CSV topology (no nodes.csv) (got {named!r})")
    return load_topology(path)


def load_scenario(path: str | Path) -> ResolvedScenario:
    """Read a scenario file, resolve `extends` and `set:`, load and check its topology."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "<file>", "no such file")
    return resolve_scenario(read_yaml(path), path)


def as_data(sc: Scenario, start_given: bool) -> dict[str, Any]:
    """A validated scenario as data to resolve again, without the `start` it only defaulted to: on a
    topology it then starts where that topology does."""
    data = sc.model_dump(mode="json", exclude_none=True)
    if not start_given:
        data.pop("start", None)
    return data


def topology_graph(topology: Any) -> nx.DiGraph | None:
    """A `topology` argument (a path, a graph or a `TopologyModel`; None: none) as a graph."""
    if topology is None or isinstance(topology, nx.DiGraph):
        return topology
    if isinstance(topology, TopologyModel):
        return model_to_graph(topology)
    if isinstance(topology, (str, Path)):
        return load_topology(Path(topology))
    raise InputError(ARGUMENTS, "topology", f"a path, a networkx.DiGraph or a TopologyModel (got {short(topology)})")


def resolve(item: Any, topology: Any = None) -> ResolvedScenario:
    """Any form of scenario, on its own topology or on `topology`, resolved: the one path every runner takes.

    `item`: a scenario file, a `ResolvedScenario`, a `Scenario`, a dict (as if a file
    in the working folder) or None (defaults). `topology` (a path, a graph or a
    `TopologyModel`) replaces the scenario's own; its `set:` overrides still apply.
    A `ResolvedScenario` without `topology` is taken as it is.
    """
    graph = topology_graph(topology)
    if item is None:
        item = {}
    if isinstance(item, ResolvedScenario):  # its warnings were shown when it was resolved
        if graph is None:
            return item
        again = resolve_scenario(as_data(item.scenario, item.start_given), item.path, graph, warn=False)
        emit_warnings(again, skip=item.warnings)  # only what the other topology adds
        return again
    if isinstance(item, Scenario):
        return resolve_scenario(as_data(item, "start" in item.model_fields_set), None, graph)
    if isinstance(item, dict):
        return resolve_scenario(item, None, graph)
    if isinstance(item, (str, Path)):
        path = Path(item)
        if graph is None:
            return load_scenario(path)
        if not path.exists():
            raise InputError(path, "<file>", "no such file")
        return resolve_scenario(read_yaml(path), path, graph)
    raise InputError(ARGUMENTS, "scenario", f"a path, a dict, a Scenario or a loaded scenario (got {short(item)})")
