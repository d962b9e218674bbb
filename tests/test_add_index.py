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
from archive.indexing import update_index
from archive.store import Corpus
from tests.conftest import SEED_ID, snapshot

PROJECT = Path(__file__).resolve().parent.parent
NEW_ID = "appeal-indexed-together"


def cli(config, *args):
    return CliRunner().invoke(
        main, ["--corpus", str(config.corpus), "--instance", str(config.instance), *args]
    )


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
    import archive.cli as cli

    real = cli.update_documents
    def update_then_die(config, ids):
        real(config, ids)              # the index now holds the new document ...
        os.kill(os.getpid(), signal.SIGKILL)  # ... and the change was never finished
    cli.update_documents = update_then_die
    cli.main(sys.argv[1:])
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
    args = [
        "--corpus",
        str(corpus_copy.corpus),
        "--instance",
        str(corpus_copy.instance),
        "add",
        str(path),
    ]
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
