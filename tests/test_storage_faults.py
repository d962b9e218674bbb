"""Issue 13, point 9 (the storage and command-line faults): a read-only corpus or instance,
a full disk under the corpus, the instance or an export, `add /dev/zero`, a FIFO given to
`add`. Each is one clear line naming the file, a non-zero exit, nothing lost, no traceback.

Full and read-only file systems are real ones: a small tmpfs mounted for the test (as root,
which the test machine and CI run as; as another user the read-only cases use permissions).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from archive.config import PROJECT_ROOT, Config
from archive.storage.store import Corpus
from tests.conftest import FIXTURE_CORPUS, SEED_ID
from tests.test_store import edited, state


def run(config: Config, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        config.command(*args), capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=timeout
    )


def refused(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert words in result.stderr, result.stderr


@contextlib.contextmanager
def tmpfs(folder: Path, size: str):
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)])
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs root (full-disk faults need a real full disk)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path, leave: int) -> None:
    """Fill the file system of `folder` until only about `leave` bytes are free."""
    stat = os.statvfs(folder)
    free = stat.f_bavail * stat.f_frsize
    with open(folder / "filler", "wb") as handle, contextlib.suppress(OSError):
        handle.write(b"\0" * max(0, free - leave))


@contextlib.contextmanager
def read_only(folder: Path):
    if os.geteuid() == 0:
        subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
        try:
            yield
        finally:
            subprocess.run(["umount", str(folder)], check=True)
    else:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")] if p.is_dir()}
        for path in modes:
            path.chmod(0o555)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)


def test_a_fifo_given_to_add_is_refused_at_once(corpus_copy, tmp_path):
    fifo = tmp_path / "incoming.xml"
    os.mkfifo(fifo)
    before = state(corpus_copy)
    result = run(corpus_copy, "add", str(fifo), timeout=60)
    refused(result, f"{fifo}: is not a regular file")
    assert state(corpus_copy) == before


def test_add_dev_zero_is_refused_without_reading_it(corpus_copy):
    result = run(corpus_copy, "add", "/dev/zero", timeout=60)
    refused(result, "/dev/zero: is not a regular file")


def test_a_huge_file_is_refused_after_reading_20_mb_only(corpus_copy, tmp_path):
    huge = tmp_path / "huge.xml"
    with open(huge, "wb") as handle:
        handle.truncate(5 * 1024**3)  # 5 GB, sparse: reading it whole would not fit
    result = run(corpus_copy, "add", str(huge), timeout=60)
    refused(result, "file is larger than 20 MB")


def test_a_read_only_corpus_refuses_changes_and_still_serves(corpus_copy, tmp_path):
    revision = edited(corpus_copy, SEED_ID, "truest sense", "truest sense (sic)", tmp_path / "w")
    run(corpus_copy, "index")
    before = state(corpus_copy)
    with read_only(corpus_copy.corpus):
        refused(run(corpus_copy, "add", "--revise", str(revision)), "cannot change the corpus")
        refused(run(corpus_copy, "withdraw", SEED_ID, "--reason", "x"), "cannot change the corpus")
        assert run(corpus_copy, "verify").returncode == 0
        assert run(corpus_copy, "validate").returncode == 0
        assert run(corpus_copy, "search", "mine").returncode == 0
    assert state(corpus_copy) == before


def test_a_read_only_instance_is_named(corpus_copy, tmp_path):
    instance = tmp_path / "ro-instance"
    instance.mkdir()
    config = Config(corpus=corpus_copy.corpus, instance=instance)
    with read_only(instance):
        refused(run(config, "index"), "read-only file system")


def test_a_full_disk_under_the_corpus_loses_nothing(tmp_path):
    with tmpfs(tmp_path / "disk", "2m") as disk:
        shutil.copytree(FIXTURE_CORPUS, disk / "corpus")
        config = Config(corpus=disk / "corpus", instance=tmp_path / "instance")
        revision = edited(config, SEED_ID, "truest sense", "truest sense (sic)", tmp_path / "w")
        before = state(config)
        for leave in (0, 4096, 12_000, 20_000, 28_000):
            fill(disk, leave)
            result = run(config, "add", "--revise", str(revision))
            (disk / "filler").unlink()
            if result.returncode == 0:
                break
            refused(result, "No space left on device")
            run(config, "index")  # rolls back anything a failure left
            assert state(config) == before, leave
        assert Corpus(config).integrity_problems() == []


def test_a_full_disk_under_the_instance_leaves_corpus_and_index_as_they_were(corpus_copy, tmp_path):
    revision = edited(corpus_copy, SEED_ID, "truest sense", "truest sense (sic)", tmp_path / "w")
    with tmpfs(tmp_path / "disk", "4m") as disk:
        config = Config(corpus=corpus_copy.corpus, instance=disk / "instance")
        assert run(config, "index").returncode == 0
        before = state(config)
        fill(disk, 0)
        result = run(config, "add", "--revise", str(revision))
        refused(result, "No space left on device")
        assert Corpus(config).read_bytes(SEED_ID) == before[f"documents/{SEED_ID}.xml"]
        assert Corpus(config).version_numbers(SEED_ID) == [1]
        (disk / "filler").unlink()
        # The journal stays until the index is known to be in step again: `archive index`.
        assert run(config, "index").returncode == 0
        assert state(config) == before
        assert run(config, "add", "--revise", str(revision)).returncode == 0


def test_a_full_disk_under_an_export_leaves_no_file(corpus_copy, tmp_path):
    assert run(corpus_copy, "index").returncode == 0
    with tmpfs(tmp_path / "disk", "1m") as disk:
        fill(disk, 4096)
        for fmt in ("zip", "jsonl", "tei"):
            out = disk / f"out.{fmt}"
            refused(run(corpus_copy, "export", "--format", fmt, "-o", str(out)), "No space left")
            assert not out.exists()
            assert [p.name for p in disk.iterdir()] == ["filler"]


def test_a_fifo_never_holds_the_corpus_lock(corpus_copy, tmp_path):
    """While `add` is refusing the FIFO, another writer is not kept out."""
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    done = threading.Event()

    def feeder():  # if `add` did open the FIFO, this would let it go on
        done.wait(90)

    threading.Thread(target=feeder, daemon=True).start()
    result = run(corpus_copy, "add", str(fifo), timeout=60)
    done.set()
    refused(result, "is not a regular file")
    assert run(corpus_copy, "withdraw", SEED_ID, "--reason", "Test.").returncode == 0
