"""Malformed topologies in every format never end in a traceback.

Hypothesis writes broken input (random bytes, random YAML/JSON structures,
wrong types, missing fields, dangling edges, mutations of minimal.yaml at the
data level and at the text level of GraphML and CSV) and runs
`supplychain topology validate` on it: the command either succeeds or exits
with status 2 and exactly one line on stderr.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from _topo import MINIMAL, cli, minimal_data
from hypothesis import HealthCheck, given, settings, strategies as st

from supplychain.topology import load_topology, save_topology

# FUZZ_EXAMPLES=2000 for a long hunt; the default keeps the suite fast
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 40)), deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12) | st.sampled_from(["fab", "lab", "2022-01-01", "2022-13-45", "acc", "logic", "", "fixed", "gamma"])
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=15,
)


def assert_ok_or_clean_exit(path: Path) -> None:
    result = cli("topology", "validate", path)
    assert result.exit_code in (0, 2), (result.exit_code, repr(result.exception), result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(str(path)), lines[0]


def with_file(name: str, content: bytes | str, check=assert_ok_or_clean_exit) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        check(path)


# --- random bytes and random structures ---------------------------------------


@FUZZ
@given(blob=st.binary(max_size=400), suffix=st.sampled_from([".yaml", ".json", ".graphml"]))
def test_random_bytes_in_any_file_format(blob: bytes, suffix: str) -> None:
    with_file("t" + suffix, blob)


@FUZZ
@given(blob=st.binary(max_size=300), table=st.sampled_from(["nodes", "edges", "products", "meta"]))
def test_random_bytes_in_a_csv_table(blob: bytes, table: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "topo"
        save_topology(load_topology(MINIMAL), folder)
        (folder / f"{table}.csv").write_bytes(blob)
        assert_ok_or_clean_exit(folder)


@FUZZ
@given(data=values | st.dictionaries(st.sampled_from(["name", "nodes", "edges", "products", "start", "links", "graph", "directed"]), values))
def test_random_structures_as_yaml_and_json(data: Any) -> None:
    with_file("t.yaml", yaml.safe_dump(data))
    with_file("t.json", json.dumps(data))


node_ids = st.sampled_from(["fab", "lab", "vendor", "packager", "ghost", ""])
node_link = st.fixed_dictionaries(
    {
        "directed": st.booleans(),
        "graph": st.dictionaries(st.sampled_from(["name", "products", "start", "sources", "x"]), values, max_size=3),
        "nodes": st.lists(st.dictionaries(st.sampled_from(["id", "kind", "capacity", "makes", "country"]), node_ids | values, max_size=4), max_size=4),
        "links": st.lists(
            st.dictionaries(st.sampled_from(["source", "target", "flows", "product", "share", "key"]), node_ids | values, max_size=5), max_size=4
        ),
    }
)


@FUZZ
@given(payload=node_link)
def test_random_node_link_json(payload: dict) -> None:
    with_file("t.json", json.dumps(payload))


# --- mutations of minimal.yaml at the data level -------------------------------


def paths(tree: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a nested dict/list (the root excluded)."""
    out = []
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else []
    for k, v in items:
        out.append(prefix + (k,))
        out += paths(v, prefix + (k,))
    return out


def mutate(data: dict, path: tuple, action: str, value: Any) -> dict:
    data = copy.deepcopy(data)
    parent = data
    for k in path[:-1]:
        parent = parent[k]
    key = path[-1]
    if action == "replace":
        parent[key] = value
    elif action == "delete":
        del parent[key]
    elif action == "add_field" and isinstance(parent[key], dict):
        parent[key]["unexpected"] = value
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
    return data


def to_node_link(data: dict) -> dict:
    """The node-link form of (possibly broken) YAML-shaped data, as far as its shape allows."""
    graph = {k: v for k, v in data.items() if k not in ("nodes", "edges")}
    links = []
    for e in data.get("edges") or []:
        if isinstance(e, dict):
            e = dict(e)
            links.append({"source": e.pop("from", None), "target": e.pop("to", None), "flows": {str(e.pop("product", "")): e}})
    return {"directed": True, "graph": graph, "nodes": data.get("nodes"), "links": links}


MINIMAL_DATA = minimal_data()
MINIMAL_PATHS = paths(MINIMAL_DATA)


