"""Pydantic models of a scenario's dated interventions: export-control rules and shocks.

Rules (`controls`) and shocks (`shocks`) are the scenario's entries that act on the chain from a date,
each under an id: they share one id space, `extends` merges them and `remove:` drops them by that id,
the events table logs what each did under it (`idle` says the ones that did nothing), and the engine
reads them in `engine.controls`/`engine.reviews` and `engine.shocks`. The rest of a scenario (lab
behaviour, demand, generations, RSI, sourcing, quotes) describes how the world runs, and stays in
`scenario_schema`, whose `Scenario` holds these lists and checks their ids are unique.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .quantities import MAX_DAYS, MAX_GROWTH, Date, Distribution, Number, Strict, fail_at, registered
from .schema import ProductKind

__all__ = ["Scope", "Rule", "Target", "RandomOccurrence", "Shock"]

#: a shock kind: `capacity`, `yield`, `transport`, `demand`, `plan`, `power_delay` or one added with
#: `engine.shocks.register_shock_kind`
ShockKind = Annotated[str, registered("shock", "shock kind")]


class Scope(Strict):
    """Which orders a rule touches. Empty lists match everything on that axis."""

    supplier_countries: list[str] = Field(default_factory=list, description="supplier country or jurisdiction")
    tech_origin: list[str] = Field(default_factory=list, description="foreign direct product rule: made with this tech")
    destinations: list[str] = Field(default_factory=list, description="customer countries")
    entities: list[str] = Field(default_factory=list, description="named customers: node ids or entity names")
    product_kinds: list[ProductKind] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    min_tpp: Number | None = Field(default=None, ge=0, description="matches at or above")
    min_perf_density: Number | None = Field(default=None, ge=0, description="matches at or above")
    min_bw_density: Number | None = Field(default=None, ge=0,
                                          description="matches strictly above (Dec 2024 HBM rule: > 2 GB/s per mm2)")
    threshold_any: bool = Field(default=True, description="thresholds combine with OR (True) or AND (False)")


class Rule(Strict):
    """An export-control rule: `ban`, `license`, `quota`, or `equipment` (a ban on tools)."""

    id: str = Field(min_length=1)
    description: str | None = None
    source: str | None = None
    announced: Date
    effective: Date
    ends: Date | None = None
    scope: Scope = Field(default_factory=Scope)
    action: Literal["ban", "license", "quota", "equipment"]
    review_days: Distribution | None = None
    approval: Number = Field(default=0.0, ge=0, le=1)
    quota: Number | None = Field(default=None, ge=0, description="units per period")
    # a day at least (the model steps daily): a quota of 0 per 0.001 days re-checked each waiting order a
    # thousand times a day and never finished
    period_days: Number = Field(default=365.0, ge=1, le=MAX_DAYS, description="days per quota period (a day at least)")
    quota_excess: Literal["wait", "refuse"] = "wait"
    # at most 100x (MAX_GROWTH), as demand multipliers: 1e300 was ordered whole, and an unconstrained run installed it
    # (infinite training FLOP/s); the Dec 2024 HBM rule's is 17
    stockpile: Number = Field(default=1.0, ge=1.0, le=MAX_GROWTH, description="order multiplier for targeted buyers before effect")
    substitute: bool = Field(default=True, description="vendors may ship a compliant variant instead")

    @model_validator(mode="after")
    def _check(self) -> "Rule":
        if self.effective < self.announced:
            raise ValueError(f"effective {self.effective} is before announced {self.announced}")
        if self.ends is not None and self.ends <= self.effective:
            raise ValueError(f"ends {self.ends} is not after effective {self.effective}")
        if self.action == "license" and self.review_days is None:
            raise ValueError("a license rule needs review_days")
        if self.action == "quota" and self.quota is None:
            raise ValueError("a quota rule needs quota")
        return self


class Target(Strict):
    """Nodes (by id, kind or country) or edges (by supplier/customer country) a shock touches."""

    ids: list[str] = Field(default_factory=list)
    kinds: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    edge_from_countries: list[str] = Field(default_factory=list)
    edge_to_countries: list[str] = Field(default_factory=list)

    def matches(self, node_id: str, kind: str | None, country: str | None) -> bool:
        """Whether a node is targeted: every non-empty list of ids, kinds, countries holds it."""
        return ((not self.ids or node_id in self.ids) and (not self.kinds or kind in self.kinds)
                and (not self.countries or country in self.countries))


class RandomOccurrence(Strict):
    # each occurrence is drawn one by one: 1e300 a year never ended; more than one a day is no longer a shock
    rate_per_year: Number = Field(gt=0, le=365, description="Poisson occurrence rate (at most one a day)")
    first: Date | None = None
    last: Date | None = None

    @field_validator("last")
    @classmethod
    def _after_first(cls, last: dt.date | None, info: ValidationInfo) -> dt.date | None:
        first = info.data.get("first")
        if last is not None and first is not None and last <= first:
            raise ValueError(f"must be after first {first} (got {last})")
        return last


class Shock(Strict):
    """A disruption: scheduled (`start`) or random (`random`), for a duration."""

    id: str = Field(min_length=1)
    description: str | None = None
    source: str | None = None
    kind: ShockKind
    start: Date | None = None
    random: RandomOccurrence | None = None
    duration_days: Distribution = Field(default_factory=lambda: Distribution(dist="fixed", mean=180.0))
    recovery_days: Number = Field(default=0.0, ge=0, le=MAX_DAYS, description="linear ramp back to normal after the shock")
    multiplier: Number = Field(ge=0)
    target: Target = Field(default_factory=Target)

    @model_validator(mode="after")
    def _when(self) -> "Shock":
        if (self.start is None) == (self.random is None):
            raise ValueError("give exactly one of `start` (scheduled) or `random`")
        if self.kind == "demand" and self.multiplier > MAX_GROWTH:  # as `demand.multiplier`: 1e300 overflowed
            fail_at(("multiplier",), self.multiplier, f"a demand shock's multiplier must be at most {MAX_GROWTH:g} "
                  f"(got {self.multiplier:g})")
        return self
