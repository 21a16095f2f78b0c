"""Pause the cyclic garbage collector while a run builds or reads its heap of orders.

A run keeps every order until its tables are built, so the collector's full
passes find nothing to free; on a 1,000-node network they cost about a third
of the run and half of building the tables. `simulate` holds one pause over
the whole replication and then frees the run by reference counting
(`World.release`), so the collector never walks it; a nested pause is a no-op.

When a pause ends with the heap still full (a World run on its own, as the
benchmarks, tests and notebooks do), everything made meanwhile was still in the
youngest generation, which the first allocation afterwards collected: a walk
of every order and tuple of the run that frees nothing (about 4 % of a 1,000-node
run's instructions). So the pause ends by moving every tracked object to the
oldest generation (`gc.freeze` then `gc.unfreeze`: two list splices, and the
young count starts again from 0), where the collector looks only when it
collects everything. Unless something else froze objects (a process about to
fork): unfreezing would give it back its frozen objects, so then the pause ends
as it did.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            if gc.get_freeze_count() == 0:  # promote what the pause made to the oldest generation, unwalked
                gc.freeze()
                gc.unfreeze()
            gc.enable()
