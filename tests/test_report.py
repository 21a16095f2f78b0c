"""The report: PNG figures and a self-contained report.html for run and compare folders."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from supplychain import ScenarioWarning
from supplychain.cli import app
from supplychain.comparison import compare
from supplychain.experiment import run_experiment
from supplychain.report import FIGURES, make_report

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = str(ROOT / "topology" / "minimal.yaml")
PNG = b"\x89PNG\r\n\x1a\n"
runner = CliRunner()

SHOCKED = {
    "name": "shocked", "topology": MINIMAL, "end": "2023-12-31",
    "controls": [{"id": "lic", "announced": "2022-10-01", "effective": "2023-01-01", "action": "license",
                  "review_days": 30, "approval": 0.5, "scope": {"destinations": ["US"], "product_kinds": ["accelerator"]}}],
    "shocks": [{"id": "quake", "kind": "capacity", "start": "2022-06-01", "multiplier": 0.3, "duration_days": 120,
                "target": {"ids": ["packager"]}}],
}


def images(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    run_experiment(SHOCKED, replications=2, seed=1, workers=1, out=out)
    return out


def test_report_embeds_every_figure_and_writes_pngs(run_dir):
    res = runner.invoke(app, ["report", str(run_dir)])
    assert res.exit_code == 0, res.output
    html = (run_dir / "report.html").read_text()
    imgs = images(html)
    assert len(imgs) == len(FIGURES) and all(i.startswith(PNG) for i in imgs)
    for name in FIGURES:
        png = (run_dir / "figures" / f"{name}.png").read_bytes()
        assert png.startswith(PNG) and png in imgs, name
    # self-contained: nothing is fetched from elsewhere
    assert not re.search(r'(src|href)="(?!data:)', html)
    assert "Timeline of controls and shocks" in html and "# shocked" in html
    assert not (run_dir / "figures" / "sweep.png").exists() and 'alt="sweep"' not in html  # a sweep's only


def test_lead_time_band_spans_replications(run_dir):
    from supplychain.figures import lead_time_figure

    lt = pd.read_parquet(run_dir / "lead_times.parquet")
    fig = lead_time_figure(lt, ["shocked"], ["lab"], ["acc"])
    ax = fig.axes[0]
    assert ax.get_title() == "acc to labs"
    assert [line.get_label() for line in ax.get_lines()] == ["shocked quoted", "shocked realised"]
    assert len(ax.collections) == 1, "one band across replications per scenario"


def test_compare_report_shows_baseline_and_scenario(tmp_path):
    base = {**SHOCKED, "name": "base", "controls": [], "shocks": []}
    compare(base, [SHOCKED], replications=1, seed=2, workers=1, out=tmp_path, counterfactuals=False)
    path = make_report(tmp_path)
    html = path.read_text()
    assert "compare: base, shocked" in html and "Compare tables" in html and "shocked vs base" in html
    from supplychain.figures import generations_figure

    gens = pd.read_parquet(tmp_path / "generations.parquet")
    fig = generations_figure(gens, ["base", "shocked"], ["lab"])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["base", "shocked"]  # the figure's legend


def test_report_uses_agg_without_pyplot(run_dir):
    code = ("import sys, matplotlib; from supplychain.report import make_report; "
            f"make_report({str(run_dir)!r}); "
            "assert 'matplotlib.pyplot' not in sys.modules; print(matplotlib.get_backend())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_report_on_a_folder_that_is_not_a_run(tmp_path):
    res = runner.invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2
    assert res.output.strip() == f"{tmp_path}: manifest.json: not a run folder (no manifest.json); run `supplychain run` first"
    res = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no such run folder" in res.output
    (tmp_path / "s.yaml").write_text("name: s\n")
    res = runner.invoke(app, ["report", str(tmp_path / "s.yaml")])  # a scenario file given by mistake
    assert res.exit_code == 2 and len(res.output.splitlines()) == 1 and "is a file, not a run folder" in res.output


def test_report_reads_a_csv_run_folder(tmp_path):
    run_experiment(SHOCKED, replications=1, seed=1, workers=1, out=tmp_path, fmt="csv")
    assert not list(tmp_path.glob("*.parquet"))
    res = runner.invoke(app, ["report", str(tmp_path), "-q"])
    assert res.exit_code == 0, res.output
    assert len(images((tmp_path / "report.html").read_text())) == len(FIGURES)


def test_a_csv_run_folder_keeps_a_scenario_named_na(tmp_path):
    """The report read a CSV folder with a plain `pd.read_csv`, whose default null list made the scenario `NA`
    null: its rows fell out of every figure's grouping. It reads with the tables' declared types now."""
    from supplychain.report import _table

    run_experiment({**SHOCKED, "name": "NA", "end": "2023-03-31"}, replications=1, seed=1, workers=1, out=tmp_path,
                   fmt="csv")
    assert (_table(tmp_path, "generations")["scenario"] == "NA").all()


def test_report_leaves_out_series_without_values(run_dir, tmp_path):
    """A product never delivered to a lab has quoted but no realised lead times (ascend_970 on the default
    baseline); a column can be all NaN: the report draws what has values instead of failing."""
    import shutil

    from supplychain.outputs import write_table

    folder = tmp_path / "run"
    shutil.copytree(run_dir, folder)
    lt = pd.read_parquet(folder / "lead_times.parquet")
    write_table(lt.assign(realised_by_delivery_days=float("nan")), folder, "lead_times", "parquet")
    fleet = pd.read_parquet(folder / "fleet.parquet")
    write_table(fleet.assign(stranded_h100e=float("nan")), folder, "fleet", "parquet")
    res = runner.invoke(app, ["report", str(folder)])
    assert res.exit_code == 0, res.output
    assert len(images((folder / "report.html").read_text())) == len(FIGURES)
    from supplychain.figures import fleet_figure, lead_time_figure

    fig = lead_time_figure(pd.read_parquet(folder / "lead_times.parquet"), ["shocked"], ["lab"], ["acc"])
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["shocked quoted"]
    fig = fleet_figure(pd.read_parquet(folder / "fleet.parquet"), ["shocked"])
    assert fig.axes[2].get_lines() == [] and fig.axes[2].texts[0].get_text() == "no values"


def test_figures_of_tables_without_rows_for_the_scenarios(run_dir):
    """Tables whose rows belong to other scenarios (or have no values) give no figure, not an error."""
    from supplychain.figures import fleet_figure, generations_figure, lead_time_figure
    from supplychain.figures_causes import events_figure

    lt = pd.read_parquet(run_dir / "lead_times.parquet")
    assert lead_time_figure(lt.assign(quoted_days=float("inf")), ["shocked"], ["lab"], ["acc"]) is None
    assert lead_time_figure(lt.iloc[0:0], ["shocked"], ["lab"]) is None
    assert fleet_figure(pd.read_parquet(run_dir / "fleet.parquet"), ["other"]) is None
    assert generations_figure(pd.read_parquet(run_dir / "generations.parquet"), ["other"], ["lab"]) is None
    assert events_figure(pd.read_parquet(run_dir / "events.parquet"), ["other"]) is None


def test_report_finds_the_topology_from_another_folder(tmp_path, monkeypatch):
    """The manifest records the topology's absolute path; an older manifest's relative one (to where the run
    started) is looked for from the run folder upward: either way the report knows the accelerator SKUs."""
    import json
    import shutil

    from supplychain.report import _products

    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "topology").mkdir(parents=True)
    elsewhere.mkdir()
    shutil.copy(MINIMAL, project / "topology" / "minimal.yaml")
    (project / "s.yaml").write_text("name: r\ntopology: topology/minimal.yaml\nend: 2022-03-31\n")
    monkeypatch.chdir(project)
    run_experiment("s.yaml", replications=1, workers=1, out="outputs/r")  # as `supplychain run s.yaml` from here
    folder = project / "outputs" / "r"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["scenarios"][0]["topology"] == str((project / "topology" / "minimal.yaml").resolve())
    monkeypatch.chdir(elsewhere)
    assert _products(manifest, folder)[1] == ["acc"]
    manifest["scenarios"][0]["topology"] = "topology/minimal.yaml"  # as written before
    assert _products(manifest, folder)[1] == ["acc"]
    assert _products(manifest, Path("../project/outputs/r"))[1] == ["acc"]


def test_a_report_of_more_scenarios_than_it_draws_says_which_it_left_out(tmp_path):
    """The figures draw six scenarios; a sweep of eight showed six and said nothing of the others."""
    from supplychain.figures import _STYLES
    from supplychain.report import MAX_SCENARIOS

    assert len({str(s) for s in _STYLES}) >= MAX_SCENARIOS  # the fleet figure tells each drawn scenario apart
    base = {"topology": MINIMAL, "end": "2022-03-31"}
    names = [f"s{i}" for i in range(MAX_SCENARIOS + 2)]
    run_experiment([{**base, "name": n} for n in names], replications=1, seed=1, workers=1, out=tmp_path)
    html = make_report(tmp_path).read_text()
    assert f"The figures show the first {MAX_SCENARIOS} of {MAX_SCENARIOS + 2} scenarios" in html
    assert f"not drawn: {names[-2]}, {names[-1]}" in html and "and 2 more</h1>" in html
    assert "Replications: s0 1, s1 1" in html and "seed 1;" in html


def test_a_report_of_more_scenarios_than_it_draws_reads_only_the_rows_it_draws(tmp_path, monkeypatch):
    """A sweep of 40 points drew 6 but read every table of every point into memory (~50 MB a default
    replication in pandas): only `fleet` (which labs to draw) is read whole, and the figures are the same."""
    import supplychain.report as report
    import supplychain.runfolder as runfolder

    base = {"topology": MINIMAL, "end": "2022-03-31"}
    names = [f"s{i}" for i in range(report.MAX_SCENARIOS + 2)]
    run_experiment([{**base, "name": n} for n in names], replications=1, seed=1, workers=1, out=tmp_path)
    read = {}

    def spy(real):
        def read_table(folder, name, *args, **kwargs):
            df = real(folder, name, *args, **kwargs)
            read[name] = set(df["scenario"])
            return df
        return read_table

    # every table the report reads goes through `runfolder.read_stored_table`
    monkeypatch.setattr(runfolder, "read_table", spy(runfolder.read_table))
    make_report(tmp_path)
    drawn = set(names[:report.MAX_SCENARIOS])
    assert read.pop("fleet") == set(names)
    assert read and all(scenarios <= drawn for scenarios in read.values()), read


def test_a_report_of_a_textbook_chain_leaves_out_the_lab_figures_and_shows_its_stock_points(tmp_path):
    from supplychain import run_experiment
    from supplychain.topology import model_to_graph, save_topology

    from conftest import serial_chain

    model = serial_chain(None, 0, 5, 0, demand_rate=2, mode="poisson", policy="base_stock", base_stock=13)
    save_topology(model_to_graph(model), tmp_path / "serial.yaml")
    (tmp_path / "s.yaml").write_text("name: serial\ntopology: serial.yaml\nend: 2023-06-30\nreplications: 2\n")
    run_experiment(tmp_path / "s.yaml", workers=1, out=tmp_path / "o")
    text = make_report(tmp_path / "o").read_text()
    assert "No labs in this topology" in text and "Model generation timelines" not in text
    assert "Stock points (the generic kernel)" in text and "- depot (widget): fill rate" in text


def test_a_report_of_many_labs_draws_the_largest_and_says_so(tmp_path):
    """A generated network's labs (22 here; 150 at 200 nodes gave 44 generation panels, 62 inches tall, and most
    of a minute of layout): the lab figures draw the MAX_LABS with the largest fleets, and the page names them."""
    from supplychain.figures import MAX_LABS
    from supplychain.generate import generate_topology

    model = generate_topology(30, 0)
    labs = [n.id for n in model.nodes if n.kind == "lab"]
    assert len(labs) > MAX_LABS
    run_experiment({"name": "many", "start": "2022-01-01", "end": "2022-04-30"}, replications=1, workers=1,
                   topology=model, out=tmp_path)
    page = make_report(tmp_path).read_text()
    said = re.search(r"draw the (\d+) of (\d+) labs with the largest installed fleet at the end</b> \(([^)]*)\)", page)
    assert said and int(said[1]) == MAX_LABS and int(said[2]) == len(labs), page[:2000]
    assert len(said[3].split(", ")) == MAX_LABS and set(said[3].split(", ")) <= set(labs)


def test_a_sweep_report_says_which_inputs_each_drawn_point_ran_with(tmp_path):
    """The figures of a sweep named its points `shocked_p000`, `shocked_p001`: which input values those were
    was only in the tables at the end of the page. The page now lists them before the figures."""
    from supplychain.sweeps import sweep

    quiet = {**SHOCKED, "end": "2022-06-30", "controls": [], "shocks": []}
    sweep(quiet, {"algorithms.efficiency_growth": [2, 4]}, replications=1, workers=1, out=tmp_path)
    page = make_report(tmp_path).read_text()
    assert "<code>shocked_p000</code>: algorithms.efficiency_growth = 2</li>" in page
    assert "<code>shocked_p001</code>: algorithms.efficiency_growth = 4</li>" in page
    assert page.index('alt="sweep"') < page.index("Sweep points drawn") < page.index('alt="lead_times"')




@pytest.mark.parametrize("start, end", [("0001-01-01", "0001-12-31"), ("9998-06-01", "9999-12-31")])
def test_a_run_at_the_ends_of_the_calendar_has_a_report(tmp_path, start, end):
    """matplotlib draws years 1 to 9999; the axes of a run from 0001-01-01 were padded into year 0 and `report`
    stopped with a traceback (ValueError: Date ordinal ... converts to -001-05-24)."""
    sc = {"name": "edge", "topology": MINIMAL, "start": start, "end": end, "set": {"nodes.lab.target_h100e": 20000}}
    if start < "2022":  # years before the topology's, and before its accelerator is on sale: both said, the run goes on
        with pytest.warns(ScenarioWarning) as said:
            run_experiment(sc, replications=1, seed=1, workers=1, out=tmp_path)
        told = " ".join(str(w.message) for w in said)
        assert "before the topology's start" in told and "it orders none" in told
    else:
        run_experiment(sc, replications=1, seed=1, workers=1, out=tmp_path)
    make_report(tmp_path)
    assert all((tmp_path / "figures" / f"{name}.png").read_bytes().startswith(PNG) for name in ("fleet", "generations"))


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    """A sweep of a number and a date, the dates given latest first: 4 points, 1 replication, to mid-2023."""
    from supplychain.sweeps import sweep

    out = tmp_path_factory.mktemp("sweep")
    sweep({**SHOCKED, "end": "2023-06-30", "controls": []},
          {"algorithms.efficiency_growth": [2, 4], "shocks.quake.start": ["2022-09-01", "2022-03-01"]},
          replications=1, seed=1, workers=1, out=out)
    return out


def sweep_tables(folder: Path) -> dict:
    from supplychain.runfolder import load_run

    tables = load_run(folder).sweep
    return {name: tables[name] for name in tables}


def test_a_sweep_report_draws_the_outcome_against_each_input_first(sweep_dir):
    """`report` of a sweep drew six points' standard figures and the ranking's text: no picture of the sweep.
    Its own figure comes first: a panel per input, the mean gap per point, rho and p of the ranking in the title."""
    import matplotlib.dates as mdates

    from supplychain.sweep_figure import sweep_figure

    page = make_report(sweep_dir).read_text()
    png = (sweep_dir / "figures" / "sweep.png").read_bytes()
    assert png.startswith(PNG) and images(page)[0] == png
    assert "How the outcome moves with each swept input" in page and "the standard figures below show only the first 6" in page
    assert "mean gap between model generations" in page
    fig = sweep_figure(sweep_tables(sweep_dir), ["lab"])
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title().splitlines()[0] for ax in axes] == ["algorithms.efficiency_growth", "shocks.quake.start"]
    sens = pd.read_parquet(sweep_dir / "sweep" / "sensitivity.parquet").query("outcome == 'mean_gap_days'")
    rho = sens.set_index("input").loc["algorithms.efficiency_growth", "spearman_rho"]
    assert f"rho {rho:+.2f}" in axes[0].get_title()
    number, date = axes
    assert not isinstance(number.xaxis.get_major_locator(), mdates.DateLocator)
    assert isinstance(date.xaxis.get_major_locator(), mdates.DateLocator)  # dates on a time axis, not text
    x = sorted({float(v) for line in date.get_lines() for v in mdates.date2num(line.get_xdata())})
    assert x == [mdates.date2num(pd.Timestamp(d)) for d in ("2022-03-01", "2022-09-01")]
    y = pd.read_parquet(sweep_dir / "sweep" / "outcomes.parquet").groupby("point")["mean_gap_days"].mean()
    assert sorted(number.get_lines()[0].get_ydata()) == sorted(y)


def test_the_sweep_figure_puts_words_in_the_order_given_and_says_what_it_left_out():
    from supplychain.sweep_figure import MAX_INPUTS, sweep_figure

    inputs = {f"in{i}": [1.0, 2.0, 3.0] for i in range(MAX_INPUTS)}
    points = pd.DataFrame({"point": [0, 1, 2], "scenario": ["p0", "p1", "p2"], "policy": ["slow", "fast", "slow"],
                           **inputs})
    outcomes = pd.DataFrame({"point": [0, 0, 1, 2], "replication": [0, 1, 0, 0], "lab": "L",
                             "mean_gap_days": [100.0, 140.0, 90.0, float("nan")]})
    fig = sweep_figure({"points": points, "outcomes": outcomes}, ["L"])
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == MAX_INPUTS and axes[0].get_title().startswith("policy\nrho n/a")  # no ranking given
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["slow", "fast"]
    (line, *_) = axes[0].get_lines()
    assert list(line.get_xdata()) == [0.0, 1.0] and list(line.get_ydata()) == [120.0, 90.0]  # mean of 2 replications
    assert all(ax.get_ylim()[0] == 0 for ax in axes)  # days from zero: 90 to 140 on an axis of 88-142 read as a collapse
    title = fig._suptitle.get_text()
    assert f"not drawn: inputs in{MAX_INPUTS - 1}" in title and "1 of 3 (point, lab) outcomes undefined" in title
    labs = [f"L{i}" for i in range(8)]  # largest first: the first lab's rho heads a panel of more than two
    many = pd.concat([outcomes.assign(lab=lab) for lab in labs])
    ranking = pd.DataFrame({"lab": labs, "outcome": "mean_gap_days", "input": "in0", "spearman_rho": 0.5, "p_value": 0.25})
    fig = sweep_figure({"points": points, "outcomes": many, "sensitivity": ranking.assign(spearman_rho=[-0.5] + [0.5] * 7)}, labs)
    assert fig.axes[1].get_title() == "in0\nL0: rho -0.50, p 0.25 (largest lab)"
    assert "not drawn: 2 more labs (L6, L7)" in fig._suptitle.get_text()


def test_a_sweep_report_of_a_textbook_chain_draws_the_fill_rate(tmp_path):
    from supplychain.sweep_figure import sweep_figure
    from supplychain.sweeps import sweep
    from supplychain.topology import model_to_graph, save_topology

    from conftest import serial_chain

    model = serial_chain(None, 0, 5, 0, demand_rate=2, mode="poisson", policy="base_stock", base_stock=13)
    save_topology(model_to_graph(model), tmp_path / "serial.yaml")
    (tmp_path / "s.yaml").write_text("name: serial\ntopology: serial.yaml\nend: 2022-06-30\n")
    sweep(tmp_path / "s.yaml", {"set.nodes.depot.base_stock": [8, 18]}, replications=1, workers=1, out=tmp_path / "o")
    page = make_report(tmp_path / "o").read_text()
    assert (tmp_path / "o" / "figures" / "sweep.png").read_bytes() in images(page)
    assert "the fill rate of each stock point" in page
    fig = sweep_figure(sweep_tables(tmp_path / "o"), [])
    (ax,) = [ax for ax in fig.axes if ax.get_visible()]
    assert fig.get_label() == "fill_rate" and ax.get_ylabel() == "fill rate"
    assert ax.get_title().startswith("set.nodes.depot.base_stock\nrho") and ax.get_legend_handles_labels()[1] == ["depot"]


def test_a_figure_with_nothing_to_draw_says_what_did_not_happen(run_dir, tmp_path):
    """A run where no lab released a generation (an end before the first, or a requirement out of reach) and no
    control or shock applied said "Nothing to show (no rows in the tables)" in place of the generation, binding and
    events figures: read as a broken run. The page now says what did not happen."""
    import shutil

    from supplychain.outputs import write_table
    from supplychain.report import EMPTY

    folder = tmp_path / "run"
    shutil.copytree(run_dir, folder)
    for name in ("generations", "events"):
        write_table(pd.read_parquet(folder / f"{name}.parquet").iloc[0:0], folder, name, "parquet")
    res = runner.invoke(app, ["report", str(folder)])
    assert res.exit_code == 0, res.output
    page = (folder / "report.html").read_text()
    assert "no rows in the tables" not in page
    for name in ("generations", "binding", "events"):
        assert f"<h2>{FIGURES[name]}</h2><p>{EMPTY[name]}</p>" in page, name
    assert len(images(page)) == 2  # lead times and fleet


def test_a_sweep_report_reads_each_table_once(sweep_dir, monkeypatch):
    """The sweep's points table was read twice: once with the other sweep tables for the figure (and checked), and
    again for the list of the points drawn. Every table, of the run and of `sweep/`, is now read once."""
    from collections import Counter

    import supplychain.runfolder as runfolder

    reads: Counter = Counter()

    def counting(real):
        def read(folder, name, *args, **kwargs):
            reads[(Path(folder).name, name)] += 1
            return real(folder, name, *args, **kwargs)
        return read

    # every table the report reads goes through `runfolder.read_stored_table` (the sweep's too, `LazyTables`)
    monkeypatch.setattr(runfolder, "read_table", counting(runfolder.read_table))
    page = make_report(sweep_dir).read_text()
    assert "Sweep points drawn" in page and 'alt="sweep"' in page
    assert reads[("sweep", "points")] == 1 and reads[("sweep", "outcomes")] == 1, reads
    assert set(reads.values()) == {1}, reads


@pytest.mark.parametrize("damage, file, problem", [
    (lambda s: (s / "sensitivity.parquet").replace(s / "outcomes.parquet"), "outcomes.parquet",
     "point: missing column; not the outcomes table the program writes"),
    (lambda s: (s / "sensitivity.parquet").unlink(), "sensitivity.parquet", "<file>: no such table; rerun the sweep"),
    (lambda s: (s / "points.parquet").unlink(), "points.parquet", "<file>: no such table; rerun the sweep"),
    (lambda s: (s / "outcomes.parquet").write_bytes(b"PAR1 cut short"), "outcomes.parquet", "<file>: cannot read the table ("),
])
def test_a_sweep_folder_with_a_damaged_sweep_table_names_it_and_writes_nothing(sweep_dir, tmp_path, damage, file, problem):
    """A sweep table copied over another ended `report` in a KeyError traceback; a missing one left the sweep's
    figure out (or its rho) without a word; an unreadable one was named without its suffix (`sweep/outcomes`)."""
    import shutil

    folder = Path(shutil.copytree(sweep_dir, tmp_path / "sweep", ignore=shutil.ignore_patterns("figures", "report.html")))
    damage(folder / "sweep")
    res = runner.invoke(app, ["report", str(folder), "-q"])
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert res.stderr.splitlines() == [res.stderr.strip()] and res.stderr.startswith(f"{folder / 'sweep' / file}: {problem}"), res.stderr
    assert not (folder / "figures").exists() and not (folder / "report.html").exists()
