"""Quantities: the value types every topology and scenario figure is built from.

A figure is a finite number (never a bool, `.inf` or `.nan`), a schedule that
may change over time, or a random duration; every model forbids unknown
fields (`Strict`). Both `schema` (topology files) and `scenario_schema` build
on these, so a figure is checked the same way wherever it is written.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from typing import Annotated, Any, Callable, Iterator, Literal

import numpy as np
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, GetJsonSchemaHandler, ValidationError,
                      field_validator, model_validator)
from pydantic.json_schema import JsonSchemaValue
from pydantic.types import AllowInfNan
from pydantic_core import InitErrorDetails, PydanticCustomError

from .errors import short

__all__ = ["Number", "Count", "Date", "Strict", "Schedule", "Distribution", "DAYS_PER_YEAR", "MAX_GROWTH", "MAX_DAYS",
           "registered", "fail_at"]

DAYS_PER_YEAR = 365.25
#: the largest yearly growth of a schedule (x101 a year); more is a typo (60 for 0.6) or overflows a run
MAX_GROWTH = 100.0
#: the longest duration a figure may give, in days (100 years): a licence review of 1e300 days ended in an
#: OutOfBoundsDatetime traceback when its day became a date
MAX_DAYS = 36_525
_LOG_MAX = math.log(sys.float_info.max)


def _not_bool(value: Any) -> Any:
    """YAML `true` is a bool, which pydantic would read as 1.0 where a number goes."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number (got {short(value)})")
    return value


