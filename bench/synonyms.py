"""What the synonym list (archive/search/synonyms.toml) changes: the benchmark's query mix
searched with and without it, and a few judged queries on the bundled corpus.

    python -m bench.synonyms [--docs 2000] [--seed 2026] [--queries 40] [--corpus C --instance I]

For the benchmark's queries (bench/run.py's `make_queries`, over a synthetic corpus generated
into a temporary folder unless --corpus is given): how many queries the list touches, how
many hits it adds, and the search time with and without it. For the judged queries: the
documents found before and after, against the documents a reader asking wants.
Prints a JSON report.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from archive.config import Config
from archive.search import SearchEngine, SearchRequest, update_index
from archive.search.synonyms import Synonyms
from bench.generate import BUNDLED_CORPUS, DOMAIN_WORDS, generate_corpus
from bench.run import make_queries, percentile

# Queries a researcher of the bundled corpus asks, with the documents they want (read by
# hand: each of these is about the thing asked for, not merely holding the word).
JUDGED = {
    "mine maps": {
        "ngo-appeal-mine-maps-2021",
        "petition-minefield-maps-2021",
        "bonn-declaration-mine-maps-2021",
        "azerbaijan-mfa-statement-mine-maps-2021-07-03",
    },
    "minefield": {
        "petition-minefield-maps-2021",
        "anama-minefield-records-2024-02",
        "ngo-appeal-mine-maps-2021",  # "maps of mined areas"
    },
    "victims of mines": {
        "ngo-appeal-mine-victims-2023-04-29",
        "mine-victims-ngos-joint-statement-2024-04-04",
    },
    "landmine victims": {
        "ngo-appeal-mine-victims-2023-04-29",
        "mine-victims-ngos-joint-statement-2024-04-04",
    },
    "explosive remnants of war": {"ngo-appeal-mine-victims-2023-04-29"},
    "cluster bombs": {"ngo-appeal-mine-maps-2021"},
}


def _engines(config: Config) -> tuple[SearchEngine, SearchEngine]:
    without = SearchEngine(config)
    without.parser.synonyms = Synonyms({})
    return without, SearchEngine(config)


def _run(engine: SearchEngine, query: str) -> tuple[set[str], float]:
    started = time.perf_counter()
    found = set(engine.iter_ids(SearchRequest(q=query)))
    return found, (time.perf_counter() - started) * 1000


def bench_queries(config: Config, corpus: Path, seed: int, per_type: int) -> dict[str, Any]:
    mix = [q for qs in make_queries(corpus, seed, per_type).values() for q in qs if q]
    # The mix draws from 3,000 words; the domain's own words are where the list acts.
    queries = mix + [w for w in DOMAIN_WORDS if w not in mix]
    without, with_list = _engines(config)
    for engine in (without, with_list):
        _run(engine, queries[0])  # open the index
    times: dict[str, list[float]] = {"without": [], "with": []}
    touched = []
    added = 0
    for query in queries:
        before, t0 = _run(without, query)
        after, t1 = _run(with_list, query)
        times["without"].append(t0)
        times["with"].append(t1)
        if after != before:
            touched.append({"query": query, "before": len(before), "after": len(after)})
            added += len(after - before)
        assert before <= after, f"{query!r}: the list lost hits"
    return {
        "queries": len(queries),
        "of_which_domain_words": len(queries) - len(mix),
        "touched": len(touched),
        "hits_added": added,
        "examples": touched[:10],
        "ms": {
            name: {
                "p50": round(statistics.median(values), 2),
                "p95": round(percentile(values, 0.95), 2),
            }
            for name, values in times.items()
        },
    }


def judged(config: Config) -> dict[str, Any]:
    without, with_list = _engines(config)
    out = {}
    for query, wanted in JUDGED.items():
        row = {}
        for name, engine in (("without", without), ("with", with_list)):
            found, _ = _run(engine, query)
            hits = found & wanted
            row[name] = {
                "found": len(found),
                "precision": round(len(hits) / len(found), 2) if found else None,
                "recall": round(len(hits) / len(wanted), 2),
            }
        out[query] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--queries", type=int, default=40, help="queries per type")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--instance", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bundled = Config(corpus=BUNDLED_CORPUS, instance=Path(tmp) / "bundled")
        update_index(bundled)
        corpus = args.corpus or generate_corpus(Path(tmp) / "corpus", args.docs, args.seed)
        config = Config(corpus=corpus, instance=args.instance or Path(tmp) / "instance")
        update_index(config)
        report = {
            "judged": judged(bundled),
            "bench": bench_queries(config, corpus, args.seed, args.queries),
        }
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
