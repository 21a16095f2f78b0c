"""What `compare` prints (compare.md): which labs and products it lists, the notes beside an interval (one
side's, both sides', a difference the same in every replication), and the scenario's own rules and shocks that
never acted. The tables themselves: test_compare."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from supplychain.comparison import compare

from _compare import QUAKE, scenario


def test_the_comparison_of_many_labs_prints_the_labs_that_moved_most_and_says_so():
    """A generated network's 150 labs printed a comparison of 870 lines (every lab's every generation, gap and
    causes). Past MAX_LABS it prints the labs whose releases moved most, the same ones in each block, and says so."""
    from supplychain.comparison import format_comparison
    from supplychain.summary import MAX_LABS

    labs = [f"lab_{i:03d}" for i in range(MAX_LABS + 5)]
    delays = pd.DataFrame({"scenario": "s", "lab": labs, "generation": 1, "baseline_day": 100.0,
                           "scenario_day": [100.0 + i for i in range(len(labs))], "ci_low": np.nan, "ci_high": np.nan, "note": ""})
    delays["delay_days"] = delays["scenario_day"] - delays["baseline_day"]
    delays.loc[0, ["scenario_day", "delay_days"]] = np.nan  # reached in the baseline only: a change too
    gaps = pd.DataFrame({"scenario": "s", "lab": labs, "baseline_mean_gap_days": 500.0, "scenario_mean_gap_days": 500.0,
                         "change_days": 0.0, "ci_low": np.nan, "ci_high": np.nan, "baseline_generations": 2.0,
                         "scenario_generations": 2.0, "note": ""})
    peaks = pd.DataFrame(columns=["scenario", "product", "baseline_peak_weeks", "scenario_peak_weeks", "change_weeks",
                                  "ci_low", "ci_high", "note"])
    binding = pd.DataFrame({"scenario": ["b", "s"] * len(labs), "lab": [lab for lab in labs for _ in "bs"],
                            "cause": "queue:fab", "share": 1.0})
    tables = {"release_delays": delays, "gaps": gaps, "peak_lead_times": peaks, "binding": binding,
              "mean_gaps": gaps[["lab"]]}
    text = format_comparison(tables, "b", ["s"], 2, 0, "2022-01-01")
    moved = {labs[0], *labs[-(MAX_LABS - 1):]}
    assert f"The {MAX_LABS} labs whose releases moved most (of {len(labs)})" in text
    for block in ("Release delay", "Mean gap", "What bound"):
        part = text.split(block)[1].split("\n\n")[0]
        assert {lab for lab in labs if f"    {lab} " in part} == moved, block
    few = format_comparison({**tables, "release_delays": delays[delays["lab"].isin(labs[:3])],
                             "gaps": gaps[gaps["lab"].isin(labs[:3])]}, "b", ["s"], 2, 0, "2022-01-01")
    assert "moved most" not in few
    exact = format_comparison({**tables, "release_delays": delays[delays["lab"].isin(labs[:MAX_LABS])],
                               "gaps": gaps[gaps["lab"].isin(labs[:MAX_LABS])]}, "b", ["s"], 2, 0, "2022-01-01")
    assert "moved most" not in exact and all(f"    {lab} " in exact for lab in labs[:MAX_LABS])  # all shown: none cut


@pytest.mark.filterwarnings("ignore:.*never takes effect in the run", "ignore:.*the shock touches nothing")
def test_the_scenarios_own_rules_and_shocks_that_did_nothing_are_said(tmp_path):
    """`hbm_full_ban` printed 33 rows of +0 and nothing else: its ban never decided anything, as the baseline's
    licence (approval 0) refused the same trade first. The comparison says so, one line per idle rule or shock
    of the scenario's own, the same from the lean rows the command keeps."""
    ban = {"id": "acc_ban", "announced": "2022-03-01", "effective": "2022-03-01", "action": "ban",
           "scope": {"destinations": ["US"], "product_kinds": ["accelerator"]}, "substitute": False}
    base = scenario("base", end="2023-06-30", controls=[ban])
    later = {**ban, "id": "later_ban", "effective": "2022-06-01", "announced": "2022-06-01"}
    future = {**ban, "id": "future_ban", "announced": "2023-01-01", "effective": "2024-01-01"}
    never = {"id": "meteor", "kind": "capacity", "random": {"rate_per_year": 1e-9}, "multiplier": 0.1,
             "target": {"ids": ["fab"]}}
    dud = {**QUAKE, "id": "dud", "target": {"ids": ["lab"]}}  # a lab has no capacity to shock
    other = scenario("tighter", end="2023-06-30", controls=[ban, later, future], shocks=[never, QUAKE, dud])
    full = compare(base, [other], replications=2, seed=3, workers=1, counterfactuals=False)
    idle = [line.strip() for line in full.text.splitlines() if line.startswith("    rule ") or line.startswith("    shock ")]
    assert idle[0].startswith("rule later_ban decided nothing in 2 replication(s) (another rule decided first"), idle
    assert idle[1].startswith("rule future_ban decided nothing") and "after the run ends 2023-06-30" in idle[1]
    assert idle[2].startswith("shock meteor did not occur inside the run"), idle
    assert idle[3].startswith("shock dud touched nothing in 2 replication(s)"), idle
    assert len(idle) == 4, "the baseline's rule, which acted, and the shock that struck are not listed"
    assert set(full.experiment.events.query("type == 'control'")["id"]) == {"acc_ban"}
    lean = compare(base, [other], replications=2, seed=3, workers=1, counterfactuals=False, out=tmp_path, lean=True)
    assert lean.text == full.text and (tmp_path / "compare" / "compare.md").read_text() == full.text
    assert len(lean.experiment.tables["events"]) < len(full.experiment.events)


