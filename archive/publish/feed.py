"""An Atom 1.0 feed (RFC 4287) of the archive's latest additions and versions.

One entry per version: a new document and each new version of a document are news to a
reader following the archive. An entry's id is the version's permalink, which never changes
and never names anything else, so feed readers see each version once. Withdrawn documents
leave the feed (their versions stay citable, but they are no longer offered as news).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from archive.config import Config
from archive.document import Document, Registers
from archive.errors import Gone, NotFound
from archive.publish.catalogue import Catalogue
from archive.publish.cite import citation_for

ATOM_NS = "http://www.w3.org/2005/Atom"
ARCHIVE_NAME = "Appeals Archive"
FEED_TITLE = f"{ARCHIVE_NAME}: latest additions and versions"


@dataclass(frozen=True)
class FeedLinks:
    """Where the feed and the pages it points to live, as the reader reaches them."""

    self_url: str  # the feed itself
    site_url: str  # the archive's home page
    version_url: Callable[[str, int], str]  # the page of version n of a document


@dataclass(frozen=True)
class _Entry:
    doc: Document
    version: int
    updated: str
    description: str


def latest_entries(
    catalogue: Catalogue, read: Callable[[str], Document | None], limit: int
) -> list[_Entry]:
    """The `limit` latest versions of current documents, latest first.

    A version is never later than its document's current version, so the latest versions
    are among those of the `limit` documents that changed last: only those are read.
    """
    entries = []
    for record in catalogue.recent(limit):
        doc = read(record.id)
        if doc is None:
            continue
        for change in doc.changes:
            # When the archive stored that version (its fixity record), as OAI-PMH says.
            stored = catalogue.corpus.stored_time(doc.id, change.n)
            entries.append(_Entry(doc, change.n, stored, change.description))
    entries.sort(key=lambda e: (e.updated, e.doc.id, e.version), reverse=True)
    return entries[:limit]


def atom_feed(
    catalogue: Catalogue,
    read: Callable[[str], Document | None],
    registers: Registers,
    config: Config,
    links: FeedLinks,
    *,
    limit: int = 50,
    now: datetime | None = None,
) -> bytes:
    """The feed as UTF-8 XML. `read(id)` gives a current document's model, or None if it
    has gone since the catalogue was read."""
    entries = latest_entries(catalogue, read, limit)
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})

    def add(parent: etree._Element, name: str, text: str | None = None, **attrs: str):  # type: ignore[no-untyped-def]
        element = etree.SubElement(parent, f"{{{ATOM_NS}}}{name}", attrs)
        element.text = text
        return element

    add(feed, "id", f"{config.base_url}/feed.atom")
    add(feed, "title", FEED_TITLE)
    add(feed, "subtitle", "New documents and new versions of documents, latest first.")
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    add(feed, "updated", entries[0].updated if entries else stamp)
    author = add(feed, "author")
    add(author, "name", ARCHIVE_NAME)
    add(author, "uri", config.base_url)
    add(feed, "link", rel="self", type="application/atom+xml", href=links.self_url)
    add(feed, "link", rel="alternate", type="text/html", href=links.site_url)
    for item in entries:
        doc = item.doc
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
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8")


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
