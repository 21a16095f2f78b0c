"""`sweep`: one scenario over a grid or a Latin hypercube of its inputs.

    from supplychain import sweep
    s = sweep("policies/baseline.yaml", ["algorithms.efficiency_growth=2,3,4",
                                          "set.nodes.tsmc_cowos.capacity.growth=0.4,1.0"])
    s.outcomes, s.sensitivity

A parameter is a scenario field path and its values:

- `PATH=v1,v2,...`  grid values (YAML scalars: numbers, true/false, words);
  several grid parameters combine as their product;
- `PATH=lo:hi`      a range, sampled by `lhs=N` points of a Latin hypercube
  (`scipy.stats.qmc.LatinHypercube`, seeded by the sweep's seed).

PATH walks the scenario's fields (`labs.utilisation`, `per_lab.<lab>.utilisation`,
`controls.<rule id>.approval`); `set.<topology path>` overrides a topology
figure as a scenario's `set:` does (`set.nodes.tsmc_cowos.capacity.growth`).
What every point shares (`seed`, `replications`, `topology`, the name) cannot
be swept: it is an error rather than a column that changes nothing.
A point that sweeps a lab's `ordering` drops the base's `ordering_params` its
policy does not take, with a warning (`_fit_ordering_params`).
Every point is validated before anything runs; a bad path or value is an
`InputError` naming the argument and the path: `<arguments>: params[labs.nope]: ...`
from Python, `supplychain sweep: --param labs.nope: ...` on the command line.

Each point is a scenario named `<scenario>_p000`, ... run with the same seed
and replications (paired). Outcomes are one tidy row per point, replication
and lab; the sensitivity ranking gives, per lab and outcome, each input's
Spearman rank correlation and standardized regression coefficient (SRC).
"""

from __future__ import annotations

import copy
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from .arguments import ARGUMENTS, check_run
from .errors import InputError
from .experiment import ExperimentResult, prepare, run_experiment
from .overrides import inside_any
from .outputs import atomic_write_text, write_table, writing_folder
from .scenario import (ResolvedScenario, as_data, check_scenario_file, compose, emit_warnings, resolve_scenario,
                       topology_graph)
from .scenario_schema import Scenario
from .store import folder_lock
from .sensitivity import sensitivity
from .sweep_design import Param, bad_param, design, dict_param, parse_param, whole_where_whole
from .sweep_outcomes import (OUTCOME_TABLES, OUTCOMES, PACE, STOCK_OUTCOMES, outcome_rows, outcomes_table,
                             stock_outcomes_table, sweep_text)
from .columns import as_dates, typed
from .engine.record import with_dates
from .fields import short
from .topology import load_topology, read_yaml
from .tabular import table_sizes

__all__ = ["Param", "parse_param", "design", "sweep", "Sweep", "outcomes_table", "stock_outcomes_table", "sensitivity",
           "PACE", "SWEEP_DIR"]

SWEEP_DIR = "sweep"


