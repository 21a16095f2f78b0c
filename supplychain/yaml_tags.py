"""YAML tags whose values no topology or scenario field can use, refused with the field path that holds them.

SafeLoader builds `!!binary` as bytes, `!!set` as a set, `!!omap` and `!!pairs` as lists of tuples and
`!!timestamp` as a date or datetime, and pydantic coerced most of them without a word: `seed: !!binary MQ==`
ran with seed 1, `labs: {utilisation: !!binary MC4z}` with 0.3, `sources: !!set {a, b}` in whichever order
the set's hash gave. Each such node is built as a `Refused` placeholder instead, and `check_tags` (called
on every file read) raises a `TagError` naming the first one's field path, where pydantic would have lost it
or named a union branch. Explicit tags of plain values (`!!str 5`, `!!float 1`) stay what they say, and so
does a date (`!!timestamp 2022-01-01`, as plain `2022-01-01` reads); a time of day, which every date field
refuses, is refused here too, where a mapping key or a `set:` value would have carried it further. A tag no
constructor knows (`!!python/name:os.system`, `!foo`) is refused the same way, by field, not by line.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

__all__ = ["Refused", "TagError", "check_tags", "install"]


class Refused:
    """What a node of an unusable tag is read as: the problem to report where it is found."""

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def __repr__(self) -> str:
        return f"<{self.problem}>"


class TagError(ValueError):
    """A value of an unusable tag at `field` (a dotted path, `<root>` for the whole file)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


_WORDS = {
    "tag:yaml.org,2002:binary": "a binary (!!binary) value; write it as text",
    "tag:yaml.org,2002:set": "a set (!!set), whose order YAML does not keep; write a list [a, b]",
    "tag:yaml.org,2002:omap": "an ordered mapping (!!omap); write a plain mapping {a: 1}",
    "tag:yaml.org,2002:pairs": "a list of pairs (!!pairs); write a plain mapping {a: 1}",
}


def _shown(tag: str) -> str:
    tag = "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag
    return tag if len(tag) <= 60 else tag[:57] + "..."


def _refuse(loader: Any, node: yaml.Node) -> Refused:
    return Refused(_WORDS[node.tag])


def _unknown(loader: Any, node: yaml.Node) -> Refused:
    return Refused(f"a value of the tag {_shown(node.tag)}, which these files do not read; write the value plain")


def _timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    """A date stays a date (pydantic takes it where a date is expected); a time of day or a time zone is
    refused as the date fields refuse it. A datetime at midnight is a date there too (`quantities.Date`)."""
    value = yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)  # ValueError for 2024-13-01: invalid YAML
    if isinstance(value, dt.datetime) and (value.time() != dt.time(0) or value.tzinfo is not None):
        return Refused(f"expected a date without a time of day (got {node.value!r})")
    return value


def install(loader: Any) -> None:
    """Build the tags `check_tags` refuses as `Refused` on the (SafeLoader) class `loader`."""
    for tag in _WORDS:
        loader.add_constructor(tag, _refuse)
    loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
    loader.add_constructor(None, _unknown)  # any other tag: SafeLoader's "could not determine a constructor"


def _entry(value: Any, index: int) -> str:
    """A list entry as error paths name it: by its `id` (`nodes.fab`, `controls.r1`) if a readable one."""
    nid = value.get("id") if isinstance(value, dict) else None
    readable = isinstance(nid, str) and nid and "." not in nid and nid.isprintable() and " " not in nid
    return nid if readable else str(index)


def _key(key: Any) -> str:
    return key.isoformat() if isinstance(key, dt.date) else str(key)


def check_tags(data: Any) -> None:
    """Raise a `TagError` for the first `Refused` value or key of `data` (in the file's order, a mapping's keys
    before its values). Each list and
    mapping is visited once, so an alias bomb (one list named a billion times) costs what its text does."""
    seen: set[int] = set()
    todo: list[tuple[tuple[str, ...], Any]] = [((), data)]
    while todo:
        path, value = todo.pop()
        if isinstance(value, Refused):
            raise TagError(".".join(path) or "<root>", value.problem)
        if not isinstance(value, (dict, list)) or id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            for key in value:
                if isinstance(key, Refused):
                    raise TagError(".".join(path) or "<root>", f"a key: {key.problem}")
            items = [((*path, _key(k)), v) for k, v in value.items()]
        else:
            items = [((*path, _entry(v, i)), v) for i, v in enumerate(value)]
        todo.extend(reversed(items))
