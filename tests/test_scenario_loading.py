"""Loading a scenario (`supplychain.scenario`): where its topology is, what the config hash covers, the forms
`resolve` takes, and which file an error inherited through `extends` is blamed on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from supplychain.scenario import load_scenario

from _scenarios import MINIMAL, fails, world  # noqa: F401 - world is a fixture
from conftest import write

# what is asserted is the resolved scenario (its `.warnings` where they matter), not the Python warning
pytestmark = pytest.mark.filterwarnings("ignore::supplychain.errors.ScenarioWarning")


def test_the_config_hash_leaves_out_how_the_topology_is_named(world: Path) -> None:
    """The hash is the content run, not where it lies: the same topology named `topo.yaml`, `./topo.yaml`, by its
    absolute path, or as a copy in another folder is one hash; another figure in the topology is another."""
    first = load_scenario(world / "base.yaml").config_hash
    text = (world / "base.yaml").read_text()
    shutil.copy(world / "topo.yaml", world / "elsewhere.yaml")
    for named in ("./topo.yaml", str(world / "topo.yaml"), "elsewhere.yaml"):
        other = write(world, "same.yaml", text.replace("topology: topo.yaml", f"topology: {named}"))
        assert load_scenario(other).config_hash == first, named
    (world / "elsewhere.yaml").write_text((world / "topo.yaml").read_text().replace("value: 2000,", "value: 2001,", 1))
    assert "2001," in (world / "elsewhere.yaml").read_text()
    assert load_scenario(other).config_hash != first


def test_an_override_the_topology_cannot_take_written_by_a_parent_and_again_by_the_child_is_the_childs(world: Path) -> None:
    """The merged `set:` holds the child's value of a path its parent also wrote: the line names the child,
    whose value failed (the parent's was replaced), as it names the parent when the child leaves it alone."""
    import yaml

    parent = write(world, "parent.yaml", yaml.safe_dump({"extends": "base.yaml", "set": {"products.nope.tpp": 1}}))
    child = write(world, "child.yaml", yaml.safe_dump({"extends": "parent.yaml", "set": {"products.nope.tpp": 2}}))
    err = fails(child, "set.products.nope.tpp", match="unknown product in topology topo.yaml (got 'nope')")
    assert err.file == str(child)
    quiet = write(world, "quiet.yaml", yaml.safe_dump({"extends": "parent.yaml", "seed": 2}))
    assert fails(quiet, "set.products.nope.tpp").file == str(parent)


def test_show_names_the_topology_relative_to_the_scenarios_folder_so_a_moved_folder_keeps_its_own(world: Path,
                                                                                                  tmp_path_factory) -> None:
    """`scenario show` prints the topology relative to the file's folder, as one writes it: the printout saved
    beside the file and the folder then moved (or sent to a colleague) runs on the topology moved with it, not
    on a path of the machine it was printed on. An inherited topology is named from the child's folder."""
    import yaml

    from supplychain.topology import dump_yaml
    from supplychain.scenario import shown_data

    write(world, "sub/parent.yaml", "topology: ../topo.yaml\n")
    child = write(world, "other/child.yaml", "extends: ../sub/parent.yaml\n")
    assert shown_data(load_scenario(child))["topology"] == "../topo.yaml"
    (world / "saved.yaml").write_text(dump_yaml(shown_data(load_scenario(world / "base.yaml"))))
    assert yaml.safe_load((world / "saved.yaml").read_text())["topology"] == "topo.yaml"
    moved = tmp_path_factory.mktemp("moved")
    for name in ("saved.yaml", "topo.yaml"):
        shutil.copy(world / name, moved / name)
    (world / "topo.yaml").unlink()  # the old folder's topology gone: only the moved one can be read
    assert load_scenario(moved / "saved.yaml").topology_path == moved / "topo.yaml"


def test_a_scenario_in_a_symlinked_folder_names_its_topology_as_the_system_reads_the_path(tmp_path: Path) -> None:
    """`topology: ../topo.yaml` in a folder reached by a symlink names the file beside the link's target, as `cat`
    reads it; the path was normalised first, `link/..` dropped, and the line said `no such topology file` of a
    file that opens. Its child in the same folder (an inherited path) runs on the same topology."""
    real = tmp_path / "real" / "a"
    shutil.copy(MINIMAL, write(real, "topo.yaml", "").parent / "topo.yaml")
    write(real, "b/parent.yaml", "topology: ../topo.yaml\nend: 2022-06-30\n")
    write(real, "b/child.yaml", "extends: parent.yaml\n")
    (tmp_path / "link").symlink_to(real / "b", target_is_directory=True)
    for name in ("parent.yaml", "child.yaml"):
        rs = load_scenario(tmp_path / "link" / name)
        assert rs.topology_path.resolve() == (real / "topo.yaml").resolve(), name
