"""Issue 20, beyond one machine: the writer publishes its corpus and index generation to a
replica (`archive replicate TARGET`) that a reader host serves; a reader serves the old
state or the new one, never an index that names documents its corpus copy lacks, and picks
up each publication without a restart."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.config import PROJECT_ROOT, Config
from archive.publish import token_key
from archive.search import publish_replica, update_documents, update_index
from archive.search.replica import STEPS
from archive.storage import Corpus, replica_of, withdraw
from tests.conftest import SEED_ID, copy_document, snapshot
from webui import create_app

NEW_ID = "replica-test-appeal-2026"
WORD = "zebrawords"


def cli(config, *args):
    return CliRunner().invoke(main, config.arguments(*args))


@pytest.fixture
def writer(corpus_copy):
    update_index(corpus_copy)
    return corpus_copy


@pytest.fixture
def target(tmp_path):
    return tmp_path / "replica"


def reader_config(writer, target):
    return replace(writer, corpus=target / "corpus", instance=target / "instance")


def add_on_writer(writer, doc_id=NEW_ID):
    copy_document(writer, SEED_ID, doc_id, {"ecological catastrophe": f"ecological {WORD}"})
    update_documents(writer, [doc_id])


def found(client, word=WORD):
    """Ids a reader's search finds, each checked against the reader's own corpus copy:
    an index hit whose document the replica lacks would be the wrong state."""
    answer = client.get(f"/search.json?q={word}")
    assert answer.status_code == 200, answer.data[:300]
    ids = [hit["id"] for hit in answer.get_json()["hits"]]
    for doc_id in ids:
        assert client.get(f"/doc/{doc_id}").status_code == 200, doc_id
    return ids


def test_a_reader_serves_each_publication_without_a_restart(writer, target):
    first = publish_replica(writer, target)
    assert (
        first.documents == len(Corpus(writer).ids()) and first.files_copied > 10 and first.switched
    )
    assert replica_of(target / "instance") == str(writer.corpus.resolve())
    reader = reader_config(writer, target)
    client = create_app(reader, testing=True).test_client()
    assert found(client, "mine") and not found(client)
    assert client.get(f"/doc/{NEW_ID}").status_code == 404

    add_on_writer(writer)
    second = publish_replica(writer, target)
    # Only what changed: the document, its version, fixity.jsonl, the new segment files,
    # the TOC and the index's two records of itself.
    assert not second.switched and second.generation == first.generation
    assert 5 <= second.files_copied <= 12, second
    assert found(client) == [NEW_ID]  # the same app: it noticed the new TOC by itself
    assert (
        client.get(f"/doc/{NEW_ID}/v1.xml").data
        == (writer.corpus / "versions" / NEW_ID / "1.xml").read_bytes()
    )

    # Nothing changed: nothing copied. The replica is the writer's corpus, byte for byte.
    assert publish_replica(writer, target).files_copied == 0

    def published(folder):
        return {k: v for k, v in snapshot(folder).items() if not k.startswith(".")}

    assert published(reader.corpus) == published(writer.corpus)

    # After the first publication only what fixity.jsonl says was stored since is looked
    # at: a file removed from the replica by other means comes back with --full.
    lost = reader.corpus / "versions" / SEED_ID / "1.xml"
    lost.unlink()
    assert publish_replica(writer, target).files_copied == 0 and not lost.exists()
    assert publish_replica(writer, target, full=True).files_copied == 1 and lost.exists()

    withdraw(writer, NEW_ID, "Duplicate.", on_change=lambda ids: update_documents(writer, ids))
    publish_replica(writer, target)
    assert found(client) == []
    assert client.get(f"/doc/{NEW_ID}").status_code == 410


def test_a_rebuilt_index_is_switched_to_and_the_old_one_removed_a_publication_later(writer, target):
    publish_replica(writer, target)
    client = create_app(reader_config(writer, target), testing=True).test_client()
    old = (target / "instance" / "index" / "CURRENT").read_text().strip()
    add_on_writer(writer)
    update_index(writer, rebuild=True)
    report = publish_replica(writer, target)
    assert report.switched and report.generation != old
    assert (target / "instance" / "index" / "CURRENT").read_text().strip() == report.generation
    assert found(client) == [NEW_ID]
    # A reader that read CURRENT just before the switch can still open the old folder ...
    assert (target / "instance" / "index" / old).is_dir()
    publish_replica(writer, target)
    # ... until the next publication.
    assert not (target / "instance" / "index" / old).exists()
    assert found(client) == [NEW_ID]


KILLED_AT = """
import os, signal, sys
from pathlib import Path
from archive.config import Config
from archive.search import publish_replica

def stop(step):
    if step == sys.argv[3]:
        os.kill(os.getpid(), signal.SIGKILL)

publish_replica(Config(corpus=Path(sys.argv[1]), instance=Path(sys.argv[2])),
                Path(sys.argv[4]), after_step=stop)
