"""Lines of different scenarios that coincide, made visible.

Sweep points that change nothing the figure draws (a `capacity.growth` that only extends a schedule
past the run, two points of equal inputs) give identical lines, and matplotlib draws each over the
one before: only the last point's colour showed, and a reader took the others for missing. Here a
group of identical lines in a panel becomes one striped line, each scenario's colour a dash of it
(`stripe`), and the scenarios whose lines are identical in every panel are named (`note`).

Lines are matched by the scenario their `gid` names and by their role, their label without the
scenario (`quoted`, `realised`, `lab_us ()`), so a quoted line is never matched with a realised one.
"""

from __future__ import annotations

import hashlib
import textwrap
from typing import Sequence

import numpy as np
from matplotlib.lines import Line2D

__all__ = ["show_coincident", "note"]

#: the length of one scenario's dash in a striped line (points, times the line width)
DASH = 4.0


def _data_key(line: Line2D) -> str:
    """The line's drawn points (dates as matplotlib's day numbers), rounded: equal for equal series."""
    xy = np.round(np.asarray(line.get_xydata(), dtype=float), 9)
    return hashlib.sha1(np.where(np.isnan(xy), -1e300, xy).tobytes()).hexdigest()


def _role(label: str, sc: str) -> str:
    """The label without the scenario where the figures put it: `{sc} quoted`, `{lab} ({sc})`, `{sc}`. Removing its
    first occurrence anywhere took it out of a lab's name (scenario `us`, label `lab_us (us)`: `lab_ (us)`, where
    scenario `row`'s was `lab_us ()`), so identical lines were not matched and drew over each other again."""
    if label.endswith(f" ({sc})"):
        return f"{label[:-len(sc) - 3]} ()"
    if label.startswith(f"{sc} "):
        return label[len(sc) + 1:]
    return "" if label == sc else label


def stripe(lines: Sequence[Line2D]) -> None:
    """Draw identical `lines` as one line whose colours take turns, each line drawing one period of its own dash
    pattern in n (a solid line: a dash of `DASH`). The lines keep their pattern: a dotted lab stays dotted. A gap
    of `DASH` / 2 after every dash made a dotted line dashed, the style the legend gives another lab."""
    patterns = [getattr(line, "_unscaled_dash_pattern", (0.0, None)) for line in lines]  # (offset, dashes): no getter
    for j, (line, (offset, dashes)) in enumerate(zip(lines, patterns)):
        seq = tuple(float(d) for d in dashes) if dashes else (DASH, 0.0)
        period = sum(seq)
        rest = (len(lines) - 1) * period  # the other lines' turns
        line.set_linestyle(((float(offset or 0.0) + j * period) % (period + rest), (*seq[:-1], seq[-1] + rest)))


def show_coincident(axes: Sequence, scenarios: Sequence[str]) -> list[list[str]]:
    """Stripe every group of identical lines of different scenarios in each of `axes`; return the groups of
    scenarios (two or more, in the order given) whose lines are identical in every panel."""
    signature: dict[str, list[tuple[int, str, str]]] = {sc: [] for sc in scenarios}
    for n, ax in enumerate(axes):
        groups: dict[tuple[str, str], list[Line2D]] = {}
        for line in ax.get_lines():
            sc = line.get_gid()
            if sc not in signature:
                continue
            key = (_role(str(line.get_label()), sc), _data_key(line))
            groups.setdefault(key, []).append(line)
            signature[sc].append((n, *key))
        for group in groups.values():
            if len({line.get_gid() for line in group}) > 1:
                stripe(group)
    same: dict[tuple, list[str]] = {}
    for sc in scenarios:
        if signature[sc]:
            same.setdefault(tuple(sorted(signature[sc])), []).append(sc)
    return [group for group in same.values() if len(group) > 1]


def note(groups: list[list[str]], width: int = 100) -> str:
    """Which scenarios drew the same lines, wrapped at `width` characters (a sweep's long point names ran
    under the fleet figure's legend), or "" when none did."""
    if not groups:
        return ""
    text = "Identical, drawn over each other (striped in their colours): " + "; ".join(" = ".join(g) for g in groups)
    return textwrap.fill(text, width, break_on_hyphens=False)
