"""Pydantic models for scenario files: lab behaviour, demand, generations, RSI, sourcing, quotes; the Scenario.

A scenario says what differs from the topology's world: when the run starts
and ends, how labs order, how fast algorithms improve, which export-control
rules and shocks apply (their models, `Rule` and `Shock`, are in `scenario_events`).
Defaults carry their source (see docs/model.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from .arguments import MAX_UNITS
from .quantities import DAYS_PER_YEAR, MAX_DAYS, MAX_GROWTH, Count, Date, Number, Schedule, Strict, fail_at, registered
from .scenario_events import Rule, Shock

__all__ = [
    "LabPolicy",
    "Generations",
    "Algorithms",
    "Rsi",
    "RSI_PRESETS",
    "Demand",
    "Sourcing",
    "Quotes",
    "Scenario",
]


#: a lab ordering policy's name: `order_up_to`, `smooth` or one added with `engine.ordering.register_ordering`
OrderingName = Annotated[str, registered("ordering", "ordering policy")]


class LabPolicy(Strict):
    """How a lab orders, installs and uses accelerators."""

    utilisation: Number = Field(default=0.4, gt=0, le=1, description="MFU; Llama 3.1 405B 38-43 %, AI-2027 40 %")
    training_fraction: Number = Field(
        default=0.3, gt=0, le=1, description="share of the powered fleet in the frontier run; Epoch 2030: 16/26/40 %"
    )
    # durations in days are at most a run's span (100 years, MAX_DAYS), as every other duration: 1e300 ran, as
    # "never", but a figure no run can reach is a typo more often than a wish
    commissioning_days: Number = Field(default=75, ge=0, le=MAX_DAYS, description="delivery to running; 2-3 months to install hardware")
    # at most a run's span (100 years): the start fleet retires in one tranche per year of life, and 1e300
    # years listed tranches until memory ran out (MemoryError traceback)
    lifetime_years: Number = Field(default=5.0, gt=0, le=MAX_DAYS / DAYS_PER_YEAR,
                                   description="assumption: accelerators retire after ~5 years")
    # at least daily (the model steps a day at a time): 1e-300 reviewed forever without reaching day 1
    review_days: Number = Field(default=14, ge=1, le=MAX_DAYS, description="assumption: how often a lab reviews its orders")
    horizon_days: Number = Field(default=270, ge=0, le=MAX_DAYS, description="assumption: orders cover the target this far ahead")
    power_horizon_days: Number = Field(default=900, ge=0, le=MAX_DAYS, description="assumption: power ordered this far ahead")
    # at most 100x the need (MAX_GROWTH): 1e307 passed and overflowed the grid's order book (InvariantError)
    power_headroom: Number = Field(default=1.1, ge=1.0, le=MAX_GROWTH, description="assumption: MW ordered per MW needed")
    order_ahead_days: Number = Field(
        default=180, ge=0, le=MAX_DAYS, description="assumption: order books open this long before a SKU's first shipments"
    )
    power_aware: bool = Field(
        default=False,
        description="assumption, off by default: order accelerators only for the power expected when they "
        "arrive (MW on hand, plus the power on order the grid's quote says comes within horizon_days)",
    )
    ordering: OrderingName = Field(default="order_up_to", description="how much of the gap to its order-up-to "
                                   "level a lab orders at a review: `order_up_to` (all of it, the default) or `smooth` "
                                   "(review_days / adjustment_days of it); docs/model.md section 2")
    ordering_params: dict[str, Annotated[Number, Field(ge=0)]] = Field(
        default_factory=dict, description="parameters of the ordering policy (`smooth`: adjustment_days, default 90)")

    @model_validator(mode="after")
    def _ordering_params(self) -> "LabPolicy":
        from .engine.ordering import ORDERING_POLICIES

        declared = ORDERING_POLICIES[self.ordering].defaults
        for key, value in self.ordering_params.items():
            if key not in declared:
                names = ", ".join(sorted(declared)) or "none"
                fail_at(("ordering_params", key), value,
                      f"not a parameter of ordering policy {self.ordering!r} (got {key!r}); its parameters: {names}")
        return self

    def ordering_values(self) -> dict[str, float]:
        """The ordering policy's parameters, its defaults filled in."""
        from .engine.ordering import ORDERING_POLICIES

        return {**ORDERING_POLICIES[self.ordering].defaults, **self.ordering_params}


