"""Progress over simulated time: replications report the day they reached to the parent's bar;
bars draw on a terminal only, unless forced."""

from __future__ import annotations

import io
import sys

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml
from typer.testing import CliRunner

from supplychain.cli import app
from supplychain.progress import FORCE_ENV, REPORT_EVERY_DAYS, DayBar, Reporter, bar_disable
from supplychain.results import simulate

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = str(ROOT / "topology" / "minimal.yaml")
SC = {"name": "p", "start": "2022-01-01", "end": "2022-12-31"}


def test_simulate_calls_a_progress_callable_with_the_days_reached():
    seen: list[int] = []
    simulate(MINIMAL, SC, progress=seen.append)
    assert seen == sorted(seen) and seen[0] == 0 and seen[-1] >= 365 - 7
    assert all(d % 7 == 0 for d in seen)


class _Sink:
    def __init__(self) -> None:
        self.items: list[tuple[int, int]] = []

    def put(self, item: tuple[int, int]) -> None:
        self.items.append(item)


def test_reporter_forwards_every_few_weeks_only():
    sink = _Sink()
    rep = Reporter(3, sink)
    for day in range(0, 365, 7):
        rep(day)
    assert [k for k, _ in sink.items] == [3] * len(sink.items)
    assert [d for _, d in sink.items] == list(range(0, 365, REPORT_EVERY_DAYS))


def _simulate_reporting(reporter: Reporter) -> int:
    simulate(MINIMAL, SC, progress=reporter)
    return reporter.key


def test_day_bar_collects_reports_from_worker_processes():
    days = {0: 365, 1: 365}
    bar = DayBar(days, "simulated", remote=True)
    try:
        with ProcessPoolExecutor(2) as pool:
            keys = list(pool.map(_simulate_reporting, [bar.reporter(0), bar.reporter(1)]))
        assert keys == [0, 1]
        # reports arrive through the manager's queue and a thread; wait for the last ones
        import time

        for _ in range(100):
            if all(bar.done[k] >= 364 - REPORT_EVERY_DAYS for k in days):
                break
            time.sleep(0.05)
        assert all(364 - REPORT_EVERY_DAYS <= bar.done[k] <= 365 for k in days), bar.done
        bar.finished(0)
        bar.finished(1)
        assert bar.bar.n == 730
    finally:
        bar.close()


def test_run_shows_a_bar_over_simulated_days_unless_quiet(tmp_path, monkeypatch):
    monkeypatch.setenv(FORCE_ENV, "1")  # the runner's stderr is no terminal
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({**SC, "topology": MINIMAL}))
    runner = CliRunner()
    loud = runner.invoke(app, ["run", str(path), "-n", "2", "-w", "1", "-o", str(tmp_path / "a")])
    assert loud.exit_code == 0, loud.output
    assert "simulated" in loud.stderr and "day" in loud.stderr
    quiet = runner.invoke(app, ["run", str(path), "-n", "2", "-w", "1", "-o", str(tmp_path / "b"), "--quiet"])
    assert quiet.exit_code == 0 and "simulated" not in quiet.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bars_draw_on_a_terminal_only_unless_forced(monkeypatch):
    from supplychain.experiment import _progress

    monkeypatch.delenv(FORCE_ENV, raising=False)
    for stream, drawn in ((io.StringIO(), False), (_Terminal(), True)):
        monkeypatch.setattr(sys, "stderr", stream)
        with _progress(3, 0, False, "reps") as bar:
            bar.update(1)
        with DayBar({0: 100}, "simulated", remote=True, disable=bar_disable(False)) as days:
            assert days._manager is None if not drawn else days._manager is not None
            days.advance(0, 50)
        simulate(MINIMAL, SC, progress=True)
        assert ("\r" in stream.getvalue()) == drawn, stream.getvalue()
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    monkeypatch.setenv(FORCE_ENV, "1")
    with _progress(3, 0, False, "reps") as bar:
        bar.update(1)
    assert "reps" in log.getvalue()
    assert bar_disable(True) is True  # --quiet wins over forcing


