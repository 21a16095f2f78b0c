"""What the comparison tests share: short scenarios on minimal.yaml and a capacity shock at its packager."""

from __future__ import annotations

from pathlib import Path

MINIMAL = str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml")
END = "2024-06-30"


def scenario(name: str, **fields) -> dict:
    return {"name": name, "topology": MINIMAL, "end": END, **fields}


QUAKE = {"id": "quake", "kind": "capacity", "start": "2022-06-01", "multiplier": 0.2, "duration_days": 300,
         "target": {"ids": ["packager"]}}
