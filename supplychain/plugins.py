"""Plug-ins: the registries a user extends, which of them a run uses, and loading a user's own.

Three registries take user code: allocation rules (`engine.allocation.register_allocation`),
lab ordering policies (`engine.ordering.register_ordering`) and shock kinds
(`engine.shocks.register_shock_kind`). Code that registers is a module: imported in Python,
or named on the command line with `supplychain --plugin MODULE_OR_FILE.py ...` (`load_plugin`),
before the files that name its entries are read. Forked workers inherit the registries; a Dask
work unit carries the entries its topology and scenario name (`plugins_used`).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

from .arguments import ARGUMENTS
from .engine import allocation, ordering, shocks
from .engine.ordering import ORDERING_POLICIES, orderings_used
from .engine.allocation import ALLOCATION_RULES, rules_used
from .engine.shocks import SHOCK_KINDS, shock_kinds_used
from .errors import InputError, PluginError, exception_text, short

__all__ = ["REGISTRIES", "plugins_used", "plugins_fingerprint", "install", "load_plugin"]

#: registry name -> the registry (name -> entry)
REGISTRIES: dict[str, dict[str, Any]] = {"allocation": ALLOCATION_RULES, "ordering": ORDERING_POLICIES,
                                         "shock": SHOCK_KINDS}


#: modules `load_plugin` loaded from files: no worker can import them, so their entries travel by value
_FROM_FILES: set[str] = set()
#: module name -> the files `load_plugin` read with it (the plug-in file and the modules beside it it imported)
_FILES_OF: dict[str, tuple[str, ...]] = {}
#: registry name -> its built-in entries
_BUILT_IN: dict[str, dict[str, Any]] = {"allocation": allocation.BUILT_IN, "ordering": ordering.BUILT_IN,
                                        "shock": shocks.BUILT_IN}


@dataclass(frozen=True)
class _ByValue:
    """An entry pickled by value (cloudpickle), for workers that cannot import its module. In this process
    (a serial run) it is the entry itself: a copy would take the registry's place, and a closure's state
    (what a user's rule records) would no longer be the user's."""

    data: bytes
    entry: Any = field(default=None, compare=False, repr=False)

    def __reduce__(self) -> tuple:
        return (_ByValue, (self.data,))


@dataclass(frozen=True)
class _Inherited:
    """An entry no pickler can send (it holds a lock, an open file, a connection): a forked worker has it
    already, from the registry it inherited, and takes that one (`install`); a Dask worker, which has not,
    refuses the unit in one line rather than the pool failing with a traceback. In this process it is the
    entry itself."""

    registry: str
    name: str
    why: str
    entry: Any = field(default=None, compare=False, repr=False)

    def __reduce__(self) -> tuple:
        return (_Inherited, (self.registry, self.name, self.why))


def _packed(registry: str, name: str, entry: Any) -> Any:
    module = getattr(getattr(entry, "decide", entry), "__module__", None)  # an ordering policy wraps its function
    if module not in _FROM_FILES:
        try:  # a built-in or an importable module's: by reference; a notebook's: by value already (cloudpickle)
            pickle.dumps(entry)
            return entry
        except Exception:  # noqa: BLE001 - a lambda, or a function a factory made: no name to find it by
            pass  # local worker processes pickle with pickle, not cloudpickle: by value, or the unit cannot be sent
    import cloudpickle  # loaded from a file: `load_plugin` registered its module by value

    try:
        return _ByValue(cloudpickle.dumps(entry), entry)
    except Exception as exc:  # noqa: BLE001 - it holds what no pickler sends (a lock, an open file)
        return _Inherited(registry, name, exception_text(exc), entry)


def plugins_used(model: Any, scenario: Any) -> tuple[tuple[str, str, Any], ...]:
    """(registry, name, entry) of the allocation rules, ordering policies and shock kinds a topology
    and scenario name, as registered here: a Dask worker has only the built-in ones, so a work unit
    carries them (cloudpickle sends one defined in a notebook by value, one from a module by reference,
    one from a file `load_plugin` read by value). One that pickle cannot find by name (a lambda, a function
    a factory made) goes by value too: local worker processes receive their units through pickle."""
    used = [("allocation", rules_used(model)), ("ordering", orderings_used(scenario)), ("shock", shock_kinds_used(scenario))]
    return tuple((registry, name, _packed(registry, name, entry)) for registry, pairs in used for name, entry in pairs)


def _compiled(code: CodeType) -> bytes:
    """A function's compiled code without its file name and line numbers (a notebook cell's file name
    changes with every kernel): the instructions, names and constants, nested functions included."""
    consts = [_compiled(c) if isinstance(c, CodeType) else repr(c).encode() for c in code.co_consts]
    return code.co_code + repr(code.co_names).encode() + b"\0".join(consts)


#: values a function holds that a fingerprint reads: a factory's parameters, a default argument
_PLAIN = (int, float, complex, str, bytes, type(None))


def _held(value: Any, depth: int = 0) -> bytes:
    """A value a function holds, as bytes: plain values and tuples of them, and functions (a decorator's
    wrapped one) by their code and what they hold. Anything else by its type alone: a list or an object a
    rule records into changes as it runs, and would make every rerun look like an edit."""
    if isinstance(value, _PLAIN):
        return repr(value).encode()
    if isinstance(value, tuple):
        return b"(" + b",".join(_held(v, depth) for v in value) + b")"
    code = getattr(value, "__code__", None)
    if isinstance(code, CodeType) and depth < 4:
        return _compiled(code) + _bound(value, depth + 1)
    return f"{type(value).__module__}.{type(value).__qualname__}".encode()


def _bound(fn: Any, depth: int = 0) -> bytes:
    """What a function holds beside its code, which its results depend on: its default arguments and the
    values its closure captured (`make(0.25)` and `make(1.0)` of one factory have the same code)."""
    cells = []
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            cells.append(cell.cell_contents)
        except ValueError:  # a cell not yet filled
            cells.append(None)
    kw = tuple(sorted((getattr(fn, "__kwdefaults__", None) or {}).items()))
    defaults = getattr(fn, "__defaults__", None) or ()
    return _held((defaults, kw, tuple(cells)), depth) if defaults or kw or cells else b""


def _code(entry: Any) -> bytes:
    """What an entry's results depend on, as bytes: the files its module was read from (a `--plugin`
    file with the modules beside it, or an imported module's file), else its compiled code (one defined
    in a notebook or the script being run, whose other edits should not count); and in both cases the
    values the function holds (`_bound`), which a call in a notebook may set for a module's factory."""
    fn = getattr(entry, "decide", entry)
    extra = repr((entry.defaults, entry.every_review)).encode() if isinstance(entry, ordering.OrderingPolicy) else b""
    extra += _bound(fn)
    name = getattr(fn, "__module__", None) or ""
    module = sys.modules.get(name) if name != "__main__" else None
    files = _FILES_OF.get(name) if module is not None else None
    if files is None and getattr(module, "__file__", None):
        files = (module.__file__,)
    if files and all(Path(f).is_file() for f in files):
        return extra + b"".join(Path(f).read_bytes() + b"\0" for f in files)
    code = getattr(fn, "__code__", None)
    return extra + (_compiled(code) if code is not None else f"{type(fn).__module__}.{type(fn).__qualname__}".encode())


