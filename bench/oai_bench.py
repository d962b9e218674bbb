"""OAI-PMH at scale: catalogue build and refresh, and the time of each ListRecords page.

    python bench/oai_bench.py --docs 10000 [--work /tmp/appeals-bench]

Uses the corpus of bench/export_bench.py (made if missing). Times, through the whole Flask
view (catalogue freshness check, SQLite, XML): the first catalogue build (cold model cache),
a refresh with nothing changed, a refresh right after one new version, and every page of
full ListRecords harvests (100 records a page) in oai_dc and tei, plus a set-selective and
a date-selective harvest. Prints medians and 95th percentiles; writes bench/out/oai-<docs>.json.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from export_bench import corpus_for, write_results  # noqa: E402
from lxml import etree  # noqa: E402

from tests.synthetic import revise_seed  # noqa: E402

OAI = "{http://www.openarchives.org/OAI/2.0/}"


def harvest(client, **args) -> list[float]:  # type: ignore[no-untyped-def]
    """Milliseconds of each page of a full list."""
    times = []
    query = {"verb": "ListRecords", **args}
    while True:
        started = time.perf_counter()
        response = client.get("/oai?" + urlencode(query))
        times.append((time.perf_counter() - started) * 1000)
        root = etree.fromstring(response.data)
        if root.find(f"{OAI}error") is not None:
            raise SystemExit(root.find(f"{OAI}error").text)
        token = root.find(f"{OAI}ListRecords/{OAI}resumptionToken")
        if token is None or not token.text:
            return times
        query = {"verb": "ListRecords", "resumptionToken": token.text}


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "pages": len(times),
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/appeals-bench"))
    parser.add_argument(
        "--keep-models",
        action="store_true",
        help="keep the model cache: time a catalogue build from cached models, not from TEI",
    )
    args = parser.parse_args()
    config = corpus_for(args.work, args.docs)
    from archive.publish.catalogue import Catalogue
    from webui import create_app

    results: dict[str, object] = {"documents": args.docs + 5}
    if args.keep_models:
        from archive.storage.cache import connect

        conn = connect(config)
        conn.executescript("DELETE FROM records; DELETE FROM record_sets;")
        conn.execute("DELETE FROM meta WHERE key LIKE 'catalogue_%' AND key != 'catalogue_code'")
        conn.close()
        label = "catalogue_build_from_cached_models_s"
    else:
        shutil.rmtree(config.instance, ignore_errors=True)
        label = "catalogue_cold_build_s"
    started = time.perf_counter()
    Catalogue.current(config).close()
    results[label] = round(time.perf_counter() - started, 1)
    print(f"{label}: {results[label]} s")

    client = create_app(config).test_client()
    for name, query in (
        ("oai_dc", {"metadataPrefix": "oai_dc"}),
        ("tei", {"metadataPrefix": "tei"}),
        ("oai_dc_set_treaty", {"metadataPrefix": "oai_dc", "set": "treaty:gc-1949"}),
        (
            "oai_dc_from_until",
            {"metadataPrefix": "oai_dc", "from": "2025-01-03", "until": "2025-01-04"},
        ),
    ):
        row = summary(harvest(client, **query))
        results[f"list_records_{name}"] = row
        print(f"ListRecords {name:18} {row}", flush=True)

    catalogue = Catalogue(config)
    started = time.perf_counter()
    catalogue.refresh()
    results["refresh_unchanged_ms"] = round((time.perf_counter() - started) * 1000, 1)
    # Keeps the phrase, so that the next run can revise it again.
    revise_seed(config, message="Benchmark.", wording=f"ecological catastrophe ({time.time_ns()})")
    started = time.perf_counter()
    catalogue.refresh()
    results["refresh_after_one_change_ms"] = round((time.perf_counter() - started) * 1000, 1)
    print(
        f"refresh: nothing changed {results['refresh_unchanged_ms']} ms, "
        f"after one new version {results['refresh_after_one_change_ms']} ms"
    )
    write_results(f"oai-{args.docs}", results)


if __name__ == "__main__":
    main()
