"""The anchors: tantivy and SQLite FTS5 fed the same documents and asked the same queries as
the archive's engine, so that "fast" has a yardstick measured in the same run.

    pip install tantivy                    # optional: without it, tantivy is skipped
    python -m bench.anchors --corpus C --instance I --work DIR [--queries 40] [--rounds 3]

Both anchors index what the archive's index holds, not the raw TEI: each document's title,
body and names as the archive's own analysis turns them into terms (in the document's
language, folded, stemmed), written as one whitespace-separated term per position, the eight
facet fields as raw values, and the issue span as two day numbers. A query is the archive's
parsed query (`QueryParser`: names resolved to ids, each word analysed in every language the
index holds) translated node for node, so that every total and facet count can be, and is,
checked equal before anything is timed. Preparing the terms reads every TEI file once
(cached in DIR as JSON Lines); it is not part of the anchors' build time, which is what
indexing already-analysed terms costs them (parsing TEI and analysing text would be on top).

Measured per engine, per query, wall and CPU time, each bench query (`bench.run.make_queries`,
240 queries at 40 per type) asked three ways:

- **faceted**: total, the first 20 hits and the counts of the 30 top values of all eight
  facets (the archive: `SearchEngine.search`, which also makes snippets and the spelling
  check; tantivy: `search` plus one `aggregate` of eight terms aggregations; SQLite: a
  count, the top 20 and one GROUP BY over the facet table);
- **plain**: total and the first 20 ids, nothing else (the archive: `SearchEngine.top`);
- **landing**: match-all with facets.

Rounds run the engines in a rotated order (ABC, BCA, CAB ...) so that a machine getting
busier or quieter does not favour one; each figure is the median of the rounds' p50 and
p95. Compare ratios within one run only: the machine is shared.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.report import print_report
from bench.run import QUERY_TYPES, make_queries, percentile

FACET_SIZE = 30  # values counted per facet on a page (archive.search.facets.FACET_LIMIT)
PAGE = 20
PLAIN_TYPES = ("term", "and", "phrase", "treaty", "date_range")


def tantivy_available() -> bool:
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    return True


# --- the documents, as the archive's index holds them --------------------------------------


def _terms_in_order(field: Any, value: Any) -> str:
    """The field's terms one per position, in position order (what the archive indexes:
    its positions follow on without gaps after the first kept word)."""
    by_position: dict[int, str] = {}
    for term, positions in field.term_positions(value).items():
        for position in positions:
            # Two terms at one position (a word with special letters: folded and exact)
            # would need a pre-tokenised stream; the synthetic corpus has none.
            by_position.setdefault(position, term)
    return " ".join(by_position[p] for p in sorted(by_position))


def _prepare_one(args: tuple[str, str]) -> dict[str, Any] | None:
    path, authority = args
    from archive.document import Registers
    from archive.document.tei import read_document
    from archive.search.index import FACET_FIELDS, TEXT_FIELDS, index_fields, make_schema

    state = _PREPARE_STATE
    if not state:
        state["registers"] = Registers.load(Path(authority))
        state["schema"] = make_schema()
    data = Path(path).read_bytes()
    fields = index_fields(read_document(data, Path(path)), state["registers"])
    record: dict[str, Any] = {"id": fields["id"]}
    for name in TEXT_FIELDS:
        record[name] = _terms_in_order(state["schema"][name], fields[name])
    record["facets"] = {name: fields[name].split() for name in FACET_FIELDS}
    record["earliest"], record["latest"] = fields["earliest"], fields["latest"]
    return record


_PREPARE_STATE: dict[str, Any] = {}


def prepared_documents(corpus: Path, work: Path, procs: int = 2) -> Path:
    """The corpus's documents as index terms, one JSON object a line (gzip), written once
    into `work` and reused while the corpus has the same number of files."""
    paths = sorted(str(p) for p in (corpus / "documents").glob("*.xml"))
    target = work / f"anchors-docs-{len(paths)}.jsonl.gz"
    if target.exists():
        return target
    work.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    authority = str(corpus / "authority")
    with multiprocessing.Pool(procs) as pool, gzip.open(partial, "wt", encoding="utf-8") as out:
        jobs = ((p, authority) for p in paths)
        for record in pool.imap(_prepare_one, jobs, chunksize=200):
            if record is not None:
                out.write(json.dumps(record, separators=(",", ":")) + "\n")
    partial.replace(target)
    return target


def read_prepared(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the anchors ------------------------------------------------------------------------


class Anchor:
    """One engine under test: `faceted(query)` -> (total, {facet: {value: count}}),
    `plain(query)` -> (total, ids). `query` is the archive's parsed Whoosh query."""

    name = ""

    def convert(self, text: str, parsed: Any) -> Any:
        """The engine's own form of a query (not timed): the archive's request, a tantivy
        Query, an SQL condition and its parameters."""
        return parsed

    def faceted(self, query: Any) -> tuple[int, dict[str, dict[str, int]]]:
        raise NotImplementedError

    def plain(self, query: Any) -> tuple[int, list[str]]:
        raise NotImplementedError

    def exact_counts(self, query: Any) -> dict[str, dict[str, int]]:
        """Every value's count, for the equality check (not timed)."""
        raise NotImplementedError