@FUZZ
@given(
    where=st.sampled_from(MINIMAL_PATHS),
    action=st.sampled_from(["replace", "replace", "delete", "add_field", "duplicate"]),
    value=values,
)
def test_mutated_minimal_as_yaml_json_and_node_link(where: tuple, action: str, value: Any) -> None:
    data = mutate(MINIMAL_DATA, where, action, value)
    with_file("t.yaml", yaml.safe_dump(data))
    with_file("t.json", json.dumps(data))
    with_file("t.json", json.dumps(to_node_link(data)))


# --- mutations at the text level of GraphML and CSV -----------------------------


def _valid_texts() -> tuple[str, dict[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        g = load_topology(MINIMAL)
        save_topology(g, Path(tmp) / "t.graphml")
        save_topology(g, Path(tmp) / "topo")
        tables = {p.name: p.read_text() for p in (Path(tmp) / "topo").iterdir()}
        return (Path(tmp) / "t.graphml").read_text(), tables


GRAPHML, TABLES = _valid_texts()


@FUZZ
@given(data=st.data())
def test_mutated_graphml(data: st.DataObject) -> None:
    text = GRAPHML
    lines = text.splitlines()
    how = data.draw(st.sampled_from(["truncate", "drop_line", "insert", "data_text", "attr_type"]))
    if how == "truncate":
        text = text[: data.draw(st.integers(0, len(text)))]
    elif how == "drop_line":
        i = data.draw(st.integers(0, len(lines) - 1))
        text = "\n".join(lines[:i] + lines[i + 1:])
    elif how == "insert":
        i = data.draw(st.integers(0, len(text)))
        text = text[:i] + data.draw(st.text(max_size=20)) + text[i:]
    elif how == "data_text":
        data_lines = [i for i, line in enumerate(lines) if "<data key=" in line]
        i = data.draw(st.sampled_from(data_lines))
        head = lines[i].split(">", 1)[0]
        new = data.draw(st.text(alphabet=st.characters(blacklist_characters="<&", blacklist_categories=("Cs", "Cc")), max_size=20) | st.sampled_from(["[1]", "{}", "null", "-1", "1e999"]))
        lines[i] = f"{head}>{new}</data>"
        text = "\n".join(lines)
    else:
        kind = data.draw(st.sampled_from(["int", "long", "float", "double", "boolean", "string", "junk"]))
        key_lines = [i for i, line in enumerate(lines) if "attr.type=" in line]
        i = data.draw(st.sampled_from(key_lines))
        lines[i] = lines[i].split('attr.type="')[0] + f'attr.type="{kind}" />'
        text = "\n".join(lines)
    with_file("t.graphml", text)


@FUZZ
@given(data=st.data())
def test_mutated_csv_folder(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(TABLES)))
    rows = list(csv.reader(io.StringIO(TABLES[name])))
    how = data.draw(st.sampled_from(["cell", "cell", "drop_column", "truncate", "drop_file", "extra_cells"]))
    text: str | None
    if how in ("cell", "extra_cells"):
        r = data.draw(st.integers(0, len(rows) - 1))
        if how == "cell":
            c = data.draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = data.draw(st.text(max_size=15) | st.sampled_from(["[", "{}", "-1", "0", "NaN", "Infinity", "[1, 2]", "fab", "ghost", '{"points": {}}']))
        else:
            rows[r] += data.draw(st.lists(st.text(max_size=5), min_size=1, max_size=3))
        text = _csv_text(rows)
    elif how == "drop_column":
        c = data.draw(st.integers(0, len(rows[0]) - 1))
        text = _csv_text([row[:c] + row[c + 1:] for row in rows])
    elif how == "truncate":
        text = TABLES[name][: data.draw(st.integers(0, len(TABLES[name])))]
    else:
        text = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "topo"
        folder.mkdir()
        for other, content in TABLES.items():
            (folder / other).write_text(content)
        if text is None:
            (folder / name).unlink()
        else:
            (folder / name).write_text(text)
        assert_ok_or_clean_exit(folder)


def _csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


# --- the real console script ---------------------------------------------------


def test_console_script_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "junk.graphml").write_bytes(b"\x00\x01<graphml><graph")
    (tmp_path / "junk.yaml").write_bytes(b"nodes: [{id: a, kind: fab, capacity: [1, 2]}]")
    for name in ("junk.graphml", "junk.yaml"):
        proc = subprocess.run(
            [sys.executable, "-c", "from supplychain.cli import main; main()", "topology", "validate", str(tmp_path / name)],
            capture_output=True, text=True, timeout=300,
        )
        assert proc.returncode == 2, proc.stderr
        assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
        assert proc.stderr.startswith(str(tmp_path / name))
