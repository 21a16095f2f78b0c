"""A sweep's points: what each one runs (the entry a path names, the sweep's seed at every point, the number the
points table gives it) and the outcome row it gets. The design: test_sweep_design; the ranking: test_sweep."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supplychain.errors import InputError
from supplychain.sweeps import outcomes_table, sweep

MINIMAL = str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml")


def scenario(**fields) -> dict:
    return {"name": "sw", "topology": MINIMAL, "end": "2022-12-31", **fields}


def shock(ident: str) -> dict:
    return {"id": ident, "kind": "capacity", "start": "2022-06-01", "duration_days": 30, "multiplier": 0.9,
            "target": {"ids": ["packager"]}}


@pytest.fixture(scope="module")
def swept():
    """Two points of a shock `q` beside a shock `q2` whose id begins with it, on the sweep's seed 7 (the file's is 3)."""
    return sweep(scenario(seed=3, shocks=[shock("q2"), shock("q")]), ["shocks.q.multiplier=0.5,0.7"],
                 replications=2, seed=7, workers=1)


def test_a_path_sets_the_entry_of_that_whole_id_not_one_its_id_begins(swept):
    got = [{sh.id: sh.multiplier for sh in es.scenario.shocks} for es in swept.experiment.scenarios]
    assert got == [{"q2": 0.9, "q": 0.5}, {"q2": 0.9, "q": 0.7}]


def test_every_point_runs_on_the_sweeps_seed(swept):
    """Paired points: one seed (the argument, not the file's) for all, so a difference is the input's, not the draw's."""
    assert swept.seed == 7 and [es.seed for es in swept.experiment.scenarios] == [7, 7]


def test_the_points_are_numbered_as_their_scenarios_are_named(swept):
    assert swept.points[["point", "scenario"]].values.tolist() == [[0, "sw_p000"], [1, "sw_p001"]]
    o = swept.outcomes
    assert len(o) == 4 and (o["scenario"] == "sw_p" + o["point"].map("{:03d}".format)).all()
    assert o.groupby("point")["shocks.q.multiplier"].first().tolist() == [0.5, 0.7]


def test_a_control_rule_is_named_by_its_whole_id():
    """`controls.ban.approval` with a rule `ban_all` only: the rule is missing, not some entry of a list."""
    rule = {"id": "ban_all", "announced": "2022-03-01", "effective": "2022-04-01", "action": "ban",
            "scope": {"destinations": ["TW"]}}
    with pytest.raises(InputError, match=r"^<arguments>: params\[controls\.ban\.approval\]: the scenario has no "
                                         r"control rule with id 'ban'$"):
        sweep(scenario(controls=[rule]), ["controls.ban.approval=0.5,0.6"], replications=1, workers=1)


def test_the_peak_quote_is_the_longest_finite_accelerator_quote_to_the_lab_in_weeks(swept):
    lt = swept.experiment.tables["lead_times"]
    quotes = lt[(lt["customer"] == "lab") & (lt["product"] == "acc") & np.isfinite(lt["quoted_days"])]
    want = (quotes.groupby(["scenario", "replication"])["quoted_days"].max() / 7).rename("peak_quoted_weeks")
    assert (quotes.groupby(["scenario", "replication"])["quoted_days"].nunique() > 1).all(), "a peak, not a constant"
    got = swept.outcomes.set_index(["scenario", "replication"])["peak_quoted_weeks"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_exact=False)


def test_a_week_without_a_finite_quote_counts_once_however_many_accelerators_it_holds(swept):
    """Two accelerators quoted inf to the lab on the same two days are two unquoted weeks, not four."""
    tables = dict(swept.experiment.tables)
    lt = tables["lead_times"]
    extra = pd.DataFrame([{**lt.iloc[0].to_dict(), "scenario": "sw_p000", "replication": 0, "customer": "lab",
                           "product": product, "day": day, "quoted_days": np.inf}
                          for product in ("acc", "acc2") for day in (1000.0, 1007.0)]).astype(lt.dtypes.to_dict())
    tables["lead_times"] = pd.concat([lt, extra], ignore_index=True)
    out = outcomes_table(tables, swept.points, ["lab"], ["acc", "acc2"]).set_index(["scenario", "replication"])
    assert out["unquoted_weeks"].to_dict() == {("sw_p000", 0): 2, ("sw_p000", 1): 0, ("sw_p001", 0): 0, ("sw_p001", 1): 0}


def test_a_swept_set_path_replaces_the_scenarios_paths_inside_it_and_refines_a_whole_figure():
    """As a child scenario's would: sweeping `set.nodes.fab.capacity` replaces the file's `capacity.growth` (before,
    it stayed in the mapping ahead of the swept figure and was dropped by it without a word, though listed as
    applied); sweeping `capacity.growth` over the file's whole `capacity` refines it."""
    whole = sweep(scenario(set={"nodes.fab.capacity.growth": 0.4, "nodes.fab.yield": 0.5}),
                  ["set.nodes.fab.capacity=1000,2000"], replications=1, workers=1)
    got = [(es.graph.nodes["fab"]["capacity"], es.graph.nodes["fab"]["yield"]["value"])
           for es in whole.experiment.scenarios]
    assert got == [({"value": 1000.0, "growth": 0.0}, 0.5), ({"value": 2000.0, "growth": 0.0}, 0.5)]
    refined = sweep(scenario(set={"nodes.fab.capacity": 3000}), ["set.nodes.fab.capacity.growth=0.1,0.2"],
                    replications=1, workers=1)
    assert [es.graph.nodes["fab"]["capacity"] for es in refined.experiment.scenarios] == [
        {"value": 3000.0, "growth": 0.1}, {"value": 3000.0, "growth": 0.2}]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_swept_date_is_a_date_column_of_the_points_and_outcomes_and_reads_back_as_one(tmp_path, fmt):
    """`shocks.q.start=2022-06-01,2022-03-01` ran each point on its date, but the points and outcomes held the ISO
    text (a `str` column beside the tables' `datetime64` dates); a CSV sweep folder read it back as text too."""
    from supplychain.runfolder import load_run

    s = sweep(scenario(shocks=[shock("q")]), ["shocks.q.start=2022-06-01,2022-03-01", "shocks.q.multiplier=0.5"],
              replications=1, workers=1, out=tmp_path, fmt=fmt)
    dates = pd.to_datetime(["2022-06-01", "2022-03-01"]).astype("datetime64[us]")
    assert [es.scenario.shocks[0].start.isoformat() for es in s.experiment.scenarios] == ["2022-06-01", "2022-03-01"]
    read = load_run(tmp_path).sweep
    for points in (s.points, read["points"]):
        assert points["shocks.q.start"].dtype == "datetime64[us]" and list(points["shocks.q.start"]) == list(dates)
        assert points["shocks.q.multiplier"].dtype == "float64"  # a number stays one
    for outcomes in (s.outcomes, read["outcomes"]):
        assert outcomes["shocks.q.start"].dtype == "datetime64[us]"
        assert list(outcomes.drop_duplicates("point")["shocks.q.start"]) == list(dates)
    assert "shocks.q.start is ranked by date (days since its earliest value)" in s.text