class Tantivy(Anchor):
    name = "tantivy"

    def __init__(self, folder: Path) -> None:
        import tantivy

        from archive.search.index import FACET_FIELDS, TEXT_FIELDS

        self.tantivy = tantivy
        self.folder = folder
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        for name in TEXT_FIELDS:
            builder.add_text_field(name, tokenizer_name="whitespace", index_option="position")
        for name in FACET_FIELDS:
            builder.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
        builder.add_integer_field("earliest", fast=True, indexed=True)
        builder.add_integer_field("latest", fast=True, indexed=True)
        self.schema = builder.build()
        self.facet_fields = FACET_FIELDS
        self.text_fields = TEXT_FIELDS
        self.index: Any = None
        self.searcher: Any = None

    def build(self, documents: Path) -> dict[str, Any]:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        index = self.tantivy.Index(self.schema, path=str(self.folder))
        records = list(read_prepared(documents))
        started, cpu = time.perf_counter(), _cpu()
        writer = index.writer(heap_size=512_000_000, num_threads=2)
        for record in records:
            doc = self.tantivy.Document()
            doc.add_text("id", record["id"])
            for name in self.text_fields:
                doc.add_text(name, record[name])
            for name, values in record["facets"].items():
                for value in values:
                    doc.add_text(name, value)
            doc.add_integer("earliest", record["earliest"])
            doc.add_integer("latest", record["latest"])
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        seconds, cpu_s = time.perf_counter() - started, _cpu() - cpu
        self.open()
        return _build_report(len(records), seconds, cpu_s, self.folder)

    def open(self) -> None:
        self.index = self.tantivy.Index.open(str(self.folder))
        self.index.reload()
        self.searcher = self.index.searcher()

    def query(self, q: Any) -> Any:
        from whoosh import query as wq

        from archive.search.query import DateOverlap

        Query, Occur, schema = self.tantivy.Query, self.tantivy.Occur, self.schema
        if isinstance(q, wq.Every):
            return Query.all_query()
        if isinstance(q, wq.Term):
            return Query.term_query(schema, q.fieldname, q.text)
        if isinstance(q, wq.Phrase):
            return Query.phrase_query(schema, q.fieldname, list(q.words), slop=max(0, q.slop - 1))
        if isinstance(q, wq.And):
            return Query.boolean_query([(Occur.Must, self.query(s)) for s in q.subqueries])
        if isinstance(q, wq.Or):
            return Query.boolean_query([(Occur.Should, self.query(s)) for s in q.subqueries])
        if isinstance(q, DateOverlap):
            integer = self.tantivy.FieldType.Integer
            parts = [(Occur.Must, Query.range_query(schema, "earliest", integer, 1, None))]
            if q.end is not None:
                end = q.end.toordinal()
                parts.append((Occur.Must, Query.range_query(schema, "earliest", integer, 1, end)))
            if q.start is not None:
                start = q.start.toordinal()
                parts.append(
                    (Occur.Must, Query.range_query(schema, "latest", integer, start, None))
                )
            return Query.boolean_query(parts)
        raise ValueError(f"no tantivy form for {q!r}")

    def convert(self, text: str, parsed: Any) -> Any:
        return self.query(parsed)

    def _aggregate(self, query: Any, size: int) -> dict[str, dict[str, int]]:
        spec = {name: {"terms": {"field": name, "size": size}} for name in self.facet_fields}
        found = self.searcher.aggregate(query, spec)
        return {
            name: {b["key"]: b["doc_count"] for b in found[name]["buckets"]}
            for name in self.facet_fields
        }

    def faceted(self, query: Any) -> tuple[int, dict[str, dict[str, int]]]:
        result = self.searcher.search(query, PAGE, count=True)
        _ = [self.searcher.doc(address)["id"][0] for _, address in result.hits]
        return result.count, self._aggregate(query, FACET_SIZE)

    def plain(self, query: Any) -> tuple[int, list[str]]:
        result = self.searcher.search(query, PAGE, count=True)
        return result.count, [self.searcher.doc(address)["id"][0] for _, address in result.hits]

    def exact_counts(self, query: Any) -> dict[str, dict[str, int]]:
        return self._aggregate(query, 1_000_000)


