"""Two reader hosts fed by one writer, simulated on one machine: two `archive serve`
processes, each on its own replica (corpus and instance copies), kept in step by
`archive replicate`, under the load benchmark's readers; during the run the writer adds
documents and publishes them, and the time until each reader's search finds them is taken.

    python -m bench.two_hosts --corpus /work/scaling-data/writer/corpus \\
        --instance /work/scaling-data/writer/instance --replicas /work/scaling-data/replicas \\
        --clients 20 --seconds 60 --think 1 --adds 3

The writer's corpus must have an index (`archive index`) and stored versions (one
`archive add` stores a generated corpus's documents). The clients are split between the
two hosts (client i reads host i mod 2), as a load balancer in front of two hosts would
spread readers. Each added document carries a word no other has (`replprobe` and its number in letters);
"visible" is the time from the start of `archive add` on the writer to the first search
answer on that host that finds it, polled every 20 ms. The report (JSON) gives per host the
requests, errors, requests/s and latency percentiles by kind (bench.load's report), and per
added document the add, each publication (seconds, files and bytes copied) and the time to
visibility on each host.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.generate import CorpusGenerator, _write
from bench.load import HOST, MIX, MachineWatch, Server, Workload, run_clients
from bench.report import print_report

TEI = "{http://www.tei-c.org/ns/1.0}"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Seconds between two searches of a host for the added document (each is a search of one
# rare word: a few ms of the host's CPU).
POLL = 0.05


def archive(corpus: Path, instance: Path, *args: str) -> subprocess.CompletedProcess:
    """The real command, as the writer host runs it."""
    command = [sys.executable, "-m", "archive", "--corpus", str(corpus)]
    command += ["--instance", str(instance), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def probe_document(out: Path, number: int, word: str) -> Path:
    """A generated document (the corpus's own generator, numbered past the corpus) with
    `word` added to its last paragraph."""
    doc_id, root = CorpusGenerator(42).document(number)
    last = root.findall(f".//{TEI}body//{TEI}p")[-1]
    if len(last):
        last[-1].tail = (last[-1].tail or "") + f" {word}."
    else:
        last.text = (last.text or "") + f" {word}."
    path = out / f"{doc_id}.xml"
    _write(root, path)
    return path


def finds(port: int, word: str, doc_id: str) -> bool:
    """Whether the host's search for `word` lists `doc_id` (the id is checked: a query
    word is stemmed in every language the index holds, and one stemmer may make the
    probe word of the document added before it the same stem)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", f"/search.json?q={word}&size=100")
        answer = connection.getresponse()
        body = answer.read()
        return answer.status == 200 and doc_id in {h["id"] for h in json.loads(body)["hits"]}
    finally:
        connection.close()


def publish(args: argparse.Namespace, replica: Path) -> dict:
    started = time.perf_counter()
    done = archive(args.corpus, args.instance, "replicate", str(replica), "--json")
    if done.returncode != 0:
        raise RuntimeError(f"archive replicate {replica}: {done.stderr}")
    report = json.loads(done.stdout)
    return {
        "replica": replica.name,
        "seconds_command": round(time.perf_counter() - started, 3),
        "seconds_publishing": report["seconds"],
        "files_copied": report["files_copied"],
        "bytes_copied": report["bytes_copied"],
        "documents": report["documents"],
    }


def wait_until_found(
    port: int, word: str, doc_id: str, started: float, seen: dict[str, float], name: str
) -> None:
    """Poll a host's search every POLL seconds until it finds `word` (at most 120 s)."""
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        if finds(port, word, doc_id):
            seen[name] = round(time.perf_counter() - started, 3)
            return
        time.sleep(POLL)


