"""Bulk export: a selection of documents as one file, written as a stream of bytes chunks.

Formats (`FORMATS`): a zipped BagIt bag of the stored TEI files (`archive.publish.bag`), one
teiCorpus file, JSON Lines of the document model, CSV (`archive.publish.table`), BibTeX and RIS
(`archive.publish.cite`). Every format is a generator of bytes: the command line writes the chunks
to a file, the web sends them as they come. Nothing holds more than one document at a time
(the zip also keeps its small per-entry directory, see `archive.publish.bag`), so memory stays flat
whatever the size of the selection, and nothing is written to disk on the way.

Models for JSON Lines, CSV, BibTeX and RIS come through `archive.storage.cache.ModelCache`, so a
repeated export reads no TEI into the model twice.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from archive import __version__
from archive.config import Config
from archive.document import TEI_NS, Registers, parse_tei, t
from archive.errors import BadQuery, Gone, NotFound
from archive.publish import bag, cite, table
from archive.publish.formats import FORMATS, Format
from archive.publish.selection import Selection
from archive.storage import Corpus, ModelCache

ARCHIVE_NAME = "Appeals Archive"


@dataclass
class ExportStats:
    """What an export has done so far: read it while the chunks flow (progress) or after."""

    documents: int = 0
    skipped: list[str] = field(default_factory=list)
    bytes: int = 0


def check_format(name: str) -> Format:
    """The format called `name`, or BadQuery listing the formats there are."""
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(FORMATS)
        raise BadQuery(f"unknown export format {name!r}: choose one of {known}") from None


def export_name(selection: Selection, now: datetime) -> str:
    """A file name stem made only of what the archive chooses (never of user input):
    'appeals-archive-all-20261126T101500Z' or 'appeals-archive-search-...'."""
    scope = "all" if selection.is_everything else "search"
    return f"appeals-archive-{scope}-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"  # UTC always


def export_chunks(
    format_name: str,
    selection: Selection,
    config: Config,
    *,
    stats: ExportStats | None = None,
    now: datetime | None = None,
    registers: Registers | None = None,
    chunk_size: int = bag.CHUNK_SIZE,
) -> Iterator[bytes]:
    """The export of `selection` in format `format_name`, as chunks of about `chunk_size`
    bytes (the last may be smaller).

    Raises BadQuery at once for an unknown format (before any byte is produced). Documents
    withdrawn while the export runs are left out and listed in `stats.skipped`.
    """
    check_format(format_name)
    stats = stats if stats is not None else ExportStats()
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    writer = _WRITERS[format_name]
    job = _Job(selection, config, stats, now, registers, chunk_size)
    return _counted(writer(job), stats)


@dataclass
class _Job:
    selection: Selection
    config: Config
    stats: ExportStats
    now: datetime
    registers: Registers | None
    chunk_size: int

    def stored(self) -> Iterator[tuple[str, bytes]]:
        """(id, stored bytes of the current version) for each selected document."""
        corpus = Corpus(self.config)
        for doc_id in self.selection.ids:
            try:
                data = corpus.read_bytes(doc_id)
            except (Gone, NotFound):
                self.stats.skipped.append(doc_id)
                continue
            self.stats.documents += 1
            yield doc_id, data

    def models(self) -> Iterator[tuple[str, ModelCache, bytes]]:
        with ModelCache(self.config) as cache:
            for doc_id, data in self.stored():
                yield doc_id, cache, data

    def description(self) -> str:
        return (
            f"The current version of each document of the {ARCHIVE_NAME} "
            f"({self.config.base_url}) selected by: {self.selection.summary()}; "
            f"exported {self.now:%Y-%m-%dT%H:%M:%SZ}."
        )


def _counted(chunks: Iterator[bytes], stats: ExportStats) -> Iterator[bytes]:
    for chunk in chunks:
        stats.bytes += len(chunk)
        yield chunk


def _batched(pieces: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Join small pieces into chunks of about `size` bytes."""
    buffer: list[bytes] = []
    held = 0
    for piece in pieces:
        buffer.append(piece)
        held += len(piece)
        if held >= size:
            yield b"".join(buffer)
            buffer.clear()
            held = 0
    if buffer:
        yield b"".join(buffer)


