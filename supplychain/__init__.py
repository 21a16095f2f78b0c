"""supplychain: a discrete-event simulator of the AI semiconductor supply chain.

A NetworkX graph of fabs, HBM makers, packaging, vendors, grids and labs drives
a SimPy model of orders, lead times, export controls and shocks; the results
say how supply paces frontier model generations.
"""

from .errors import InputError
from .topology import load_topology, save_topology

__all__ = ["InputError", "load_topology", "save_topology"]
__version__ = "0.1.0"
