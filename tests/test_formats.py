"""Topology file formats: YAML, node-link JSON, GraphML and a CSV folder.

Converting between formats loses nothing the target can hold, and writers
never leave a half-written file (malformed input: test_format_errors.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pytest
import yaml
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
    with pytest.raises(InputError, match=r"\.capacty: unknown field .*did you mean 'capacity'"):  # a misspelt field is still an error
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


def test_node_link_json_is_written_by_a_networkx_older_than_the_edges_keyword(tmp_path: Path, monkeypatch) -> None:
    """pyproject allows networkx 3.2, whose node_link_data names its key `link=`: `edges="links"` (3.4+)
    raised TypeError, a traceback from `topology convert x.yaml y.json`."""
    real = nx.node_link_data

    def node_link_data_3_3(G, *, source="source", target="target", name="id", key="key", link="links"):
        return real(G, source=source, target=target, name=name, key=key, edges=link)

    monkeypatch.setattr(nx, "node_link_data", node_link_data_3_3)
    path = tmp_path / "t.json"
    save_topology(model_to_graph(parse_topology(minimal_data())), path)
    assert "links" in json.loads(path.read_text())
    assert canonical(load_topology(path).graph["model"]) == canonical(parse_topology(minimal_data()))


@pytest.mark.skipif(tuple(int(x) for x in nx.__version__.split(".")[:2]) < (3, 4), reason="edges= is networkx 3.4's")
def test_node_link_json_is_readable_by_plain_networkx_as_the_readme_says(tmp_path: Path) -> None:
    """The README named only `node_link_data`; networkx 3.6's `node_link_graph(data)` looks for `edges` and
    raised KeyError 'edges' on the file. The README's call reads it, with the flows on the links."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| node-link JSON |"))
    call = re.search(r"`(nx\.node_link_graph\(data[^`]*\))`", row)
    assert call, row
    path = tmp_path / "t.json"
    save_topology(model_to_graph(parse_topology(minimal_data())), path)
    g = eval(call.group(1), {"nx": nx, "data": json.loads(path.read_text())})
    assert g.number_of_nodes() == 10 and g.is_directed()
    flows = sorted((a, b, p) for a, b, d in g.edges(data=True) for p in d["flows"])
    assert flows == sorted((e["from"], e["to"], e["product"]) for e in minimal_data()["edges"])


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


def test_a_nested_record_is_written_without_its_defaults(tmp_path: Path) -> None:
    """A demand node's `demand: {mode: poisson, rate: 2, size: 1}`: size 1 and period_days 1 are the defaults,
    left out as at the top level, so the file shows what was given."""
    path = tmp_path / "t.yaml"
    save_topology(model_to_graph(parse_topology(minimal_data())), path)
    customers = next(n for n in yaml.safe_load(path.read_text())["nodes"] if n["id"] == "customers")
    assert customers["demand"] == {"mode": "poisson", "rate": 2.0}


@pytest.mark.parametrize("fmt", ["csv", "json", "graphml"])
def test_a_topology_saved_with_a_byte_order_mark_reads_as_without(tmp_path: Path, fmt: str) -> None:
    """Excel's "CSV UTF-8" and Windows editors begin a file with a byte-order mark: the first CSV column was
    `\ufeffid` (a missing `id`), a JSON file "Unexpected UTF-8 BOM"."""
    path = tmp_path / ("topo" if fmt == "csv" else f"t.{fmt}")
    model = parse_topology(minimal_data())
    save_topology(model_to_graph(model), path)
    first = path / "nodes.csv" if fmt == "csv" else path
    first.write_text(first.read_text(encoding="utf-8"), encoding="utf-8-sig")
    assert first.read_bytes().startswith(b"\xef\xbb\xbf")
    assert canonical(graph_to_model(load_topology(path))) == canonical(model)


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


def test_a_spreadsheets_padding_and_blank_looking_cells_are_not_values(tmp_path: Path) -> None:
    """A spreadsheet pads rows with empty cells past the last column, and a cell that looks empty may hold a
    space: neither is a value, so the folder loads as the one written (a value past the header is refused,
    test_format_errors.py)."""
    folder = tmp_path / "topo"
    model = parse_topology(minimal_data())
    save_topology(model_to_graph(model), folder)
    for name in ("nodes.csv", "edges.csv"):
        path = folder / name
        lines = path.read_text().splitlines()
        assert any(",," in line or line.endswith(",") for line in lines[1:])  # rows with empty cells to blank
        path.write_text("\n".join([lines[0]] + [re.sub(r",(?=,|$)", ", ", line) + ",," for line in lines[1:]]) + "\n")
    assert ", ," in (folder / "nodes.csv").read_text()
    assert canonical(load_topology(folder).graph["model"]) == canonical(model)


def test_a_network_of_one_node_and_no_flows_round_trips_through_csv(tmp_path: Path) -> None:
    """A table with no rows is still written with its header: an edges.csv of nothing at all read back as an
    empty file, refused, so a one-node network written as CSV could not be loaded."""
    model = parse_topology({"products": {"w": {"kind": "item"}}, "edges": [],
                            "nodes": [{"id": "src", "kind": "source", "makes": ["w"]}]})
    save_topology(model_to_graph(model), tmp_path / "one")
    assert (tmp_path / "one" / "edges.csv").read_text() == "from,to,product\n"
    assert canonical(load_topology(tmp_path / "one").graph["model"]) == canonical(model)
