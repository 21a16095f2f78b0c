"""Prepared scenarios in one experiment: the call's seed and replications override theirs (and `prepare`'s
override the file's), each keeps its own replications, wall times and summary in the run folder, its own seed
without a call's, and its name in its tables; a counterfactual is the scenario unconstrained under a name and hash
of its own; a generator of scenarios is several; two names of one folder are refused; concatenating replications
keeps column types."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pandas.testing as pdt

from supplychain.experiment import UNCONSTRAINED, concat_tables, counterfactual, prepare, run_experiment

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = str(ROOT / "topology" / "minimal.yaml")


def scenario(name: str = "x", **fields) -> dict:
    return {"name": name, "topology": MINIMAL, "end": "2023-06-30", **fields}


def test_the_calls_seed_and_replications_override_a_prepared_scenarios():
    """`run_experiment(prepare(...), seed=2, replications=1)`: the documented override, as for a file or a dict
    (a prepared scenario kept its own seed 1 and 3 replications, unsaid)."""
    res = run_experiment(prepare(scenario(seed=1, replications=3)), replications=1, seed=2, workers=1)
    assert (res.scenarios[0].seed, res.scenarios[0].replications) == (2, 1)
    plain = run_experiment(scenario(), replications=1, seed=2, workers=1)
    for name in ("orders", "generations"):
        pdt.assert_frame_equal(res.tables[name], plain.tables[name], obj=name)


def test_scenarios_of_different_replications_each_get_their_own_in_the_folder(tmp_path):
    """Scenario a with 3 replications and b with 1: the result says 3 (the most), the manifest gives each
    scenario its own wall times, and summary.md (streamed from the stored replications) is the summary of all
    of each scenario's replications, as the same experiment held in memory gives it."""
    a, b = prepare(scenario("a"), replications=3, seed=4), prepare(scenario("b"), replications=1, seed=4)
    res = run_experiment([a, b], workers=1, out=tmp_path / "o")
    assert res.replications == 3 and "replications=3" in repr(res)
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert [(s["name"], len(s["replication_wall_s"])) for s in man["scenarios"]] == [("a", 3), ("b", 1)]
    memory = run_experiment([a, b], workers=1)
    text = (tmp_path / "o" / "summary.md").read_text()
    assert text == memory.summary()
    one = run_experiment(a, replications=1, workers=1).summary()
    figures = [line for line in one.splitlines() if not line.startswith("Replications:")]
    assert not all(line in text.split("# b")[0] for line in figures), "the premise: replication 0 alone gives other figures"


def test_a_replication_without_rows_does_not_change_a_tables_column_types():
    """A replication whose table has no rows (nothing happened) and columns of another type (object) is left
    out of the concatenation: pandas 3 lets an empty frame's types decide (a float column became object)."""
    full = pd.DataFrame({"replication": [0, 0], "day": [1.5, 2.5]})
    none = pd.DataFrame({"replication": pd.Series([], dtype=object), "day": pd.Series([], dtype=object)})
    got = concat_tables([{"t": full}, {"t": none}, {"t": full.assign(replication=2)}])["t"]
    assert got.dtypes.to_dict() == full.dtypes.to_dict() and got["replication"].tolist() == [0, 0, 2, 2]
    empty = concat_tables([{"t": none}, {"t": none}])["t"]
    assert empty.empty and list(empty.columns) == ["replication", "day"]


def test_prepare_takes_the_seed_replications_and_name_it_is_given_and_the_tables_carry_that_name():
    """`prepare(..., seed=7, replications=2, name="renamed")` overrides the scenario's own seed 1, 3 replications
    and name; run alone, its tables say `renamed` in every row and are the tables of the scenario so named, run on
    seed 7: the name selects nothing else."""
    es = prepare(scenario("x", seed=1, replications=3), seed=7, replications=2, name="renamed")
    assert (es.name, es.seed, es.replications) == ("renamed", 7, 2)
    res = run_experiment(es, workers=1)
    for name, df in res.tables.items():
        assert set(df["scenario"]) <= {"renamed"}, name
    assert len(res.orders) and res.scenario("renamed")["orders"].equals(res.orders)
    plain = run_experiment(scenario("renamed"), replications=2, seed=7, workers=1)
    for name in ("orders", "generations", "lead_times"):
        pdt.assert_frame_equal(res.tables[name], plain.tables[name], obj=name)


def test_the_counterfactual_lifts_the_supply_limits_under_its_own_name_and_hash_on_the_same_seed():
    """`counterfactual`: the scenario with `unconstrained: true`, named `<name>__unconstrained`, same seed and
    replications, and a configuration hash of its own (its stored replications are other tables); a scenario
    already unconstrained is its own counterfactual, not a second copy of it."""
    es = prepare(scenario("x"), seed=3, replications=2)
    cf = counterfactual(es)
    assert (cf.name, cf.scenario.unconstrained, cf.seed, cf.replications) == (f"x{UNCONSTRAINED}", True, 3, 2)
    assert not es.scenario.unconstrained and cf.config_hash != es.config_hash
    assert cf.config_hash == prepare(scenario("x", unconstrained=True)).config_hash
    assert counterfactual(cf) is cf
    free = prepare(scenario("y", unconstrained=True))
    assert counterfactual(free) is free


def test_a_generator_of_scenarios_runs_each_of_them_in_order():
    """`run_experiment` takes an iterator (a generator, `map`) of scenarios as it takes a list: two scenarios here,
    not one scenario made of a generator."""
    res = run_experiment((scenario(n) for n in ("a", "b")), replications=1, seed=2, workers=1)
    assert [es.name for es in res.scenarios] == ["a", "b"]
    assert res.generations["scenario"].unique().tolist() == ["a", "b"]
    mapped = run_experiment(map(scenario, ["c"]), replications=1, seed=2, workers=1)
    assert [es.name for es in mapped.scenarios] == ["c"]


def test_two_names_that_make_one_folder_name_are_refused_before_they_share_a_folder(tmp_path):
    """`a b` and `a_b` are two names but one folder (`safe_name`): the second would read the first's stored
    replications as its own. Refused as two scenarios of one name, and nothing is run."""
    import pytest

    from supplychain.errors import InputError

    with pytest.raises(InputError, match="share the name 'a_b'"):
        run_experiment([scenario("a b"), scenario("a_b")], replications=1, workers=1, out=tmp_path / "o")
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").rglob("rep_*"))


def test_without_a_seed_each_scenario_runs_on_its_own_seed():
    """`seed=None` (the default): each scenario keeps its own `seed:`, so b of seed 2 run beside a of seed 1 gives
    b's tables of a run alone (only `compare` pairs scenarios on the baseline's seed)."""
    res = run_experiment([scenario("a", seed=1), scenario("b", seed=2)], replications=1, workers=1)
    assert [es.seed for es in res.scenarios] == [1, 2]
    alone = run_experiment(scenario("b", seed=2), replications=1, workers=1)
    got = res.scenario("b")
    for name in ("orders", "generations"):
        pdt.assert_frame_equal(got[name], alone.tables[name], obj=name)
    a = res.scenario("a")["orders"].drop(columns="scenario")
    assert not a.equals(got["orders"].drop(columns="scenario")), "the premise: seeds 1 and 2 give other orders"
