"""The SimPy world: one module per concept (see each module's docstring)."""

from .invariants import InvariantError, check_invariants
from .world import World

__all__ = ["World", "InvariantError", "check_invariants"]
