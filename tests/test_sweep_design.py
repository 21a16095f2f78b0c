"""A sweep's design: the parameter syntax (`PATH=v1,v2`, `PATH=lo:hi`, the dict form), the grid product and
the seeded Latin hypercube, and what each refuses. Running sweeps and their outcomes: test_sweep."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supplychain.errors import InputError
from supplychain.sweep_design import Param, design, dict_param, parse_param, whole_where_whole
from supplychain.sweeps import sweep

MINIMAL = str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml")


def scenario(**fields) -> dict:
    return {"name": "sw", "topology": MINIMAL, "end": "2024-06-30", **fields}


def test_parse_param_grid_and_range():
    assert parse_param("algorithms.efficiency_growth=2,3.5") == Param("algorithms.efficiency_growth", values=(2, 3.5))
    assert parse_param("rsi.preset=none,full").values == ("none", "full")
    assert parse_param("labs.utilisation=0.3:0.5") == Param("labs.utilisation", low=0.3, high=0.5)
    assert parse_param("rsi.preset=a:b,c").values == ("a:b", "c"), "a grid whose value holds a colon is no range"


@pytest.mark.parametrize("text, problem", [
    ("labs.utilisation", "expected PATH=v1,v2"),
    ("=1,2", "expected PATH=v1,v2"),
    ("labs.utilisation=0.5:0.3", "needs lo < hi"),
    ("labs.utilisation=0.5:0.5", "needs lo < hi"),
    ("labs.utilisation=a:b", "two numbers"),
    ("labs.utilisation=1,,2", "empty value"),
])
def test_bad_param_syntax(text, problem):
    with pytest.raises(InputError, match=problem) as err:
        parse_param(text)
    assert str(err.value).startswith("<arguments>: params["), "from Python it names the argument, not the CLI option"


def test_grid_is_the_product_and_lhs_fills_every_stratum():
    grid = design([parse_param("a.x=1,2,3"), parse_param("a.y=true,false")], None, 0)
    assert len(grid) == 6 and {(p["a.x"], p["a.y"]) for p in grid} == {(x, y) for x in (1, 2, 3) for y in (True, False)}
    pts = design([parse_param("a.x=0:10"), parse_param("a.y=100:200")], 8, seed=3)
    xs, ys = np.array([p["a.x"] for p in pts]), np.array([p["a.y"] for p in pts])
    assert sorted(np.floor(xs / 10 * 8).astype(int)) == list(range(8)), "one point per stratum"
    assert sorted(np.floor((ys - 100) / 100 * 8).astype(int)) == list(range(8))
    assert np.argsort(xs).tolist() != np.argsort(ys).tolist(), "each input its own column of the hypercube"
    assert pts == design([parse_param("a.x=0:10"), parse_param("a.y=100:200")], 8, seed=3), "seeded"
    assert pts != design([parse_param("a.x=0:10"), parse_param("a.y=100:200")], 8, seed=4)
    with pytest.raises(InputError, match=r"a Latin hypercube \(--lhs, lhs=\) samples ranges"):
        design([parse_param("a.x=1,2")], 4, 0)
    with pytest.raises(InputError, match=r"needs a Latin hypercube \(--lhs N, lhs=N\)"):
        design([parse_param("a.x=1:2")], None, 0)


@pytest.mark.parametrize("ranged, problem", [
    (("a", 1), "a range is a tuple of two numbers"),
    ((1, 2, 3), "a range is a tuple of two numbers"),
    ((2.0, 1.0), "a range needs finite lo < hi"),
    ((1.0, 1.0), "a range needs finite lo < hi"),
    ((0.0, float("inf")), "a range needs finite lo < hi"),
])
def test_a_bad_range_in_the_dict_form_names_its_path(ranged, problem):
    """`sweep(..., {path: (lo, hi)})` checks the range like `PATH=lo:hi`, instead of a bare ValueError."""
    with pytest.raises(InputError, match=problem) as err:
        sweep(scenario(), {"labs.utilisation": ranged}, lhs=4, replications=1, workers=1)
    assert err.value.file == "<arguments>" and err.value.field == "params[labs.utilisation]"


@pytest.mark.parametrize("given, values", [
    (np.linspace(0.3, 0.5, 2), (0.3, 0.5)),
    (pd.Series([0.3, 0.5]), (0.3, 0.5)),
    (range(3, 5), (3, 4)),
    (np.arange(3, 5), (3, 4)),
    (pd.array([0.3, 0.5], dtype="Float64"), (0.3, 0.5)),  # an ExtensionArray ("Input should be a valid number")
    (pd.array([3, 4], dtype="Int64"), (3, 4)),
])
def test_the_dict_form_takes_an_array_series_or_range_of_values(given, values):
    """`{path: np.linspace(...)}` is a notebook's grid; it was refused as one value ("Input should be a valid
    number (got array([...]))")."""
    p = dict_param("labs.utilisation", given)
    assert p.values == values and all(type(v) in (int, float) for v in p.values)
    assert dict_param("labs.ordering", "smooth").values == ("smooth",), "one text value, not its letters"
    words = pd.Series(["smooth", "order_up_to", "smooth"], dtype="string").unique()  # an ArrowStringArray in pandas 3
    assert dict_param("labs.ordering", words).values == ("smooth", "order_up_to")
    s = sweep(scenario(end="2022-06-30"), {"labs.utilisation" if isinstance(values[0], float) else
                                           "generations.max_generations": given}, replications=1, workers=1)
    assert s.points.iloc[:, 2].tolist() == list(values)


