"""`set:` overrides: change topology figures by dotted path, then re-validate.

A scenario changes a figure of the topology without copying the topology:

    set:
      nodes.tsmc_cowos.capacity.growth: 0.4          # a field inside a schedule
      nodes.smic.yield.value: 0.3                     # a schedule's constant
      nodes.tsmc_cowos.capacity.points.2026-12-31: 9e4  # one dated point
      products.h20.tpp: 2368
      edges.skhynix->tsmc_cowos:hbm3e.share: 0.5      # edges.<from>-><to>:<product>.<field>

Paths walk the topology's plain data (what `graph_to_data` returns), so any
field a topology file may hold can be overridden. Rules that keep this
predictable:

- a figure written as a bare number is spelled out as its field is declared,
  a schedule (or, for `transport`, a fixed distribution), so
  `capacity.growth` works on `capacity: 5000` and `capacity.mean` is an
  unknown field of the schedule;
- setting `value` on a schedule given by `points` (or a `points` entry on one
  given by `value`) switches its form, since a schedule holds one of the two;
- a bare number set on a whole figure (`nodes.smic.yield: 0.3`) replaces it
  with a constant (its `growth` and `source` go with it);
- ids and kinds cannot be overridden: they are what the paths are made of;
- a whole figure applies before the paths inside it, whatever the order of
  the keys: `capacity: 3000` and `capacity.growth: 0.4` give 3000 growing
  0.4 (in the order written, the whole figure after dropped the growth). A
  child scenario's path, or a sweep's, replaces the inherited paths inside it
  (`scenario_merge`, `sweeps`).

The result is validated like a topology file. Any error names the override
that caused it (`set.<path>`), or `set` with the topology's complaint when no
single override is to blame.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .fields import NODE_CLASSES, FieldMeta, fields_of
from .schema import Edge, Product, TopologyModel
from .topology import parse_topology

__all__ = ["apply_overrides", "override_topology", "Overridden", "parse_path"]

_IDENTITY = {"nodes": {"id", "kind"}, "edges": {"from", "to", "product"}, "products": set()}
_DISTRIBUTION_FIELDS = frozenset({"dist", "mean", "low", "high", "mode", "cv"})
_DISTRIBUTIONS = frozenset({"transport"})


@dataclass(frozen=True)
class Overridden:
    """The overridden topology: plain data, its validated model, and `(path, old, new)` per override."""

    data: dict[str, Any]
    model: TopologyModel
    applied: list[tuple[str, Any, Any]]


def parse_path(key: Any, file: Path | str | None) -> tuple[str, str, list[str]]:
    """Split `nodes.<id>.<field>...` into (section, id, fields); bad shapes are errors."""
    if not isinstance(key, str):
        raise InputError(file, f"set.{key}", f"override paths are strings like nodes.<id>.<field> (got {key!r})")
    parts = key.split(".")
    if parts[0] not in _IDENTITY or len(parts) < 3 or not all(parts):
        raise InputError(file, f"set.{key}", "expected nodes.<id>.<field>, products.<id>.<field> or edges.<from>-><to>:<product>.<field>")
    return parts[0], parts[1], parts[2:]


def _entity(data: dict[str, Any], section: str, ident: str, key: str, file: Any,
            within: str = "") -> tuple[dict[str, Any], dict[str, FieldMeta]]:
    """The record a path points into, and the fields its schema declares. `within`: the topology
    an unknown id is missing from (" in topology x.yaml"), as `scenario_refs` names it."""
    if section == "nodes":
        for node in data.get("nodes") or []:
            if isinstance(node, dict) and node.get("id") == ident:
                cls = NODE_CLASSES.get(node.get("kind"))
                return node, fields_of(cls) if cls else {}
        raise InputError(file, f"set.{key}", f"unknown node{within} (got {ident!r})")
    if section == "products":
        products = data.get("products") or {}
        if ident not in products or not isinstance(products[ident], dict):
            raise InputError(file, f"set.{key}", f"unknown product{within} (got {ident!r})")
        return products[ident], fields_of(Product)
    for edge in data.get("edges") or []:  # named whole: a node id may hold `->` or `:` itself
        if isinstance(edge, dict) and f"{edge.get('from')}->{edge.get('to')}:{edge.get('product')}" == ident:
            return edge, fields_of(Edge)
    frm, arrow, rest = ident.partition("->")
    to, colon, product = rest.rpartition(":")
    if not (arrow and colon and frm and to and product):
        raise InputError(file, f"set.{key}", f"edges are named <from>-><to>:<product> (got {ident!r})")
    raise InputError(file, f"set.{key}", f"unknown edge{within} (got {ident!r})")


def _as_figure(value: Any, name: str, nxt: str, how: str | None = None) -> Any:
    """A bare number written where a figure goes, spelled out so a field inside it can be set: as the field's
    declared kind (`how`, "schedule" or "distribution") where known, a schedule's `capacity.mean` being a typo,
    not a distribution whose `dist` the user never wrote."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if how is None:
            how = "distribution" if name in _DISTRIBUTIONS or nxt in _DISTRIBUTION_FIELDS else "schedule"
        return {"dist": "fixed", "mean": value} if how == "distribution" else {"value": value}
    return value