def writer_loop(
    args: argparse.Namespace, replicas: list[Path], ports: list[int], out: list[dict]
) -> None:
    """Add a document on the writer every `--add-every` seconds, publish it to both
    replicas, and time until each host's search finds it."""
    first = args.first_number
    for k in range(args.adds):
        time.sleep(args.add_every)
        word = "replprobe" + "".join(LETTERS[int(d)] for d in str(first + k))
        path = probe_document(args.replicas / "new", first + k, word)
        started = time.perf_counter()
        added = archive(args.corpus, args.instance, "add", str(path))
        add_seconds = time.perf_counter() - started
        if added.returncode != 0:
            out.append({"word": word, "error": added.stderr[-500:]})
            continue
        seen: dict[str, float] = {}
        watchers = [
            threading.Thread(
                target=wait_until_found, args=(port, word, path.stem, started, seen, r.name)
            )
            for port, r in zip(ports, replicas, strict=True)
        ]
        for thread in watchers:
            thread.start()
        publications = []
        for replica in replicas:
            publications.append(publish(args, replica))
            publications[-1]["done_after_add_started_seconds"] = round(
                time.perf_counter() - started, 3
            )
        for thread in watchers:
            thread.join()
        out.append(
            {
                "word": word,
                "add_seconds": round(add_seconds, 3),
                "publications": publications,
                "visible_after_add_started_seconds": seen,
            }
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.two_hosts", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus", type=Path, required=True, help="the writer's corpus")
    parser.add_argument("--instance", type=Path, required=True, help="the writer's instance")
    parser.add_argument("--replicas", type=Path, required=True, help="folder of the replicas")
    parser.add_argument("--clients", type=int, default=20, help="readers, split between hosts")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=8, help="server threads per host")
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--adds", type=int, default=3, help="documents added during the run")
    parser.add_argument("--add-every", type=float, default=12.0, help="seconds between adds")
    parser.add_argument(
        "--first-number",
        type=int,
        help="generator number of the first added document (default: past the corpus's)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    kinds = list(MIX)
    if args.first_number is None:
        numbers = [
            int(p.stem.rsplit("-", 1)[1])
            for p in (args.corpus / "documents").glob("synthetic-*.xml")
        ]
        args.first_number = max(numbers, default=0) + 1
    (args.replicas / "new").mkdir(parents=True, exist_ok=True)
    replicas = [args.replicas / "host-a", args.replicas / "host-b"]
    seeding = [publish(args, replica) for replica in replicas]
    servers = [
        Server(replica / "corpus", replica / "instance", args.threads) for replica in replicas
    ]
    try:
        for server in servers:
            server.wait_ready()
        ports = [server.port for server in servers]
        workloads = [Workload(port, args.seed) for port in ports]
        if args.warmup:
            for port, workload in zip(ports, workloads, strict=True):
                run_clients(port, workload, 4, args.warmup / 2, kinds)
        ours = {os.getpid(), *(p.pid for s in servers for p in s.processes())}
        watch = MachineWatch(ours)
        watch.start()
        cpu_before = [server.cpu_seconds() for server in servers]
        hosts: list[dict] = [{}, {}]
        adds: list[dict] = []

        def host(i: int) -> None:
            share = args.clients // 2 + (i < args.clients % 2)
            hosts[i] = run_clients(ports[i], workloads[i], share, args.seconds, kinds, args.think)

        threads = [threading.Thread(target=host, args=(i,)) for i in range(2)]
        threads.append(threading.Thread(target=writer_loop, args=(args, replicas, ports, adds)))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        for i, server in enumerate(servers):
            hosts[i]["server_cpu_seconds"] = round(server.cpu_seconds() - cpu_before[i], 1)
            hosts[i]["server_peak_rss_mb"] = server.rss_mb()
        report = {
            "writer_documents": seeding[0]["documents"],
            "clients": args.clients,
            "think_seconds": args.think,
            "seconds": round(elapsed, 1),
            "requests": sum(h["requests"] for h in hosts),
            "errors": sum(h["errors"] for h in hosts),
            "throughput_rps": round(sum(h["requests"] for h in hosts) / elapsed, 1),
            "hosts": dict(zip(["host-a", "host-b"], hosts, strict=True)),
            "seeding": seeding,
            "adds": adds,
            "machine": watch.stop(elapsed),
            "cpu_count": os.cpu_count(),
        }
    finally:
        for server in servers:
            server.stop()
    print_report(report, args.out)
    failed = report["errors"] or any(
        "error" in a or len(a["visible_after_add_started_seconds"]) < 2 for a in adds
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