"""


@pytest.mark.parametrize("step", STEPS[:-1])
def test_a_publication_killed_between_steps_leaves_a_consistent_replica(writer, target, step):
    """Killed after each step (a real SIGKILL), the replica serves the old state (past the
    TOC: the new one), never a hit it has no document for; the next run finishes it."""
    publish_replica(writer, target)
    client = create_app(reader_config(writer, target), testing=True).test_client()
    add_on_writer(writer)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_AT, str(writer.corpus), str(writer.instance), step, target],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -9, killed.stderr
    state = json.loads((target / "instance" / "replica.json").read_text())
    assert state["state"] == "publishing"
    if STEPS.index(step) < STEPS.index("toc"):
        assert found(client) == []  # the old state; the document itself may already be served
        assert client.get(f"/doc/{NEW_ID}").status_code == 200
    else:
        assert found(client) == [NEW_ID]
    report = publish_replica(writer, target)
    assert found(client) == [NEW_ID]
    assert json.loads((target / "instance" / "replica.json").read_text())["state"] == "published"
    if step == "corpus":
        assert report.files_copied >= 3  # the index's files were still to copy
    assert not list(target.rglob(".tmp-*"))


def test_a_folder_that_is_not_a_replica_is_refused(writer, tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    result = cli(writer, "replicate", str(other))
    assert result.exit_code == 1
    assert f"{other} is not a replica" in result.output
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    inside = cli(writer, "replicate", str(writer.instance / "copy"))
    assert inside.exit_code == 1 and "cannot be inside" in inside.output


def test_a_replica_being_written_is_refused(writer, target):
    publish_replica(writer, target)
    lock = target / "instance" / ".replicate.lock"
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.truncate(0)
        handle.write("process 4242")
        handle.flush()
        result = cli(writer, "replicate", str(target))
    assert result.exit_code == 1
    assert "is being published to by process 4242" in result.output and str(lock) in result.output
    # An `archive add` on the replica killed mid-way: its journal is named, nothing copied.
    journal = target / "corpus" / ".journal.json"
    journal.write_text("{}")
    result = cli(writer, "replicate", str(target))
    assert result.exit_code == 1 and str(journal) in result.output


def test_the_cli_publishes_and_the_replica_never_updates_its_own_index(writer, target):
    result = cli(writer, "replicate", str(target), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["documents"] == len(Corpus(writer).ids())
    # Every host signs OAI-PMH resumption tokens with the writer's key.
    assert token_key(target / "instance") == token_key(writer.instance)
    reader = reader_config(writer, target)
    before = snapshot(target / "instance" / "index")
    # Touched files would make an index update re-hash and record them in the replica.
    os.utime(reader.corpus / "documents" / f"{SEED_ID}.xml")
    indexed = cli(reader, "index")
    assert indexed.exit_code == 0, indexed.output
    assert "is a replica of" in indexed.output
    assert snapshot(target / "instance" / "index") == before


def test_a_replica_refuses_changes_made_on_it(writer, target, tmp_path):
    """Adds, withdrawals and register changes are the writer's: on a replica they would be
    overwritten by the next publication, or leave its index naming documents the writer
    never had. Each is refused, naming the replica's marker, and nothing changes."""
    publish_replica(writer, target)
    reader = reader_config(writer, target)
    before = snapshot(target)
    draft = tmp_path / "new.xml"
    source = (reader.corpus / "documents" / f"{SEED_ID}.xml").read_text(encoding="utf-8")
    draft.write_text(source.replace(SEED_ID, NEW_ID), encoding="utf-8")
    person = tmp_path / "person.toml"
    person.write_text('kind = "person"\nid = "zora-invented"\nname = "Zora Invented"\n')
    attempts = [
        ("add", str(draft), "-m", "made-up"),
        ("withdraw", SEED_ID, "--reason", "made-up"),
        ("register", "add", str(person), "-m", "made-up"),
    ]
    for args in attempts:
        result = cli(reader, *args)
        assert result.exit_code == 1, (args, result.output)
        assert "is a replica" in result.output and "replica.json" in result.output, args
    assert snapshot(target) == before


def test_fixity_is_appended_and_copied_whole_when_the_replica_parted_from_it(writer, target):
    publish_replica(writer, target)
    mine, theirs = target / "corpus" / "fixity.jsonl", writer.corpus / "fixity.jsonl"
    inode = mine.stat().st_ino
    add_on_writer(writer)
    publish_replica(writer, target)
    assert mine.stat().st_ino == inode  # appended, as the writer appends it
    assert mine.read_bytes() == theirs.read_bytes()
    mine.write_bytes(b"")  # damaged on the replica: the next publication compares all
    (target / "corpus" / "documents" / f"{NEW_ID}.xml").unlink()
    publish_replica(writer, target)
    assert mine.read_bytes() == theirs.read_bytes()
    assert (target / "corpus" / "documents" / f"{NEW_ID}.xml").exists()


@pytest.mark.slow
def test_the_two_host_benchmark_runs_end_to_end(tmp_path):
    """bench/two_hosts.py on a small generated corpus: two servers on two replicas, one
    document added and published during the run, found by both."""
    from bench.generate import generate_corpus

    config = replace(
        Config(), corpus=tmp_path / "writer" / "corpus", instance=tmp_path / "writer" / "i"
    )
    generate_corpus(config.corpus, 60)
    update_index(config)
    completed = subprocess.run(
        [
            *(sys.executable, "-m", "bench.two_hosts", "--corpus", str(config.corpus)),
            *("--instance", str(config.instance), "--replicas", str(tmp_path / "replicas")),
            *("--clients", "2", "--seconds", "6", "--think", "0.5", "--warmup", "0"),
            *("--adds", "1", "--add-every", "1"),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:] + completed.stdout[-2000:]
    report = json.loads(completed.stdout)
    assert report["errors"] == 0 and report["requests"] > 0
    assert set(report["adds"][0]["visible_after_add_started_seconds"]) == {"host-a", "host-b"}
    assert report["seeding"][0]["documents"] == 60
    assert report["adds"][0]["publications"][0]["documents"] == 61
