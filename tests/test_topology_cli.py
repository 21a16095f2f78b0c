"""`supplychain topology validate|show|convert|generate` and the figures `show` prints."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from _topo import MINIMAL, SUFFIXES, assert_clean_failure, canonical, cli, minimal_data, node, write_yaml

from supplychain.topology import load_topology, parse_topology
from supplychain.topology_stats import capacity_by_year, central_nodes, single_points_of_failure


def test_show_prints_composition_capacity_and_chokepoints() -> None:
    result = cli("topology", "show", MINIMAL)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("minimal: 10 nodes, 8 flows, 6 products, start 2022-01-01")
    assert "  fab             1  TW 1" in out
    assert "  2022          2,000        60,000        12,000         2,000" in out
    assert "  2035 " in out and "  2036 " not in out
    spof_rows = out.split("Single points of failure")[1].split("Most central")[0]
    assert "packager                 packaging  TW          1      100.0%  hbm, logic" in spof_rows
    assert "grid                     grid       US          1      100.0%  power" in spof_rows
    central = out.split("Most central nodes (betweenness centrality)")[1].splitlines()
    assert central[1].split()[0] == "packager"


def test_show_top_limits_the_lists_and_names_how_many_more() -> None:
    result = cli("topology", "show", MINIMAL, "--top", "2")
    spof_rows = result.stdout.split("Single points of failure")[1].split("Most central")[0].splitlines()
    assert len([r for r in spof_rows if r.startswith("  ") and "%" in r]) == 2
    assert "  ... and 3 more" in spof_rows


@pytest.mark.parametrize("top", ["0", "-1", "abc"])
def test_show_top_must_be_a_whole_number_from_1(top: str) -> None:
    line = assert_clean_failure(cli("topology", "show", MINIMAL, "--top", top), "supplychain topology show: --top: ")
    assert f"(got '{top}')" in line


def test_capacity_by_year_interpolates_grows_and_applies_ai_share() -> None:
    data = minimal_data()
    node(data, "fab").update(capacity={"points": {"2022-01-01": 1000, "2023-01-01": 2000}, "growth": 1.0}, ai_share=0.5)
    cap = capacity_by_year(parse_topology(data))
    assert cap["fab"][2022] == pytest.approx(0.5 * 1500, rel=0.01)  # mean of a linear ramp
    assert cap["fab"][2024] == pytest.approx(0.5 * 2000 * 2 ** 1.5, rel=0.02)  # doubling a year, mid-2024
    assert cap["grid"] == dict.fromkeys(range(2022, 2036), 2000.0)
    node(data, "packager")["packages_per_wafer"] = 16  # capacity in interposer wafers/week
    assert capacity_by_year(parse_topology(data))["packaging"][2030] == 12000 * 16


@pytest.mark.parametrize("start, years", [("9990-01-01", range(9990, 9999)), ("9999-06-01", range(9998, 9999))])
def test_show_on_a_topology_starting_near_the_last_year_python_holds(tmp_path: Path, start: str, years: range) -> None:
    """The 14 years after a start in 9990 reached 10004: a ValueError traceback (exit 1)."""
    data = minimal_data()
    data["start"] = start
    node(data, "lab")["target_h100e"]["growth"] = 0.0  # +50 %/yr from 2025 is infinite by 9990
    result = cli("topology", "show", write_yaml(tmp_path, data))
    assert result.exit_code == 0 and result.stderr == "", result.stderr[-300:]
    assert list(capacity_by_year(parse_topology(data))["fab"]) == list(years)


def test_second_sources_remove_single_points_of_failure() -> None:
    data = minimal_data()
    # a second fab for the logic die: the fab is no longer a single point of failure, the packager still is
    data["nodes"].append({"id": "fab2", "kind": "fab", "country": "US", "makes": ["logic"], "capacity": 500})
    data["edges"].append({"from": "fab2", "to": "packager", "product": "logic"})
    found = {c.node: c for c in single_points_of_failure(parse_topology(data))}
    assert "fab" not in found and "fab2" not in found
    assert found["packager"].inputs == ("hbm", "logic") and found["hbm_maker"].inputs == ("hbm",)


def test_a_lab_buying_two_skus_from_two_vendors_has_no_vendor_chokepoint() -> None:
    data = minimal_data()
    data["products"]["acc2"] = dict(data["products"]["acc"], vendor="vendor2")
    data["nodes"].append({"id": "vendor2", "kind": "vendor", "country": "CN", "skus": ["acc2"]})
    data["edges"] += [{"from": "packager", "to": "vendor2", "product": "acc2"}, {"from": "vendor2", "to": "lab", "product": "acc2"}]
    found = {c.node for c in single_points_of_failure(parse_topology(data))}
    assert "vendor" not in found and "vendor2" not in found
    assert {"packager", "fab", "hbm_maker", "grid"} <= found  # both SKUs still go through them


def test_central_nodes_match_networkx_betweenness_on_small_graphs() -> None:
    import networkx as nx

    model = load_topology(MINIMAL).graph["model"]
    ranked, sampled = central_nodes(model, top=3)
    g = nx.DiGraph([(e.source_id, e.target) for e in model.edges])
    g.add_nodes_from(n.id for n in model.nodes)
    exact = nx.betweenness_centrality(g)
    assert not sampled and [n for n, _ in ranked] == ["packager", "vendor", "fab"]
    assert all(v == pytest.approx(exact[n]) for n, v in ranked)


def test_central_nodes_are_exact_when_the_sources_are_exactly_the_most_sampled() -> None:
    """The minimal network's 8 nodes that ship, with at most 8 sources: every source is taken, so the figures are
    exact betweenness and not said to be estimated."""
    model = load_topology(MINIMAL).graph["model"]
    shipping = {e.source_id for e in model.edges}
    assert central_nodes(model, top=3, max_sources=len(shipping)) == central_nodes(model, top=3)
    assert central_nodes(model, top=3, max_sources=len(shipping))[1] is False
    assert central_nodes(model, top=3, max_sources=len(shipping) - 1)[1] is True


@pytest.mark.parametrize("fmt", list(SUFFIXES))
def test_convert_writes_each_format_and_it_reads_back(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out{SUFFIXES[fmt]}"
    result = cli("topology", "convert", MINIMAL, out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"wrote {out} ({fmt}, 10 nodes, 8 flows)"
    assert canonical(load_topology(out).graph["model"]) == canonical(load_topology(MINIMAL).graph["model"])
    assert cli("topology", "validate", out).exit_code == 0


def test_convert_bad_input_and_bad_output_exit_2(tmp_path: Path) -> None:
    assert_clean_failure(cli("topology", "convert", tmp_path / "missing.yaml", tmp_path / "o.json"), f"{tmp_path / 'missing.yaml'}: <file>:")
    line = assert_clean_failure(cli("topology", "convert", MINIMAL, tmp_path / "o.xlsx"))
    assert "unknown topology format '.xlsx'" in line
    data = minimal_data()
    node(data, "fab")["capacity"] = -1
    bad = write_yaml(tmp_path, data)
    assert_clean_failure(cli("topology", "convert", bad, tmp_path / "o.json"), f"{bad}: nodes.fab.capacity: capacity must be positive")
    assert not (tmp_path / "o.json").exists()



@pytest.mark.parametrize("command", [["convert", MINIMAL], ["generate", "-n", "10", "-o"]])
def test_a_csv_topology_is_not_strewn_among_another_folders_files(tmp_path: Path, command: list) -> None:
    """`convert topo.yaml .` or `-o outputs/baseline` (no suffix: a CSV folder) wrote four tables among the files of
    the working folder or a run folder. Refused; an empty folder, an older CSV topology (a README beside it too)
    and a folder of hidden files only are written."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text("{}")
    line = assert_clean_failure(cli("topology", *command, run))
    assert line == (f"{run}: <file>: a folder of other files, not a CSV topology (no nodes.csv); write it to a new or "
                    "empty folder, or over an older CSV topology")
    assert sorted(p.name for p in run.iterdir()) == ["manifest.json"]
    for name, extra in (("empty", None), ("hidden", ".DS_Store")):
        (tmp_path / name).mkdir()
        if extra:
            (tmp_path / name / extra).write_text("")
        assert cli("topology", *command, tmp_path / name).exit_code == 0
    (tmp_path / "empty" / "README.md").write_text("mine")
    assert cli("topology", *command, tmp_path / "empty").exit_code == 0  # over the older CSV topology
    assert (tmp_path / "empty" / "README.md").read_text() == "mine"

