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