def _assign(record: dict[str, Any], fields: list[str], value: Any, key: str, file: Any, how: str | None = None) -> Any:
    """Walk `fields` inside `record`, creating missing mappings; set the last; return the old value. `how`:
    the declared kind of the record's field `fields[0]` (`FieldMeta.compact`)."""
    here: Any = record
    for depth, (name, nxt) in enumerate(zip(fields[:-1], fields[1:])):
        if isinstance(here, list):
            here = here[_index(here, name, key, file)]
            continue
        cur = _as_figure(here.get(name), name, nxt, how if depth == 0 else None)
        if cur is None:
            cur = {}
        if nxt == "points" and isinstance(cur, dict) and cur.get("value") is not None and not cur.get("points"):
            cur.pop("value")
        if not isinstance(cur, (dict, list)):
            raise InputError(file, f"set.{key}", f"{name} is a {type(cur).__name__}, not a mapping (got {cur!r})")
        here[name] = cur
        here = cur
    last = fields[-1]
    if isinstance(here, list):
        i = _index(here, last, key, file)
        old, here[i] = here[i], copy.deepcopy(value)
        return old
    old = copy.deepcopy(here.get(last))
    if last == "value" and "points" in here:
        here.pop("points")
    if last == "points" and here.get("value") is not None:
        here.pop("value")
    here[last] = copy.deepcopy(value)
    return old


def _index(items: list[Any], part: str, key: str, file: Any) -> int:
    if not part.isdigit() or int(part) >= len(items):
        raise InputError(file, f"set.{key}", f"no list entry {part!r} (the list has {len(items)})")
    return int(part)


def _blame(err: InputError, data: dict[str, Any], keys: list[str], file: Any) -> InputError:
    """Turn a topology error into one that names the override behind it."""
    where = err.field
    parts = where.split(".")
    edges = data.get("edges") or []
    if parts[0] == "edges" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(edges):
        e = edges[int(parts[1])]
        parts[1] = f"{e.get('from')}->{e.get('to')}:{e.get('product')}"
        where = ".".join(parts)
    problem = err.problem
    best = [k for k in keys if where == k or where.startswith(k + ".") or k.startswith(where + ".")]
    if best:
        return InputError(file, f"set.{max(best, key=len)}", problem)
    return InputError(file, "set", f"the overrides make the topology invalid: {where}: {problem}")


def _outers(path: Any, paths: Any) -> list[str]:
    """The paths among `paths` that `path` lies inside (`nodes.fab.capacity` for `nodes.fab.capacity.growth`): a
    look-up per dot of `path`, not a scan of `paths`."""
    return [path[:i] for i, c in enumerate(path) if c == "." and path[:i] in paths] if isinstance(path, str) else []


def inside_any(path: Any, paths: Any) -> bool:
    """Whether `path` lies inside one of `paths`."""
    return bool(_outers(path, paths))


def outer_first(set_mapping: dict[str, Any]) -> list[tuple[Any, Any]]:
    """The overrides in the order they apply: each after the paths it lies inside, else as written."""
    return sorted(set_mapping.items(), key=lambda kv: len(_outers(kv[0], set_mapping)))


def override_topology(topology_data: dict[str, Any], set_mapping: dict[str, Any], file: str | Path | None = None,
                      topology: str | None = None) -> Overridden:
    """Apply `set_mapping` to a copy of `topology_data` and validate the result. `topology`: the
    network's name for an unknown id's message (with `--topology` a scenario meets one it was not written for)."""
    data = copy.deepcopy(topology_data)
    applied: list[tuple[str, Any, Any]] = []
    within = f" in topology {topology}" if topology else ""
    for key, value in outer_first(set_mapping):
        section, ident, fields = parse_path(key, file)
        record, declared = _entity(data, section, ident, key, file, within)
        top = fields[0]
        if top in _IDENTITY[section]:
            raise InputError(file, f"set.{key}", f"{top} cannot be overridden (it names the {section[:-1]})")
        if declared and top not in declared:
            raise InputError(file, f"set.{key}", f"unknown field {top!r} for this {record.get('kind', section[:-1])}")
        how = declared[top].compact if top in declared else None
        applied.append((key, _assign(record, fields, value, key, file, how), copy.deepcopy(value)))
    try:
        model = parse_topology(data, file)
    except InputError as err:
        raise _blame(err, data, list(set_mapping), file) from None
    return Overridden(data=data, model=model, applied=applied)


def apply_overrides(topology_data: dict[str, Any], set_mapping: dict[str, Any], file: str | Path | None = None) -> dict[str, Any]:
    """The topology's plain data with `set_mapping` applied (validated; errors name `set.<path>`)."""
    return override_topology(topology_data, set_mapping, file).data
