"""`archive export`: whole files or nothing, even when the process is interrupted or killed."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.storage import fsutil
from archive.storage.store import Corpus
from tests.conftest import FIXTURE_DOCUMENTS
from tests.synthetic import make_corpus


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def test_export_writes_the_whole_archive_to_the_file(corpus_copy, tmp_path):
    out = tmp_path / "out" / "archive.zip"
    out.parent.mkdir()
    result = run("--corpus", str(corpus_copy.corpus), "export", "--format", "zip", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"{FIXTURE_DOCUMENTS} documents" in result.stderr
    with zipfile.ZipFile(out) as archive:
        data = [n for n in archive.namelist() if "/data/documents/" in n]
    assert len(data) == FIXTURE_DOCUMENTS
    assert sorted(out.parent.iterdir()) == [out]  # no temporary file left beside it


def test_export_replaces_an_existing_file_whole(corpus_copy, tmp_path):
    out = tmp_path / "all.jsonl"
    out.write_text("old contents\n")
    args = ["--corpus", str(corpus_copy.corpus), "--instance", str(tmp_path / "instance")]
    result = run(*args, "export", "--format", "jsonl", "-o", str(out), "--force")
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == Corpus(corpus_copy).ids()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.jsonl", "corpus", "instance"]


def test_export_to_standard_output(corpus_copy, tmp_path):
    args = ["--corpus", str(corpus_copy.corpus), "--instance", str(tmp_path / "i")]
    result = run(*args, "export", "--format", "csv", "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("id,title,type,issued,issued_from,issued_to,issued_certainty,")
    assert len(result.stdout.strip().splitlines()) == 1 + FIXTURE_DOCUMENTS


def test_a_search_exports_exactly_what_the_search_finds(corpus_copy, tmp_path):
    args = ["--corpus", str(corpus_copy.corpus), "--instance", str(tmp_path / "instance")]
    out = tmp_path / "mines.jsonl"
    result = run(
        *args,
        "export",
        "mines",
        "--filter",
        "type=appeal",
        "--sort",
        "-date",
        "--format",
        "jsonl",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    exported = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    found = run(*args, "search", "mines", "--filter", "type=appeal", "--sort", "-date", "--json")
    assert exported == [hit["id"] for hit in json.loads(found.stdout)["hits"]]
    assert exported == ["ngo-appeal-mine-victims-2023-04-29", "ngo-appeal-mine-maps-2021"]


def test_a_bad_search_is_refused_and_writes_nothing(corpus_copy, tmp_path):
    args = ["--corpus", str(corpus_copy.corpus), "--instance", str(tmp_path / "instance")]
    out = tmp_path / "x.zip"
    result = run(*args, "export", 'treaty:"Protocol II"', "--format", "zip", "-o", str(out))
    assert result.exit_code == 2
    assert "ambiguous" in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_a_filter_must_be_field_equals_value(tmp_path):
    result = run(
        "--instance",
        str(tmp_path / "i"),
        "export",
        "--filter",
        "appeal",
        "--format",
        "csv",
        "-o",
        str(tmp_path / "x"),
    )
    assert result.exit_code == 2
    assert "--filter 'appeal': write FIELD=VALUE" in result.stderr


def test_an_unknown_format_is_a_usage_error(tmp_path):
    result = run("export", "--format", "pdf", "-o", str(tmp_path / "x"))
    assert result.exit_code == 2 and "'pdf' is not one of" in result.output


# --- interruption -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory):
    """Enough documents that a cold JSON Lines export runs for seconds."""
    return make_corpus(tmp_path_factory.mktemp("big"), 1500)


def _open_output(pid: int, folder: Path) -> int:
    """Bytes written so far to the export's output in `folder` (unnamed or temporary)."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(folder) + "/"):
            try:
                return os.stat(fd).st_size
            except OSError:
                continue
    return 0


