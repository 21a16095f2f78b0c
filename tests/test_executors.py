"""Executors: what a local worker process does with signals, what closing a pool does to its running units,
how an executor describes itself, and how many workers it is given (the twenty-eighth mutation session)."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from pathlib import Path

import pytest

from supplychain.executors import ProcessExecutor, SerialExecutor, WorkerLost, make_executor, signals_deferred


def _ctrl_c_self(_: int) -> str:
    """A unit that gets the terminal's Ctrl-C (which reaches the whole process group) while it runs."""
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.2)  # a handled SIGINT would have raised by now
    return "went on"


def _sigterm_self(_: int) -> str:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)
    return "survived SIGTERM"


def test_a_worker_process_ignores_ctrl_c_and_finishes_its_unit():
    """Ctrl-C reaches the workers too: the parent alone decides to stop them, so a unit goes on (and prints no
    KeyboardInterrupt traceback)."""
    with ProcessExecutor(1) as ex:
        try:
            got = list(ex.run(_ctrl_c_self, [0]))
        except KeyboardInterrupt:  # the unit's, sent back: caught here, or it would stop the whole test run
            pytest.fail("Ctrl-C stopped the worker's unit")
    assert got == [(0, "went on")]


def test_a_worker_process_dies_on_sigterm_even_if_the_parent_handles_it():
    """The CLI turns SIGTERM into an exception in the parent; a forked worker inherits that handler, and the
    parent's `terminate` would become an exception the worker survives. A worker dies on SIGTERM: a lost worker."""

    class Stop(Exception):
        pass

    def raise_stop(signum, frame):
        raise Stop

    before = signal.signal(signal.SIGTERM, raise_stop)
    try:
        ex = ProcessExecutor(1)
        try:
            with pytest.raises(WorkerLost):
                list(ex.run(_sigterm_self, [0]))
        finally:
            ex.close(abort=True)
    finally:
        signal.signal(signal.SIGTERM, before)


def test_a_signal_while_workers_fork_is_delivered_after_the_forks():
    """Ctrl-C during the fork is held, not lost: it reaches the handler in place once the forks are done."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own Ctrl-C, whatever runs pytest
    try:
        with pytest.raises(KeyboardInterrupt):
            with signals_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # a handler would have run by now; the held one runs after the block
                held = True
        assert held
    finally:
        signal.signal(signal.SIGINT, before)


def _write_after(path: str) -> str:
    Path(path + ".started").touch()
    time.sleep(5)
    Path(path + ".finished").touch()
    return path


def test_an_error_stops_the_running_unit_instead_of_waiting_for_it(tmp_path):
    """An error (or Ctrl-C) in the parent: the executor stops the unit that is running, it does not let it finish."""
    unit = str(tmp_path / "unit")

    class Failed(Exception):
        pass

    with pytest.raises(Failed):
        with ProcessExecutor(1) as ex:
            ex.run(_write_after, [unit])
            deadline = time.monotonic() + 120
            while not Path(unit + ".started").exists():
                assert time.monotonic() < deadline, "the unit never started"
                time.sleep(0.01)
            raise Failed
    assert not Path(unit + ".finished").exists(), "the running unit was waited for"


def test_closing_after_the_run_waits_for_the_workers_to_end():
    """Once the results are in, `close` returns when the worker processes are gone: none is left running."""
    before = {p.pid for p in mp.active_children()}
    with ProcessExecutor(2) as ex:
        assert sorted(ex.run(abs, [-1, -2, -3])) == [(0, 1), (1, 2), (2, 3)]
        workers = [p for p in mp.active_children() if p.pid not in before]
        assert len(workers) == 2
    assert [p.pid for p in workers if p.is_alive()] == []


def test_an_executor_says_how_many_workers_it_has():
    """The manifest's and summary's `executor`: one worker singular, several plural, as many as asked for."""
    assert SerialExecutor().describe() == "serial (1 worker)"
    assert ProcessExecutor(2).describe() == "processes (2 workers)"
    assert make_executor(workers=1).describe() == "serial (1 worker)"
    three = make_executor(workers=3)  # more than this machine's cores: asked for, so given
    assert isinstance(three, ProcessExecutor) and three.workers == 3 and three.describe() == "processes (3 workers)"


def _fail_or_write(path: str) -> str:
    if path.endswith("0"):
        raise ValueError("unit 0 fails")
    time.sleep(0.5)  # the last of 8 would finish 3.5 s after the error: time enough for a loaded machine's parent
    Path(path).touch()
    return path


def test_a_units_error_cancels_the_units_not_yet_started():
    """The caller sees the first error; the units still queued are cancelled, not run for nobody (an executor
    passed to `run_experiment` is not closed by it: its next work would queue behind them)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder, ProcessExecutor(1) as ex:
        units = [str(Path(folder) / f"u{i}") for i in range(8)]
        with pytest.raises(ValueError, match="unit 0 fails"):
            for _ in ex.run(_fail_or_write, units):
                pass
        assert list(ex.run(abs, [-5])) == [(0, 5)]  # queued after whatever was not cancelled
        ran = [u for u in units if Path(u).exists()]
        assert not Path(units[-1]).exists(), ran
