"""Topology file formats, malformed: every reader (CSV folder, GraphML, node-link JSON, YAML) turns bad
input into one InputError naming the file and the field (row and column for CSV)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pytest
from _topo import canonical, minimal_data, node

from supplychain.errors import InputError
from supplychain.topology import load_topology, model_to_graph, parse_topology, save_topology


def write_csv_folder(tmp_path: Path, **tables: str) -> Path:
    folder = tmp_path / "topo"
    save_topology(model_to_graph(parse_topology(minimal_data())), folder)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


NODES_HEADER = "id,kind,country,makes,capacity"


@pytest.mark.parametrize(
    "tables, file, field, match",
    [
        ({"nodes": "id,country\nfab,TW\n"}, "nodes.csv", "header", "missing column 'kind'"),
        ({"nodes": "id,kind,colour\nfab,fab,red\n"}, "nodes.csv", "header.colour", "unknown column"),
        ({"nodes": "id,kind,id\nfab,fab,x\n"}, "nodes.csv", "header.id", "twice"),
        ({"nodes": f"{NODES_HEADER}\nfab,fab,TW,logic,{{oops\n"}, "nodes.csv", "row 2.capacity", "not valid JSON"),
        ({"nodes": f"{NODES_HEADER}\nfab,fab,TW,logic,2000\ngrid,grid,US,power,lots\n"}, "nodes.csv", "row 3.capacity", "not valid JSON"),
        ({"nodes": f"{NODES_HEADER}\nfab,fab,TW,logic,\"[1, 2]\"\n"}, "nodes.csv", "row 2.capacity", ""),
        ({"nodes": f"{NODES_HEADER}\nfab,factory,TW,logic,5\n"}, "nodes.csv", "row 2.kind", "unknown kind"),
        ({"nodes": f"{NODES_HEADER}\nfab,fab,TW,logic,\"{{\"\"points\"\": {{\"\"2022-01-01\"\": 5}}, \"\"grow\"\": 0.5}}\"\n"},
         "nodes.csv", "row 2.capacity.grow", "unknown field (got 0.5); did you mean 'growth'?"),
        ({"nodes": f"{NODES_HEADER}\n,fab,TW,logic,5\n"}, "nodes.csv", "row 2.id", "missing value"),
        ({"nodes": f"{NODES_HEADER}\nfab,fab,TW,logic,5,extra\n"}, "nodes.csv", "row 2", "6 cells but 5 columns"),
        ({"nodes": ""}, "nodes.csv", "<file>", "empty file"),
        ({"nodes": ",,,\n,,,\n"}, "nodes.csv", "<file>", "empty file"),  # a sheet saved with nothing in its cells
        ({"edges": "from,to\nfab,packager\n"}, "edges.csv", "header", "missing column 'product'"),
        ({"edges": "from,to,product,transport\nfab,packager,logic,\"{\"\"dist\"\": \"\"gamma\"\"}\"\n"}, "edges.csv", "row 2.transport.dist", "Input should be"),
        ({"products": "id,kind\nlogic,logic\nlogic,logic\n"}, "products.csv", "row 3.id", "duplicate product id"),
        # checked when the products are assembled, it named the folder and `products`, not the file and row
        ({"products": "id,kind\nlogic,logic\nmy chip,logic\n"}, "products.csv", "row 3.id",
         "ids may not contain spaces or dots (got 'my chip')"),
        ({"products": "id,kind,h100e\nacc,accelerator,fast\n"}, "products.csv", "row 2.h100e", "valid number"),
        ({"meta": "key,value\nstart,2022-13-01\n"}, "meta.csv", "start", "date"),
        ({"meta": "key,value\ncolour,red\n"}, "meta.csv", "row 2.key", "unknown key"),
        # the second of two rows of one key was taken, the first dropped without a word
        ({"meta": "key,value\nstart,2022-01-01\nstart,2024-01-01\n"}, "meta.csv", "row 3.key",
         "key appears twice (got 'start')"),
        # a spreadsheet in a locale whose list separator is ';' (or a TSV): say so, not "unknown column 'from;to;...'"
        ({"edges": "from;to;product\nfab;packager;logic\n"}, "edges.csv", "header", "separated by ';'"),
        ({"edges": "from\tto\tproduct\nfab\tpackager\tlogic\n"}, "edges.csv", "header", "separated by '\\t'"),
        # a value under a column with no header was dropped unread (here the transport time)
        ({"edges": "from,to,product,\nfab,packager,logic,3\n"}, "edges.csv", "row 2", "column 4, which has no header"),
    ],
)
def test_bad_csv_names_file_row_and_column(tmp_path: Path, tables: dict, file: str | None, field: str, match: str) -> None:
    folder = write_csv_folder(tmp_path, **tables)
    with pytest.raises(InputError) as info:
        load_topology(folder)
    err = info.value
    assert err.field == field, str(err)
    assert err.file == str(folder / file if file else folder)
    assert match in err.problem


def _edit(name: str, edit):
    def apply(folder: Path) -> None:
        path = folder / name
        path.write_text(edit(path.read_text()))
    return apply


def _repeat_row(row: int):
    return lambda text: text + text.splitlines()[row - 1] + "\n"


@pytest.mark.parametrize(
    "edit, file, field, match",
    [
        # the checks of the whole network name edges by position and nodes by id: the line names file and row
        (_edit("edges.csv", lambda t: t.replace("\nfab,packager,", "\nnope,packager,", 1)), "edges.csv", "row 3.from",
         "unknown node (got 'nope')"),
        (_edit("edges.csv", lambda t: t.replace("\n", "\n,,,\n\n", 1).replace("\nfab,packager,", "\nfab,nope,", 1)),
         "edges.csv", "row 5.to", "unknown node (got 'nope')"),  # empty rows count as spreadsheet rows
        (_edit("edges.csv", _repeat_row(3)), "edges.csv", "row 10", "duplicate of row 3 (fab -> packager for logic)"),
        (_edit("nodes.csv", _repeat_row(3)), "nodes.csv", "row 12.id", "duplicate node id (got 'fab')"),
        (_edit("nodes.csv", lambda t: t.replace('"{""value"": 2000.0', '"{""value"": -5', 1)), "nodes.csv",
         "row 3.capacity", "capacity must be positive (got -5)"),
        (_edit("products.csv", lambda t: t.replace('""logic"": ""logic""', '""logic"": ""ghost""', 1)),
         "products.csv", "row 5.bom.logic", "(got 'ghost')"),
    ],
)
def test_csv_network_errors_name_the_file_and_row(tmp_path: Path, edit, file: str, field: str, match: str) -> None:
    folder = write_csv_folder(tmp_path)
    edit(folder)
    with pytest.raises(InputError) as info:
        load_topology(folder)
    assert (info.value.file, info.value.field) == (str(folder / file), field), str(info.value)
    assert match in info.value.problem, str(info.value)


def test_csv_folder_without_nodes_csv_and_a_file_where_a_folder_is_expected(tmp_path: Path) -> None:
    folder = write_csv_folder(tmp_path)
    (folder / "nodes.csv").unlink()
    with pytest.raises(InputError, match="nodes.csv: <file>: no such file"):
        load_topology(folder)
    (tmp_path / "plain").write_text("not a folder")
    with pytest.raises(InputError, match="expected a folder"):
        load_topology(tmp_path / "plain")


@pytest.mark.parametrize("stray, meant", [("Meta.csv", "meta.csv"), ("product.csv", "products.csv"), ("EDGE.CSV", "edges.csv")])
def test_a_csv_table_misnamed_is_named_not_skipped(tmp_path: Path, stray: str, meant: str) -> None:
    """A misnamed table was skipped: Meta.csv lost the start date without a word. Other files are left alone."""
    folder = write_csv_folder(tmp_path)
    (folder / "notes.csv").write_text("anything\n")
    load_topology(folder)
    (folder / stray).write_text("key,value\n")
    with pytest.raises(InputError) as info:
        load_topology(folder)
    assert info.value.file == str(folder / stray) and f"did you mean {meant}?" in info.value.problem


def test_csv_random_bytes_are_reported_as_not_utf8(tmp_path: Path) -> None:
    folder = write_csv_folder(tmp_path)
    (folder / "edges.csv").write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(InputError) as info:
        load_topology(folder)
    assert info.value.file.endswith("edges.csv") and "UTF-8" in info.value.problem



def test_a_binary_file_or_utf16_text_is_said_as_what_it_is(tmp_path: Path) -> None:
    """A Parquet table, a workbook or a UTF-16 export given as YAML or CSV read `not UTF-8 text (invalid start
    byte at byte 152)`: true, but it names no cause a policy analyst can act on."""
    import pandas as pd

    from supplychain.scenario import load_scenario

    topo = tmp_path / "t.yaml"
    pd.DataFrame({"a": [1]}).to_parquet(topo)
    with pytest.raises(InputError, match="^" + re.escape(f"{topo}: <file>: not UTF-8 text but a Parquet file") + "$"):
        load_topology(topo)
    scenario = tmp_path / "s.yaml"
    scenario.write_bytes("name: s\n".encode("utf-16"))
    with pytest.raises(InputError, match="^" + re.escape(f"{scenario}: <file>: not UTF-8 text but UTF-16 text; save it as UTF-8") + "$"):
        load_scenario(scenario)
    folder = write_csv_folder(tmp_path)
    (folder / "nodes.csv").write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U\x98")
    with pytest.raises(InputError, match=re.escape("nodes.csv: <file>: not UTF-8 text but a zip archive (an Excel workbook?)")):
        load_topology(folder)

@pytest.mark.parametrize(
    "mutate, field, match",
    [
        (lambda t: t[: len(t) // 2], "line", "invalid XML"),
        (lambda t: "<graphml><nothing/></graphml>", "<root>", "no <graph>"),
        (lambda t: t.replace('edgedefault="directed"', 'edgedefault="undirected"'), "graph.edgedefault", "directed"),
        (lambda t: t.replace('{"value": 2000.0', '{"value": oops', 1), "nodes.fab.capacity", "not valid JSON"),
        (lambda t: t.replace('<node id="grid">', '<node id="fab">', 1), "nodes.fab.id", "duplicate node id"),
        (lambda t: t.replace('attr.name="base_stock" attr.type="double"', 'attr.name="base_stock" attr.type="banana"'), "<root>", "not GraphML"),
        # a value its key declares a number: networkx said only "could not convert string to float"
        (lambda t: re.sub(r'(<data key="(d\d+)">)20(\.0)?(</data>)', r"\1abc\4", t, count=1), "nodes.depot.base_stock",
         "not a double, as its <key> declares (got 'abc')"),
        # networkx drops a nested graph that is not a yEd group: its nodes and flows were lost without a word
        (lambda t: t.replace('<node id="grid">', '<node id="grid"><graph edgedefault="directed"><node id="sub" /></graph>', 1),
         "nodes.grid", "nested <graph>"),
        # an empty <data> was the country '' (a CSV cell left empty is the default "XX")
        (lambda t: re.sub(r'(<node id="fab">.*?<data key="d\d+">)TW(</data>)', r"\1\2", t, count=1, flags=re.S),
         "nodes.fab.country", "at least 1 character"),
    ],
)
def test_bad_graphml_names_the_field(tmp_path: Path, mutate, field: str, match: str) -> None:
    path = tmp_path / "t.graphml"
    save_topology(model_to_graph(parse_topology(minimal_data())), path)
    text = path.read_text()
    bad = mutate(text)
    assert bad != text
    path.write_text(bad)
    with pytest.raises(InputError) as info:
        load_topology(path)
    assert info.value.field.startswith(field), str(info.value)
    assert match in info.value.problem, str(info.value)


def test_graphml_edge_without_product_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.graphml"
    g = nx.MultiDiGraph()
    g.add_node("a", kind="source", makes='["widget"]')
    g.add_node("b", kind="stock", item="widget")
    g.add_edge("a", "b")
    nx.write_graphml(g, path)
    with pytest.raises(InputError, match=r"edges\.0\.product: missing product"):
        load_topology(path)


@pytest.mark.parametrize(
    "payload, field, match",
    [
        ("[1, 2", "line 1, column 6", "invalid JSON"),
        ("[1, 2]", "<root>", "expected a JSON object"),
        ('{"directed": true, "nodes": [{"kind": "lab"}]}', "nodes.0.id", "missing node id"),
        ('{"directed": true, "nodes": 5}', "nodes", "expected a list"),
        ('{"directed": true, "graph": [], "nodes": []}', "graph", "expected a mapping"),
        ('{"directed": true, "nodes": [], "links": [{"source": "a"}]}', "links.0.target", "missing link end"),
        ('{"directed": true, "nodes": [], "links": [{"source": "a", "target": "b", "flows": [1]}]}', "links.0.flows", "mapping"),
        ('{"directed": true, "nodes": [], "links": [{"source": "a", "target": "b", "flows": {}, "w": 1}]}', "links.0.w", "unknown link field"),
        ('{"nodes": [{"id": "a", "kind": "source"}], "edges": [], "colour": 1}', "colour", "unknown field (got 1)"),
        # the `edges` were silently ignored for the `links`
        ('{"directed": true, "nodes": [], "links": [], "edges": [{"source": "a", "target": "b"}]}', "edges", "both `links` and `edges`"),
    ],
)
def test_bad_json_names_the_field(tmp_path: Path, payload: str, field: str, match: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(payload)
    with pytest.raises(InputError) as info:
        load_topology(path)
    assert info.value.field == field, str(info.value)
    assert match in info.value.problem


def test_node_link_json_with_inline_flows_loads(tmp_path: Path) -> None:
    data = minimal_data()
    payload = {
        "directed": True, "graph": {k: data[k] for k in ("name", "description", "start", "products")},
        "nodes": data["nodes"],
        "links": [{"source": e.pop("from"), "target": e.pop("to"), **e} for e in data["edges"]],
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(payload))
    assert canonical(load_topology(path).graph["model"]) == canonical(parse_topology(minimal_data()))



@pytest.mark.parametrize("text, problem", [
    ("", "the file is empty (or only comments); expected a mapping with nodes and edges"),
    ("# nodes to come\n", "the file is empty (or only comments); expected a mapping with nodes and edges"),
    ("- fab\n- lab\n", "expected a mapping with nodes and edges (got ['fab', 'lab'])"),
])
def test_an_empty_topology_file_says_it_is_empty(tmp_path: Path, text: str, problem: str) -> None:
    """An empty file read `expected a mapping with nodes and edges (got NoneType)`: Python's word for nothing."""
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match="^" + re.escape(f"{path}: <root>: {problem}") + "$"):
        load_topology(path)