class Generations(Strict):
    """Generation g needs requirement_0 x scale^g effective FLOP (g = 0 is the first one trained in the run)."""

    # bounded so that requirement_0 x scale^max_generations stays a float (scale 1e300 overflowed)
    requirement_0: Number = Field(default=3e25, gt=0, le=1e100, description="FLOP; assumption: between GPT-4 ~2.1e25 and Llama 3.1 405B ~3.8e25 (Epoch)")
    scale: Number = Field(default=10.0, gt=1, le=100, description="x compute per generation; GPT-4 -> GPT-4.5 ~10x")
    min_training_days: Number = Field(default=90, ge=0, le=MAX_DAYS, description="Llama 3.1 72 days, GPT-4 ~100 days")
    max_generations: Count = Field(default=12, ge=1, le=100, description="assumption: a cap, not a forecast")


class Algorithms(Strict):
    efficiency_growth: Number = Field(default=3.0, gt=0, le=MAX_GROWTH + 1,  # 1e300 overflowed the FLOP count
                                      description="x per year; Epoch ~3x/yr (Ho et al. 2024: 2.8x)")


class Rsi(Strict):
    """Recursive self-improvement: each release multiplies the lab's efficiency by a gain.

    The lab's k-th release on or after `start` (k = 0, 1, ...) gains 1 + (gain - 1) x gain_growth^k;
    `gain` and `gain_growth` left empty take the `preset`'s values.
    """

    preset: Literal["none", "plateau", "compound", "full"] = "none"
    # bounded so that the compounded multiplier stays a float (1e300 overflowed the FLOP count)
    gain: Number | None = Field(default=None, ge=1.0, le=MAX_GROWTH + 1)
    gain_growth: Number | None = Field(default=None, gt=0, le=10)
    start: Date | None = Field(default=None, description="releases before this date give no feedback")

    def resolved(self) -> tuple[float, float]:
        base = RSI_PRESETS[self.preset]
        return (self.gain if self.gain is not None else base[0], self.gain_growth if self.gain_growth is not None else base[1])


#: preset -> (gain, gain_growth). Assumptions shaped after the three takeoff stories
#: (progress plateau, compound efficiency, full self-improvement); see docs/model.md.
RSI_PRESETS: dict[str, tuple[float, float]] = {
    "none": (1.0, 1.0),
    "plateau": (2.0, 0.5),
    "compound": (2.0, 1.0),
    "full": (2.0, 1.6),
}


class Demand(Strict):
    """Lab fleet targets: per-lab trajectories (H100e) and a multiplier on all of them."""

    targets: dict[str, Schedule] = Field(default_factory=dict, description="lab id -> target H100e trajectory")
    multiplier: Schedule = Field(default_factory=lambda: Schedule(value=1.0))
    growth: Number | None = Field(default=None, gt=-1, le=MAX_GROWTH,
                                  description="override the targets' growth past their last point")

    # bounded as the topology's fleets and targets are (MAX_FLEET, MAX_GROWTH): a target or a multiplier of 1e300
    # was ordered whole, and installed whole in an unconstrained run (every comparison's counterfactual), where
    # the fleet's training FLOP/s were infinite
    @field_validator("multiplier")
    @classmethod
    def _multiplier(cls, v: Schedule) -> Schedule:
        if v.min_value() < 0:
            raise ValueError(f"a demand multiplier must not be negative (got {v.min_value():g})")
        if v.max_value() > MAX_GROWTH:
            raise ValueError(f"a demand multiplier must be at most {MAX_GROWTH:g} (got {v.max_value():g})")
        return v

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: dict[str, Schedule]) -> dict[str, Schedule]:
        from .validation import MAX_FLEET

        for lab, s in v.items():
            if s.min_value() < 0:
                fail_at((lab,), s.min_value(), f"a fleet target must not be negative (got {s.min_value():g})")
            if s.max_value() > MAX_FLEET:
                fail_at((lab,), s.max_value(), f"a fleet target must be at most {MAX_FLEET:g} H100e (got {s.max_value():g})")
        return v


