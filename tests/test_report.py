"""The report: PNG figures and a self-contained report.html for run and compare folders."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

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
    from supplychain.figures import events_figure, fleet_figure, generations_figure, lead_time_figure

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


def test_the_lead_time_figure_shows_what_labs_received_not_what_is_quoted_most():
    """Products were ranked by quoted rows, so a SKU quoted on many flows and never delivered (a
    decades-long Ascend backlog) took a panel from the H100; quotes of over 10 years (backlogs)
    are not drawn."""
    from supplychain.figures import key_series, lead_time_figure

    rows = []
    for week in range(20):
        for lab in ("lab_a", "lab_b", "lab_c"):  # quoted on three flows, never delivered
            rows.append(("s", 0, "never", lab, 7.0 * week, 1e6, float("nan"), 0))
        rows.append(("s", 0, "h100", "lab_a", 7.0 * week, 300.0, 280.0, 2))  # one flow, delivered
    lt = pd.DataFrame(rows, columns=["scenario", "replication", "product", "customer", "day", "quoted_days",
                                     "realised_by_delivery_days", "realised_by_delivery_lines"])
    lt["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(lt["day"], unit="D")
    assert key_series(lt, ["lab_a", "lab_b", "lab_c"], None) == ["h100"]
    undelivered = lt[lt["product"] == "never"]
    assert key_series(undelivered, ["lab_a", "lab_b", "lab_c"], None) == ["never"]  # nothing delivered: the quoted
    fig = lead_time_figure(lt.assign(quoted_days=lt["quoted_days"].where(lt["day"] < 70.0, 1e6)), ["s"], ["lab_a"])
    ax = fig.axes[0]
    assert ax.get_title() == "h100 to labs (quotes over 10 years not drawn)"
    drawn = np.concatenate([np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()])
    assert np.nanmax(drawn) < 520 and np.isfinite(drawn).sum() > 10  # the 300-day quotes, not the 1e6 ones


def test_the_lead_time_figure_breaks_the_quote_line_where_no_finite_quote_was_made_and_says_so():
    """A total outage quotes inf for months: the line was drawn straight across it at the last finite
    quote, as if nothing had happened; the weeks are now a gap in the line and the title names them."""
    from supplychain.figures import lead_time_figure

    weeks = np.arange(20)
    lt = pd.DataFrame({"scenario": "s", "replication": 0, "product": "h100", "customer": "lab_a", "day": 7.0 * weeks,
                       "quoted_days": np.where((weeks >= 5) & (weeks < 12), np.inf, 175.0),
                       "realised_by_delivery_days": np.nan, "realised_by_delivery_lines": 0})
    lt["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(lt["day"], unit="D")
    ax = lead_time_figure(lt, ["s"], ["lab_a"]).axes[0]
    quoted = np.asarray(ax.get_lines()[0].get_ydata(), dtype=float)
    assert len(quoted) == 20 and np.isnan(quoted[5:12]).all() and (quoted[:5] == 25.0).all()
    assert ax.get_title() == "h100 to labs (quotes infinite (no capacity) not drawn)"


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


def test_a_shocks_bar_is_its_duration_also_in_tables_written_before_the_duration_column():
    from types import SimpleNamespace

    from supplychain.figures import _days

    assert _days(SimpleNamespace(duration_days=45.0, detail="45 days")) == 45.0
    assert _days(SimpleNamespace(detail="182 days")) == 182.0  # an older folder: from the detail text
    assert _days(SimpleNamespace(duration_days=float("nan"), detail="")) == 0.0


def test_the_events_figure_draws_a_shock_over_its_duration():
    from supplychain.figures import events_figure

    ev = pd.DataFrame({"scenario": ["s"], "type": ["shock"], "id": ["q"], "what": ["capacity"], "detail": ["45 days"],
                       "duration_days": [45.0], "date": [pd.Timestamp("2023-01-01")]})
    fig = events_figure(ev, ["s"])
    width = fig.axes[0].patches[0].get_width()
    assert width == pytest.approx(45.0)  # matplotlib's dates are in days
    fig = events_figure(ev.assign(duration_days=float("nan"), detail="90 days"), ["s"])  # an older table: the text
    assert fig.axes[0].patches[0].get_width() == pytest.approx(90.0)


def test_the_fleet_figure_of_many_labs_draws_without_a_legend_that_collapses_it():
    """A generated network's 150 labs gave a 300-line legend: matplotlib warned that the layout collapsed (and
    the legend hid the panels). Past `MAX_LEGEND` lines the panel says how many labs it draws instead."""
    import io
    import warnings

    from supplychain.figures import MAX_LEGEND, fleet_figure

    def fleet(labs: int) -> pd.DataFrame:
        days = np.arange(0, 70, 7.0)
        return pd.DataFrame([{"scenario": sc, "replication": 0, "lab": f"lab_{i:03d}", "day": d,
                              "date": pd.Timestamp("2022-01-01") + pd.Timedelta(days=d), "installed_h100e": 100.0 + i + d,
                              "power_mw": 1.0 + i, "stranded_h100e": 0.0} for sc in "ab" for i in range(labs) for d in days])

    few, many = fleet_figure(fleet(3), ["a", "b"]), fleet_figure(fleet(150), ["a", "b"])
    assert few.axes[0].get_legend() is not None and 6 <= MAX_LEGEND
    assert many.axes[0].get_legend() is None and "150 labs" in many.axes[0].texts[0].get_text()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        many.savefig(io.BytesIO(), format="png")


def test_largest_labs_are_the_largest_fleets_on_the_last_date():
    """A lab that was large early but small at the end is not among them; ties keep every lab below the limit."""
    from supplychain.figures import largest_labs

    t0, t1 = pd.Timestamp("2022-01-01"), pd.Timestamp("2023-01-01")
    rows = [{"lab": f"l{i}", "date": t1, "installed_h100e": float(i)} for i in range(5)]
    rows += [{"lab": "early", "date": t0, "installed_h100e": 1e9}, {"lab": "early", "date": t1, "installed_h100e": 0.5}]
    fleet = pd.DataFrame(rows)
    assert largest_labs(fleet, 3) == ["l2", "l3", "l4"]
    assert largest_labs(fleet, 6) == sorted(["early", *[f"l{i}" for i in range(5)]])


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


def _weekly_lead_times(realised: np.ndarray, scenarios: tuple[str, ...] = ("s",)) -> pd.DataFrame:
    """20 weeks of one product to one lab: quoted 280 days, realised as given (NaN: nothing delivered that week)."""
    weeks = np.arange(len(realised))
    lt = pd.concat([pd.DataFrame({"scenario": sc, "replication": 0, "product": "h100", "customer": "lab_a",
                                  "day": 7.0 * weeks, "quoted_days": 280.0, "realised_by_delivery_days": realised,
                                  "realised_by_delivery_lines": np.where(np.isnan(realised), 0, 1)}) for sc in scenarios])
    return lt.assign(date=pd.Timestamp("2024-01-01") + pd.to_timedelta(lt["day"], unit="D"))


def test_the_realised_line_breaks_where_nothing_was_delivered_for_months():
    """H200 to labs, 2026: eight months without a delivery were drawn as a realised lead time rising along a
    straight line from 6 to 42 weeks; a stretch of more than `MAX_GAP` without one is now a gap in the line,
    a lone week's delivery a dot."""
    from supplychain.figures import lead_time_figure

    realised = np.full(20, np.nan)
    realised[:5], realised[10], realised[15:] = 42.0, 70.0, 294.0
    ax = lead_time_figure(_weekly_lead_times(realised), ["s"], ["lab_a"]).axes[0]
    line = next(line for line in ax.get_lines() if line.get_label() == "s realised")
    x = pd.to_datetime(np.asarray(line.get_xdata()))
    y = np.asarray(line.get_ydata(), dtype=float)
    between = (x > pd.Timestamp("2024-01-29")) & (x < pd.Timestamp("2024-04-15"))
    assert np.isnan(y[between & (x != pd.Timestamp("2024-03-11"))]).any(), "weeks 4 to 15 drawn as one line"
    assert np.isnan(y[(x > pd.Timestamp("2024-01-29")) & (x < pd.Timestamp("2024-03-11"))]).any()
    assert np.isnan(y[(x > pd.Timestamp("2024-03-11")) & (x < pd.Timestamp("2024-04-15"))]).any()
    assert line.get_markevery() is not None and np.asarray(line.get_markevery()).sum() == 1  # week 10, alone
    assert np.nanmax(y) == 42.0 and (y == 10.0).any()


