"""Load and latency of the served archive: `archive serve` (waitress) on a loopback port,
driven by a pool of client threads for a bounded time.

    python -m bench.load --corpus /work/bench-data/corpus-100k \
        --instance /work/bench-data/instance-100k --clients 50 --seconds 60

Requests mix search pages with facets, document pages, JSON twins, citation downloads and
exports, in the proportions of MIX. The server is the real command in its own process; the
clients only talk to 127.0.0.1 and stop by themselves after --seconds. The report (JSON)
gives, per kind of request, the count, errors and latency percentiles (ms), plus the overall
throughput and the server's peak RSS.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

HOST = "127.0.0.1"  # loopback only, by design
MIX = {
    "search": 40,  # search page with facets (HTML)
    "search_json": 10,  # the JSON twin of a search
    "document": 30,  # a document page (HTML)
    "document_json": 5,
    "citation": 10,  # .bib / .ris / .csl.json
    "export": 5,  # a small streamed export (jsonl of one facet value)
}
WORDS = [
    "mines",
    "maps",
    "civilians",
    "appeal",
    "convention",
    "protocol",
    "humanitarian",
    "victims",
    "shelling",
    "prisoners",
    "detention",
    "hospital",
    "water",
    "children",
    "displaced",
    "missing",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "p99": round(percentile(values, 99), 1),
        "mean": round(statistics.fmean(values), 1) if values else float("nan"),
        "max": round(max(values), 1) if values else float("nan"),
    }


class Server:
    """`archive serve` in a subprocess, started and stopped by this benchmark."""

    def __init__(self, corpus: Path | None, instance: Path, threads: int) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "archive"]
        if corpus:
            command += ["--corpus", str(corpus)]
        command += ["--instance", str(instance), "serve", "--host", HOST, "--port", str(self.port)]
        command += ["--threads", str(threads)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_ready(self, timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("server did not start in time")

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def get(connection: http.client.HTTPConnection, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    connection.request("GET", path, headers={"Accept-Encoding": "identity"})
    response = connection.getresponse()
    response.read()  # the whole body, as a browser would
    return response.status, (time.perf_counter() - started) * 1000


class Workload:
    """Request paths drawn from what the archive holds (ids and facet values from a first
    match-all search), seeded for repeatability."""

    def __init__(self, port: int, seed: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        connection.request("GET", "/search.json?size=100")
        landing = json.loads(connection.getresponse().read())
        self.facets = {
            name: [v["value"] for v in values]
            for name, values in landing["facets"].items()
            if values
        }
        self.ids = [hit["id"] for hit in landing["hits"]]
        for page in range(2, 6):
            connection.request("GET", f"/search.json?size=100&page={page}&sort=-date")
            self.ids += [hit["id"] for hit in json.loads(connection.getresponse().read())["hits"]]
        connection.close()
        self.seed = seed

    def path(self, kind: str, rng: random.Random) -> str:
        if kind in ("search", "search_json"):
            params: list[tuple[str, str]] = [("q", " ".join(rng.sample(WORDS, rng.randint(1, 2))))]
            for name in rng.sample(sorted(self.facets), rng.randint(0, 2)):
                params.append((name, rng.choice(self.facets[name][:10])))
            if rng.random() < 0.2:
                params = params[1:]  # filters only, or the landing page
            base = "/search.json" if kind == "search_json" else "/"
            return base + ("?" + urlencode(params) if params else "")
        doc_id = rng.choice(self.ids)
        if kind == "document":
            return f"/doc/{doc_id}"
        if kind == "document_json":
            return f"/doc/{doc_id}.json"
        if kind == "citation":
            return f"/doc/{doc_id}.{rng.choice(['bib', 'ris', 'csl.json'])}"
        # A researcher's export: a signatory's documents on a subject (tens, not thousands).
        params = {"q": rng.choice(WORDS), "format": "jsonl"}
        if "signatory" in self.facets:
            params["signatory"] = rng.choice(self.facets["signatory"][-10:])
        return "/export?" + urlencode(params)


def run_clients(
    port: int,
    workload: Workload,
    clients: int,
    seconds: float,
    kinds: list[str],
    think: float = 0.0,
) -> dict:
    weights = [MIX[k] for k in kinds]
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(number: int) -> None:
        rng = random.Random(workload.seed * 1000 + number)
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        while time.monotonic() < stop_at:
            kind = rng.choices(kinds, weights)[0]
            path = workload.path(kind, rng)
            try:
                status, elapsed = get(connection, path)
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=60)
                with lock:
                    errors[kind].append(f"{path}: {exc!r}")
                continue
            with lock:
                if status >= 400:
                    errors[kind].append(f"{path}: HTTP {status}")
                else:
                    latencies[kind].append(elapsed)
            if think:
                # A reader pauses between pages (exponential, mean `think` seconds).
                time.sleep(
                    min(rng.expovariate(1 / think), stop_at - time.monotonic())
                    if stop_at > time.monotonic()
                    else 0
                )
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    total = sum(len(v) for v in latencies.values())
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": total,
        "errors": sum(len(v) for v in errors.values()),
        "throughput_rps": round(total / elapsed, 1),
        "kinds": {
            kind: {
                "count": len(latencies[kind]),
                "errors": len(errors[kind]),
                **summary(latencies[kind]),
            }
            for kind in kinds
        },
        "error_samples": {k: v[:5] for k, v in errors.items() if v},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: the bundled corpus)")
    parser.add_argument("--instance", type=Path, required=True, help="instance folder (index)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8, help="server worker threads")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of requests not counted")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--kinds",
        default=",".join(MIX),
        help=f"request kinds to mix (default: all of {', '.join(MIX)})",
    )
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean pause of each client between requests (s)"
    )
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)

    server = Server(args.corpus, args.instance, args.threads)
    try:
        server.wait_ready()
        workload = Workload(server.port, args.seed)
        kinds = [k for k in args.kinds.split(",") if k]
        unknown = set(kinds) - set(MIX)
        if unknown:
            parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
        if args.warmup:
            run_clients(server.port, workload, min(args.clients, 8), args.warmup, kinds)
        report = run_clients(server.port, workload, args.clients, args.seconds, kinds, args.think)
        report["think_seconds"] = args.think
        report["server_threads"] = args.threads
        report["server_peak_rss_mb"] = round(server.rss_mb(), 1)
        report["documents_sampled"] = len(workload.ids)
        report["cpu_count"] = os.cpu_count()
    finally:
        server.stop()
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
