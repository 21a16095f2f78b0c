"""Which swept inputs move the pace: Spearman's rho (with a p-value) and standardised regression
coefficients (SRC) of each outcome on the inputs, per lab, ranked.

A sweep's points are few (a grid of a handful of values, or tens of Latin-hypercube samples), so the
p-value of a small sample comes from permuting the pairs, not from scipy's t approximation.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .columns import as_dates

__all__ = ["sensitivity", "spearman", "text_codes", "date_days", "SMALL_N", "MIN_POINTS"]


def date_days(col: pd.Series) -> pd.Series | None:
    """A date input (`shocks.<id>.start=2027-01-01,2027-07-01`: a date column, as the points table keeps it,
    dates, or their ISO text) as days since its earliest value; None if any value is not a date. Ranked in the
    order given, dates listed latest first turned the sign of rho and SRC round."""
    when = as_dates(col)
    if when is None:
        return None
    return (when - when.min()).dt.days.astype(float)


def text_codes(col: pd.Series) -> dict | None:
    """A text input's values as the numbers its rho and SRC use: 0, 1, ... in the order the points first take
    them (the order given); None for a number, true/false or a date (`date_days`). A sign then says "the later
    value"; with more than two values the ranking assumes that order means something (`sweep_text` says so)."""
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col) or date_days(col) is not None:
        return None
    return {v: i for i, v in enumerate(dict.fromkeys(col))}


def _numeric(col: pd.Series) -> pd.Series:
    days = date_days(col)
    if days is not None:
        return days
    codes = text_codes(col)
    return col.astype(float) if codes is None else col.map(codes).astype(float)


#: below this many points a p-value comes from permuting the pairs (exact up to 7 points), not from
#: scipy's t approximation, which with 4 points and 2 input values printed p = 0.000
SMALL_N = 10


#: fewer points than this measure no rank correlation: two points give rho = +-1 whatever the data
#: (`--lhs 2` with three inputs ranked them all by a rho of +-1 at p = 1)
MIN_POINTS = 3


def spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Spearman's rho of (x, y) and its two-sided p-value (a permutation test for small samples)."""
    rho = float(stats.spearmanr(x, y)[0])
    if len(x) >= SMALL_N:
        return rho, float(stats.spearmanr(x, y)[1])
    rx, ry = stats.rankdata(x), stats.rankdata(y)  # pairing permutes whole ranks: rank once

    b = ry - ry.mean()

    def pearson(a: np.ndarray, axis: int = -1) -> np.ndarray:  # against the outcome's ranks, held in place
        a = a - a.mean(axis, keepdims=True)
        return (a * b).sum(axis) / np.sqrt((a * a).sum(axis) * (b * b).sum())

    res = stats.permutation_test((rx,), pearson, permutation_type="pairings", vectorized=True,
                                 n_resamples=9999, alternative="two-sided", random_state=0)
    return rho, float(res.pvalue)


def sensitivity(outcomes: pd.DataFrame, inputs: Sequence[str], targets: Sequence[str], by: str = "lab") -> pd.DataFrame:
    """Per lab (or other entity `by`: a stock point's `node`) and outcome: each input's Spearman rho
    (with p: `spearman`) and SRC, ranked by |SRC| (then |rho|).

    With a `point` column (a sweep's outcomes: one row per point and replication), each point counts
    once, with its outcome's mean over the replications that have one: replications of a point share
    its inputs and, paired, its random draws, so counting them as points would overstate `n` and the
    evidence (p-values). `n` is the number of points.

    An input whose rho and SRC are both undefined (NaN: the input or the outcome did not vary
    over the points that reached it) gets no rank (<NA>): it was not found to matter less
    than the others, it was not measured.
    """
    rows = []
    for lab, grp in outcomes.groupby(by):
        for target in targets:
            if target not in grp:
                continue
            d = grp[[*inputs, target]].copy()
            if "point" in grp:
                d = grp.groupby("point").agg({**{p: "first" for p in inputs}, target: "mean"})
            X = pd.DataFrame({p: _numeric(d[p]) for p in inputs})
            y = d[target].astype(float)
            ok = y.notna() & X.notna().all(axis=1)
            X, y = X[ok], y[ok]
            varied = [p for p in inputs if X[p].nunique() > 1]
            src = {p: math.nan for p in inputs}
            # nunique, not std() > 0: the std of six equal fill rates (0.9984) is 1.2e-16, and an SRC of that
            # rounding noise ranked every input of an outcome that did not move (src +0.000, rank 1)
            if len(y) > len(varied) + 1 and varied and y.nunique() > 1:
                Z = (X[varied] - X[varied].mean()) / X[varied].std()
                coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(Z)), Z.to_numpy()]), ((y - y.mean()) / y.std()).to_numpy(), rcond=None)
                src.update(dict(zip(varied, coef[1:])))
            for p in inputs:
                rho, pval = (math.nan, math.nan)
                if p in varied and y.nunique() > 1 and len(y) >= MIN_POINTS:
                    rho, pval = spearman(X[p].to_numpy(), y.to_numpy())
                rows.append({by: lab, "outcome": target, "input": p, "spearman_rho": float(rho), "p_value": float(pval),
                             "src": float(src[p]), "n": int(len(y))})
    df = pd.DataFrame(rows, columns=[by, "outcome", "input", "spearman_rho", "p_value", "src", "n"])
    if df.empty:
        return df.assign(rank=pd.Series(dtype="Int64"))
    df["_k"] = df["src"].abs().fillna(-1) + 1e-9 * df["spearman_rho"].abs().fillna(0)
    df = df.sort_values([by, "outcome", "_k"], ascending=[True, True, False]).drop(columns="_k")
    measured = df["src"].notna() | df["spearman_rho"].notna()
    df["rank"] = (df[measured].groupby([by, "outcome"]).cumcount() + 1).reindex(df.index).astype("Int64")
    return df.reset_index(drop=True)
