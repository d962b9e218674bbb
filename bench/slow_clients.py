"""Slow clients against the served archive: a bounded fault loop (issue 13, point 7).

    python -m bench.slow_clients --corpus C --instance I --attack exports --count 16 \
        [--workers 2] [--proxy] [--seconds 40]

Starts `archive serve` (and with `--proxy` nginx in front, deploy/nginx.conf, bench.proxy)
on loopback, then `--count` attackers for `--seconds`:

- `exports`: readers of the whole archive as a BagIt zip, each reading 4 KB a second (one
  1 KB read every 0.25 s, a receive buffer of 8 KB); one answered 503 waits its
  Retry-After (at most 5 s here) and asks again;
- `slowloris`: connections that send a request head a line at a time, one line every 5 s,
  never finishing it; one the server closes is opened again at once.

Meanwhile a new reader searches every 0.5 s (a new connection, `/?q=<word>`, 10 s
timeout). The report (JSON) gives the searches answered, refused and failed, their
latencies, the longest time without an answered search, and what the attackers got.
Everything stops by itself: the counts are capped (2,000 attackers, 600 s).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import multiprocessing.synchronize
import random
import socket
import sys
import threading
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

from bench.load import HOST, WORDS, serving, summary
from bench.report import print_report

MAX_ATTACKERS = 2000
MAX_SECONDS = 600
PROBE_EVERY = 0.5
PROBE_TIMEOUT = 10


class Probe:
    """A new reader every PROBE_EVERY seconds asking for a search page."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.results: list[tuple[float, int | str, float]] = []  # (when, status, ms)
        self._lock = threading.Lock()

    def _one(self, rng: random.Random) -> None:
        started = time.monotonic()
        connection = http.client.HTTPConnection(HOST, self.port, timeout=PROBE_TIMEOUT)
        try:
            connection.request("GET", f"/?q={rng.choice(WORDS)}")
            response = connection.getresponse()
            response.read()
            status: int | str = response.status
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
        finally:
            connection.close()
        with self._lock:
            self.results.append((started, status, (time.monotonic() - started) * 1000))

    def run(self, seconds: float) -> None:
        rng = random.Random(13)
        stop_at = time.monotonic() + seconds
        threads = []
        while time.monotonic() < stop_at:
            thread = threading.Thread(target=self._one, args=(rng,), daemon=True)
            thread.start()
            threads.append(thread)
            time.sleep(PROBE_EVERY)
        for thread in threads:
            thread.join(PROBE_TIMEOUT + 5)

    def report(self, started: float, ended: float) -> dict:
        ok = sorted(when for when, status, _ in self.results if status == 200)
        # The longest stretch of the window in which no search was answered.
        edges = [started, *ok, ended]
        outage = max(b - a for a, b in pairwise(edges))
        statuses = Counter(str(status) for _, status, _ in self.results)
        return {
            "sent": len(self.results),
            "answered_200": statuses.pop("200", 0),
            "other": dict(statuses),
            "latency_ms": summary([ms for _, status, ms in self.results if status == 200]),
            "longest_without_answer_s": round(outage, 1),
        }


def slow_export_reader(port: int, stop: threading.Event, tally: Counter) -> None:
    """Reads the whole-archive zip at 4 KB/s; after a 503, waits and asks again."""
    request = b"GET /export?format=zip HTTP/1.1\r\nHost: archive\r\nConnection: close\r\n\r\n"
    while not stop.is_set():
        sock = socket.socket()
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
            sock.settimeout(30)
            sock.connect((HOST, port))
            sock.sendall(request)
            head = sock.recv(1024)
            status = head.split(b" ", 2)[1].decode() if head.count(b" ") >= 2 else "none"
            tally[f"status_{status}"] += 1
            tally["bytes"] += len(head)
            if status != "200":
                stop.wait(5)
                continue
            while not stop.is_set():
                data = sock.recv(1024)
                if not data:
                    tally["finished"] += 1
                    break
                tally["bytes"] += len(data)
                stop.wait(0.25)
        except OSError as exc:
            tally[type(exc).__name__] += 1
            stop.wait(1)
        finally:
            sock.close()


