"""`compare`: scenarios against a baseline, paired by replication, with 95 % CIs.

    from supplychain import compare
    c = compare("policies/baseline.yaml", ["policies/hbm_full_ban.yaml"], replications=5)
    c.release_delays           # per scenario, lab, generation: delay (days), CI, censored counts

Every scenario runs on the baseline's seed (unless `seed` is given) and the
baseline's number of replications, so replication r of each is paired. Each
scenario (baseline included) also runs as its unconstrained counterfactual
(`unconstrained: true`, same seeds) for the throttle, unless
`counterfactuals=False`. Tables (see `analysis.compare_tables`):

- `release_delays`  scenario - baseline release day per lab and generation;
- `censored`        generations reached in one scenario only (with the bound);
- `gaps`            change in mean gap between generations per lab;
- `mean_gaps`       per scenario, replication, lab: generations and mean gap;
- `throttle`        scenario - unconstrained release day per lab and generation;
- `peak_lead_times` change in peak quoted lead time (weeks) per accelerator to labs;
- `binding`         the inputs that bound the labs' orders, per scenario;
- `stock_changes`   per stock point (the generic kernel): fill rate, mean stock and
                    backorders, baseline and scenario, and the paired change with its CI.

With `out`, the experiment folder holds every scenario's tables and stored
replications, and `out/compare/` the comparison tables and `compare.md`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from .analysis import compare_tables
from .summary import BACKLOG_WEEKS, MAX_LABS, share_text, summary_rows
from .columns import typed
from .engine.record import whole_days, with_dates
from .arguments import ARGUMENTS, check_run
from .errors import InputError
from .experiment import ExperimentResult, counterfactual, prepare, run_experiment
from .idle import decision_rows, idle_notes
from .outputs import atomic_write_text, write_table, writing_folder
from .store import folder_lock
from .tabular import TableAttributes, table_sizes

__all__ = ["Comparison", "compare", "format_comparison", "COMPARE_DIR"]

COMPARE_DIR = "compare"


@dataclass
class Comparison(TableAttributes):
    """The comparison tables (DataFrames), the experiment behind them, and the printed text."""

    tables: dict[str, pd.DataFrame]
    baseline: str
    scenarios: list[str]
    experiment: ExperimentResult
    text: str = ""
    folder: Path | None = field(default=None)

    @property
    def seed(self) -> int:
        """The seed every scenario ran on (paired): with it the same call gives the same tables."""
        return self.experiment.scenarios[0].seed

    def __repr__(self) -> str:
        """Short: the auto repr printed every table (~14k characters)."""
        reps, sizes = self.experiment.replications, table_sizes(self.tables)
        return (f"Comparison(baseline={self.baseline!r}, scenarios={self.scenarios!r}, replications={reps}, "
                f"seed={self.seed}, {sizes}, folder={self.folder})")


def _backlog_note(r: Any) -> str:
    """The row's note, and a warning where a quote is a backlog of over 10 years: its change is a change
    in that backlog, not in a lead time anyone would be quoted."""
    over = any(w == w and w > BACKLOG_WEEKS for w in (r.baseline_peak_weeks, r.scenario_peak_weeks))
    extra = "a backlog over 10 years, not a lead time" if over else ""
    return "; ".join(x for x in (r.note, extra) if isinstance(x, str) and x)


def _lean_rows(out: Path | None) -> Callable[[dict[str, pd.DataFrame]], dict[str, pd.DataFrame]]:
    """What a lean comparison keeps of a replication: the summary's rows and which rules and shocks acted. Without
    `out` no summary.md is built as the replications arrive: the events stay whole, for `experiment.summary()`."""
    if out is None:
        return summary_rows
    return lambda tables: {**summary_rows(tables), "events": decision_rows(tables["events"])}


def compare(baseline: Any, scenarios: Any, replications: int | None = None, seed: int | None = None, *,
            workers: int | None = None, scheduler: str | None = None, out: str | Path | None = None,
            fmt: str = "parquet", quiet: bool = True, fresh: bool = False, counterfactuals: bool = True,
            topology: Any = None, lean: bool = False) -> Comparison:
    """Run `baseline` and `scenarios` paired by replication and compare each with the baseline.

    `baseline`, `scenarios`: scenario files, dicts, `Scenario`s or loaded scenarios (one or a list). Every
    scenario runs on the baseline's seed and number of replications (`seed`, `replications` override both),
    so replication r of each shares its random numbers. `counterfactuals`: also run each one unconstrained
    (supply limits lifted, same seeds) for the `throttle` table; False skips those runs. `workers`,
    `scheduler`, `out`, `fmt`, `quiet`, `fresh`, `topology`: as `run_experiment`; with `out` the runs' tables
    and replications go there and the comparison to `out/compare/` (tables and `compare.md`). `lean`: keep in
    memory only the rows the comparison reads (`summary.summary_rows`), as the command does (without `out`
    the runs' full tables are then kept nowhere).

    Returns a `Comparison`: the tables of the module docstring as attributes (`release_delays`, `throttle`,
    ...), `text` (what the command prints), `experiment` (the runs)."""
    out = check_run(seed=seed, replications=replications, workers=workers, scheduler=scheduler, fmt=fmt, out=out)["out"]
    scenarios = list(scenarios) if isinstance(scenarios, (list, tuple)) else [scenarios]
    if not scenarios:
        raise InputError(ARGUMENTS, "scenarios", "at least one scenario to compare with the baseline (got [])")
    base = prepare(baseline, topology=topology, seed=seed, replications=replications)
    others = [prepare(s, topology=topology, seed=base.seed, replications=base.replications) for s in scenarios]
    runs = [base, *others]
    # the counterfactual measures how supply throttles the labs' generations: without labs there is none
    labs = any(n.kind == "lab" for es in runs for n in es.model.nodes)
    cfs = {es.name: counterfactual(es) for es in runs} if counterfactuals and labs else {}
    extra = [cf for cf in cfs.values() if cf.name not in {es.name for es in runs}]
    with folder_lock(out) if out is not None else nullcontext():  # held until compare/ is written too
        exp = run_experiment([*runs, *extra], out=out, fmt=fmt, quiet=quiet, fresh=fresh, workers=workers,
                             scheduler=scheduler, kind="compare", reduce=_lean_rows(out) if lean else None,
                             extra_manifest={"baseline": base.name, "compared": [es.name for es in others],
                                             "counterfactuals": {k: v.name for k, v in cfs.items()}}, lock=False)
        return _compared(exp, base, others, runs, extra, cfs, out, fmt)


def _compared(exp: Any, base: Any, others: list, runs: list, extra: list, cfs: dict, out: Path | None,
              fmt: str) -> Comparison:
    """The comparison of a finished experiment: its tables and text, written to `out/compare/` with `out`."""
    end_day = min((es.scenario.end - es.scenario.start).days for es in runs)
    accelerators = {k for k, p in base.model.products.items() if p.kind == "accelerator"}
    h100e = {k: v for es in runs for k, v in es.h100e.items()}
    tables = compare_tables(exp.tables, base.name, [es.name for es in others], end_day=end_day, h100e=h100e,
                            counterfactuals={k: v.name for k, v in cfs.items()}, key_products=accelerators or None)
    start = base.scenario.start
    own = {es.name: es.scenario.start for es in [*runs, *extra]}  # a scenario's days count from its own start
    for name in ("release_delays", "censored", "mean_gaps", "throttle"):
        t = tables[name]
        tables[name] = typed(with_dates(t, t["scenario"].map(own), {"baseline_day": start}), name)
    idle = idle_notes(exp.tables["events"], base.scenario, {es.name: es.scenario for es in others}, base.replications)
    spans = {es.name: (es.scenario.start, es.scenario.end) for es in runs}
    labs = {es.name: {n.id for n in es.model.nodes if n.kind == "lab"} for es in runs}
    text = format_comparison(tables, base.name, [es.name for es in others], base.replications, base.seed, start, idle,
                             spans, labs)
    folder = None
    if out is not None:
        folder = Path(out) / COMPARE_DIR
        with writing_folder(folder):
            for name, df in tables.items():
                write_table(df, folder, name, fmt)
            atomic_write_text(folder / "compare.md", text)
    return Comparison(tables, base.name, [es.name for es in others], exp, text, folder)


# -- printing -------------------------------------------------------------------


def _num(x: Any, fmt: str = "+.0f") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    text = format(x, fmt)
    return text.replace("-", "+", 1) if text.startswith("-") and float(text) == 0 else text  # no "-0"


def _ci(lo: float, hi: float, fmt: str = "+.0f") -> str:
    if math.isnan(lo) or math.isnan(hi):
        return "n/a"
    return f"[{_num(lo, fmt)}, {_num(hi, fmt)}]"


def _date(start: Any, day: float) -> str:
    if day is None or math.isnan(day):
        return "-"
    return (pd.Timestamp(start) + pd.Timedelta(days=float(whole_days(day)))).strftime("%Y-%m-%d")


def _when(r: Any, side: str, start: Any) -> str:
    """A row's `<side>_date` (dated from the start of the scenario its day counts from), else its day from `start`."""
    date = getattr(r, f"{side}_date", None)
    if date is None:
        return _date(start, getattr(r, f"{side}_day"))
    return "-" if pd.isna(date) else pd.Timestamp(date).strftime("%Y-%m-%d")


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return ["    " + line for line in out]


def _span_note(spans: dict[str, tuple[Any, Any]], baseline: str, name: str) -> list[str]:
    """When the runs' spans differ, what a day and the compared window are: days count from each run's own
    start, and releases are compared over the days every run covers (`analysis.compare_tables`)."""
    if len({v for v in spans.values()}) < 2:
        return []
    days = min((e - s).days for s, e in spans.values()) + 1
    (bs, be), (ss, se) = spans[baseline], spans[name]
    return [f"{name} runs {ss} to {se}, {baseline} {bs} to {be}: days count from each run's own start (a delay of "
            f"+0 is a release as long after its start), and releases, gaps and throttles are compared over the first "
            f"{days} days of each, the shortest run's; peak quotes, causes and stock points are over each whole run.", ""]


def _labs_note(labs: dict[str, set[str]], baseline: str, name: str) -> list[str]:
    """When two runs' topologies have different labs, which of them the comparison cannot pair: a lab of one run
    only has no row in the lab tables, which would otherwise read as nothing to compare."""
    if baseline not in labs or name not in labs or labs[baseline] == labs[name]:
        return []
    parts = [f"{', '.join(sorted(only))} only in {who}" for who, only in
             ((baseline, labs[baseline] - labs[name]), (name, labs[name] - labs[baseline])) if only]
    return [f"{name} and {baseline} run on topologies with different labs ({'; '.join(parts)}): only the labs of both "
            "are compared, and a lab of one run alone has no rows in the lab tables.", ""]


def format_comparison(tables: dict[str, pd.DataFrame], baseline: str, scenarios: Sequence[str], replications: int,
                      seed: int, start: Any, idle: dict[str, list[str]] | None = None,
                      spans: dict[str, tuple[Any, Any]] | None = None, lab_ids: dict[str, set[str]] | None = None) -> str:
    """The comparison as text: one block per scenario (the labs' part only where there are labs), led by
    the scenario's own rules and shocks that did nothing (`idle.idle_notes`): a block of +0 without
    them reads as "the policy changes nothing" when the policy never acted. `spans` (per run, its start and
    end) says what a day is when they differ; `lab_ids` (per run, its labs' ids) which labs are not paired."""
    lines: list[str] = []
    labs = len(tables["mean_gaps"]) > 0 or len(tables["binding"]) > 0
    stocks = tables.get("stock_changes", pd.DataFrame())
    for name in scenarios:
        lines += [f"## {name} vs {baseline}", "",
                  f"{replications} paired replication(s), seed {seed}; differences are {name} - {baseline}, "
                  "mean and 95 % CI over replications.", ""]
        lines += _span_note(spans or {}, baseline, name)
        lines += _labs_note(lab_ids or {}, baseline, name)
        if notes := (idle or {}).get(name):
            lines += [f"Of {name}'s own rules and shocks (not the baseline's), these left no row in the events table "
                      "in any replication:", *(f"    {line}" for line in notes), ""]
        if labs:
            lines += _lab_block(tables, baseline, name, start)
        own = stocks[stocks["scenario"] == name] if len(stocks) else stocks
        if len(own):
            lines += ([""] if labs else []) + ["Stock points (fill rate, mean on hand, mean backorders):"]
            rows = [[r.node, r.outcome, _num(r.baseline_mean, ".3f"), _num(r.scenario_mean, ".3f"), _num(r.change, "+.3f"),
                     _ci(r.ci_low, r.ci_high, "+.3f")] for r in own.itertuples()]
            lines += _table(rows, ["node", "outcome", baseline, name, "change", "95% CI"])
        lines.append("")
    return "\n".join(lines)


def _lab_count(tables: dict[str, pd.DataFrame]) -> int:
    return len(set(tables["release_delays"]["lab"]) | set(tables["gaps"]["lab"]))


def _labs_moved_most(delays: pd.DataFrame, gaps: pd.DataFrame) -> list[str] | None:
    """Past `MAX_LABS` labs, the `MAX_LABS` whose release moved most against the baseline (largest |delay| of any
    generation, one reached in one scenario only counting as the largest; then the largest |gap change|), by
    name; None when there are no more labs than that."""
    labs = sorted(set(delays["lab"]) | set(gaps["lab"]))
    if len(labs) <= MAX_LABS:
        return None
    moved = delays["delay_days"].abs().fillna(math.inf).groupby(delays["lab"]).max().reindex(labs, fill_value=0.0)
    gap = gaps["change_days"].abs().fillna(0.0).groupby(gaps["lab"]).max().reindex(labs, fill_value=0.0)
    rank = pd.DataFrame({"moved": moved, "gap": gap}).sort_values(["moved", "gap"], ascending=False, kind="stable")
    return sorted(rank.index[:MAX_LABS])


def _lab_block(tables: dict[str, pd.DataFrame], baseline: str, name: str, start: Any) -> list[str]:
    """Releases, gaps, throttle, peak quotes and what bound the labs, of one scenario against the baseline."""
    lines: list[str] = []
    thr = tables.get("throttle", pd.DataFrame())
    d = tables["release_delays"]
    d = d[d["scenario"] == name]
    shown = _labs_moved_most(d, tables["gaps"][tables["gaps"]["scenario"] == name])
    if shown is not None:  # a generated network's 150 labs printed a comparison of 870 lines
        lines += [f"The {len(shown)} labs whose releases moved most (of {_lab_count(tables)}); the release_delays, "
                  "gaps, throttle and binding tables have every lab.", ""]
        d = d[d["lab"].isin(shown)]
        tables = {k: t[t["lab"].isin(shown)] if k in ("gaps", "throttle", "binding") and "lab" in t else t
                  for k, t in tables.items()}
        thr = tables.get("throttle", pd.DataFrame())
    lines.append("Release delay per lab and generation (days):")
    if d.empty:
        lines.append("    no generation released in either scenario")
    else:
        rows = [[r.lab, f"g{int(r.generation)}", _when(r, "baseline", start), _when(r, "scenario", start),
                 _num(r.delay_days), _ci(r.ci_low, r.ci_high), r.note] for r in d.itertuples()]
        lines += _table(rows, ["lab", "gen", baseline, name, "delay", "95% CI", "note"])
    g = tables["gaps"]
    g = g[g["scenario"] == name]
    lines += ["", "Mean gap between generations per lab (days):"]
    rows = [[r.lab, _num(r.baseline_mean_gap_days, ".0f"), _num(r.scenario_mean_gap_days, ".0f"),
             _num(r.change_days), _ci(r.ci_low, r.ci_high), _num(r.baseline_generations, ".1f"),
             _num(r.scenario_generations, ".1f"), r.note] for r in g.itertuples()]
    lines += _table(rows, ["lab", baseline, name, "change", "95% CI", "gens base", "gens scen", "note"])
    if len(thr):
        lines += ["", "Throttle: release day minus the unconstrained counterfactual's (days):"]
        tb, ts = thr[thr["scenario"] == baseline], thr[thr["scenario"] == name]
        m = tb.merge(ts, on=["lab", "generation"], how="outer", suffixes=("_b", "_s"))
        def notes(r: Any) -> str:
            # the CI column says n/a already; the rest of a note stays (a censored replication beside a single pair)
            kept = ((sc, "; ".join(p for p in n.split("; ") if not p.startswith("CI n/a")) if isinstance(n, str) else "")
                    for sc, n in ((baseline, r.note_b), (name, r.note_s)))
            both = [(sc, n) for sc, n in kept if n]
            if len(both) == 2 and both[0][1] == both[1][1]:  # one note, not the same twice in a 200-character row
                return f"both: {both[0][1]}"
            return "; ".join(f"{sc}: {n}" for sc, n in both)

        rows = [[r.lab, f"g{int(r.generation)}", _num(r.throttle_days_b, ".0f"), _ci(r.ci_low_b, r.ci_high_b, ".0f"),
                 _num(r.throttle_days_s, ".0f"), _ci(r.ci_low_s, r.ci_high_s, ".0f"), notes(r)]
                for r in m.sort_values(["lab", "generation"]).itertuples()]
        lines += _table(rows, ["lab", "gen", baseline, "95% CI", name, "95% CI", "note"])
    p = tables["peak_lead_times"]
    p = p[p["scenario"] == name]
    lines += ["", "Peak quoted lead time, accelerators to labs (weeks):"]
    # unchanged: a mean change under 0.05 weeks with an interval inside it too (+12 and -12 weeks average to 0)
    spread = (p["ci_low"] <= -0.05) | (p["ci_high"] >= 0.05)
    moved = p[(p["change_weeks"].abs() >= 0.05) | p["change_weeks"].isna() | spread
              | p["note"].str.contains("no finite quote")]
    moved = moved.reindex(moved["change_weeks"].abs().sort_values(ascending=False, na_position="first", kind="stable").index)
    rows = [[r.product, _num(r.baseline_peak_weeks, ".1f"), _num(r.scenario_peak_weeks, ".1f"),
             _num(r.change_weeks, "+.1f"), _ci(r.ci_low, r.ci_high, "+.1f"), _backlog_note(r)] for r in moved.itertuples()]
    if rows:
        lines += _table(rows, ["product", baseline, name, "change", "95% CI", "note"])
    unchanged = len(p) - len(moved)
    if unchanged:
        lines.append(f"    {'no product changed' if not rows else f'{unchanged} other product(s) unchanged'}"
                     f" (all {len(p)} in the peak_lead_times table)")
    elif not rows:
        lines.append("    no quotes to labs")
    b = tables["binding"]
    lines += ["", "What bound the labs' orders (dominant delay, share of ordered H100e):"]
    rows = []
    for lab in sorted(set(b["lab"])):
        def top(sc: str) -> str:
            s = b[(b["scenario"] == sc) & (b["lab"] == lab)]
            return ", ".join(f"{c} {share_text(v)}" for c, v in zip(s["cause"], s["share"])) or "-"
        rows.append([lab, top(baseline), top(name)])
    lines += _table(rows, ["lab", baseline, name]) if rows else ["    no lab orders"]
    return lines
