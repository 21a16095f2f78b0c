"""Scenario files -> a resolved, validated scenario on its (overridden) topology.

A scenario file says what differs from the topology's world: `extends` and
`remove` build it on other scenario files (`scenario_merge`, which says how
files merge), and `set:` overrides topology figures by dotted path into the
topology's plain data (see `apply_overrides`). References to the topology
(node ids, entities, lab ids, product ids, node kinds) are checked after the
topology is loaded; one an inherited file wrote names that file.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings as pywarnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import networkx as nx

from .arguments import ARGUMENTS, given_path
from .errors import InputError, ScenarioWarning, short
from .scenario_merge import (BY_ID_LISTS, compose, compose_layers, deep_merge, scenario_folder, set_written_by, validate_data,
                             written_by)
from .scenario_schema import Scenario
from .schema import TopologyModel
from .overrides import apply_overrides, override_topology
from .scenario_refs import ONE_ACTION, check_refs, topology_label
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
    "shown_data",
    "config_hash",
    "emit_warnings",
    "BY_ID_LISTS",
]

#: the `topology` a scenario that names none has (relative to its folder: a file in `policies/`)
DEFAULT_TOPOLOGY: str = Scenario.model_fields["topology"].default
#: the project's default topology, beside the package in a checkout
PROJECT_TOPOLOGY = Path(__file__).resolve().parents[1] / "topology" / "default.yaml"


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


# -- putting it together -----------------------------------------------------


def scenario_data(sc: Scenario) -> dict[str, Any]:
    """Plain data of a scenario (dates as dates, no nulls): what `scenario show` prints.

    A rule's fields that its action never reads are left out where they hold their default (`approval` of a
    ban): written out, the printed scenario, saved and loaded, warned that each is ignored."""
    data = sc.model_dump(mode="python", exclude_none=True)
    for rule, row in zip(sc.controls, data.get("controls", [])):
        for name, action in ONE_ACTION.items():
            if rule.action != action and name in row and getattr(rule, name) == type(rule).model_fields[name].default:
                del row[name]
    return data


def shown_data(rs: ResolvedScenario) -> dict[str, Any]:
    """What `scenario show` prints: `scenario_data`, its `topology` the file the scenario runs on, relative to
    the scenario's folder. A file naming none (the project's default, found beside no `../topology/`) printed the
    field's default `../topology/default.yaml`, and so did one shown `--topology other.yaml`: saved beside the file,
    the printout named a topology that does not exist there, or another than the one shown."""
    data = scenario_data(rs.scenario)
    try:
        data["topology"] = Path(os.path.relpath(rs.topology_path, scenario_folder(rs.path))).as_posix()
    except ValueError:  # another drive (Windows): no relative path
        data["topology"] = str(rs.topology_path)
    return data


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
    folder if None, or if `file` is a stream such as /dev/stdin or a pipe: `scenario_folder`).
    Pass `topology` to use a graph you already hold instead of the file the scenario
    names; `set:` overrides still apply to a copy of it.
    Its warnings are emitted as `ScenarioWarning`s (`warn=False`: only kept in `.warnings`).
    """
    file = Path(file) if file is not None else None
    merged, layers = compose_layers(data, file)
    chain = [f for f, _ in layers if f is not None]
    here = scenario_folder(file)
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
        try:
            done = override_topology(graph_to_data(topology), sc.set, file, topology_label(topology))
        except InputError as err:  # an inherited override this topology cannot take: name the file that wrote it
            raise InputError(set_written_by(layers, err.field, file), err.field, err.problem) from None
        applied = done.applied
        g = model_to_graph(done.model)
        g.graph["path"] = str(topology_path)
        topology = g
    try:
        warnings = check_refs(sc, topology, file)
    except InputError as err:  # an inherited rule naming a node this topology lacks: name the file that wrote it
        writer = written_by(layers, err.field, file)
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
    """Where the topology a scenario names is: relative to the scenario's folder (`scenario_folder`). One that names none
    (`default`: a dict, `Scenario` or None in a notebook, or a file of the user's own folder) and has no
    `../topology/default.yaml` beside that folder runs on the project's default topology, which `simulate()` means:
    the field's default is relative to `policies/`, and the error named a file the user never wrote. The path is
    normalised unless that changes the file it names: `../t.yaml` from a folder reached by a symlink is read as the
    system reads it (the link's target's parent), where `normpath` dropped the link ("no such topology file")."""
    raw = here / named
    path = Path(os.path.normpath(raw))
    if raw.exists() and not (path.exists() and path.resolve() == raw.resolve()):
        path = raw  # `..` out of a symlinked folder: the folder the link points to, as open() reads it
    if default and named == DEFAULT_TOPOLOGY and not path.exists() and PROJECT_TOPOLOGY.is_file():
        return PROJECT_TOPOLOGY
    return path