def test_a_throttle_note_both_sides_share_is_printed_once():
    """A throttle row whose baseline and scenario notes are the same (a generation both reached only in their
    unconstrained runs) printed it twice, 'b: ...; s: ...', over 200 characters; now 'both: ...'. A note holding
    'CI n/a' was left out whole, with the censoring beside it."""
    from supplychain.comparison import format_comparison

    none = pd.DataFrame(columns=["scenario", "lab", "generation", "baseline_day", "scenario_day", "delay_days",
                                 "ci_low", "ci_high", "note"])
    gaps = pd.DataFrame(columns=["scenario", "lab", "baseline_mean_gap_days", "scenario_mean_gap_days", "change_days",
                                 "ci_low", "ci_high", "baseline_generations", "scenario_generations", "note"])
    peaks = pd.DataFrame(columns=["scenario", "product", "baseline_peak_weeks", "scenario_peak_weeks", "change_weeks",
                                  "ci_low", "ci_high", "note"])
    censored = "no pairs; censored: reached only in the unconstrained run in 3/3, throttle >= 154 d"
    thr = pd.DataFrame({"scenario": ["b", "s", "b", "s"], "lab": "lab", "generation": [5, 5, 6, 6],
                        "throttle_days": [385.0, 390.0, np.nan, np.nan], "ci_low": [379.0, 380.0, np.nan, np.nan],
                        "ci_high": [392.0, 400.0, np.nan, np.nan],
                        "note": ["same in all 3 replications", "", censored, censored]})
    binding = pd.DataFrame({"scenario": ["b", "s"], "lab": "lab", "cause": "queue:fab", "share": 1.0})
    tables = {"release_delays": none, "gaps": gaps, "peak_lead_times": peaks, "binding": binding,
              "mean_gaps": pd.DataFrame({"lab": ["lab"]}), "throttle": thr}
    text = format_comparison(tables, "b", ["s"], 3, 0, "2022-01-01")
    assert f"  both: {censored}\n" in text and f"b: {censored}" not in text
    assert "  b: same in all 3 replications\n" in text
    # of 2 replications, 1 paired: the note said "1 replication"
    pairs = pd.DataFrame({"lab": "lab", "generation": 0, "status": ["paired", "only_a"], "day_a": [100.0, 300.0],
                          "day_b": [130.0, np.nan], "diff_days": [30.0, np.nan], "bound_days": [np.nan, 60.0]})
    from supplychain.analysis import summarise_pairs
    note = summarise_pairs(pairs, "diff_days", ["lab", "generation"], 2, ("b", "s")).iloc[0]["note"]
    assert note == "CI n/a (1 paired replication); censored: reached only in b in 1/2, delay >= 60 d"
    # a release in the last part-day of the shortest run has a bound just below 0: it printed 'delay <= --0 d'
    edge = pairs.assign(status=["paired", "only_b"], bound_days=[np.nan, -0.4])
    note = summarise_pairs(edge, "diff_days", ["lab", "generation"], 2, ("b", "s")).iloc[0]["note"]
    assert note.endswith("censored: reached only in s in 1/2, delay <= 0 d")
    # one pair and one censored replication: the note's 'CI n/a' (the CI column says it) hid its censoring too
    one = thr.assign(note=["CI n/a (1 paired replication); censored: reached only in b in 1/2, throttle <= -40 d", "", "", ""])
    text = format_comparison({**tables, "throttle": one}, "b", ["s"], 2, 0, "2022-01-01")
    assert "  b: censored: reached only in b in 1/2, throttle <= -40 d\n" in text
    # a generation only the scenario has a throttle row for is a row too, "-" on the baseline's side
    g7 = pd.DataFrame({"scenario": ["s"], "lab": "lab", "generation": [7], "throttle_days": [12.0], "ci_low": [10.0],
                       "ci_high": [14.0], "note": [""]})
    text = format_comparison({**tables, "throttle": pd.concat([thr, g7])}, "b", ["s"], 3, 0, "2022-01-01")
    assert re.search(r"\n    lab\s+g7\s+-\s+n/a\s+12\s+\[10, 14\]", text), text


