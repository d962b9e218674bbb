"""An Atom 1.0 feed (RFC 4287) of the archive's latest additions and versions.

One entry per version: a new document and each new version of a document are news to a
reader following the archive. An entry's id is the version's permalink, which never changes
and never names anything else, so feed readers see each version once, and an entry says
what that version said: its own title and authors, read from the version itself (a later
version may have corrected either). A withdrawal is news too: it is an entry of its own
(id `<permalink>#withdrawn`, the reason as summary, a link to the tombstone page) and moves
the feed's `updated`, where an RFC 6721 tombstone would be ignored by most feed readers. The
versions of a withdrawn document leave the feed (they stay citable, but are no longer
offered as news).

A search has a feed of its own (`FeedScope`): the same entries, for the documents the search
matches now, so a researcher can follow "treaty:apmbc-1997 place:Azerbaijan" and be told of
each new document and version it finds. It tells no withdrawals: a withdrawn document is
no longer in the index, so whether it matched cannot be known.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from archive.config import ARCHIVE_NAME, Config
from archive.document import Document, Registers
from archive.errors import Gone, NotFound
from archive.publish.catalogue import Catalogue
from archive.publish.cite import citation_for

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_TITLE = f"{ARCHIVE_NAME}: latest additions and versions"


@dataclass(frozen=True)
class FeedLinks:
    """Where the feed and the pages it points to live, as the reader reaches them."""

    self_url: str  # the feed itself
    site_url: str  # the archive's home page
    version_url: Callable[[str, int], str]  # the page of version n of a document
    document_url: Callable[[str], str] | None = None  # a document's page (a tombstone)


@dataclass(frozen=True)
class FeedScope:
    """Which documents a feed tells of, and what it is called: everything (the archive's
    feed), or the ids a search matches (`ids`), under an id and title of that search."""

    feed_id: str  # an absolute IRI, the same for the same search on every request
    title: str = FEED_TITLE
    subtitle: str = "New documents and new versions of documents, latest first."
    ids: Collection[str] | None = None  # None: every current document


@dataclass(frozen=True)
class _Entry:
    doc: Document
    version: int
    updated: str
    description: str


def latest_entries(
    catalogue: Catalogue,
    read: Callable[[str], Document | None],
    limit: int,
    among: Collection[str] | None = None,
) -> list[_Entry]:
    """The `limit` latest versions of current documents (of those `among`, when given),
    latest first.

    A version is never later than its document's current version, so the latest versions
    are among those of the `limit` documents that changed last: only those are read.
    """
    entries = []
    for record in catalogue.recent(limit, among):
        doc = read(record.id)
        if doc is None:
            continue
        for change in doc.changes:
            # When the archive stored that version (its fixity record), as OAI-PMH says.
            stored = catalogue.corpus.stored_time(doc.id, change.n)
            entries.append(_Entry(doc, change.n, stored, change.description))
    entries.sort(key=lambda e: (e.updated, e.doc.id, e.version), reverse=True)
    return entries[:limit]


@dataclass(frozen=True)
class Withdrawn:
    """A withdrawal as the feed tells it: which document, its last title, when and why."""

    doc_id: str
    title: str
    when: str
    reason: str


def atom_feed(
    catalogue: Catalogue,
    read: Callable[[str], Document | None],
    registers: Registers,
    config: Config,
    links: FeedLinks,
    *,
    limit: int = 50,
    now: datetime | None = None,
    read_version: Callable[[str, int], Document | None] | None = None,
    withdrawn: Sequence[Withdrawn] = (),
    scope: FeedScope | None = None,
) -> bytes:
    """The feed as UTF-8 XML. `read(id)` gives a current document's model, or None if it
    has gone since the catalogue was read; `read_version(id, n)` the model of version n
    (each entry tells its own version); `withdrawn` the withdrawals to tell; `scope` the
    documents told of (a search's) and the feed's id and title (the archive's by default)."""
    scope = scope or FeedScope(f"{config.link_base}/feed.atom")
    entries = latest_entries(catalogue, read, limit, scope.ids)
    news = sorted(withdrawn, key=lambda w: (w.when, w.doc_id), reverse=True)[:limit]
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})

    def add(parent: etree._Element, name: str, text: str | None = None, **attrs: str):  # type: ignore[no-untyped-def]
        element = etree.SubElement(parent, f"{{{ATOM_NS}}}{name}", attrs)
        element.text = text
        return element

    add(feed, "id", scope.feed_id)
    add(feed, "title", scope.title)
    add(feed, "subtitle", scope.subtitle)
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    latest = max([e.updated for e in entries[:1]] + [w.when for w in news[:1]], default=stamp)
    add(feed, "updated", latest)
    author = add(feed, "author")
    add(author, "name", ARCHIVE_NAME)
    add(author, "uri", config.link_base)
    add(feed, "link", rel="self", type="application/atom+xml", href=links.self_url)
    add(feed, "link", rel="alternate", type="text/html", href=links.site_url)
    for item in entries:
        doc = (read_version(item.doc.id, item.version) if read_version else None) or item.doc
        entry = add(feed, "entry")
        add(entry, "id", config.permalink(doc.id, item.version))
        suffix = f" (version {item.version})" if item.version > 1 else ""
        add(entry, "title", doc.title + suffix)
        add(entry, "updated", item.updated)
        for person in citation_for(doc, registers, config).authors:
            add(add(entry, "author"), "name", person.display)
        url = links.version_url(doc.id, item.version)
        add(entry, "link", rel="alternate", type="text/html", href=url)
        add(entry, "category", term=doc.doc_type, label=doc.doc_type.replace("-", " "))
        add(entry, "summary", item.description or doc.title)
    for gone in news:
        entry = add(feed, "entry")
        add(entry, "id", f"{config.permalink(gone.doc_id)}#withdrawn")
        add(entry, "title", f"Withdrawn: {gone.title}")
        add(entry, "updated", gone.when)
        add(add(entry, "author"), "name", ARCHIVE_NAME)
        url = links.document_url(gone.doc_id) if links.document_url else None
        add(entry, "link", rel="alternate", type="text/html", href=url or links.site_url)
        add(entry, "category", term="withdrawal", label="withdrawal")
        add(entry, "summary", f"Withdrawn on {gone.when}: {gone.reason}")
    # Entries in time order, latest first, whatever their kind.
    entry_elements = feed.findall(f"{{{ATOM_NS}}}entry")
    for element in entry_elements:
        feed.remove(element)
    entry_elements.sort(key=lambda e: e.findtext(f"{{{ATOM_NS}}}updated"), reverse=True)
    feed.extend(entry_elements[:limit])
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8")


def version_reader(
    version_read: Callable[[str, int], bytes], document: Callable[[bytes], Document]
) -> Callable[[str, int], Document | None]:
    """`read_version` for `atom_feed` over a corpus: None for a version not (yet) there."""

    def read(doc_id: str, version: int) -> Document | None:
        try:
            return document(version_read(doc_id, version))
        except (Gone, NotFound):
            return None

    return read


def current_reader(
    corpus_read: Callable[[str], bytes], document: Callable[[bytes], Document]
) -> Callable[[str], Document | None]:
    """`read` for `atom_feed` over a corpus: None for a document withdrawn meanwhile."""

    def read(doc_id: str) -> Document | None:
        try:
            return document(corpus_read(doc_id))
        except (Gone, NotFound):
            return None

    return read
