"""Scenario files built on other scenario files: `extends`, `remove` and the merge.

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
- `set:` merges path by path (a child's path replaces the same inherited path
  and every inherited path inside it: `capacity: 3000` drops an inherited
  `capacity.growth`);
- lists replace, except `controls` and `shocks`, which merge by `id`: an entry
  with an inherited id replaces that entry in place, new ids append in order
  (one file naming an id twice is an error, as it is without `extends`);
- `remove: [id, ...]` drops inherited rules or shocks by id before this file's
  own entries are added (`controls.*` / `shocks.*` drop them all). Naming an id
  nothing inherits is an error, so a typo cannot leave a rule in force.

Every file of a chain must be a valid scenario on its own (it is validated
before it is merged), so an error names the file that holds it; a reference to
the topology that fails later names the file that wrote it (`written_by`). An
inherited `topology` path stays relative to the file that wrote it.

A scenario read from a stream rather than a file (`/dev/stdin`, a pipe, `<(cat s.yaml)`, a
`/dev/fd/N` or `/proc/self/fd/N`) has no folder of its own: its relative paths are relative to the
working folder (`scenario_folder`), as they are for plain data.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import InputError, from_validation_error, short
from .overrides import inside_any
from .scenario_schema import Scenario
from .stream_paths import is_stream
from .topology import read_yaml

__all__ = ["BY_ID_LISTS", "Layer", "STREAM_NAME", "compose", "compose_layers", "deep_merge", "scenario_folder",
           "set_written_by", "validate_data", "written_by"]

#: the longest scenario name (`Scenario.name`): a file named after itself keeps its stem within it
NAME_MAX: int = next(m.max_length for m in Scenario.model_fields["name"].metadata if hasattr(m, "max_length"))

#: top-level lists that merge by entry `id` instead of being replaced
BY_ID_LISTS = ("controls", "shocks")
#: the name of a scenario read from a stream that gives itself none: its path names no file (`<(cat s.yaml)`,
#: /dev/fd/63, was named `63`, and wrote into outputs/63/), and /dev/stdin, the usual stream, was `stdin` already
STREAM_NAME = "stdin"
#: the longest chain of `extends` (real chains are 2-3 files): ~1,000 overflowed the stack, a RecursionError traceback
MAX_EXTENDS = 100
#: keys of a mapping that make it one figure (schedule or distribution): replaced, never merged
_FIGURE_KEYS = frozenset({"value", "points", "dist"})


def scenario_folder(file: Path | None) -> Path:
    """The folder a scenario's relative paths (`extends`, `topology`) are relative to: the file's folder;
    the working folder for data (None) and for a stream (`is_stream`): a stream's folder is /dev or /proc,
    where `topology: t.yaml` was never meant. A file that does not exist (data resolved as if it were
    that file) keeps its folder."""
    if file is None or is_stream(file):
        return Path.cwd()
    return file.parent


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
            # a child's path replaces the same inherited path and every inherited path inside it: its whole
            # figure is the figure, not one an inherited `capacity.growth` would then still change
            kept = {k: v for k, v in old.items() if not inside_any(k, value)}
            out[key] = {**kept, **copy.deepcopy(value)}
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
    here = scenario_folder(file)
    for i, rel in enumerate(items):  # merged once anyway: a typo for another parent, which is then missing
        if any((here / rel).resolve() == (here / other).resolve() for other in items[:i]):
            raise InputError(file, f"extends.{i}", f"lists a parent twice (got {rel!r})")
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
    if "nodes" in data and ("edges" in data or "links" in data):  # else pydantic says only `nodes: unknown field`
        raise InputError(file, "<root>", "this is a topology (it has nodes and edges), not a scenario: a scenario names "
                                         "it as `topology: FILE`, or pass it with --topology")
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(file, err, names=_names(data), model=Scenario, data=data) from None


Layer = tuple["Path | None", dict[str, Any]]


def _linearise(data: Any, file: Path | None, stack: tuple[Path, ...], memo: dict[Path, list[Layer]]) -> list[Layer]:
    """Every file of the extends graph once, ancestors before descendants, as (file, own data).

    Merging each file's own data once, in this order, is what makes a diamond
    (two parents sharing a grandparent) behave: the grandparent's values never
    come back to overwrite what the first parent changed.
    """
    if not isinstance(data, dict):
        raise InputError(file, "<root>", "the file is empty (or only comments); expected a mapping of scenario fields"
                         if data is None else f"expected a mapping of scenario fields (got {short(data)})")
    here = scenario_folder(file)
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
            stream = ("; a scenario read from a stream names it relative to the working folder"
                      if file is not None and here != file.parent else "")
            raise InputError(file, "extends", f"no such scenario file (got {rel!r}){stream}")
        if parent.suffix.lower() == ".graphml":  # else "invalid YAML" at some line of the XML
            raise InputError(file, "extends", f"a GraphML topology, not a scenario: name it as `topology:` (got {rel!r})")
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
    merged, layers = compose_layers(data, Path(file) if file is not None else None)
    return merged, [f for f, _ in layers if f is not None]


def compose_layers(data: Any, file: Path | None) -> tuple[dict[str, Any], list[Layer]]:
    """`compose`, keeping each file's own data (`written_by` reads which file wrote a field)."""
    stack = (file.resolve(),) if file is not None else (Path.cwd() / "<input>",)
    layers = _linearise(data, file, stack, {})
    merged = _merge_layers(layers)
    inherited = merged.get("topology")
    if "topology" not in layers[-1][1] and isinstance(inherited, str) and os.path.isabs(inherited):
        here = scenario_folder(file)
        merged["topology"] = os.path.relpath(inherited, here.resolve())
    if file is not None and isinstance(merged, dict) and "name" not in layers[-1][1]:
        # a file that gives itself no name is named after the file, not after the scenario it extends:
        # a child of baseline.yaml would write into outputs/baseline/, and two unnamed files would share
        # the field's default, one folder and one `scenario` label. A stream has no stem of its own
        merged["name"] = STREAM_NAME if is_stream(file) else file.stem[:NAME_MAX] or merged.get("name", "scenario")
    return merged, layers


def written_by(layers: list[Layer], field: str, default: Path | None) -> Path | None:
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


def set_written_by(layers: list[Layer], field: str, default: Path | None) -> Path | None:
    """The file whose `set:` wrote the override `field` (`set.<path>`) last: an override's path holds
    dots itself, so `written_by`'s walk key by key cannot find it. `default` if none holds it whole."""
    key = field[len("set."):] if field.startswith("set.") else None
    for file, own in reversed(layers):
        mapping = own.get("set") if isinstance(own, dict) else None
        if key is not None and isinstance(mapping, dict) and key in mapping:
            return file
    return default
