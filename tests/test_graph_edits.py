"""A loaded topology is a `networkx.DiGraph` a user may edit: what runs is the graph as edited.

`graph_to_model` keeps the model the graph was built from only while the graph holds the same data;
before, it compared node counts and kinds only, so a capacity or a share set in networkx ran the file's
figure without a word, and an edit no file could hold (a negative capacity) ran too.
"""

from __future__ import annotations

import pytest
from _topo import MINIMAL

from supplychain import simulate
from supplychain.errors import InputError
from supplychain.topology import as_model, graph_to_model, load_topology


def _node(model, nid):
    return next(n for n in model.nodes if n.id == nid)


def test_an_unedited_graph_gives_the_model_it_was_built_from() -> None:
    g = load_topology(MINIMAL)
    assert graph_to_model(g) is g.graph["model"]


def test_a_node_figure_set_in_networkx_is_the_one_the_model_holds() -> None:
    g = load_topology(MINIMAL)
    g.nodes["packager"]["capacity"] = {"value": 3.0}
    assert _node(as_model(g), "packager").capacity.value == 3.0
    g.nodes["packager"]["capacity"]["value"] = 7.0  # an edit inside a field's own mapping too
    assert _node(graph_to_model(g), "packager").capacity.value == 7.0


def test_an_edge_flow_set_in_networkx_is_the_one_the_model_holds() -> None:
    g = load_topology(MINIMAL)
    g.edges["fab", "packager"]["flows"]["logic"]["transport"] = {"dist": "fixed", "mean": 9.0}
    edge = next(e for e in graph_to_model(g).edges if (e.source_id, e.target) == ("fab", "packager"))
    assert edge.transport.mean == 9.0


def test_an_edit_no_file_could_hold_is_refused_naming_its_field() -> None:
    g = load_topology(MINIMAL)
    g.nodes["packager"]["capacity"] = -5
    with pytest.raises(InputError) as info:
        simulate(g, {"end": "2022-01-31"}, seed=1)
    assert (info.value.field, info.value.problem) == ("nodes.packager.capacity", "capacity must be positive (got -5)")


def test_a_run_on_an_edited_graph_runs_the_edit() -> None:
    """The nodes table reports the packager's capacity as edited, not the file's 12,000 a week."""
    g = load_topology(MINIMAL)
    g.nodes["packager"]["capacity"] = 5.0
    table = simulate(g, {"end": "2022-01-31"}, seed=1).nodes
    assert set(table.loc[table["node"] == "packager", "capacity_per_week"].round(9)) == {5.0}


def test_the_validated_model_travels_with_a_copy_or_a_pickle_of_the_graph() -> None:
    """A worker given a pickled graph, or a user's `g.copy()`, reuses the model rather than validating
    the network again; an edit of the copy leaves the original's model alone."""
    import pickle

    g = load_topology(MINIMAL)
    back = pickle.loads(pickle.dumps(g))
    assert graph_to_model(back) is back.graph["model"]
    twin = g.copy()
    assert graph_to_model(twin) is g.graph["model"]
    twin.nodes["packager"]["capacity"] = 4.0
    assert _node(graph_to_model(twin), "packager").capacity.value == 4.0
    assert graph_to_model(g) is g.graph["model"] and _node(g.graph["model"], "packager").capacity.value != 4.0
