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