def _finite_number(value: Any) -> Any:
    """Checked before any bound, so `.nan` is called not finite rather than "not greater than 0"."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"figures must be finite (got {value})")
    return _not_bool(value)


#: A figure of a topology or scenario: a finite number (an int is read as a float);
#: a bool, `.inf` or `.nan` (also as the strings "inf", "nan") is an error, never 1.0 or infinity.
Number = Annotated[float, BeforeValidator(_finite_number), AllowInfNan(False)]
#: A whole number (a bool is an error, not 0 or 1).
Count = Annotated[int, BeforeValidator(_not_bool)]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(value: Any) -> Any:
    """A calendar date written `YYYY-MM-DD` (or a `datetime.date`; a datetime only at midnight).

    pydantic alone would read a number as seconds since 1970 (`start: 86400` is 1970-01-02) and
    text with a time of day at midnight as its date; both are mistakes in a file, never meant.
    """
    if isinstance(value, (bool, int, float)):
        raise ValueError(f"expected a date YYYY-MM-DD (got {short(value)})")
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value.strip()):
            raise ValueError(f"expected a date YYYY-MM-DD (got {short(value)})")
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"not a date: {exc} (got {short(value)})") from None
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0) or value.tzinfo is not None:
            raise ValueError(f"expected a date without a time of day (got {value.isoformat()!r})")
        return value.date()
    return value


#: A calendar date: `YYYY-MM-DD` text or a `datetime.date`; never a number or a time of day.
Date = Annotated[dt.date, BeforeValidator(_date)]


def fail_at(loc: tuple[Any, ...], value: Any, problem: str) -> None:
    """Raise an error at `loc` below the field being validated (pydantic prefixes the field's own path),
    so a duplicate id is reported at `controls.<i>.id`, not at the scenario's root. Shared by the scenario's
    models in `scenario_schema` and `scenario_events`."""
    raise ValidationError.from_exception_data(
        "Scenario", [InitErrorDetails(type=PydanticCustomError("value_error", "{problem}", {"problem": problem}), loc=loc, input=value)]
    )


def registered(registry: str, what: str) -> AfterValidator:
    """A validator of a name in one of the registries users extend (`plugins.REGISTRIES`: allocation
    rules, ordering policies, shock kinds), looked up when a file is validated, not when the schema
    is imported, so a name registered later is accepted like a built-in (the engine imports the
    schemas, hence the late import)."""

    def check(name: str) -> str:
        from .plugins import REGISTRIES

        known = REGISTRIES[registry]
        if name not in known:
            raise ValueError(f"unknown {what} (got {name!r}); registered: {', '.join(sorted(known))}")
        return name

    return AfterValidator(check)


def _bare_number(data: Any, what: str, wrap: Callable[[Any], dict]) -> Any:
    """A figure written as a bare number becomes its model's mapping (`wrap`); a bool is an error."""
    if isinstance(data, bool) or isinstance(data, (str, list)):  # text: `'2,000'`, `lots` (YAML reads `1e5` as a number)
        raise ValueError(f"expected a number or a {what} (got {short(data)})")
    return wrap(data) if isinstance(data, (int, float)) else data


def _or_number(core: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
    """A figure's JSON Schema (`supplychain topology schema`): its mapping, or the bare number `_bare_number`
    takes, as most files write it. Without the number an editor checking a file against the schema flags
    `capacity: 15000`."""
    mapping = dict(handler.resolve_ref_schema(handler(core)))
    named = {k: mapping.pop(k) for k in ("title", "description") if k in mapping}
    return {**named, "anyOf": [{"type": "number"}, mapping]}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Schedule(Strict):
    """A figure that may change over time.

    Written as a bare number, as `{value: x, source: ...}`, or as dated points
    `{points: {2023-12-31: 15000, 2024-12-31: 35000}, growth: 0.6}`: linear
    interpolation between points, constant before the first, and compound
    `growth` per year (0.6 = +60 %/yr) after the last.
    """

    value: Number | None = None
    points: dict[Date, Number] | None = None
    # at most x101 a year: a faster growth overflows to infinity within a run's horizon (1e308 did in 14 years)
    growth: Number = Field(default=0.0, gt=-1.0, le=MAX_GROWTH)
    source: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _scalar(cls, data: Any) -> Any:
        return _bare_number(data, "schedule", lambda x: {"value": x})

    @classmethod
    def __get_pydantic_json_schema__(cls, core: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return _or_number(core, handler)

    @field_validator("points", mode="before")
    @classmethod
    def _one_value_a_date(cls, points: Any) -> Any:
        """`2025-01-01` and `"2025-01-01 "` are one date: the later value silently replaced the earlier."""
        if isinstance(points, dict):
            seen: dict[str, Any] = {}
            for key in points:
                day = key.strip() if isinstance(key, str) else str(key)
                if day in seen:
                    raise ValueError(f"date {day} given twice (got {seen[day]!r} and {key!r})")
                seen[day] = key
        return points

    @model_validator(mode="after")
    def _one_form(self) -> "Schedule":
        if (self.value is None) == (self.points is None or len(self.points) == 0):
            raise ValueError("give exactly one of `value` or non-empty `points`")
        return self  # every value is a `Number`: finite already

    def _values(self) -> list[float]:
        return [self.value] if self.value is not None else list(self.points.values())  # type: ignore[union-attr]

    def min_value(self) -> float:
        return min(self._values())

    def max_value(self) -> float:
        return max(self._values())

    def finite_until(self, start: dt.date, end: dt.date) -> bool:
        """Whether `on_days` stays finite up to `end` in a run from `start`: growth compounds after the last
        point (a bare value: from `start`), and a run far past the figure's dates overflowed to infinity."""
        if self.growth <= 0:
            return True
        if self.value is not None:
            base, days = abs(self.value), (end - start).days
        else:
            last = max(self.points)  # type: ignore[type-var]
            base, days = abs(self.points[last]), max((end - last).days, 0)  # type: ignore[index]
        power = days / DAYS_PER_YEAR * math.log1p(self.growth)  # the log of the factor, computed first (0 x inf is nan)
        return power < _LOG_MAX and (base == 0 or math.log(base) + power < _LOG_MAX)

    def at(self, when: dt.date) -> float:
        """Value on one date."""
        return float(self.on_days(when, np.array([0.0]))[0])

    def on_days(self, start: dt.date, days: np.ndarray) -> np.ndarray:
        """Values on `days` (days since `start`), vectorised."""
        days = np.asarray(days, dtype=float)
        if self.value is not None:
            base = np.full(days.shape, self.value, dtype=float)
            if self.growth:
                return base * (1.0 + self.growth) ** (np.maximum(days, 0.0) / DAYS_PER_YEAR)
            return base
        pts = sorted(self.points.items())  # type: ignore[union-attr]
        xs = np.array([(d - start).days for d, _ in pts], dtype=float)
        ys = np.array([v for _, v in pts], dtype=float)
        out = np.interp(days, xs, ys)
        if self.growth:
            past = days > xs[-1]
            out[past] = ys[-1] * (1.0 + self.growth) ** ((days[past] - xs[-1]) / DAYS_PER_YEAR)
        return out


def _blocks(rng: np.random.Generator, size: int = 64) -> Iterator[float]:
    """`rng.random()` draws, endless, fetched `size` at a time (the stream must be the caller's alone:
    it runs up to `size` - 1 draws ahead)."""
    while True:
        yield from rng.random(size).tolist()


class Distribution(Strict):
    """A random duration in days: fixed, uniform, triangular or lognormal (mean, cv)."""

    dist: Literal["fixed", "uniform", "triangular", "lognormal"] = "fixed"
    mean: Number | None = Field(default=None, ge=0, le=MAX_DAYS)
    low: Number | None = Field(default=None, ge=0, le=MAX_DAYS)
    high: Number | None = Field(default=None, ge=0, le=MAX_DAYS)
    mode: Number | None = Field(default=None, ge=0, le=MAX_DAYS)
    cv: Number | None = Field(default=None, ge=0, le=10)
    source: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _scalar(cls, data: Any) -> Any:
        return _bare_number(data, "distribution", lambda x: {"dist": "fixed", "mean": x})

    @classmethod
    def __get_pydantic_json_schema__(cls, core: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return _or_number(core, handler)

    @model_validator(mode="after")
    def _params(self) -> "Distribution":
        need = {
            "fixed": ("mean",),
            "uniform": ("low", "high"),
            "triangular": ("low", "mode", "high"),
            "lognormal": ("mean", "cv"),
        }[self.dist]
        missing = [n for n in need if getattr(self, n) is None]
        if missing:
            raise ValueError(f"{self.dist} needs {', '.join(missing)}")
        if self.dist in ("uniform", "triangular") and self.low > self.high:  # type: ignore[operator]
            raise ValueError(f"low > high (got {self.low} > {self.high})")
        if self.dist == "triangular" and not (self.low <= self.mode <= self.high):  # type: ignore[operator]
            raise ValueError(f"mode outside [low, high] (got {self.mode})")
        return self

    @property
    def expected(self) -> float:
        if self.dist in ("fixed", "lognormal"):
            return float(self.mean)  # type: ignore[arg-type]
        if self.dist == "uniform":
            return (self.low + self.high) / 2  # type: ignore[operator]
        return (self.low + self.mode + self.high) / 3  # type: ignore[operator]

    def sample(self, rng: np.random.Generator) -> float:
        return self.sampler(rng)()

    def sampler(self, rng: np.random.Generator, own: bool = False) -> Callable[[], float]:
        """A draw function bound to `rng`, parameters worked out once: a run samples transport
        times hundreds of thousands of times. Draws the same numbers as repeated `sample`.
        `own`: nothing else draws from `rng` (a flow's stream), so uniform and triangular draws
        fetch its doubles in blocks, the same doubles in the same order as one `random()` each
        (numpy fills an array draw by draw), at a fifth of the cost per draw."""
        if self.dist == "fixed":
            value = float(self.mean)  # type: ignore[arg-type]
            return lambda: value
        # uniform and triangular: numpy's own formulas (distributions.c) on one `rng.random()`,
        # the same double it draws, in the same operations: a scalar numpy draw costs
        # three times a plain `random()` (argument checks, broadcasting), most of a shipment's
        # transport time on a large network
        uniform = _blocks(rng).__next__ if own else rng.random
        if self.dist == "uniform":
            low, width = float(self.low), float(self.high) - float(self.low)  # type: ignore[arg-type]
            return lambda: low + width * uniform()
        if self.dist == "triangular":
            low, mode, high = float(self.low), float(self.mode), float(self.high)  # type: ignore[arg-type]
            if low == high:
                value = low
                return lambda: value
            base, left = high - low, mode - low
            ratio, left_prod, right_prod = left / base, left * base, (high - mode) * base
            sqrt = math.sqrt

            def triangular() -> float:
                u = uniform()
                return low + sqrt(u * left_prod) if u <= ratio else high - sqrt((1.0 - u) * right_prod)

            return triangular
        mean, cv = float(self.mean), float(self.cv)  # type: ignore[arg-type]
        if mean == 0 or cv == 0:
            return lambda: mean
        sigma2 = np.log1p(cv * cv)
        mu, sigma = np.log(mean) - sigma2 / 2, np.sqrt(sigma2)
        return lambda: min(float(rng.lognormal(mu, sigma)), MAX_DAYS)  # the tail stays a date; the draws are unchanged
