"""archive/storage/fsutil.py: a file is replaced whole or not at all."""

from __future__ import annotations

import pytest

from archive.errors import ArchiveError
from archive.storage.fsutil import atomic_write, atomic_write_many


def test_writes_every_file(tmp_path):
    atomic_write_many([(tmp_path / "a.xml", b"<a/>"), (tmp_path / "b.json", b"{}")])
    assert (tmp_path / "a.xml").read_bytes() == b"<a/>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xml", "b.json"]


def test_when_one_target_fails_no_target_changes(tmp_path):
    first = tmp_path / "a.xml"
    first.write_bytes(b"old")
    with pytest.raises(ArchiveError, match="does not exist"):
        atomic_write_many([(first, b"new"), (tmp_path / "missing" / "b.json", b"{}")])
    assert first.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.xml"]


def test_a_file_that_must_not_be_overwritten_is_refused(tmp_path):
    target = tmp_path / "1.xml"
    atomic_write(target, b"first", overwrite=False)
    with pytest.raises(FileExistsError):
        atomic_write(target, b"second", overwrite=False)
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["1.xml"]


def test_a_failure_while_writing_leaves_no_temporary_and_no_target(tmp_path):
    from archive.storage.fsutil import atomic_writer

    target = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError), atomic_writer(target) as handle:
        handle.write(b"partial")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_writing_over_a_folder_is_an_error_naming_it(tmp_path):
    with pytest.raises(ArchiveError, match="is a directory"):
        atomic_write(tmp_path, b"x")
