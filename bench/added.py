"""How soon a served archive finds a document after `archive add` returns (issue 20,
target 4: <= 100 ms), measured end to end with the real commands.

    python -m bench.added --corpus C --instance I [--docs 10] [--readers 2] [--in-place]

`archive serve` runs in its own process on a scratch copy of the instance (as
`bench.load` does; `--in-place` serves the given one). For each new document the
generator makes (numbers far past the corpus's), `archive add FILE` runs as a separate
process, as an editor would run it; from the moment it exits, one client asks the server
`/search.json?q=id:<id>` on one connection, again and again, until the document is found.
Then the same document is revised (`archive add --revise`, a new word in its title) and the
client asks for that word until the new version is found and the old one is not. The
report gives the delays (median, 95th percentile, largest), how long the commands took,
and how many requests each wait took. `--readers N` keeps N other clients asking search
pages without pause meanwhile, so the first request after an add queues behind theirs as
it would on a busy server. With `--in-place` the documents added stay in the corpus
given (their versions too): point it at a copy.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from lxml import etree

from bench.generate import CorpusGenerator
from bench.load import HOST, WORDS, Server
from bench.report import print_report
from bench.run import percentile

TEI = "{http://www.tei-c.org/ns/1.0}"
FIRST_NUMBER = 20_000_000  # far past any generated corpus's documents


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values) * 1000, 1),
        "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def _archive(corpus: Path, instance: Path, *args: str) -> float:
    """Run an `archive` command to its end; its wall time. A failure stops the benchmark."""
    command = [sys.executable, "-m", "archive", "--corpus", str(corpus)]
    command += ["--instance", str(instance), *args]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started


class Client:
    """One reader's connection to the server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)

    def total(self, query: str) -> int:
        self.connection.request("GET", f"/search.json?q={quote_plus(query)}&size=1")
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"search {query!r}: HTTP {response.status}")
        return int(json.loads(body)["total"])

    def wait_for(self, query: str, expected: int, since: float) -> tuple[float, int]:
        """Ask until the query finds `expected` documents: seconds since `since`, requests."""
        asked = 0
        while True:
            asked += 1
            if self.total(query) == expected:
                return time.perf_counter() - since, asked
            if time.perf_counter() - since > 60:
                raise RuntimeError(f"{query!r} not found within 60 s")


def _readers(port: int, count: int, stop: threading.Event) -> list[threading.Thread]:
    def read(number: int) -> None:
        rng = random.Random(number)
        client = Client(port)
        while not stop.is_set():
            client.total(" ".join(rng.sample(WORDS, rng.randint(1, 2))))

    threads = [threading.Thread(target=read, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    return threads


def run(corpus: Path, instance: Path, docs: int, readers: int, seed: int) -> dict[str, Any]:
    generator = CorpusGenerator(seed)
    work = Path(tempfile.mkdtemp(prefix="bench-added-"))
    added: list[float] = []
    revised: list[float] = []
    add_s: list[float] = []
    revise_s: list[float] = []
    asked: list[int] = []
    server = Server(corpus, instance, threads=8)
    stop = threading.Event()
    try:
        server.wait_ready()
        client = Client(server.port)
        client.total("")  # the first search opens the generation
        threads = _readers(server.port, readers, stop)
        number = FIRST_NUMBER
        for _ in range(docs):
            doc_id, root = generator.document(number)
            while (corpus / "documents" / f"{doc_id}.xml").exists():  # an earlier run's
                number += 1
                doc_id, root = generator.document(number)
            number += 1
            path = work / f"{doc_id}.xml"
            path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
            add_s.append(_archive(corpus, instance, "add", str(path)))
            returned = time.perf_counter()
            delay, requests = client.wait_for(f"id:{doc_id}", 1, returned)
            added.append(delay)
            asked.append(requests)

            # A word no other document holds: the document's number in letters, before a
            # fixed ending (stemmers cut endings: words differing at the end may be one).
            word = "".join(chr(98 + int(d)) for d in doc_id if d.isdigit()) + "revisionmark"
            title = root.find(f".//{TEI}titleStmt/{TEI}title")
            title.text = f"{title.text} {word}"
            path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
            message = "bench: a word added to the title"
            revise_s.append(_archive(corpus, instance, "add", "--revise", "-m", message, str(path)))
            returned = time.perf_counter()
            delay, requests = client.wait_for(word, 1, returned)
            revised.append(delay)
            asked.append(requests)
        stop.set()
        for thread in threads:
            thread.join(timeout=70)
        return {
            "documents": docs,
            "readers": readers,
            "added_searchable_after_add_returned": _summary(added),
            "revision_searchable_after_add_returned": _summary(revised),
            "add_command_s": _summary(add_s),
            "add_revise_command_s": _summary(revise_s),
            "requests_per_wait": {"p50": statistics.median(asked), "max": max(asked)},
            "server_peak_rss_mb": server.rss_mb()["total"],
        }
    except Exception:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        stop.set()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.added", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--docs", type=int, default=10)
    parser.add_argument("--readers", type=int, default=0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--in-place", action="store_true", help="serve and add to these folders")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.in_place:
        report = run(args.corpus, args.instance, args.docs, args.readers, args.seed)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-added-copy-") as scratch:
            corpus, instance = Path(scratch) / "corpus", Path(scratch) / "instance"
            shutil.copytree(args.corpus, corpus, symlinks=True)
            shutil.copytree(args.instance, instance, symlinks=True)
            report = run(corpus, instance, args.docs, args.readers, args.seed)
    print_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
