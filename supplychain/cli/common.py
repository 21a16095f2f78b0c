"""What all commands share: the bad-input guard, and Ctrl-C and SIGTERM as one clean stop."""

from __future__ import annotations

import os
import signal
import sys
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import typer

from ..arguments import ARGUMENTS
from ..errors import InputError, ScenarioWarning

try:  # Typer >= 0.20 ships its own copy of click; older Typer uses click itself
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - depends on the installed Typer
    from click import get_current_context


#: the option of an API argument whose name differs; the others are `--` + the name
OPTIONS = {"fmt": "--format", "params": "--param", "n_nodes": "--nodes"}


def path_arg(value: Any) -> Path:
    """The parser of every path argument and option: an empty one (`-t ""`, an unset shell variable)
    is a usage error. Click would make it `Path("")`, the working folder, and the command would then
    complain about `nodes.csv` or `.` where the user typed neither."""
    if isinstance(value, Path):  # a default, already a path
        return value
    if not str(value).strip():
        raise typer.BadParameter(f"an empty path; name a file or folder (got {value!r})")
    return Path(value)


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`, a cluster scheduler pre-empting the job) raised like Ctrl-C's `KeyboardInterrupt`.

    A subclass, so every path that stops on Ctrl-C stops on it too: running units are
    terminated with their worker processes, finished replications stay for a resume.
    """


#: seconds a command stopped by Ctrl-C or SIGTERM may take to exit before it is ended outright
EXIT_GRACE_S = 10.0


def exit_soon(code: int, seconds: float | None = None) -> None:
    """End this process with `code` in `seconds` (`EXIT_GRACE_S`) unless it has exited by then.

    For the console script once a command was stopped: the interpreter's exit joins the
    process pool's internal threads, and once in a test suite run one of them stalled after the
    workers were stopped mid-unit, leaving the command hanging after its last line (55 stops
    on their own did not reproduce it; the cause is not found). What the command wrote is
    complete by then (tables are written atomically, a replication counts once its marker is),
    so ending it loses nothing. A daemon timer: a normal exit does not wait for it.
    """
    def end() -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed stream must not keep the process alive
                pass
        os._exit(code)

    timer = threading.Timer(EXIT_GRACE_S if seconds is None else seconds, end)
    timer.daemon = True
    timer.start()


def ignore_ctrl_c() -> None:
    """Once a command has ended (its output complete, its last line printed), a Ctrl-C has nothing left to
    stop: ignored, so that one landing in the interpreter's teardown (a Dask cluster's takes ~0.5 s) neither
    prints an exit hook's KeyboardInterrupt traceback nor, after Python restores the default action late in
    its exit, kills the process silently with status 130, which reads as a run interrupted without the line
    that says so. SIGTERM still ends it; a stopped command still ends within `EXIT_GRACE_S` (`exit_soon`)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def stopped(exc: KeyboardInterrupt) -> tuple[str, int]:
    """What stopped the command, in a word, and its exit status: 128 + the signal's number, as shells report."""
    if isinstance(exc, Terminated):
        return "terminated", 128 + signal.SIGTERM
    return "interrupted", 128 + signal.SIGINT


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While the command runs, SIGTERM raises `Terminated` in the main thread; the previous handler after.

    Only the first SIGTERM raises: a second one must not break into the stop the first began.
    Processes forked meanwhile inherit the handler; in them it does what SIGTERM does by default.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    pid = os.getpid()

    def handler(signum: int, frame: Any) -> None:
        if os.getpid() != pid:  # a forked worker before it reset its signals: die as without the handler
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        signal.signal(signum, signal.SIG_IGN)
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def as_option(exc: InputError) -> InputError:
    """An error about an API argument (`<arguments>: fmt: ...`) told as a bad value of the option
    that set it (`--format`): the commands pass their options to the API by the same names."""
    if exc.file != ARGUMENTS:
        return exc
    name, _, inside = exc.field.partition("[")  # `params[labs.x]`: the value at a path inside the argument
    return InputError.bad_option(OPTIONS.get(name, "--" + name.replace("_", "-")), exc.problem, inside[:-1])


@contextmanager
def guard() -> Iterator[None]:
    """Turn an `InputError` into one line on stderr and exit status 2 (a bad option value names the
    command, as a usage error does: `supplychain run: --seed: must be at least 0 (got -1)`); Ctrl-C (130)
    and SIGTERM (143) into one line and their exit status. `ScenarioWarning`s are silenced: the commands print
    each as their own `warning:` line."""
    try:
        with sigterm_as_interrupt(), warnings.catch_warnings():
            warnings.simplefilter("ignore", ScenarioWarning)  # the commands print their own `warning:` lines
            yield
    except InputError as exc:
        ctx = get_current_context(silent=True)
        typer.echo(str(as_option(exc).on_command_line(ctx.command_path if ctx is not None else "supplychain")), err=True)
        raise typer.Exit(code=2) from None
    except KeyboardInterrupt as exc:
        word, code = stopped(exc)
        typer.echo(word, err=True)
        raise typer.Exit(code=code) from None
