"""Progress over simulated time, reported by replications wherever they run.

A long replication shows nothing on a bar over replications until it ends,
so `run_experiment` adds a second bar over simulated days summed across the
replications to compute. Each running replication reports the day it reached
(`Reporter`, every few simulated weeks) through a channel: a direct call when
it runs in this process, a `multiprocessing.Manager` queue when it runs in
local worker processes. A thread of the parent drains the queue into the bar.
Replications on a Dask cluster report only on the bar over replications.

Bars draw with carriage returns and cursor codes, which clutter a log file, so they
show only when stderr is a terminal (or in a notebook: without ipywidgets only the bar over
replications, as the notebook cannot move up a line) unless `SUPPLYCHAIN_PROGRESS=1` forces them (`bar_disable`); a log file gets a plain line per tenth of the replications
done instead (`LogProgress`); quiet runs show neither.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["DayBar", "Reporter", "LogProgress", "bar_class", "bar_disable", "end_bar_line", "log_lines", "FORCE_ENV"]

REPORT_EVERY_DAYS = 28  # a message per four simulated weeks: a few hundred per replication
#: set to 1 to draw bars even when stderr is not a terminal (a log someone tails)
FORCE_ENV = "SUPPLYCHAIN_PROGRESS"


def bar_disable(quiet: bool) -> bool | None:
    """tqdm's `disable` for a bar on stderr: True when quiet, False when forced by
    `SUPPLYCHAIN_PROGRESS=1` or in a notebook's kernel, else None: tqdm then draws only on a terminal.
    A kernel's stderr is no terminal, and without ipywidgets `tqdm.auto` falls back to the console
    bar, which None disabled: `run_experiment(quiet=False)` showed nothing; the notebook draws its
    carriage returns in place."""
    if quiet:
        return True
    if os.environ.get(FORCE_ENV, "").strip() == "1" or "ipykernel" in sys.modules:
        return False
    return None


def bar_class(disable: bool | None) -> type:
    """tqdm.auto's bar (a widget in a notebook with ipywidgets), or the console's for one that draws nothing:
    the first import of tqdm.auto in a notebook without ipywidgets warns "IProgress not found. Please update
    jupyter and ipywidgets", which a quiet run (the API's default) showed about a bar it never draws."""
    if disable is True:
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm


def log_lines(quiet: bool) -> bool:
    """Whether progress goes to stderr as plain lines: not quiet, not forced to bars, stderr not a
    terminal and not a notebook's (a batch job's log, where a bar would draw nothing)."""
    if bar_disable(quiet) is not None or "ipykernel" in sys.modules:
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return not (isatty is not None and isatty())


def end_bar_line(quiet: bool) -> None:
    """After bars forced onto a file or pipe (`SUPPLYCHAIN_PROGRESS=1`) were closed by an error or Ctrl-C: end
    the line their clearing codes left open, so the error (or `interrupted`) printed next is a line of its own,
    not `\r   \x1b[A<plugin>: ...`. A terminal needs none: the error takes the cleared bar's place."""
    isatty = getattr(sys.stderr, "isatty", None)
    if bar_disable(quiet) is False and not (isatty is not None and isatty()) and "ipykernel" not in sys.modules:
        sys.stderr.write("\n")
        sys.stderr.flush()


class LogProgress:
    """Progress over replications for a log file: one line each time another tenth of them is done
    (and at the last), with the time so far; no carriage returns. The interface a tqdm bar offers here."""

    def __init__(self, total: int, initial: int, desc: str) -> None:
        self.total, self.n, self.desc = total, initial, desc
        self.step = max(1, -(-total // 10))
        self.next = (initial // self.step + 1) * self.step
        self.t0 = time.perf_counter()

    def update(self, k: int = 1) -> None:
        self.n += k
        if self.n >= self.next or self.n == self.total:
            print(f"{self.desc}: {self.n}/{self.total} replications done ({time.perf_counter() - self.t0:.0f} s)",
                  file=sys.stderr, flush=True)
            self.next = (self.n // self.step + 1) * self.step

    def __enter__(self) -> "LogProgress":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


@dataclass(frozen=True)
class Reporter:
    """Sent with a work unit: `reporter(day)` tells the parent how far unit `key` got."""

    key: int
    channel: Any  # has .put((key, day))

    def __call__(self, day: int) -> None:
        if day % REPORT_EVERY_DAYS == 0:
            self.channel.put((self.key, day))


class _Direct:
    def __init__(self, bar: "DayBar") -> None:
        self.bar = bar

    def put(self, item: tuple[int, int]) -> None:
        self.bar.advance(*item)


class DayBar:
    """A tqdm bar over the simulated days of `days` (unit key -> days), fed by `Reporter`s."""

    def __init__(self, days: dict[int, int], desc: str, *, remote: bool, disable: bool | None = False) -> None:
        """`disable` as tqdm's (`bar_disable`); a disabled bar starts no channel from worker processes."""
        from tqdm.auto import tqdm
        from tqdm.autonotebook import tqdm as chosen  # what tqdm.auto's bar is made of: a widget or the console's
        from tqdm.std import tqdm as console

        if "ipykernel" in sys.modules and chosen is console:
            # a notebook without ipywidgets draws console bars, and cannot move up to a second one's line:
            # each refresh of this bar (position 1) left a line of its own; the bar over replications stays
            disable = True
        self.days = days
        self.done = {k: 0 for k in days}
        self.lock = threading.Lock()
        self.bar = tqdm(total=sum(days.values()), desc=desc, unit="day", unit_scale=True, position=1,
                        file=sys.stderr, leave=False, dynamic_ncols=True, disable=disable)
        self._manager = None
        self._thread: threading.Thread | None = None
        if remote and not self.bar.disable:
            from multiprocessing.managers import SyncManager

            from .executors import signals_deferred, worker_setup

            self._manager = SyncManager()
            with signals_deferred():  # it forks
                self._manager.start(worker_setup)  # like the workers: stopped by the parent, gone with it
            self.channel: Any = self._manager.Queue()
            self._thread = threading.Thread(target=self._drain, name="supplychain-progress", daemon=True)
            self._thread.start()
        else:
            self.channel = _Direct(self)

    def reporter(self, key: int) -> Reporter:
        return Reporter(key, self.channel)

    def advance(self, key: int, day: int) -> None:
        with self.lock:
            day = min(day, self.days.get(key, 0))
            step = day - self.done.get(key, 0)
            if step > 0:
                self.done[key] = day
                self.bar.update(step)

    def finished(self, key: int) -> None:
        """A unit came back: its days are all done, whatever its last report said."""
        self.advance(key, self.days.get(key, 0))

    def _drain(self) -> None:
        while True:
            try:
                item = self.channel.get()
            except (EOFError, OSError):  # the manager went away: nothing more will come
                return
            if item is None:
                return
            self.advance(*item)

    def close(self) -> None:
        if self._thread is not None:
            try:
                self.channel.put(None)
            except (EOFError, OSError):
                pass
            self._thread.join(timeout=5)
        if self._manager is not None:
            self._manager.shutdown()
        self.bar.close()

    def __enter__(self) -> "DayBar":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
