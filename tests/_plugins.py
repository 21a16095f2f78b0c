"""What the plug-in tests share: a policy file's text and the fixture that forgets what it registered."""

from __future__ import annotations

import pytest

from supplychain.engine.ordering import ORDERING_POLICIES
from supplychain.engine.shocks import SHOCK_KINDS

POLICY = '''
    from supplychain.engine.ordering import register_ordering

    @register_ordering("half_gap", part=0.5)
    def half_gap(r):
        return r.params["part"] * (r.level - r.position)
'''


@pytest.fixture
def forget():
    """The registries are global: forget what a test's plug-in registered."""
    yield
    ORDERING_POLICIES.pop("half_gap", None)
    SHOCK_KINDS.pop("halve", None)
