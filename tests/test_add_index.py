"""`archive add` and the index move together: after a kill at any step, the corpus and the
index are as they were, once the next command has rolled the unfinished change back."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.search.indexing import update_index
from archive.storage.store import Corpus
from tests.conftest import SEED_ID, snapshot

PROJECT = Path(__file__).resolve().parent.parent
NEW_ID = "appeal-indexed-together"


def cli(config, *args):
    return CliRunner().invoke(main, config.arguments(*args))


def hits(config, query: str) -> list[str]:
    result = cli(config, "search", query, "--json")
    assert result.exit_code == 0, result.output
    return [hit["id"] for hit in json.loads(result.stdout)["hits"]]


def new_document(config, folder: Path) -> Path:
    text = Corpus(config).read_bytes(SEED_ID).decode().replace(SEED_ID, NEW_ID)
    text = text.replace('<change when="2026-11-26" n="1">', '<change when="2026-11-20" n="1">')
    text = text.replace("ecological catastrophe", "ecological catastrophe of zebrawords")
    folder.mkdir(exist_ok=True)
    path = folder / f"{NEW_ID}.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_added_document_is_searchable_at_once_and_a_withdrawn_one_is_gone(corpus_copy, tmp_path):
    update_index(corpus_copy)
    result = cli(corpus_copy, "add", str(new_document(corpus_copy, tmp_path / "w")))
    assert result.exit_code == 0, result.output
    assert hits(corpus_copy, "zebrawords") == [NEW_ID]
    result = cli(corpus_copy, "withdraw", NEW_ID, "--reason", "Test record.")
    assert result.exit_code == 0, result.output
    assert hits(corpus_copy, "zebrawords") == []


KILL_IN_INDEX = textwrap.dedent(
    """
    import os, signal, sys
    import archive.search as index_commands  # the add's index step takes it from here
    from archive.cli import main

    real = index_commands.update_documents
    def update_then_die(config, ids):
        real(config, ids)              # the index now holds the new document ...
        os.kill(os.getpid(), signal.SIGKILL)  # ... and the change was never finished
    index_commands.update_documents = update_then_die
    main(sys.argv[1:])
    """
)


@pytest.mark.parametrize("when", ["before-index", "after-index"])
def test_a_kill_around_the_index_update_leaves_corpus_and_index_as_before(
    corpus_copy, tmp_path, when
):
    update_index(corpus_copy)
    before = {k: v for k, v in snapshot(corpus_copy.corpus).items() if k != ".lock"}
    path = new_document(corpus_copy, tmp_path / "w")
    script = (
        KILL_IN_INDEX
        if when == "after-index"
        else KILL_IN_INDEX.replace("real(config, ids)  ", "pass  ")
    )
    args = corpus_copy.arguments("add", str(path))
    completed = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, cwd=PROJECT
    )
    assert completed.returncode == -9, completed.stderr.decode()

    result = cli(corpus_copy, "index")  # the next command rolls the unfinished add back
    assert result.exit_code == 0, result.output
    assert f"rolled back an unfinished change to: {NEW_ID}" in result.stderr
    assert {k: v for k, v in snapshot(corpus_copy.corpus).items() if k != ".lock"} == before
    assert hits(corpus_copy, "zebrawords") == []
    assert cli(corpus_copy, "validate").exit_code == 0


PARALLEL_REBUILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import archive.search.indexing as indexing
    from archive.config import Config

    indexing.PARALLEL_MIN_DOCS = 1  # workers even for a small corpus
    config = Config(corpus=Path(sys.argv[1]), instance=Path(sys.argv[2]))
    indexing.update_index(config, rebuild=True, procs=2)
    """
)


def test_kill_9_of_a_parallel_rebuild_takes_its_workers_with_it(tmp_path):
    """`kill -9` of the command only (not its process group, as a person types it): the
    workers it started must not go on building a generation nobody will use."""
    import os
    import signal
    import time

    import psutil

    from tests.synthetic import make_corpus

    config = make_corpus(tmp_path, 400)
    process = subprocess.Popen(
        [sys.executable, "-c", PARALLEL_REBUILD, str(config.corpus), str(config.instance)],
        cwd=PROJECT,
        stderr=subprocess.DEVNULL,
    )
    parent = psutil.Process(process.pid)
    deadline = time.monotonic() + 60
    workers: list[psutil.Process] = []
    while len(workers) < 2:
        assert process.poll() is None and time.monotonic() < deadline, "no workers started"
        workers = [p for p in parent.children() if "spawn_main" in " ".join(p.cmdline())]
        time.sleep(0.05)
    time.sleep(0.5)  # the workers are importing or indexing
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    _, alive = psutil.wait_procs(workers, timeout=10)
    for worker in alive:
        worker.kill()
    assert alive == [], "workers outlived the killed command"
    result = cli(config, "index")
    assert result.exit_code == 0, result.output
    generations = [p for p in config.index_dir.iterdir() if p.is_dir()]
    assert len(generations) == 1
