"""Run folders, manifests and atomic writes.

Every file is written under a temporary name in the same folder and renamed
into place, so an interrupted run never leaves a half-written table.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterator, Mapping, Sequence

    import pandas as pd

__all__ = ["atomic_write_text", "atomic_write_bytes", "atomic_path", "write_table", "write_table_stream", "read_table", "manifest",
           "write_json", "program_fingerprint", "writing_folder"]

PACKAGE = Path(__file__).resolve().parent


class atomic_path:
    """Context manager yielding a temporary path that replaces `path` on success."""

    def __init__(self, path: str | Path, suffix: str = "") -> None:
        self.path = Path(path)
        self.tmp: Path | None = None
        self.suffix = suffix

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=self.suffix + ".tmp", dir=self.path.parent)
        os.close(fd)
        self.tmp = Path(name)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.tmp is not None
        if exc_type is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


@contextmanager
def writing_folder(folder: str | Path) -> "Iterator[None]":
    """An I/O error while an experiment writes, replaces or removes files of its output folder (no permission, a
    read-only or full disk) as an `InputError` naming the file: it was a traceback from whichever write met it,
    often after the work was done. Only around writes: a Dask timeout is an OSError too."""
    from .errors import InputError

    try:
        yield
    except OSError as exc:
        name = exc.filename2 or exc.filename  # os.replace names the temporary file first, its target second
        path = Path(os.fsdecode(name)) if name is not None else Path(folder)
        if path.name.startswith(".") and path.name.endswith(".tmp"):  # a temporary file: its folder is the one meant
            path = path.parent
        raise InputError(path, "<file>", f"cannot write in the output folder ({exc.strerror or exc})") from None


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


# -- run folders -----------------------------------------------------------------

def write_table(df: "pd.DataFrame", folder: str | Path, name: str, fmt: str = "parquet") -> Path:
    """Write one table atomically as Parquet (pyarrow) or CSV."""
    folder = Path(folder)
    path = folder / f"{name}.{fmt}"
    with atomic_path(path, suffix=f".{fmt}") as tmp:
        if fmt == "parquet":
            df.to_parquet(tmp, index=False, engine="pyarrow")
        elif fmt == "csv":
            df.to_csv(tmp, index=False)
        else:
            raise ValueError(f"unknown table format {fmt!r}")
    return path


def write_table_stream(parts: "Sequence[Path]", folder: str | Path, name: str, fmt: str = "parquet") -> Path:
    """Concatenate Parquet files (one table, e.g. one file per replication) into one table,
    one part at a time: a sweep of hundreds of replications never holds them all.

    Parts are cast to one schema (a column that is all null in one part takes the type
    it has in the others); atomic like `write_table`.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    path = folder / f"{name}.{fmt}"
    with atomic_path(path, suffix=f".{fmt}") as tmp:
        if fmt == "parquet":
            schema = pa.unify_schemas([pq.read_schema(p) for p in parts], promote_options="permissive")
            with pq.ParquetWriter(tmp, schema) as writer:
                for p in parts:
                    writer.write_table(pq.read_table(p).select(schema.names).cast(schema))
        elif fmt == "csv":
            for i, p in enumerate(parts):
                pd.read_parquet(p).to_csv(tmp, mode="a" if i else "w", header=i == 0, index=False)
        else:
            raise ValueError(f"unknown table format {fmt!r}")
    return path


def read_table(folder: str | Path, name: str, columns: "Sequence[str] | None" = None,
               where: "Mapping[str, object] | None" = None) -> "pd.DataFrame":
    """Read a table written by `write_table`, whichever format it has, with the types it was written with.

    `columns` and `where` ({column: value or list of values}) read only part of it, never the whole
    table (`selection.read_selected`): the full read filtered, in a fraction of its memory."""
    import pandas as pd

    folder = Path(folder)
    for path in (folder / f"{name}.parquet", folder / f"{name}.csv"):
        if not path.exists():
            continue
        if columns is not None or where is not None:
            from .selection import read_selected

            return read_selected(path, name, columns, where)
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        from .columns import read_csv

        return read_csv(path, name)  # CSV keeps no types: the declared ones
    raise FileNotFoundError(f"no table {name!r} in {folder}: neither {name}.parquet nor {name}.csv")  # either format


def program_fingerprint(root: Path = PACKAGE) -> str:
    """A short hash of the program's source (every .py file below `root`, by path and content).

    The version number does not move with every fix, so a run records this too, and a stored
    replication made by other code is not stacked with new ones (`store.open_scenario`): a fix
    that changes results without changing a column or a scenario field would otherwise mix
    replications of two programs in one table. Cached per root: the source of a running
    program does not change."""
    return _fingerprint(Path(root).resolve())


@cache
def _fingerprint(root: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def manifest(**fields: object) -> dict:
    """Versions of what produced a run, plus the caller's fields (seed, config hash, command)."""
    import platform
    import sys
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for pkg in ("supplychain", "simpy", "networkx", "numpy", "pandas", "pyarrow", "pydantic"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            versions[pkg] = None
    return {"versions": versions, "program": program_fingerprint(), "python": sys.version.split()[0],
            "platform": platform.platform(), "command": _command(sys.argv, getattr(sys, "orig_argv", None)), **fields}


def _command(argv: list[str], orig_argv: list[str] | None = None) -> str:
    """The command line that made the run, as a user would retype it (quoted where an argument needs it).
    Under `python -m supplychain` argv[0] is the package's `__main__.py`, and under `python -c` it is "-c":
    neither reruns anything, so the interpreter's own command line (`orig_argv`) is taken, else
    `python -m <module>` from the path. In a notebook it is the kernel's launcher and its connection file,
    which says nothing about the run: say that it came from a notebook instead."""
    import shlex

    if argv and "ipykernel" in Path(argv[0]).name:
        return "python (a Jupyter kernel; the calls are in the notebook)"
    if argv and (argv[0] == "-c" or Path(argv[0]).name == "__main__.py"):
        if orig_argv:
            return shlex.join(orig_argv)
        if argv[0] != "-c":
            package = Path(argv[0]).resolve().parent
            names = []
            while (package / "__init__.py").is_file():
                names.insert(0, package.name)
                package = package.parent
            if names:
                return shlex.join(["python", "-m", ".".join(names), *argv[1:]])
    return shlex.join(argv)


def write_json(path: str | Path, data: object) -> None:
    import json

    atomic_write_text(path, json.dumps(data, indent=2, default=str))
