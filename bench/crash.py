"""Crash safety: `archive add`, `archive withdraw` and `archive index` killed with SIGKILL at
random moments, again and again, each time followed by the command that must repair
everything (`archive index`: it rolls back an unfinished change, then brings the index up
to date) and a full check.

    python -m bench.crash --iterations 60 --docs 200 [--seed 7] [--out report.json]

Each command is killed with `kill -9` of its own process (as a person would; workers that
an index rebuild started must die with it). After every kill the checks are:
- the corpus validates (the project schema and rules, and documents/ against versions/,
  as `archive validate` checks them; the command itself runs at the end);
- every stored version is byte for byte what it was (sha256 against the record, which
  grows with every version an add finished before it was killed), and the store's own
  fixity records (corpus/fixity.jsonl) hold exactly the stored versions, with those sha256;
- the index agrees with the corpus: the same ids, and for every word a revision added,
  exactly the documents whose current text holds it;
- nothing partial or temporary is left: no journal, no temporary file, no copy kept for a
  rollback, no id left pending for the index, no index generation but the current one, no
  index file that the current generation does not use.

The corpus (the bundled one and `--docs` generated documents, added through `archive add`)
lives in a scratch folder that is removed afterwards unless `--keep`. The report (JSON) gives
the iterations, how many commands were killed or finished, how many kills left a change for
the repair to roll back, and every problem found (none, if all is well).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from archive.config import PROJECT_ROOT, Config
from archive.search import SearchEngine
from archive.search.index import _CURRENT, _LOCK, _PENDING, current_generation
from archive.search.request import SearchRequest
from archive.storage import store
from archive.storage.fsutil import TEMP_PREFIX
from archive.storage.store import Corpus, corpus_validator
from bench.generate import generate_corpus
from bench.report import print_report

OPERATIONS = ("add", "withdraw", "index", "rebuild")
WEIGHTS = (6, 1, 2, 2)
# How long each command takes on a small corpus on this kind of machine (2 cores).
TYPICAL_SECONDS = {"add": 2.5, "withdraw": 2.0, "index": 1.5, "rebuild": 2.0}
_SEGMENT_RE = re.compile(r"^MAIN_(\w+)\.seg$")
_TOC_RE = re.compile(r"^_MAIN_(\d+)\.toc$")


@dataclass
class Record:
    """What must survive: every stored version's sha256, and the words revisions added."""

    versions: dict[str, str] = field(default_factory=dict)
    markers: set[str] = field(default_factory=set)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _versions(config: Config) -> dict[str, str]:
    folder = config.versions_dir
    return {str(p.relative_to(folder)): _sha(p) for p in folder.rglob("*.xml")}


def make_corpus(work: Path, docs: int, seed: int) -> Config:
    """`docs` generated documents and their registers, added with `archive add`'s code."""
    config = Config(corpus=work / "corpus", instance=work / "instance")
    staged = generate_corpus(work / "staged", docs, seed=seed)
    shutil.copytree(staged / "authority", config.authority_dir)
    store.add(config, sorted((staged / "documents").glob("*.xml")), message="Crash-loop corpus.")
    subprocess.run(config.command("index"), check=True, capture_output=True, cwd=PROJECT_ROOT)
    return config


