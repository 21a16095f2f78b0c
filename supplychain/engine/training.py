"""Training compute and model generations: what each lab's powered fleet buys.

Vectorised over labs, once a day: effective FLOP/day = powered H100e x 1e15 x
utilisation x training fraction x algorithmic efficiency x RSI x 86400. Generation
g needs requirement_0 x scale^g of it, and at least the minimum training time;
each release multiplies the lab's efficiency by the RSI gain of that release
(docs/model.md section 7), which grows per release.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..scenario_schema import Scenario

__all__ = ["Training", "H100_FLOPS", "RSI_CAP"]

H100_FLOPS = 1e15  # BF16 dense FLOP/s of one H100e (calibration.md: H100 SXM 989 TFLOPS)
#: the RSI multiplier saturates here (assumption: far past any generation trained in a day, and finite,
#: so compounding gains cannot overflow the training arithmetic)
RSI_CAP = 1e100
#: up to this many labs, the daily step runs in Python floats (`_step_few`)
_FEW_LABS = 16
_INF = float("inf")


class Training:
    """Every lab's accumulated compute, generation and RSI multiplier, and the releases so far."""

    def __init__(self, ids: list[str], states: Sequence[Any], scenario: Scenario) -> None:
        """`ids` and `states` (each with its `policy`): the labs, in the order of the fleet vectors."""
        m = len(ids)
        self.ids = ids
        self.util = np.array([s.policy.utilisation for s in states])
        self.train_frac = np.array([s.policy.training_fraction for s in states])
        self.accum = np.zeros(m)
        self.gen = np.zeros(m, dtype=int)
        self.gen_started = np.zeros(m)
        self.rsi = np.ones(m)
        self.releases: list[tuple] = []
        #: per lab, its releases on or after the RSI start so far: the k of the next one's gain
        #: (counted as they come; a scan of `releases` per release was quadratic in releases)
        self.rsi_releases: list[int] = [0] * m
        g = scenario.generations
        self.req0, self.scale, self.min_days, self.max_gen = g.requirement_0, g.scale, g.min_training_days, g.max_generations
        self.gain, self.gain_growth = scenario.rsi.resolved()
        self.rsi_start = (scenario.rsi.start - scenario.start).days if scenario.rsi.start else 0
        self.eff_growth = scenario.algorithms.efficiency_growth
        self._need = self.req0 * self.scale ** self.gen.astype(float)  # compute for each lab's next generation
        self._util, self._frac = self.util.tolist(), self.train_frac.tolist()  # `_step_few`'s floats

    def flops_per_second(self, h100e: np.ndarray) -> np.ndarray:
        """Training FLOP/s of a powered fleet `h100e` (H100e per lab), before algorithmic
        efficiency and RSI: what the weekly fleet table reports as `training_flops`."""
        return h100e * H100_FLOPS * self.util * self.train_frac

    def efficiency(self, day: int) -> np.ndarray:
        with np.errstate(over="ignore"):  # past a float: infinite efficiency, every generation at once
            return np.float64(self.eff_growth) ** (day / 365.25) * self.rsi

    def step(self, day: int, h100e: np.ndarray) -> list[tuple]:
        """Release the generations done by the start of `day`, then accumulate the day's effective
        compute of the powered fleet `h100e` (H100e per lab) toward each lab's next one.

        Releasing before the day's compute makes `training_days` (release day - start day) exactly
        the days of compute a generation got, the first one's included (released the day its compute
        crossed the requirement, it had days 0..d, d + 1 of them, but counted d); the minimum
        training time counts the same days."""
        if len(h100e) <= _FEW_LABS:
            return self._step_few(day, h100e)
        out = self._release(day) if (self.accum >= self._need).any() else []  # most days: none is done
        with np.errstate(over="ignore", invalid="ignore"):  # compounding gains may pass a float: inf
            flops = self.flops_per_second(h100e) * self.efficiency(day) * 86400.0  # one product, left to right
            self.accum += flops
        return out

    def _step_few(self, day: int, h100e: np.ndarray) -> list[tuple]:
        """`step` in Python floats, lab by lab: for a few labs (a default run's 3) a dozen numpy calls on
        arrays of 3 cost more than the arithmetic. The same IEEE operations in the same order, so the same
        bits: (((h x 1e15) x util) x train_frac) x (growth^(day/365.25) x rsi) x 86400, added to `accum`."""
        accum = self.accum.tolist()
        out = self._release(day) if any(a >= n for a, n in zip(accum, self._need.tolist())) else []
        if out:
            accum = self.accum.tolist()
        try:
            grown = float(self.eff_growth) ** (day / 365.25)
        except OverflowError:  # numpy's power gives inf past a float
            grown = _INF
        for j, (h, u, f, r) in enumerate(zip(h100e.tolist(), self._util, self._frac, self.rsi.tolist())):
            accum[j] += h * H100_FLOPS * u * f * (grown * r) * 86400.0
        self.accum[:] = accum
        return out

    def _release(self, day: int) -> list[tuple]:
        """Release, on `day`, each lab's generation whose compute and minimum training time are met."""
        need = self._need
        ready = self.accum >= need
        out: list[tuple] = []
        ready &= (day - self.gen_started >= self.min_days) & (self.gen < self.max_gen)
        for j in np.flatnonzero(ready):
            g = int(self.gen[j])
            out.append((self.ids[j], g, float(day), float(self.gen_started[j]), float(need[j]), float(self.rsi[j])))
            if day >= self.rsi_start:
                k = self.rsi_releases[j]  # the lab's releases since the RSI start, before this one
                self.rsi_releases[j] = k + 1
                if self.gain > 1.0:
                    try:
                        factor = 1.0 + (self.gain - 1.0) * self.gain_growth**k
                    except OverflowError:  # gain_growth^k past a float: the cap below holds it
                        factor = float("inf")
                    self.rsi[j] = min(float(self.rsi[j]) * factor, RSI_CAP)
            self.releases.append(out[-1])
            self.gen[j] += 1
            self.accum[j] = 0.0
            self.gen_started[j] = day
        if out:
            self._need = self.req0 * self.scale ** self.gen.astype(float)
        return out
