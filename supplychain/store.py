"""The replication store: results kept per replication as each completes, for resume.

Layout inside an experiment folder:

    <out>/replications/<scenario>/config.json          scenario, config hash, seed, tables, program and plug-in fingerprints
    <out>/replications/<scenario>/rep_0003/<table>.parquet
    <out>/replications/<scenario>/rep_0003/done.json   written last

Each table file is written atomically, and `done.json` only after all of them,
so a replication counts as stored exactly when its marker exists; a folder
without one (the run was killed while writing it) is computed again. Rerunning
the same command therefore computes only what is missing.

A scenario folder made with another configuration (a different config hash
or seed), by a program writing other tables (their columns' fingerprint) or by
other code (the program's source fingerprint: a fix may change results without
changing a column; likewise the user's plug-ins the scenario names) is never reused silently: `open_scenario` raises an `InputError` unless
`fresh=True`, which discards it.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from .arguments import ARGUMENTS
from .columns import run_tables_fingerprint
from .errors import InputError, short
from .outputs import program_fingerprint, write_json, write_table, writing_folder

__all__ = ["ScenarioStore", "open_scenario", "claim_folder", "folder_lock", "FolderInUse", "drop_derived", "safe_name",
           "DONE", "LOCK"]

#: what `compare`, `sweep` and `report` write beside a run's tables, from them: stale once they change
DERIVED = ("compare", "sweep", "figures", "report.html")

DONE = "done.json"
CONFIG = "config.json"
#: under `replications/`, so a folder holding only it still reads as a run folder (`arguments.check_out`)
LOCK = ".lock"


class FolderInUse(InputError):
    """Another experiment is writing the output folder: refused before anything is written, and what the
    folder holds is that experiment's, not this one's to clean up after (`no_half_written_output`)."""


@contextmanager
def folder_lock(root: Path) -> Iterator[None]:
    """Hold `root` for one experiment at a time (a POSIX lock on `replications/.lock`).

    Two runs into one --out (a job array whose tasks share it, a notebook beside a cluster job) each
    rebuilt the tables from replications the other was writing and removed what the other had made:
    both stopped with a traceback and the folder was gone. The second is now an `InputError` naming the
    holder. The kernel drops the lock with its process (a killed run leaves none stale), and worker
    processes forked meanwhile do not hold it (a pool a notebook keeps for its next run); it works on
    NFS too. Where the file system has no locks the run goes on unguarded, as before.
    """
    path = Path(root) / "replications" / LOCK
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")
    except OSError as exc:  # a read-only place (/proc, a full or read-only disk, no permission)
        raise InputError(ARGUMENTS, "out", f"cannot make the folder ({exc.strerror or exc}) (got {str(root)!r})") from None
    with handle:
        try:
            import fcntl

            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # Windows: unguarded
            pass
        except OSError as exc:  # held; or a file system without locks (another errno): unguarded
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise FolderInUse(root, "<folder>", f"{holder} is writing this folder; wait for it to end, or choose "
                                                    "another --out (out=)") from None
        else:
            handle.seek(0)
            handle.truncate()
            handle.write(f"process {os.getpid()} on {socket.gethostname()}\n")
            handle.flush()
        yield


def safe_name(name: str) -> str:
    """A scenario name as a folder name (anything odd becomes `_`; `.` and `..` would name the folder above)."""
    safe = re.sub(r"[^A-Za-z0-9._+=-]", "_", name) or "_"
    return safe.replace(".", "_") if safe.strip(".") == "" else safe


def _redo(folder: Path) -> str:
    """What to do about a stored replication (its `rep_NNNN` folder) that is damaged."""
    return f"rerun with --fresh (fresh=True) to start over, or remove {folder.name} to compute that replication again"


@dataclass(frozen=True)
class ScenarioStore:
    """The stored replications of one scenario."""

    folder: Path
    scenario: str
    config_hash: str
    seed: int

    def rep_dir(self, replication: int) -> Path:
        return self.folder / f"rep_{replication:04d}"

    def is_done(self, replication: int) -> bool:
        """Whether the replication is stored, its files checked (`check_stored`) if it is."""
        folder = self.rep_dir(replication)
        if folder.exists() and not folder.is_dir():  # `save` would fail on it after the run's work
            raise InputError(folder, "<file>", f"a file where a stored replication's folder goes; {_redo(folder)}")
        if not (folder / DONE).is_file():
            return False
        self.check_stored(replication)
        return True

    def check_stored(self, replication: int) -> None:
        """A replication as `save` stored it: a marker listing the run's tables, each a Parquet file with its
        declared columns. Anything else (a file edited, cut short, removed or copied over another) is an
        `InputError` naming it, before any work: the resume read it with a traceback after the new replications
        were computed, or stacked one table's columns as another's without a word."""
        import pyarrow.parquet as pq

        from .columns import COLUMNS
        from .engine.record import TABLES

        folder = self.rep_dir(replication)
        marker = folder / DONE
        try:
            listed = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # not UTF-8, or not JSON
            listed = None
        listed = listed.get("tables") if isinstance(listed, dict) else None
        if not isinstance(listed, list) or sorted(map(str, listed)) != sorted(TABLES):
            raise InputError(marker, "tables", f"damaged: not a JSON object listing the tables a run stores "
                                               f"({', '.join(TABLES)}); {_redo(folder)}")
        for name in TABLES:
            path = self.table_path(replication, name)
            if not path.is_file():
                raise InputError(path, "<file>", f"missing from a stored replication; {_redo(folder)}")
            try:
                names = pq.read_schema(path).names
            except (OSError, ValueError):  # not Parquet, or cut short (pyarrow's errors are both)
                raise InputError(path, "<file>", f"damaged: not a Parquet table, or cut short; {_redo(folder)}") from None
            if names != list(COLUMNS[name]):
                raise InputError(path, "<file>", f"not the {name} table a run stores (its columns: {short(names, 60)}); "
                                                 f"{_redo(folder)}")

    def save(self, replication: int, tables: dict[str, pd.DataFrame], info: dict | None = None) -> None:
        """Write one replication's tables atomically, then its done-marker."""
        folder = self.rep_dir(replication)
        with writing_folder(folder):
            (folder / DONE).unlink(missing_ok=True)
            folder.mkdir(parents=True, exist_ok=True)
            for name, df in tables.items():
                write_table(df, folder, name, "parquet")
            write_json(folder / DONE, {"scenario": self.scenario, "replication": replication, "tables": sorted(tables),
                                       "config_hash": self.config_hash, "seed": self.seed, **(info or {})})

    def tables(self, replication: int) -> list[str]:
        """Names of the tables stored for a replication."""
        return list(json.loads((self.rep_dir(replication) / DONE).read_text())["tables"])

    def table_path(self, replication: int, name: str) -> Path:
        return self.rep_dir(replication) / f"{name}.parquet"

    def load(self, replication: int, names: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
        """A replication's tables (all, or those in `names` it has)."""
        have = self.tables(replication)
        want = have if names is None else [n for n in have if n in set(names)]
        return {name: pd.read_parquet(self.table_path(replication, name)) for name in want}


def claim_folder(root: Path, kind: str, *, fresh: bool = False) -> None:
    """Check that `root` may take an experiment of `kind` (run, compare, sweep) before anything is written.

    A folder holding another kind of experiment is refused: its comparison or sweep tables and
    its report would stay beside tables they no longer describe, and `load_run` would read
    them as this run's. With `fresh` the folder is taken over: every replication stored in it, and what
    was derived from its old tables, goes."""
    from .arguments import FORMATS
    from .engine.record import TABLES

    # a folder where the run writes (or removes) a file: os.replace and unlink failed on it with a traceback at the
    # end, once the work was done and the old manifest removed, leaving the folder unfinished
    for name in (*(f"{t}.{f}" for t in TABLES for f in FORMATS), "manifest.json", "summary.md"):
        if (Path(root) / name).is_dir():
            raise InputError(Path(root) / name, "<file>", "a folder where the run writes a file; move it away, "
                                                          "or choose another --out (out=)")
    manifest = Path(root) / "manifest.json"
    try:
        old = json.loads(manifest.read_text()).get("kind")
    except (OSError, ValueError, AttributeError):  # no folder yet, no manifest, one that is not JSON
        old = None
    if old is not None and old != kind and not fresh:
        raise InputError(root, "kind", f"the folder holds a {old} (manifest.json); choose another --out (out=), "
                                       f"or rerun with --fresh (fresh=True) to replace it by this {kind} (got {kind!r})")
    if fresh:  # starting over: the old run's manifest (the mark of a finished folder) and what was made from it go
        # now, so a run stopped before its own tables are written leaves a folder `load_run` refuses (rerunning
        # finishes it), not the old run's tables and summary read as this one's
        with writing_folder(root):
            drop_derived(root)
            for stale in ("manifest.json", "summary.md"):
                (Path(root) / stale).unlink(missing_ok=True)
            # every scenario's stored replications, not only this command's: a sweep's points no longer in the
            # command, or another run's scenario, stayed on disk, reused later under the same configuration.
            # The lock stays: removing the held file would let a second run lock a new one beside this run
            stored = Path(root) / "replications"
            for path in stored.iterdir() if stored.is_dir() else ():
                if path.name == LOCK:
                    continue
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()


def drop_derived(root: Path) -> None:
    """Remove what was made from a folder's old tables (comparison, sweep, figures, report)."""
    for name in DERIVED:
        path = Path(root) / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def open_scenario(root: Path, scenario: str, config_hash: str, seed: int, *, plugins: str | None = None) -> ScenarioStore:
    """The store of `scenario` under `root/replications`, checked against its configuration (`plugins`:
    the fingerprint of the user's plug-ins it names, `plugins.plugins_fingerprint`). `--fresh` has emptied
    `replications/` before (`claim_folder`)."""
    folder = Path(root) / "replications" / safe_name(scenario)
    config = folder / CONFIG
    tables, program = run_tables_fingerprint(), program_fingerprint()
    if config.is_file():
        try:
            old = json.loads(config.read_text())
        except ValueError:
            old = {}
        if not isinstance(old, dict):  # JSON, not an object (edited by hand): a store of unknown origin, not a traceback
            old = {}
        mine = {"config hash": config_hash, "seed": seed, "tables": tables, "program": program, "plugins": plugins}
        theirs = {"config hash": old.get("config_hash"), "seed": old.get("seed"), "tables": old.get("tables"),
                  "program": old.get("program"), "plugins": old.get("plugins")}
        what = next((k for k in mine if theirs[k] != mine[k]), None)
        if what is not None:
            was, now = (str(x)[:12] if isinstance(x, str) else "none recorded" if x is None else x
                        for x in (theirs[what], mine[what]))
            made = (f"written with other table columns (fingerprint {was}; this program's {now})" if what == "tables"
                    else f"made by other code (source fingerprint {was}; this program's {now})" if what == "program"
                    else f"made by other plug-in code (fingerprint {was}; this run's {now})" if what == "plugins"
                    else f"made with {what} {was}, this run has {now}")
            raise InputError(folder, what, f"stored replications were {made}; "
                                           "rerun with --fresh (fresh=True) to discard them, or choose another --out (out=)")
    folder.mkdir(parents=True, exist_ok=True)
    if not config.is_file():
        write_json(config, {"scenario": scenario, "config_hash": config_hash, "seed": seed, "tables": tables,
                            "program": program, **({"plugins": plugins} if plugins else {})})
    return ScenarioStore(folder, scenario, config_hash, seed)
