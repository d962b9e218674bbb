"""The search index: its Whoosh schema, what each document contributes to it, and where it
lives.

Layout under `config.index_dir` (in the instance folder, never in git):

    CURRENT              the name of the live generation folder (replaced atomically)
    LOCK                 held (flock) by whoever updates the index
    PENDING              ids changed while another process held LOCK (one a line), indexed
                         by that process before it lets go (archive.search.indexing)
    g-<stamp>/           one Whoosh index with format.json (INDEX_FORMAT), manifest.sqlite and
                         files.json (size and sha256 of each Whoosh file, to find damage)

Keeping it in step with the corpus is archive.search.indexing; searching it is archive.search.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, STORED, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex

from archive.config import Config
from archive.document import DateSpan, Document, Registers, latin_key
from archive.errors import ArchiveError
from archive.search import whoosh_fixes  # noqa: F401  (must patch Whoosh before any index opens)
from archive.search.analysis import NEUTRAL, Keywords, LangText, StemmedText
from archive.search.manifest import FileState, Manifest
from archive.storage import Corpus

# Bump when the schema or the meaning of a field changes, or when a class the schema pickles
# moves (Whoosh stores field types and analysers by module path): an index of another format
# is rebuilt by `archive index` (and by `serve`, `search` and `export` before they read it),
# and refused (with that advice) by the search engine. Format 4: the same index as format 3,
# its analysers and codec moved from archive.analysis / archive.codec to archive.search.*.
# Format 5 (two branches at once): texts analysed in their own language, folded, with
# exact terms for special spellings; names folded and unstemmed, with Latin keys for other
# scripts (analysis.py); and each document stores whether it is a catalogue record.
# Format 6: the two format-5 indexes merged, so that neither branch's is ever read as it.
# Format 7 (three branches at once): the articles cited (`article` field: `49`,
# `gc-1949-iv/49`, ...); each document stores what a result line shows of it (signatories'
# names, issuers, treaties cited, how certain its date is), so a hit needs no document read;
# a document counts under the places its places lie within (Aghdam: Karabakh, Azerbaijan),
# as under the groups of the treaties it cites.
# Format 8: those branches merged, so that no branch's format-7 index is ever read as it.
INDEX_FORMAT = 8

# Facet and filter fields: index field name for each, all KEYWORD fields of ids.
FACET_FIELDS = ("treaty", "signatory", "org", "addressee", "place", "type", "lang", "year")
# Full-text fields searched when a query term names no field, and their weights.
TEXT_FIELDS = ("title", "body", "names")
FIELD_BOOSTS = {"title": 3.0, "body": 1.0, "names": 2.0}


_CURRENT = "CURRENT"
_LOCK = "LOCK"
_PENDING = "PENDING"
_FORMAT_FILE = "format.json"
# Size and sha256 of each Whoosh file of a generation, recorded after each commit: a
# truncated TOC or a damaged segment is then found by `archive index`, which rebuilds.
_FILES = "files.json"


def make_schema() -> Schema:
    """The index schema. `earliest`/`latest` are day numbers (date.toordinal(), 0 = undated)
    kept only as columns: the engine reads them as arrays for range filters and date sort."""
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=StemmedText(stored=True, field_boost=FIELD_BOOSTS["title"]),
        body=StemmedText(stored=True),
        names=StemmedText(field_boost=FIELD_BOOSTS["names"]),
        earliest=COLUMN(NumericColumn("i")),
        latest=COLUMN(NumericColumn("i")),
        doc_type=STORED,
        issued=STORED,
        version=STORED,
        sha256=STORED,
        catalogue_record=STORED,
        # Articles cited, as `article_values` keys them; searched with `article:`.
        article=Keywords(),
        # What a result line shows (see `index_fields`): names one per line, refs by spaces.
        signatory_names=STORED,
        issuer_refs=STORED,
        treaties_cited=STORED,
        issued_kind=STORED,
        issued_uncertain=STORED,
        # Ids never need lowercasing, scoring or positions: membership is all a filter asks.
        **{name: Keywords() for name in FACET_FIELDS},
    )


# --- from a document to index fields ---------------------------------------------------


def issued_bounds(span: DateSpan) -> tuple[date, date] | None:
    """The first and last day a document may have been issued, or None when undated.

    A span open on one side (`notAfter` only, say) reaches no further than the calendar year
    of its known bound, which is how `DateSpan.years` counts it: "not after 17 May 2021"
    is 1 January to 17 May 2021. So the year facet and range filters always agree.
    """
    first, last = span.earliest, span.latest
    if first is None and last is None:
        return None
    if first is None:
        assert last is not None
        first = date(last.year, 1, 1)
    if last is None:
        last = date(first.year, 12, 31)
    return first, last


def signatory_ids(doc: Document) -> list[str]:
    """Persons who signed the document: its signatories, and persons named as its authors
    (a petition "by Umud Mirzayev" is his as much as one he signed)."""
    ids = [s.person_id for s in doc.signatories if s.person_id]
    ids += [e.id for e in doc.issuers if e.kind == "person"]
    return list(dict.fromkeys(ids))


def facet_values(doc: Document, registers: Registers) -> dict[str, list[str]]:
    """The values a document contributes to each facet: the single definition shared by the
    index and by anything that counts documents independently of it."""
    bounds = issued_bounds(doc.issued)
    years = list(range(bounds[0].year, bounds[1].year + 1)) if bounds else []
    return {
        "treaty": registers.treaties.expand_cited(doc.treaties),
        "signatory": signatory_ids(doc),
        "org": list(doc.organisations),
        "addressee": list(dict.fromkeys(a.ref for a in doc.addressees)),
        # A place counts under the regions and country it lies within (Aghdam: Karabakh,
        # Azerbaijan), as a treaty under its group: index format 7.
        "place": registers.places.with_ancestors(list(doc.places)),
        "type": [doc.doc_type] if doc.doc_type else [],
        "lang": [doc.lang] if doc.lang else [],
        "year": [str(y) for y in years],
    }


def article_values(doc: Document, registers: Registers) -> list[str]:
    """The `article` terms of a document: each article cited alone (`49`, any treaty's) and
    under its treaty (`gc4-1949/49`); an article of a cited group under each member too
    (common Article 3 of "the Geneva Conventions" is Article 3 of each). Unlike the treaty
    facet, an article is never put under a treaty's parent: Article 3 of a CCW protocol is
    not Article 3 of the CCW."""
    values: list[str] = []
    for citation in doc.articles_cited:
        treaty = registers.treaties.records.get(citation.treaty_id)
        treaty_ids = [citation.treaty_id]
        if treaty is not None and treaty.is_group:
            treaty_ids += [m.id for m in registers.treaties.members(citation.treaty_id)]
        for key in citation.article_keys:
            values.append(key)
            values += [f"{treaty_id}/{key}" for treaty_id in treaty_ids]
    return list(dict.fromkeys(values))


def index_fields(doc: Document, registers: Registers) -> dict[str, Any]:
    """The Whoosh fields of one document."""
    names = [s.name for s in doc.signatories]
    for person_id in signatory_ids(doc):
        record = registers.persons.records.get(person_id)
        if record is not None:
            names.extend(record.names)
    # A name in Cyrillic or Armenian letters is also found in Latin ones (Мирзаев: Mirzaev).
    names += [key for key in map(latin_key, names) if key]
    bounds = issued_bounds(doc.issued)
    body = doc.abstract if doc.is_catalogue_record else doc.text
    parts = doc.abstract_langs if doc.is_catalogue_record else doc.text_langs
    title = "\n".join(dict.fromkeys([doc.title, *doc.titles]))
    fields: dict[str, Any] = {
        "id": doc.id,
        "title": LangText(title, doc.lang),
        "_stored_title": title,
        "body": LangText(body, doc.lang, parts),
        "_stored_body": body,
        "names": LangText(" ; ".join(dict.fromkeys(names)), NEUTRAL),
        "earliest": bounds[0].toordinal() if bounds else 0,
        "latest": bounds[1].toordinal() if bounds else 0,
        "doc_type": doc.doc_type,
        "issued": doc.issued.label(),
        "version": doc.version,
        "sha256": doc.sha256,
        "catalogue_record": doc.is_catalogue_record,
        "article": " ".join(article_values(doc, registers)),
        "signatory_names": "\n".join(s.name for s in doc.signatories),
        "issuer_refs": " ".join(f"{e.kind}:{e.id}" for e in doc.issuers),
        "treaties_cited": " ".join(doc.treaties),
        "issued_kind": doc.issued.kind,
        "issued_uncertain": doc.issued.is_uncertain,
    }
    for name, values in facet_values(doc, registers).items():
        fields[name] = " ".join(values)
    return fields


# --- layout: generations, format, status -----------------------------------------------


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder, or None when there is no usable index."""
    try:
        name = (index_dir / _CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    folder = index_dir / name
    if not name or "/" in name or not folder.is_dir():
        return None
    return folder


def generation_format(folder: Path) -> int | None:
    try:
        return int(json.loads((folder / _FORMAT_FILE).read_text(encoding="utf-8"))["format"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def current_index_folder(index_dir: Path) -> Path | None:
    """The live generation if this version can read it; None when there is none, or only
    one of another format (the index is then rebuilt, never read: its pickled schema names
    classes that may have moved)."""
    folder = current_generation(index_dir)
    if folder is None or generation_format(folder) != INDEX_FORMAT:
        return None
    return folder


class IndexMissing(ArchiveError):
    """No index of the current format: `archive index` builds one. The web answers 503 (the
    service is not ready), not 500: nothing is broken, the index is still to be built."""

    http_status = 503


def open_index(config: Config) -> FileIndex:
    """Open the live index for reading; IndexMissing when there is none of this format."""
    folder = current_generation(config.index_dir)
    if folder is None:
        raise IndexMissing(f"no search index in {config.index_dir}: run `archive index`")
    found = generation_format(folder)
    if found != INDEX_FORMAT:
        raise IndexMissing(
            f"the search index in {config.index_dir} has format {found}, this version reads "
            f"format {INDEX_FORMAT}: run `archive index` to rebuild it"
        )
    return open_generation(folder)


class IndexDamaged(IndexMissing):
    """The index's files cannot be read (a truncated TOC, a damaged segment): the web
    answers 503 with what to run; `archive index` rebuilds it."""


def open_generation(folder: Path) -> FileIndex:
    """A generation's Whoosh index for reading, its files read rather than memory-mapped:
    mapped, every page a search touched stayed in the process's resident memory (2.7 GB
    after a benchmark at 100,000 documents) though the OS cache holds it anyway."""
    try:
        return FileStorage(str(folder), supports_mmap=False).open_index()
    except Exception as exc:  # Whoosh raises whatever its reader meets in damaged bytes
        raise IndexDamaged(
            f"the search index in {folder} is damaged ({type(exc).__name__}): "
            "run `archive index`, which rebuilds it"
        ) from None


def _whoosh_files(folder: Path) -> list[Path]:
    ours = {_FORMAT_FILE, _FILES}
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.name not in ours
        and not p.name.startswith("manifest.sqlite")
        and not p.name.endswith("WRITELOCK")
    )


def record_files(folder: Path) -> None:
    """Record the size and sha256 of the generation's Whoosh files after a commit. Segment
    files never change once written, so only new ones are hashed."""
    try:
        known = json.loads((folder / _FILES).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        known = {}
    files = {}
    for path in _whoosh_files(folder):
        size = path.stat().st_size
        previous = known.get(path.name)
        if previous and previous[0] == size and not path.name.endswith(".toc"):
            files[path.name] = previous
        else:
            files[path.name] = [size, hashlib.sha256(path.read_bytes()).hexdigest()]
    tmp = folder / f".{_FILES}.tmp"
    tmp.write_text(json.dumps(files), encoding="utf-8")
    os.replace(tmp, folder / _FILES)


def generation_damage(folder: Path) -> str | None:
    """What is wrong with a generation's files, or None: every recorded file present with
    its size and sha256, and the index opens and counts its documents."""
    try:
        recorded = json.loads((folder / _FILES).read_text(encoding="utf-8"))
    except FileNotFoundError:
        recorded = {}
    except ValueError:
        return f"{folder / _FILES} is damaged"
    live = {p.name for p in _whoosh_files(folder)}
    for name, (size, digest) in recorded.items():
        path = folder / name
        if name not in live:
            return f"{path} is missing"
        if path.stat().st_size != size or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            return f"{path} has changed since it was written"
    try:
        ix = open_generation(folder)
        try:
            ix.doc_count()
            with ix.searcher() as searcher:
                searcher.doc_count_all()
        finally:
            ix.close()
    except Exception as exc:
        return f"the index in {folder} cannot be read ({type(exc).__name__})"
    return None


def corpus_files(config: Config, only: list[str] | None = None) -> dict[str, Path]:
    """Current document files by id (of `only`, looked up directly, or all of them), in id
    order: those of `Corpus.ids()`, so that a stray file in documents/ (a backup copy, a
    half-written file) is never indexed, as it is never exported or harvested."""
    corpus = Corpus(config)
    ids = corpus.ids() if only is None else corpus.current_among(only)
    return {i: corpus.path(i) for i in ids}


def known_files(
    folder: Path, ix: FileIndex, only: list[str] | None
) -> tuple[dict[str, FileState], bool]:
    """The manifest's states (of `only`, or of every file) and whether they came from a
    fresh manifest; a stale one is rebuilt from the hashes stored in the index (every
    file is then hashed once: slow, never wrong)."""
    manifest = Manifest(folder)
    generation = ix.latest_generation()
    found = manifest.load(generation) if only is None else manifest.get(only, generation)
    if found is not None:
        return found, True
    with ix.searcher() as searcher:
        known = {
            stored["id"]: FileState(-1, -1, stored["sha256"])
            for stored in searcher.all_stored_fields()
        }
    return known, False


@dataclass
class IndexStatus:
    """What `archive stats` reports about the index, without reading any document."""

    path: str
    exists: bool
    format: int | None = None
    documents: int = 0
    segments: int = 0
    size_bytes: int = 0
    updated: float | None = None
    new_files: int = 0
    changed_files: int = 0
    removed_files: int = 0

    @property
    def up_to_date(self) -> bool:
        return self.exists and not (self.new_files or self.changed_files or self.removed_files)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items()}
        data["up_to_date"] = self.up_to_date
        return data


def index_status(config: Config) -> IndexStatus:
    """The live index's figures, and how many corpus files it has not caught up with
    (judged by size and modification time: a touched file counts as changed)."""
    folder = current_generation(config.index_dir)
    status = IndexStatus(path=str(config.index_dir), exists=folder is not None)
    if folder is None:
        status.new_files = len(corpus_files(config))
        return status
    status.format = generation_format(folder)
    status.size_bytes = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    if status.format != INDEX_FORMAT:
        return status
    ix = whoosh_index.open_dir(str(folder))
    try:
        status.documents = ix.doc_count()
        status.segments = len(ix._segments())
        status.updated = ix.last_modified()
        manifest, _ = known_files(folder, ix, None)
    finally:
        ix.close()
    files = corpus_files(config)
    for doc_id, path in files.items():
        known = manifest.get(doc_id)
        if known is None:
            status.new_files += 1
            continue
        stat = path.stat()
        if (stat.st_size, stat.st_mtime_ns) != (known.size, known.mtime_ns):
            status.changed_files += 1
    status.removed_files = len(set(manifest) - set(files))
    return status