#: scenario fields that are the same for every point, and why: a point that varied them would run
#: as if it had not (the sweep sets name, seed, replications and topology for all points alike)
FIXED = {
    "name": "points are named <scenario>_p000, ...",
    "seed": "every point runs on the sweep's seed (--seed), so that points are paired",
    "replications": "every point runs the sweep's replications (--replications)",
    "topology": "every point runs on one topology (--topology); vary its figures with set.<topology path>",
    "description": "it describes the scenario and changes no outcome",
    "sources": "it describes the scenario and changes no outcome",
}


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    if not all(parts):
        raise bad_param("empty part in the path", path)
    if parts[0] == "set":
        if len(parts) < 2:
            raise bad_param("write set.<topology path>, e.g. set.nodes.<id>.capacity.growth", path)
        overrides, key = data.setdefault("set", {}), ".".join(parts[1:])
        for inner in [k for k in overrides if inside_any(k, {key})]:  # the swept figure replaces them, as a child's does
            del overrides[inner]
        overrides[key] = value
        return
    if parts[0] not in Scenario.model_fields:
        raise bad_param(f"unknown scenario field (got {parts[0]!r})", path)
    if parts[0] in FIXED:
        sweepable = ", ".join(f for f in Scenario.model_fields if f not in FIXED and f != "set")
        raise bad_param(f"cannot be swept: {FIXED[parts[0]]}; sweep a scenario field "
                                          f"({sweepable}) or set.<topology path> (got {parts[0]!r})", path)
    here: Any = data
    if parts[0] in ("controls", "shocks"):
        here = data.get(parts[0]) or []
        if len(parts) < 3:
            raise bad_param(f"name a field of the entry: {parts[0]}.<id>.<field>", path)
        if not any(isinstance(e, dict) and e.get("id") == parts[1] for e in here):
            what = "control rule" if parts[0] == "controls" else "shock"
            raise bad_param(f"the scenario has no {what} with id {parts[1]!r}", path)
        parts = parts[1:]
    for i, part in enumerate(parts[:-1]):
        if isinstance(here, list):
            match = [e for e in here if isinstance(e, dict) and e.get("id") == part]
            if not match and not (part.isdigit() and int(part) < len(here)):
                raise bad_param(f"no entry with id {part!r} in {'.'.join(parts[:i])}", path)
            here = match[0] if match else here[int(part)]
            continue
        nxt = here.get(part)
        if nxt is None:
            nxt = here[part] = {}
        if not isinstance(nxt, (dict, list)):
            raise bad_param(f"{'.'.join(parts[:i + 1])} is a value, not a group of fields", path)
        here = nxt
    if isinstance(here, list):
        raise bad_param("cannot replace a whole list entry; name a field inside it", path)
    here[parts[-1]] = value


def _base_data(scenario: Any) -> tuple[dict[str, Any], Path | None]:
    if isinstance(scenario, ResolvedScenario):  # a start it only defaulted to is left for the topology's
        return as_data(scenario.scenario, scenario.start_given), scenario.path
    if isinstance(scenario, Scenario):
        return as_data(scenario, "start" in scenario.model_fields_set), None
    if isinstance(scenario, dict):
        return compose(scenario, None)[0], None
    path = Path(scenario)
    check_scenario_file(path)
    return compose(read_yaml(path), path)[0], path


def _fit_ordering_params(data: dict[str, Any], swept: Sequence[str]) -> list[str]:
    """At a point that sweeps a lab's `ordering`, drop the base's `ordering_params` its policy does not take
    (`smooth`'s adjustment_days under `order_up_to`), so every value of the sweep runs, each policy with the
    parameters that apply to it; a lab of its own policy (`per_lab`) keeps what it inherited and takes. A
    parameter swept itself is never dropped: one that does not apply stays an error, not a column that
    changes nothing. Returns a warning per policy and dropped parameter."""
    if not any(p == "labs.ordering" or (p.startswith("per_lab.") and p.endswith(".ordering")) for p in swept):
        return []
    from .engine.ordering import ORDERING_POLICIES

    labs = data.get("labs") if isinstance(data.get("labs"), dict) else {}
    inherited = labs.get("ordering_params") if isinstance(labs.get("ordering_params"), dict) else {}
    notes: list[str] = []

    def fit(where: str, name: Any, params: dict[str, Any], whose: str) -> dict[str, Any]:
        policy = ORDERING_POLICIES.get(name) if isinstance(name, str) else None
        gone = [k for k in params if policy is not None and k not in policy.defaults
                and f"{where}.ordering_params.{k}" not in swept]
        notes.extend(f"{where}.ordering_params.{k} dropped{whose}: not a parameter of ordering policy {name!r}, "
                     "which the sweep sets" for k in gone)
        return {k: v for k, v in params.items() if k not in gone}

    name = labs.get("ordering", "order_up_to")
    kept = fit("labs", name, inherited, "")
    per_lab = data.get("per_lab") if isinstance(data.get("per_lab"), dict) else {}
    for lab, own in per_lab.items():
        if not isinstance(own, dict):
            continue
        if isinstance(own.get("ordering_params"), dict):
            own["ordering_params"] = fit(f"per_lab.{lab}", own.get("ordering", name), own["ordering_params"], "")
        elif own.get("ordering", name) != name:  # it inherits the base's parameters, not those left for `labs`
            theirs = fit("labs", own["ordering"], inherited, f" for {lab}")
            if theirs != kept:
                own["ordering_params"] = theirs
    if kept != inherited:
        labs["ordering_params"] = kept
    return notes