# --- the formats --------------------------------------------------------------------


def _zip(job: _Job) -> Iterator[bytes]:
    info = [
        ("Source-Organization", ARCHIVE_NAME),
        ("External-Identifier", job.config.base_url),
        ("External-Description", job.description()),
        ("Bagging-Date", f"{job.now:%Y-%m-%d}"),
        ("Bag-Software-Agent", f"appeals-archive {__version__}"),
    ]
    if job.selection.is_everything:
        info.append(("Export-Selection", job.selection.summary()))
    info += [(f"Export-{label}", value) for label, value in job.selection.description]
    name = export_name(job.selection, job.now)
    yield from bag.zipped_bag(
        job.stored(), name=name, info=info, when=job.now, chunk_size=job.chunk_size
    )


def _tei_header(job: _Job) -> etree._Element:
    header = etree.Element(t("teiHeader"), nsmap={None: TEI_NS})
    file_desc = etree.SubElement(header, t("fileDesc"))
    title = etree.SubElement(etree.SubElement(file_desc, t("titleStmt")), t("title"))
    title.text = f"{ARCHIVE_NAME}: {job.selection.summary()}"
    publication = etree.SubElement(file_desc, t("publicationStmt"))
    etree.SubElement(publication, t("publisher")).text = ARCHIVE_NAME
    etree.SubElement(publication, t("idno"), type="URI").text = job.config.base_url
    stamp = f"{job.now:%Y-%m-%dT%H:%M:%SZ}"
    etree.SubElement(publication, t("date"), when=stamp).text = stamp
    availability = etree.SubElement(publication, t("availability"))
    etree.SubElement(
        availability, t("p")
    ).text = "Each document states its own availability and licence in its header."
    source = etree.SubElement(file_desc, t("sourceDesc"))
    etree.SubElement(source, t("p")).text = job.description()
    etree.indent(header, level=1)
    return header


def _tei(job: _Job) -> Iterator[bytes]:
    sink = bag.ChunkSink()
    with etree.xmlfile(sink, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(t("teiCorpus"), nsmap={None: TEI_NS}):
            xf.write("\n")
            xf.write(_tei_header(job))
            corpus = Corpus(job.config)
            for doc_id, data in job.stored():
                xf.write("\n")
                xf.write(parse_tei(data, corpus.path(doc_id)).getroot())
                xf.flush()
                chunk = sink.take(job.chunk_size)
                if chunk:
                    yield chunk
            xf.write("\n")
    sink.write(b"\n")
    yield sink.take()


def _jsonl(job: _Job) -> Iterator[bytes]:
    corpus = Corpus(job.config)
    yield from _batched(
        (
            (cache.json_text(data, corpus.path(doc_id)) + "\n").encode("utf-8")
            for doc_id, cache, data in job.models()
        ),
        job.chunk_size,
    )


def _csv(job: _Job) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: list[str]) -> bytes:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    corpus = Corpus(job.config)
    header = [line(list(table.COLUMNS))]
    rows = (
        line(table.row(cache.document(data, corpus.path(doc_id))))
        for doc_id, cache, data in job.models()
    )
    yield from _batched(itertools.chain(header, rows), job.chunk_size)


def _citations(render: Callable[[cite.Citation], str]) -> Callable[[_Job], Iterator[bytes]]:
    def writer(job: _Job) -> Iterator[bytes]:
        registers = job.registers or Registers.load(job.config.authority_dir)
        corpus = Corpus(job.config)

        def entry(doc_id: str, cache: ModelCache, data: bytes) -> bytes:
            doc = cache.document(data, corpus.path(doc_id))
            return (render(cite.citation_for(doc, registers, job.config)) + "\n").encode("utf-8")

        yield from _batched(itertools.starmap(entry, job.models()), job.chunk_size)

    return writer


_WRITERS: dict[str, Callable[[_Job], Iterator[bytes]]] = {
    "zip": _zip,
    "tei": _tei,
    "jsonl": _jsonl,
    "csv": _csv,
    "bibtex": _citations(cite.bibtex),
    "ris": _citations(cite.ris),
}