class CrashLoop:
    def __init__(self, config: Config, work: Path, rng: random.Random) -> None:
        self.config = config
        self.work = work
        self.rng = rng
        self.record = Record(versions=_versions(config))
        self.durations: dict[str, float] = {}
        self.counts: Counter[str] = Counter()
        self.problems: list[str] = []
        self.next_number = 0

    # -- the operations ------------------------------------------------------------------

    def _incoming(self) -> Path:
        folder = self.work / "incoming"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        return folder

    def _revision(self, doc_id: str, folder: Path) -> Path:
        """The current file with a new word in its first paragraph: becomes version n+1."""
        self.next_number += 1
        marker = f"crashmark{self.next_number:05d}"
        self.record.markers.add(marker)
        data = Corpus(self.config).read_bytes(doc_id).decode()
        data = re.sub(r"(<body>.*?<p>)", rf"\g<1>{marker} ", data, count=1, flags=re.S)
        path = folder / f"{doc_id}.xml"
        path.write_text(data, encoding="utf-8")
        return path

    def _new_document(self, folder: Path) -> Path:
        """A copy of a current document under a new id, at version 1, with its own word."""
        self.next_number += 1
        marker = f"crashmark{self.next_number:05d}"
        self.record.markers.add(marker)
        source = self.rng.choice(Corpus(self.config).ids())
        new_id = f"crash-new-{self.next_number:05d}"
        data = Corpus(self.config).read_bytes(source).decode().replace(source, new_id)
        data = re.sub(r"(<body>.*?<p>)", rf"\g<1>{marker} ", data, count=1, flags=re.S)
        data = re.sub(
            r"<revisionDesc>.*</revisionDesc>",
            '<revisionDesc>\n      <change when="2026-11-01" n="1">Crash-loop copy.</change>\n    </revisionDesc>',
            data,
            flags=re.S,
        )
        path = folder / f"{new_id}.xml"
        path.write_text(data, encoding="utf-8")
        return path

    def _arguments(self, operation: str) -> list[str]:
        ids = Corpus(self.config).ids()
        if operation == "add":
            folder = self._incoming()
            chosen = self.rng.sample(ids, self.rng.randint(1, 3))
            files = [self._revision(doc_id, folder) for doc_id in chosen]
            files += [self._new_document(folder) for _ in range(self.rng.randint(0, 2))]
            return ["add", "--revise", *map(str, files), "-m", "Crash-loop revision."]
        if operation == "withdraw":
            return ["withdraw", self.rng.choice(ids), "--reason", "Crash-loop withdrawal."]
        if operation == "index":
            # Give the incremental update work: files touched (same bytes, new mtime).
            for doc_id in self.rng.sample(ids, min(len(ids), 20)):
                os.utime(Corpus(self.config).path(doc_id))
            return ["index"]
        return ["index", "--rebuild"]

    def run_once(self, operation: str) -> None:
        args = self._arguments(operation)
        started = time.monotonic()
        process = subprocess.Popen(
            self.config.command(*args),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=PROJECT_ROOT,
        )
        if operation in self.durations:
            # Somewhere within the time the command takes, at times a little after.
            delay = self.rng.uniform(0, 1.2 * self.durations[operation])
            try:
                process.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                try:
                    workers = psutil.Process(process.pid).children(recursive=True)
                except psutil.NoSuchProcess:
                    workers = []
                os.kill(process.pid, signal.SIGKILL)  # the command only, as a person does
                self._outlived(workers)
        process.wait()
        stderr = process.stderr.read().decode()
        process.stderr.close()
        if process.returncode == -signal.SIGKILL:
            self.counts["killed"] += 1
        elif process.returncode == 0:
            self.counts["finished"] += 1
            self.durations.setdefault(operation, time.monotonic() - started)
        else:
            self.problems.append(f"{' '.join(args[:2])} failed: {stderr.strip()[-500:]}")
        self.counts[operation] += 1

    def _outlived(self, workers: list[psutil.Process]) -> None:
        """Processes the killed command had started (index workers) must die with it."""
        _, alive = psutil.wait_procs(workers, timeout=10)
        for worker in alive:
            self.problems.append(f"worker {worker.pid} outlived the killed command")
            worker.kill()

    # -- the repair and the checks -------------------------------------------------------

    def repair(self) -> None:
        completed = subprocess.run(
            self.config.command("index"), capture_output=True, text=True, cwd=PROJECT_ROOT
        )
        if completed.returncode != 0:
            self.problems.append(f"archive index failed: {completed.stderr.strip()[-500:]}")
        if "rolled back an unfinished change" in completed.stderr:
            self.counts["rolled_back"] += 1

    def check(self, iteration: int) -> None:
        where = f"iteration {iteration}"
        config = self.config
        # What `archive validate` does (it runs once more, as a command, at the end).
        report = corpus_validator(config).validate_paths(
            [config.documents_dir, config.authority_dir, config.versions_dir]
        )
        problems = report.problems + Corpus(config).integrity_problems()
        self.problems += [f"{where}: invalid: {p}" for p in problems[:5]]
        now = _versions(config)
        for name, digest in self.record.versions.items():
            if now.get(name) != digest:
                self.problems.append(f"{where}: version {name} changed or vanished")
        self.record.versions.update(now)  # versions an add finished are kept from now on
        recorded = {
            f"{r.id}/{r.version}.xml": r.sha256 for r in Corpus(config).fixity.records().values()
        }
        if recorded != now:
            wrong = sorted(set(recorded.items()) ^ set(now.items()))[:5]
            self.problems.append(f"{where}: fixity records and stored versions differ: {wrong}")
        self._check_index(where)
        self._check_leftovers(where)

    def _check_index(self, where: str) -> None:
        corpus = Corpus(self.config)
        ids = set(corpus.ids())
        with SearchEngine(self.config) as engine:
            indexed = set(engine.iter_ids(SearchRequest()))
            if indexed != ids:
                self.problems.append(
                    f"{where}: index and corpus differ: {sorted(indexed ^ ids)[:5]}"
                )
            texts = {doc_id: corpus.read_bytes(doc_id) for doc_id in ids}
            for marker in sorted(self.record.markers):
                expected = {i for i, data in texts.items() if marker.encode() in data}
                found = set(engine.iter_ids(SearchRequest(q=marker)))
                if found != expected:
                    self.problems.append(
                        f"{where}: {marker}: index finds {sorted(found)}, corpus has {sorted(expected)}"
                    )

    def _check_leftovers(self, where: str) -> None:
        corpus = self.config.corpus
        leftovers = [p for p in corpus.rglob(f"{TEMP_PREFIX}*")]
        for name in (store.JOURNAL_NAME, store.ROLLBACK_DIR):
            if (corpus / name).exists():
                leftovers.append(corpus / name)
        index_dir = self.config.index_dir
        live = current_generation(index_dir)
        for entry in index_dir.iterdir():
            if entry.name == _PENDING and not entry.read_bytes():
                continue  # emptied by the update that indexed what it held
            if entry.name not in (_CURRENT, _LOCK) and entry != live:
                leftovers.append(entry)
        if live is not None:
            leftovers += _unused_index_files(live)
        self.problems += [f"{where}: left behind: {p}" for p in leftovers]

    def run(self, iterations: int, calibrate: bool = True) -> dict:
        started = time.monotonic()
        if calibrate:
            for operation in OPERATIONS:  # once each, unkilled, to learn how long they take
                self.run_once(operation)
                self.repair()
                self.check(0)
        else:
            self.durations = dict(TYPICAL_SECONDS)
        self.counts = Counter()
        for iteration in range(1, iterations + 1):
            operation = self.rng.choices(OPERATIONS, WEIGHTS)[0]
            self.run_once(operation)
            self.repair()
            self.check(iteration)
        validated = subprocess.run(
            self.config.command("validate"), capture_output=True, text=True, cwd=PROJECT_ROOT
        )
        if validated.returncode != 0:
            self.problems.append(f"archive validate: {validated.stderr[-500:]}")
        return {
            "iterations": iterations,
            "operations": {op: self.counts[op] for op in OPERATIONS},
            "killed": self.counts["killed"],
            "finished": self.counts["finished"],
            "rolled_back_by_repair": self.counts["rolled_back"],
            "versions_checked": len(self.record.versions),
            "documents": len(Corpus(self.config).ids()),
            "problems": self.problems,
            "seconds": round(time.monotonic() - started, 1),
        }


