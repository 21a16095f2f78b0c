"""Topology file formats: YAML, node-link JSON, GraphML and a CSV folder.

Converting between formats loses nothing the target can hold, every reader
turns malformed input into an InputError naming file and field, and writers
never leave a half-written file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pytest
from _topo import SUFFIXES, canonical, minimal_data, node, write_yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from supplychain import formats
from supplychain.errors import InputError
from supplychain.generate import generate_topology
from supplychain.topology import graph_to_model, load_topology, model_to_graph, parse_topology, save_topology

FORMATS = list(SUFFIXES)


def rich_data() -> dict:
    """minimal.yaml plus the awkward cases: dated schedules, quotes, commas, newlines, unicode, maps."""
    data = minimal_data()
    data["sources"] = ["Calibration note; with a semicolon", "Ünïcode source"]
    fab = node(data, "fab")
    fab["name"] = 'Fab "One", Hsinchu\nline two'
    fab["jurisdiction"] = "TW"
    fab["entities"] = ["Entity; A", "[bracketed]"]
    fab["ai_share"] = {"points": {"2022-01-01": 0.2, "2026-06-30": 0.6}, "growth": 0.05, "source": "assumption"}
    fab["allocation"] = "priority"
    fab["priority"] = {"packager": 0}
    node(data, "packager")["packages_per_wafer"] = 16.5
    node(data, "depot").update({"policy": "sS", "s": 5, "S": 30, "initial": 12, "review_days": 7})
    del node(data, "depot")["base_stock"]  # sS does not read it (and refuses it)
    data["products"]["acc_cn"] = {
        "kind": "accelerator", "h100e": 0.4, "power_kw": 0.6, "available": "2023-11-01",
        "bom": {"logic": "logic", "dies_per_wafer": 60, "hbm": "hbm", "hbm_stacks": 4},
    }
    data["products"]["acc"]["compliant_variant"] = "acc_cn"
    data["products"]["acc"]["discontinued"] = "2030-01-01"
    node(data, "vendor")["skus"] = ["acc", "acc_cn"]
    data["edges"] += [
        {"from": "packager", "to": "vendor", "product": "acc_cn"},
        {"from": "vendor", "to": "lab", "product": "acc_cn", "share": {"points": {"2022-01-01": 0.5, "2024-01-01": 1}},
         "transport": {"dist": "lognormal", "mean": 20, "cv": 0.4}, "source": "assumption: a long route"},
    ]
    return data


def convert(model, fmt: str, folder: Path, stem: str = "t"):
    path = folder / f"{stem}{SUFFIXES[fmt]}"
    save_topology(model_to_graph(model), path)
    return load_topology(path).graph["model"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_minimal_round_trips_through_every_format(tmp_path: Path, fmt: str) -> None:
    model = parse_topology(minimal_data())
    assert canonical(convert(model, fmt, tmp_path)) == canonical(model)


@pytest.mark.parametrize("fmt", FORMATS)
def test_awkward_values_round_trip_through_every_format(tmp_path: Path, fmt: str) -> None:
    model = parse_topology(rich_data())
    back = convert(model, fmt, tmp_path)
    assert canonical(back) == canonical(model)
    fab = next(n for n in back.nodes if n.id == "fab")
    assert fab.name == 'Fab "One", Hsinchu\nline two' and fab.entities == ["Entity; A", "[bracketed]"]


def test_a_chain_of_conversions_returns_the_same_model(tmp_path: Path) -> None:
    model = parse_topology(rich_data())
    current = model
    for i, fmt in enumerate(["csv", "graphml", "json", "yaml", "csv"]):
        current = convert(current, fmt, tmp_path, stem=f"step{i}")
    assert canonical(current) == canonical(model)


def test_graphml_rewritten_by_networkx_or_a_graph_editor_reads_as_the_same_topology(tmp_path: Path) -> None:
    """networkx writes our edge ids back as data named `id`; Gephi and yEd add labels, positions and
    colours. None is a topology field: left out, a label becoming the node's name where it has none."""
    model = parse_topology(rich_data())
    ours = tmp_path / "t.graphml"
    save_topology(model_to_graph(model), ours)
    g = nx.read_graphml(ours)
    nx.write_graphml(g, tmp_path / "nx.graphml")
    assert canonical(graph_to_model(load_topology(tmp_path / "nx.graphml"))) == canonical(model)
    for n, attrs in g.nodes(data=True):
        attrs.update(label=f"Label of {n}", x=1.5, y=-2.0, size=10.0, r=200, g=10, b=10)
    for _, _, attrs in g.edges(data=True):
        attrs.update(weight=2.0, label="flow")
    nx.write_graphml(g, tmp_path / "gephi.graphml")
    drawn = graph_to_model(load_topology(tmp_path / "gephi.graphml"))
    named = {n.id: n.name for n in model.nodes}
    assert {n.id: n.name for n in drawn.nodes} == {k: v if v is not None else f"Label of {k}" for k, v in named.items()}
    for n in drawn.nodes:
        n.name = named[n.id]
    assert canonical(drawn) == canonical(model)
    bad = (tmp_path / "gephi.graphml").read_text().replace('attr.name="size"', 'attr.name="capacty"')
    (tmp_path / "typo.graphml").write_text(bad)
    with pytest.raises(InputError, match=r"\.capacty: unknown field"):  # a misspelt field is still an error
        load_topology(tmp_path / "typo.graphml")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(7, 150), seed=st.integers(0, 2**32 - 1), fmt=st.sampled_from(FORMATS))
