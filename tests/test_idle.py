"""Which of a compared scenario's own rules and shocks `idle.idle_notes` says did nothing, from events written by
hand (the printout of a run: test_compare_printout)."""

from __future__ import annotations

import pandas as pd

from supplychain.engine.shocks import SHOCK_KINDS
from supplychain.idle import idle_notes
from supplychain.scenario_schema import Scenario

RUN = {"start": "2022-01-01", "end": "2024-12-31"}
LICENCE = {"id": "r", "announced": "2022-03-01", "effective": "2022-03-01", "action": "license", "approval": 0.0,
           "review_days": 30, "scope": {"destinations": ["CN"], "product_kinds": ["hbm"]}}
QUAKE = {"id": "q", "kind": "capacity", "start": "2021-11-12", "duration_days": 30, "recovery_days": 40,
         "multiplier": 0.2, "target": {"ids": ["fab"]}}


def _events(*rows: tuple) -> pd.DataFrame:
    """(scenario, type, id, day, duration_days, supplier) rows of replication 0."""
    ev = pd.DataFrame(rows, columns=["scenario", "type", "id", "day", "duration_days", "supplier"])
    return ev.assign(replication=0)


def _notes(events: pd.DataFrame, base: dict, scen: dict) -> list[str]:
    b = Scenario.model_validate({"name": "base", **RUN, **base})
    s = Scenario.model_validate({"name": "scen", **RUN, **scen})
    return idle_notes(events, b, {"scen": s}, 1).get("scen", [])


def test_a_baseline_rule_the_scenario_changes_is_its_own_and_only_its_own_events_count():
    """The scenario turns the baseline's licence `r` into a ban: that ban is the scenario's own. The baseline's `r`
    refused orders; the scenario's decided nothing, and is said to have."""
    ban = {**LICENCE, "action": "ban", "approval": None, "review_days": None}
    ban = {k: v for k, v in ban.items() if v is not None}
    events = _events(("base", "control", "r", 100.0, None, "v"))
    assert _notes(events, {"controls": [LICENCE]}, {"controls": [ban]}) == [
        "rule r decided nothing in 1 replication(s) (another rule decided first, or its scope was never reached)"]
    assert _notes(events, {"controls": [LICENCE]}, {"controls": [LICENCE]}) == []  # the baseline's own, unchanged


def test_a_rule_announced_the_day_it_takes_effect_has_no_stockpiling_window_to_mention():
    rule = {**LICENCE, "stockpile": 3.0}
    assert _notes(_events(), {}, {"controls": [rule]}) == [
        "rule r decided nothing in 1 replication(s) (another rule decided first, or its scope was never reached)"]
    early = {**rule, "announced": "2022-02-01"}
    assert "stockpiling (x3 from 2022-02-01 to 2022-03-01)" in _notes(_events(), {}, {"controls": [early]})[0]


def test_a_shock_before_the_start_whose_recovery_reaches_into_the_run_occurred_in_it():
    """Day -50 for 30 days, then 40 days of recovery: the capacity is still reduced until day 20 of the run."""
    hit = _events(("scen", "shock", "q", -50.0, 30.0, "fab"))
    assert _notes(hit, {}, {"shocks": [QUAKE]}) == []
    short = {**QUAKE, "recovery_days": 10}
    assert _notes(hit, {}, {"shocks": [short]}) == [
        "shock q did not occur inside the run (2022-01-01 to 2024-12-31) in 1 replication(s)"]


def test_a_plug_in_shock_that_names_nothing_it_touched_is_not_said_to_have_touched_nothing(monkeypatch):
    """Built-in kinds log the nodes they touch; a plug-in kind may return None and still act, so only a built-in
    kind's occurrence without a node is "touched nothing"."""
    quake = {**QUAKE, "start": "2022-06-01"}
    blank = _events(("scen", "shock", "q", 151.0, 30.0, None))
    assert _notes(blank, {}, {"shocks": [quake]})[0].startswith("shock q touched nothing in 1 replication(s)")
    monkeypatch.setitem(SHOCK_KINDS, "capacity", lambda net, shock, f, begin, nodes: None)  # a plug-in "capacity"
    assert _notes(blank, {}, {"shocks": [quake]}) == []