def test_the_lead_time_axis_starts_at_zero_and_one_legend_names_the_series():
    """A panel from 36 to 44 weeks drew a drift of a few weeks as a collapse; and each of six panels had its own
    legend of six entries (three scenarios) drawn over the data. The axes start at zero, the legend is the figure's."""
    from supplychain.figures import lead_time_figure

    realised = np.full(20, 250.0)
    fig = lead_time_figure(_weekly_lead_times(realised, ("a", "b", "c")), ["a", "b", "c"], ["lab_a"])
    ax = fig.axes[0]
    assert ax.get_ylim()[0] == 0 and ax.get_legend() is None and "weeks" in ax.get_ylabel()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [f"{sc} {what}" for sc in "abc" for what in ("quoted", "realised")]


def test_the_fleet_figure_labels_its_units_and_gives_every_lab_its_own_colour():
    """The stranded panel's ticks read 0.0 to 1.0 under a "1e8" a reader took for the values, no axis named its
    unit, and the 12 labs of a generated network shared 10 colours (lab_0005 and lab_0127 both blue)."""
    from matplotlib.colors import to_hex

    from supplychain.figures import MAX_LABS, fleet_figure

    days = np.arange(0, 70, 7.0)
    fleet = pd.DataFrame([{"scenario": "s", "replication": 0, "lab": f"lab_{i:02d}", "day": d,
                           "date": pd.Timestamp("2022-01-01") + pd.Timedelta(days=d), "installed_h100e": 1e5 * (i + 1),
                           "power_mw": 1e3 * (i + 1), "stranded_h100e": 1e8 * d / 70} for i in range(MAX_LABS) for d in days])
    fig = fleet_figure(fleet, ["s"])
    fig.canvas.draw()
    assert [ax.get_ylabel() for ax in fig.axes] == ["H100e", "MW", "H100e"]
    stranded = fig.axes[2]
    assert stranded.yaxis.get_offset_text().get_text() == ""
    assert any(t.get_text() == "100,000,000" for t in stranded.get_yticklabels())
    assert len({to_hex(line.get_color()) for line in fig.axes[0].get_lines()}) == MAX_LABS


