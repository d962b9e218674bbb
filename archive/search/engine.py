"""Faceted full-text search: the engine that the command line, the web UI and exports share.

    engine = SearchEngine(config)                 # once per process
    result = engine.search(SearchRequest.from_params(args))
    result.hits, result.facets, result.total, result.suggestion, result.to_dict()
    for doc_id in engine.iter_ids(request): ...   # every match, in order, for exports
    engine.counts("treaty")                       # documents per value, for browse pages

The engine keeps one Whoosh searcher open and reopens it only when the index changed
(`up_to_date()` is False, or `archive index --rebuild` switched generations); it never calls
`Searcher.refresh()`, which returns stale documents in whoosh-reloaded. Each generation's
arrays (archive.search.snapshot) are built once and shared by every search until the next change.

Searches run side by side: the engine's lock is held only to find (or open) the current
snapshot and to count its users, never while a search runs; each thread reads the index
files through readers of its own (Snapshot.reader). A generation replaced while searches
still use it is closed when the last of them ends. Every search is bounded by its
`SearchLimits` (archive.search.limits): a query over them is refused (`QueryTooCostly`, 400)
and a search past its time stops (`SearchTimeout`, 503), so one query cannot hold up others.
"""

from __future__ import annotations

import math
import os
import pickle
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.index import FileIndex

from archive.config import Config
from archive.document import Registers
from archive.errors import BadQuery
from archive.search.analysis import TOKEN_RE, QueryTerms, language, stem
from archive.search.analysis import words as analysed_words
from archive.search.facets import FACET_LIMIT, FacetLabels, FacetValue, facet_list
from archive.search.index import _CURRENT as POINTER
from archive.search.index import (
    INDEX_FORMAT,
    IndexDamaged,
    IndexMissing,
    current_index_folder,
    open_generation,
)
from archive.search.limits import SearchLimits, Work
from archive.search.query import DateOverlap, ParsedQuery, QueryParser, Resolved, ValueResolver
from archive.search.request import FILTER_FIELDS, SearchRequest
from archive.search.snapshot import (
    Docs,
    SegmentData,
    Snapshot,
    as_ids,
    count,
    is_ids,
    remove,
    restrict,
)
from archive.search.snippets import snippet
from archive.search.synonyms import Expansion

VARIANT_WEIGHT = 0.5  # of a synonym's terms in relevance, against the words typed
# How old the index folders' times must be before their stamp stands for "unchanged":
# above any file system's timestamp granularity (ext4's coarse clock ~4 ms; 1-2 s on some).
_SETTLED_NS = 3 * 10**9


@dataclass
class Hit:
    """One document of a result page."""

    id: str
    title: str
    doc_type: str
    issued: str
    snippet: str
    score: float | None
    version: int
    catalogue_record: bool = False  # the archive describes it but holds no text
    issued_kind: str = "unknown"  # DateSpan.kind: exact, range, uncertain ...
    issued_uncertain: bool = False
    # Who speaks: the signatories' names as the text gives them, in its order; the issuing
    # bodies or persons (kind, id, name) for a document that nobody signed by name.
    signatories: list[str] = field(default_factory=list)
    issuers: list[tuple[str, str, str]] = field(default_factory=list)
    treaties: list[tuple[str, str]] = field(default_factory=list)  # (id, name) cited

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "doc_type": self.doc_type,
            "issued": self.issued,
            "issued_kind": self.issued_kind,
            "issued_uncertain": self.issued_uncertain,
            "signatories": list(self.signatories),
            "issuers": [{"kind": k, "id": i, "name": n} for k, i, n in self.issuers],
            "treaties": [{"id": i, "name": n} for i, n in self.treaties],
            "snippet": self.snippet,
            "score": self.score,
            "version": self.version,
            "catalogue_record": self.catalogue_record,
        }


@dataclass
class SearchResult:
    """A result page: the hits, the facets over the whole result set, and how the query
    was understood."""

    request: SearchRequest
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    resolved: list[Resolved] = field(default_factory=list)
    suggestion: str | None = None
    took_ms: float = 0.0
    expanded: list[Expansion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # names no record bears, and so on
    work: dict[str, int] = field(default_factory=dict)
    # The order the hits are in: "relevance" with no words to rank by is newest first.
    sorted_by: str = "relevance"

    @property
    def page(self) -> int:
        return self.request.page

    @property
    def page_size(self) -> int:
        return self.request.page_size

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.request.page_size))

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": self.request.to_dict(),
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "page_size": self.page_size,
            "sorted_by": self.sorted_by,
            "hits": [h.to_dict() for h in self.hits],
            "facets": {k: [v.to_dict() for v in vs] for k, vs in self.facets.items()},
            "resolved": [r.to_dict() for r in self.resolved],
            "expanded": [e.to_dict() for e in self.expanded],
            "notes": list(self.notes),
            "suggestion": self.suggestion,
            "took_ms": round(self.took_ms, 2),
        }


