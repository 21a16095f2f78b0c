"""Checks of the arguments the Python API and the CLI share: one check each, so both refuse alike.

A bad argument is an `InputError` from `ARGUMENTS` that names the argument and the value,
e.g. `<arguments>: replications: must be at least 1 (got 0)`. The CLI says the same as a bad
value of the option (`supplychain run: --replications: must be at least 1 (got 0)`, see
`cli.common.guard`), so the checks read the argument names of `simulate`, `run_experiment`,
`compare` and `sweep`.
"""

from __future__ import annotations

import operator
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import InputError, short as _show

__all__ = ["ARGUMENTS", "FORMATS", "MAX_UNITS", "given_path", "whole", "check_format", "scheduler_problem", "check_scheduler", "check_out",
           "check_run"]

#: the "file" of an InputError about a function's argument
ARGUMENTS = "<arguments>"
#: table formats of a run folder
FORMATS = ("parquet", "csv")
#: the most replications per scenario, and points of a sweep: every unit is planned before the first runs,
#: so 10^9 held the command for minutes before it failed or ran out of memory (a baseline replication takes seconds)
MAX_UNITS = 100_000


def given_path(name: str, value: str | Path) -> Path:
    """A path argument as a `Path`, `~` expanded; an empty string is refused. `Path("")` is the working
    folder, so `load_topology("")` (an unset variable) said `nodes.csv: no such file`, naming neither."""
    if not isinstance(value, (str, os.PathLike)):  # `Path(...)` raised a TypeError traceback
        raise InputError(ARGUMENTS, name, f"expected a file or folder path (got {type(value).__name__} {_show(value)})")
    if isinstance(value, str) and not value.strip():
        raise InputError(ARGUMENTS, name, f"an empty path; name a file or folder (got {value!r})")
    return Path(value).expanduser()


def whole(name: str, value: Any, minimum: int, maximum: int | None = None) -> int | None:
    """`value` as an int of at least `minimum`; None (the default) stays None.

    Integers of any kind (numpy's too) pass; bools, floats and strings do not: `seed="7"`
    or `replications=2.5` is more likely a slip than a wish, and numpy would refuse it later
    in words that name neither the argument nor the value.
    """
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        raise InputError(ARGUMENTS, name, f"must be a whole number, at least {minimum} (got {_show(value)})") from None
    if number < minimum:
        raise InputError(ARGUMENTS, name, f"must be at least {minimum} (got {number})")
    if maximum is not None and number > maximum:
        raise InputError(ARGUMENTS, name, f"must be at most {maximum:,} (got {_show(number)})")
    return number


def check_format(fmt: Any) -> str:
    if fmt not in FORMATS:
        raise InputError(ARGUMENTS, "fmt", f"use parquet or csv (got {_show(fmt)})")
    return fmt


#: the address schemes of Dask's comms (distributed.comm.registry)
DASK_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


def scheduler_problem(address: Any) -> str | None:
    """What is wrong with a scheduler (a Dask address tcp://HOST:PORT, `local`, or None: no Dask), if anything."""
    if address is None or address == "local":
        return None
    if not isinstance(address, str) or "://" not in address:
        return f"{_show(address)} is not tcp://HOST:PORT or local"
    scheme = address.split("://", 1)[0]
    if scheme not in DASK_SCHEMES:
        return f"unknown address scheme {scheme!r}; Dask's are {', '.join(DASK_SCHEMES)} (got {_show(address)})"
    if scheme == "inproc":
        return None
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError as exc:  # a port that is not a number, an unclosed [IPv6 bracket
        return f"not a HOST:PORT address ({exc}) (got {_show(address)})"
    if not parts.hostname or (parts.path not in ("", "/")) or parts.query or parts.fragment:
        return f"not a {scheme}://HOST:PORT address (got {_show(address)})"
    if port is None and scheme in ("tcp", "tls"):  # Dask's own parser refuses these at connect; ws has the web's
        return f"no port: {scheme}://HOST:PORT (got {_show(address)})"
    return None


def check_scheduler(scheduler: Any) -> str | None:
    problem = scheduler_problem(scheduler)
    if problem:
        raise InputError(ARGUMENTS, "scheduler", problem)
    return scheduler


def file_on_the_way(path: Path) -> Path | None:
    """The nearest existing parent of `path` if it is not a folder (`run.log/out`): nothing can be made there."""
    for parent in path.absolute().parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def check_out(out: Any) -> Path | None:
    """The output folder: None (nothing written), or a path that is not a file and, if it holds
    files, is a run folder (manifest.json or replications/): a run writes its tables there and
    removes those of the other format, so it would overwrite or delete the user's own `orders.csv`."""
    if out is None:
        return None
    folder = given_path("out", out)  # not a folder named `~` here, which pandas' readers would then miss
    try:  # bytes a file system name may hold, kept as surrogates: pyarrow wrote no table there (UnicodeEncodeError)
        str(folder).encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(ARGUMENTS, "out", f"the path is not UTF-8 text; tables cannot be written there (got {_show(str(folder))})") from None
    try:
        if folder.exists() and not folder.is_dir():
            raise InputError(ARGUMENTS, "out", f"exists and is not a folder (got {str(folder)!r})")
        if folder.is_symlink() and not folder.exists():  # else "cannot make the folder (File exists)"
            raise InputError(ARGUMENTS, "out", f"a link to {str(folder.readlink())!r}, which does not exist (got {str(folder)!r})")
        blocker = file_on_the_way(folder)
        if blocker is not None:
            raise InputError(ARGUMENTS, "out", f"cannot make the folder: {str(blocker)!r} is a file (got {str(folder)!r})")
        run = (folder / "manifest.json").is_file() or (folder / "replications").is_dir()
        others = folder.is_dir() and not run and any(folder.iterdir())
    except OSError as exc:  # a name too long, a folder that cannot be listed
        raise InputError(ARGUMENTS, "out", f"cannot use the folder ({exc.strerror or exc}) (got {_show(str(folder))})") from None
    if others:
        raise InputError(ARGUMENTS, "out", "the folder has files and is not a run folder (no manifest.json or "
                                           f"replications/); choose a new or empty folder (got {str(folder)!r})")
    return folder


def check_run(*, seed: Any = None, replications: Any = None, workers: Any = None, scheduler: Any = None,
              fmt: Any = "parquet", out: Any = None) -> dict[str, Any]:
    """The arguments every experiment takes, checked before any work: the same names, values converted."""
    return {"seed": whole("seed", seed, 0), "replications": whole("replications", replications, 1, MAX_UNITS),
            "workers": whole("workers", workers, 1), "scheduler": check_scheduler(scheduler),
            "fmt": check_format(fmt), "out": check_out(out)}