def test_the_generation_panels_share_one_readable_time_axis():
    """Each lab's panel had its own time axis (2022-2035 beside 2022-2036) and, over a few years in a half-width
    panel, labels `2022-07 2023-01 2023-07 ...` that ran into one another; and a legend of the one scenario in each."""
    from matplotlib.dates import ConciseDateFormatter

    from supplychain.figures import generations_figure

    rows = [{"scenario": "s", "replication": 0, "lab": lab, "generation": g, "day": 300.0 * g + k, "started_day": 0.0,
             "date": pd.Timestamp("2022-06-01") + pd.Timedelta(days=300 * g + 100 * k)}
            for k, lab in enumerate(["a", "b", "c"]) for g in range(5)]
    fig = generations_figure(pd.DataFrame(rows), ["s"], ["a", "b", "c"])
    a, b, c = fig.axes[:3]
    assert a.get_xlim() == b.get_xlim() == c.get_xlim()
    assert all(isinstance(ax.xaxis.get_major_formatter(), ConciseDateFormatter) for ax in (a, b, c))
    assert a.get_legend() is None and [t.get_text() for t in fig.legends[0].get_texts()] == ["s"]


def test_the_events_figure_names_a_compared_scenario_without_controls_or_shocks():
    """Comparing the baseline with export_controls_lifted, the timeline drew the baseline's controls and nothing
    for the other scenario: not even its name, so the difference the comparison is about went unsaid."""
    from supplychain.figures import events_figure

    ev = pd.DataFrame({"scenario": ["base"], "type": ["control"], "id": ["oct2022"], "what": ["denied"], "detail": [""],
                       "date": [pd.Timestamp("2023-01-01")]})
    rows = [t.get_text() for t in events_figure(ev, ["base", "lifted"]).axes[0].get_yticklabels()]
    assert rows == ["base: control oct2022", "lifted: no controls or shocks"]
    assert [t.get_text() for t in events_figure(ev, ["base"]).axes[0].get_yticklabels()] == ["control oct2022"]