class Fts5(Anchor):
    """SQLite FTS5 for the text, a (document, facet, value) table for the facets."""

    name = "sqlite_fts5"

    def __init__(self, path: Path) -> None:
        from archive.search.index import FACET_FIELDS, TEXT_FIELDS

        self.path = path
        self.facet_fields = FACET_FIELDS
        self.text_fields = TEXT_FIELDS
        self.db: sqlite3.Connection | None = None

    def build(self, documents: Path) -> dict[str, Any]:
        self.path.unlink(missing_ok=True)
        db = sqlite3.connect(self.path)
        columns = ", ".join(self.text_fields)
        db.executescript(
            f"""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
            CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT, earliest INT, latest INT);
            CREATE VIRTUAL TABLE fts USING fts5({columns}, tokenize = 'unicode61');
            CREATE TABLE facet (doc INTEGER, name TEXT, value TEXT);
            """
        )
        records = list(read_prepared(documents))
        started, cpu = time.perf_counter(), _cpu()
        with db:
            for rowid, record in enumerate(records, 1):
                db.execute(
                    "INSERT INTO docs VALUES (?, ?, ?, ?)",
                    (rowid, record["id"], record["earliest"], record["latest"]),
                )
                db.execute(
                    f"INSERT INTO fts (rowid, {columns}) VALUES (?, ?, ?, ?)",
                    (rowid, *(record[name] for name in self.text_fields)),
                )
                db.executemany(
                    "INSERT INTO facet VALUES (?, ?, ?)",
                    [(rowid, n, v) for n, vs in record["facets"].items() for v in vs],
                )
            db.execute("CREATE INDEX facet_doc ON facet (doc)")
            db.execute("CREATE INDEX facet_value ON facet (name, value)")
            db.execute("CREATE INDEX docs_dates ON docs (earliest, latest)")
        db.close()
        seconds, cpu_s = time.perf_counter() - started, _cpu() - cpu
        self.open()
        return _build_report(len(records), seconds, cpu_s, self.path)

    def open(self) -> None:
        self.db = sqlite3.connect(self.path, check_same_thread=False)

    def _fts(self, q: Any) -> str | None:
        """An FTS5 match expression for a subtree of text terms only, else None."""
        from whoosh import query as wq

        if isinstance(q, wq.Term) and q.fieldname in self.text_fields:
            return f'{q.fieldname} : "{q.text}"'
        if isinstance(q, wq.Phrase) and q.fieldname in self.text_fields:
            return f'{q.fieldname} : "{" ".join(q.words)}"'
        if isinstance(q, wq.And | wq.Or):
            parts = [self._fts(s) for s in q.subqueries]
            if all(parts):
                joiner = " AND " if isinstance(q, wq.And) else " OR "
                return "(" + joiner.join(parts) + ")"  # type: ignore[arg-type]
        return None

    def where(self, q: Any, params: list[Any]) -> str:
        """A condition on `docs` (rowid, earliest, latest) matching `q`."""
        from whoosh import query as wq

        from archive.search.query import DateOverlap

        text = self._fts(q)
        if text is not None:
            params.append(text)
            return "rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)"
        if isinstance(q, wq.Every):
            return "1"
        if isinstance(q, wq.Term):
            params.extend((q.fieldname, q.text))
            return "rowid IN (SELECT doc FROM facet WHERE name = ? AND value = ?)"
        if isinstance(q, DateOverlap):
            parts = ["earliest != 0"]
            if q.end is not None:
                parts.append("earliest <= ?")
                params.append(q.end.toordinal())
            if q.start is not None:
                parts.append("latest >= ?")
                params.append(q.start.toordinal())
            return "(" + " AND ".join(parts) + ")"
        if isinstance(q, wq.And | wq.Or):
            joiner = " AND " if isinstance(q, wq.And) else " OR "
            return "(" + joiner.join(self.where(s, params) for s in q.subqueries) + ")"
        raise ValueError(f"no FTS5 form for {q!r}")

    def _counts(self, condition: str, params: list[Any], size: int | None):
        assert self.db is not None
        rows = self.db.execute(
            "SELECT name, value, count(*) FROM facet WHERE doc IN "
            f"(SELECT rowid FROM docs WHERE {condition}) GROUP BY name, value",
            params,
        ).fetchall()
        counts: dict[str, dict[str, int]] = {name: {} for name in self.facet_fields}
        for name, value, count in rows:
            counts[name][value] = count
        if size is not None:
            for name, found in counts.items():
                top = sorted(found.items(), key=lambda kv: -kv[1])[:size]
                counts[name] = dict(top)
        return counts

    def _top(self, condition: str, params: list[Any]) -> tuple[int, list[str]]:
        assert self.db is not None
        total = self.db.execute(f"SELECT count(*) FROM docs WHERE {condition}", params)
        ids = self.db.execute(
            f"SELECT id FROM docs WHERE {condition} ORDER BY earliest DESC LIMIT {PAGE}", params
        ).fetchall()
        return total.fetchone()[0], [row[0] for row in ids]

    def convert(self, text: str, parsed: Any) -> Any:
        params: list[Any] = []
        return self.where(parsed, params), params

    def faceted(self, query: Any) -> tuple[int, dict[str, dict[str, int]]]:
        condition, params = query
        total, _ = self._top(condition, params)
        return total, self._counts(condition, params, FACET_SIZE)

    def plain(self, query: Any) -> tuple[int, list[str]]:
        return self._top(*query)

    def exact_counts(self, query: Any) -> dict[str, dict[str, int]]:
        condition, params = query
        return self._counts(condition, params, None)


