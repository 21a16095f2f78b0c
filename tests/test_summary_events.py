"""summary.md's account of a scenario's shocks and export controls (`summary_events`), against the tables."""

from __future__ import annotations

import pandas as pd

from supplychain.results import simulate
from supplychain.summary_events import events_section

from _controls import TOPO, lab_orders, rule, run


def test_a_scheduled_shock_and_a_ban_are_said_as_the_tables_have_them():
    """The blockade's line gives its start, its days and the nodes it hit; the ban's the units it refused,
    which are the refused units of the orders in its scope."""
    shock = {"id": "s1", "kind": "capacity", "start": "2023-01-01", "duration_days": 100, "multiplier": 0.2,
             "target": {"countries": ["TW"]}}
    r = run(rule(announced="2023-06-01", effective="2023-06-01", scope={"destinations": ["CN"], "products": ["acc"]}),
            shocks=[shock])
    text = r.summary()
    assert "- shock s1 (capacity, x0.2): from 2023-01-01 for 100 days, hit fab_tw, pkg_tw" in text
    refused = lab_orders(r, "lab_cn", "acc")["denied_qty"].sum()
    assert refused > 1000
    assert f"- rule r1: {refused:,.0f} units refused (acc)" in text
    assert text.index("## Shocks and export controls") > text.index("## Fleet at the end")


def test_figures_are_medians_over_every_replication_a_rule_that_decided_nothing_counting_0():
    """A rule with refusals in one replication of three refused a median of 0 units; a licence's reviews and
    grants are counted per replication; a random shock gives its occurrences a replication and their days."""
    rows = [  # replication, type, id, what, supplier, product, qty, duration_days
        (0, "control", "lic", "licence review", "v", "acc", 5.0, None), (0, "control", "lic", "licence granted", "v", "acc", 5.0, None),
        (1, "control", "lic", "licence review", "v", "acc", 5.0, None), (1, "control", "lic", "licence denied", "v", "acc", 5.0, None),
        (2, "control", "lic", "licence review", "v", "acc", 4.0, None), (2, "control", "lic", "licence review", "v", "acc", 4.0, None),
        (2, "control", "lic", "licence granted", "v", "acc", 4.0, None),
        (1, "control", "ban", "denied", "v", "hbm", 7.0, None),
        (0, "shock", "quake", "capacity", "fab", None, 0.5, 10.0), (0, "shock", "quake", "capacity", "fab,pkg", None, 0.5, 20.0),
        (2, "shock", "quake", "capacity", "fab", None, 0.5, 30.0),
    ]
    ev = pd.DataFrame(rows, columns=["replication", "type", "id", "what", "supplier", "product", "qty", "duration_days"])
    ev["day"], ev["date"] = 0.0, pd.Timestamp("2022-01-01")
    lines = events_section(ev, [0, 1, 2])
    assert lines[1:] == [
        "- shock quake (capacity, x0.5): 1 occurrences a replication (median; 0-2), 30 days in all, hit fab, pkg",
        "- rule lic: 0 units refused; 1 licence reviews, 1 granted",
        "- rule ban: 0 units refused",
    ]
    assert events_section(ev.iloc[:0], [0]) == [] and events_section(None, [0]) == []


def test_a_shock_some_replications_lack_is_counted_not_dated_and_a_rules_largest_refusals_are_named():
    """A random shock struck once, on the same day, in two replications of three: not a scheduled shock (the line
    of one gives a date as if in every replication). One that struck three times in one replication of three has a
    median of 0 occurrences and 0 days (their mean, 1, and the 60 days of the one replication are no median). A
    rule names the three products it refused most, largest first, quota refusals counted."""
    rows = [  # replication, type, id, what, supplier, product, qty, duration_days
        (0, "shock", "once", "capacity", "fab", None, 0.5, 30.0), (2, "shock", "once", "capacity", "fab", None, 0.5, 30.0),
        (0, "shock", "burst", "capacity", "fab", None, 0.5, 10.0), (0, "shock", "burst", "capacity", "fab", None, 0.5, 20.0),
        (0, "shock", "burst", "capacity", "fab", None, 0.5, 30.0),
        *[(r, "control", "cap", "quota refused", "v", p, q, None) for r in (0, 1, 2)
          for p, q in (("hbm", 1.0), ("acc", 20.0), ("tool", 5.0), ("wafer", 2.0))],
    ]
    ev = pd.DataFrame(rows, columns=["replication", "type", "id", "what", "supplier", "product", "qty", "duration_days"])
    ev["day"], ev["date"] = 50.0, pd.Timestamp("2022-02-20")
    assert events_section(ev, [0, 1, 2])[1:] == [
        "- shock once (capacity, x0.5): 1 occurrences a replication (median; 0-1), 30 days in all, hit fab",
        "- shock burst (capacity, x0.5): 0 occurrences a replication (median; 0-3), 0 days in all, hit fab",
        "- rule cap: 28 units refused (acc, tool, wafer)",
    ]


def test_a_licence_denied_is_units_refused_and_a_compliant_variant_is_counted_in_fractions():
    """In each of two replications a licence review of 5 h100 ended denied, and 2.5 units (a fraction of a lot) were
    ordered as the compliant h20 instead: the rule refused 5 units, reviewed 1 licence and granted none, and 2.5
    units (not "2") went to the variant, named by its swap."""
    rows = [(r, "control", "lic", what, "v", product, qty, None) for r in (0, 1)
            for what, product, qty in (("licence review", "h100", 5.0), ("licence denied", "h100", 5.0),
                                       ("substitution h100->h20", "h20", 2.5))]
    ev = pd.DataFrame(rows, columns=["replication", "type", "id", "what", "supplier", "product", "qty", "duration_days"])
    ev["day"], ev["date"] = 0.0, pd.Timestamp("2022-01-01")
    assert events_section(ev, [0, 1])[1:] == [
        "- rule lic: 5 units refused (h100); 1 licence reviews, 0 granted; 2.5 units ordered as a compliant variant "
        "(h100->h20)"]
