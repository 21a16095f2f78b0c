"""The one line of an `InputError`, `FILE: field.path: problem (got X)`, as a user reads it: control characters from
a file shown escaped, pydantic's locations made readable, values cut short (errors.py)."""

from __future__ import annotations

import pytest

from supplychain.errors import InputError
from supplychain.scenario import resolve_scenario

from _scenarios import MINIMAL


def error_of(data: dict) -> InputError:
    with pytest.raises(InputError) as info:
        resolve_scenario({"topology": str(MINIMAL), **data}, None, warn=False)
    return info.value


def test_control_characters_from_a_file_are_shown_escaped_so_the_error_stays_one_line() -> None:
    """A key holding a carriage return, a tab and an escape character printed raw would move the cursor and
    overwrite the message on a terminal; each is shown as its escape, the line kept whole."""
    err = error_of({"labs": {"lab\r\t\x1b": 1}})
    assert str(err) == "<input>: labs.lab\\r\\t\\x1b: unknown field (got 1)"
    assert str(err).isprintable()


@pytest.mark.parametrize("field, value, shown", [("utilisation", "nan", "'nan'"), ("utilisation", "inf", "'inf'"),
                                                 ("training_fraction", "-inf", "'-inf'"),
                                                 ("utilisation", float("inf"), "inf")])
def test_a_non_finite_figure_with_a_bound_says_figures_must_be_finite(field: str, value, shown: str) -> None:
    """Text pydantic reads as a float (`"nan"` quoted in a file, a sweep's `--param labs.utilisation=nan`) meets
    the bound before any check of finiteness, which said `Input should be less than or equal to 1`, true of no
    nan; the words are the ones `.nan` and `.inf` get, the topology checks' own."""
    err = error_of({"labs": {field: value}})
    assert (err.field, err.problem) == (f"labs.{field}", f"figures must be finite (got {shown})")


def test_a_rule_past_the_tenth_is_named_by_its_own_id_not_by_one_whose_index_begins_its_own() -> None:
    """Pydantic locates an entry by index (`controls.10`); the line names it by id. The 11th rule's index begins
    with the 2nd's (`controls.1`), whose id must not be taken for it."""
    rules = [{"id": f"rule_{chr(97 + i)}", "announced": "2023-01-01", "effective": "2023-02-01", "action": "ban"}
             for i in range(11)]
    rules[10]["effective"] = "2022-06-01"
    err = error_of({"controls": rules})
    assert (err.field, err.problem) == ("controls.rule_k", "effective 2022-06-01 is before announced 2023-01-01")


def test_of_several_mistakes_the_line_names_the_deepest_and_of_equals_the_first() -> None:
    """Pydantic lists every error; the one line tells the most precise place: a figure inside `labs.ordering_params`
    over the `seed` before it, and of two figures of `labs` the one first in the file."""
    err = error_of({"seed": -1, "labs": {"utilisation": 2, "ordering": "smooth", "ordering_params": {"adjustment_days": -5}}})
    assert err.field == "labs.ordering_params.adjustment_days" and "greater than or equal to 0" in err.problem, str(err)
    err = error_of({"seed": -1, "labs": {"utilisation": 2, "review_days": 0}})
    assert err.field == "labs.utilisation" and "less than or equal to 1" in err.problem, str(err)


@pytest.mark.parametrize("length, shown", [(58, "'" + "v" * 58 + "'"), (59, "'" + "v" * 56 + "...")])
def test_a_value_is_shown_whole_up_to_60_characters_and_cut_with_an_ellipsis_past_them(length: int, shown: str) -> None:
    err = error_of({"x": "v" * length})
    assert err.problem == f"unknown field (got {shown})"


@pytest.mark.parametrize("digits", [101, 5001])
def test_a_huge_integer_is_told_by_its_size_not_written_out(digits: int) -> None:
    """A number of thousands of digits is no one's figure; written out it was cut to 60 characters of
    leading digits, and past 4,300 digits Python refuses to write it at all (a ValueError traceback)."""
    err = error_of({"x": 10 ** (digits - 1)})
    assert err.problem == "unknown field (got <a number of more than 60 digits>)"


@pytest.mark.parametrize("data, line", [
    ({"labs": {"utilisation[0]": 0.3}}, "<input>: labs.utilisation[0]: unknown field (got 0.3); did you mean 'utilisation'?"),
    ({"per_lab": {"lab[eu]": {"utilisation": 3}}},
     "<input>: per_lab.lab[eu].utilisation: Input should be less than or equal to 1 (got 3)"),
    ({"demand": {"targets": {"lab[eu]": -1}}}, "<input>: demand.targets.lab[eu]: a fleet target must not be negative (got -1)"),
])
def test_a_users_key_holding_a_bracket_stays_in_the_path(data: dict, line: str) -> None:
    """Pydantic's tags (`function-after[...]`, `nullable[float]`) are dropped from a location, and so was every part
    holding a `[`: a lab `lab[eu]` or a mistyped `utilisation[0]` left the line naming the section above it."""
    assert str(error_of(data)) == line


def test_pydantic_tags_are_dropped_from_a_location_and_the_inputs_keys_kept() -> None:
    from supplychain.errors import _user_loc

    data = {"nodes": [{"id": "fab[2]", "capacity": {"value": "x"}}], "products": {"hbm[3e]": {"kind": 1}}}
    assert _user_loc(("nodes", 0, "function-after[check(), Fab]", "capacity", "value"), data) == [
        "nodes", "0", "capacity", "value"]
    assert _user_loc(("products", "hbm[3e]", "kind", "nullable[str]"), data) == ["products", "hbm[3e]", "kind"]
    assert _user_loc(("products", "hbm[3e]", "kind"), None) == ["products", "kind"]  # without the input: as before


def test_topology_errors_keep_a_product_id_holding_a_bracket(tmp_path) -> None:
    import yaml

    from supplychain.topology import load_topology

    data = yaml.safe_load(MINIMAL.read_text())
    data["products"]["hbm[3e]"] = {"kind": "bogus"}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match=r"^" + str(path).replace(".", r"\.") + r": products\.hbm\[3e\]\.kind: "):
        load_topology(path)