# A terminal's Ctrl-C even where the test runner was started with SIGINT ignored.
_CLI = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from archive.cli import main; sys.exit(main())"
)


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("existing", [False, True])
def test_an_interrupted_export_leaves_no_partial_file(big_corpus, tmp_path, signum, existing):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "everything.jsonl"
    if existing:
        out.write_text("the previous export\n")
    args = ["--corpus", str(big_corpus.corpus), "--instance", str(tmp_path / "instance")]
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _CLI,
            *args,
            "export",
            "--format",
            "jsonl",
            "-o",
            str(out),
            "--force",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while _open_output(process.pid, out_dir) == 0:
            assert process.poll() is None, "the export ended before it could be interrupted"
            assert time.monotonic() < deadline, "the export never started writing"
            time.sleep(0.005)
        process.send_signal(signum)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0
    if existing:
        assert [p.name for p in out_dir.iterdir()] == [out.name]
        assert out.read_text() == "the previous export\n"
    else:
        assert list(out_dir.iterdir()) == []
    assert b"Traceback" not in process.stderr.read()
    process.stderr.close()


# --- the writer's fallbacks ---------------------------------------------------------------


def test_without_unnamed_files_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(fsutil, "_open_unnamed", lambda folder: None)
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), fsutil.unnamed_atomic_writer(target) as handle:
        handle.write(b"half of it")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with fsutil.unnamed_atomic_writer(target) as handle:
        handle.write(b"all of it")
    assert target.read_bytes() == b"all of it"


def test_where_an_unnamed_file_cannot_be_linked_it_is_copied(tmp_path, monkeypatch):
    def cannot_link(fd: int, target: Path) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link", str(target))

    monkeypatch.setattr(fsutil, "_link_fd", cannot_link)
    target = tmp_path / "out.zip"
    with fsutil.unnamed_atomic_writer(target) as handle:
        handle.write(b"x" * 3_000_000)
    assert target.read_bytes() == b"x" * 3_000_000
    assert list(tmp_path.iterdir()) == [target]
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_the_unnamed_writer_links_in_place_and_replaces(tmp_path):
    target = tmp_path / "out.bib"
    for text in (b"first", b"second"):
        with fsutil.unnamed_atomic_writer(target) as handle:
            handle.write(text)
        assert target.read_bytes() == text
    assert list(tmp_path.iterdir()) == [target]


def test_export_refuses_to_overwrite_a_file_without_force(corpus_copy, tmp_path):
    out = tmp_path / "mine.csv"
    out.write_text("a researcher's own table\n")
    args = ["--corpus", str(corpus_copy.corpus), "--instance", str(tmp_path / "instance")]
    result = run(*args, "export", "--format", "csv", "-o", str(out))
    assert result.exit_code != 0
    assert f"{out} exists: give --force to replace it" in result.stderr
    assert out.read_text() == "a researcher's own table\n"
    assert "Traceback" not in result.output


def test_export_does_not_create_a_missing_folder(corpus_copy, tmp_path):
    out = tmp_path / "typo" / "all.csv"
    args = ["--corpus", str(corpus_copy.corpus), "--instance", str(tmp_path / "instance")]
    result = run(*args, "export", "--format", "csv", "-o", str(out))
    assert result.exit_code != 0
    assert f"no folder {out.parent} to write all.csv in" in result.stderr
    assert not out.parent.exists()


@pytest.mark.parametrize(
    "command", [["search", "mine"], ["stats"], ["index"], ["export", "--format", "csv", "-o", "-"]]
)
def test_an_instance_under_a_file_is_refused_in_words(corpus_copy, tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    # A corpus of its own: `index` takes the corpus lock, which another writer may hold.
    args = ["--corpus", str(corpus_copy.corpus), "--instance", str(blocker / "instance")]
    result = run(*args, *command)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert (
        f"the instance folder (--instance) {blocker / 'instance'} cannot be created: a part of its path is a file"
        in result.stderr
    )