def test_generated_networks_round_trip(tmp_path_factory, n: int, seed: int, fmt: str) -> None:
    model = generate_topology(n, seed)
    assert canonical(convert(model, fmt, tmp_path_factory.mktemp("rt"))) == canonical(model)


def test_large_generated_network_round_trips_through_csv_and_graphml(tmp_path: Path) -> None:
    model = generate_topology(600, 11)
    for fmt in ("csv", "graphml"):
        assert canonical(convert(model, fmt, tmp_path)) == canonical(model)


def test_csv_folder_layout_is_spreadsheet_friendly(tmp_path: Path) -> None:
    save_topology(model_to_graph(parse_topology(minimal_data())), tmp_path / "topo")
    files = sorted(p.name for p in (tmp_path / "topo").iterdir())
    assert files == ["edges.csv", "meta.csv", "nodes.csv", "products.csv"]
    nodes = (tmp_path / "topo" / "nodes.csv").read_text().splitlines()
    assert nodes[0].startswith("id,kind,country,")
    toolmaker = nodes[1].split(",")
    assert toolmaker[:4] == ["toolmaker", "equipment", "NL", "tool"]  # a one-item list is a bare name
    edges = (tmp_path / "topo" / "edges.csv").read_text().splitlines()
    assert edges[0] == "from,to,product,transport" and "fab,packager,logic,3.0" in edges


def test_hand_written_csv_folder_loads(tmp_path: Path) -> None:
    folder = tmp_path / "chain"
    folder.mkdir()
    (folder / "products.csv").write_text("id,kind\nwidget,item\n")
    (folder / "nodes.csv").write_text(
        "id,kind,makes,capacity,item,policy,base_stock,demand\n"
        "src,source,widget; ,,,,,\n"
        "depot,stock,,,widget,base_stock,20,\n"
        'cust,demand,,,widget,,,"{""rate"": 2}"\n'
    )
    (folder / "edges.csv").write_text("from,to,product,transport\nsrc,depot,widget,5\ndepot,cust,widget,\n")
    model = load_topology(folder).graph["model"]
    assert [n.id for n in model.nodes] == ["src", "depot", "cust"]
    assert model.nodes[0].makes == ["widget"] and model.nodes[1].base_stock == 20
    assert model.edges[0].transport.mean == 5 and model.name == "topology"


def test_graphml_is_readable_by_plain_networkx(tmp_path: Path) -> None:
    path = tmp_path / "t.graphml"
    save_topology(model_to_graph(parse_topology(minimal_data())), path)
    g = nx.read_graphml(path)
    assert g.nodes["fab"]["kind"] == "fab" and g.nodes["fab"]["country"] == "TW"
    assert json.loads(g.nodes["fab"]["capacity"])["value"] == 2000
    assert g.number_of_edges() == 8 and json.loads(g.graph["products"])["acc"]["h100e"] == 1.0


def test_a_graphml_key_without_a_type_is_a_string_and_no_warning(tmp_path: Path) -> None:
    """GraphML's attr.type defaults to string: a file that leaves it out is read as it is, without
    networkx's UserWarning reaching the user's terminal beside the CLI's own lines."""
    import re
    import warnings

    path = tmp_path / "t.graphml"
    save_topology(model_to_graph(parse_topology(minimal_data())), path)
    typed = load_topology(path)
    path.write_text(re.sub(r' attr.type="string"', "", path.read_text()))
    assert 'attr.type="string"' not in path.read_text()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        untyped = load_topology(path)
    assert canonical(graph_to_model(untyped)) == canonical(graph_to_model(typed))


