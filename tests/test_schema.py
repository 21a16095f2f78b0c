"""Schedules and distributions: the figures every node is built from."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, strategies as st
from pydantic import ValidationError

from supplychain.schema import Distribution, Schedule

START = dt.date(2022, 1, 1)


def test_scalar_schedule_is_constant():
    s = Schedule.model_validate(5)
    assert np.all(s.on_days(START, np.arange(0, 1000, 100)) == 5)


def test_points_interpolate_linearly_and_hold_before_first():
    s = Schedule.model_validate({"points": {"2022-01-01": 0, "2022-01-11": 10}})
    assert s.on_days(START, np.array([-5, 0, 5, 10, 20])).tolist() == [0, 0, 5, 10, 10]


def test_growth_compounds_after_last_point():
    s = Schedule.model_validate({"points": {"2022-01-01": 100}, "growth": 1.0})
    assert s.on_days(START, np.array([365.25 * 2]))[0] == pytest.approx(400)


@pytest.mark.parametrize("bad", [True, {"value": 1, "points": {"2022-01-01": 1}}, {}, {"value": float("nan")}, {"value": 1, "growth": -1}])
def test_bad_schedules_are_rejected(bad):
    with pytest.raises(ValidationError):
        Schedule.model_validate(bad)


@given(st.floats(0.1, 100), st.floats(0.0, 2.0))
def test_lognormal_mean_matches(mean, cv):
    d = Distribution(dist="lognormal", mean=mean, cv=cv)
    rng = np.random.default_rng(1)
    xs = np.array([d.sample(rng) for _ in range(4000)])
    assert np.all(xs >= 0)
    assert xs.mean() == pytest.approx(mean, rel=0.05 + 0.12 * cv)


def test_distribution_parameters_are_checked():
    with pytest.raises(ValidationError, match="needs"):
        Distribution(dist="triangular", low=1, high=3)
    with pytest.raises(ValidationError, match="low > high"):
        Distribution(dist="uniform", low=3, high=1)
    assert Distribution.model_validate(4).expected == 4


@given(st.sampled_from([{"dist": "fixed", "mean": 3.0}, {"dist": "uniform", "low": 1.0, "high": 4.0},
                        {"dist": "triangular", "low": 2.0, "mode": 3.0, "high": 9.0},
                        {"dist": "triangular", "low": 2.0, "mode": 2.0, "high": 2.0},
                        {"dist": "lognormal", "mean": 5.0, "cv": 0.4}, {"dist": "lognormal", "mean": 5.0, "cv": 0.0}]),
       st.integers(0, 2**32 - 1))
def test_bound_sampler_draws_the_distribution_from_the_rng(spec, seed):
    """The engine draws transport times through `sampler` (parameters worked out once); the
    draws are numpy's for those parameters, one rng call each, so a seed fixes them."""
    d = Distribution.model_validate(spec)
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    draw = d.sampler(b)
    got = [draw() for _ in range(5)]
    if spec["dist"] == "uniform":
        want = [a.uniform(1.0, 4.0) for _ in range(5)]
    elif spec["dist"] == "triangular" and spec["low"] < spec["high"]:
        want = [a.triangular(2.0, 3.0, 9.0) for _ in range(5)]
    elif spec["dist"] == "lognormal" and spec["cv"] > 0:
        s2 = np.log1p(0.4**2)
        want = [a.lognormal(np.log(5.0) - s2 / 2, np.sqrt(s2)) for _ in range(5)]
    else:  # fixed values draw nothing
        want = [d.expected] * 5
    assert got == want  # bit for bit: the tables depend on it
    assert all(isinstance(x, float) for x in got)
    # a stream of its own (a flow's) is drawn in blocks: the same numbers, across a block's end too
    c, own = np.random.default_rng(seed), d.sampler(np.random.default_rng(seed), own=True)
    one = d.sampler(c)
    assert [own() for _ in range(150)] == [one() for _ in range(150)]
    assert d.sample(np.random.default_rng(seed)) == got[0]
