"""A full build gives the index, the stored fields, the cached models and the search results
it gave before the build was made faster (issue 20, target 3).

The expectations (tests/data/build-expectations.json) were recorded by the build before that
work: digests of every posting, term statistic, stored field, column and cached model, and the
totals, matching ids and facet counts of ~150 queries, on the frozen test corpus with
templated copies (tests/synthetic.py) and a generated corpus in five languages
(bench.generate). A change that alters what is indexed or stored must say so here: record
them again (`python -m tests.test_indexing_expectations`) and bump INDEX_FORMAT.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from archive.config import Config
from archive.search import SearchEngine
from archive.search.index import open_index
from archive.search.indexing import update_index
from archive.search.request import SearchRequest
from archive.storage import ModelCache
from bench.generate import generate_corpus
from bench.run import make_queries
from tests.synthetic import make_corpus

EXPECTATIONS = Path(__file__).parent / "data" / "build-expectations.json"
COPIES = 120  # templated copies of the frozen corpus's documents
GENERATED = (
    160  # documents of the generator (seed 11): English, Russian, German, French, Azerbaijani
)
EXTRA_QUERIES = [
    '"synthetic person"',
    "synthetic -person",
    "person*",
    'title:"synthetic"',
    '"person was"~3',
    "mirzəyev",
    "mirzayev",
    "exact:mirzayev",
    "мирзаев",
    "мины",
    "minen",
    "landmine",
    "Geneva",
    "article:49",
    "treaty:gc-1949",
    "names:Mirzayev",
]


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode("utf-8")).hexdigest()[:24]


def _corpus_digest(config: Config) -> str:
    digest = hashlib.sha256()
    for folder in (config.documents_dir, config.authority_dir):
        for path in sorted(folder.glob("*.xml")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def index_content(config: Config) -> dict[str, Any]:
    """Digests of the live index as Whoosh's readers give it: each field's postings and
    term statistics, each document's stored fields, each column."""
    ix = open_index(config)
    try:
        with ix.searcher() as searcher:
            reader = searcher.reader()
            fields: dict[str, list[Any]] = {}
            for fieldname, btext in reader.all_terms():
                matcher = reader.postings(fieldname, btext)
                postings = []
                while matcher.is_active():
                    postings.append((matcher.id(), matcher.weight(), matcher.value()))
                    matcher.next()
                info = reader.term_info(fieldname, btext)
                stats = (
                    info.doc_frequency(),
                    info.weight(),
                    info.min_length(),
                    info.max_length(),
                    info.max_weight(),
                    info.min_id(),
                    info.max_id(),
                )
                fields.setdefault(fieldname, []).append((btext, postings, stats))
            stored = {
                fields_["id"]: _digest(sorted(fields_.items()))
                for fields_ in searcher.all_stored_fields()
            }
            count = reader.doc_count_all()
            columns = {}
            for name in sorted(ix.schema.names()):
                if reader.has_column(name):
                    values = reader.column_reader(name)
                    columns[name] = _digest([values[d] for d in range(count)])
            lengths = {
                name: _digest([reader.doc_field_length(d, name) for d in range(count)])
                for name in ("title", "body", "names")
            }
    finally:
        ix.close()
    return {
        "postings": {name: _digest(terms) for name, terms in sorted(fields.items())},
        "terms": {name: len(terms) for name, terms in sorted(fields.items())},
        "stored": stored,
        "columns": columns,
        "lengths": lengths,
    }


def models(config: Config) -> dict[str, str]:
    """The digest of each document's cached model (what exports and harvests read)."""
    out = {}
    with ModelCache(config) as cache:
        for path in sorted(config.documents_dir.glob("*.xml")):
            out[path.stem] = _digest(cache.json_text(path.read_bytes(), path))
    return out


def search_results(config: Config, queries: list[str]) -> dict[str, Any]:
    """Total, matching ids and facet counts of each query (not the order of ties, which is
    the engine's to decide)."""
    out = {}
    with SearchEngine(config) as engine:
        for q in queries:
            request = SearchRequest(q=q)
            result = engine.search(request)
            out[q] = {
                "total": result.total,
                "ids": _digest(sorted(engine.iter_ids(request))),
                "facets": _digest(
                    {
                        name: sorted((v.value, v.count) for v in values)
                        for name, values in sorted(result.facets.items())
                    }
                ),
            }
    return out


def snapshot(config: Config, queries: list[str]) -> dict[str, Any]:
    return {
        "corpus": _corpus_digest(config),
        "index": index_content(config),
        "models": models(config),
        "searches": search_results(config, queries),
    }


def _templated(folder: Path) -> tuple[Config, list[str]]:
    config = make_corpus(folder, COPIES)
    queries = [q for qs in make_queries(config.corpus, 3, 10).values() for q in qs]
    return config, list(dict.fromkeys(queries + EXTRA_QUERIES))


def _generated(folder: Path) -> tuple[Config, list[str]]:
    corpus = generate_corpus(folder / "corpus", GENERATED, seed=11)
    config = Config(corpus=corpus, instance=folder / "instance")
    queries = [q for qs in make_queries(corpus, 4, 12).values() for q in qs]
    return config, list(dict.fromkeys(queries + EXTRA_QUERIES))


CORPORA = {"templated": _templated, "generated": _generated}


def record(folder: Path) -> dict[str, Any]:
    out = {}
    for name, make in CORPORA.items():
        config, queries = make(folder / name)
        update_index(config, rebuild=True)
        out[name] = snapshot(config, queries)
    return out


@pytest.fixture(scope="module")
def expectations() -> dict[str, Any]:
    return json.loads(EXPECTATIONS.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_a_build_indexes_stores_and_finds_what_it_did(tmp_path, expectations, name):
    config, queries = CORPORA[name](tmp_path)
    expected = expectations[name]
    assert _corpus_digest(config) == expected["corpus"], (
        "the test corpus changed (tests/synthetic.py, bench.generate or tests/data/corpus): "
        "record the expectations again with the build as it was"
    )
    update_index(config, rebuild=True)
    found = snapshot(config, queries)
    assert found["index"]["terms"] == expected["index"]["terms"]
    for part in ("postings", "columns", "lengths", "stored"):
        assert found["index"][part] == expected["index"][part], part
    assert found["models"] == expected["models"]
    assert sum(r["total"] for r in found["searches"].values()) > 500
    assert found["searches"] == expected["searches"]


if __name__ == "__main__":  # record the expectations (with the build they are to hold)
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        recorded = record(Path(scratch))
    EXPECTATIONS.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    print(f"wrote {EXPECTATIONS}", file=sys.stderr)
