"""What `compare` runs: every scenario given (a list or a tuple), each on the baseline's seed and number of
replications, and the folder's manifest naming the baseline, the compared scenarios and their counterfactuals."""

from __future__ import annotations

import json

from supplychain.comparison import compare

from _compare import scenario

END = "2022-06-30"


def test_a_tuple_of_scenarios_is_compared_scenario_by_scenario():
    """`compare(base, (b, c))` as `compare(base, [b, c])`: two scenarios, each against the baseline, not one
    scenario made of a tuple."""
    c = compare(scenario("a", end=END), (scenario("b", end=END), scenario("c", end=END)), replications=1, seed=1,
                workers=1, counterfactuals=False)
    assert c.scenarios == ["b", "c"] and [es.name for es in c.experiment.scenarios] == ["a", "b", "c"]
    assert set(c.mean_gaps["scenario"]) == {"a", "b", "c"}
    assert "## b vs a" in c.text and "## c vs a" in c.text


def test_every_scenario_runs_the_baselines_number_of_replications_not_its_own():
    """A baseline of 2 replications and a scenario whose file says 3: the scenario runs 2, paired with the
    baseline's replications 0 and 1 (a third would have no pair)."""
    c = compare(scenario("a", end=END, replications=2), [scenario("b", end=END, replications=3)], seed=1, workers=1,
                counterfactuals=False)
    assert [(es.name, es.replications) for es in c.experiment.scenarios] == [("a", 2), ("b", 2)]
    assert set(c.experiment.orders["replication"]) == {0, 1}
    assert "2 paired replication(s), seed 1" in c.text


def test_the_folder_manifest_names_the_baseline_the_compared_scenarios_and_their_counterfactuals(tmp_path):
    """manifest.json of a comparison: `baseline`, `compared` (the scenarios, the baseline not among them), and each
    run's unconstrained counterfactual by name; the scenarios list holds all four runs."""
    c = compare(scenario("a", end=END), [scenario("b", end=END)], replications=1, seed=1, workers=1,
                out=tmp_path / "o")
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert (man["kind"], man["baseline"], man["compared"]) == ("compare", "a", ["b"])
    assert man["counterfactuals"] == {"a": "a__unconstrained", "b": "b__unconstrained"}
    assert [s["name"] for s in man["scenarios"]] == ["a", "b", "a__unconstrained", "b__unconstrained"]
    assert c.folder == tmp_path / "o" / "compare" and (c.folder / "compare.md").read_text() == c.text
