"""Figures and dates as a user's file or a notebook's data gives them: what loads, what it means, and what is
refused in one line naming the field (the YAML-only cases: test_hostile_input.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from supplychain.quantities import Distribution, Schedule
from supplychain.scenario import resolve_scenario

from _scenarios import MINIMAL, fails

START = dt.date(2022, 1, 1)


def loads(extra: dict):
    return resolve_scenario({"topology": str(MINIMAL), **extra}, None, warn=False).scenario


# -- numbers -------------------------------------------------------------------


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_figure_from_a_notebook_says_figures_must_be_finite(value: float) -> None:
    """Checked before any bound: `.inf` is "not finite", not pydantic's wording nor "at most 100"."""
    fails({"topology": str(MINIMAL), "demand": {"multiplier": value}}, "demand.multiplier.value",
          match=f"figures must be finite (got {value})")


# -- dates ---------------------------------------------------------------------


def test_a_date_written_with_spaces_around_it_is_that_date() -> None:
    """A quoted `' 2023-01-01 '` (a spreadsheet's cell) is the date, as a start and as a schedule's point."""
    sc = loads({"start": " 2023-01-01 ", "demand": {"multiplier": {"points": {" 2023-06-01": 1, "2024-01-01 ": 2}}}})
    assert sc.start == dt.date(2023, 1, 1)
    assert sorted(sc.demand.multiplier.points) == [dt.date(2023, 6, 1), dt.date(2024, 1, 1)]


@pytest.mark.parametrize("when", [dt.datetime(2022, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2022, 1, 1, 0, 30),
                                  dt.datetime(2022, 1, 1, 0, 0, 5)])
def test_a_datetime_from_a_notebook_is_a_date_only_at_midnight_without_a_zone(when: dt.datetime) -> None:
    """YAML's `!!timestamp` is refused before the model (yaml_tags); a notebook's datetime reaches `Date` itself."""
    fails({"topology": str(MINIMAL), "start": when}, "start", match="expected a date without a time of day")
    assert loads({"start": dt.datetime(2022, 3, 1)}).start == dt.date(2022, 3, 1)


# -- schedules -----------------------------------------------------------------


def test_a_schedule_of_empty_points_and_no_value_is_refused_naming_it() -> None:
    fails({"topology": str(MINIMAL), "demand": {"multiplier": {"points": {}}}}, "demand.multiplier",
          match="give exactly one of `value` or non-empty `points`")


def test_a_figure_of_0_may_grow_and_stays_0() -> None:
    """Demand switched off with a growth written beside it: 0 x anything is 0, not a log of 0 at the end check."""
    sc = loads({"end": "2030-01-01", "demand": {"multiplier": {"value": 0, "growth": 0.5}}})
    assert sc.demand.multiplier.on_days(sc.start, np.array([0.0, 3000.0])).tolist() == [0.0, 0.0]


def test_growth_compounds_from_the_last_point_on_the_last_points_value() -> None:
    """100 on 2022-01-01, 200 a year later (365 days), then +100 %/yr: 400 a year (365.25 days) after the last."""
    s = Schedule.model_validate({"points": {"2022-01-01": 100, "2023-01-01": 200}, "growth": 1.0})
    assert s.on_days(START, np.array([182.5, 365.0, 365.0 + 365.25])).tolist() == pytest.approx([150, 200, 400])


def test_a_bare_value_that_grows_holds_its_value_before_the_start() -> None:
    """As points hold their first value before it: growth compounds from the start on, never backwards."""
    s = Schedule.model_validate({"value": 10, "growth": 1.0})
    assert s.on_days(START, np.array([-730.5, 0.0, 365.25])).tolist() == pytest.approx([10, 10, 20])


def test_growth_is_checked_for_overflow_from_the_last_point_not_the_first() -> None:
    """Points from 1900 to 2022 growing x101 a year: a 100-year run from 2022 compounds 100 years (101**100,
    about 2.7e200: finite), not the 222 years since the first point (infinite)."""
    s = Schedule.model_validate({"points": {"1900-01-01": 1, "2022-01-01": 1}, "growth": 100})
    end = dt.date(2122, 1, 1)
    assert s.finite_until(START, end)
    assert np.isfinite(s.on_days(START, np.array([float((end - START).days)]))[0])
    assert not Schedule.model_validate({"value": 1, "growth": 100}).finite_until(START, dt.date(2200, 1, 1))
    # a slow growth on a huge figure overflows too: 1e300 x 1.5**100 (about 4e317) is past a float's 1.8e308
    assert not Schedule.model_validate({"value": 1e300, "growth": 0.5}).finite_until(START, end)


# -- distributions -------------------------------------------------------------


@pytest.mark.parametrize("spec, mean", [({"dist": "uniform", "low": 2, "high": 6}, 4.0),
                                        ({"dist": "triangular", "low": 1, "mode": 2, "high": 6}, 3.0),
                                        ({"dist": "lognormal", "mean": 7, "cv": 0.5}, 7.0), (5, 5.0)])
def test_a_distributions_expected_days_are_its_mean(spec, mean: float) -> None:
    """What quotes plan transport on: (low + high) / 2, (low + mode + high) / 3, the mean given."""
    assert Distribution.model_validate(spec).expected == mean


# -- registered names ----------------------------------------------------------


def test_an_unknown_policy_name_is_refused_listing_every_registered_one() -> None:
    """The line is the user's list to choose from: every name, built-in or registered, sorted."""
    from supplychain.engine.ordering import ORDERING_POLICIES, register_ordering

    register_ordering("zz_mine")(lambda r: 0.0)
    try:
        names = sorted(ORDERING_POLICIES)
        assert len(names) >= 3 and names[-1] == "zz_mine"
        fails({"topology": str(MINIMAL), "labs": {"ordering": "nope"}}, "labs.ordering",
              match=f"(got 'nope'); registered: {', '.join(names)}")
    finally:
        ORDERING_POLICIES.pop("zz_mine", None)
