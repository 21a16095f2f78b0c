"""What the labs tests share: the minimal topology with a lab of given fields, and a scenario of short,
round figures (utilisation 0.5, training fraction 0.1, no efficiency growth)."""

from supplychain.topology import parse_topology, read_yaml

from conftest import ROOT


def minimal(**lab_fields):
    data = read_yaml(ROOT / "topology" / "minimal.yaml")
    for node in data["nodes"]:
        if node["id"] == "lab":
            node.update(lab_fields)
            if "target_h100e" in lab_fields and lab_fields["target_h100e"] is None:
                node.pop("target_h100e")
    return parse_topology(data)


def scenario(**over):
    base = {
        "name": "labs",
        "end": "2025-12-31",
        "labs": {"utilisation": 0.5, "training_fraction": 0.1, "lifetime_years": 100, "commissioning_days": 30},
        "algorithms": {"efficiency_growth": 1.0},
        "generations": {"requirement_0": 1e24, "scale": 4.0, "min_training_days": 0},
    }
    base.update(over)
    return base
