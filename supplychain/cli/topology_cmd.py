"""`supplychain topology ...`: validate, show, convert, generate, schema.

Every command runs inside `guard`, so bad input (a missing file, a bad field,
an unknown output suffix, too few nodes) ends in exit status 2 and one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..errors import InputError
from ..file_schemas import topology_schema
from ..fields import writing
from ..generate import MIN_NODES, generate_topology
from ..schema import CAPACITY_UNITS, TopologyModel
from ..topology import load_topology, output_format, model_to_graph, save_topology
from ..topology_stats import KEY_KINDS, capacity_by_year, central_nodes, kinds_by_country, single_points_of_failure
from ..validation import warnings_for
from .common import guard, path_arg

app = typer.Typer(help="Validate, inspect, convert and generate topologies.", no_args_is_help=True)

PATH_HELP = "Topology file (.yaml, .json, .graphml) or CSV folder"


@app.command("validate")
def validate(path: Path = typer.Argument(..., parser=path_arg, help=PATH_HELP)) -> None:
    """Check a topology; exit 2 with one line naming the field if it is bad."""
    with guard():
        g = load_topology(path)
        for w in warnings_for(g.graph["model"]):
            typer.echo(f"warning: {path}: {w}", err=True)
        # the file's edges (one per supplier, customer and product), not the graph's supplier-customer pairs:
        # 16 edges written were "ok (12 edges)", as if four had been dropped
        typer.echo(f"{path}: ok ({g.number_of_nodes()} nodes, {len(g.graph['model'].edges)} edges)")


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def render_summary(model: TopologyModel, top: int = 10) -> str:
    """The text `show` prints: composition, capacity by year, chokepoints, central nodes."""
    nodes = {n.id: n for n in model.nodes}
    lines = [
        f"{model.name}: {len(model.nodes)} nodes, {len(model.edges)} flows, {len(model.products)} products"
        + (f", start {model.start}" if model.start else ""),
        "",
        "Nodes by kind and country",
    ]
    for kind, countries in kinds_by_country(model).items():
        spread = ", ".join(f"{c} {n}" for c, n in countries.most_common())
        lines.append(f"  {kind:<10} {sum(countries.values()):>6}  {spread}")
    kinds = [k for k in (*KEY_KINDS, "source") if any(n.kind == k and getattr(n, "capacity", None) is not None
                                                     for n in model.nodes)]
    lines += ["", "Capacity open to AI orders by year (yearly mean of capacity x ai_share, summed per kind)"]
    if kinds:
        cap = capacity_by_year(model, kinds=tuple(kinds))
        lines.append("  units: " + "; ".join(f"{k} {CAPACITY_UNITS[k].split(' (')[0]}" for k in kinds))
        lines.append("  year " + "".join(f"{k:>14}" for k in kinds))
        for year in next(iter(cap.values())):
            lines.append(f"  {year} " + "".join(f"{_num(cap[k][year]):>14}" for k in kinds))
    else:
        lines.append("  (no fab, memory, packaging, grid or source node with a capacity)")
    spofs = single_points_of_failure(model)
    lines += ["", "Single points of failure (losing the node cuts labs off every supplier of an input)"]
    if spofs:
        lines.append(f"  {'node':<24} {'kind':<10} {'country':<7} {'labs':>5} {'fleet share':>11}  inputs")
        for c in spofs[:top]:
            lines.append(f"  {c.node:<24} {c.kind:<10} {c.country:<7} {len(c.labs):>5} {c.share:>11.1%}  {', '.join(c.inputs)}")
        if len(spofs) > top:
            lines.append(f"  ... and {len(spofs) - top} more")
    elif any(n.kind == "lab" for n in model.nodes):
        lines.append("  none: every lab has a second path for every input")
    else:
        lines.append("  (no labs)")
    central, sampled = central_nodes(model, top)
    lines += ["", "Most central nodes (betweenness centrality" + (", estimated from sampled sources)" if sampled else ")")]
    for nid, value in central:
        lines.append(f"  {nid:<24} {nodes[nid].kind:<10} {nodes[nid].country:<7} {value:.4f}")
    if not central:
        lines.append("  (no node lies between two others)")
    return "\n".join(lines)


@app.command("show")
def show(
    path: Path = typer.Argument(..., parser=path_arg, help=PATH_HELP),
    top: int = typer.Option(10, "--top", min=1, help="How many chokepoints and central nodes to list"),
) -> None:
    """Summarise a topology: nodes by kind and country, capacity by year, chokepoints."""
    with guard():
        model = load_topology(path).graph["model"]
        typer.echo(render_summary(model, top))


def _format_of(path: Path) -> str:
    with writing(path):  # a name too long for the file system
        return output_format(path)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:  # a name too long: not the input, and writing it says why it fails
        return False


@app.command("convert")
def convert(
    src: Path = typer.Argument(..., parser=path_arg, metavar="IN", help=PATH_HELP),
    dst: Path = typer.Argument(..., parser=path_arg, metavar="OUT", help="Output: format from the suffix (.yaml, .json, .graphml); no suffix: a CSV folder"),
) -> None:
    """Convert a topology between YAML, node-link JSON, GraphML and a CSV folder."""
    with guard():
        fmt = _format_of(dst)
        if _same_file(src, dst):  # the lean rewrite would drop the input's comments and the sources they carry
            raise InputError(dst, "<file>", "is the input; convert to another path")
        g = load_topology(src)
        save_topology(g, dst)
        typer.echo(f"wrote {dst} ({fmt}, {g.number_of_nodes()} nodes, {len(g.graph['model'].edges)} flows)")


@app.command("generate")
def generate(
    nodes: int = typer.Option(..., "--nodes", "-n", help=f"Number of nodes (at least {MIN_NODES})"),
    seed: int = typer.Option(0, "--seed", "-s", help="Random seed; the same seed gives the same network"),
    out: Path = typer.Option(..., "--out", "-o", parser=path_arg, metavar="PATH", help="Output file or CSV folder (format from the suffix)"),
) -> None:
    """Write a synthetic network with realistic proportions of kinds, valid by construction."""
    with guard():
        fmt = _format_of(out)
        model = generate_topology(nodes, seed)  # checks its arguments (named as these options)
        save_topology(model_to_graph(model), out)
        counts = ", ".join(f"{k} {sum(c.values())}" for k, c in kinds_by_country(model).items())
        typer.echo(f"wrote {out} ({fmt}, {len(model.nodes)} nodes: {counts}; {len(model.edges)} flows)")


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of a YAML topology file, for an editor to check and complete files as they are written."""
    typer.echo(json.dumps(topology_schema(), indent=2))
