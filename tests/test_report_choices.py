"""What a report of more than it draws chooses, read from the figures it draws (matplotlib's objects, caught on
their way to PNG) and its page: the first `MAX_SCENARIOS` scenarios, the `MAX_LABS` labs of largest fleet, and the
words naming what was left out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import supplychain.report as report
from supplychain.experiment import run_experiment
from supplychain.figures import MAX_LABS

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = str(ROOT / "topology" / "minimal.yaml")


def _drawn(monkeypatch) -> dict:
    """Each figure the report draws, by name, as matplotlib made it."""
    figs: dict = {}

    def spy(name, real):
        def draw(*args, **kwargs):
            figs[name] = real(*args, **kwargs)
            return figs[name]
        monkeypatch.setattr(report, name, draw)

    for name in ("lead_time_figure", "generations_figure", "fleet_figure", "binding_figure", "events_figure",
                 "sweep_figure"):
        spy(name, getattr(report, name))
    return figs


def _gids(fig) -> set[str]:
    return {line.get_gid() for ax in fig.axes for line in ax.get_lines() if line.get_gid()}


@pytest.fixture(scope="module")
def sweep_of_eight(tmp_path_factory):
    """A sweep of eight points, one replication each, to the end of March 2022."""
    from supplychain.sweeps import sweep

    out = tmp_path_factory.mktemp("sweep8")
    sweep({"name": "q", "topology": MINIMAL, "end": "2022-03-31"},
          {"algorithms.efficiency_growth": [1, 2, 3, 4, 5, 6, 7, 8]}, replications=1, seed=1, workers=1, out=out)
    return out


def test_a_sweep_of_eight_points_draws_and_keys_the_first_six_and_says_six_of_eight(sweep_of_eight, monkeypatch):
    """The standard figures draw the first six points (their lines, nothing of the other two), the key lists the
    inputs of those six only, and the caption of the sweep's own figure says the others draw 6 of the 8."""
    figs = _drawn(monkeypatch)
    page = report.make_report(sweep_of_eight).read_text()
    names = [f"q_p{i:03d}" for i in range(8)]
    assert _gids(figs["fleet_figure"]) == set(names[:report.MAX_SCENARIOS])
    assert _gids(figs["lead_time_figure"]) <= set(names[:report.MAX_SCENARIOS])
    assert "(here 6 of 8)" in page
    keyed = [name for name in names if f"<code>{name}</code>:" in page]
    assert keyed == names[:report.MAX_SCENARIOS]


@pytest.fixture(scope="module")
def many_labs(tmp_path_factory):
    """A generated network of more labs than `MAX_LABS`, four months."""
    from supplychain.generate import generate_topology

    model = generate_topology(30, 0)
    out = tmp_path_factory.mktemp("many")
    run_experiment({"name": "many", "start": "2022-01-01", "end": "2022-04-30"}, replications=1, workers=1,
                   topology=model, out=out)
    return out


def test_the_lab_figures_draw_the_labs_of_largest_fleet_and_the_page_names_them(many_labs, monkeypatch):
    """The fleet figure's lines are the `MAX_LABS` labs the page names, and no lab left out had a larger fleet on
    the last date than one drawn."""
    figs = _drawn(monkeypatch)
    page = report.make_report(many_labs).read_text()
    fleet = pd.read_parquet(many_labs / "fleet.parquet")
    size = fleet[fleet["date"] == fleet["date"].max()].groupby("lab")["installed_h100e"].max()
    drawn = {line.get_label() for ax in figs["fleet_figure"].axes for line in ax.get_lines()}
    assert len(drawn) == MAX_LABS and f"({', '.join(sorted(drawn))}); the tables have every lab" in page
    left = size.drop(sorted(drawn))
    assert len(left) == len(size) - MAX_LABS and left.max() <= size[sorted(drawn)].min()


def test_a_run_of_two_scenarios_heads_its_page_with_each_ones_replications_and_seeds(tmp_path, monkeypatch):
    """Scenarios a (seed 1, one replication) and b (seed 2, two replications) of one lab: the page says
    "Replications: a 1, b 2; seed 1, 2", draws the accelerators' lead times only (not the lab's grid power), and says
    nothing of labs left out (it has one, drawn)."""
    scenarios = [{"name": name, "topology": MINIMAL, "end": "2022-03-31", "seed": seed, "replications": reps}
                 for name, seed, reps in (("a", 1, 1), ("b", 2, 2))]
    run_experiment(scenarios, workers=1, out=tmp_path)
    figs = _drawn(monkeypatch)
    page = report.make_report(tmp_path).read_text()
    assert "<h1>run: a, b</h1><p>Replications: a 1, b 2; seed 1, 2;" in page
    assert [ax.get_title() for ax in figs["lead_time_figure"].axes if ax.get_visible()] == ["acc to labs"]
    assert "The lab figures draw" not in page


def test_the_sweep_key_gives_a_points_inputs_to_four_figures_and_leaves_out_points_not_drawn():
    """A point swept at 0.1 + 0.2 of x and 2023-06-01 of a date reads `x = 0.3, when = 2023-06-01` (not
    0.30000000000000004); a point not drawn has no line."""
    points = pd.DataFrame({"point": [0, 1], "scenario": ["q_p000", "q_p001"], "x": [0.1 + 0.2, 1234.5678],
                           "when": ["2023-06-01", "2024-01-01"]})
    assert report._sweep_key(["q_p000"], points) == [
        "<p>Sweep points drawn:</p><ul><li><code>q_p000</code>: x = 0.3, when = 2023-06-01</li></ul>"]
