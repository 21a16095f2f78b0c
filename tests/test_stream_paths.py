"""`stream_paths.is_stream`: a path read through a file descriptor is a stream, whatever links lead to it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from supplychain.stream_paths import is_stream


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
def test_a_relative_link_to_a_descriptor_is_followed_from_its_own_folder(tmp_path: Path) -> None:
    """A link's relative target is relative to the link's folder: joined to the link itself, `in.yaml ->
    ../../dev/fd/N` led one folder too deep, to no file, and a regular file read through a descriptor was a file
    whose folder (/dev/fd) relative paths were read from."""
    (tmp_path / "s.yaml").write_text("name: s\n", encoding="utf-8")
    fd = os.open(tmp_path / "s.yaml", os.O_RDONLY)
    try:
        link = tmp_path / "sub" / "in.yaml"
        link.parent.mkdir()
        link.symlink_to(os.path.relpath(f"/dev/fd/{fd}", link.parent))
        assert is_stream(link)
        plain = tmp_path / "sub" / "plain.yaml"
        plain.symlink_to(os.path.join("..", "s.yaml"))
        assert not is_stream(plain) and not is_stream(tmp_path / "s.yaml") and not is_stream(tmp_path)
    finally:
        os.close(fd)


@pytest.mark.skipif(not Path("/proc/thread-self/fd").is_dir(), reason="needs Linux /proc/thread-self")
def test_a_file_read_through_a_threads_descriptor_folder_is_a_stream(tmp_path: Path) -> None:
    """/proc/thread-self/fd/N is /proc/<pid>/task/<tid>/fd/N: a regular file reached through it has that folder,
    not the file's own, so it is a stream like /dev/fd/N and /proc/self/fd/N."""
    (tmp_path / "s.yaml").write_text("name: s\n", encoding="utf-8")
    fd = os.open(tmp_path / "s.yaml", os.O_RDONLY)
    try:
        assert is_stream(Path(f"/proc/thread-self/fd/{fd}")) and is_stream(Path(f"/proc/self/fd/{fd}"))
    finally:
        os.close(fd)


def test_a_path_that_does_not_exist_or_no_system_can_name_is_not_a_stream(tmp_path: Path) -> None:
    """`is_stream` is asked before a file is read: a missing file, and a name with a NUL byte (which `os.stat`
    refuses with ValueError, not OSError), are not streams, so the reader's own error names them."""
    assert not is_stream(tmp_path / "missing.yaml")
    assert not is_stream(Path("s\0.yaml"))


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_a_device_or_a_pipe_is_a_stream(tmp_path: Path) -> None:
    """Not a regular file: a character device (a terminal, /dev/null) has no folder of files beside it any more than a
    named pipe does."""
    os.mkfifo(tmp_path / "pipe")
    assert is_stream(tmp_path / "pipe") and is_stream(Path("/dev/null"))
