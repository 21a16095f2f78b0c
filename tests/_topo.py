"""Helpers shared by the topology tests: the minimal network as data, files, the CLI."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from supplychain.cli import app
from supplychain.schema import TopologyModel
from supplychain.topology import read_yaml

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "topology" / "minimal.yaml"
SUFFIXES = {"yaml": ".yaml", "json": ".json", "graphml": ".graphml", "csv": ""}


@cache
def _minimal() -> dict[str, Any]:
    return read_yaml(MINIMAL)


def minimal_data() -> dict[str, Any]:
    """A fresh copy of minimal.yaml as plain data (dates as strings)."""
    return copy.deepcopy(_minimal())


def node(data: dict[str, Any], nid: str) -> dict[str, Any]:
    return next(n for n in data["nodes"] if n["id"] == nid)


def write_yaml(folder: Path, data: Any, name: str = "t.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def canonical(model: TopologyModel) -> dict[str, Any]:
    """A model's dump with edges in a fixed order (a graph does not keep edge order)."""
    dump = model.model_dump(mode="json")
    dump["edges"] = sorted(dump["edges"], key=lambda e: (e["source_id"], e["target"], e["product"]))
    return dump


def cli(*args: str):
    """Run `supplychain ARGS` in-process; returns click's Result (stdout, stderr, exit_code)."""
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_clean_failure(result, expect_prefix: str | None = None) -> str:
    """Exit 2, one line on stderr, no traceback; returns the line."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    if expect_prefix is not None:
        assert lines[0].startswith(expect_prefix), lines[0]
    return lines[0]
