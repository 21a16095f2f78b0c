"""Delay causes of order lines set by hand (docs/model.md section 4: the longest wait of a week or more, else the
longest step), in branches no policy run reaches: `delay_causes` (numpy, `causes_batch.py`) against `pick` of the
line's own segments (`causes.py`, the definition) and against the cause worked out by hand. The lines are added to a
run of the minimal chain whose HBM maker has a 3-day cycle time (its vendor has none); the run ends on day 365."""

import pytest

from supplychain.engine import World
from supplychain.engine.causes import pick, segments
from supplychain.engine.causes_batch import delay_causes
from supplychain.scenario_schema import Scenario

from _labs import minimal

COMMISSIONING = 30.0


@pytest.fixture(scope="module")
def world():
    model = minimal()
    hbm = next(n for n in model.nodes if n.id == "hbm_maker")
    hbm.cycle_time = hbm.cycle_time.model_validate(3)
    sc = {"name": "c", "end": "2022-12-31", "labs": {"commissioning_days": COMMISSIONING}}
    return World(model, Scenario.model_validate(sc), 0).run()


def _line(w, supplier, customer, product, kind, **times):
    ids = w.net.ids
    flow = next(f for f in w.net.flows if f.product == product and ids[f.supplier] == supplier
                and ids[f.customer] == customer)
    o = w._new(kind, flow, product, 100.0, times.pop("ordered"), lab=flow.customer if kind == "lab" else -1)
    for name, value in times.items():
        setattr(o, name, value)
    o.delivered_qty, o.status = 100.0, "delivered"
    return o


def _cause(w, o):
    """The batch cause of `o`, checked equal to the definition's."""
    cause = delay_causes(w)[o.id]
    assert cause == pick(segments(w, o))
    return cause


def test_a_line_shipped_in_parts_travels_from_when_its_last_goods_left(world):
    """HBM entered production on day 10 (cycle 3 days), shipped its first goods on day 13 and its last when it
    finished, day 19; delivered day 24. Its transport is the 5 days from day 19 (the first part's 11 days overlap its
    production), its queue 19 - 10 - 3 = 6 days: under a week, not a wait that names it, but the longest step."""
    o = _line(world, "hbm_maker", "packager", "hbm", "component", ordered=10.0, released=10.0, entered=10.0,
              started=10.0, shipped=13.0, finished=19.0, delivered=24.0)
    assert segments(world, o) == [("queue:hbm_maker", 6.0), ("production:hbm_maker", 3.0),
                                  ("transport:hbm_maker->packager", 5.0)]
    assert _cause(world, o) == "queue:hbm_maker"


def test_a_lab_line_whose_longest_step_is_its_licence_names_the_licence(world):
    """A lab order under a 5-day licence review (rule r), filled from the vendor's stock when released and
    delivered a day later, installed when commissioned: no wait of a week, and the licence is the longest step."""
    o = _line(world, "vendor", "lab", "acc", "lab", ordered=100.0, released=105.0, shipped=105.0, delivered=106.0,
              installed=106.0 + COMMISSIONING, installed_qty=100.0, rule="r")
    assert _cause(world, o) == "licence:r"


@pytest.mark.parametrize(("after", "cause"), [(0.8, "transport:vendor->lab"), (1.5, "power:lab")])
def test_a_wait_for_power_of_a_day_or_less_is_not_a_wait_for_power(world, after, cause):
    """Filled from stock on day 200, delivered half a day later, installed `after` days after commissioning: power is
    installed in daily steps, so a wait of a day or less is that step, not a wait for power (`_power_wait`); the
    half day's transport is then the longest step. A day and a half is a wait for power, the longest step."""
    o = _line(world, "vendor", "lab", "acc", "lab", ordered=200.0, released=200.0, shipped=200.0, delivered=200.5,
              installed=200.5 + COMMISSIONING + after, installed_qty=100.0)
    assert _cause(world, o) == cause