def test_a_sweep_report_says_which_inputs_each_drawn_point_ran_with(tmp_path):
    """The figures of a sweep named its points `shocked_p000`, `shocked_p001`: which input values those were
    was only in the tables at the end of the page. The page now lists them before the figures."""
    from supplychain.sweeps import sweep

    quiet = {**SHOCKED, "end": "2022-06-30", "controls": [], "shocks": []}
    sweep(quiet, {"algorithms.efficiency_growth": [2, 4]}, replications=1, workers=1, out=tmp_path)
    page = make_report(tmp_path).read_text()
    assert "<code>shocked_p000</code>: algorithms.efficiency_growth = 2</li>" in page
    assert "<code>shocked_p001</code>: algorithms.efficiency_growth = 4</li>" in page
    assert page.index("Sweep points drawn") < page.index("<img")


def test_the_binding_figure_names_the_largest_cause_of_every_bar():
    """The figure named the 7 causes with the largest shares summed over all bars and drew the rest as "other":
    lab_cn g1, delayed wholly by power:lab_cn, and lab_us g2, 72 % by transport, were grey "other" bars. A bar's
    largest cause is now always named, and "other" is grey however many causes there are."""
    from matplotlib.colors import to_hex

    from supplychain.figures import binding_figure

    causes = [f"queue:fab_{i}" for i in range(8)]
    gens, orders = [], []
    for g, cause in enumerate(causes + ["power:lab"]):  # one generation per cause, the last a single small one
        gens.append({"scenario": "s", "replication": 0, "lab": "lab", "generation": g, "started_day": 10.0 * g,
                     "day": 10.0 * g + 10, "date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=10 * g + 10)})
        for c, qty in ((cause, 1.0 if g == 8 else 5.0), *(((causes[0], 0.4), ("transport:x", 0.1)) if g == 8 else ())):
            orders.append({"scenario": "s", "replication": 0, "kind": "lab", "lab": "lab", "product": "h100", "qty": qty,
                           "delivered": 10.0 * g + 5, "delivered_qty": qty, "cause": c})
    ax = binding_figure(pd.DataFrame(orders), pd.DataFrame(gens), ["s"], {"h100": 1.0}).axes[0]
    named = {c.get_label(): c for c in ax.containers}
    row = [t.get_text() for t in ax.get_yticklabels()].index("lab g8")
    assert named["power:lab"].patches[row].get_width() == pytest.approx(1 / 1.5)
    assert set(causes) <= set(named) and named["other"].patches[row].get_width() == pytest.approx(0.1 / 1.5)
    assert to_hex(named["other"].patches[0].get_facecolor()) == to_hex("0.6")  # grey: not a cause's colour
    assert len({to_hex(c.patches[0].get_facecolor()) for c in ax.containers}) == len(named)


def test_a_fleet_legend_of_many_lines_stands_beside_the_panels_not_over_them():
    """12 labs in 2 scenarios: the 24-entry legend in the installed panel covered its first two years of lines.
    Past six lines it is the figure's, right of the panels; a few stay inside."""
    from supplychain.figures import fleet_figure

    days = np.arange(0, 70, 7.0)
    fleet = pd.DataFrame([{"scenario": sc, "replication": 0, "lab": f"lab_{i:02d}", "day": d,
                           "date": pd.Timestamp("2022-01-01") + pd.Timedelta(days=d), "installed_h100e": 1e5 * (i + 1),
                           "power_mw": 1.0, "stranded_h100e": 0.0} for sc in "ab" for i in range(12) for d in days])
    fig = fleet_figure(fleet, ["a", "b"])
    fig.canvas.draw()
    legend, = fig.legends
    assert fig.axes[0].get_legend() is None and len(legend.get_texts()) == 24
    assert legend.get_window_extent().x0 >= max(ax.get_window_extent().x1 for ax in fig.axes)
    assert fleet_figure(fleet[fleet["lab"] < "lab_03"], ["a", "b"]).axes[0].get_legend() is not None