def test_run_on_a_non_terminal_writes_no_bars(tmp_path, monkeypatch):
    monkeypatch.delenv(FORCE_ENV, raising=False)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({**SC, "topology": MINIMAL}))
    res = CliRunner().invoke(app, ["run", str(path), "-n", "2", "-w", "1", "-o", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert "\r" not in res.stderr and "\x1b" not in res.stderr and "simulated" not in res.stderr


def test_a_batch_log_gets_a_line_per_tenth_of_the_replications(monkeypatch):
    """stderr not a terminal (a cluster job's log): no bar draws, so progress is plain lines, one each time
    another tenth is done and at the last; quiet prints none, a terminal gets the bar instead."""
    from supplychain.experiment import _progress

    monkeypatch.delenv(FORCE_ENV, raising=False)
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    with _progress(25, 2, False, "sc") as bar:
        for _ in range(23):
            bar.update(1)
    lines = log.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [f"sc: {n}/25 replications done" for n in (3, 6, 9, 12, 15, 18, 21, 24, 25)]
    log.truncate(0)
    with _progress(25, 0, True, "sc") as bar:
        bar.update(25)
    assert log.getvalue() == ""
    from supplychain.progress import LogProgress

    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert not isinstance(_progress(25, 0, False, "sc"), LogProgress)  # a terminal: tqdm's bar


def test_a_notebook_without_widgets_draws_the_bar_over_replications(monkeypatch):
    """A notebook kernel's stderr is no terminal, and without ipywidgets tqdm.auto falls back to the console
    bar: `run_experiment(quiet=False)` and `simulate(progress=True)` showed nothing there (seen in a Jupyter
    kernel). They draw now; the bar over simulated days, a second bar the notebook cannot move up to, does
    not (each refresh left a line); quiet still silences all."""
    import types

    from supplychain.experiment import _progress
    from supplychain.progress import LogProgress

    monkeypatch.delenv(FORCE_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    out = io.StringIO()  # the kernel's stderr: no terminal
    monkeypatch.setattr(sys, "stderr", out)
    with _progress(3, 0, False, "reps") as bar:
        assert not isinstance(bar, LogProgress)
        bar.update(3)
    assert "\rreps:" in out.getvalue()
    simulate(MINIMAL, SC, progress=True)
    assert "\rp r0:" in out.getvalue()
    with DayBar({0: 100}, "simulated", remote=True, disable=bar_disable(False)) as days:
        assert days.bar.disable and days._manager is None
    out.truncate(0)
    out.seek(0)
    with _progress(3, 0, True, "reps") as bar:
        bar.update(3)
    simulate(MINIMAL, SC, progress=False)
    assert out.getvalue() == ""


def test_a_quiet_run_in_a_notebook_without_widgets_does_not_warn_about_them(tmp_path):
    """The first import of tqdm.auto in a notebook kernel without ipywidgets warns "IProgress not found. Please
    update jupyter and ipywidgets": a quiet run (the API's default) showed it, about a bar it never draws.
    A kernel without ipywidgets, in a fresh interpreter (tqdm.auto warns once, on import)."""
    import subprocess

    code = f"""
import sys, types, warnings
shell = type("ZMQInteractiveShell", (), {{}})()
sys.modules["ipykernel"] = sys.modules["ipykernel.zmqshell"] = types.ModuleType("ipykernel.zmqshell")
sys.modules["IPython"] = types.SimpleNamespace(get_ipython=lambda: shell)
sys.modules["ipywidgets"] = None  # not installed
from supplychain import run_experiment
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    run_experiment({{**{SC!r}, "topology": {MINIMAL!r}, "end": "2022-03-31"}}, replications=1, workers=1)
print([str(w.message)[:40] for w in seen])
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert res.returncode == 0 and res.stdout == "[]\n", (res.stdout, res.stderr[-800:])


def test_only_the_value_1_forces_bars(monkeypatch):
    """`SUPPLYCHAIN_PROGRESS=1` forces bars onto a log; any other value (0, empty, a word) leaves tqdm's choice."""
    for value, disable in (("1", False), (" 1 ", False), ("0", None), ("", None), ("yes", None)):
        monkeypatch.setenv(FORCE_ENV, value)
        assert bar_disable(False) is disable, value


def test_forced_bars_on_a_log_are_bars_not_plain_lines(monkeypatch):
    """Forced onto a file, progress over replications is tqdm's bar (carriage returns), not the plain lines a
    log gets unforced."""
    from supplychain.experiment import _progress
    from supplychain.progress import LogProgress, log_lines

    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    monkeypatch.setenv(FORCE_ENV, "1")
    assert not log_lines(False)
    with _progress(3, 0, False, "reps") as bar:
        assert not isinstance(bar, LogProgress)
        bar.update(3)
    assert "\rreps:" in log.getvalue() and "replications done" not in log.getvalue()


def test_a_failed_runs_forced_bars_get_their_line_ended_and_nothing_else_does(monkeypatch):
    """After an error, forced bars on a file leave a line open: `end_bar_line` ends it. Unforced, quiet, or on a
    terminal (where the error takes the cleared bar's place) it writes nothing: an empty line above the error."""
    from supplychain.progress import end_bar_line

    for stream, force, quiet, wrote in ((io.StringIO(), "1", False, "\n"), (io.StringIO(), "", False, ""),
                                        (io.StringIO(), "1", True, ""), (_Terminal(), "1", False, ""),
                                        (_Terminal(), "", False, "")):
        monkeypatch.setattr(sys, "stderr", stream)
        monkeypatch.setenv(FORCE_ENV, force)
        end_bar_line(quiet)
        assert stream.getvalue() == wrote, (type(stream).__name__, force, quiet)


def test_a_log_line_per_tenth_also_when_several_finish_at_once(monkeypatch):
    """`update(k)` as tqdm's: the next line comes at the next tenth after the count reached, not a step after the
    last line's tenth."""
    from supplychain.progress import LogProgress

    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    bar = LogProgress(25, 0, "sc")  # a line every 3
    for k in (7, 1, 1, 16):
        bar.update(k)
    assert [line.split(" (")[0] for line in log.getvalue().splitlines()] == [f"sc: {n}/25 replications done" for n in (7, 9, 25)]


def test_the_bar_over_days_counts_every_units_days_once():
    """The bar's total is the days of all units; a unit counts its days at most once, whatever it reports: a day past
    its end, a report older than one seen, or a late report arriving after it came back."""
    with DayBar({0: 100, 1: 50}, "simulated", remote=False, disable=False) as days:  # drawn: a disabled bar counts nothing
        assert days.bar.total == 150
        days.advance(0, 56)
        days.advance(0, 28)  # older than what was seen: no step back
        assert days.bar.n == 56
        days.advance(1, 84)  # past the unit's 50 days
        assert days.bar.n == 106 and days.done[1] == 50
        days.finished(0)
        days.advance(0, 84)  # its last report, arriving after the unit came back
        days.finished(1)
        assert days.bar.n == 150 and days.done == {0: 100, 1: 50}


def test_closing_the_bar_over_days_ends_its_thread_and_manager_cleanly(monkeypatch):
    """The thread draining the workers' reports ends on close having taken every report sent before, without an
    error, and the manager process goes with it."""
    import multiprocessing as mp
    import threading

    errors: list = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_type))
    before = {p.pid for p in mp.active_children()}
    days = DayBar({0: 365}, "simulated", remote=True, disable=False)
    manager = [p for p in mp.active_children() if p.pid not in before]
    assert len(manager) == 1
    days.reporter(0)(56)
    days.close()
    assert days.done[0] == 56 and not days._thread.is_alive() and errors == []
    assert not manager[0].is_alive()


def test_simulates_bar_counts_the_days_simulated_and_ends_full(monkeypatch):
    """`simulate(progress=True)`'s bar over the run's days: once day d is reached d + 1 days are done (day 0 is
    one), and the bar ends at its total even though days are reported weekly (the last week is not cut off)."""
    import tqdm.auto

    counts: list[int] = []

    class Recorded(tqdm.auto.tqdm):
        def update(self, n=1):
            shown = super().update(n)
            counts.append(self.n)
            return shown

    days: list[int] = []
    sc = {**SC, "end": "2022-12-30"}  # 364 days: the last reported (weekly) is day 357
    simulate(MINIMAL, sc, progress=days.append)
    monkeypatch.setenv(FORCE_ENV, "1")
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setattr(tqdm.auto, "tqdm", Recorded)
    simulate(MINIMAL, sc, progress=True)
    assert counts[:len(days)] == [d + 1 for d in days] and counts[0] == 1
    assert counts[-1] == 364 and days[-1] + 1 < 364  # the run's days, the last week's too
    assert "364/364" in sys.stderr.getvalue()