def _point(base: dict[str, Any], file: Path | None, graph: Any, name: str, values: dict[str, Any]) -> ResolvedScenario:
    data = copy.deepcopy(base)
    data["name"] = name
    for path, value in values.items():
        _set_path(data, path, value)
    dropped = _fit_ordering_params(data, list(values))
    try:  # the sweep shows each distinct warning once
        rs = resolve_scenario(data, file, graph, warn=False)
        return replace(rs, warnings=rs.warnings + tuple(dropped)) if dropped else rs
    except InputError as err:
        owner = next((p for p in values if err.field == p or err.field.startswith(p + ".")), None)
        if owner is not None:
            raise bad_param(err.problem, owner) from None
        raise bad_param(f"{err.field}: {err.problem}", ",".join(values)) from None


@dataclass
class Sweep:
    """A sweep's tables (DataFrames: `points`, `outcomes`, `sensitivity`, and for a network with
    stock points `stock_outcomes` and `stock_sensitivity`), the experiment behind them
    (`experiment.tables`: only the rows the outcomes read; every table is in `folder`'s parent
    with `out`), the printed text and the folder of the sweep tables."""

    points: pd.DataFrame
    outcomes: pd.DataFrame
    sensitivity: pd.DataFrame
    experiment: ExperimentResult
    text: str = ""
    folder: Path | None = field(default=None)
    stock_outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    stock_sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"points": self.points, "outcomes": self.outcomes, "sensitivity": self.sensitivity}
        if len(self.stock_outcomes):
            out.update(stock_outcomes=self.stock_outcomes, stock_sensitivity=self.stock_sensitivity)
        return out

    @property
    def seed(self) -> int:
        """The seed every point ran on (paired; it also drew the Latin hypercube)."""
        return self.experiment.scenarios[0].seed

    def __repr__(self) -> str:
        """Short: the auto repr printed every table (~14k characters)."""
        reps, sizes = self.experiment.replications, table_sizes(self.tables)
        return f"Sweep(replications={reps}, seed={self.seed}, {sizes}, folder={self.folder})"  # sizes name the points


