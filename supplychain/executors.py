"""Executors: where work units run. One seam, three implementations.

A work unit is a picklable callable's argument (seeds in); its result is small
(tables out). Every executor has the same shape:

    with make_executor(workers=..., scheduler=...) as ex:
        for index, result in ex.run(fn, items):   # everything is submitted here
            ...                     # results arrive as they complete, any order

- `SerialExecutor`: in this process, one after another (debugging, 1 worker).
- `ProcessExecutor`: local processes (`concurrent.futures.ProcessPoolExecutor`),
  default all cores; the default executor. The parent alone decides when its
  workers stop (`worker_setup`): they ignore Ctrl-C, die on SIGTERM, and exit
  if the parent dies, so none goes on computing or writing as an orphan.
- `DaskExecutor`: a Dask distributed cluster, by address (`tcp://HOST:PORT`)
  or a `LocalCluster` started for the run (`"local"`). Workers must be able to
  import `supplychain` (the same version); inputs travel with each unit, so
  workers need no shared file system.

The executor never changes a result: units carry their seeds, so the same
seed gives the same tables on any executor.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection
import os
import pickle
import signal
import sys
import threading
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterator, Sequence

from .arguments import ARGUMENTS, check_scheduler, whole
from .errors import InputError, PluginError

__all__ = ["Executor", "SerialExecutor", "ProcessExecutor", "WorkerLost", "DaskExecutor", "make_executor", "default_workers",
           "worker_setup"]

#: seconds to wait for a Dask scheduler before giving up
CONNECT_TIMEOUT_S = 10.0


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worker_setup() -> None:
    """Run first in each local worker process (and the progress manager): the parent alone decides when it stops.

    Ctrl-C reaches the terminal's whole process group: workers ignore it and the parent's abort
    path terminates them, so they stop at once and print no tracebacks. SIGTERM goes back to its
    default, death: a forked worker inherits the CLI's SIGTERM handler, which would turn that
    terminate into an exception the worker loop survives. A parent killed outright (SIGKILL, the
    OOM killer) cannot stop its workers, so each waits on its parent's sentinel (a pipe the
    kernel closes when the parent dies) and exits then, instead of computing and writing into the
    output folder as an orphan and then blocking forever on a queue nobody feeds.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = mp.parent_process()
    if parent is not None and parent.sentinel is not None:
        threading.Thread(target=_exit_with_parent, args=(parent.sentinel,), name="supplychain-parent-watch",
                         daemon=True).start()