def plugins_fingerprint(model: Any, scenario: Any) -> str | None:
    """A short hash of the code of the user's plug-ins a topology and scenario name (None: built-ins only).
    The replication store records it, so replications made by an earlier version of a plug-in are not
    reused by a rerun after it was edited: neither the scenario's config hash nor the program's source
    fingerprint sees that code."""
    used = [("allocation", rules_used(model)), ("ordering", orderings_used(scenario)), ("shock", shock_kinds_used(scenario))]
    h, any_user = hashlib.sha256(), False
    for registry, pairs in used:
        for name, entry in pairs:
            if _BUILT_IN[registry].get(name) is entry:
                continue
            any_user = True
            h.update(f"{registry}.{name}".encode() + b"\0" + _code(entry) + b"\0")
    return h.hexdigest()[:12] if any_user else None


def install(plugins: tuple[tuple[str, str, Any], ...]) -> None:
    """Register `plugins_used` entries where they are missing (a Dask worker; a forked one has them)."""
    for registry, name, entry in plugins:
        if isinstance(entry, _ByValue):
            entry = entry.entry if entry.entry is not None else pickle.loads(entry.data)
        elif isinstance(entry, _Inherited):
            if entry.entry is not None:  # this process: the entry itself
                entry = entry.entry
            else:  # a worker: a forked one inherited the user's entry; one that did not has a built-in or none
                current = REGISTRIES[registry].get(name)
                if current is None or _BUILT_IN[registry].get(name) is current:
                    raise PluginError(registry, name, f"cannot be sent to this worker ({entry.why}): it holds what no "
                                                      "pickler can send; it runs in one process and on local worker "
                                                      "processes (forked), not on Dask workers")
                continue
        current = REGISTRIES[registry].get(name)
        # an equal entry stays: an ordering policy (a dataclass) comes back from pickling as a copy, and a
        # copy of a built-in in its place would read as a user's (`plugins_fingerprint`, checked calls)
        if current is not entry and (current is None or current != entry):
            REGISTRIES[registry][name] = entry