def _named_topology(path: Path, named: str, file: Path | None) -> nx.DiGraph:
    """The topology file a scenario names (relative to the scenario's folder), loaded."""
    if not path.exists():
        # the default names the checkout's topology/, which an install without -e leaves behind
        hint = ("; the project's default topology is in its checkout (topology/default.yaml), not in this install: "
                "name a topology, or install with pip install -e" if named == DEFAULT_TOPOLOGY
                and not PROJECT_TOPOLOGY.is_file() else "")
        if file is not None and scenario_folder(file) != file.parent:  # else the user looks for it beside the file
            hint += "; a scenario read from a stream names it relative to the working folder"
        raise InputError(file, "topology", f"no such topology file (got {named!r}){hint}")
    if path.is_dir() and not (path / "nodes.csv").is_file():
        raise InputError(file, "topology", f"a folder that is not a CSV topology (no nodes.csv) (got {named!r})")
    return load_topology(path)


def check_scenario_file(path: Path) -> None:
    """Refuse a path that is not a scenario file, saying what it is: a GraphML topology, a CSV topology folder
    or one of its tables read as "invalid YAML" at some line of the XML or CSV, and compare and sweep said
    "no such file" of a folder that exists. (A YAML or JSON topology is recognised by its content, `compose`.)"""
    as_topology = "a scenario names it as `topology: {}`, or pass it with --topology"
    if not path.exists():
        raise InputError(path, "<file>", "no such file")
    if path.is_dir():
        if (path / "nodes.csv").is_file():
            raise InputError(path, "<root>", "this is a CSV topology folder, not a scenario: " + as_topology.format("FOLDER"))
        raise InputError(path, "<file>", "is a folder, expected a scenario file (YAML)")
    if path.suffix.lower() == ".graphml":
        raise InputError(path, "<root>", "this is a GraphML topology, not a scenario: " + as_topology.format("FILE"))
    if path.suffix.lower() == ".csv":
        folder = ("; its folder is a CSV topology: " + as_topology.format("FOLDER")
                  if (path.parent / "nodes.csv").is_file() else "")
        raise InputError(path, "<root>", f"this is a CSV table, not a scenario (a YAML file){folder}")


def load_scenario(path: str | Path | dict[str, Any]) -> ResolvedScenario:
    """Read a scenario file (or take its contents as a dict, as `simulate` does), resolve `extends` and `set:`,
    load and check its topology."""
    if isinstance(path, dict):  # a notebook's scenario written in place: checked as a file's would be
        return resolve_scenario(path, None)
    path = given_path("path", path)
    check_scenario_file(path)
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
        return load_topology(given_path("topology", topology))
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
        path = given_path("scenario", item)
        if graph is None:
            return load_scenario(path)
        check_scenario_file(path)
        return resolve_scenario(read_yaml(path), path, graph)
    raise InputError(ARGUMENTS, "scenario", f"a path, a dict, a Scenario or a loaded scenario (got {short(item)})")
