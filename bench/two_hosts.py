"""Two hosts simulated on one machine: one writer instance, two replica instances each served
by its own `archive serve`, kept in step by publishing the writer's index generation, under
the load benchmark's readers (docs/scaling.md).

    python -m bench.two_hosts --corpus C --instance WRITER --work DIR [--clients 8]
        [--seconds 60] [--think 0.5]

The writer's instance must hold a built index. Each replica gets an instance folder of its
own under DIR (index only: `publish_generation` hard-links the segments), and a server; the
readers are split between the two ports, as a load balancer would split them. A third of
the way into the run one new document is written to the corpus and indexed on the writer
(`update_documents`), then the generation is published to each replica in turn; the
report says how long the publication took and when each replica first answered a search
for the new document, next to each replica's requests, errors and latencies. The document
is removed from the corpus and the writer's index at the end (and published again).
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.load import HOST, MIX, Server, Workload, run_clients

KINDS = list(MIX)


def _found(port: int, doc_id: str) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", f"/search.json?q=id:{doc_id}")
        return json.loads(connection.getresponse().read())["total"] == 1
    finally:
        connection.close()


def run(
    corpus: Path, writer: Path, work: Path, clients: int, seconds: float, think: float
) -> dict[str, Any]:
    from lxml import etree

    from archive.config import Config
    from archive.search import publish_generation, update_documents
    from bench.generate import CorpusGenerator

    config = Config(corpus=corpus, instance=writer)
    replicas = [work / "replica-a", work / "replica-b"]
    for folder in replicas:
        shutil.rmtree(folder, ignore_errors=True)
        publish_generation(config, folder / "index")
    servers = [Server(corpus, folder, threads=8) for folder in replicas]
    report: dict[str, Any] = {"clients": clients, "seconds": seconds, "think": think}
    doc_id, root = CorpusGenerator(42).document(10_000_000 - 7)
    path = corpus / "documents" / f"{doc_id}.xml"
    try:
        for server in servers:
            server.wait_ready()
        workload = Workload(servers[0].port, seed=7)
        results: dict[int, dict] = {}

        def readers(i: int, server: Server) -> None:
            share = clients // 2 + (clients % 2 if i == 0 else 0)
            results[i] = run_clients(server.port, workload, share, seconds, KINDS, think)

        threads = [threading.Thread(target=readers, args=(i, s)) for i, s in enumerate(servers)]
        for thread in threads:
            thread.start()
        time.sleep(seconds / 3)
        path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        t0 = time.perf_counter()
        update_documents(config, [doc_id])
        indexed = time.perf_counter() - t0
        published, visible = [], []
        for folder, server in zip(replicas, servers, strict=True):
            t1 = time.perf_counter()
            publish_generation(config, folder / "index")
            published.append(round(time.perf_counter() - t1, 3))
            while not _found(server.port, doc_id):
                if time.perf_counter() - t1 > 60:
                    raise RuntimeError("published document not found within 60 s")
            visible.append(round(time.perf_counter() - t1, 3))
        both = time.perf_counter() - t0
        for thread in threads:
            thread.join()
        report["added_document"] = {
            "indexed_on_writer_s": round(indexed, 3),
            "publish_s": published,
            "searchable_on_replica_after_publish_s": visible,
            "searchable_on_both_s": round(both, 3),
        }
        report["replicas"] = {
            name: {
                **{k: results[i][k] for k in ("requests", "errors", "throughput_rps")},
                "search": results[i]["kinds"]["search"],
                "document": results[i]["kinds"]["document"],
                "error_samples": results[i]["error_samples"],
            }
            for i, name in enumerate(("a", "b"))
        }
        report["peak_rss_mb"] = [s.rss_mb()["total"] for s in servers]
    finally:
        for server in servers:
            server.stop()
        path.unlink(missing_ok=True)
        update_documents(config, [doc_id])
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.two_hosts", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--instance", type=Path, required=True, help="the writer's instance")
    parser.add_argument("--work", type=Path, required=True, help="the replicas' instances")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    report = run(args.corpus, args.instance, args.work, args.clients, args.seconds, args.think)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
