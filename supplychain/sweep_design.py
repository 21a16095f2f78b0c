"""A sweep's design: parameters (`PATH=v1,v2`, `PATH=lo:hi`, or a dict) and the points they make, a grid
product or a seeded Latin hypercube (`scipy.stats.qmc`). Every bad parameter is an `InputError` on
`params[PATH]` (the CLI's `--param PATH`) before anything runs."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Sequence, get_args, get_origin

import numpy as np
import yaml
from scipy.stats import qmc

from .arguments import ARGUMENTS, MAX_UNITS, whole
from .columns import ARRAYS
from .errors import InputError
from .fields import short
from .topology import load_yaml_text

__all__ = ["Param", "parse_param", "design", "dict_param", "whole_where_whole", "bad_param"]


@dataclass(frozen=True)
class Param:
    """A swept input: grid `values`, or a range `low`-`high` for a Latin hypercube."""

    path: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def as_text(self) -> str:
        """As the command line writes it: `PATH=v1,v2` or `PATH=lo:hi` (the manifest records this)."""
        if self.is_range:
            return f"{self.path}={self.low}:{self.high}"
        return f"{self.path}=" + ",".join(str(v) for v in self.values)


def bad_param(problem: str, path: str = "") -> InputError:
    """A bad sweep parameter: the `params` argument, at `path` (the CLI reads it as `--param PATH`)."""
    return InputError(ARGUMENTS, f"params[{path}]" if path else "params", problem)


def _scalar(text: str, path: str) -> Any:
    try:  # read as scenario files are: dates stay text for the schema to check, `1e5` is a number
        value = load_yaml_text(text)
    except (yaml.YAMLError, ValueError, RecursionError):  # ValueError: `!!int x`, thousands of digits
        raise bad_param(f"cannot read value {short(text)}", path) from None
    if isinstance(value, (dict, list)) or value is None:
        raise bad_param(f"values are numbers, true/false or words (got {text!r})", path)
    if isinstance(value, float) and math.isinf(value) and "inf" not in text.lower():  # 1e400 reads as inf
        raise bad_param(f"{text} is past a float's range (about 1.8e308)", path)
    return value


def parse_param(text: Any) -> Param:
    """`PATH=v1,v2,...` or `PATH=lo:hi` -> `Param`; anything else is an `InputError` on `--param`."""
    if isinstance(text, Param):
        return text
    path, eq, rest = str(text).partition("=")
    path, rest = path.strip(), rest.strip()
    if not eq or not path or not rest:
        raise bad_param("expected PATH=v1,v2,... (grid) or PATH=lo:hi (range for --lhs)", str(text))
    if ":" in rest and "," not in rest:
        lo, _, hi = rest.partition(":")
        try:
            low, high = float(lo), float(hi)
        except ValueError:
            raise bad_param(f"a range is two numbers lo:hi (got {rest!r})", path) from None
        if not (math.isfinite(low) and math.isfinite(high)):
            raise bad_param(f"a range needs finite numbers lo:hi (got {rest!r})", path)
        if low >= high:
            raise bad_param(f"a range needs lo < hi (got {rest!r})", path)
        return Param(path, low=low, high=high)
    items = [v.strip() for v in rest.split(",")]
    if any(not v for v in items):
        raise bad_param(f"empty value in {rest!r}", path)
    return Param(path, values=tuple(_scalar(v, path) for v in items))


def design(params: Sequence[Param], lhs: int | None, seed: int) -> list[dict[str, Any]]:
    """The points: the grid product, or `lhs` Latin-hypercube points over the ranges."""
    if not params:
        raise bad_param("give at least one --param PATH=...")
    paths = [p.path for p in params]
    dup = {p for p in paths if paths.count(p) > 1}
    if dup:
        raise bad_param("given twice", sorted(dup)[0])
    for inner in paths:  # set.nodes.x.capacity and set.nodes.x.capacity.value: one overrode the other at every
        outer = next((p for p in paths if inner.startswith(p + ".")), None)  # point, a column that changed nothing
        if outer is not None:
            raise bad_param(f"a field inside {outer}, which is swept too: one would override the other at every point",
                            inner)
    if lhs is not None:
        lhs = whole("lhs", lhs, 1, MAX_UNITS)
        for p in params:
            if not p.is_range:
                raise bad_param("a Latin hypercube (--lhs, lhs=) samples ranges: write PATH=lo:hi", p.path)
        u = qmc.LatinHypercube(d=len(params), seed=np.random.default_rng(seed)).random(lhs)
        return [{p.path: float(p.low + row[j] * (p.high - p.low)) for j, p in enumerate(params)} for row in u]
    for p in params:
        if p.is_range:
            raise bad_param("a range lo:hi needs a Latin hypercube (--lhs N, lhs=N); for a grid write PATH=v1,v2,...", p.path)
    points = math.prod(len(p.values) for p in params)
    if points > MAX_UNITS:  # the product is built before anything runs
        raise bad_param(f"the grid has {points:,} points; at most {MAX_UNITS:,} (use --lhs to sample it)")
    for p in params:  # a typo (0.1,0.1 for 0.1,0.2): the point would run twice, the other never
        seen: set[tuple[str, Any]] = set()
        for v in p.values:
            if _value_key(v) in seen:
                raise bad_param(f"value {v!r} given twice", p.path)
            seen.add(_value_key(v))
    return [dict(zip(paths, combo)) for combo in itertools.product(*(p.values for p in params))]


def _value_key(v: Any) -> tuple[str, Any]:
    """Equal for the same grid value: 1 and 1.0 are one point; True is not 1 (the schema refuses a bool for a number)."""
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, (int, float)):
        return ("number", float(v))
    return (type(v).__name__, repr(v))


def dict_param(path: Any, value: Any) -> Param:
    """One entry of `sweep`'s dict form: `{path: [values]}` or a range `{path: (lo, hi)}`."""
    if isinstance(value, tuple):
        try:
            low, high = (float(v) for v in value)
        except (TypeError, ValueError):
            raise bad_param(f"a range is a tuple of two numbers (lo, hi) (got {value!r})", str(path)) from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise bad_param(f"a range needs finite lo < hi (got {value!r})", str(path))
        return Param(str(path), low=low, high=high)
    if isinstance(value, (*ARRAYS, range)):  # np.linspace(...), a column, its .unique(): values, as a list
        value = np.asarray(value).tolist()  # numpy scalars as Python's, which the scenario's checks take
    values = tuple(value if isinstance(value, list) else [value])
    if not values:
        raise bad_param("needs at least one value (got [])", str(path))
    return Param(str(path), values=values)