class Sourcing(Strict):
    """How buyers split a need over the suppliers of one product (off by default: by edge share).

    With `elasticity` e > 0, a supplier quoting k times the quickest of its customer's
    suppliers of that product is given k^-e of its edge share (renormalised), so new orders
    move toward short queues; `half_life_days` is how fast the split follows the weekly
    quotes (contracts and qualification do not move at once). Only suppliers the edge
    already qualifies (a positive share) gain volume."""

    elasticity: Number = Field(default=0.0, ge=0, le=10, description="assumption, 0 (fixed shares) by default: "
                               "a supplier quoting k times the quickest gets k^-elasticity of its share")
    half_life_days: Number = Field(default=90, ge=0, le=MAX_DAYS, description="assumption: the split moves halfway "
                                   "to the one the quotes call for in this many days (0: at once, weekly)")


class Quotes(Strict):
    """How the weekly quotes are made (docs/model.md section 4): what capacity a producer's
    quote counts on, and what a vendor without finished stock promises.

    `capacity: today` (the default): the backlog at today's effective capacity, as if it never
    changed. `capacity: plan`: the capacity the node's own schedule (capacity x ai_share) plans for
    the days ahead, scaled by today's effective / planned capacity (a shock, or tools
    behind plan, is taken to persist in proportion): industry quotes in early 2024 already
    counted on the CoWoS doubling. A `plan` shock changes that schedule from its start on
    (a quote made before it does not foresee it). And what a vendor without finished stock
    quotes: by default a new build lot through its chain; with `vendor: atp` (available to promise) the day the
    lot already in build that will fill a new order first come, first served is due (placed
    + the chain quote it was placed at), or a new build if the lots in build are all spoken
    for. Only the quotes change, not what is made."""

    capacity: Literal["today", "plan"] = Field(default="today", description="assumption, `today` by default: "
                                               "quote at today's capacity, or along the planned capacity schedule")
    vendor: Literal["chain", "atp"] = Field(default="chain", description="a vendor without stock quotes a new build "
                                            "through its chain (`chain`, the default), or the scheduled arrival of the "
                                            "build lot in its pipeline that will fill a new order (`atp`, available to promise)")


