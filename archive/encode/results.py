"""What `archive encode` found, as plain data: detections, signatories, proposals, review points.

These objects are the contract between the detectors, the TEI draft builder and the review
report; none of them holds an lxml tree. Positions are character offsets into the text as
read (newlines normalised to "\\n"), so a report can point an archivist at line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archive.document import DateSpan

DETECTION_KINDS = ("treaty", "date", "person", "org", "place", "role")


@dataclass(frozen=True)
class Detection:
    """One thing recognised in the text, with the words that gave it away.

    `ref` points into a register ("treaty:ap-1977-i") or, for a proposed record, to the id
    the archivist is asked to create; `candidates` lists every ref an ambiguous name may
    stand for. `date` is set for dates; `article` for treaty citations of one article.
    """

    kind: str
    text: str
    start: int
    end: int
    ref: str | None = None
    article: str | None = None
    date: DateSpan | None = None
    confidence: float = 1.0
    evidence: str = ""
    candidates: tuple[str, ...] = ()
    needs_review: bool = False
    proposed: bool = False

    @property
    def value(self) -> str | None:
        """The normalised value in one string: a ref, or the date's TEI attributes."""
        if self.date is not None:
            return date_value(self.date)
        return self.ref

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "ref": self.ref,
            "article": self.article,
            "date": date_attributes(self.date) if self.date is not None else None,
            "value": self.value,
            "confidence": round(self.confidence, 2),
            "evidence": self.evidence,
            "candidates": list(self.candidates),
            "needs_review": self.needs_review,
            "proposed": self.proposed,
        }


@dataclass(frozen=True)
class DetectedSignatory:
    """A signer as the text gives them: the person, and the role and organisation next to
    the name. Each part is the Detection that marks it in the text (or None)."""

    person: Detection
    role: Detection | None = None
    org: Detection | None = None
    source: str = ""  # "sentence" or "block": where the text listed the signer

    @property
    def name(self) -> str:
        return self.person.text

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.person.text,
            "person": self.person.ref,
            "role": self.role.text if self.role else None,
            "org": self.org.ref if self.org else None,
            "org_name": self.org.text if self.org else None,
            "start": self.person.start,
            "end": self.person.end,
            "source": self.source,
        }


@dataclass(frozen=True)
class Proposal:
    """A register record the archivist is asked to create: the draft already points to
    `kind:id`, so adding the record (`tei`, ready to paste) makes the reference resolve."""

    kind: str  # "person" or "org"
    id: str
    name: str
    start: int
    end: int
    register_file: str
    tei: str
    evidence: str

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "ref": self.ref,
            "name": self.name,
            "start": self.start,
            "end": self.end,
            "register_file": self.register_file,
            "tei": self.tei,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class ReviewPoint:
    """A decision the draft leaves to a person, located in the text where it can be."""

    code: str  # e.g. "unknown-person", "ambiguous-treaty", "missing-issue-date"
    message: str
    start: int | None = None
    end: int | None = None
    blocks_validation: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "start": self.start,
            "end": self.end,
            "blocks_validation": self.blocks_validation,
        }


@dataclass
class EncodingResult:
    """The draft and everything the report needs to explain it."""

    tei_bytes: bytes
    doc_id: str
    text: str
    detections: list[Detection] = field(default_factory=list)
    signatories: list[DetectedSignatory] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    review_points: list[ReviewPoint] = field(default_factory=list)
    issued: DateSpan | None = None
    authors: list[Detection] = field(default_factory=list)  # the issuing bodies (titleStmt/author)
    addressees: list[Detection] = field(default_factory=list)  # correspAction[@type="received"]

    def of_kind(self, kind: str) -> list[Detection]:
        return [d for d in self.detections if d.kind == kind]


def date_attributes(span: DateSpan) -> dict[str, str]:
    """The TEI dating attributes of a span, in TEI's names, only those that are set."""
    pairs = (
        ("when", span.when),
        ("from", span.from_),
        ("to", span.to),
        ("notBefore", span.not_before),
        ("notAfter", span.not_after),
        ("dur", span.dur),
        ("cert", span.cert),
    )
    return {name: value for name, value in pairs if value}


def date_value(span: DateSpan) -> str:
    """A date's position in time as one comparable string ('2020-09-27/2020-11-10')."""
    if span.when:
        return span.when
    if span.from_ or span.to:
        return f"{span.from_ or ''}/{span.to or ''}"
    if span.not_before or span.not_after:
        return f"[{span.not_before or ''}..{span.not_after or ''}]"
    return span.dur or ""
