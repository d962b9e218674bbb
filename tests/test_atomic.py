"""archive/atomic.py: a file is replaced whole or not at all."""

from __future__ import annotations

import pytest

from archive.atomic import write_atomic
from archive.errors import ArchiveError


def test_writes_every_file(tmp_path):
    write_atomic([(tmp_path / "a.xml", b"<a/>"), (tmp_path / "b.json", b"{}")])
    assert (tmp_path / "a.xml").read_bytes() == b"<a/>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xml", "b.json"]


def test_when_one_target_fails_no_target_changes(tmp_path):
    first = tmp_path / "a.xml"
    first.write_bytes(b"old")
    with pytest.raises(ArchiveError, match="does not exist"):
        write_atomic([(first, b"new"), (tmp_path / "missing" / "b.json", b"{}")])
    assert first.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.xml"]
