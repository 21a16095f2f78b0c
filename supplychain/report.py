"""`make_report(run_dir)`: figures as PNG and a self-contained report.html.

Works on any folder written by `run`, `compare` or `sweep` (it reads
`manifest.json` and the concatenated tables). Figures go to
`<run_dir>/figures/*.png` and are embedded base64 in `<run_dir>/report.html`,
so the HTML file can be mailed on its own. For a compare folder the
figures show the baseline against each scenario, and the comparison tables
follow; unconstrained counterfactual runs are left out of the pictures. A sweep folder's report begins with
the sweep's own figure (`sweep_figure`: the outcome of every point against each swept input).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import pandas as pd

from .arguments import given_path
from .errors import InputError
from .fields import read_text, short, writing
from .experiment import UNCONSTRAINED
from .figures import fleet_figure, generations_figure, largest_labs, lead_time_figure
from .figures_causes import binding_figure, events_figure
from .outputs import atomic_write_bytes
from .runfolder import LazyTables, read_manifest, read_stored_table
from .summary import labs_by_size
from .sweep_figure import MAX_INPUTS, sweep_figure

__all__ = ["make_report", "FIGURES"]

#: name -> caption, in report order
FIGURES = {
    "lead_times": "Quoted and realised lead times of the accelerators delivered to labs",
    "generations": "Model generation timelines per lab",
    "fleet": "Fleet, power and stranded accelerators",
    "binding": "What bound each generation",
    "events": "Timeline of controls and shocks",
}
#: what a figure with nothing to draw means, said in its place: "no rows in the tables" read as a broken run
#: where nothing had happened (no lab released a generation before the end, a scenario without controls)
EMPTY = {
    "lead_times": "No accelerator was quoted to the labs drawn.",
    "generations": "No lab released a model generation before the end of the run.",
    "fleet": "No lab fleet in the tables.",
    "binding": "Nothing to attribute: no generation was released, or none had accelerators delivered while it trained.",
    "events": "No export controls or shocks in the scenarios drawn.",
}
TABLES = ("lead_times", "fleet", "generations", "events", "orders")
#: the tables of a sweep folder's `sweep/` its figure reads (`stock_*` only of a chain with stock points)
SWEEP_TABLES = ("points", "outcomes", "sensitivity", "stock_outcomes", "stock_sensitivity")
#: the columns the figures read, per table: a table without one is not a run's (checked before drawing)
COLUMNS = {
    "lead_times": ("scenario", "replication", "customer", "product", "date", "quoted_days", "realised_by_delivery_days"),
    "fleet": ("scenario", "replication", "lab", "date", "installed_h100e", "power_mw", "stranded_h100e"),
    "generations": ("scenario", "replication", "lab", "generation", "day", "started_day", "date"),
    "events": ("scenario", "type", "id", "what", "date", "detail"),
    "orders": ("scenario", "replication", "kind", "lab", "product", "qty", "delivered", "delivered_qty", "cause"),
}
MAX_SCENARIOS = 6


def _table(folder: Path, name: str, scenarios: list[str] | None = None) -> pd.DataFrame:
    """A table of the run with the columns the figures read, dates parsed; an `InputError` naming the file otherwise.
    `scenarios`: only their rows, read without loading the rest (a sweep of 40 points draws 6)."""
    file = next((f for f in (folder / f"{name}.parquet", folder / f"{name}.csv") if f.is_file()), None)
    if file is None:
        raise InputError(folder / f"{name}.parquet", "<file>", "no such table; rerun the command that made the folder")
    where = None if scenarios is None else {"scenario": scenarios}  # a CSV with its declared types: a
    df = read_stored_table(folder, name, where=where, needs=COLUMNS[name])  # scenario named `NA` is not null
    try:
        for col in [c for c in df.columns if c == "date" or c.endswith("_date")]:
            df[col] = pd.to_datetime(df[col])
    except (ValueError, OSError, TypeError) as exc:  # dates that are not dates
        raise InputError(file, "<file>", f"cannot read the table ({short(str(exc), 80)})") from None
    return df


#: the dates matplotlib can draw, years 1 to 9999: a run from 0001-01-01 padded its axes into year 0 and the
#: report failed with a traceback (ValueError from matplotlib.dates)
_DRAWABLE = (mdates.date2num(dt.datetime(1, 1, 1)), mdates.date2num(dt.datetime(9999, 12, 31)))


def _png(fig: Any) -> bytes:
    for ax in fig.axes:  # a date axis padded past the years matplotlib draws is cut back to them
        for axis, lim in ((ax.xaxis, ax.set_xlim), (ax.yaxis, ax.set_ylim)):
            lo, hi = axis.get_view_interval()
            if isinstance(axis.get_major_locator(), mdates.DateLocator) and (min(lo, hi) < _DRAWABLE[0] or max(lo, hi) > _DRAWABLE[1]):
                lim(max(min(lo, hi), _DRAWABLE[0]), min(max(lo, hi), _DRAWABLE[1]))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _topology_file(recorded: str, folder: Path) -> Path:
    """The topology a manifest records. Older manifests hold a path relative to where the run was started,
    unknown here: if it is not found from the working folder, it is looked for from the run folder upward
    (a run started in a project writes `outputs/<name>/` under it)."""
    path = Path(recorded)
    if path.is_absolute() or path.exists():
        return path
    for base in (folder.resolve(), *folder.resolve().parents):
        if (base / path).exists():
            return base / path
    return path


def _products(manifest: dict[str, Any], folder: Path) -> tuple[dict[str, float], list[str] | None]:
    """(h100e per SKU, accelerator SKUs) from the first scenario's topology file, if it can be read."""
    try:
        from .topology import as_model

        model = as_model(_topology_file(manifest["scenarios"][0]["topology"], folder))
    except (InputError, OSError, KeyError, IndexError, TypeError):  # no topology file (moved, deleted), or not
        return {}, None  # readable: the report still works without the H100e weights
    return ({k: p.h100e for k, p in model.products.items() if p.h100e},
            [k for k, p in model.products.items() if p.kind == "accelerator"] or None)


