"""Pydantic models for topology files: products, nodes, edges, schedules.

One schema drives defaults, validation and error messages (every model forbids
unknown fields), so a typo in a topology file is an error with a field path,
never a silently ignored figure. Scenario models live in `scenario_schema`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Callable, Literal, Union

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.types import AllowInfNan

__all__ = [
    "Number",
    "Count",
    "Schedule",
    "Distribution",
    "Bom",
    "Product",
    "Node",
    "Edge",
    "TopologyModel",
    "TopologyMeta",
    "NODE_KINDS",
    "PRODUCT_KINDS",
    "TRADES",
    "CAPACITY_UNITS",
]

NODE_KINDS = (
    "equipment",
    "fab",
    "memory",
    "packaging",
    "vendor",
    "grid",
    "lab",
    "source",
    "stock",
    "demand",
)
PRODUCT_KINDS = ("tool", "logic", "hbm", "accelerator", "power", "item")

#: Which supplier kind may ship to which customer kind (goods flow supplier -> customer).
TRADES: dict[str, frozenset[str]] = {
    "equipment": frozenset({"fab", "memory", "packaging"}),
    "fab": frozenset({"packaging"}),
    "memory": frozenset({"packaging"}),
    "packaging": frozenset({"vendor"}),
    "vendor": frozenset({"lab"}),
    "grid": frozenset({"lab"}),
    "lab": frozenset(),
    "source": frozenset({"stock", "demand", "source"}),
    "stock": frozenset({"stock", "demand"}),
    "demand": frozenset(),
}

#: Unit of the `capacity` schedule of each kind (converted to units/day by the engine).
CAPACITY_UNITS: dict[str, str] = {
    "equipment": "tools/year",
    "fab": "wafers/week",
    "memory": "stacks/week (starts)",
    "packaging": "packages/week",
    "grid": "MW/year of new connections",
    "source": "units/week (omit for unlimited)",
    "stock": "-",
    "demand": "-",
    "vendor": "-",
    "lab": "-",
}

DAYS_PER_YEAR = 365.25


def _not_bool(value: Any) -> Any:
    """YAML `true` is a bool, which pydantic would read as 1.0 where a number goes."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number (got {value!r})")
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
    points: dict[dt.date, Number] | None = None
    growth: Number = Field(default=0.0, gt=-1.0)
    source: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _scalar(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError(f"expected a number or a schedule, got {data!r}")
        if isinstance(data, (int, float)):
            return {"value": data}
        return data

    @model_validator(mode="after")
    def _one_form(self) -> "Schedule":
        if (self.value is None) == (self.points is None or len(self.points) == 0):
            raise ValueError("give exactly one of `value` or non-empty `points`")
        for v in self._values():
            if not np.isfinite(v):
                raise ValueError(f"values must be finite (got {v})")
        return self

    def _values(self) -> list[float]:
        return [self.value] if self.value is not None else list(self.points.values())  # type: ignore[union-attr]

    def min_value(self) -> float:
        return min(self._values())

    def max_value(self) -> float:
        return max(self._values())

    def at(self, when: dt.date) -> float:
        """Value on one date."""
        return float(self.on_days(when, np.array([0.0]))[0])

    def on_days(self, start: dt.date, days: np.ndarray) -> np.ndarray:
        """Values on `days` (days since `start`), vectorised."""
        days = np.asarray(days, dtype=float)
        if self.value is not None:
            base = np.full(days.shape, self.value, dtype=float)
            last = 0.0
            if self.growth:
                return base * (1.0 + self.growth) ** (np.maximum(days - last, 0.0) / DAYS_PER_YEAR)
            return base
        pts = sorted(self.points.items())  # type: ignore[union-attr]
        xs = np.array([(d - start).days for d, _ in pts], dtype=float)
        ys = np.array([v for _, v in pts], dtype=float)
        out = np.interp(days, xs, ys)
        if self.growth:
            past = days > xs[-1]
            out[past] = ys[-1] * (1.0 + self.growth) ** ((days[past] - xs[-1]) / DAYS_PER_YEAR)
        return out


class Distribution(Strict):
    """A random duration in days: fixed, uniform, triangular or lognormal (mean, cv)."""

    dist: Literal["fixed", "uniform", "triangular", "lognormal"] = "fixed"
    mean: Number | None = Field(default=None, ge=0)
    low: Number | None = Field(default=None, ge=0)
    high: Number | None = Field(default=None, ge=0)
    mode: Number | None = Field(default=None, ge=0)
    cv: Number | None = Field(default=None, ge=0)
    source: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _scalar(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError(f"expected a number or a distribution, got {data!r}")
        if isinstance(data, (int, float)):
            return {"dist": "fixed", "mean": data}
        return data

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

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        """A draw function bound to `rng`, parameters worked out once: a run samples transport
        times hundreds of thousands of times. Draws the same numbers as repeated `sample`."""
        if self.dist == "fixed":
            value = float(self.mean)  # type: ignore[arg-type]
            return lambda: value
        if self.dist == "uniform":
            low, high = self.low, self.high
            return lambda: float(rng.uniform(low, high))
        if self.dist == "triangular":
            low, mode, high = self.low, self.mode, self.high
            if low == high:
                value = float(low)  # type: ignore[arg-type]
                return lambda: value
            return lambda: float(rng.triangular(low, mode, high))
        mean, cv = float(self.mean), float(self.cv)  # type: ignore[arg-type]
        if mean == 0 or cv == 0:
            return lambda: mean
        sigma2 = np.log1p(cv * cv)
        mu, sigma = np.log(mean) - sigma2 / 2, np.sqrt(sigma2)
        return lambda: float(rng.lognormal(mu, sigma))


class Bom(Strict):
    """What one packaged accelerator consumes.

    Good logic dies per wafer = `dies_per_wafer` (gross candidates, geometry)
    x the supplying fab's die `yield`; the packaging node assembles when a
    lot's dies and HBM stacks have all arrived.
    """

    logic: str
    logic_dies: Number = Field(default=1.0, gt=0)
    dies_per_wafer: Number = Field(gt=0)
    hbm: str | None = None
    hbm_stacks: Number = Field(default=0.0, ge=0)
    packaging_units: Number = Field(default=1.0, gt=0)
    source: str | None = None


class Product(Strict):
    """A good that moves along edges: tool, logic die, HBM stack, accelerator SKU, power (MW)."""

    kind: Literal["tool", "logic", "hbm", "accelerator", "power", "item"]
    name: str | None = None
    vendor: str | None = Field(default=None, description="id of the vendor node that designs it (export-control "
                               "rules aimed at that vendor's entities reach its orders)")
    h100e: Number | None = Field(default=None, gt=0)
    power_kw: Number | None = Field(default=None, gt=0)
    tpp: Number | None = Field(default=None, ge=0)
    perf_density: Number | None = Field(default=None, ge=0)
    mem_bw_tbs: Number | None = Field(default=None, ge=0)
    bw_density: Number | None = Field(default=None, ge=0, description="HBM GB/s per mm^2 (3A090.c)")
    available: dt.date | None = None
    discontinued: dt.date | None = None
    compliant_variant: str | None = None
    bom: Bom | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _accelerator_fields(self) -> "Product":
        if self.kind == "accelerator":
            missing = [n for n in ("h100e", "power_kw", "bom") if getattr(self, n) is None]
            if missing:
                raise ValueError(f"accelerator needs {', '.join(missing)}")
        if self.available and self.discontinued and self.discontinued <= self.available:
            raise ValueError(f"discontinued {self.discontinued} is not after available {self.available}")
        return self


class Expansion(Strict):
    """Capacity growth gated by tool deliveries: effective capacity is the planned
    schedule capped at what delivered tools support."""

    tool: str
    capacity_per_tool: Number = Field(gt=0, description="capacity units per tool")
    installed_tools_at_start: Number | None = Field(default=None, ge=0)
    source: str | None = None


class DemandSpec(Strict):
    """A demand stream for the generic `demand` kind."""

    mode: Literal["fixed", "poisson"] = "fixed"
    rate: Number = Field(gt=0, description="units per day (fixed) or orders per day (poisson)")
    size: Number = Field(default=1.0, gt=0, description="units per order")
    period_days: Number = Field(default=1.0, gt=0, description="fixed mode: one order every period")
    source: str | None = None


class NodeBase(Strict):
    id: str = Field(min_length=1)
    name: str | None = None
    country: str = "XX"
    jurisdiction: str | None = None
    tech_origin: list[str] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list, description="named entities (Entity List)")
    source: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if any(c.isspace() for c in v) or "." in v:
            raise ValueError(f"ids may not contain spaces or dots (got {v!r})")
        return v

    @property
    def juris(self) -> str:
        return self.jurisdiction or self.country


class ProducerMixin(Strict):
    makes: list[str] = Field(default_factory=list)
    capacity: Schedule
    ai_share: Schedule | None = Field(default=None, description="fraction of capacity open to modelled orders")
    yield_: Schedule = Field(default_factory=lambda: Schedule(value=1.0), alias="yield")
    cycle_time: Schedule = Field(default_factory=lambda: Schedule(value=0.0), description="days")
    allocation: Literal["fifo", "pro_rata", "priority"] = "fifo"
    priority: dict[str, Count] = Field(default_factory=dict, description="customer id -> tier (0 first)")
    expansion: Expansion | None = None


class EquipmentNode(NodeBase, ProducerMixin):
    kind: Literal["equipment"]


class FabNode(NodeBase, ProducerMixin):
    kind: Literal["fab"]


class MemoryNode(NodeBase, ProducerMixin):
    kind: Literal["memory"]


class PackagingNode(NodeBase, ProducerMixin):
    kind: Literal["packaging"]
    packages_per_wafer: Number | None = Field(
        default=None, gt=0, description="if set, capacity is interposer wafers/week"
    )


class GridNode(NodeBase, ProducerMixin):
    kind: Literal["grid"]


class VendorNode(NodeBase):
    kind: Literal["vendor"]
    skus: list[str] = Field(default_factory=list)
    cycle_time: Schedule = Field(default_factory=lambda: Schedule(value=0.0))
    build_ahead_days: Number = Field(
        default=0.0, ge=0, description="days of recent order flow a vendor keeps built ahead (0: build to order)"
    )


class LabNode(NodeBase):
    kind: Literal["lab"]
    fleet: dict[str, Number] = Field(default_factory=dict, description="SKU -> installed units at start")
    power_mw: Schedule = Field(default_factory=lambda: Schedule(value=0.0), description="powered MW at start")
    target_h100e: Schedule | None = Field(default=None, description="fleet target trajectory, H100e")
    in_flight: dict[str, Number] = Field(
        default_factory=dict, description="SKU -> units ordered before the start, delivered evenly over in_flight_days"
    )
    in_flight_days: Number = Field(default=180.0, gt=0)


class SourceNode(NodeBase):
    kind: Literal["source"]
    makes: list[str] = Field(default_factory=list)
    capacity: Schedule | None = None
    cycle_time: Schedule = Field(default_factory=lambda: Schedule(value=0.0))
    allocation: Literal["fifo", "pro_rata", "priority"] = "fifo"
    priority: dict[str, Count] = Field(default_factory=dict, description="customer id -> tier (0 first)")


class StockNode(NodeBase):
    kind: Literal["stock"]
    item: str
    policy: Literal["base_stock", "sS", "make_to_order"] = "base_stock"
    base_stock: Number = Field(default=0.0, ge=0)
    s: Number | None = None
    S: Number | None = None
    initial: Number | None = Field(default=None, ge=0)
    review_days: Number = Field(default=1.0, gt=0)
    bom: dict[str, Number] = Field(default_factory=dict, description="input item -> units per unit")
    cycle_time: Schedule = Field(default_factory=lambda: Schedule(value=0.0))

    @model_validator(mode="after")
    def _policy(self) -> "StockNode":
        if self.policy == "sS":
            if self.s is None or self.S is None:
                raise ValueError("policy sS needs s and S")
            if self.s >= self.S:
                raise ValueError(f"s must be below S (got s={self.s}, S={self.S})")
        return self


class DemandNode(NodeBase):
    kind: Literal["demand"]
    item: str
    demand: DemandSpec


Node = Annotated[
    Union[
        EquipmentNode,
        FabNode,
        MemoryNode,
        PackagingNode,
        GridNode,
        VendorNode,
        LabNode,
        SourceNode,
        StockNode,
        DemandNode,
    ],
    Field(discriminator="kind"),
]


class Edge(Strict):
    """Goods flow `source_id -> target` (supplier -> customer) for one product."""

    source_id: str = Field(alias="from", min_length=1)
    target: str = Field(alias="to", min_length=1)
    product: str
    share: Schedule = Field(default_factory=lambda: Schedule(value=1.0))
    transport: Distribution = Field(default_factory=lambda: Distribution(dist="fixed", mean=0.0))
    source: str | None = None


class TopologyMeta(Strict):
    """What a topology says about itself (a CSV folder's meta.csv holds just this)."""

    name: str = "topology"
    description: str | None = None
    start: dt.date | None = None
    sources: list[str] = Field(default_factory=list)


class TopologyModel(TopologyMeta):
    """A whole topology file."""

    products: dict[str, Product] = Field(default_factory=dict)
    nodes: list[Node] = Field(default_factory=list, validate_default=True)
    edges: list[Edge] = Field(default_factory=list)

    @field_validator("nodes")
    @classmethod
    def _some_nodes(cls, nodes: list[Any]) -> list[Any]:
        if not nodes:  # also when `nodes:` is missing, before edges are checked against no nodes
            raise ValueError("a topology needs at least one node")
        return nodes