def _failed(exc: BaseException, spec: str) -> InputError:
    """The error of a plug-in whose own code raised while it was imported: one line, not a traceback. A
    `sys.exit()` in it is one too: it ended the command with its status (3, or 0 as if all went well) and no word."""
    if isinstance(exc, SystemExit):
        return InputError(ARGUMENTS, "plugin", f"it called sys.exit({exc.code!r}) while being imported; a plug-in "
                                               f"module should only define and register (got {short(spec)})")
    return InputError(ARGUMENTS, "plugin", f"{type(exc).__name__} while importing it: {exception_text(exc)} (got {short(spec)})")


def _siblings(new: set[str], before: set[str], folder: str) -> list[ModuleType]:
    """The modules among `new` that a plug-in file imported from its own folder: a module or package
    beside it (not one installed in a `.venv` below it, nor the rest of a package imported before it,
    `supplychain` itself when the file sits in a checkout)."""
    found = []
    for name in sorted(new):
        top = name.partition(".")[0]
        file = getattr(sys.modules.get(name), "__file__", None)
        if top in before or not file or not Path(file).resolve().is_relative_to(folder):
            continue
        first = Path(file).resolve().relative_to(folder).parts
        if first[0] == top or (len(first) == 1 and first[0].partition(".")[0] == top):
            found.append(sys.modules[name])
    return found


def _by_value(modules: list[ModuleType]) -> None:
    """Send a plug-in file's module, and the sibling modules it imported, by value to Dask workers,
    which have neither file on their path."""
    import cloudpickle

    for module in modules:
        cloudpickle.register_pickle_by_value(module)
        _FROM_FILES.add(module.__name__)


def load_plugin(spec: str) -> ModuleType:
    """Import a module that registers plug-ins: a module name (`my_rules`, importable from the
    working folder or the environment) or a path to a `.py` file, which may import modules beside it
    (its folder is searched first while it loads, as `python FILE` would). A file's module, and those
    it imported from its folder, are sent by value to Dask workers, which cannot import them.
    Problems are `InputError`s of `plugin`."""
    spec = str(spec)
    if spec.endswith(".py") or "/" in spec or "\\" in spec:
        path = Path(spec)
        if not path.is_file():
            what = "a folder, not a Python file" if path.is_dir() else "no such file"
            raise InputError(ARGUMENTS, "plugin", f"{what} (got {short(spec)})")
        # named by its path too: two `rules.py` of different folders are two modules, each with its own
        # files (fingerprint) and its own entry in sys.modules
        name = f"supplychain_plugin_{path.stem}_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]}"
        loader = importlib.util.spec_from_file_location(name, path)
        if loader is None or loader.loader is None:
            raise InputError(ARGUMENTS, "plugin", f"not a Python file (got {short(spec)})")
        module = importlib.util.module_from_spec(loader)
        sys.modules[name] = module
        before = set(sys.modules)
        folder = str(path.resolve().parent)
        sys.path.insert(0, folder)  # as `python my.py` runs: a sibling module of the file imports
        try:
            loader.loader.exec_module(module)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any error in the user's code
            sys.modules.pop(name, None)
            raise _failed(exc, spec) from None
        finally:
            sys.path.remove(folder)
        if folder not in sys.path:  # still found by a later (lazy) import, but no longer first
            sys.path.append(folder)
        modules = [module, *_siblings(set(sys.modules) - before, before, folder)]
        earlier = _FILES_OF.get(name, ())[1:]  # loaded again (a notebook): its siblings were imported the first time
        files = tuple(dict.fromkeys((str(path.resolve()), *earlier, *(m.__file__ for m in modules[1:] if m.__file__))))
        _FILES_OF.update((m.__name__, files) for m in modules)
        _by_value(modules)
        return module
    if Path(spec).is_file() or (Path(spec).is_dir() and "." in spec):  # `rules.txt`: "no module named 'rules'"
        raise InputError(ARGUMENTS, "plugin", f"{'a folder' if Path(spec).is_dir() else 'a file'}, not a Python file "
                                              f"(.py) or a module name (got {short(spec)})")
    if sys.path[0] != "" and "" not in sys.path:  # as `python -m` would: the working folder first
        sys.path.insert(0, "")
    try:
        return importlib.import_module(spec)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - as above
        if isinstance(exc, ModuleNotFoundError) and exc.name is not None and spec.startswith(exc.name):
            raise InputError(ARGUMENTS, "plugin", f"no module named {exc.name!r} (got {short(spec)})") from None
        raise _failed(exc, spec) from None