def test_a_peak_that_moved_both_ways_is_not_called_unchanged():
    """A peak quote 12 weeks longer in one replication and 12 shorter in the other averages a change of 0: it was
    counted among the 'product(s) unchanged', its interval of [-152, +152] unseen. A product is unchanged when its
    interval is inside 0.05 weeks too."""
    from supplychain.analysis import peak_changes
    from supplychain.comparison import format_comparison

    peaks = pd.DataFrame({"scenario": ["b", "b", "s", "s"] * 2, "replication": [0, 1] * 4,
                          "product": ["h100"] * 4 + ["b200"] * 4,
                          "peak_quoted_days": [70.0, 84.0, 154.0, 0.0, 70.0, 84.0, 70.0, 84.0]})
    p = peak_changes(peaks, "b", "s")
    assert p.set_index("product").loc["h100", "change_weeks"] == 0.0
    none = pd.DataFrame(columns=["scenario", "lab", "generation", "baseline_day", "scenario_day", "delay_days",
                                 "ci_low", "ci_high", "note"])
    gaps = pd.DataFrame(columns=["scenario", "lab", "baseline_mean_gap_days", "scenario_mean_gap_days", "change_days",
                                 "ci_low", "ci_high", "baseline_generations", "scenario_generations", "note"])
    tables = {"release_delays": none, "gaps": gaps, "peak_lead_times": p, "mean_gaps": pd.DataFrame({"lab": ["lab"]}),
              "binding": pd.DataFrame({"scenario": ["b", "s"], "lab": "lab", "cause": "queue:fab", "share": 1.0})}
    text = format_comparison(tables, "b", ["s"], 2, 0, "2022-01-01")
    block = text.split("Peak quoted lead time")[1].split("What bound")[0]
    assert "    h100 " in block and "1 other product(s) unchanged (all 2 in the peak_lead_times table)" in block
    assert "    b200 " not in block
    # a total outage in the scenario (weeks of inf quotes) with the same finite peak is listed, with its note
    outage = peaks[peaks["product"] == "b200"].assign(unquoted_weeks=[0, 0, 2, 0])
    text = format_comparison({**tables, "peak_lead_times": peak_changes(outage, "b", "s")}, "b", ["s"], 2, 0, "2022-01-01")
    block = text.split("Peak quoted lead time")[1].split("What bound")[0]
    assert "    b200 " in block and "no finite quote in 1 week(s) of s" in block and "unchanged" not in block