@pytest.mark.parametrize("command", [["convert", MINIMAL], ["generate", "-n", "10", "-o"]])
@pytest.mark.parametrize("marker", ["manifest.json", "replications"])
def test_a_csv_topology_never_replaces_the_tables_of_a_csv_run_folder(tmp_path: Path, command: list, marker: str) -> None:
    """A run written with `--format csv` holds a nodes.csv (its weekly node table): `convert topo.yaml
    outputs/base_csv` took it for an older CSV topology and replaced that table, and wrote edges.csv beside it."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "nodes.csv").write_text("scenario,replication,day,node\n")
    (run / marker).mkdir() if marker == "replications" else (run / marker).write_text("{}")
    line = assert_clean_failure(cli("topology", *command, run))
    assert line == (f"{run}: <file>: a run folder (manifest.json or replications/), not a CSV topology: its nodes.csv "
                    "is the run's table; write the topology to a new or empty folder")
    assert sorted(p.name for p in run.iterdir()) == sorted(["nodes.csv", marker])
    assert (run / "nodes.csv").read_text() == "scenario,replication,day,node\n"


def test_generate_writes_a_valid_network_and_same_seed_same_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    result = cli("topology", "generate", "--nodes", "60", "--seed", "5", "-o", a)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"wrote {a} (yaml, 60 nodes: equipment 1, fab 3, memory 2, packaging 3, vendor 2, grid 4, lab 45;")
    assert cli("topology", "generate", "-n", "60", "-s", "5", "-o", b).exit_code == 0
    assert a.read_text() == b.read_text()
    check = cli("topology", "validate", a)
    assert check.exit_code == 0 and check.stderr == ""
    assert load_topology(a).graph["model"].start == dt.date(2022, 1, 1)


def test_generate_to_a_csv_folder_and_graphml(tmp_path: Path) -> None:
    for out in (tmp_path / "gen", tmp_path / "gen.graphml"):
        assert cli("topology", "generate", "-n", "20", "-o", out).exit_code == 0
        assert len(load_topology(out).graph["model"].nodes) == 20


@pytest.mark.parametrize(
    "args, line",
    [
        (["-n", "3"], "supplychain topology generate: --nodes: need at least 7 nodes, one of each kind (got 3)"),
        (["-n", "10", "-s", "-1"], "supplychain topology generate: --seed: must be at least 0 (got -1)"),
    ],
)
def test_generate_bad_arguments_exit_2_with_one_line(tmp_path: Path, args: list[str], line: str) -> None:
    assert assert_clean_failure(cli("topology", "generate", *args, "-o", tmp_path / "x.yaml")) == line


def test_show_and_validate_bad_input_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("nodes: [\n")
    for cmd in ("show", "validate"):
        line = assert_clean_failure(cli("topology", cmd, path))
        assert line.startswith(f"{path}: line 2, column 1: invalid YAML")


def test_show_on_a_generated_network(tmp_path: Path) -> None:
    out = tmp_path / "g.json"
    assert cli("topology", "generate", "-n", "400", "-s", "2", "-o", out).exit_code == 0
    result = cli("topology", "show", out, "--top", "3")
    assert result.exit_code == 0
    assert "  lab           300  " in result.stdout
    rows = result.stdout.split("Single points of failure")[1].split("Most central")[0].splitlines()
    assert sum("%" in r for r in rows) == 3 and any(r.startswith("  ... and ") for r in rows)


def test_show_on_a_textbook_chain_without_ai_kinds(tmp_path: Path) -> None:
    data = {
        "name": "chain", "products": {"widget": {"kind": "item"}},
        "nodes": [{"id": "src", "kind": "source", "makes": ["widget"]}, {"id": "depot", "kind": "stock", "item": "widget"},
                  {"id": "cust", "kind": "demand", "item": "widget", "demand": {"rate": 1}}],
        "edges": [{"from": "src", "to": "depot", "product": "widget"}, {"from": "depot", "to": "cust", "product": "widget"}],
    }
    result = cli("topology", "show", write_yaml(tmp_path, data))
    assert result.exit_code == 0
    assert "  (no fab, memory, packaging, grid or source node with a capacity)" in result.stdout
    assert "  (no labs)" in result.stdout
    assert result.stdout.rstrip().endswith("depot                    stock      XX      0.5000")
    # a source with a capacity is shown, by year from the topology's start
    node(data, "src")["capacity"] = 14
    data["start"] = "2024-01-01"
    out = cli("topology", "show", write_yaml(tmp_path, data, "cap.yaml")).stdout.splitlines()
    at = out.index("  units: source units/week")
    assert out[at + 1].split() == ["year", "source"] and out[at + 2].split() == ["2024", "14"]
    assert out[at + 15].split() == ["2037", "14"] and not out[at + 16].strip()


def test_python_dash_m_supplychain_is_the_command() -> None:
    """`python -m supplychain` (an interpreter whose scripts folder is not on PATH) runs the same
    commands, with the same one-line errors and exit statuses."""
    import subprocess
    import sys

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "supplychain", *args], capture_output=True, text=True, timeout=120)

    ok = run("topology", "validate", str(MINIMAL))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == cli("topology", "validate", MINIMAL).stdout
    bad = run("run", "--seed", "-1")
    assert bad.returncode == 2 and bad.stderr.splitlines() == ["supplychain run: --seed: must be at least 0 (got -1)"]


def test_validate_counts_the_edges_written_not_the_supplier_customer_pairs(tmp_path: Path) -> None:
    """A fab shipping two dies to one packager is two edges of the file (one per product) but one pair of
    the graph: validate said "ok (12 edges)" of a file of 16, as if four had been dropped."""
    data = load_topology(Path("topology/default.yaml")).graph["model"].model_dump(by_alias=True, exclude_none=True)
    pairs = {(e["from"], e["to"]) for e in data["edges"]}
    assert len(pairs) < len(data["edges"])  # the default network has such edges
    result = cli("topology", "validate", "topology/default.yaml")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().endswith(f"nodes, {len(data['edges'])} edges)")
    scenario = cli("scenario", "validate", "policies/baseline.yaml")
    assert scenario.exit_code == 0 and f"nodes, {len(data['edges'])} edges)" in scenario.stdout, scenario.output


@pytest.mark.skipif(not Path("/dev/stdin").exists(), reason="needs /dev/stdin")
def test_a_topology_read_from_a_stream_is_read_by_its_content(tmp_path: Path) -> None:
    """`topology validate /dev/stdin < t.yaml`, `<(cat t.graphml)` and `run --topology /dev/stdin`: a stream has no
    suffix, so the format was guessed a CSV folder ("expected a folder holding nodes.csv and edges.csv")."""
    import json
    import os
    import subprocess
    import sys

    def run(*args: str, **stdin) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(MINIMAL.parents[1]), os.environ.get("PYTHONPATH", "")])}
        return subprocess.run([sys.executable, "-m", "supplychain", *args], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=120, **stdin)

    for fmt in ("yaml", "json", "graphml"):
        assert cli("topology", "convert", MINIMAL, tmp_path / f"t.{fmt}").exit_code == 0
        piped = run("topology", "validate", "/dev/stdin", input=(tmp_path / f"t.{fmt}").read_text(encoding="utf-8"))
        assert (piped.returncode, piped.stderr, piped.stdout) == (0, "", "/dev/stdin: ok (10 nodes, 8 edges)\n"), fmt
    read, write = os.pipe()  # `<(cat t.graphml)`: a descriptor of the command, /dev/fd/N
    with os.fdopen(write, "w", encoding="utf-8") as pipe:
        pipe.write((tmp_path / "t.graphml").read_text(encoding="utf-8"))
    try:
        fd = run("topology", "validate", f"/dev/fd/{read}", pass_fds=(read,))
    finally:
        os.close(read)
    assert (fd.returncode, fd.stdout) == (0, f"/dev/fd/{read}: ok (10 nodes, 8 edges)\n"), fd.stderr
    assert cli("topology", "convert", MINIMAL, tmp_path / "csv").exit_code == 0
    table = run("topology", "validate", "/dev/stdin", input=(tmp_path / "csv" / "nodes.csv").read_text(encoding="utf-8"))
    assert table.returncode == 2 and table.stderr.splitlines() == [
        "/dev/stdin: <root>: expected a YAML, JSON or GraphML topology; a CSV topology is a folder (nodes.csv, edges.csv), "
        "which a stream cannot be (got a CSV table)"]
    (tmp_path / "s.yaml").write_text("name: piped\nend: 2022-03-31\n", encoding="utf-8")
    ran = run("run", "s.yaml", "--topology", "/dev/stdin", "-n", "1", "-w", "1", "-q", "-o", "out",
              input=MINIMAL.read_text(encoding="utf-8"))
    assert ran.returncode == 0, ran.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenarios"][0]["topology"] == "/dev/stdin"  # not /proc/4242/fd/pipe:[358176]


def test_a_stream_is_told_graphml_json_or_yaml_by_its_content_not_its_first_characters(tmp_path: Path) -> None:
    """GraphML (without a declaration) after a blank line, a YAML flow mapping (not JSON), YAML whose first line holds a comma beside a
    colon or in a comment are not a CSV table, and a YAML list is no topology."""
    from supplychain.errors import InputError
    from supplychain.formats import read_stream

    assert cli("topology", "convert", MINIMAL, tmp_path / "t.graphml").exit_code == 0
    stream = tmp_path / "stream"
    graphml = (tmp_path / "t.graphml").read_text(encoding="utf-8").split("?>", 1)[1]  # no declaration: XML may start later
    stream.write_text("\n  " + graphml, encoding="utf-8")
    assert read_stream(stream)["name"] == load_topology(MINIMAL).graph["model"].name
    for text in ("{name: x, nodes: []}\n", "description: a, b\nname: x\nnodes: []\n", "# by hand, for a test\nname: x\nnodes: []\n"):
        stream.write_text(text, encoding="utf-8")
        assert read_stream(stream)["name"] == "x", text
    stream.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"expected a YAML, JSON or GraphML topology; .* \(got \['a', 'b'\]\)$"):
        read_stream(stream)


def test_show_top_equal_to_the_chokepoints_lists_them_all_and_no_more_line() -> None:
    """minimal.yaml has five single points of failure: `--top 5` lists the five and says nothing of more."""
    result = cli("topology", "show", MINIMAL, "--top", "5")
    spof_rows = result.stdout.split("Single points of failure")[1].split("Most central")[0].splitlines()
    assert len([r for r in spof_rows if r.startswith("  ") and "%" in r]) == 5
    assert not any("... and" in r for r in spof_rows), spof_rows


def test_show_on_a_pair_of_nodes_says_no_node_lies_between_two_others(tmp_path: Path) -> None:
    """A source shipping straight to its customer: no node is on a path between two others, no lab."""
    data = {"name": "pair", "products": {"widget": {"kind": "item"}},
            "nodes": [{"id": "src", "kind": "source", "makes": ["widget"], "cycle_time": 1},
                      {"id": "cust", "kind": "demand", "item": "widget", "demand": {"mode": "fixed", "rate": 1}}],
            "edges": [{"from": "src", "to": "cust", "product": "widget", "transport": 1}]}
    result = cli("topology", "show", write_yaml(tmp_path, data))
    assert result.exit_code == 0, result.output
    central = result.stdout.split("Most central nodes (betweenness centrality)")[1].splitlines()
    assert central[1:] == ["  (no node lies between two others)"]


def test_generate_with_another_seed_writes_another_network(tmp_path: Path) -> None:
    """`--seed` is honoured: seeds 5 and 6 give different networks of the same size."""
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert cli("topology", "generate", "-n", "60", "-s", "5", "-o", a).exit_code == 0
    assert cli("topology", "generate", "-n", "60", "-s", "6", "-o", b).exit_code == 0
    assert a.read_text() != b.read_text()


def test_show_says_when_centrality_is_estimated_from_sampled_sources(tmp_path: Path) -> None:
    """Over 150 nodes that ship (here 160 sources and a depot) betweenness is estimated, and the heading says so;
    the depot every path crosses is still the most central."""
    sources = [{"id": f"s{i}", "kind": "source", "makes": ["widget"], "cycle_time": 1} for i in range(160)]
    data = {"name": "many", "products": {"widget": {"kind": "item"}},
            "nodes": [*sources, {"id": "depot", "kind": "stock", "item": "widget", "policy": "make_to_order"},
                      {"id": "cust", "kind": "demand", "item": "widget", "demand": {"mode": "fixed", "rate": 1}}],
            "edges": [*({"from": s["id"], "to": "depot", "product": "widget", "transport": 1} for s in sources),
                      {"from": "depot", "to": "cust", "product": "widget", "transport": 1}]}
    result = cli("topology", "show", write_yaml(tmp_path, data))
    assert result.exit_code == 0, result.output
    central = result.stdout.split("Most central nodes (betweenness centrality, estimated from sampled sources)")[1]
    assert central.splitlines()[1].split()[0] == "depot"
