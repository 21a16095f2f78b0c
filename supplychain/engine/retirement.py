"""Retirement: a lab's accelerators leave its fleet a lifetime after commissioning (the start fleet in
yearly tranches, `Reviews._schedule_initial_retirements`), from queues of due dates per lab read by the
daily step and the lab's reviews, without kernel events. Mixed into `Labs`.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .labs import LabState
    from .network import Net

__all__ = ["Retirement"]


class Retirement:
    """Lab retirements (a mixin of `Labs`, whose vectors and states it updates)."""

    net: "Net"
    states: "list[LabState]"
    retiring: list[deque]
    retired_units: float
    h100e_view: memoryview
    next_ready_view: memoryview
    next_retire_view: memoryview

    def retire_later(self, j: int, when: float, sku: str, units: float) -> None:
        """Queue a retirement due at `when` (callers queue them in due order)."""
        q = self.retiring[j]
        if not q:
            self.next_retire_view[j] = when
        q.append((when, sku, units))

    def retire_due(self, j: int, now: float) -> None:
        """Retire what is due by `now`, in due order."""
        q = self.retiring[j]
        while q and q[0][0] <= now:
            _, sku, units = q.popleft()
            self.retire(j, sku, units)
        self.next_retire_view[j] = q[0][0] if q else np.inf

    def retire(self, j: int, sku: str, units: float) -> float:
        """Retire `units` of `sku`: installed units first; what is due beyond them (units that
        waited for power a whole lifetime) leaves the lab's waiting queue, oldest first."""
        st = self.states[j]
        due = units
        units = min(units, st.installed.get(sku, 0.0))
        p = self.net.products[sku]
        st.installed[sku] = st.installed.get(sku, 0.0) - units  # a SKU never installed has no entry
        st.used_mw -= units * p.power_kw / 1000.0
        self.h100e_view[j] -= units * p.h100e
        self.retired_units += units
        if due - units > 1e-6 * max(due, 1.0):  # more than rounding left over
            units += self._retire_waiting(j, sku, due - units)
        return units

    def _retire_waiting(self, j: int, sku: str, units: float) -> float:
        """Take up to `units` of `sku` out of the waiting (stranded) queue, oldest first."""
        st = self.states[j]
        p = self.net.products[sku]
        left, kept = units, deque()
        for ready, s, u, o in st.waiting:
            if s == sku and left > 1e-12:
                # a lot within rounding of the rest goes whole: a residue of 1e-12 units left at the front
                # would not fit `install_ready`'s 1e-9 and hold every later delivery back for good
                cut = u if u <= left + 1e-9 else left
                left -= cut
                if cut == u:
                    continue
                u -= cut
            kept.append((ready, s, u, o))
        taken = units - left  # exactly what left the queue
        st.waiting = kept
        st.waiting_h100e -= taken * p.h100e
        st.pending_mw -= taken * p.power_kw / 1000.0
        self.next_ready_view[j] = kept[0][0] if kept else np.inf
        self.retired_units += taken
        return taken