def test_the_end_date_is_the_runs_last_day_a_shock_or_rule_on_it_is_inside_the_run():
    """A run's last day is its end date (day 1095 of 2022-01-01 to 2024-12-31): a shock that struck on it is in the
    events table and cut the capacity that day, yet was said not to have occurred inside the run; a rule in force
    from it that decided nothing was said to take effect "on 2024-12-31, after the run ends 2024-12-31"; and a rule
    announced on it, whose buyers stockpiled that day, was not said to have stockpiled."""
    last = {**QUAKE, "start": "2024-12-31"}
    assert _notes(_events(("scen", "shock", "q", 1095.0, 30.0, "fab")), {}, {"shocks": [last]}) == []
    rule = {**LICENCE, "announced": "2024-12-31", "effective": "2024-12-31"}
    assert _notes(_events(), {}, {"controls": [rule]}) == [
        "rule r decided nothing in 1 replication(s) (another rule decided first, or its scope was never reached)"]
    after = {**rule, "effective": "2025-01-01"}
    assert "after the run ends 2024-12-31" in _notes(_events(), {}, {"controls": [after]})[0]
    stockpiled = _notes(_events(), {}, {"controls": [{**after, "stockpile": 2.0}]})[0]
    assert "its stockpiling (x2 from 2024-12-31 to 2024-12-31) is not logged" in stockpiled


def test_a_quota_rule_that_decided_nothing_says_its_quota_was_never_exceeded():
    quota = {**LICENCE, "action": "quota", "quota": 100.0}
    quota.pop("approval"), quota.pop("review_days")
    assert _notes(_events(), {}, {"controls": [quota]}) == [
        "rule r decided nothing in 1 replication(s) (its quota was never exceeded, another rule decided first, or its "
        "scope was never reached)"]


def test_a_rule_that_ends_on_the_start_date_was_never_in_force_in_the_run():
    """A rule is in force on [effective, ends): one ending on the run's first day is over before the run."""
    over = {**LICENCE, "effective": "2021-06-01", "announced": "2021-06-01", "ends": "2022-01-01"}
    assert _notes(_events(), {}, {"controls": [over]}) == [
        "rule r decided nothing in 1 replication(s) (it ended on 2022-01-01, before the run starts 2022-01-01)"]
    running = {**over, "ends": "2022-01-02"}  # in force on the first day
    assert "another rule decided first" in _notes(_events(), {}, {"controls": [running]})[0]


def test_a_rule_announced_after_the_run_ends_has_no_stockpiling_in_the_run_to_mention():
    """Announced 2025-02-01: its buyers stockpile from then, after the run's last day 2024-12-31."""
    late = {**LICENCE, "announced": "2025-02-01", "effective": "2025-03-01", "stockpile": 2.0}
    assert _notes(_events(), {}, {"controls": [late]}) == [
        "rule r decided nothing in 1 replication(s) (it takes effect on 2025-03-01, after the run ends 2024-12-31)"]


def test_a_shock_the_day_after_the_end_or_recovered_by_the_first_day_did_not_occur_in_the_run():
    """Day 1096 is 2025-01-01, the day after the run's last; a shock from day -50 for 30 days with 20 of recovery is
    back to normal on day 0 (reduced on days -50 to -1)."""
    after = {**QUAKE, "start": "2025-01-01"}
    said = "shock q did not occur inside the run (2022-01-01 to 2024-12-31) in 1 replication(s)"
    assert _notes(_events(("scen", "shock", "q", 1096.0, 30.0, "fab")), {}, {"shocks": [after]}) == [said]
    recovered = {**QUAKE, "recovery_days": 20}
    assert _notes(_events(("scen", "shock", "q", -50.0, 30.0, "fab")), {}, {"shocks": [recovered]}) == [said]
    assert _notes(_events(("scen", "shock", "q", -50.0, 30.0, "fab")), {}, {"shocks": [{**QUAKE, "recovery_days": 21}]}) == []
