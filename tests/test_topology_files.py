"""Topology files as a user hands them to `supplychain topology`: converted through every format and back,
and malformed node-link JSON, GraphML and CSV tables refused in one line naming the file, the field and the
problem (exit status 2), with nothing written where a conversion failed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from _topo import MINIMAL, SUFFIXES, assert_clean_failure, canonical, cli, minimal_data, write_yaml

from supplychain.errors import InputError
from supplychain.topology import load_topology, model_to_graph, parse_topology, save_topology

DEFAULT = MINIMAL.parent / "default.yaml"


def _model(path: Path):
    return load_topology(path).graph["model"]


def _refused(path: Path, field: str, problem: str, file: Path | None = None) -> None:
    """`topology validate PATH` is exit 2 and exactly the line `FILE: FIELD: PROBLEM` (FILE: PATH's table or PATH)."""
    line = assert_clean_failure(cli("topology", "validate", path))
    assert line == f"{file or path}: {field}: {problem}", line


def _saved(tmp_path: Path, suffix: str, name: str = "t") -> Path:
    out = tmp_path / f"{name}{suffix}"
    save_topology(model_to_graph(parse_topology(minimal_data())), out)
    return out


# --- round trips through the CLI ----------------------------------------------------------------------


@pytest.mark.parametrize("source", [MINIMAL, DEFAULT], ids=["minimal", "default"])
def test_yaml_to_json_to_graphml_to_csv_to_yaml_by_convert_is_the_same_model(tmp_path: Path, source: Path) -> None:
    current = source
    for step, suffix in enumerate([".json", ".graphml", "", ".yaml"]):
        out = tmp_path / f"step{step}{suffix}"
        result = cli("topology", "convert", current, out)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith(f"wrote {out} ("), result.stdout
        current = out
    assert canonical(_model(current)) == canonical(_model(source))


# --- node-link JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize("payload, got", [('"a topology"', "'a topology'"), ("5", "5"), ("null", "None")])
def test_a_json_document_that_is_no_object_is_one_line(tmp_path: Path, payload: str, got: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(payload, encoding="utf-8")
    _refused(path, "<root>", f"expected a JSON object (got {got})")


@pytest.mark.parametrize("directed", ["false", "0", '"true"', "null"])
def test_node_link_json_not_directed_true_is_refused(tmp_path: Path, directed: str) -> None:
    """networkx reads anything but `true` as undirected and the flows would run both ways."""
    path = _saved(tmp_path, ".json")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"directed": true', f'"directed": {directed}', 1), encoding="utf-8")
    got = repr(json.loads(directed))
    _refused(path, "directed", f"goods flow one way; expected true (got {got})")


def test_node_link_json_is_told_by_its_graph_even_without_directed_or_links(tmp_path: Path) -> None:
    """A tool that writes only `graph`, `nodes` and `edges` (directed being its default) is node-link, not the
    YAML shape with an unknown field `graph`."""
    path = _saved(tmp_path, ".json")
    payload = json.loads(path.read_text(encoding="utf-8"))
    trimmed = {"graph": payload["graph"], "nodes": payload["nodes"], "edges": payload["links"]}
    path.write_text(json.dumps(trimmed), encoding="utf-8")
    assert canonical(_model(path)) == canonical(parse_topology(minimal_data()))


def test_a_json_key_given_twice_in_a_node_is_named(tmp_path: Path) -> None:
    """json keeps the last of two keys silently; the YAML loader refuses it, and so does the JSON one."""
    path = _saved(tmp_path, ".json")
    text = path.read_text(encoding="utf-8")
    bad = re.sub(r'"country": "TW"', '"country": "TW", "country": "US"', text, count=1)
    assert bad != text
    path.write_text(bad, encoding="utf-8")
    _refused(path, "<file>", "invalid JSON: duplicate key 'country'")


def test_node_link_json_of_a_multigraph_one_link_per_flow_keyed_by_product_loads(tmp_path: Path) -> None:
    """What `nx.node_link_data` writes for a MultiDiGraph (our GraphML read by networkx): `multigraph: true`
    and a link per flow holding its product inline and as its `key`, which is not a field of the flow."""
    path = _saved(tmp_path, ".json")
    payload = json.loads(path.read_text(encoding="utf-8"))
    links = [{"source": link["source"], "target": link["target"], "key": product, "product": product, **flow}
             for link in payload["links"] for product, flow in link["flows"].items()]
    path.write_text(json.dumps({**payload, "multigraph": True, "links": links}), encoding="utf-8")
    assert canonical(_model(path)) == canonical(parse_topology(minimal_data()))


def test_graph_attributes_that_are_null_are_not_given(tmp_path: Path) -> None:
    """A graph attribute networkx holds as None is written `null`: the field's default, as if left out."""
    path = _saved(tmp_path, ".json")
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["graph"].update(name=None, sources=None, description=None)
    path.write_text(json.dumps(payload), encoding="utf-8")
    model = _model(path)
    assert (model.name, model.sources, model.description) == ("topology", [], None)


# --- GraphML ------------------------------------------------------------------------------------------


def test_a_json_attribute_nested_too_deeply_is_named_by_its_node_and_field(tmp_path: Path) -> None:
    path = _saved(tmp_path, ".graphml")
    text = path.read_text(encoding="utf-8")
    bad = text.replace('{"value": 2000.0', "[" * 100_000, 1)
    assert bad != text
    path.write_text(bad, encoding="utf-8")
    line = assert_clean_failure(cli("topology", "validate", path))
    assert line.startswith(f"{path}: nodes.fab.capacity: not valid JSON: nested too deeply (got '[[["), line


@pytest.mark.parametrize("kind", ["double", "float", "int", "long"])
def test_a_drawing_weight_not_of_its_declared_type_is_named_by_its_edge(tmp_path: Path, kind: str) -> None:
    """An editor's edge weight is left out, but one not of the type its <key> declares is still an error, named
    by the edge's position (the second here), not networkx's `invalid literal for int()` for the whole file."""
    path = _saved(tmp_path, ".graphml")
    text = path.read_text(encoding="utf-8")
    text = text.replace("<graph ", f'<key id="w" for="edge" attr.name="weight" attr.type="{kind}" />\n<graph ', 1)
    tags = [m.end() for m in re.finditer(r"<edge [^>]*[^/]>", text)]
    bad = text[: tags[0]] + '<data key="w">3</data>' + text[tags[0]: tags[1]] + '<data key="w">heavy</data>' + text[tags[1]:]
    path.write_text(bad, encoding="utf-8")
    _refused(path, "edges.1.weight", f"not a {kind}, as its <key> declares (got 'heavy')")
    path.write_text(bad.replace(">heavy<", ">7<"), encoding="utf-8")
    assert canonical(_model(path)) == canonical(parse_topology(minimal_data()))


@pytest.mark.parametrize("value, problem", [("1", "unknown field (got True)"), ("0", "unknown field (got False)"),
                                            ("True", "unknown field (got True)"), ("FALSE", "unknown field (got False)"),
                                            (" false ", "not a boolean, as its <key> declares (got ' false ')"),
                                            ("maybe", "not a boolean, as its <key> declares (got 'maybe')")])
def test_a_boolean_attribute_reads_as_graphml_says_then_is_checked_as_a_field(tmp_path: Path, value: str, problem: str) -> None:
    """GraphML's booleans are true/false in any case, and 1/0 (as networkx reads them): such a value of a field the
    topology does not have is an unknown field, not a value of the wrong type."""
    path = _saved(tmp_path, ".graphml")
    text = path.read_text(encoding="utf-8")
    text = text.replace("<graph ", '<key id="v" for="node" attr.name="visible" attr.type="boolean" />\n<graph ', 1)
    bad = text.replace('<node id="fab">', f'<node id="fab"><data key="v">{value}</data>', 1)
    path.write_text(bad, encoding="utf-8")
    line = assert_clean_failure(cli("topology", "validate", path))
    assert line.startswith(f"{path}: nodes.fab.visible: {problem}"), line


def test_malformed_xml_is_named_by_its_line_and_column_counted_from_1(tmp_path: Path) -> None:
    path = tmp_path / "t.graphml"
    path.write_text('<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n  <graph></grap>\n</graphml>\n', encoding="utf-8")
    _refused(path, "line 2, column 12", "invalid XML: mismatched tag")  # `grap` of `</grap>`: line 2's 12th character


# --- CSV folder ---------------------------------------------------------------------------------------


def _csv(tmp_path: Path, name: str, edit) -> Path:
    folder = _saved(tmp_path, "", "topo")
    table = folder / name
    table.write_text(edit(table.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def test_a_cell_past_the_csv_field_limit_is_one_line_naming_the_table(tmp_path: Path) -> None:
    folder = _csv(tmp_path, "nodes.csv", lambda t: t.replace("TW", "T" * 200_000, 1))
    _refused(folder, "<file>", "invalid CSV: field larger than field limit (131072)", folder / "nodes.csv")


def test_a_json_list_cell_after_a_spreadsheets_padding_is_read_as_json(tmp_path: Path) -> None:
    """` ["logic"]` is the JSON list ["logic"], not a `;` list of the one name '["logic"]'."""
    folder = _csv(tmp_path, "nodes.csv", lambda t: re.sub(r",logic,", ',"  [""logic""]",', t, count=1))
    assert canonical(_model(folder)) == canonical(parse_topology(minimal_data()))


@pytest.mark.parametrize("meta, expect", [
    ("key,value\n start ,2023-01-01\n", ("topology", "2023-01-01")),
    ("key,value\nname,\nstart,2023-01-01\n", ("topology", "2023-01-01")),
    ("key,value\nname,chain\nstart,\n", ("chain", "None")),
])
def test_meta_keys_padded_or_with_an_empty_value(tmp_path: Path, meta: str, expect: tuple) -> None:
    """A key padded with spaces is that key; a value left empty is not given (the default), as any empty cell."""
    folder = _csv(tmp_path, "meta.csv", lambda t: meta)
    model = _model(folder)
    assert (model.name, str(model.start)) == expect


# --- failed conversions write nothing -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(SUFFIXES))
def test_a_conversion_of_a_malformed_file_writes_nothing(tmp_path: Path, fmt: str) -> None:
    bad = tmp_path / "in" / "t.json"
    bad.parent.mkdir()
    bad.write_text('{"nodes": [{"id": "a", "kind": "source", "makes": ["x"]}], "edges": [], "nodes": []}', encoding="utf-8")
    out = tmp_path / "out" / f"t{SUFFIXES[fmt]}"
    _ = assert_clean_failure(cli("topology", "convert", bad, out), f"{bad}: <file>: invalid JSON: duplicate key 'nodes'")
    assert not out.exists() and not out.parent.exists()
    data = minimal_data()
    data["edges"][0]["to"] = "nowhere"
    wrong = write_yaml(tmp_path / "in", data)
    assert_clean_failure(cli("topology", "convert", wrong, out), f"{wrong}: edges.0.to: unknown node")
    assert not out.parent.exists()


def test_a_label_that_only_repeats_the_node_id_gives_no_name(tmp_path: Path) -> None:
    """yEd labels a node by its id until one types a label: that is no name (reports would say `fab (fab)`);
    another label is the name of a node without one."""
    path = _saved(tmp_path, ".graphml")
    text = path.read_text(encoding="utf-8")
    text = text.replace("<graph ", '<key id="l" for="node" attr.name="label" attr.type="string" />\n<graph ', 1)
    text = text.replace('<node id="fab">', '<node id="fab"><data key="l">fab</data>', 1)
    path.write_text(text.replace('<node id="grid">', '<node id="grid"><data key="l">Grid A</data>', 1), encoding="utf-8")
    names = {n.id: n.name for n in _model(path).nodes}
    assert (names["fab"], names["grid"]) == (None, "Grid A")
