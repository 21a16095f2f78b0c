"""A compared scenario's own export-control rules and shocks that did nothing in any replication.

A comparison whose every change is +0 reads as "the policy changes nothing". Often the
reason is that the policy never acted: `hbm_full_ban` adds a ban on HBM to China, but the
baseline's `dec2024_hbm` licence (approval 0) comes first in the rule list and refuses the
same trade, so the ban decides nothing. The events table logs every control decision
(refusal, licence review, quota, substitution) and every shock occurrence with the rule's or
shock's id; an id of the scenario's own with no row is said, one line each, beside the
numbers. A rule's stockpiling before it takes effect is not logged, so such a rule is said
to have refused nothing, with that caveat. A shock is said idle only where the table tells it
reliably: no occurrence inside the run, or (built-in kinds, which log what they touch) none
that touched a node or flow.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from .engine.shocks import BUILT_IN, SHOCK_KINDS
from .scenario_events import Rule, Shock
from .scenario_schema import Scenario

__all__ = ["decision_rows", "idle_notes"]

_KEY = ["scenario", "replication", "type", "id"]


def decision_rows(events: pd.DataFrame) -> pd.DataFrame:
    """Of one or more replications' events, one row per scenario, replication and rule id, and every shock
    occurrence (a few; its `supplier` column lists what it touched): all `idle_notes` reads, so a lean
    comparison keeps a few rows of a replication's thousands of events."""
    ev = events[[*_KEY, "day", "duration_days", "supplier"]]
    controls = ev[ev["type"] == "control"].drop_duplicates(_KEY)
    return pd.concat([controls, ev[ev["type"] == "shock"]]).sort_index()


def _own(items: Sequence[Rule] | Sequence[Shock], base: Sequence[Rule] | Sequence[Shock]) -> list:
    """The items the base scenario lacks, or has by the same id with other fields."""
    theirs = {x.id: x for x in base}
    return [x for x in items if theirs.get(x.id) != x]


def _rule_note(r: Rule, sc: Scenario, reps: int) -> str:
    if r.effective > sc.end:  # in force on the end date, the run's last day (`compare_tables`)
        why = f"it takes effect on {r.effective}, after the run ends {sc.end}"
    elif r.ends is not None and r.ends <= sc.start:
        why = f"it ended on {r.ends}, before the run starts {sc.start}"
    elif r.action == "quota":
        why = "its quota was never exceeded, another rule decided first, or its scope was never reached"
    else:
        why = "another rule decided first, or its scope was never reached"
    # its buyers' stockpiling leaves no event; a window over before the run starts (a 2024 rule on a 2030
    # network) moved nothing, and saying it "may have" sent the reader looking for it
    begin, until = max(r.announced, sc.start), min(r.effective, sc.end)
    if r.stockpile > 1.0 and begin < r.effective and begin <= sc.end:  # buyers stockpile on [announced, effective)
        return (f"rule {r.id} refused, reviewed or substituted nothing in {reps} replication(s) ({why}); its "
                f"stockpiling (x{r.stockpile:g} from {begin} to {until}) is not logged and may have moved orders")
    return f"rule {r.id} decided nothing in {reps} replication(s) ({why})"


def _shock_note(s: Shock, sc: Scenario, rows: pd.DataFrame, reps: int) -> str | None:
    days = (sc.end - sc.start).days + 1  # the run's days, the end date the last: a shock on it is logged and acts
    inside = rows[(rows["day"] < days) & (rows["day"] + rows["duration_days"].fillna(0.0) + s.recovery_days > 0)]
    if inside.empty:
        return f"shock {s.id} did not occur inside the run ({sc.start} to {sc.end}) in {reps} replication(s)"
    if SHOCK_KINDS.get(s.kind) is BUILT_IN.get(s.kind) and inside["supplier"].isna().all():
        return (f"shock {s.id} touched nothing in {reps} replication(s) (its target matches no node or flow a "
                f"{s.kind} shock acts on)")
    return None


def idle_notes(events: pd.DataFrame, base: Scenario, scenarios: dict[str, Scenario],
               replications: int) -> dict[str, list[str]]:
    """Per compared scenario name, one line per rule or shock of its own (not the base's, or differing
    from it) that left no row in the events table (`decision_rows` of it suffices) in any replication."""
    ev = decision_rows(events) if "what" in events.columns else events
    out: dict[str, list[str]] = {}
    for name, sc in scenarios.items():
        mine = ev[ev["scenario"] == name]
        acted = set(mine.loc[mine["type"] == "control", "id"])
        lines = [_rule_note(r, sc, replications) for r in _own(sc.controls, base.controls) if r.id not in acted]
        for s in _own(sc.shocks, base.shocks):
            note = _shock_note(s, sc, mine[(mine["type"] == "shock") & (mine["id"] == s.id)], replications)
            if note:
                lines.append(note)
        if lines:
            out[name] = lines
    return out