def test_yaml_writer_leaves_defaults_out(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    save_topology(model_to_graph(parse_topology(minimal_data())), path)
    text = path.read_text()
    assert "growth: 0.0" not in text and "allocation: fifo" not in text and "priority: {}" not in text
    assert "- id: fab\n  kind: fab\n" in text


# --- malformed input: one InputError naming file and field -------------------


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
        ({"nodes": f"{NODES_HEADER}\n,fab,TW,logic,5\n"}, "nodes.csv", "row 2.id", "missing value"),
        ({"nodes": f"{NODES_HEADER}\nfab,fab,TW,logic,5,extra\n"}, "nodes.csv", "row 2", "6 cells but 5 columns"),
        ({"nodes": ""}, "nodes.csv", "<file>", "empty file"),
        ({"edges": "from,to\nfab,packager\n"}, "edges.csv", "header", "missing column 'product'"),
        ({"edges": "from,to,product,transport\nfab,packager,logic,\"{\"\"dist\"\": \"\"gamma\"\"}\"\n"}, "edges.csv", "row 2.transport.dist", "Input should be"),
        ({"products": "id,kind\nlogic,logic\nlogic,logic\n"}, "products.csv", "row 3.id", "duplicate product id"),
        ({"products": "id,kind,h100e\nacc,accelerator,fast\n"}, "products.csv", "row 2.h100e", "valid number"),
        ({"meta": "key,value\nstart,2022-13-01\n"}, "meta.csv", "start", "date"),
        ({"meta": "key,value\ncolour,red\n"}, "meta.csv", "row 2.key", "unknown key"),
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


def test_csv_random_bytes_are_reported_as_not_utf8(tmp_path: Path) -> None:
    folder = write_csv_folder(tmp_path)
    (folder / "edges.csv").write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(InputError) as info:
        load_topology(folder)
    assert info.value.file.endswith("edges.csv") and "UTF-8" in info.value.problem


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


def test_duplicate_yaml_keys_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("name: a\nproducts:\n  x: {kind: item}\n  x: {kind: tool}\n")
    with pytest.raises(InputError, match=r"line 4, column 3: invalid YAML: duplicate key 'x' \(first on line 3\)"):
        load_topology(path)


# --- writers ----------------------------------------------------------------


def test_unknown_suffix_and_unwritable_path_are_input_errors(tmp_path: Path) -> None:
    g = model_to_graph(parse_topology(minimal_data()))
    with pytest.raises(InputError, match="unknown topology format '.txt'"):
        save_topology(g, tmp_path / "t.txt")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="cannot write"):
        save_topology(g, tmp_path / "afile" / "t.graphml")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, fmt: str, monkeypatch) -> None:
    path = tmp_path / f"t{SUFFIXES[fmt]}"
    save_topology(model_to_graph(parse_topology(minimal_data())), path)
    files = sorted(path.iterdir()) if fmt == "csv" else [path]
    before = {p: p.read_bytes() for p in files}

    # fail after part of the new content has reached the disk
    if fmt in ("yaml", "json"):
        real_write = Path.write_bytes

        def half_write(self: Path, data: bytes) -> int:
            real_write(self, data[: len(data) // 2])
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(Path, "write_bytes", half_write)
    elif fmt == "graphml":
        def half_graphml(g, tmp, **kwargs):
            Path(tmp).write_text("<graphml>")
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(nx, "write_graphml", half_graphml)
    else:
        import csv as csv_module

        real_writer, calls = csv_module.writer, {"n": 0}

        def late_boom(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3:  # two of the four tables are already written
                raise RuntimeError("disk on fire")
            return real_writer(*args, **kwargs)

        monkeypatch.setattr(csv_module, "writer", late_boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        save_topology(model_to_graph(generate_topology(30, 1)), path)
    assert {p: p.read_bytes() for p in files} == before
    assert _leftovers(path if fmt == "csv" else tmp_path) == []


@pytest.mark.parametrize("blocked", ["meta.csv", "products.csv", "edges.csv"])
def test_a_csv_table_that_is_a_folder_is_refused_before_any_table_is_written(tmp_path: Path, blocked: str) -> None:
    """The four tables replace their old versions one by one: a `products.csv` folder failed the third
    rename, after edges.csv and nodes.csv were written, a half-written topology (`cannot write (Is a directory)`)."""
    path = tmp_path / "topo"
    save_topology(model_to_graph(parse_topology(minimal_data())), path)
    (path / blocked).unlink()
    (path / blocked).mkdir()
    before = {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
    with pytest.raises(InputError) as info:
        save_topology(model_to_graph(generate_topology(30, 1)), path)
    assert str(info.value) == f"{path / blocked}: <file>: is a folder; the CSV topology writes a file there"
    assert {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()} == before and _leftovers(path) == []


def test_registry_covers_every_format() -> None:
    assert set(formats.WRITERS) == set(FORMATS)
    assert set(formats.READERS) == set(FORMATS) - {"yaml"}  # YAML is read by topology.read_yaml


def test_yaml_file_written_by_hand_round_trips(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, rich_data())
    model = load_topology(path).graph["model"]
    assert canonical(convert(model, "csv", tmp_path)) == canonical(model)


@pytest.mark.parametrize("fmt", FORMATS)
def test_save_topology_takes_a_model_as_generate_topology_returns_it(fmt, tmp_path):
    model = generate_topology(60, 3)
    path = save_topology(model, tmp_path / f"g{SUFFIXES[fmt]}")
    assert canonical(load_topology(path).graph["model"]) == canonical(model)


def test_save_topology_refuses_what_is_not_a_topology(tmp_path):
    from supplychain import InputError

    with pytest.raises(InputError, match=r"^<arguments>: g: expected a networkx.DiGraph .* \(got dict\)$"):
        save_topology(minimal_data(), tmp_path / "t.yaml")
    assert not (tmp_path / "t.yaml").exists()