def test_a_stockpiling_window_before_the_run_is_not_said_to_have_moved_orders():
    """A rule of 2024 (stockpiling x17 between announcement and effect) on a run from 2030: the window is over
    before the run, so the idle note says only that it decided nothing; a run that covers part of the window
    says the part, from the run's start."""
    from supplychain.idle import idle_notes
    from supplychain.scenario_schema import Scenario

    rule = {"id": "hbm", "announced": "2024-12-02", "effective": "2024-12-31", "action": "license", "approval": 0.0, "review_days": 30,
            "stockpile": 17.0, "scope": {"destinations": ["CN"], "product_kinds": ["hbm"]}}
    events = pd.DataFrame(columns=["scenario", "replication", "type", "id", "what", "day", "duration_days", "supplier"])
    notes = {}
    for start in ("2030-01-01", "2024-12-15"):
        sc = Scenario.model_validate({"name": "s", "start": start, "end": "2031-01-01", "controls": [rule]})
        base = Scenario.model_validate({"name": "b", "start": start, "end": "2031-01-01"})
        notes[start] = idle_notes(events, base, {"s": sc}, 2)["s"]
    assert notes["2030-01-01"] == ["rule hbm decided nothing in 2 replication(s) (another rule decided first, or its "
                                   "scope was never reached)"]
    assert len(notes["2024-12-15"]) == 1 and "stockpiling (x17 from 2024-12-15 to 2024-12-31) is not logged and may " \
        "have moved orders" in notes["2024-12-15"][0]


def test_runs_on_topologies_with_different_labs_say_which_labs_are_not_compared(tmp_path):
    """A scenario on a topology whose lab has another id ran and printed a comparison without a row of that lab,
    as if nothing had changed for it. The block now says which labs only one run has."""
    from _topo import minimal_data, node, write_yaml

    data = minimal_data()
    node(data, "lab")["id"] = "lab_b"
    for edge in data["edges"]:
        edge["to"] = "lab_b" if edge["to"] == "lab" else edge["to"]
    other = write_yaml(tmp_path, data, "other.yaml")
    c = compare(scenario("base", end="2022-12-31"), scenario("moved", topology=str(other), end="2022-12-31"),
                replications=1, seed=0, counterfactuals=False)
    assert ("moved and base run on topologies with different labs (lab only in base; lab_b only in moved): only the "
            "labs of both are compared") in c.text
    same = compare(scenario("base", end="2022-12-31"), scenario("same", end="2022-12-31"), replications=1, seed=0,
                   counterfactuals=False)
    assert "different labs" not in same.text


def test_a_day_prints_as_its_date_a_change_rounding_to_0_as_plus_0_and_a_backlog_only_past_520_weeks():
    """The printout's figures, by hand: day 100.7 of a run from 2022-01-01 is 2022-04-11 (the day it falls in, as
    the tables date it); -0.3 days is "+0", not "-0"; a peak of 520 weeks is a lead time (the summary prints "520
    weeks"), one over it a backlog; spans that differ say the window compared, the shortest run's days."""
    from datetime import date
    from types import SimpleNamespace

    from supplychain.comparison import _backlog_note, _date, _num, _span_note

    assert _date("2022-01-01", 100.7) == "2022-04-11" and _date("2022-01-01", 0.0) == "2022-01-01"
    assert (_num(-0.3), _num(-0.04, "+.1f"), _num(-0.6), _num(0.0)) == ("+0", "+0.0", "-1", "+0")
    at = SimpleNamespace(baseline_peak_weeks=520.0, scenario_peak_weeks=300.0, note="")
    assert _backlog_note(at) == "" and _backlog_note(SimpleNamespace(**{**vars(at), "baseline_peak_weeks": 520.5})) != ""
    spans = {"base": (date(2022, 1, 1), date(2024, 12, 31)), "late": (date(2022, 7, 1), date(2024, 12, 31))}
    assert "compared over the first 915 days of each" in _span_note(spans, "base", "late")[0]  # 2022-07-01 to 2024-12-31
    assert _span_note({**spans, "late": spans["base"]}, "base", "late") == []


