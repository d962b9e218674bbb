"""A document as simple Dublin Core (`oai_dc`), the one format every harvester reads.

Mapped from the model: creators are the citation's authors (signatories, else the issuing
organisations), subjects the treaties cited and the subject words, the date the issue date
(one W3CDTF date, or an ISO 8601 interval for a period or the bounds of an uncertain date),
rights the document's availability statement (its licence), identifiers the permalink of
the document and of its current version. Addressees are no contributors: they are said in
a description ("Addressed to ...").
"""

from __future__ import annotations

from lxml import etree

from archive.config import ARCHIVE_NAME, Config
from archive.document import DateSpan, Document, Registers
from archive.publish.cite import citation_for

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


def dc_date(span: DateSpan) -> str | None:
    """'2021-03-25', or an interval '2020-11-10/2021-04-22'. W3CDTF has no open end and
    harvesters read '../2021-05-17' as garbage, so a single bound ("not after 17 May 2021")
    gives its year alone: the one part of the date the source states."""
    if span.when:
        return span.when
    low, high = span.from_ or span.not_before, span.to or span.not_after
    if low and high:
        return f"{low}/{high}"
    bound = low or high
    return bound[:4] if bound else None


def oai_dc(doc: Document, registers: Registers, config: Config) -> etree._Element:
    """The `oai_dc:dc` element for a document."""
    root = etree.Element(
        f"{{{OAI_DC_NS}}}dc",
        nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS},
    )
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")

    def add(name: str, value: str | None) -> None:
        if value:
            etree.SubElement(root, f"{{{DC_NS}}}{name}").text = value

    citation = citation_for(doc, registers, config)
    add("title", doc.title)
    for author in citation.authors:
        add("creator", author.inverted)
    for treaty_id in doc.treaties:
        add("subject", registers.label("treaty", treaty_id))
    for subject in doc.subjects:
        add("subject", subject)
    add("description", doc.abstract or None)
    add("publisher", ARCHIVE_NAME)
    addressees = [registers.label(a.kind, a.id) for a in doc.addressees]
    if addressees:
        add("description", "Addressed to " + "; ".join(addressees) + ".")
    add("date", dc_date(doc.issued))
    add("type", "Text")
    add("type", doc.doc_type)
    add("format", "application/tei+xml")
    add("identifier", config.permalink(doc.id))
    add("identifier", config.permalink(doc.id, doc.version))
    for source in doc.sources:
        add("source", source.url)
    add("language", doc.lang)
    add("rights", doc.rights or None)
    for place_id in doc.places:
        add("coverage", registers.label("place", place_id))
    return root
