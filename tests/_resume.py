"""What the resume and stored-replication tests share: a short scenario on minimal.yaml, the console
script as a subprocess, and reading a run folder's stored replications and manifest."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = str(ROOT / "topology" / "minimal.yaml")
TABLES = ("orders", "lead_times", "nodes", "fleet", "generations", "events", "stocks")
runner = CliRunner()
N = 8


def scenario_file(tmp_path: Path, **fields) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "res", "topology": MINIMAL, "end": "2024-06-30", "seed": 4, **fields}))
    return path


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from supplychain.cli import main; main()", *args]  # the console script


def done(out: Path) -> list[Path]:
    return sorted((out / "replications" / "res").glob("rep_*/done.json"))


def start_and_stop(cmd: list[str], out: Path, sig: int, after: int = 2, timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + timeout
        while len(done(out)) < after:
            assert proc.poll() is None, f"run ended before it was stopped: {proc.communicate()}"
            assert time.monotonic() < deadline, "no replication stored in time"
            time.sleep(0.02)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())