class Archive(Anchor):
    """The archive's own engine, asked the same way."""

    name = "archive"

    def __init__(self, corpus: Path, instance: Path) -> None:
        from archive.config import Config
        from archive.search import SearchEngine

        self.engine = SearchEngine(Config(corpus=corpus, instance=instance))
        self.requests: dict[int, Any] = {}

    def convert(self, text: str, parsed: Any) -> Any:
        from archive.search import SearchRequest

        return SearchRequest(q=text)

    def faceted(self, query: Any) -> tuple[int, dict[str, dict[str, int]]]:
        result = self.engine.search(query)
        return result.total, {
            name: {v.value: v.count for v in values} for name, values in result.facets.items()
        }

    def plain(self, query: Any) -> tuple[int, list[str]]:
        return self.engine.top(query)


def _build_report(count: int, seconds: float, cpu_s: float, where: Path) -> dict[str, Any]:
    size = (
        sum(p.stat().st_size for p in where.rglob("*") if p.is_file())
        if where.is_dir()
        else where.stat().st_size
    )
    return {
        "documents": count,
        "seconds": round(seconds, 1),
        "cpu_ms_per_doc": round(cpu_s * 1000 / max(count, 1), 3),
        "docs_per_s": round(count / max(seconds, 1e-9), 1),
        "size_mb": round(size / 1e6, 1),
    }


# --- checking and timing ----------------------------------------------------------------


def check_equal(
    archive: Archive, others: list[Anchor], queries: list[tuple[str, str, Any]]
) -> dict[str, Any]:
    """Every query's total, and every facet count the archive shows, equal in every engine.
    Raises AssertionError naming the first difference."""
    checked = 0
    for kind, text, parsed in queries:
        total, facets = archive.faceted(archive.convert(text, parsed))
        for other in others:
            converted = other.convert(text, parsed)
            other_total, _ = other.plain(converted)
            if other_total != total:
                raise AssertionError(
                    f"{other.name}: {kind} {text!r}: total {other_total} != {total}"
                )
            exact = other.exact_counts(converted)
            for name, values in facets.items():
                for value, count in values.items():
                    found = exact[name].get(value, 0)
                    if found != count:
                        raise AssertionError(
                            f"{other.name}: {kind} {text!r}: {name}={value} {found} != {count}"
                        )
                    checked += 1
    return {"queries": len(queries), "facet_counts_checked": checked}


