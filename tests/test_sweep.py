"""Sweeps: running the points, tidy outcomes, the sensitivity ranking and the printout (the design: test_sweep_design)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from supplychain.cli import app
from supplychain.errors import InputError, ScenarioWarning
from supplychain.sweep_outcomes import sweep_text as _text
from supplychain.sweeps import Param, parse_param, sensitivity, sweep

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = str(ROOT / "topology" / "minimal.yaml")
runner = CliRunner()


def scenario(**fields) -> dict:
    return {"name": "sw", "topology": MINIMAL, "end": "2024-06-30", **fields}


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    return sweep(scenario(), ["algorithms.efficiency_growth=1.5,4", "set.nodes.packager.capacity.value=3000,12000"],
                 replications=2, seed=1, workers=2, out=out)


def test_grid_sweep_tidy_outcomes(grid):
    o = grid.outcomes
    assert len(grid.points) == 4 and len(o) == 4 * 2 * 1  # points x replications x labs
    for col in ("point", "replication", "lab", "algorithms.efficiency_growth", "set.nodes.packager.capacity.value",
                "generations", "mean_gap_days", "peak_quoted_weeks", "release_day_g0"):
        assert col in o, col
    by = o.groupby("algorithms.efficiency_growth")["generations"].mean()
    assert by[4] > by[1.5], "faster algorithmic progress releases more generations"
    pk = o.groupby("set.nodes.packager.capacity.value")["peak_quoted_weeks"].mean()
    assert pk[3000] > pk[12000], "the topology override reached the run: less packaging, longer quotes"
    for name in ("points", "outcomes", "sensitivity"):
        assert (grid.folder / f"{name}.parquet").is_file()
    assert set(pd.read_parquet(grid.folder.parent / "fleet.parquet")["scenario"]) == {f"sw_p00{i}" for i in range(4)}


def test_sweep_keeps_only_outcome_rows_in_memory_and_they_give_the_same_outcomes(grid):
    from supplychain.outputs import read_table
    from supplychain.sweeps import OUTCOME_TABLES, outcomes_table

    kept = grid.experiment.tables
    assert set(kept) == set(OUTCOME_TABLES)
    full = {name: read_table(grid.folder.parent, name) for name in OUTCOME_TABLES}
    assert len(kept["lead_times"]) < len(full["lead_times"])  # quotes between suppliers stay on disk
    labs = sorted(full["fleet"]["lab"].unique())
    pd.testing.assert_frame_equal(outcomes_table(kept, grid.points, labs, ["acc"]),
                                  outcomes_table(full, grid.points, labs, ["acc"]))
    # every table of every replication was written, streamed from the stored replications
    for name in ("orders", "lead_times", "nodes"):
        df = read_table(grid.folder.parent, name)
        assert set(zip(df["scenario"], df["replication"])) == {(f"sw_p00{i}", r) for i in range(4) for r in range(2)}


def test_sensitivity_ranks_the_input_that_moves_the_pace(grid):
    s = grid.sensitivity
    pace = s[s["outcome"] == "mean_gap_days"].set_index("input")
    assert sorted(pace["rank"]) == [1, 2]
    # more algorithmic progress and more packaging capacity both shorten the gaps between generations
    assert (pace["spearman_rho"] < 0).all() and (pace["src"] < 0).all()
    assert "Sensitivity" in grid.text


def test_sensitivity_on_a_known_response():
    rng = np.random.default_rng(0)
    x1, x2, x3 = rng.uniform(0, 1, 200), rng.uniform(0, 1, 200), rng.uniform(0, 1, 200)
    y = 5 * x1 - 1 * x2 + rng.normal(0, 0.05, 200)
    df = pd.DataFrame({"lab": "L", "a": x1, "b": x2, "c": x3, "mean_gap_days": y})
    s = sensitivity(df, ["a", "b", "c"], ["mean_gap_days"]).set_index("input")
    assert s.loc["a", "rank"] == 1 and s.loc["b", "rank"] == 2 and s.loc["c", "rank"] == 3
    assert s.loc["a", "src"] == pytest.approx(5 / np.hypot(5, 1), abs=0.03)
    assert s.loc["b", "src"] < 0 and abs(s.loc["c", "src"]) < 0.05


def test_lhs_sweep_runs_n_points_in_range():
    s = sweep(scenario(end="2023-06-30"), ["labs.utilisation=0.2:0.6"], lhs=3, replications=1, seed=5, workers=1)
    assert len(s.points) == 3 and s.points["labs.utilisation"].between(0.2, 0.6).all()
    assert len(s.outcomes) == 3


@pytest.mark.parametrize("param, message", [
    ("labs.nope=1,2", "supplychain sweep: --param labs.nope: unknown field"),
    ("nothing.here=1,2", "supplychain sweep: --param nothing.here: unknown scenario field (got 'nothing')"),
    ("labs.utilisation=2,3", "supplychain sweep: --param labs.utilisation: "),
    ("set.nodes.ghost.capacity.value=1,2", "supplychain sweep: --param set.nodes.ghost.capacity.value: unknown node"),
    ("labs.utilisation=0.1:0.2", "supplychain sweep: --param labs.utilisation: a range lo:hi needs a Latin hypercube (--lhs N"),
    ("bad", "supplychain sweep: --param bad: expected PATH="),
    ("controls.x.approval=0.5", "supplychain sweep: --param controls.x.approval: the scenario has no control rule with id 'x'"),
    ("labs.lifetime_years=.inf,3", "supplychain sweep: --param labs.lifetime_years: figures must be finite (got inf)"),
    ("labs.utilisation=true,0.3", "supplychain sweep: --param labs.utilisation: expected a number (got True)"),
    ("set.nodes.fab.capacity.value=.nan,5", "supplychain sweep: --param set.nodes.fab.capacity.value: figures must be finite (got nan)"),
    # plain `nan` / `inf` are text to YAML, read as floats by pydantic: a bound said "less than or equal to 1"
    ("labs.utilisation=nan,0.5", "supplychain sweep: --param labs.utilisation: figures must be finite (got 'nan')"),
    ("labs.utilisation=0.3,-Infinity", "supplychain sweep: --param labs.utilisation: figures must be finite (got '-Infinity')"),
    # a number past a float's range reads as inf: said as what was typed, not "(got inf)"
    ("labs.utilisation=1e400,0.5", "supplychain sweep: --param labs.utilisation: 1e400 is past a float's range"),
    ("seed=1,2", "supplychain sweep: --param seed: cannot be swept: every point runs on the sweep's seed"),
    ("replications=1,2", "supplychain sweep: --param replications: cannot be swept"),
    ("topology=nonexist.yaml", "supplychain sweep: --param topology: cannot be swept"),
    ("name=a,b", "supplychain sweep: --param name: cannot be swept"),
    # a typo for 0.3,0.4: one point ran twice, the other never, and the ranking said "no variation"
    ("labs.utilisation=0.3,0.3", "supplychain sweep: --param labs.utilisation: value 0.3 given twice"),
    ("labs.utilisation=0.3,0.4,3e-1", "supplychain sweep: --param labs.utilisation: value 0.3 given twice"),
])
def test_sweep_command_bad_params_exit_2(tmp_path, param, message):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario()))
    res = runner.invoke(app, ["sweep", str(path), "--param", param, "-o", str(tmp_path / "o"), "-w", "1"])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), res.output
    assert not (tmp_path / "o" / "replications").exists(), "nothing runs before every point is valid"


def test_sweep_command_writes_tables(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario(end="2023-06-30")))
    res = runner.invoke(app, ["sweep", str(path), "-p", "algorithms.efficiency_growth=2,4", "-n", "1", "-w", "1",
                              "-o", str(tmp_path / "o"), "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "Per point" in res.output and "Sensitivity" in res.output
    o = pd.read_csv(tmp_path / "o" / "sweep" / "outcomes.csv")
    assert sorted(o["algorithms.efficiency_growth"]) == [2, 4]


@pytest.mark.parametrize("field", ["seed", "replications", "topology"])
def test_what_every_point_shares_cannot_be_swept(field):
    """A swept seed, replication count or topology would run every point alike and still be listed as an input."""
    with pytest.raises(InputError) as err:
        sweep(scenario(), {field: [1, 2]}, replications=1, workers=1)
    assert str(err.value).startswith(f"<arguments>: params[{field}]: cannot be swept")
    assert "algorithms" in err.value.problem and "set.<topology path>" in err.value.problem, "names what can be swept"


def test_inputs_whose_rho_and_src_are_undefined_are_not_ranked():
    """An outcome that never varies (one lab) or an input that never varies has NaN rho and SRC: no
    rank, and sweep.md says which were left out instead of listing them last."""
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0, 1, 40), rng.uniform(0, 1, 40)
    points = pd.DataFrame({"point": range(40), "scenario": [f"s_p{i:03d}" for i in range(40)], "a": a, "b": b, "c": 1.0})
    moves = points.assign(lab="moves", mean_gap_days=300 + 100 * a + rng.normal(0, 1, 40))
    flat = points.assign(lab="flat", mean_gap_days=400.0)
    outcomes = pd.concat([moves, flat]).assign(replication=0, generations=2, peak_quoted_weeks=10.0)
    s = sensitivity(outcomes, ["a", "b", "c"], ["mean_gap_days"])
    by = s.set_index(["lab", "input"])["rank"]
    assert by[("moves", "a")] == 1 and by[("moves", "b")] == 2 and pd.isna(by[("moves", "c")])
    assert by["flat"].isna().all() and s[s["lab"] == "flat"][["src", "spearman_rho"]].isna().all().all()
    text = _text(points, outcomes, s, 1)
    ranked = text.split("ranked by |SRC|:")[1].split("Not ranked")[0]
    assert "flat" not in ranked and "<NA>" not in ranked and "moves" in ranked
    assert "    flat: a, b, c" in text and "    moves: c" in text


def test_sweep_repr_is_short_and_names_the_tables(grid):
    text = repr(grid)
    assert len(text) < 300, text
    assert text.startswith("Sweep(replications=2, ") and "outcomes=8" in text and "sensitivity=" in text
    assert text.count("points=") == 1 and "points=4" in text  # the points table's rows, said once


def test_a_small_sample_gets_a_permutation_p_value_not_the_t_approximation():
    """Four points on two input values printed p = 0.000 (scipy's t approximation at rho = 1); with
    few points the p-value counts the pairings as extreme as the one seen, exactly."""
    import numpy as np

    from supplychain.sensitivity import spearman

    rho, p = spearman(np.array([30.0, 30.0, 180.0, 180.0]), np.array([229.0, 229.0, 267.0, 267.0]))
    assert rho == pytest.approx(1.0) and p == pytest.approx(8 / 24)  # 8 of the 24 pairings are as tied-monotone as this one
    rho, p = spearman(np.arange(5.0), np.arange(5.0) ** 2)
    assert rho == pytest.approx(1.0) and p == pytest.approx(2 / 120)  # the increasing and the decreasing order
    x = np.arange(30.0)
    rho, p = spearman(x, x + np.sin(x))  # a large sample: scipy's approximation
    assert p < 1e-6


def test_a_sweep_of_a_textbook_chain_ranks_its_stock_points_fill_rate(tmp_path):
    """The generic kernel has no labs: the sweep's outcomes are the stock points' fill rate, stock and
    backorders (`stock_outcomes`), ranked like the pace; the fill rate rises with the base stock."""
    from supplychain.runfolder import load_run

    from conftest import serial_chain

    from supplychain.topology import model_to_graph, save_topology

    model = serial_chain(None, 0, 5, 0, demand_rate=2, mode="poisson", policy="base_stock", base_stock=13)
    save_topology(model_to_graph(model), tmp_path / "serial.yaml")
    sc = tmp_path / "s.yaml"
    sc.write_text("name: serial\ntopology: serial.yaml\nend: 2023-12-31\nreplications: 2\n")
    s = sweep(sc, {"set.nodes.depot.base_stock": [8, 13, 18]}, workers=1, out=tmp_path / "o")
    fill = s.stock_outcomes.groupby("point")["fill_rate"].mean()
    assert len(s.stock_outcomes) == 6 and fill.is_monotonic_increasing and fill.iloc[0] < 0.5 < 0.95 < fill.iloc[2]
    top = s.stock_sensitivity.query("outcome == 'fill_rate' and rank == 1").iloc[0]
    assert top["node"] == "depot" and top["spearman_rho"] > 0.8
    assert s.outcomes.empty and "Sensitivity of the fill rate" in s.text and "Sensitivity of the pace" not in s.text
    back = load_run(tmp_path / "o").sweep
    assert "stock_outcomes" in back and "stock_sensitivity" in back


def test_a_points_replications_count_once_in_the_ranking():
    """Replications of a point share its inputs (and its random draws): the ranking is over the points'
    mean outcomes, n the number of points, so three replications do not triple the evidence."""
    from scipy import stats

    rng = np.random.default_rng(3)
    a = np.array([0.1, 0.4, 0.2, 0.9, 0.6])
    rows = [{"point": i, "replication": r, "lab": "L", "a": a[i], "mean_gap_days": 100 * a[i] + rng.normal(0, 20)}
            for i in range(5) for r in range(3)]
    out = pd.DataFrame(rows)
    s = sensitivity(out, ["a"], ["mean_gap_days"]).iloc[0]
    means = out.groupby("point")["mean_gap_days"].mean()
    assert s["n"] == 5 and s["spearman_rho"] == pytest.approx(stats.spearmanr(a, means)[0])


def test_the_manifest_records_the_parameters_as_the_command_line_writes_them(grid):
    """Not Python reprs (`Param(path=..., values=(...))`): text `parse_param` reads back."""
    import json

    params = json.loads((grid.folder.parent / "manifest.json").read_text())["sweep"]["params"]
    assert params == ["algorithms.efficiency_growth=1.5,4", "set.nodes.packager.capacity.value=3000,12000"]
    assert parse_param(params[0]).values == (1.5, 4) and parse_param(params[1]).values == (3000, 12000)
    assert parse_param(Param("labs.utilisation", low=0.25, high=0.5).as_text()) == Param("labs.utilisation", low=0.25, high=0.5)


def test_a_sweeps_outcomes_date_each_release_from_its_own_points_start():
    """`release_day_gN` -> `release_date_gN`, `last_release_day` -> `last_release_date`: from each point's
    own start, which a sweep may vary."""
    s = sweep(scenario(end="2024-06-30"), ["start=2022-01-01,2022-07-01"], replications=1, workers=1)
    o = s.outcomes
    for _, row in o.iterrows():
        start = pd.Timestamp(str(row["start"]))
        assert row["release_date_g0"] == start + pd.Timedelta(days=int(np.floor(row["release_day_g0"])))
        assert row["last_release_date"] == start + pd.Timedelta(days=int(np.floor(row["last_release_day"])))
    assert o["release_date_g0"].nunique() == 2


def test_a_sweep_counts_the_weeks_a_lab_had_no_finite_quote_beside_its_peak(tmp_path):
    """A packager at zero capacity quotes inf, which `peak_quoted_weeks` (finite quotes) leaves out: a
    point with a six-month outage must not read as one whose quotes did not move."""
    outage = {"id": "out", "kind": "capacity", "start": "2022-06-01", "duration_days": 182, "multiplier": 0.0,
              "target": {"ids": ["packager"]}}
    s = sweep(scenario(end="2023-06-30", shocks=[outage]), ["shocks.out.multiplier=0,1"], replications=1, seed=1, workers=1)
    o = s.outcomes.set_index("shocks.out.multiplier")
    assert o["unquoted_weeks"].dtype == "int64"
    assert o.loc[1, "unquoted_weeks"] == 0
    assert 20 <= o.loc[0, "unquoted_weeks"] <= 27  # the outage's weeks (a quote is weekly)


def test_the_sweep_printout_writes_outcomes_in_whole_units_and_flags_a_backlog():
    """Per point, generations to a tenth and days and weeks whole (`.4g` mixed 2601, 80.88 and 374 in
    one column), and a peak quote over ten years named as a backlog, as the summary and compare say."""
    points = pd.DataFrame({"point": [0, 1], "scenario": ["s_p000", "s_p001"], "a": [0.25, 0.5]})
    outcomes = pd.DataFrame({"point": [0, 0, 1, 1], "replication": 0, "lab": ["lab_cn", "lab_us"] * 2,
                             "generations": [3.0, 5.0, 3.0, 6.0], "mean_gap_days": [611.26, 374.0, 80.88, 372.5],
                             "peak_quoted_weeks": [2601.4, 80.88, 2590.0, 79.2]}).merge(points[["point", "a"]])
    s = sensitivity(outcomes, ["a"], ["mean_gap_days"])
    text = _text(points, outcomes, s, 1)
    table = text.split("Per point (means over replications):")[1].split("Sensitivity")[0]
    assert " 2601\n" in table and " 81\n" in table and " 611 " in table and "80.88" not in table and "611.26" not in table
    assert "peak_quoted_weeks over 520 (10 years) is a backlog far beyond capacity, not a lead time (lab_cn)" in text
    assert "backlog" not in _text(points, outcomes.assign(peak_quoted_weeks=30.0), s, 1)


def test_the_sweep_printout_says_when_a_labs_mean_gap_is_over_different_generations():
    """A point that stops a lab after g3 drops its later, slower gaps: its mean gap shortens though every release
    came later (compare notes the same). The printout names the labs whose generation count moves."""
    points = pd.DataFrame({"point": [0, 1], "scenario": ["s_p000", "s_p001"], "a": [0.25, 0.5]})
    outcomes = pd.DataFrame({"point": [0, 0, 1, 1], "replication": 0, "lab": ["lab_cn", "lab_us"] * 2,
                             "generations": [6.0, 5.0, 4.0, 5.0], "mean_gap_days": [400.0, 374.0, 366.0, 372.5],
                             "peak_quoted_weeks": 40.0}).merge(points[["point", "a"]])
    s = sensitivity(outcomes, ["a"], ["mean_gap_days"])
    assert "mean_gap_days is over different numbers of generations across points (lab_cn):" in _text(points, outcomes, s, 1)
    assert "different numbers" not in _text(points, outcomes.assign(generations=5.0), s, 1)


def test_two_points_rank_no_input():
    """Two points give a rank correlation of +-1 whatever the data, and no SRC with three inputs: `--lhs 2`
    ranked every input by that +-1 at p = 1. They are now not ranked, and sweep.md says why."""
    points = pd.DataFrame({"point": [0, 1], "scenario": ["s_p000", "s_p001"], "a": [0.1, 0.2], "b": [4.0, 2.0],
                           "c": [5.0, 20.0]})
    outcomes = points.assign(lab="lab", replication=0, mean_gap_days=[300.0, 310.0], generations=3, peak_quoted_weeks=9.0)
    s = sensitivity(outcomes, ["a", "b", "c"], ["mean_gap_days"])
    assert s["rank"].isna().all() and s["spearman_rho"].isna().all() and s["src"].isna().all()
    assert "n/a (fewer than 2 generations, fewer than 3 points, or no variation)" in _text(points, outcomes, s, 1)


def test_the_ranking_prints_no_negative_zero_and_p_values_without_a_sign():
    """An input without effect had SRC -2e-16 (rounding) and printed -0.000, a small negative effect to a reader;
    p-values printed +0.333 beside the coefficients, as if they had a direction."""
    points = pd.DataFrame({"point": range(4), "scenario": [f"s_p{i:03d}" for i in range(4)], "a": [0.1, 0.1, 0.3, 0.3],
                           "u": [0.4, 0.5, 0.4, 0.5]})
    outcomes = points.assign(lab="lab", replication=0, mean_gap_days=[541.0, 534.0, 541.0, 534.0], generations=10,
                             peak_quoted_weeks=80.0)
    s = sensitivity(outcomes, ["a", "u"], ["mean_gap_days"])
    assert s.set_index("input").loc["a", "src"] < 0  # -2e-16: no effect, up to rounding
    rows = {line.split()[2]: line.split()[3:6] for line in _text(points, outcomes, s, 1).split("ranked by |SRC|:")[1]
            .strip().splitlines()[1:]}
    assert rows == {"u": ["-1.000", "-1.000", "0.333"], "a": ["+0.000", "+0.000", "1.000"]}


SMOOTH = {"ordering": "smooth", "ordering_params": {"adjustment_days": 30}}


def test_sweeping_the_ordering_policy_drops_the_base_parameters_a_policy_does_not_take(tmp_path):
    """A base on `smooth` with its adjustment_days swept over `order_up_to,smooth`: the order_up_to point runs
    without the parameter (it was an error naming it, and the sweep ran nothing), the smooth point with it, and
    the command says once what it dropped."""
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario(end="2023-06-30", labs=SMOOTH)))
    res = runner.invoke(app, ["sweep", str(path), "-p", "labs.ordering=order_up_to,smooth", "-n", "1", "-w", "1",
                              "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    warned = [ln for ln in res.output.splitlines() if ln.startswith("warning:")]
    assert warned == [f"warning: {path}: labs.ordering_params.adjustment_days dropped: not a parameter of ordering "
                      "policy 'order_up_to', which the sweep sets"], res.output
    assert "Per point" in res.output
    o = pd.read_parquet(tmp_path / "o" / "sweep" / "outcomes.parquet")
    assert sorted(o["labs.ordering"].unique()) == ["order_up_to", "smooth"]


def test_a_swept_ordering_parameter_the_swept_policy_does_not_take_stays_an_error(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario(labs=SMOOTH)))
    res = runner.invoke(app, ["sweep", str(path), "-p", "labs.ordering=order_up_to,smooth",
                              "-p", "labs.ordering_params.adjustment_days=30,60", "-o", str(tmp_path / "o"), "-w", "1"])
    assert res.exit_code == 2, res.output
    assert res.output.strip().splitlines() == [
        "supplychain sweep: --param labs.ordering_params.adjustment_days: not a parameter of ordering policy "
        "'order_up_to' (got 'adjustment_days'); its parameters: none"], res.output


@pytest.mark.parametrize("swept, per_lab, want", [
    # the lab swept to order_up_to keeps none of the base's parameters; `labs` (and so smooth) keep theirs
    ("per_lab.lab.ordering", {}, [("order_up_to", {}), ("smooth", {"adjustment_days": 30.0})]),
    # a lab on smooth of its own keeps the parameter it inherited when `labs` is swept to order_up_to
    ("labs.ordering", {"lab": {"ordering": "smooth"}}, [("smooth", {"adjustment_days": 30.0})] * 2),
])
def test_each_lab_of_a_swept_ordering_runs_with_the_parameters_of_its_policy(swept, per_lab, want):
    with pytest.warns(ScenarioWarning, match="adjustment_days dropped"):
        s = sweep(scenario(end="2023-03-31", labs=SMOOTH, per_lab=per_lab), {swept: ["order_up_to", "smooth"]},
                  replications=1, workers=1)
    got = [(p.ordering, p.ordering_values()) for p in (es.scenario.lab_policy("lab") for es in s.experiment.scenarios)]
    assert got == want


def test_an_outcome_equal_at_every_point_ranks_no_input_whatever_its_rounding():
    """Six points with the same fill rate, 0.9984 (as a textbook chain's stock point gave for inputs that do not
    reach it): pandas' std of six equal floats is 1.2e-16, not 0, and the SRC of that noise ranked both inputs
    (src +0.000, rank 1 and 2) under 'Sensitivity of the fill rate' instead of saying nothing varied."""
    a, b = np.linspace(0.2, 0.6, 6), np.array([66.8, 48.7, 23.5, 51.8, 73.2, 39.1])
    assert pd.Series([0.9984] * 6).std() > 0  # the premise: rounding, not variation
    out = pd.DataFrame({"point": np.repeat(range(6), 2), "replication": [0, 1] * 6, "node": "depot",
                        "a": np.repeat(a, 2), "b": np.repeat(b, 2), "fill_rate": 0.9984})
    s = sensitivity(out, ["a", "b"], ["fill_rate"], by="node")
    assert s["rank"].isna().all() and s["src"].isna().all() and s["spearman_rho"].isna().all()
    assert (s["n"] == 6).all()


def test_the_printout_says_how_a_text_input_was_ranked():
    """`rsi.preset=full,plateau,compound` is ranked as full=0, plateau=1, compound=2: its rho and SRC measure the order
    the values were given in, which nothing said (a rho of -0.9 for the presets read as an effect of RSI)."""
    points = pd.DataFrame({"point": range(3), "scenario": [f"s_p{i:03d}" for i in range(3)],
                           "rsi.preset": ["full", "plateau", "compound"], "labs.ordering": ["smooth", "order_up_to", "smooth"],
                           "a": [1.0, 2.0, 3.0]})
    outcomes = points.assign(lab="lab", replication=0, mean_gap_days=[200.0, 400.0, 300.0], generations=3,
                             peak_quoted_weeks=9.0)
    s = sensitivity(outcomes, ["rsi.preset", "labs.ordering", "a"], ["mean_gap_days"]).set_index("input")
    assert s.loc["rsi.preset", "spearman_rho"] == pytest.approx(0.5)  # ranks 0, 1, 2 against 200, 400, 300
    text = _text(points, outcomes, s.reset_index(), 1)
    assert ("rsi.preset is ranked as full=0, plateau=1, compound=2 (the order given): a positive rho or SRC means a "
            "later value raises the outcome; with three or more values that order is taken to mean something") in text
    assert "labs.ordering is ranked as smooth=0, order_up_to=1 (the order given): a positive rho or SRC means a later " \
           "value raises the outcome\n" in text
    assert "a is ranked" not in text


def test_a_date_input_is_ranked_by_date_not_by_the_order_given():
    """`shocks.quake.start=2028-01-01,2027-01-01,2027-07-01` (as the points table keeps them, ISO text): coded in
    the order given, the latest date came first and a later quake that slows the pace less read as rho -0.5;
    by date the rho is +1 and the SRC is the regression on days. The printout says how it was ranked."""
    points = pd.DataFrame({"point": range(3), "scenario": [f"s_p{i:03d}" for i in range(3)],
                           "shocks.quake.start": ["2028-01-01", "2027-01-01", "2027-07-01"], "a": [1.0, 3.0, 2.0]})
    outcomes = points.assign(lab="lab", replication=0, mean_gap_days=[300.0, 100.0, 200.0], generations=3,
                             peak_quoted_weeks=9.0)
    s = sensitivity(outcomes, ["shocks.quake.start"], ["mean_gap_days"]).set_index("input")
    assert s.loc["shocks.quake.start", "spearman_rho"] == pytest.approx(1.0)
    days = np.array([365.0, 0.0, 181.0])  # since 2027-01-01
    assert s.loc["shocks.quake.start", "src"] == pytest.approx(np.corrcoef(days, [300.0, 100.0, 200.0])[0, 1])
    text = _text(points, outcomes, s.reset_index(), 1)
    assert ("shocks.quake.start is ranked by date (days since its earliest value): a positive rho or SRC means a later "
            "date raises the outcome") in text and "(the order given)" not in text
    dated = points.assign(**{"shocks.quake.start": pd.to_datetime(points["shocks.quake.start"]).dt.date})  # dates, not text
    assert sensitivity(dated.assign(lab="lab", replication=0, mean_gap_days=[300.0, 100.0, 200.0]), ["shocks.quake.start"],
                       ["mean_gap_days"])["spearman_rho"].tolist() == pytest.approx([1.0])


def test_the_printout_says_where_the_pace_is_undefined_and_left_out():
    """A lab with fewer than 2 generations has no mean gap: a point's mean was over the replications that had one,
    and a point with none left the ranking (n 2 of 3 points), so the slowest runs counted least, unsaid."""
    points = pd.DataFrame({"point": range(3), "scenario": [f"s_p{i:03d}" for i in range(3)], "a": [1.0, 2.0, 3.0]})
    outcomes = pd.DataFrame({"point": np.repeat(range(3), 2), "replication": [0, 1] * 3, "lab": "lab",
                             "generations": [3, 3, 3, 3, 1, 1], "mean_gap_days": [200.0, 210.0, 300.0, 310.0, np.nan, np.nan],
                             "peak_quoted_weeks": 9.0}).merge(points[["point", "a"]])
    s = sensitivity(outcomes, ["a"], ["mean_gap_days"])
    assert s["n"].tolist() == [2]
    text = _text(points, outcomes, s, 2)
    assert ("mean_gap_days is undefined (fewer than 2 generations) in lab: 2 of 6 point-replications, every replication "
            "of 1 point(s): a point's mean is over the replications that have one") in text
    assert "undefined" not in _text(points, outcomes.assign(mean_gap_days=250.0), s, 2)


def test_a_per_point_figure_that_is_undefined_prints_as_a_dash():
    """A lab with fewer than 2 generations has no mean gap: the per-point table printed NaN beside the note that
    explains it, as a number that failed."""
    s = sweep({"name": "short", "topology": MINIMAL, "end": "2022-01-02"}, ["labs.utilisation=0.4,0.5"],
              replications=1, workers=1)
    table = s.text.split("Per point (means over replications):")[1].split("mean_gap_days is undefined")[0]
    assert "NaN" not in s.text and " - " in table
