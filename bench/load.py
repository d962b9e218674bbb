"""Load and latency of the served archive: `archive serve` on a loopback port, driven by a
pool of client threads for a bounded time.

    python -m bench.load --corpus /work/bench-data/corpus-100k \
        --instance /work/bench-data/instance-100k --clients 50 --seconds 60 --think 7

Requests mix search pages with facets, document pages, JSON twins, citation downloads and
exports, in the proportions of MIX. The server is the real command in its own process(es)
(`--workers` above 1 serves with gunicorn), on a scratch copy of the instance folder (the
server writes its caches there; `--in-place` skips the copy). Each client is a reader:
it keeps one connection, asks for a page, reads all of it, then pauses a random time
(exponential, mean `--think` seconds, at most ten times that, as TPC-W's emulated browsers
do); `--think 0` is a closed loop with no pause at all. `--proxy` puts nginx in front with
the repository's deploy/nginx.conf (bench.proxy), as the recommended deployment does. The
clients only talk to 127.0.0.1 and stop by themselves after --seconds. The report (JSON) gives, per kind of request, the
count, errors, throughput and latency percentiles (ms), the overall throughput, the peak RSS
of every server process, the CPU time of the clients and of the server, and what else used
the machine's CPUs during the run (other processes, and the host's steal time).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import psutil

from bench.proxy import Proxy, stop_process
from bench.report import print_report

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

    def __init__(self, corpus: Path | None, instance: Path, threads: int, workers: int = 1) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "archive"]
        if corpus:
            command += ["--corpus", str(corpus)]
        command += ["--instance", str(instance), "serve", "--host", HOST, "--port", str(self.port)]
        command += ["--threads", str(threads), "--workers", str(workers)]
        # To a file, not a pipe: a pipe nobody reads during the run fills (64 KB of
        # warnings) and then stops the server in the middle of a log line.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self.log)

    def log_tail(self, size: int = 2000) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-size:]

    def wait_ready(self, timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("server did not start in time")

    def processes(self) -> list[psutil.Process]:
        """The server and its worker processes."""
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its workers."""
        total = 0.0
        for proc in self.processes():
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def rss_mb(self) -> dict[str, float]:
        """Peak resident memory of each server process (VmHWM), and their sum."""
        peaks = {}
        for proc in self.processes():
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks[str(proc.pid)] = round(int(line.split()[1]) / 1024, 1)
        return {"per_process": peaks, "total": round(sum(peaks.values()), 1)}

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


@contextlib.contextmanager
def serving(
    corpus: Path | None, instance: Path, threads: int, workers: int, proxy: bool
) -> Iterator[tuple[Server, Proxy | None, int]]:
    """`archive serve` (and nginx in front if `proxy`) until the block ends: the server,
    the proxy and the port clients connect to."""
    server = Server(corpus, instance, threads, workers)
    front = None
    try:
        server.wait_ready()
        if proxy:
            front = Proxy(server.port)
        yield server, front, front.port if front else server.port
    finally:
        if front is not None:
            front.stop()
        server.stop()


class MachineWatch:
    """What else used the CPUs while the benchmark ran: CPU seconds of every process that
    is neither this benchmark nor its server, by command, between `start` and `stop`."""

    def __init__(self, ours: set[int]) -> None:
        self.ours = ours
        self.before: dict[int, tuple[str, float]] = {}

    @staticmethod
    def _cpu() -> dict[int, tuple[str, float]]:
        out = {}
        for proc in psutil.process_iter(["name", "cmdline", "cpu_times"]):
            times = proc.info["cpu_times"]
            if times is None:
                continue
            words = " ".join(proc.info["cmdline"] or [proc.info["name"] or "?"])
            out[proc.pid] = (words[:120], times.user + times.system)
        return out

    def start(self) -> None:
        self.load_before = os.getloadavg()
        self.before = self._cpu()
        self.steal_before = psutil.cpu_times().steal

    def stop(self, seconds: float) -> dict:
        after = self._cpu()
        used: dict[str, float] = defaultdict(float)
        for pid, (words, cpu) in after.items():
            if pid in self.ours:
                continue
            used[words] += cpu - self.before.get(pid, (words, 0.0))[1]
        top = sorted(used.items(), key=lambda item: -item[1])[:5]
        # In a virtual machine, time the host gave this machine's CPUs to other machines:
        # invisible to the processes above, and as slowing as they are.
        steal = psutil.cpu_times().steal - self.steal_before
        return {
            "steal_share_of_machine": round(steal / (seconds * (os.cpu_count() or 1)), 3),
            "loadavg_1min_before": round(self.load_before[0], 2),
            "loadavg_1min_after": round(os.getloadavg()[0], 2),
            "other_cpu_seconds": round(sum(used.values()), 1),
            "other_cpu_share_of_machine": round(
                sum(used.values()) / (seconds * (os.cpu_count() or 1)), 3
            ),
            "top_other_processes": [
                {"command": words, "cpu_seconds": round(cpu, 1)} for words, cpu in top if cpu > 0.5
            ],
        }


