"""What the export-control tests share: a two-lab topology, a run of it under rules, a rule, a lab's orders."""

from supplychain.results import simulate
from supplychain.topology import load_topology

from conftest import ROOT

TOPO = load_topology(ROOT / "tests" / "data" / "two_labs.yaml")


def run(*rules, end="2024-12-31", **over):
    return simulate(TOPO, {"name": "c", "end": end, "controls": list(rules), "labs": {"review_days": 7}, **over})


def rule(**kw):
    base = {"id": "r1", "announced": "2022-01-01", "effective": "2022-01-01", "action": "ban",
            "scope": {"destinations": ["CN"], "product_kinds": ["accelerator"], "min_tpp": 4800}, "substitute": False}
    base.update(kw)
    return base


def lab_orders(r, lab, product=None):
    o = r.orders
    o = o[(o["kind"] == "lab") & (o["customer"] == lab)]
    return o if product is None else o[o["product"] == product]