def _time(call: Callable[[Any], Any], args: list[Any]) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for arg in args:
        t0, c0 = time.perf_counter(), time.process_time()
        call(arg)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
    }


def measure(
    engines: list[Anchor], queries: list[tuple[str, str, Any]], rounds: int, seed: int
) -> dict[str, Any]:
    """Per engine and mode, the median over `rounds` of each round's p50 and p95 (wall and
    CPU), engines rotated from round to round; queries in one shuffled order."""
    rng = random.Random(seed)
    order = list(queries)
    rng.shuffle(order)
    searching = [q for q in order if q[0] != "match_all"]
    landing = [q for q in order if q[0] == "match_all"]
    per_round: dict[str, dict[str, list[dict[str, float]]]] = {}
    for r in range(rounds):
        rotated = engines[r % len(engines) :] + engines[: r % len(engines)]
        for engine in rotated:
            some = [engine.convert(t, p) for _, t, p in searching]
            landing_args = [engine.convert(t, p) for _, t, p in landing]
            modes = {
                "faceted": (engine.faceted, some),
                "plain": (engine.plain, some),
                "landing": (engine.faceted, landing_args),
            }
            for mode, (call, arguments) in modes.items():
                wall, cpu = _time(call, arguments)
                found = per_round.setdefault(engine.name, {}).setdefault(mode, [])
                found.append(
                    {**_summary(wall), **{f"cpu_{k}": v for k, v in _summary(cpu).items()}}
                )
    report: dict[str, Any] = {}
    for name, modes in per_round.items():
        report[name] = {
            mode: {key: round(statistics.median(r[key] for r in runs), 2) for key in runs[0]}
            for mode, runs in modes.items()
        }
    return report


def run(
    corpus: Path,
    instance: Path,
    work: Path,
    per_type: int,
    rounds: int,
    seed: int = 42,
    rebuild: bool = True,
) -> dict[str, Any]:
    from archive.search import SearchRequest

    archive = Archive(corpus, instance)
    archive.engine.search(SearchRequest())
    documents = prepared_documents(corpus, work)
    anchors: list[Anchor] = []
    report: dict[str, Any] = {"corpus": str(corpus), "documents": archive.engine.doc_count}
    builds: dict[str, Any] = {}
    if tantivy_available():
        anchors.append(Tantivy(work / "tantivy"))
    else:
        report["skipped"] = ["tantivy: not installed (pip install tantivy)"]
    anchors.append(Fts5(work / "fts5.sqlite"))
    for anchor in anchors:
        if rebuild or not _built(anchor):
            builds[anchor.name] = anchor.build(documents)  # type: ignore[attr-defined]
        else:
            anchor.open()  # type: ignore[attr-defined]
    report["anchor_builds"] = builds
    texts = make_queries(corpus, seed, per_type)
    queries = []
    with archive.engine._using() as snap:
        for kind in QUERY_TYPES:
            for text in texts[kind]:
                parsed = archive.engine._parse(snap, SearchRequest(q=text)).query
                queries.append((kind, text, parsed))
    report["equal"] = check_equal(archive, anchors, queries)
    # Warm each engine once (a served engine is long-lived).
    for engine in [archive, *anchors]:
        for _, text, parsed in queries[:5]:
            engine.faceted(engine.convert(text, parsed))
    report["rounds"] = rounds
    report["search"] = measure([archive, *anchors], queries, rounds, seed)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["load_average"] = os.getloadavg()
    return report


def _built(anchor: Anchor) -> bool:
    where = getattr(anchor, "folder", None) or getattr(anchor, "path", None)
    return bool(where and Path(where).exists())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.anchors", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument(
        "--work", type=Path, required=True, help="the anchors' indexes (outside the repository)"
    )
    parser.add_argument("--queries", type=int, default=40, help="queries per type")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", action="store_true", help="reuse the anchors' indexes if built")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    report = run(
        args.corpus, args.instance, args.work, args.queries, args.rounds, args.seed, not args.reuse
    )
    print_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