def test_a_stock_points_row_prints_the_baselines_mean_under_the_baselines_name():
    """The stock points block: columns node, outcome, <baseline>, <scenario>, change, 95% CI, each figure under its
    own heading (a fill rate of 0.900 in b and 0.750 in s is a change of -0.150, not of +0.150 read the wrong way)."""
    from supplychain.comparison import format_comparison

    empty = {k: pd.DataFrame(columns=["scenario", "lab"]) for k in ("release_delays", "gaps", "mean_gaps", "binding")}
    stocks = pd.DataFrame({"scenario": ["s"], "node": ["depot"], "outcome": ["fill_rate"], "baseline_mean": [0.9],
                           "scenario_mean": [0.75], "change": [-0.15], "ci_low": [-0.2], "ci_high": [-0.1]})
    text = format_comparison({**empty, "peak_lead_times": pd.DataFrame(), "stock_changes": stocks}, "b", ["s"], 2, 0,
                             "2022-01-01")
    lines = text.split("Stock points (fill rate, mean on hand, mean backorders):\n")[1].splitlines()
    assert lines[0].split() == ["node", "outcome", "b", "s", "change", "95%", "CI"]
    assert lines[1].split() == ["depot", "fill_rate", "0.900", "0.750", "-0.150", "[-0.200,", "-0.100]"]
    assert "Release delay" not in text, "no labs: no lab block"


def test_peaks_are_listed_largest_change_first_a_peak_of_one_side_first_and_each_side_says_its_own_binding():
    """Peak quotes: a product with a peak in one scenario only (change `-`) leads, then the others by |change|
    (-5 weeks before +2); one of no change is counted as unchanged. What bound the lab: the baseline's cause under
    the baseline, the scenario's under the scenario. Throttle notes that differ are each said under their side."""
    from supplychain.comparison import format_comparison

    none = pd.DataFrame(columns=["scenario", "lab", "generation", "baseline_day", "scenario_day", "delay_days",
                                 "ci_low", "ci_high", "note"])
    gaps = pd.DataFrame(columns=["scenario", "lab", "baseline_mean_gap_days", "scenario_mean_gap_days", "change_days",
                                 "ci_low", "ci_high", "baseline_generations", "scenario_generations", "note"])
    peaks = pd.DataFrame({"scenario": "s", "product": ["up", "down", "only_s", "same"],
                          "baseline_peak_weeks": [10.0, 20.0, np.nan, 8.0], "scenario_peak_weeks": [12.0, 15.0, 30.0, 8.0],
                          "change_weeks": [2.0, -5.0, np.nan, 0.0], "ci_low": [1.0, -6.0, np.nan, 0.0],
                          "ci_high": [3.0, -4.0, np.nan, 0.0], "note": ["", "", "", ""]})
    binding = pd.DataFrame({"scenario": ["b", "s"], "lab": "lab", "cause": ["queue:fab", "licence:ban"], "share": 1.0})
    thr = pd.DataFrame({"scenario": ["b", "s"], "lab": "lab", "generation": 1, "throttle_days": [5.0, 9.0],
                        "ci_low": [4.0, 8.0], "ci_high": [6.0, 10.0], "note": ["note of b", "note of s"]})
    tables = {"release_delays": none, "gaps": gaps, "peak_lead_times": peaks, "binding": binding,
              "mean_gaps": pd.DataFrame({"lab": ["lab"]}), "throttle": thr}
    text = format_comparison(tables, "b", ["s"], 3, 0, "2022-01-01")
    block = text.split("Peak quoted lead time")[1].split("What bound")[0]
    listed = [line.split()[0] for line in block.splitlines()[2:] if line.startswith("    ") and "unchanged" not in line]
    assert listed == ["only_s", "down", "up"], block
    assert "1 other product(s) unchanged (all 4 in the peak_lead_times table)" in block
    bound = text.split("What bound the labs' orders")[1].splitlines()
    assert bound[1].split() == ["lab", "b", "s"], bound
    assert bound[2].startswith("    lab ") and bound[2].index("queue:fab") < bound[2].index("licence:ban"), bound
    assert "b: note of b; s: note of s" in text and "both:" not in text