def slowloris(port: int, count: int, stop: threading.Event, tally: Counter) -> None:
    """`count` connections each sending one more header line every 5 s, never the end."""
    opened: list[socket.socket | None] = [None] * count

    def connect() -> socket.socket | None:
        try:
            sock = socket.create_connection((HOST, port), timeout=5)
            sock.sendall(b"GET /?q=mines HTTP/1.1\r\nHost: archive\r\n")
            tally["opened"] += 1
            return sock
        except OSError:
            tally["connect_failed"] += 1
            return None

    while not stop.is_set():
        for i in range(count):
            if stop.is_set():
                break
            sock = opened[i]
            if sock is not None:
                try:
                    sock.sendall(b"X-Trickle: %d\r\n" % i)
                    continue
                except OSError:
                    tally["closed_by_server"] += 1
                    sock.close()
            opened[i] = connect()
        stop.wait(5)
    tally["held_at_end"] = sum(1 for s in opened if s is not None)
    for sock in opened:
        if sock is not None:
            sock.close()


def run_attack(
    kind: str, port: int, count: int, stop: multiprocessing.synchronize.Event, results: Any
) -> None:
    """The attackers, in a process of their own so that their threads do not slow the
    probe's own measurements (one process for both made gunicorn's searches look 50 times
    slower than a probe from another process saw them), until `stop`; their tally is put
    on `results`."""
    tally: Counter = Counter()
    halt = threading.Event()
    if kind == "exports":
        attackers = [
            threading.Thread(target=slow_export_reader, args=(port, halt, tally), daemon=True)
            for _ in range(count)
        ]
    else:
        attackers = [
            threading.Thread(target=slowloris, args=(port, count, halt, tally), daemon=True)
        ]
    for thread in attackers:
        thread.start()
    stop.wait(MAX_SECONDS + 60)
    halt.set()
    for thread in attackers:
        thread.join(40)
    results.put(dict(tally))


def recovery(port: int) -> float | None:
    """Seconds after the attack until a search is answered again (None: not within 60 s)."""
    after = time.monotonic()
    while time.monotonic() - after < 60:
        check = Probe(port)
        check.run(PROBE_EVERY)
        if any(status == 200 for _, status, _ in check.results):
            return round(time.monotonic() - after, 1)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.slow_clients", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: the bundled one)")
    parser.add_argument("--instance", type=Path, required=True, help="instance folder (index)")
    parser.add_argument("--attack", choices=("exports", "slowloris"), required=True)
    parser.add_argument("--count", type=int, required=True, help="attacking clients")
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--proxy", action="store_true", help="nginx in front (deploy/nginx.conf)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if not 1 <= args.count <= MAX_ATTACKERS or not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--count 1-{MAX_ATTACKERS}, --seconds up to {MAX_SECONDS}")

    stop = multiprocessing.Event()
    results: multiprocessing.Queue = multiprocessing.Queue()
    attack: multiprocessing.Process | None = None
    try:
        with serving(args.corpus, args.instance, args.threads, args.workers, args.proxy) as (
            _,
            proxy,
            port,
        ):
            Probe(port).run(2)  # warm: the engine open, the first pages
            attack = multiprocessing.Process(
                target=run_attack, args=(args.attack, port, args.count, stop, results)
            )
            attack.start()
            time.sleep(2)  # the attack under way
            probe = Probe(port)
            started = time.monotonic()
            probe.run(args.seconds)
            ended = time.monotonic()
            stop.set()
            tally = results.get(timeout=60)
            attack.join(30)
            report = {
                "attack": args.attack,
                "count": args.count,
                "seconds": args.seconds,
                "server": "gunicorn" if args.workers > 1 else "waitress",
                "workers": args.workers,
                "threads": args.threads,
                "proxy": "deploy/nginx.conf" if proxy else None,
                "searches": probe.report(started, ended),
                "attackers": tally,
                "search_answered_after_attack_s": recovery(port),
            }
    finally:
        stop.set()
        if attack is not None and attack.is_alive():
            attack.terminate()
    print_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