class Scenario(Strict):
    # names folders (outputs/<name>/, replications/<name>__unconstrained/, <name>_p00042): at 300 characters the
    # file system refused them and the error blamed --out, which the user may not have given
    name: str = Field(default="scenario", min_length=1, max_length=200,
                      description="names the output folder and the tables' rows; a file that sets none is "
                                  "named after the file (its stem), one read from a stream `stdin`, data after this default")
    description: str | None = None
    sources: list[str] = Field(default_factory=list)
    topology: str = "../topology/default.yaml"
    start: Date = Field(default=dt.date(2022, 1, 1), description="default: the topology's `start`, else 2022-01-01")
    end: Date = Field(default=dt.date(2035, 12, 31), validate_default=True)  # checked against start even when left out
    seed: Count = Field(default=0, ge=0)
    replications: Count = Field(default=1, ge=1, le=MAX_UNITS)
    set: dict[str, Any] = Field(default_factory=dict, description="overrides of topology figures by path")
    labs: LabPolicy = Field(default_factory=LabPolicy)
    per_lab: dict[str, dict[str, Any]] = Field(default_factory=dict, description="lab id -> LabPolicy fields")
    demand: Demand = Field(default_factory=Demand)
    algorithms: Algorithms = Field(default_factory=Algorithms)
    generations: Generations = Field(default_factory=Generations)
    rsi: Rsi = Field(default_factory=Rsi)
    controls: list[Rule] = Field(default_factory=list)
    shocks: list[Shock] = Field(default_factory=list)
    sourcing: Sourcing = Field(default_factory=Sourcing)
    quotes: Quotes = Field(default_factory=Quotes)
    unconstrained: bool = Field(default=False, description="lift supply limits (the counterfactual)")

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError(f"must be after start {start} (got {end})")
        if start is not None and (end - start).days > MAX_DAYS:  # the arrays are nodes x days; growth compounds
            raise ValueError(f"a run spans at most 100 years ({MAX_DAYS:,} days) from start {start} (got {end})")
        return end

    @field_validator("controls")
    @classmethod
    def _unique_rule_ids(cls, controls: list[Rule]) -> list[Rule]:
        seen: set[str] = set()
        for i, r in enumerate(controls):
            if r.id in seen:
                fail_at((i, "id"), r.id, f"duplicate rule/shock id (got {r.id!r})")
            seen.add(r.id)
        return controls

    @field_validator("shocks")
    @classmethod
    def _unique_ids(cls, shocks: list[Shock], info: ValidationInfo) -> list[Shock]:
        """Rules and shocks share one id space (`remove:` and `extends` merge by id)."""
        seen = {r.id for r in info.data.get("controls") or []}
        for i, s in enumerate(shocks):
            if s.id in seen:
                fail_at((i, "id"), s.id, f"duplicate rule/shock id (got {s.id!r})")
            seen.add(s.id)
        return shocks

    @field_validator("per_lab")
    @classmethod
    def _per_lab(cls, per_lab: dict[str, dict[str, Any]], info: ValidationInfo) -> dict[str, dict[str, Any]]:
        """Each lab's fields over `labs` must make a valid policy; an error names the lab (`per_lab.<lab>.<field>`)
        and, for a field `labs` itself got wrong, is left to `labs` (its own error, not blamed on every lab)."""
        labs = info.data.get("labs")
        if isinstance(labs, LabPolicy):
            for lab in per_lab:
                merged_lab_policy(labs, per_lab, lab)
        return per_lab

    def lab_policy(self, lab_id: str) -> LabPolicy:
        """The policy of lab `lab_id`: its `per_lab` fields over `labs`."""
        return merged_lab_policy(self.labs, self.per_lab, lab_id)


def merged_lab_policy(labs: LabPolicy, per_lab: dict[str, dict[str, Any]], lab: str) -> LabPolicy:
    """A lab's `per_lab` fields over `labs`, validated: the one merge that the scenario's validation and the
    run both use, so a file that validates runs with the policies its check saw. An error is located at
    `<lab>.<field>` below the `per_lab` field."""
    own = per_lab.get(lab, {})
    if isinstance(own.get("ordering"), str) and "ordering_params" not in own and labs.ordering_params:
        # an entry that names its own policy inherits `labs.ordering_params`: one that policy does not take
        # is blamed on the entry's `ordering`, not on an `ordering_params` the entry does not set
        from .engine.ordering import ORDERING_POLICIES

        policy = ORDERING_POLICIES.get(own["ordering"])
        alien = sorted(k for k in labs.ordering_params if policy is not None and k not in policy.defaults)
        if alien:
            fail_at((lab, "ordering"), own["ordering"],
                  f"ordering policy {own['ordering']!r} does not take labs.ordering_params.{alien[0]}, which this lab "
                  f"inherits (got {own['ordering']!r}); its parameters: {', '.join(sorted(policy.defaults)) or 'none'}; "
                  "give the lab its own ordering_params ({} for none)")
    try:
        return LabPolicy.model_validate({**labs.model_dump(), **per_lab.get(lab, {})})
    except ValidationError as err:
        raise ValidationError.from_exception_data("Scenario", [
            InitErrorDetails(type=PydanticCustomError(e["type"], "{msg}", {**e.get("ctx", {}), "msg": e["msg"]}),
                             loc=(lab, *e["loc"]), input=e["input"])
            for e in err.errors(include_url=False)]) from None