@dataclass
class _Selection:
    """A request's filters resolved to index values and masks, per facet."""

    include: dict[str, np.ndarray]
    exclude: dict[str, np.ndarray]
    selected: dict[str, tuple[str, ...]]
    excluded: dict[str, tuple[str, ...]]
    resolved: list[Resolved]


class SearchEngine:
    """Long-lived, thread-safe search over one archive's index (see the module doc)."""

    def __init__(
        self,
        config: Config,
        registers: Registers | None = None,
        limits: SearchLimits | None = None,
    ) -> None:
        self.config = config
        self.limits = limits or SearchLimits()
        self._lock = threading.RLock()
        self.use_registers(registers or Registers.load(config.authority_dir))
        self._folder: Path | None = None
        self._index: FileIndex | None = None
        self._snapshot: Snapshot | None = None
        self._users: dict[int, int] = {}  # searches running on each snapshot (by id)
        self._retired: dict[int, Snapshot] = {}  # replaced snapshots still in use
        self._segments: dict[str, SegmentData] = {}
        self._index_dir = str(config.index_dir)
        self._pointer = os.path.join(self._index_dir, POINTER)
        self._settled: tuple[tuple[int, ...], ...] | None = None  # see _stamp

    def use_registers(self, registers: Registers) -> None:
        """Resolve names and label facets with these registers from now on (a long-lived
        engine is told when `archive register ...` changed them)."""
        with self._lock:
            self.registers = registers
            self.parser = QueryParser(registers, self.limits)
            self.resolver = ValueResolver(registers)
            self.labels = FacetLabels(registers)

    # -- the index generation -------------------------------------------------------------

    def _current(self) -> Snapshot:
        """The snapshot of the index as it is now, reopened only if it changed (called
        with the lock held)."""
        stamp = self._stamp()
        if stamp is not None and stamp == self._settled and self._snapshot is not None:
            return self._snapshot
        self._settled = None
        snap = self._reopened()
        # Whether the stamp taken before that check can answer the next ones (see _stamp).
        if stamp is not None and max(t for s in stamp for t in s[1:]) < (
            time.time_ns() - _SETTLED_NS
        ):
            self._settled = stamp
        return snap

    def _stamp(self) -> tuple[tuple[int, ...], ...] | None:
        """What changes when the index does, read in three `stat`s (~3 us, where asking
        Whoosh and reading CURRENT and format.json took ~0.15 ms a search): the index
        folder and its CURRENT (a rebuild or a replica switches generations by renaming
        CURRENT), and the open generation's folder (every commit, an `archive add`, a
        withdrawal, a replica's publication, renames a new table of contents into it).
        Each as its inode, change and modification times. None when one is missing.

        A stamp is trusted only once its times are `_SETTLED_NS` old when it was taken: a
        change within the file system's timestamp granularity of the last one might leave
        the times as they were (git's "racily clean" entries); until then every search
        checks as before."""
        if self._folder is None:
            return None
        try:
            found = (os.stat(self._index_dir), os.stat(self._pointer), os.stat(self._folder))
        except OSError:
            return None
        return tuple((st.st_ino, st.st_ctime_ns, st.st_mtime_ns) for st in found)

    def _reopened(self) -> Snapshot:
        """The snapshot of the index as it is now, asking the file system and Whoosh."""
        folder = current_index_folder(self.config.index_dir)
        if folder is None:
            self._close()
            raise IndexMissing(
                f"no search index of format {INDEX_FORMAT} in {self.config.index_dir}: "
                "run `archive index`"
            )
        # What the next snapshot may be built on: the arrays of the segments it shares.
        previous = self._snapshot
        if folder != self._folder or self._index is None:
            self._close()
            self._index = open_generation(folder)
            self._folder = folder
        if self._snapshot is None or not self._snapshot.searcher.up_to_date():
            # Never Searcher.refresh(): close and open (see DESIGN.md, Whoosh facts).
            self._retire()
            searcher = self._index.searcher()
            self._snapshot = Snapshot.build(searcher, self._segments, self._index.storage, previous)
            self._warm(self._snapshot)
        return self._snapshot

    def _warm(self, snap: Snapshot) -> None:
        """Load now what the first search in a language would otherwise load while a
        reader waits: each language's stop list (Whoosh imports its lists on first use)
        and Snowball stemmer, ~70 ms for the first query in five languages."""
        for code in self.parser.languages(snap.facets["lang"].values):
            language(code)

    @contextmanager
    def _using(self) -> Iterator[Snapshot]:
        """The current snapshot, counted as in use until the block ends; the lock is held
        only while it is found. Bytes of the index that cannot be read (a segment truncated
        or overwritten since the index was opened) end the search with IndexDamaged, which
        names `archive index` and answers 503, never a 500 or a traceback."""
        with self._lock, _damage_reported(self.config):
            snap = self._current()
            self._users[id(snap)] = self._users.get(id(snap), 0) + 1
        try:
            with _damage_reported(self.config):
                yield snap
        finally:
            with self._lock:
                left = self._users[id(snap)] - 1
                if left:
                    self._users[id(snap)] = left
                else:
                    del self._users[id(snap)]
                    if self._retired.pop(id(snap), None) is not None:
                        snap.close()

    def _retire(self) -> None:
        """Stop handing out the current snapshot; close it now if no search uses it."""
        snap, self._snapshot = self._snapshot, None
        if snap is None:
            return
        if self._users.get(id(snap)):
            self._retired[id(snap)] = snap
        else:
            snap.close()

    def _close(self) -> None:
        """Let go of the generation. The segments' arrays are kept: a generation published
        from the writer (`archive replicate`, search/replica.py) holds the same segments under
        the same ids, which the next snapshot then need not read again; those it lacks
        are dropped when it is built."""
        self._retire()
        if self._index is not None:
            self._index.close()
        self._index = self._folder = None
        self._settled = None

    def close(self) -> None:
        """Release the searcher and the index files (searches still running finish on
        theirs, closed when they end)."""
        with self._lock:
            self._close()

    def __enter__(self) -> SearchEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def doc_count(self) -> int:
        with self._lock:
            return self._current().doc_count

    # -- searching ------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        """One result page with facet counts over the whole result set. QueryTooCostly
        (a BadQuery) when the query would cost more than `limits` allow, SearchTimeout
        when it ran out of time."""
        started = time.perf_counter()
        work = Work(self.limits)
        with self._using() as snap, work.reported():
            # The query's time starts once its generation is open: the first search after
            # a start or a rebuild assembles the generation's arrays (seconds at 10^5-10^6
            # documents on a busy machine), the archive's work and not the query's.
            work.started = time.monotonic()
            parsed = self._parse(snap, request)
            base = self._base(snap, parsed, request, work)
            selection = self._selection(snap, request)
            matched = self._apply(base, selection)
            total = count(matched)
            docs, scores = self._order(snap, parsed, request, matched, work)
            window = slice(request.offset, request.offset + request.page_size)
            work.check_time()
            hits = self._hits(
                snap, parsed, docs[window], scores[window] if scores is not None else None
            )
            facets = self._facets(snap, parsed, request, base, selection, matched, total)
            suggestion = self._suggestion(snap, parsed, work)
        return SearchResult(
            request=request,
            total=total,
            hits=hits,
            facets=facets,
            resolved=[r for r in parsed.resolved + selection.resolved if r.ids],
            notes=[r.unknown for r in parsed.resolved + selection.resolved if r.unknown],
            suggestion=suggestion,
            expanded=parsed.expanded,
            took_ms=(time.perf_counter() - started) * 1000,
            work=work.to_dict(),
            sorted_by=self._sorted_by(parsed, request),
        )

    def _matched(
        self, snap: Snapshot, request: SearchRequest, work: Work
    ) -> tuple[ParsedQuery, Docs]:
        """The parsed query and the documents a request selects (words, dates, filters),
        its time counted from here as `search` counts it: what `top`, `iter_ids` and
        `ids_between` order, without the facets and snippets of a page."""
        work.started = time.monotonic()
        parsed = self._parse(snap, request)
        base = self._base(snap, parsed, request, work)
        return parsed, self._apply(base, self._selection(snap, request))

    def top(self, request: SearchRequest) -> tuple[int, list[str]]:
        """The total and the ids of the request's page, nothing else (no facets, snippets
        or spelling check): what finding costs without the page around it, as the
        benchmark's anchors are asked (bench/anchors.py)."""
        work = Work(self.limits)
        with self._using() as snap, work.reported():
            parsed, matched = self._matched(snap, request, work)
            docs, _ = self._order(snap, parsed, request, matched, work)
            window = docs[request.offset : request.offset + request.page_size]
            return count(matched), [snap.ids[d] for d in window.tolist()]

    def iter_ids(self, request: SearchRequest) -> Iterator[str]:
        """Every matching document id in the request's order, ignoring paging: for bulk
        export. The order is computed up front; ids are then yielded one by one."""
        work = Work(self.limits)
        with self._using() as snap, work.reported():
            parsed, matched = self._matched(snap, request, work)
            docs, _ = self._order(snap, parsed, request, matched, work, limit=None)
            ids = [snap.ids[d] for d in docs.tolist()]
        yield from ids

    def ids_between(self, request: SearchRequest, start: int, stop: int) -> list[str]:
        """The ids of hits `start` to `stop` (from 0, `stop` excluded) in the request's
        order, paging ignored: a document opened from a search finds its neighbours with
        it. Only the first `stop` are ordered, as for a page that deep."""
        work = Work(self.limits)
        with self._using() as snap, work.reported():
            parsed, matched = self._matched(snap, request, work)
            docs, _ = self._order(snap, parsed, request, matched, work, limit=stop)
            return [snap.ids[d] for d in docs[max(0, start) : stop].tolist()]

    def query_stems(self, query: str) -> QueryTerms:
        """The terms of a query's free-text words, as the search matches them (for marking
        those words in a document opened from a search: `QueryTerms.matches`). A query that
        does not parse still names words: its text is analysed as an English text."""
        if not query.strip():
            return QueryTerms()
        try:
            with self._using() as snap:
                present = snap.facets["lang"].values
        except IndexMissing:
            present = []  # a document page needs no index: English then
        languages = self.parser.languages(present)
        try:
            parsed = self.parser.parse(query, languages)
        except BadQuery:
            return QueryTerms(analysed_words(query))
        return QueryTerms(parsed.terms(), parsed.languages)

    def counts(self, facet: str) -> list[FacetValue]:
        """Documents per value of a facet over the whole archive, every value (browse
        pages: documents per treaty, person, organisation, place ...)."""
        if facet not in FILTER_FIELDS:
            raise BadQuery(f"unknown facet {facet!r}: facets are {', '.join(FILTER_FIELDS)}")
        with self._using() as snap:
            counts = snap.match_all_counts()[facet]
            return facet_list(facet, snap.facets[facet], counts, self.labels, limit=None)

    # -- the steps of a search ------------------------------------------------------------

    def _parse(self, snap: Snapshot, request: SearchRequest) -> ParsedQuery:
        """The request's query, its words analysed in the languages the `lang` filter picks
        or else in every language the index holds."""
        picked = request.filters.get("lang", ())
        languages = self.parser.languages(snap.facets["lang"].values, picked)
        return self.parser.parse(request.q, languages, exact=request.exact)

    @staticmethod
    def _base(snap: Snapshot, parsed: ParsedQuery, request: SearchRequest, work: Work) -> Docs:
        """The live documents the query and the request's dates select, before filters."""
        docs = snap.matches(parsed.query, work)
        if request.date_from is None and request.date_to is None:
            return docs
        return restrict(docs, snap.date_mask(DateOverlap(request.date_from, request.date_to)))

    def _selection(self, snap: Snapshot, request: SearchRequest) -> _Selection:
        selection = _Selection({}, {}, {}, {}, [])
        for which, source in (("include", request.filters), ("exclude", request.excludes)):
            for name, values in source.items():
                ids: list[str] = []
                shown: list[str] = []
                for value in values:
                    try:
                        resolved = self.resolver.resolve(name, value)
                    except BadQuery as exc:
                        param = name if which == "include" else f"not_{name}"
                        message = exc.message
                        if not message.startswith(name):
                            message = f"{name}: {message}"
                        raise BadQuery(
                            f"filter {param}={value!r}: {message}",
                            suggestions=exc.suggestions,
                            field=name,
                            text=value,
                            param=param,
                        ) from None
                    selection.resolved.append(resolved)
                    ids.extend(resolved.ids)
                    shown.extend(resolved.ids[:1])  # none for a name no record bears
                mask = snap.facets[name].mask_for(ids, snap.size)
                if which == "include":
                    selection.include[name] = mask
                    selection.selected[name] = tuple(shown)
                else:
                    selection.exclude[name] = mask
                    selection.excluded[name] = tuple(shown)
        return selection

    @staticmethod
    def _apply(base: Docs, selection: _Selection, skip: str | None = None) -> Docs:
        """`base` with the selection's filters (but `skip`'s) applied: a new array, or
        `base` itself when there is nothing to apply."""
        out = base
        for name, mask in selection.include.items():
            if name != skip:
                out = restrict(out, mask)
        for name, mask in selection.exclude.items():
            if name != skip:
                out = remove(out, mask)
        return out

    @staticmethod
    def _sorted_by(parsed: ParsedQuery, request: SearchRequest) -> str:
        """What `_order` really sorts by."""
        if request.sort == "relevance" and not parsed.words:
            return "-date"
        return request.sort

    def _order(
        self,
        snap: Snapshot,
        parsed: ParsedQuery,
        request: SearchRequest,
        matched: Docs,
        work: Work,
        limit: int | None = -1,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Matching document numbers in the requested order (the first offset+size of them
        unless `limit` is None), and their scores when ranked by relevance."""
        words = [(f, w) for f, w, _, _ in parsed.words]
        wanted = request.offset + request.page_size if limit == -1 else limit
        if request.sort == "relevance" and words:
            scores = snap.scores(words, matched, work)
            variants = [v for v in dict.fromkeys(parsed.variants) if v not in set(words)]
            if variants:
                # A variant from the synonym list counts half: the words typed rank first.
                scores += VARIANT_WEIGHT * snap.scores(variants, matched, work)
            docs = as_ids(matched)
            doc_scores = scores if is_ids(matched) else scores[docs]
            if wanted is not None and wanted < len(docs):
                top = np.argpartition(-doc_scores, wanted - 1)[:wanted]
                docs, doc_scores = docs[top], doc_scores[top]
            order = np.lexsort((docs, -doc_scores))
            return docs[order], doc_scores[order]
        # By date; "relevance" without words to rank by means newest first.
        docs = snap.by_date(matched, newest_first=request.sort != "date")
        return (docs if wanted is None else docs[:wanted]), None

    def _hits(
        self, snap: Snapshot, parsed: ParsedQuery, docs: np.ndarray, scores: np.ndarray | None
    ) -> list[Hit]:
        stems = QueryTerms(parsed.terms(), parsed.languages)
        hits = []
        for i, docnum in enumerate(docs.tolist()):
            stored = snap.stored_fields(docnum)
            hits.append(
                Hit(
                    id=stored["id"],
                    title=stored.get("title", "").split("\n", 1)[0],
                    doc_type=stored.get("doc_type", ""),
                    issued=stored.get("issued", ""),
                    snippet=snippet(stored.get("body", ""), stems),
                    score=round(float(scores[i]), 4) if scores is not None else None,
                    version=int(stored.get("version", 1)),
                    catalogue_record=bool(stored.get("catalogue_record", False)),
                    issued_kind=stored.get("issued_kind", "unknown"),
                    issued_uncertain=bool(stored.get("issued_uncertain", False)),
                    signatories=[n for n in stored.get("signatory_names", "").split("\n") if n],
                    issuers=[
                        (kind, ref, self.registers.label(kind, ref))
                        for kind, _, ref in (
                            r.partition(":") for r in stored.get("issuer_refs", "").split()
                        )
                    ],
                    treaties=[
                        (t, self.labels.label("treaty", t))
                        for t in stored.get("treaties_cited", "").split()
                    ],
                )
            )
        return hits

    def _facets(
        self,
        snap: Snapshot,
        parsed: ParsedQuery,
        request: SearchRequest,
        base: Docs,
        selection: _Selection,
        matched: Docs,
        total: int,
    ) -> dict[str, list[FacetValue]]:
        """Counts of each facet over the result set. A facet with values selected or
        excluded is counted without its own selection (the others still apply), so that
        its other values show how many documents OR-ing them would add."""
        everything = (
            parsed.matches_all
            and request.date_from is None
            and request.date_to is None
            and not selection.include
            and not selection.exclude
        )
        if everything:
            counts = snap.match_all_counts()
        else:
            own = [n for n in snap.facets if n in selection.include or n in selection.exclude]
            # The facets without a selection of their own are counted together, in one go.
            rest = tuple(n for n in snap.facets if n not in own)
            counts = snap.facet_counts(matched, total, rest) if rest else {}
            for name in own:
                docs = self._apply(base, selection, skip=name)
                counts.update(snap.facet_counts(docs, names=(name,)))
        facets = {}
        for name, arrays in snap.facets.items():
            facets[name] = facet_list(
                name,
                arrays,
                counts[name],
                self.labels,
                selected=selection.selected.get(name, ()),
                excluded=selection.excluded.get(name, ()),
                limit=FACET_LIMIT,
            )
        return facets

    def _suggestion(self, snap: Snapshot, parsed: ParsedQuery, work: Work) -> str | None:
        """The query with each word the index does not know replaced by the closest word it
        does know, or None when every word is known (or nothing close exists). Only the
        first `limits.max_suggested` unknown words are looked up: each costs a walk through
        the index's words, and a query of forty unknown words is not misspelt."""
        spans: dict[tuple[int, int], list[tuple[str, str]]] = {}
        for fieldname, word, start, end in parsed.words:
            if start is not None and end is not None:
                spans.setdefault((start, end), []).append((fieldname, word))
        replacements = []
        for (start, end), terms in sorted(spans.items()):
            # A word is known when any of its analyses (one per language) is.
            if any(snap.doc_frequency(f, word, work) for f, word in terms):
                continue
            if work.suggested >= self.limits.max_suggested:
                break
            work.suggested += 1
            work.check_time()
            typed = parsed.text[start:end].lower()
            better = self._closest_word(snap, terms[0][1], typed, work)
            if better is not None:
                replacements.append((start, end, better))
        if not replacements:
            return None
        text = parsed.text
        for start, end, better in reversed(replacements):
            text = text[:start] + better + text[end:]
        return text if text != parsed.text else None

    @staticmethod
    def _closest_word(snap: Snapshot, word: str, typed: str, work: Work) -> str | None:
        """A known word close in spelling, as a reader would write it: the index holds
        stems, so the stem found is shown as a word of a document that contains it. Two
        edits are allowed from six letters on, one below (Elasticsearch's "AUTO" fuzziness):
        two edits turn a short name into another word ("Bonn" into "been")."""
        if len(typed) < 3:
            return None
        maxdist = 1 if len(typed) <= 5 else 2
        reader = snap.reader()
        for fieldname in ("body", "title"):
            corrector = reader.corrector(fieldname)
            if (fieldname, word) in reader:
                # The word is in the index, only in no current document (withdrawn): no
                # misspelling to correct ("Bonn" is not "been").
                return None
            for candidate in corrector.suggest(word, limit=3, maxdist=maxdist, prefix=1):
                postings = snap.postings(fieldname, candidate, work)
                live = postings.ids[snap.live[postings.ids]] if len(postings.ids) else []
                if not len(live):
                    continue
                text = snap.stored_fields(int(live[0])).get(fieldname, "")
                for match in TOKEN_RE.finditer(text):
                    surface = match.group(0).lower()
                    if stem(surface) == candidate:
                        # Close as a stem, but is the word shown close to the one typed?
                        # ("bonn" is one edit from the stem "bann", three from "banned".)
                        if _edits(typed, surface) <= maxdist:
                            return surface
                        break
        return None


# What reading a damaged index file raises (struct.error: a record cut short; the rest from
# Whoosh's own readers); a query's own faults are ArchiveErrors and pass through.
_READ_ERRORS = (struct.error, EOFError, zlib.error, pickle.UnpicklingError, OSError)


@contextmanager
def _damage_reported(config: Config) -> Iterator[None]:
    try:
        yield
    except _READ_ERRORS as exc:
        raise IndexDamaged(
            f"the search index in {config.index_dir} cannot be read ({type(exc).__name__}: "
            f"{exc}): run `archive index`, which finds the damage and rebuilds it"
        ) from None


def _edits(a: str, b: str) -> int:
    """Edit distance with a swap of two neighbouring letters as one edit ("minse" is one
    from "mines"), as Whoosh's corrector and Elasticsearch's fuzziness count them."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]
