"""Pydantic models for topology files: products, nodes, edges.

One schema drives defaults, validation and error messages (every model forbids
unknown fields), so a typo in a topology file is an error with a field path,
never a silently ignored figure. The figures they are built from (numbers,
schedules, distributions) live in `quantities`, scenario models in `scenario_schema`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .quantities import MAX_DAYS, Count, Date, Distribution, Number, Schedule, Strict, registered

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
    "ProductKind",
    "TRADES",
    "CAPACITY_UNITS",
    "AllocationName",
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
ProductKind = Literal["tool", "logic", "hbm", "accelerator", "power", "item"]

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

#: the smallest fraction a yield, an H100 equivalent, dies or packages per wafer or capacity per tool may be: the engine
#: divides by them (a yield clipped by a shock stops there too), and below it quantities pass a float's range
MIN_FRACTION = 1e-6


class Bom(Strict):
    """What one packaged accelerator consumes.

    Good logic dies per wafer = `dies_per_wafer` (gross candidates, geometry)
    x the supplying fab's die `yield`; the packaging node assembles when a
    lot's dies and HBM stacks have all arrived.
    """

    logic: str
    logic_dies: Number = Field(default=1.0, gt=0)
    # at least a millionth of a die (MIN_FRACTION): 1e-305 made a lab's order inf wafers (an InvariantError traceback)
    dies_per_wafer: Number = Field(ge=MIN_FRACTION)
    hbm: str | None = None
    hbm_stacks: Number = Field(default=0.0, ge=0)
    packaging_units: Number = Field(default=1.0, gt=0)
    source: str | None = None


class Product(Strict):
    """A good that moves along edges: tool, logic die, HBM stack, accelerator SKU, power (MW)."""

    kind: ProductKind
    name: str | None = None
    vendor: str | None = Field(default=None, description="id of the vendor node that designs it (export-control "
                               "rules aimed at that vendor's entities reach its orders)")
    # at most a million H100s in one part (a wafer-scale chip is ~60): 1e300 overflowed the fleet's FLOP/s to inf;
    # at least a millionth (1e-305 made a lab's target inf accelerators, an InvariantError traceback)
    h100e: Number | None = Field(default=None, ge=MIN_FRACTION, le=1e6)
    power_kw: Number | None = Field(default=None, gt=0)
    tpp: Number | None = Field(default=None, ge=0)
    perf_density: Number | None = Field(default=None, ge=0)
    mem_bw_tbs: Number | None = Field(default=None, ge=0)
    bw_density: Number | None = Field(default=None, ge=0, description="HBM GB/s per mm^2 (3A090.c)")
    available: Date | None = None
    discontinued: Date | None = None
    compliant_variant: str | None = None
    bom: Bom | None = None
    source: str | None = None

    @field_validator("bom")
    @classmethod
    def _bom_of_an_accelerator(cls, bom: Bom | None, info: ValidationInfo) -> Bom | None:
        """Only packaging assembles from a BOM, and packaging makes accelerators: a BOM on a die or a tool
        would be read by no production step, but would still tie its parts to it for export controls."""
        kind = info.data.get("kind")
        if bom is not None and kind is not None and kind != "accelerator":
            raise ValueError(f"only an accelerator has a bom (got one on a {kind} product)")
        return bom

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
    capacity_per_tool: Number = Field(ge=MIN_FRACTION, description="capacity units per tool")  # 5e-324: inf tools
    installed_tools_at_start: Number | None = Field(default=None, ge=0)
    source: str | None = None


#: the most orders a day a poisson demand stream may draw, one event each (100 a day for 1.5 years of
#: a minimal network took ~45 s; 1e300 never ended)
MAX_ARRIVALS_PER_DAY = 100.0


class DemandSpec(Strict):
    """A demand stream for the generic `demand` kind."""

    mode: Literal["fixed", "poisson"] = "fixed"
    rate: Number = Field(gt=0, description="units per day (fixed) or orders per day (poisson)")
    size: Number = Field(default=1.0, gt=0, description="units per order")
    period_days: Number = Field(default=1.0, ge=1, description="fixed mode: one order every period (a day at least)")
    source: str | None = None

    @model_validator(mode="after")
    def _arrivals(self) -> "DemandSpec":
        unread = "period_days" if self.mode == "poisson" and self.period_days != 1.0 else \
            "size" if self.mode == "fixed" and self.size != 1.0 else None
        if unread:  # silently ignored, it would run another stream than the one written down
            raise ValueError(f"mode {self.mode} does not use {unread} (fixed: rate units a day in one order every "
                             "period_days; poisson: rate orders a day of size units each)")
        if self.mode == "poisson" and self.rate > MAX_ARRIVALS_PER_DAY:  # each arrival is an event: 1e300 a day never ended
            raise ValueError(f"poisson arrivals are one event each: at most {MAX_ARRIVALS_PER_DAY:g} orders a day "
                             f"(got {self.rate:g}); for heavy demand use mode fixed or a larger size")
        return self


def check_id(v: str) -> str:
    """A node or product id: it is a part of field paths (`nodes.fab.capacity`), of `set:` paths and of
    GraphML attributes, so no dots or spaces, and nothing unprintable: a control character wrote a GraphML
    file no XML reader opens, and an invisible one (zero width, a bidi mark) made `fab` unknown as `fab`."""
    if any(c.isspace() for c in v) or "." in v:
        raise ValueError(f"ids may not contain spaces or dots (got {v!r})")
    if not v.isprintable():
        raise ValueError(f"ids may not contain control or invisible characters (got {v!r})")
    return v


class NodeBase(Strict):
    id: str = Field(min_length=1)
    name: str | None = None
    # never empty: an empty GraphML <data> or a YAML `country: ""` was a country of its own, '' (a CSV cell
    # left empty is "not given", the default "XX")
    country: str = Field(default="XX", min_length=1)
    jurisdiction: str | None = Field(default=None, min_length=1)
    tech_origin: list[str] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list, description="named entities (Entity List)")
    source: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_id(v)

    @property
    def juris(self) -> str:
        return self.jurisdiction or self.country


#: an allocation rule's name: `fifo`, `pro_rata`, `priority` or one added with `register_allocation`
AllocationName = Annotated[str, registered("allocation", "allocation rule")]


class ProducerMixin(Strict):
    makes: list[str] = Field(default_factory=list)
    capacity: Schedule
    ai_share: Schedule | None = Field(default=None, description="fraction of capacity open to modelled orders")
    yield_: Schedule = Field(default_factory=lambda: Schedule(value=1.0), alias="yield")
    cycle_time: Schedule = Field(default_factory=lambda: Schedule(value=0.0), description="days")
    allocation: AllocationName = "fifo"
    priority: dict[str, Count] = Field(default_factory=dict, description="customer id -> tier (0 first)")
    expansion: Expansion | None = None


class BuildAheadMixin(Strict):
    """A component maker that starts wafers or stacks on forecast, not only on orders."""

    build_ahead_days: Number = Field(
        default=0.0, ge=0, le=MAX_DAYS, description="assumption if set: days of recent order flow held as finished "
        "stock on top of the lots in production (0: make to order)")


class EquipmentNode(NodeBase, ProducerMixin):
    kind: Literal["equipment"]


class FabNode(NodeBase, ProducerMixin, BuildAheadMixin):
    kind: Literal["fab"]


class MemoryNode(NodeBase, ProducerMixin, BuildAheadMixin):
    kind: Literal["memory"]


class PackagingNode(NodeBase, ProducerMixin):
    kind: Literal["packaging"]
    packages_per_wafer: Number | None = Field(  # at least a millionth (MIN_FRACTION): 1e-305 made inf wafers
        default=None, ge=MIN_FRACTION, description="if set, capacity is interposer wafers/week"
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
    # at most a run's span (100 years, MAX_DAYS), as every other duration: the orders arrive in weekly parts, and
    # 1e12 days listed 1.4e11 of them until memory ran out (a MemoryError, or the process killed)
    in_flight_days: Number = Field(default=180.0, gt=0, le=MAX_DAYS,
                                   description="assumption: orders in flight at the start arrive over half a year")


class SourceNode(NodeBase):
    kind: Literal["source"]
    makes: list[str] = Field(default_factory=list)
    capacity: Schedule | None = None
    cycle_time: Schedule = Field(default_factory=lambda: Schedule(value=0.0))
    allocation: AllocationName = "fifo"
    priority: dict[str, Count] = Field(default_factory=dict, description="customer id -> tier (0 first)")


class StockNode(NodeBase):
    kind: Literal["stock"]
    item: str
    policy: Literal["base_stock", "sS", "make_to_order"] = "base_stock"
    base_stock: Number = Field(default=0.0, ge=0)
    s: Number | None = None
    S: Number | None = None
    initial: Number | None = Field(default=None, ge=0)
    review_days: Number = Field(default=1.0, ge=1, description=(
        "days between reviews (a day at least: the model steps daily): sS reviews every review_days; base_stock "
        "replenishes each demand as it comes (continuous review) at 1, and reviews every review_days above it, (R, S)"))
    bom: dict[str, Number] = Field(default_factory=dict, description="input item -> units per unit")
    cycle_time: Schedule = Field(default_factory=lambda: Schedule(value=0.0))

    @model_validator(mode="after")
    def _policy(self) -> "StockNode":
        if self.policy == "sS":
            if self.s is None or self.S is None:
                raise ValueError("policy sS needs s and S")
            if self.s >= self.S:
                raise ValueError(f"s must be below S (got s={self.s}, S={self.S})")
        # a field the policy does not read, set away from its default, would be silently ignored: refuse it
        stray = {"sS": ("base_stock",), "base_stock": ("s", "S"), "make_to_order": ("s", "S", "base_stock", "review_days")}
        unread = [f for f in stray[self.policy] if getattr(self, f) != type(self).model_fields[f].default]
        if unread:
            raise ValueError(f"policy {self.policy} does not use {', '.join(unread)} (base_stock: base_stock and review_days; "
                             "sS: s, S and review_days; make_to_order: neither)")
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
    start: Date | None = None
    sources: list[str] = Field(default_factory=list)


class TopologyModel(TopologyMeta):
    """A whole topology file."""

    products: dict[str, Product] = Field(default_factory=dict)
    nodes: list[Node] = Field(default_factory=list, validate_default=True)
    edges: list[Edge] = Field(default_factory=list)

    @field_validator("products")
    @classmethod
    def _product_ids(cls, products: dict[str, Any]) -> dict[str, Any]:
        for pid in products:
            if not pid:
                raise ValueError("a product id may not be empty")
            check_id(pid)
        return products

    @field_validator("nodes")
    @classmethod
    def _some_nodes(cls, nodes: list[Any]) -> list[Any]:
        if not nodes:  # also when `nodes:` is missing, before edges are checked against no nodes
            raise ValueError("a topology needs at least one node")
        return nodes