# How a kept-alive connection that the server has closed shows when it is used again.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def get(
    connection: http.client.HTTPConnection, path: str, *, reused: bool
) -> tuple[int, float, bool]:
    """Status, latency (ms, retry included) and whether the request had to be sent again
    on a new connection: a server may close an idle kept-alive connection while the reader
    pauses, and a browser then asks again at once (once, and only on a connection that
    has served before; the time of both attempts counts)."""
    started = time.perf_counter()
    retried = False
    while True:
        try:
            connection.request("GET", path, headers={"Accept-Encoding": "identity"})
            response = connection.getresponse()
            response.read()  # the whole body, as a browser would
            return response.status, (time.perf_counter() - started) * 1000, retried
        except _STALE:
            if retried or not reused:
                raise
            connection.close()  # the next request opens a new connection
            retried = True


class Workload:
    """Request paths drawn from what the archive holds (ids and facet values from a first
    match-all search), seeded for repeatability."""

    def __init__(self, port: int, seed: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=60)

        def get(path: str) -> dict:
            connection.request("GET", path)
            return json.loads(connection.getresponse().read())

        self.read(get, seed)
        connection.close()

    def read(self, get: Callable[[str], dict], seed: int) -> None:
        """Learn the facet values and ids from the archive's JSON answers (`get(path)`:
        over HTTP here, through Flask's test client in bench.page)."""
        landing = get("/search.json?size=100")
        self.facets = {
            name: [v["value"] for v in values]
            for name, values in landing["facets"].items()
            if values
        }
        self.ids = [hit["id"] for hit in landing["hits"]]
        for page in range(2, 6):
            self.ids += [
                hit["id"] for hit in get(f"/search.json?size=100&page={page}&sort=-date")["hits"]
            ]
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
        # A researcher's export: a signatory's documents on a subject (at 100,000 documents,
        # a few hundred of them, 1-4 MB of JSON Lines).
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
    reconnects = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(number: int) -> None:
        rng = random.Random(workload.seed * 1000 + number)
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        reused = False
        if think:
            # Readers do not all arrive in the same millisecond: each starts somewhere in
            # its first pause, as a population of readers in steady state would. (Without
            # this, the run opened with every client's request at once: a burst of 50
            # requests queued for ~1 s, and those were the run's p95 and p99.)
            time.sleep(rng.uniform(0, think))
        while time.monotonic() < stop_at:
            kind = rng.choices(kinds, weights)[0]
            path = workload.path(kind, rng)
            try:
                status, elapsed, retried = get(connection, path, reused=reused)
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=60)
                reused = False
                with lock:
                    errors[kind].append(f"{path}: {exc!r}")
                continue
            reused = True
            with lock:
                reconnects[0] += retried
                if status >= 400:
                    errors[kind].append(f"{path}: HTTP {status}")
                else:
                    latencies[kind].append(elapsed)
            if think:
                # A reader pauses between pages: exponential, mean `think` seconds, cut at
                # ten times the mean (TPC-W's emulated browser).
                pause = min(rng.expovariate(1 / think), 10 * think)
                time.sleep(max(0.0, min(pause, stop_at - time.monotonic())))
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
        "reconnects": reconnects[0],
        "kinds": {
            kind: {
                "count": len(latencies[kind]),
                "errors": len(errors[kind]),
                "rps": round(len(latencies[kind]) / elapsed, 2),
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
    parser.add_argument("--threads", type=int, default=8, help="server threads per process")
    parser.add_argument("--workers", type=int, default=1, help="server processes (gunicorn if > 1)")
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
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="serve the instance folder itself, not a scratch copy (the server writes caches)",
    )
    parser.add_argument(
        "--proxy",
        action="store_true",
        help="serve through nginx with deploy/nginx.conf (apt-get install -y nginx)",
    )
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = set(kinds) - set(MIX)
    if unknown:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")

    scratch = None
    instance = args.instance
    if not args.in_place:
        scratch = Path(tempfile.mkdtemp(prefix="load-instance-"))
        instance = scratch / "instance"
        if args.instance.exists():
            shutil.copytree(args.instance, instance)
    try:
        with serving(args.corpus, instance, args.threads, args.workers, args.proxy) as (
            server,
            proxy,
            port,
        ):
            report = measure(args, server, proxy, port, kinds)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    print_report(report, args.out)
    return 0 if report["errors"] == 0 else 1


def measure(
    args: argparse.Namespace, server: Server, proxy: Proxy | None, port: int, kinds: list[str]
) -> dict:
    """The run itself: warm-up, then the clients, with what the machine did meanwhile."""
    workload = Workload(port, args.seed)
    if args.warmup:
        run_clients(port, workload, min(args.clients, 8), args.warmup, kinds)
    ours = {os.getpid(), *(p.pid for p in server.processes())}
    ours |= set(proxy.pids()) if proxy else set()
    watch = MachineWatch(ours)
    watch.start()
    server_cpu = server.cpu_seconds()
    client_cpu = time.process_time()
    report = run_clients(port, workload, args.clients, args.seconds, kinds, args.think)
    # The clients share the machine with the server: what they used is CPU the server
    # did not have (and, if it nears a core, the clients themselves may add latency).
    report["client_cpu_seconds"] = round(time.process_time() - client_cpu, 1)
    report["server_cpu_seconds"] = round(server.cpu_seconds() - server_cpu, 1)
    report["machine"] = watch.stop(report["seconds"])
    report["think_seconds"] = args.think
    report["server_workers"] = args.workers
    report["server_threads"] = args.threads
    report["server_peak_rss_mb"] = server.rss_mb()
    report["documents_sampled"] = len(workload.ids)
    report["cpu_count"] = os.cpu_count()
    report["proxy"] = "deploy/nginx.conf" if proxy else None
    return report


if __name__ == "__main__":
    sys.exit(main())
