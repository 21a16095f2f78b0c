"""Shared by the scenario tests: a folder with the minimal topology and a base scenario on it, and `fails`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from supplychain.errors import InputError
from supplychain.scenario import load_scenario, resolve_scenario

from conftest import write

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "topology" / "minimal.yaml"

RULE = "{{id: {id}, announced: 2023-01-01, effective: 2023-02-01, action: ban, scope: {{destinations: [TW]}}}}"


@pytest.fixture()
def world(tmp_path: Path) -> Path:
    """A folder with the minimal topology as topo.yaml and a base scenario on it."""
    shutil.copy(MINIMAL, tmp_path / "topo.yaml")
    write(
        tmp_path,
        "base.yaml",
        f"""
        name: base
        topology: topo.yaml
        sources: [a, b]
        labs: {{utilisation: 0.35, review_days: 7}}
        demand: {{multiplier: {{value: 1.5, growth: 0.1}}}}
        controls:
          - {RULE.format(id="r1")}
          - {RULE.format(id="r2")}
        shocks:
          - {{id: s1, kind: capacity, start: 2025-01-01, multiplier: 0.5, target: {{ids: [fab]}}}}
        """,
    )
    return tmp_path


def fails(path_or_data, field: str, *, file: str | None = None, match: str = "") -> InputError:
    with pytest.raises(InputError) as info:
        if isinstance(path_or_data, Path):
            load_scenario(path_or_data)
        else:
            resolve_scenario(path_or_data, file)
    err = info.value
    assert err.field == field, str(err)
    assert match in err.problem, str(err)
    return err


def scenario_with(world: Path, sets: dict) -> Path:
    """A scenario on `world`'s base with the `set:` overrides `sets`."""
    return write(world, "s.yaml", yaml.safe_dump({"extends": "base.yaml", "set": sets}, sort_keys=False))
