"""Bulk export: a selection of documents as one file, written as a stream of bytes chunks.

Formats (`FORMATS`): a zipped BagIt bag of the stored TEI files (`archive.publish.bag`), one
teiCorpus file, JSON Lines of the document model, CSV (`archive.publish.table`), BibTeX and RIS
(`archive.publish.cite`). Every format is a generator of bytes: the command line writes the chunks
to a file, the web sends them as they come. Nothing holds more than one document at a time
(the zip also keeps its small per-entry directory, see `archive.publish.bag`), so memory stays flat
whatever the size of the selection, and nothing is written to disk on the way.

Models for JSON Lines, CSV, BibTeX and RIS come through `archive.storage.cache.ModelCache`, so a
repeated export reads no TEI into the model twice.

The TEI formats are self-contained: every document points into the registers
(`treaty:gc-1949-iv` -> `../authority/treaties.xml#gc-1949-iv`), so the package carries them.
The bag lays its payload out as the corpus does, so those pointers resolve inside it:

    data/documents/<id>.xml          current versions, byte for byte
    data/authority/<register>.xml    the four registers, byte for byte
    data/versions/<id>.v<n>.xml      with versions="all": every stored version, byte for byte
                                     (one folder deep, so `../authority/` resolves here too)
    data/withdrawn/<id>.json         with versions="all" and no search: tombstones

A teiCorpus is one file: it holds the registers as TEI elements after the documents, their
records' ids prefixed by kind (`person.umud-mirzayev`), and every `prefixDef` of the copy
rewritten to point inside the file (`#person.$1`, documents `#$1`). The stored bytes are not
changed by either; the teiCorpus is a re-serialisation anyway.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from lxml import etree

from archive import __version__
from archive.config import ARCHIVE_NAME, Config
from archive.document import NS, REGISTER_FILES, TEI_NS, XML_ID, Registers, parse_tei, t
from archive.errors import BadQuery, Gone, NotFound
from archive.publish import bag, cite, table
from archive.publish.formats import FORMATS, Format, check_versions
from archive.publish.selection import Selection
from archive.storage import Corpus, ModelCache


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
    versions: str = "current",
) -> Iterator[bytes]:
    """The export of `selection` in format `format_name`, as chunks of about `chunk_size`
    bytes (the last may be smaller).

    Raises BadQuery at once for an unknown format or `versions` value (before any byte is
    produced). Documents withdrawn while the export runs are left out and listed in
    `stats.skipped`.
    """
    check_format(format_name)
    check_versions(versions, format_name)
    stats = stats if stats is not None else ExportStats()
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    writer = _WRITERS[format_name]
    job = _Job(selection, config, stats, now, registers, chunk_size, versions)
    return _counted(writer(job), stats)


@dataclass
class _Job:
    selection: Selection
    config: Config
    stats: ExportStats
    now: datetime
    registers: Registers | None
    chunk_size: int
    versions: str = "current"

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
            f"({self.config.link_base}) selected by: {self.selection.summary()}; "
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


def _register_files(config: Config) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of each register, in REGISTER_FILES order."""
    for name in REGISTER_FILES.values():
        path = config.authority_dir / name
        if path.is_file():
            yield name, path.read_bytes()


def _bag_payload(job: _Job) -> Iterator[tuple[str, bytes]]:
    """The bag's data/ files (see the module docstring for the layout)."""
    exported: list[str] = []
    for doc_id, data in job.stored():
        exported.append(doc_id)
        yield f"documents/{doc_id}.xml", data
    for name, data in _register_files(job.config):
        yield f"authority/{name}", data
    if job.versions != "all":
        return
    corpus = Corpus(job.config)
    # Tombstones belong to the whole archive, not to a search (which never finds them).
    withdrawn = corpus.withdrawals() if job.selection.is_everything else []
    for doc_id in [*exported, *(w.doc_id for w in withdrawn)]:
        for number in corpus.version_numbers(doc_id):
            yield f"versions/{doc_id}.v{number}.xml", corpus.read_version(doc_id, number)
    for withdrawal in withdrawn:
        text = json.dumps(asdict(withdrawal), ensure_ascii=False, indent=2) + "\n"
        yield f"withdrawn/{withdrawal.doc_id}.json", text.encode("utf-8")


def _zip(job: _Job) -> Iterator[bytes]:
    info = [
        ("Source-Organization", ARCHIVE_NAME),
        ("External-Identifier", job.config.link_base),
        ("External-Description", job.description()),
        ("Bagging-Date", f"{job.now:%Y-%m-%d}"),
        ("Bag-Software-Agent", f"appeals-archive {__version__}"),
    ]
    if job.selection.is_everything:
        info.append(("Export-Selection", job.selection.summary()))
    info += [(f"Export-{label}", value) for label, value in job.selection.description]
    name = export_name(job.selection, job.now)
    info.append(("Export-Versions", job.versions))
    yield from bag.zipped_bag(
        _bag_payload(job),
        name=name,
        info=info,
        when=job.now,
        chunk_size=job.chunk_size,
        late_info=lambda: [("Document-Count", str(job.stats.documents))],
    )


def _tei_header(job: _Job) -> etree._Element:
    header = etree.Element(t("teiHeader"), nsmap={None: TEI_NS})
    file_desc = etree.SubElement(header, t("fileDesc"))
    title = etree.SubElement(etree.SubElement(file_desc, t("titleStmt")), t("title"))
    title.text = f"{ARCHIVE_NAME}: {job.selection.summary()}"
    publication = etree.SubElement(file_desc, t("publicationStmt"))
    etree.SubElement(publication, t("publisher")).text = ARCHIVE_NAME
    etree.SubElement(publication, t("idno"), type="URI").text = job.config.link_base
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


_KIND_OF_REGISTER = {name: kind for kind, name in REGISTER_FILES.items()}


def _point_inside(root: etree._Element) -> etree._Element:
    """Rewrite a TEI's prefixDefs to point inside a teiCorpus: register records at
    `#<kind>.<id>`, documents at `#<id>`."""
    for prefix_def in root.iterfind(".//t:prefixDef", NS):
        kind = prefix_def.get("ident")
        if kind in REGISTER_FILES:
            prefix_def.set("replacementPattern", f"#{kind}.$1")
        elif kind == "doc":
            prefix_def.set("replacementPattern", "#$1")
    return root


def _register_element(name: str, data: bytes, config: Config) -> etree._Element:
    """A register as a teiCorpus member: its records' ids prefixed by their kind, so that
    they can share one file with the documents and the other registers."""
    root = parse_tei(data, config.authority_dir / name).getroot()
    kind = _KIND_OF_REGISTER[name]
    for element in root.iter():
        if element is not root and element.get(XML_ID):
            element.set(XML_ID, f"{kind}.{element.get(XML_ID)}")
    return _point_inside(root)


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
                xf.write(_point_inside(parse_tei(data, corpus.path(doc_id)).getroot()))
                xf.flush()
                chunk = sink.take(job.chunk_size)
                if chunk:
                    yield chunk
            for name, data in _register_files(job.config):
                xf.write("\n")
                xf.write(_register_element(name, data, job.config))
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
    registers = job.registers or Registers.load(job.config.authority_dir)
    header = [line(list(table.COLUMNS))]
    rows = (
        line(table.row(cache.document(data, corpus.path(doc_id)), registers))
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