def dask_setup(worker: Any) -> None:
    """Run by each worker of the local Dask cluster as it starts (its `preload`): it ignores Ctrl-C, as
    `worker_setup` makes local worker processes do. Ctrl-C reaches the terminal's whole process group, and a
    worker that took it printed a KeyboardInterrupt traceback under the command's `interrupted` line; the
    parent stops its workers when it closes the cluster."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while the main thread forks workers, and deliver them after.

    Python runs a signal's handler at the next bytecode of the main thread; right after a
    fork that is an at-fork hook (logging's), where the exception the CLI's handler raises to
    stop the run is printed as ignored and dropped, so the run went on. Here a signal is only
    noted, and sent again once the forks are done, to the handlers in place before.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    before = {s: signal.signal(s, lambda signum, frame: got.append(signum)) for s in held}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        for s in dict.fromkeys(got):
            os.kill(os.getpid(), s)


@contextmanager
def _workers_shielded() -> Iterator[None]:
    """Block Ctrl-C in the main thread while a local Dask cluster starts its worker processes.

    Ctrl-C reaches the terminal's whole process group, and a worker still starting (importing, before its
    preload `dask_setup` ignores Ctrl-C) printed a KeyboardInterrupt traceback or a "Fatal Python error"
    from its `site` import. A blocked signal stays blocked in the threads started meanwhile (the cluster's
    event loop, the nannies' process threads) and across fork and exec: the workers never take it, and
    here it stays pending until the mask is restored. multiprocessing's resource tracker unblocks Ctrl-C
    in the thread that first starts it, so it is started here first, outside the block.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield  # (Windows has no signal masks)
        return
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _exit_with_parent(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)  # nobody is left to report to: no cleanup, no output


class Executor:
    """Runs `fn(item)` for each item; yields `(index, result)` as each completes."""

    name = "executor"
    workers = 1
    #: workers share this machine's files: a unit can store its own tables instead of sending them back
    same_machine = True

    def run(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Submit every item now; iterate to receive `(index, fn(item))` as each completes."""
        raise NotImplementedError

    def close(self, abort: bool = False) -> None:
        """Release the workers; `abort` (an error or Ctrl-C) stops running units instead of waiting."""

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        self.close(abort=exc_type is not None)


class SerialExecutor(Executor):
    name = "serial"

    def run(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for i, item in enumerate(items):
            yield i, fn(item)


class WorkerLost(BrokenProcessPool):
    """A worker died mid-unit (the out-of-memory killer, a job's memory limit, `kill -9`): a local pool is broken
    and its other units lost, a Dask cluster gave up on the unit (`KilledWorker`: every worker that ran it died),
    but the replications stored before stay for a rerun to resume. Was a traceback (`BrokenProcessPool`, still
    its base class, or `KilledWorker`), and the command's clean-up removed the whole folder."""


class ProcessExecutor(Executor):
    """Local worker processes; forked on POSIX (fast start, the package is already imported)."""

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or default_workers())
        method = "fork" if sys.platform != "win32" and "fork" in mp.get_all_start_methods() else None
        self._ctx = mp.get_context(method)
        self._pool: ProcessPoolExecutor | None = None

    def run(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        if not items:
            return iter(())
        with signals_deferred():  # the first submit forks every worker
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=min(self.workers, len(items)), mp_context=self._ctx,
                                                 initializer=worker_setup)
            futures = {self._pool.submit(_sendable, fn, item): i for i, item in enumerate(items)}
        return self._collect(futures)

    @staticmethod
    def _collect(futures: dict) -> Iterator[tuple[int, Any]]:
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=futures.__getitem__):
                    yield futures[fut], _result(fut)
        except BrokenProcessPool as exc:
            if "terminated abruptly" not in str(exc):  # a result that did not unpickle: not a lost worker
                raise
            raise WorkerLost("a worker process was killed (out of memory, or the job's limits?)") from None
        finally:
            for fut in pending:
                fut.cancel()

    def close(self, abort: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if abort:
            procs = list((getattr(pool, "_processes", None) or {}).values())  # no public way to stop running units
            manager = getattr(pool, "_executor_manager_thread", None)  # shutdown() forgets it
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                if proc.is_alive():
                    proc.terminate()
            for proc in procs:
                proc.join(timeout=10)
            for proc in procs:  # SIGTERM ignored or stuck: none may outlive the parent
                if proc.is_alive():
                    proc.kill()
                    proc.join(timeout=10)
            # Let the pool's manager thread see its workers gone and end: it closes its wakeup pipe as it
            # ends, and CPython 3.11's exit hook (concurrent.futures.process._python_exit) writes to that
            # pipe unlocked, so a close racing the exit printed "OSError: [Errno 9] Bad file descriptor"
            # under "Exception ignored in: threading" after the resume line (5 runs in 55 of the Ctrl-C test)
            if manager is not None and manager.is_alive():
                manager.join(timeout=10)
        else:
            pool.shutdown(wait=True, cancel_futures=True)


def _sendable(fn: Callable[[Any], Any], item: Any) -> Any:
    """`fn(item)` in a worker (a process or a Dask worker), whose error must come back whole: a pool that
    cannot unpickle what a worker sent breaks (BrokenProcessPool, every unit lost). An error whose chain
    cannot make the trip (the user's exception holds a lock, or its constructor's arguments are not its
    `args`) is sent without the chain. The one check for every way an error is pickled: `PluginError`'s
    own, which carries its cause, and tblib's, which `distributed` installs for every exception class."""
    try:
        return fn(item)
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 - whatever the user's exception does
            exc.__cause__ = exc.__context__ = None
        raise


def _result(fut: Any) -> Any:
    """`fut.result()`; a `PluginError`'s cause is the exception the user's code raised, as in one process.
    concurrent.futures makes the worker's traceback text every error's cause: it becomes that exception's
    cause instead (it names the user's line), and `PluginError.__setstate__` left the exception in
    `__context__`."""
    try:
        return fut.result()
    except PluginError as exc:
        raised = exc.__context__
        if raised is not None and exc.__cause__ is not raised:
            raised.__cause__, exc.__cause__ = exc.__cause__, raised
        raise


class DaskExecutor(Executor):
    """A Dask distributed cluster: `address` = `tcp://HOST:PORT`, or `"local"` for a LocalCluster."""

    name = "dask"

    def __init__(self, address: str = "local", workers: int | None = None, timeout: float | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - optional dependency
            raise InputError(ARGUMENTS, "scheduler", "Dask is not installed (pip install 'supplychain[dask]')") from None
        import logging

        self.address = address
        self._cluster = None
        self.same_machine = address == "local"
        if address == "local":
            n = max(1, workers or default_workers())
            # no dashboard; the scheduler's HTTP server (health checks) still starts: on a free local port, as
            # the default 8787 taken by another cluster printed Dask's "Port 8787 is already in use" warning
            try:
                with _workers_shielded(), signals_deferred():
                    self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, preload=[__name__],
                                                 dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
                                                 silence_logs=logging.CRITICAL)
                    self._client = Client(self._cluster)
            except BaseException:  # a Ctrl-C held through the start lands here: stop the cluster, then go on stopping
                self._close_quietly()
                raise
        else:
            check_scheduler(address)
            try:
                self._client = Client(address, timeout=f"{timeout or CONNECT_TIMEOUT_S}s")
            except (OSError, TimeoutError) as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise InputError(ARGUMENTS, "scheduler", f"cannot reach the Dask scheduler at {address!r} ({reason[:120]})") from None
            except ValueError as exc:  # an address Dask cannot parse that passed the check above
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise InputError(ARGUMENTS, "scheduler", f"not a Dask address ({reason[:120]}) (got {address!r})") from None
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))

    def describe(self) -> str:
        where = "local cluster" if self._cluster is not None else self.address
        return f"dask {where} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def run(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        if not items:
            return iter(())
        futures = [self._client.submit(_sendable, fn, item, pure=False) for item in items]
        return self._collect(futures)

    def _collect(self, futures: list) -> Iterator[tuple[int, Any]]:
        from distributed import KilledWorker, as_completed

        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in as_completed(futures):
                try:
                    result = fut.result()
                except KilledWorker:
                    raise WorkerLost("the Dask workers that ran a unit died (out of memory, or the job's limits?)") from None
                i = index[fut.key]
                fut.release()
                yield i, result
        finally:
            self._client.cancel([f for f in futures if not f.done()])

    def close(self, abort: bool = False) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def _close_quietly(self) -> None:
        """Stop what a start that did not finish made. The error that stopped the start is the one to
        report; left running, the cluster is closed by Dask's exit hook, which prints a traceback."""
        for part in (getattr(self, "_client", None), self._cluster):
            if part is not None:
                try:
                    part.close()
                except Exception:  # noqa: BLE001 - a half-started part may fail to close; nothing to add
                    pass


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor a command asked for.

    `scheduler` set: Dask (`"local"` or an address). Else `workers == 1`:
    serial; else local processes (`workers` None = all cores).
    """
    workers = whole("workers", workers, 1)
    scheduler = check_scheduler(scheduler)
    if scheduler:
        return DaskExecutor(scheduler, workers)
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(workers)