def sweep(scenario: Any, params: Sequence[Any] | dict[str, Any], lhs: int | None = None, replications: int | None = None,
          seed: int | None = None, *, workers: int | None = None, scheduler: str | None = None,
          out: str | Path | None = None, fmt: str = "parquet", quiet: bool = True, fresh: bool = False,
          topology: Any = None) -> Sweep:
    """Run `scenario` at every point of a grid (or of a Latin hypercube with `lhs`) and rank its inputs.

    `params`: strings `PATH=v1,v2` (grid values; several combine as their product) / `PATH=lo:hi` (a range,
    sampled by `lhs=N` points), `Param`s, or a dict `{path: [values]}` (a list, NumPy array, Series or
    range) / `{path: (lo, hi)}` (a tuple is a range). PATH is a scenario field (`labs.utilisation`,
    `controls.<id>.approval`) or `set.<topology path>`. Every point runs on the same seed and replications
    (paired). `workers`, `scheduler`, `out`, `fmt`, `quiet`, `fresh`, `topology`: as `run_experiment`; with
    `out` the sweep tables and `sweep.md` go to `out/sweep/`.

    Returns a `Sweep`: `points`, `outcomes` (one row per point, replication and lab: generations, release days,
    mean gap, peak quote), `sensitivity` (per lab and outcome, each input's Spearman rho and standardized
    regression coefficient), `text` (what the command prints).
    """
    args = check_run(seed=seed, replications=replications, workers=workers, scheduler=scheduler, fmt=fmt, out=out)
    seed, out = args["seed"], args["out"]
    if isinstance(params, dict):
        params = [dict_param(k, v) for k, v in params.items()]
    elif isinstance(params, (str, Param)):  # one parameter, not its characters
        params = [params]
    elif not isinstance(params, (list, tuple)):
        raise InputError(ARGUMENTS, "params", f"PATH=v1,v2 strings, Params or a dict {{path: values}} (got {short(params)})")
    parsed = [parse_param(p) for p in params]
    base, file = _base_data(scenario)
    graph = topology_graph(topology)
    base_sc = resolve_scenario(copy.deepcopy(base), file, graph, warn=False)
    # the warnings are the points', each once: a point's own values may add one (a shock's date swept past the
    # end) or clear one of the base's (the base's date past the end, swept into the run at every point)
    shown = set(scenario.warnings) if isinstance(scenario, ResolvedScenario) else set()  # shown when it was resolved
    seed_value = base_sc.scenario.seed if seed is None else seed
    values = whole_where_whole(design(parsed, lhs, seed_value)) if lhs else design(parsed, lhs, seed_value)
    name = base_sc.scenario.name
    if base_sc.scenario.set:  # the points apply `set:` themselves, to the topology before it
        graph = graph if graph is not None else load_topology(base_sc.topology_path)
    else:
        graph = base_sc.topology
    inputs = [p.path for p in parsed]
    for p in (p for p in parsed if lhs and p.is_range):  # a range reaching past a field's bounds is the user's range,
        for end in whole_where_whole([{p.path: p.low}, {p.path: p.high}]):  # not the sample that first fell there
            try:
                _point(base, file, graph, f"{name}_range", end)
            except InputError as err:
                raise bad_param(f"the range {p.low:g}:{p.high:g}: {err.problem}", p.path) from None
    pts = [_point(base, file, graph, f"{name}_p{i:03d}", v) for i, v in enumerate(values)]
    for p in pts:
        emit_warnings(p, skip=shown)
        shown |= set(p.warnings)
    points = pd.DataFrame([{"point": i, "scenario": f"{name}_p{i:03d}", **v} for i, v in enumerate(values)])
    for col in inputs:  # a swept date is a date column, as the tables' other dates (its points ran on its ISO text)
        if (dates := as_dates(points[col])) is not None:
            points[col] = dates
    prepared = [prepare(p, seed=seed_value, replications=replications) for p in pts]
    reps = prepared[0].replications
    with folder_lock(out) if out is not None else nullcontext():  # held until sweep/ is written too
        exp = run_experiment(prepared, out=out, fmt=fmt, quiet=quiet, fresh=fresh, workers=workers, scheduler=scheduler,
                             kind="sweep", extra_manifest={"sweep": {"scenario": name, "params": [p.as_text() for p in parsed],
                                                                      "lhs": lhs, "inputs": inputs}},
                             keep=OUTCOME_TABLES, reduce=outcome_rows, lock=False)
        return _swept(exp, points, inputs, prepared, reps, out, fmt)


def _swept(exp: ExperimentResult, points: pd.DataFrame, inputs: list[str], prepared: list, reps: int,
           out: Path | None, fmt: str) -> Sweep:
    """The sweep's tables and text from its finished experiment, written to `out/sweep/` with `out`."""
    labs = sorted(exp.tables["fleet"]["lab"].unique().tolist())
    accelerators = [k for k, p in prepared[0].model.products.items() if p.kind == "accelerator"] or None
    outcomes = outcomes_table(exp.tables, points, labs, accelerators)
    starts = outcomes["scenario"].map({es.name: es.scenario.start for es in prepared})  # a point's own start
    outcomes = typed(with_dates(outcomes, starts), "outcomes")
    sens = sensitivity(outcomes, inputs, OUTCOMES)
    stocks = exp.tables.get("stocks")
    stock_out = stock_outcomes_table(stocks, points) if stocks is not None and len(stocks) else pd.DataFrame()
    stock_sens = sensitivity(stock_out, inputs, STOCK_OUTCOMES, by="node") if len(stock_out) else pd.DataFrame()
    text = sweep_text(points, outcomes, sens, reps, stock_out, stock_sens)
    result = Sweep(points, outcomes, sens, exp, text, None, stock_out, stock_sens)
    if out is not None:
        result.folder = Path(out) / SWEEP_DIR
        with writing_folder(result.folder):
            for tname, df in result.tables.items():
                write_table(df, result.folder, tname, fmt)
            atomic_write_text(result.folder / "sweep.md", text)
    return result
