"""Plain-text views of archive objects for the command line."""

from __future__ import annotations

import textwrap

from archive.document import Document, Registers


def document_text(doc: Document, registers: Registers, width: int = 88) -> str:
    """A document as a reader wants it in a terminal: the header facts, then the text."""

    def label(kind: str, record_id: str) -> str:
        return f"{registers.label(kind, record_id)} [{record_id}]"

    lines = [doc.title, "=" * min(len(doc.title), width)]
    kind = (
        "catalogue record (the archive holds no text)" if doc.is_catalogue_record else doc.doc_type
    )
    lines.append(f"Id:           {doc.id}   ({kind}, version {doc.version}, language {doc.lang})")
    if doc.is_catalogue_record:
        lines.append(f"Type:         {doc.doc_type}")
    lines.append(f"Issued:       {doc.issued.label()}")
    for other in doc.creation_dates:
        if other.type not in (None, "issued"):
            lines.append(f"              {other.type}: {other.span.label()}")
    if doc.issuers:
        lines.append("Issued by:    " + "; ".join(label(e.kind, e.id) for e in doc.issuers))
    if doc.signatories:
        lines.append("Signatories:")
        for number, signer in enumerate(doc.signatories, 1):
            role = ", ".join(x for x in (signer.role, signer.org_name) if x)
            lines.append(
                f"  {number}. {signer.name} [{signer.person_id}]" + (f" — {role}" if role else "")
            )
    if doc.addressees:
        lines.append("Addressed to: " + "; ".join(label(e.kind, e.id) for e in doc.addressees))
    if doc.treaties:
        lines.append("Treaties:     " + "; ".join(label("treaty", t) for t in doc.treaties))
    if doc.places:
        lines.append("Places:       " + "; ".join(label("place", p) for p in doc.places))
    if doc.organisations:
        lines.append("Organisations: " + "; ".join(label("org", o) for o in doc.organisations))
    if doc.dates:
        lines.append("Dates named:")
        lines.extend(f"  “{d.text}”: {d.span.label()}" for d in doc.dates)
    if doc.measures:
        lines.append("Figures:")
        lines.extend(
            f"  “{m.text}”" + (f": {m.quantity} {m.unit or ''}".rstrip() if m.quantity else "")
            for m in doc.measures
        )
    for source in doc.sources:
        where = " ".join(x for x in (source.publisher, source.title, source.url) if x)
        lines.append(
            f"Source:       {where or 'not recorded' + (': ' + source.note if source.note else '')}"
        )
    if not doc.sources:
        lines.append("Source:       not recorded")
    lines.append(f"Permalink:    {doc.permalink}")
    lines.append(f"SHA-256:      {doc.sha256}")
    if doc.issued_note:
        lines += ["", *textwrap.wrap("Dating: " + doc.issued_note, width)]
    body = doc.abstract if doc.is_catalogue_record else doc.text
    if body:
        lines.append("")
        if doc.is_catalogue_record:
            lines.append("Abstract (the archive's words):")
        for paragraph in body.split("\n\n"):
            lines.extend(textwrap.wrap(paragraph, width) or [""])
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