def _scenarios(manifest: dict[str, Any], tables: dict[str, pd.DataFrame]) -> list[str]:
    """Every scenario of the folder but the counterfactuals, in the order run (the figures draw the first
    `MAX_SCENARIOS`, and the report says so)."""
    if manifest.get("kind") == "compare":
        names = [manifest["baseline"], *manifest.get("compared", [])]
    elif manifest.get("scenarios"):
        names = [s["name"] for s in manifest["scenarios"]]
    else:
        names = list(dict.fromkeys(tables["fleet"]["scenario"]))
    return [n for n in names if not n.endswith(UNCONSTRAINED)]


def _sweep_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """The tables in `sweep/` the sweep figure reads, with the columns a sweep writes: an `InputError` naming a
    file that cannot be read, lacks one (a table copied over another raised a KeyError traceback) or is missing
    (the figure was left out without a word). A sweep writes `points`, and `outcomes` and `sensitivity` of labs
    or `stock_outcomes` and `stock_sensitivity` of stock points, or both."""
    sub = folder / "sweep"
    stored = LazyTables(sub)  # a table read, or one line naming its file (cannot be read, lacks a column)
    tables = {name: stored[name] for name in SWEEP_TABLES if name in stored}  # a sweep of labs has no stock tables
    pairs = [("outcomes", "sensitivity"), ("stock_outcomes", "stock_sensitivity")]
    gone = ["points"] if "points" not in tables else []
    gone += [b if a in tables else a for a, b in pairs if (a in tables) != (b in tables)]
    if not gone and not any(a in tables for a, _ in pairs):
        gone = ["outcomes"]
    if gone:
        raise InputError(sub / f"{gone[0]}.parquet", "<file>", "no such table; rerun the sweep that made the folder")
    return tables


def _sweep_caption(outcome: str, drawn: int, points: int) -> str:
    """What the sweep figure shows, in a paragraph for the page."""
    what = ("the mean gap between model generations (days, <code>mean_gap_days</code>) of each of the largest labs"
            if outcome == "mean_gap_days" else "the fill rate of each stock point (a chain without labs)")
    return (f"<p>Each panel is one swept input (the first {MAX_INPUTS}; the title names any left out): at each point "
            f"of the sweep, x is the input's value there and y {what}, the mean over the point's replications with "
            "the min-max over them as a bar (a line joins the means at each value when several points share it). "
            "Each panel's title gives Spearman's rho and its p-value from the sweep's ranking (the sweep tables "
            f"below). The figure draws every point of the sweep; the standard figures below show only the first "
            f"{MAX_SCENARIOS} points (here {drawn} of {points}).</p>")


