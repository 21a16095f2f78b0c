"""Training, stepped by hand: when a generation is released against the minimum training time and
the RSI start, on one lab whose powered fleet trains a fixed, round amount a day."""

from types import SimpleNamespace

import numpy as np
import pytest

from supplychain.engine import training
from supplychain.engine.training import H100_FLOPS, Training
from supplychain.scenario_schema import Scenario

#: one H100e at utilisation 1, training fraction 1 and no efficiency growth: FLOP a day
DAILY = 1.0 * H100_FLOPS * 86400.0


@pytest.fixture(autouse=True, params=["python floats", "numpy"])
def _path(request, monkeypatch):
    """Each test on both of `Training.step`'s paths: Python floats for a few labs, numpy for many."""
    monkeypatch.setattr(training, "_FEW_LABS", 16 if request.param == "python floats" else 0)


def _training(**over) -> Training:
    policy = SimpleNamespace(utilisation=1.0, training_fraction=1.0)
    sc = Scenario.model_validate({"name": "t", "start": "2024-01-01", "algorithms": {"efficiency_growth": 1.0},
                                  "generations": {"max_generations": 100}, **over})
    return Training(["lab"], [SimpleNamespace(policy=policy)], sc)


def _run(t: Training, days: int) -> list[tuple]:
    h = np.ones(1)
    for day in range(days):
        t.step(day, h)
    return t.releases


def test_a_generation_done_within_a_day_is_released_when_the_minimum_training_time_is_met_to_the_day():
    """Each generation's compute (1e18 x 2^g FLOP, under a day's 8.64e19) is done after its first day,
    so the minimum training time alone sets the releases: day - started = 5 exactly, every 5 days."""
    t = _training(generations={"requirement_0": 1e18, "scale": 2.0, "min_training_days": 5, "max_generations": 100})
    got = _run(t, 21)
    assert [r[2] for r in got] == [5.0, 10.0, 15.0, 20.0]
    assert [r[3] for r in got] == [0.0, 5.0, 10.0, 15.0]
    assert [r[4] for r in got] == [1e18, 2e18, 4e18, 8e18]


@pytest.mark.parametrize(("rsi_start", "days", "rsi", "now"), [
    ("2024-01-04", [3.0, 5.0, 7.0], [1.0, 2.0, 4.0], 8.0),  # day 3: the release on the start day gains
    ("2024-01-05", [3.0, 7.0], [1.0, 1.0], 2.0),  # day 4: the release the day before it does not
])
def test_the_release_on_the_rsi_start_day_is_the_first_to_gain(rsi_start, days, rsi, now):
    """Generation 0 needs 2.5 days of compute: after days 0-2 it is done, released at the start of day 3.
    Generation 1 needs 2.5 x 1.5 = 3.75 days: at RSI 2 (gain 2 from a release on or after the start) two
    days (3, 4: released day 5), at RSI 1 four (3-6: released day 7, which is past the start and gains).
    At RSI 4, generation 2's 5.625 days take two (5, 6: released day 7)."""
    t = _training(generations={"requirement_0": 2.5 * DAILY, "scale": 1.5, "min_training_days": 0, "max_generations": 100},
                  rsi={"gain": 2.0, "gain_growth": 1.0, "start": rsi_start})
    got = _run(t, 8)
    assert [r[2] for r in got] == days
    assert [r[5] for r in got] == rsi  # the multiplier each generation trained at
    assert t.rsi.tolist() == [now]


@pytest.mark.parametrize(("rsi", "trained_at"), [
    ({"preset": "plateau"}, [1.0, 2.0, 3.0, 3.75]),  # gains 2, 1.5, 1.25: 1 + (2 - 1) x 0.5^k
    ({"preset": "compound"}, [1.0, 2.0, 4.0, 8.0]),  # gains 2, 2, 2
    ({"preset": "full"}, [1.0, 2.0, 5.2, 18.512]),  # gains 2, 2.6, 3.56: 1 + 1.6^k
    ({"preset": "plateau", "gain": 3.0}, [1.0, 3.0, 6.0, 9.0]),  # gains 3, 2, 1.5: the preset's growth 0.5 kept
    ({"preset": "full", "gain_growth": 1.0}, [1.0, 2.0, 4.0, 8.0]),  # the preset's gain 2 kept
])
def test_rsi_presets_give_the_gains_docs_model_md_lists_and_a_field_given_overrides_only_itself(rsi, trained_at):
    """docs/model.md section 7: `plateau` is gain 2, growth 0.5; `compound` 2, 1; `full` 2, 1.6; a `gain` or
    `gain_growth` given replaces that one figure of the preset. Each generation is done within its first day
    and `min_training_days: 1` releases one a day, every release gaining (no `start`)."""
    t = _training(generations={"requirement_0": 1e18, "scale": 1.5, "min_training_days": 1, "max_generations": 100},
                  rsi=rsi)
    got = _run(t, 5)
    assert [r[2] for r in got] == [1.0, 2.0, 3.0, 4.0]
    assert [r[5] for r in got] == pytest.approx(trained_at, rel=1e-12)