def _unused_index_files(generation: Path) -> list[Path]:
    """Segment and TOC files of the live generation that its latest TOC does not use:
    what a writer killed mid-commit leaves."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(generation))
    try:
        used = {segment.segment_id() for segment in ix._segments()}
        latest = ix.latest_generation()
    finally:
        ix.close()
    unused = []
    for path in generation.iterdir():
        segment, toc = _SEGMENT_RE.match(path.name), _TOC_RE.match(path.name)
        if (segment and f"MAIN_{segment.group(1)}" not in used) or (
            toc and int(toc.group(1)) != latest
        ):
            unused.append(path)
    return unused


def crash_loop(
    work: Path, iterations: int, docs: int, seed: int, *, calibrate: bool = True
) -> dict:
    """Run the loop in `work` (which must be empty); the report as a dict. Without
    `calibrate`, kills are timed from TYPICAL_SECONDS instead of a first unkilled run."""
    rng = random.Random(seed)
    config = make_corpus(work, docs, seed)
    return CrashLoop(config, work, rng).run(iterations, calibrate)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.crash", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--docs", type=int, default=200, help="generated documents")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="crash-loop-"))
    try:
        report = crash_loop(work, args.iterations, args.docs, args.seed)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_report(report, args.out)
    return 0 if not report["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