def test_a_latin_hypercube_over_a_whole_number_field_samples_whole_numbers():
    """--lhs over generations.max_generations failed with 'got 4.202...', a value nobody wrote."""
    s = sweep(scenario(end="2022-06-30"), {"generations.max_generations": (2.0, 6.0)}, lhs=4, replications=1, workers=1)
    got = s.points["generations.max_generations"]
    assert [float(v).is_integer() for v in got] == [True] * 4 and got.between(2, 6).all()


def test_a_range_with_an_infinite_end_says_it_must_be_finite():
    with pytest.raises(InputError, match=r"a range needs finite numbers lo:hi \(got '1:inf'\)"):
        parse_param("algorithms.efficiency_growth=1:inf")


def test_a_latin_hypercube_over_a_number_of_days_or_a_labs_own_figure_is_not_rounded():
    """Only whole-number fields are rounded: an LHS over labs.review_days (a number, its default 14 an int) and
    over per_lab.lab.power_headroom (the file's `1`, kept as written) ran whole values only, the headroom
    just 1 and 2, where the user asked for a range."""
    s = sweep(scenario(end="2022-06-30", per_lab={"lab": {"power_headroom": 1}}),
              {"per_lab.lab.power_headroom": (1.0, 2.0), "labs.review_days": (5.0, 20.0),
               "generations.max_generations": (2.0, 6.0)}, lhs=4, replications=1, workers=1)
    for col in ("per_lab.lab.power_headroom", "labs.review_days"):
        assert s.points[col].nunique() == 4 and not any(float(v).is_integer() for v in s.points[col]), col
    assert [float(v).is_integer() for v in s.points["generations.max_generations"]] == [True] * 4


def test_a_path_inside_another_swept_path_is_refused():
    """set.nodes.fab.capacity=100,200 with set.nodes.fab.capacity.value=300,400 ran four points at capacity
    300 and 400 only: the points table and the ranking showed an input that changed nothing."""
    for order in ((0, 1), (1, 0)):
        given = [("set.nodes.fab.capacity", "100,200"), ("set.nodes.fab.capacity.value", "300,400")]
        with pytest.raises(InputError, match="a field inside set.nodes.fab.capacity, which is swept too") as err:
            design([parse_param(f"{given[i][0]}={given[i][1]}") for i in order], None, 0)
        assert err.value.field == "params[set.nodes.fab.capacity.value]"
    assert len(design([parse_param("labs.utilisation=0.3,0.4"), parse_param("labs.utilisation_x=1,2")], None, 0)) == 4


def test_a_path_given_twice_is_refused():
    with pytest.raises(InputError, match="given twice") as err:
        design([parse_param("a.x=1,2"), parse_param("a.y=5"), parse_param("a.x=3")], None, 0)
    assert err.value.field == "params[a.x]"


def test_true_and_1_are_two_grid_values_and_1_and_1_0_one():
    """The schema refuses a bool for a number: `1,true` is two values (one of them an error later), not a repeat."""
    assert design([parse_param("a.x=1,true")], None, 0) == [{"a.x": 1}, {"a.x": True}]
    with pytest.raises(InputError, match="value 1.0 given twice"):
        design([parse_param("a.x=1,1.0")], None, 0)


def test_a_whole_number_fields_samples_are_rounded_to_the_nearest_whole_number():
    pts = [{"generations.max_generations": 4.6, "labs.review_days": 4.6}, {"generations.max_generations": 4.4,
                                                                           "labs.review_days": 4.4}]
    assert whole_where_whole(pts) == [{"generations.max_generations": 5, "labs.review_days": 4.6},
                                      {"generations.max_generations": 4, "labs.review_days": 4.4}]
