"""Whether a path is a stream (`/dev/stdin`, a pipe, `<(cat f.yaml)`, `/dev/fd/N`) rather than a file in a folder.

A stream has no folder of its own (its folder is /dev or /proc/self/fd), no suffix that names its format, and
can be read only once; scenarios (`scenario_merge.scenario_folder`) and topologies (`topology.load_topology`)
read from one say so.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

__all__ = ["is_stream"]


#: a folder of file descriptors: a path reached through one is a stream (Linux /proc, macOS /dev/fd)
_DESCRIPTORS = re.compile(r"/proc/(?:self|thread-self|\d+)(?:/task/\d+)?/fd|/dev/fd")


def _through_descriptor(path: Path) -> bool:
    """Whether `path`, or a link it leads through, is an entry of a file-descriptor folder: `/dev/stdin`
    redirected from a file (`< s.yaml`) is a regular file, but its folder is /dev, not the file's."""
    here = Path(os.path.abspath(path))
    for _ in range(40):  # the kernel's own limit on links followed
        if _DESCRIPTORS.fullmatch(os.path.realpath(here.parent)):
            return True
        if not here.is_symlink():
            return False
        here = Path(os.path.abspath(here.parent / os.readlink(here)))
    return False


def is_stream(file: Path) -> bool:
    """Whether `file` is a stream rather than a file in a folder: not a regular file (a pipe, a terminal,
    `<(cat s.yaml)`) or read through a file descriptor (`/dev/stdin < s.yaml`, `/dev/fd/N`, `/proc/self/fd/N`).
    A path that does not exist is not one, nor is a folder (a CSV topology)."""
    try:
        mode = os.stat(file).st_mode
    except (OSError, ValueError):  # no such file (yet), or a name the system cannot take
        return False
    if stat.S_ISDIR(mode):
        return False
    return not stat.S_ISREG(mode) or _through_descriptor(file)