def _sweep_key(scenarios: list[str], points: pd.DataFrame | None) -> list[str]:
    """A sweep's figures name its points `<scenario>_p000, ...`: the inputs of each drawn point, so a reader need
    not look them up in the tables at the end of the page. `points`: the sweep's points table, read and checked with
    the figure's tables (`_sweep_tables`); None for a folder whose manifest is not a sweep's: nothing."""
    if points is None:
        return []
    inputs = [c for c in points.columns if c not in ("point", "scenario")]
    if "scenario" not in points or not inputs:
        return []
    items = [f"<li><code>{html.escape(str(r['scenario']))}</code>: "
             + ", ".join(f"{html.escape(c)} = {html.escape(f'{r[c]:.4g}' if isinstance(r[c], float) else str(r[c]))}" for c in inputs)
             + "</li>" for _, r in points.iterrows() if r["scenario"] in scenarios]
    return ["<p>Sweep points drawn:</p><ul>" + "".join(items) + "</ul>"] if items else []


def make_report(run_dir: str | Path) -> Path:
    """Write `figures/*.png` and `report.html` into `run_dir`; return the HTML path."""
    folder = given_path("run_dir", run_dir)
    if not folder.is_dir():
        problem = "is a file, not a run folder" if folder.exists() else "no such run folder"
        raise InputError(folder, "<folder>", f"{problem}; give the folder a run, compare or sweep wrote")
    mpath = folder / "manifest.json"
    if not mpath.is_file():
        raise InputError(folder, "manifest.json", "not a run folder (no manifest.json); run `supplychain run` first")
    manifest = read_manifest(mpath)
    # the texts the report quotes, read before anything is drawn or written: one that is not UTF-8 is an
    # `InputError` naming it, not a traceback after the figures were written (no report.html beside them)
    texts = [(heading, read_text(path)) for heading, path in (("Compare tables", folder / "compare" / "compare.md"),
                                                              ("Sweep tables", folder / "sweep" / "sweep.md"),
                                                              ("Summary", folder / "summary.md")) if path.is_file()]
    tables = {"fleet": _table(folder, "fleet")}  # every lab of every scenario: which labs to draw
    try:
        every = _scenarios(manifest, tables)
        scenarios = every[:MAX_SCENARIOS]
        replications = {s["name"]: s["replications"] for s in manifest.get("scenarios", [])}
        names = [s["name"] for s in manifest.get("scenarios", [])] or list(dict.fromkeys(tables["fleet"]["scenario"]))
    except (KeyError, TypeError, AttributeError) as exc:  # a manifest edited or written by something else
        raise InputError(mpath, "scenarios", f"not as a run writes it ({type(exc).__name__}: {short(str(exc), 60)})") from None
    # of a folder with more scenarios than the figures draw (a sweep of 40 points), only the rows of those drawn
    # and their counterfactuals: every table of every point was read, ~50 MB a default replication in pandas
    drawn = None if len(every) <= len(scenarios) else [n for n in names if n.removesuffix(UNCONSTRAINED) in scenarios]
    tables.update({name: _table(folder, name, drawn) for name in TABLES if name != "fleet"})
    every_lab = tables["fleet"]["lab"].dropna().unique()
    labs = largest_labs(tables["fleet"])
    h100e, accelerators = _products(manifest, folder)
    figures = {
        "lead_times": lambda: lead_time_figure(tables["lead_times"], scenarios, labs, accelerators),
        "generations": lambda: generations_figure(tables["generations"], scenarios, labs),
        "fleet": lambda: fleet_figure(tables["fleet"], scenarios, labs),
        "binding": lambda: binding_figure(tables["orders"], tables["generations"], scenarios, h100e, labs=labs),
        "events": lambda: events_figure(tables["events"], scenarios),
    }
    pngs: dict[str, bytes] = {}
    sweep_fig = None
    sweep = _sweep_tables(folder) if manifest.get("kind") == "sweep" else {}  # read once: the figure and the key
    if sweep:  # its labs largest first: the largest's rho heads a panel of many labs
        sweep_fig = sweep_figure(sweep, labs_by_size(tables["fleet"]))
    if sweep_fig is not None:  # drawn (and written) with the others: first
        pngs["sweep"] = _png(sweep_fig)
    for name, draw in figures.items():  # every figure drawn before any is written: no half a report
        fig = draw()
        if fig is not None:
            pngs[name] = _png(fig)
    title = f"{manifest.get('kind', 'run')}: " + ", ".join(scenarios) + (f" and {len(every) - len(scenarios)} more"
                                                                           if len(every) > len(scenarios) else "")
    reps = ", ".join(f"{name} {n}" for name, n in replications.items())
    seeds = sorted({s.get("seed") for s in manifest.get("scenarios", []) if s.get("seed") is not None})
    seed = manifest.get("seed", seeds[0] if len(seeds) == 1 else ", ".join(map(str, seeds)))
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p>Replications: {html.escape(reps)}; seed {html.escape(str(seed))}; "
             f"made by <code>{html.escape(str(manifest.get('command', '')))}</code>.</p>"]
    if manifest.get("kind") == "sweep":  # the sweep's own figure first: how the outcome moves with each input
        parts.append("<h2>How the outcome moves with each swept input</h2>")
        if sweep_fig is not None:
            data = base64.b64encode(pngs["sweep"]).decode("ascii")
            parts += [_sweep_caption(sweep_fig.get_label(), len(scenarios), len(every)),
                      f'<img alt="sweep" src="data:image/png;base64,{data}">']
        else:
            parts.append("<p>Nothing to show (no outcomes in the sweep tables).</p>")
    parts += _sweep_key(scenarios, sweep.get("points"))
    if len(every) > len(scenarios):
        parts.append(f"<p><b>The figures show the first {len(scenarios)} of {len(every)} scenarios</b> "
                     f"({html.escape(', '.join(scenarios))}); not drawn: {html.escape(', '.join(every[len(scenarios):]))}. "
                     "Their tables are in the folder.</p>")
    if len(every_lab) > len(labs):
        parts.append(f"<p><b>The lab figures draw the {len(labs)} of {len(every_lab)} labs with the largest installed "
                     f"fleet at the end</b> ({html.escape(', '.join(labs))}); the tables have every lab.</p>")
    shown = FIGURES if labs or not tables["generations"].empty else {"events": FIGURES["events"]}
    if len(shown) < len(FIGURES):  # the generic kernel alone: lab figures would be empty panels
        parts.append("<p>No labs in this topology: the lead-time, generation, fleet and binding figures are of labs. "
                     "The stock points are in the summary below.</p>")
    for name, caption in shown.items():
        parts.append(f"<h2>{html.escape(caption)}</h2>")
        if name in pngs:
            data = base64.b64encode(pngs[name]).decode("ascii")
            parts.append(f'<img alt="{name}" src="data:image/png;base64,{data}">')
        else:
            parts.append(f"<p>{html.escape(EMPTY[name])}</p>")
    parts += [f"<h2>{heading}</h2><pre>{html.escape(text)}</pre>" for heading, text in texts]
    style = ("body{font-family:sans-serif;max-width:1150px;margin:2em auto;color:#222}img{max-width:100%}"
             "pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}h2{border-bottom:1px solid #ddd}")
    doc = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
           f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
    out = folder / "report.html"
    writes = [*((folder / "figures" / f"{name}.png", png) for name, png in pngs.items()), (out, doc.encode("utf-8"))]
    _check_writable(folder, [path for path, _ in writes])
    for path, data in writes:  # the figures and the page that shows them, once everything is read
        with writing(path):
            atomic_write_bytes(path, data)
    return out


def _check_writable(folder: Path, paths: list[Path]) -> None:
    """Refuse, before anything is written, a file where the report makes its `figures/` folder or a folder where it
    writes a file: os.replace and mkdir failed with a traceback, some figures already written."""
    figures = folder / "figures"
    if figures.exists() and not figures.is_dir():
        raise InputError(figures, "<file>", "a file where the report writes its figures folder; move it away")
    for path in paths:
        if path.is_dir():
            raise InputError(path, "<file>", "a folder where the report writes a file; move it away")
