"""What a served search page costs inside the process: the engine, and the rest (Flask,
the view, Jinja or JSON), for the HTML page and its JSON twin separately.

    python -m bench.page --corpus C --instance I [--requests 300] [--profile out.prof]

The pages are those of the load benchmark's readers (`bench.load.Workload`: one or two
words, up to two facet values, one in five with filters only or the landing page), asked
through Flask's test client in one thread, so that no socket, server or other client
adds to the figure: `bench.load --clients 1` gives what a reader waits for over HTTP.
Each kind is asked the same paths, in turns of one HTML and one JSON page, after a warm-up
of the whole set once; CPU time per request and the engine's share of it are reported
(medians and 95th percentiles). With `--profile`, cProfile's statistics of the timed
requests are written for `python -m pstats` or snakeviz.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.load import Workload
from bench.report import print_report
from bench.run import percentile


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
    }


def run(
    corpus: Path, instance: Path, requests: int, seed: int, profile: Path | None
) -> dict[str, Any]:
    from archive.config import Config
    from webui import create_app

    app = create_app(Config(corpus=corpus, instance=instance))
    client = app.test_client()
    engine = app.extensions["archive"].engine
    spent: list[float] = []
    search = engine.search

    def timed_search(request: Any) -> Any:
        c0 = time.process_time()
        try:
            return search(request)
        finally:
            spent.append((time.process_time() - c0) * 1000)

    engine.search = timed_search  # type: ignore[method-assign]

    def get(path: str) -> dict:
        return json.loads(client.get(path).data)

    workload = Workload.__new__(Workload)
    workload.read(get, seed)
    rng = random.Random(seed)
    paths = [workload.path("search", rng) for _ in range(requests)]
    kinds = {"html": paths, "json": [p.replace("/?", "/search.json?", 1) for p in paths]}
    kinds["json"] = [p if p != "/" else "/search.json" for p in kinds["json"]]
    for path in paths:  # warm-up: every page once
        client.get(path)
    cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
    wall: dict[str, list[float]] = {kind: [] for kind in kinds}
    engine_ms: dict[str, list[float]] = {kind: [] for kind in kinds}
    sizes: dict[str, list[int]] = {kind: [] for kind in kinds}
    profiler = cProfile.Profile() if profile else None
    for i in range(requests):
        for kind in kinds:
            path = kinds[kind][i]
            spent.clear()
            if profiler:
                profiler.enable()
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(path)
            body = response.data
            cpu[kind].append((time.process_time() - c0) * 1000)
            wall[kind].append((time.perf_counter() - t0) * 1000)
            if profiler:
                profiler.disable()
            assert response.status_code == 200, (path, response.status_code)
            engine_ms[kind].append(sum(spent))
            sizes[kind].append(len(body))
    if profiler and profile:
        profiler.dump_stats(str(profile))
    return {
        "documents": engine.doc_count,
        "requests_per_kind": requests,
        **{
            kind: {
                "cpu": _summary(cpu[kind]),
                "wall": _summary(wall[kind]),
                "engine_cpu": _summary(engine_ms[kind]),
                "rest_cpu": _summary(
                    [c - e for c, e in zip(cpu[kind], engine_ms[kind], strict=True)]
                ),
                "median_bytes": int(statistics.median(sizes[kind])),
            }
            for kind in kinds
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.page", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    report = run(args.corpus, args.instance, args.requests, args.seed, args.profile)
    print_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
