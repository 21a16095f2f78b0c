"""The README's "Extending" examples run as written and do what the text says."""

from __future__ import annotations

import re

import pytest

from supplychain.engine.ordering import ORDERING_POLICIES
from supplychain.engine.production import ALLOCATION_RULES
from supplychain.engine.shocks import SHOCK_KINDS

from conftest import ROOT


def extending_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Extending\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.fixture
def readme(monkeypatch):
    """Run README code from the repository root; forget what it registers afterwards."""
    monkeypatch.chdir(ROOT)
    yield
    ALLOCATION_RULES.pop("lifo", None)
    ORDERING_POLICIES.pop("capped", None)
    SHOCK_KINDS.pop("slow_cycle", None)


def test_the_section_has_the_three_examples():
    blocks = extending_blocks()
    assert [b for b in blocks if "register_allocation" in b] and [b for b in blocks if "register_ordering" in b]
    assert [b for b in blocks if "register_shock_kind" in b]


def test_the_lifo_rule_example(readme):
    block = next(b for b in extending_blocks() if "register_allocation" in b)
    ns: dict = {}
    exec(block, ns)
    o = ns["r"].orders.query("supplier == 'packager'")
    assert len(o) > 10 and o["finished"].notna().any()


def test_the_ordering_policy_example_caps_every_lab_order(readme):
    block = next(b for b in extending_blocks() if "register_ordering" in b)
    ns: dict = {}
    exec(block, ns)
    qty = ns["r"].orders.query("kind == 'lab'")["qty"]
    assert len(qty) > 5 and qty.max() == pytest.approx(5000.0)  # the scenario's max_h100e, not the default 2000


def test_the_shock_kind_example_logs_its_shock_and_slows_the_packager(readme):
    block = next(b for b in extending_blocks() if "register_shock_kind" in b)
    ns: dict = {}
    exec(block, ns)
    r = ns["r"]
    assert list(r.events.query("type == 'shock'")[["id", "what", "supplier"]].itertuples(index=False)) == [
        ("retool", "slow_cycle", "packager")]
    o = r.orders.query("supplier == 'packager'").dropna(subset=["started", "finished"])
    took = (o["finished"] - o["started"])[(o["started"] >= 151) & (o["started"] < 241)]
    assert len(took) and (took >= 80).all()  # minimal.yaml's packager takes 40 days; twice that in the window
