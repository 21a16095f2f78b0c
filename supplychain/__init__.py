"""supplychain: a discrete-event simulator of the AI semiconductor supply chain.

A NetworkX graph of fabs, HBM makers, packaging, vendors, grids and labs drives
a SimPy model of orders, lead times, export controls and shocks; the results
say how supply paces frontier model generations.
"""

from .errors import InputError, PluginError, ScenarioWarning

__all__ = [
    "InputError",
    "PluginError",
    "ScenarioWarning",
    "load_topology",
    "save_topology",
    "load_scenario",
    "simulate",
    "Results",
    "run_experiment",
    "compare",
    "sweep",
    "make_report",
    "load_run",
]

#: names imported on first use (they pull in pydantic, numpy, pandas, scipy, matplotlib): name -> module. So
#: `import supplychain` (and the command line's first step) takes milliseconds, not a second
_LAZY = {"load_topology": ".topology", "save_topology": ".topology", "load_scenario": ".scenario", "simulate": ".results", "Results": ".results", "run_experiment": ".experiment", "compare": ".comparison", "sweep": ".sweeps", "make_report": ".report",
         "load_run": ".runfolder"}


def __dir__() -> list[str]:
    """The names loaded on first use too, so a notebook's completion offers them."""
    return sorted(set(globals()) | set(_LAZY))


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__version__ = "0.1.0"
