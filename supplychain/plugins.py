"""Plug-ins: the registries a user extends, which of them a run uses, and loading a user's own.

Three registries take user code: allocation rules (`engine.allocation.register_allocation`),
lab ordering policies (`engine.ordering.register_ordering`) and shock kinds
(`engine.shocks.register_shock_kind`). Code that registers is a module: imported in Python,
or named on the command line with `supplychain --plugin MODULE_OR_FILE.py ...` (`load_plugin`),
before the files that name its entries are read. Forked workers inherit the registries; a Dask
work unit carries the entries its topology and scenario name (`plugins_used`).
"""

from __future__ import annotations

import importlib
import importlib.util
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .arguments import ARGUMENTS
from .engine.ordering import ORDERING_POLICIES, orderings_used
from .engine.allocation import ALLOCATION_RULES, rules_used
from .engine.shocks import SHOCK_KINDS, shock_kinds_used
from .errors import InputError, exception_text, short

__all__ = ["REGISTRIES", "plugins_used", "install", "load_plugin"]

#: registry name -> the registry (name -> entry)
REGISTRIES: dict[str, dict[str, Any]] = {"allocation": ALLOCATION_RULES, "ordering": ORDERING_POLICIES,
                                         "shock": SHOCK_KINDS}


#: modules `load_plugin` loaded from files: no worker can import them, so their entries travel by value
_FROM_FILES: set[str] = set()


@dataclass(frozen=True)
class _ByValue:
    """An entry pickled by value (cloudpickle), for workers that cannot import its module."""

    data: bytes


def _packed(entry: Any) -> Any:
    module = getattr(getattr(entry, "decide", entry), "__module__", None)  # an ordering policy wraps its function
    if module not in _FROM_FILES:
        return entry  # a built-in or an importable module's: by reference; a notebook's: by value already
    import cloudpickle  # loaded from a file: `load_plugin` registered its module by value

    return _ByValue(cloudpickle.dumps(entry))


def plugins_used(model: Any, scenario: Any) -> tuple[tuple[str, str, Any], ...]:
    """(registry, name, entry) of the allocation rules, ordering policies and shock kinds a topology
    and scenario name, as registered here: a Dask worker has only the built-in ones, so a work unit
    carries them (cloudpickle sends one defined in a notebook by value, one from a module by reference,
    one from a file `load_plugin` read by value)."""
    used = [("allocation", rules_used(model)), ("ordering", orderings_used(scenario)), ("shock", shock_kinds_used(scenario))]
    return tuple((registry, name, _packed(entry)) for registry, pairs in used for name, entry in pairs)


def install(plugins: tuple[tuple[str, str, Any], ...]) -> None:
    """Register `plugins_used` entries where they are missing (a Dask worker; a forked one has them)."""
    for registry, name, entry in plugins:
        if isinstance(entry, _ByValue):
            entry = pickle.loads(entry.data)
        if REGISTRIES[registry].get(name) is not entry:
            REGISTRIES[registry][name] = entry


def _failed(exc: BaseException, spec: str) -> InputError:
    """The error of a plug-in whose own code raised while it was imported: one line, not a traceback."""
    return InputError(ARGUMENTS, "plugin", f"{type(exc).__name__} while importing it: {exception_text(exc)} (got {short(spec)})")


def _siblings(new: set[str], before: set[str], folder: str) -> list[ModuleType]:
    """The modules among `new` that a plug-in file imported from its own folder (or below), but not
    the rest of a package imported before it (`supplychain` itself, when the file sits in a checkout)."""
    found = []
    for name in sorted(new):
        file = getattr(sys.modules.get(name), "__file__", None)
        if name.partition(".")[0] not in before and file and Path(file).resolve().is_relative_to(folder):
            found.append(sys.modules[name])
    return found


def _by_value(modules: list[ModuleType]) -> None:
    """Send a plug-in file's module, and the sibling modules it imported, by value to Dask workers,
    which have neither file on their path."""
    try:
        import cloudpickle
    except ImportError:  # no Dask installed: nothing to send anywhere
        return
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
        name = f"supplychain_plugin_{path.stem}"
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
        except Exception as exc:  # noqa: BLE001 - any error in the user's code
            sys.modules.pop(name, None)
            raise _failed(exc, spec) from None
        finally:
            sys.path.remove(folder)
        if folder not in sys.path:  # still found by a later (lazy) import, but no longer first
            sys.path.append(folder)
        _by_value([module, *_siblings(set(sys.modules) - before, before, folder)])
        return module
    if sys.path[0] != "" and "" not in sys.path:  # as `python -m` would: the working folder first
        sys.path.insert(0, "")
    try:
        return importlib.import_module(spec)
    except Exception as exc:  # noqa: BLE001 - as above
        if isinstance(exc, ModuleNotFoundError) and exc.name is not None and spec.startswith(exc.name):
            raise InputError(ARGUMENTS, "plugin", f"no module named {exc.name!r} (got {short(spec)})") from None
        raise _failed(exc, spec) from None