def _whole_field(path: str) -> bool:
    """Whether scenario field `path` holds a whole number (`Count`), by its declared type: a value in a
    resolved scenario does not say (an unset `labs.review_days` holds its default 14, an int, as declared;
    `per_lab` is kept as the file wrote it, `power_headroom: 1` an int)."""
    from .scenario_schema import Scenario

    parts = path.split(".")
    if parts[0] == "per_lab" and len(parts) > 2:  # a lab's own LabPolicy fields, declared under `labs`
        parts = ["labs", *parts[2:]]
    elif parts[0] in ("controls", "shocks") and len(parts) > 2:  # <id> names an entry of the list
        parts = [parts[0], *parts[2:]]
    kind: Any = Scenario
    for part in parts:
        fields = getattr(kind, "model_fields", None)
        if not isinstance(fields, dict) or part not in fields:
            return False  # `set.<topology path>`, a mapping's key, an unknown field (an error later)
        kind = fields[part].annotation
        while get_origin(kind) is not None:  # list[Rule] -> Rule, X | None -> X
            inner = [a for a in get_args(kind) if a is not type(None)]
            if get_origin(kind) is dict or len(inner) != 1:
                return False
            kind = inner[0]
    return kind is int


def whole_where_whole(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Round the Latin-hypercube samples of a whole-number field (`generations.max_generations`) to
    whole numbers: its check would otherwise refuse a sample (4.202...) the user never wrote. Only those:
    an LHS over `labs.review_days=5:20` (a number of days, declared 14 by default) or over a lab's own
    `per_lab.<lab>.power_headroom=1:2` (written `1` in the file) was rounded to whole numbers too."""
    whole_paths = {path for path in (points[0] if points else ()) if _whole_field(path)}
    return [{k: (int(round(v)) if k in whole_paths else v) for k, v in pt.items()} for pt in points]