def test_duplicate_yaml_keys_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("name: a\nproducts:\n  x: {kind: item}\n  x: {kind: tool}\n")
    with pytest.raises(InputError, match=r"line 4, column 3: invalid YAML: duplicate key 'x' \(first on line 3\)"):
        load_topology(path)



@pytest.mark.parametrize("text, line", [
    ("name: a\nx: &cap 5\ny: &cap 6\n", "line 3, column 4: invalid YAML: the anchor &cap is defined twice (first on line 2)"),
    ("name: a\nx: *cap\n", "line 2, column 4: invalid YAML: the alias *cap names no anchor &cap before it"),
    ("name: a\nnodes: [1, 2\n", "line 3, column 1: invalid YAML: while parsing a flow sequence from line 2: "
                               "did not find expected ',' or ']'"),
    ("name: a\n---\nname: b\n", "line 2, column 1: invalid YAML: expected a single document in the stream (line 1), "
                                 "but found another document"),
])
def test_anchors_gone_wrong_and_unclosed_brackets_are_said_whole(tmp_path: Path, text: str, line: str) -> None:
    """libyaml puts half of some errors in a context the line left out: an anchor defined twice read
    `invalid YAML: second occurrence`, an undefined alias named no alias, an unclosed bracket not where it opened."""
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match="^" + re.escape(f"{path}: {line}") + "$"):
        load_topology(path)

def test_graphml_ports_load_without_a_stray_warning_line(tmp_path: Path) -> None:
    """yEd writes <port>s for drawing; networkx's UserWarning became a second line after `ok` on stderr."""
    import warnings

    path = tmp_path / "t.graphml"
    save_topology(model_to_graph(parse_topology(minimal_data())), path)
    path.write_text(path.read_text().replace('<node id="grid">', '<node id="grid"><port name="p1" />', 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_topology(path)
