"""The World's calendar: which day each periodic decision falls on, and the run's last day stepped like the rest."""

import numpy as np
import pytest

from supplychain.engine import World
from supplychain.engine.reviews import TOOL_REVIEW_DAYS
from supplychain.results import simulate
from supplychain.scenario_schema import Scenario
from supplychain.topology import graph_to_model, load_topology

from conftest import ROOT, serial_chain
from _labs import minimal


def test_fabs_review_their_tools_from_the_runs_first_day_every_review_period():
    """A fab whose plan grows orders tools for the plan a year ahead at its monthly reviews (docs/model.md
    section 1), the first on day 0: every tool line is ordered on a whole number of review periods."""
    model = minimal(fleet={"acc": 10000})
    fab = next(n for n in model.nodes if n.id == "fab")
    fab.capacity = fab.capacity.model_validate({"points": {"2022-01-01": 2000, "2024-01-01": 6000}})
    r = simulate(model, {"name": "tools", "end": "2023-12-31", "labs": {"lifetime_years": 100}})
    ordered = r.orders.loc[r.orders["kind"] == "tool", "ordered"].to_numpy()
    assert len(ordered) >= 3 and ordered.min() == 0.0
    assert np.all(ordered % TOOL_REVIEW_DAYS == 0.0)


def test_labs_review_on_staggered_days_lab_j_on_day_j_of_each_period():
    """Two labs of one review period (14 days) do not review on the same days: the j-th lab's reviews fall on
    days j, j + 14, ... (a fleet's orders spread over the period instead of arriving at a vendor at once)."""
    w = World(graph_to_model(load_topology(ROOT / "tests" / "data" / "two_labs.yaml")),
              Scenario.model_validate({"name": "s", "end": "2022-12-31"}), 0).run()
    period = int(w.labs.states[0].policy.review_days)
    assert period == 14 and int(w.labs.states[1].policy.review_days) == 14
    for j, node in enumerate(w.labs.nodes):
        days = {o.ordered for o in w.orders if o.kind == "lab" and o.customer == node}
        assert days and {d % period for d in days} == {float(j)}, w.net.ids[node]


@pytest.mark.parametrize("end, days", [("2022-01-15", 15), ("2022-01-14", 14)])
def test_the_runs_last_day_is_stepped_and_recorded_when_it_falls_on_a_record_day(end, days):
    """The nodes table has a row every 7 days from day 0 through the last day of the run: a 15-day run is
    recorded on day 14, its last, a 14-day run on days 0 and 7 only."""
    r = simulate(serial_chain(70.0, 2, 1, 1, demand_rate=1), {"name": "c", "start": "2022-01-01", "end": end})
    recorded = sorted(set(r.nodes["day"]))
    assert recorded == list(range(0, days, 7))
