"""The checks of the arguments the Python API and the CLI share (`arguments.check_run`): each bound, address
and output folder a user may give, accepted at its edge and refused past it as one `<arguments>` line."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.arguments import MAX_UNITS, check_run, check_scheduler
from supplychain.errors import InputError


def refused(**arguments) -> str:
    with pytest.raises(InputError) as info:
        check_run(**arguments)
    return str(info.value)


def test_replications_run_up_to_max_units_and_not_one_more() -> None:
    assert check_run(replications=MAX_UNITS)["replications"] == 100_000
    assert refused(replications=MAX_UNITS + 1) == "<arguments>: replications: must be at most 100,000 (got 100001)"


def test_the_least_seed_replications_and_workers_are_accepted() -> None:
    assert {k: v for k, v in check_run(seed=0, replications=1, workers=1).items() if k in ("seed", "replications", "workers")} \
        == {"seed": 0, "replications": 1, "workers": 1}


@pytest.mark.parametrize("address", ["local", None, "tcp://10.0.0.1:8786", "tcp://sched.example:8786/", "tcp://[::1]:8786",
                                     "inproc://10.0.0.1/1234/1", "ws://sched.example", "wss://sched.example:443/"])
def test_scheduler_addresses_dask_reads_are_accepted(address) -> None:
    """`local` (a cluster on this machine), a TCP address with its port (a trailing `/` as a URL may have), and a
    websocket URL, whose port is the web's own when left out."""
    assert check_scheduler(address) == address
    assert check_run(scheduler=address)["scheduler"] == address


@pytest.mark.parametrize("scheme", ["tcp", "tls"])
def test_a_tcp_or_tls_address_without_its_port_is_refused_before_anything_runs(scheme: str) -> None:
    """`tls://host` passed the check and failed at connect (`missing port number`), after the scenarios loaded."""
    assert refused(scheduler=f"{scheme}://10.0.0.1") == (f"<arguments>: scheduler: no port: {scheme}://HOST:PORT "
                                                         f"(got '{scheme}://10.0.0.1')")
    assert check_scheduler(f"{scheme}://10.0.0.1:8786") == f"{scheme}://10.0.0.1:8786"


def test_an_output_folder_that_is_a_link_to_nowhere_names_where_it_points(tmp_path: Path) -> None:
    """Making the folder would fail with "File exists", of a path that does not exist to the user's eye."""
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "gone")
    assert refused(out=link) == f"<arguments>: out: a link to {str(tmp_path / 'gone')!r}, which does not exist (got {str(link)!r})"
    (tmp_path / "gone").mkdir()
    assert check_run(out=link)["out"] == link


def test_an_output_folder_below_a_file_names_the_file(tmp_path: Path) -> None:
    """`--out run.log/out` (a slip for `run/out`): nothing can be made below a file; the line names it."""
    (tmp_path / "run.log").write_text("x", encoding="utf-8")
    out = tmp_path / "run.log" / "deeper" / "out"
    assert refused(out=out) == (f"<arguments>: out: cannot make the folder: {str(tmp_path / 'run.log')!r} is a file "
                                f"(got {str(out)!r})")


@pytest.mark.parametrize("value, shown", [(3, "int 3"), ([1], "list [1]"), (None, "NoneType None")])
def test_a_path_argument_that_is_not_a_path_is_one_line(value, shown: str) -> None:
    """`load_topology(3)`, `load_scenario([1])`: `Path(value)` raised a TypeError traceback."""
    from supplychain import load_scenario, load_topology

    for load in (load_topology, load_scenario):
        with pytest.raises(InputError) as info:
            load(value)
        assert str(info.value) == f"<arguments>: path: expected a file or folder path (got {shown})"


def test_load_scenario_takes_a_scenarios_contents_as_simulate_does() -> None:
    """A notebook writes a scenario in place: `load_scenario(dict)` checks it as a file's contents (it was a
    TypeError traceback, where `simulate` took the same dict)."""
    import yaml

    from supplychain import load_scenario

    root = Path(__file__).resolve().parents[1]
    data = yaml.safe_load((root / "policies" / "taiwan_blockade_6m.yaml").read_text())
    data.pop("extends", None)
    got = load_scenario(data)
    assert got.path is None and got.scenario.name == data["name"] and [s.id for s in got.scenario.shocks] == [
        s["id"] for s in data["shocks"]]
    with pytest.raises(InputError, match=r"^<input>: labs\.utilisation: "):
        load_scenario({"name": "x", "labs": {"utilisation": 3}})
