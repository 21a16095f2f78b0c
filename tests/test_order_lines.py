"""Order lines into the orders table (`order_arrays`, `order_columns`): what a line's columns say, by hand."""

import numpy as np

from supplychain.engine.orders import Order, all_installed, order_arrays, order_columns


def _line(i, **fields):
    o = Order(i, "lab", "acc", 10.0, 0, 1, 0.0)
    for k, v in fields.items():
        setattr(o, k, v)
    return o


def test_a_lab_line_is_installed_on_the_day_its_last_delivered_unit_was_and_not_before():
    """`installed` is the day the last delivered unit was installed, only once every delivered unit is: a line
    with 5 of 10 delivered units installed has none yet; one delivered in full and installed in full has it;
    a line delivered nothing has none, whatever it holds."""
    lines = [
        _line(0, delivered_qty=10.0, installed_qty=5.0, installed=30.0),
        _line(1, delivered_qty=10.0, installed_qty=10.0, installed=40.0),
        _line(2, delivered_qty=6.0, installed_qty=6.0 * (1 - 1e-12), installed=50.0),  # rounding: all of it
        _line(3),
    ]
    got = all_installed(order_arrays(lines))
    assert np.isnan(got[0]) and got[1] == 40.0 and got[2] == 50.0 and np.isnan(got[3])


def test_a_line_without_a_lab_or_a_rule_has_them_null_and_names_its_own_nodes():
    """A component line (no lab, no rule) has null `lab` and `rule`, not the last node's name or an empty string;
    a lab line names its lab, a refused one its rule; supplier and customer are the line's own nodes' names."""
    lines = [Order(0, "component", "logic", 4.0, 0, 1, 2.0),
             _line(1, lab=2, supplier=1, customer=2, rule="r1")]
    cols = order_columns(order_arrays(lines), ["fab", "pkg", "lab_us"])
    assert cols["lab"][0] is None or cols["lab"].isna()[0]
    assert cols["lab"][1] == "lab_us"
    assert cols["rule"][0] is None and cols["rule"][1] == "r1"
    assert list(cols["supplier"]) == ["fab", "pkg"] and list(cols["customer"]) == ["pkg", "lab_us"]
