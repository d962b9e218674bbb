"""Plain text in, TEI draft and review points out: the order in which detectors run and
how their findings become one document.

Treaties are found first (their names hold years and places: "Geneva Conventions of 12
August 1949"), then dates, then registered names, then signatories, each kept out of the
spans already taken. The issue date comes from the caller or from a date line of the text,
and everything relative ("the last four months", "4 September") hangs on it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from archive.config import CANONICAL_BASE_URL
from archive.document import (
    DOC_ID_RE,
    DateSpan,
    Registers,
    human_date,
    normalize_name,
    parse_iso,
)
from archive.encode.authors import AuthorFinder
from archive.encode.dates import DateContext, detect_dates
from archive.encode.draft import DraftFacts, build_draft
from archive.encode.gazetteer import Gazetteer, default_gazetteer
from archive.encode.names import NameFinder
from archive.encode.results import (
    DetectedSignatory,
    Detection,
    EncodingResult,
    ReviewPoint,
)
from archive.encode.review import detection_points, draft_standoff, propose, propose_places
from archive.encode.signatories import SignatoryFinder, slug
from archive.encode.spans import SpanSet
from archive.encode.text import Block, debris_lines, split_blocks
from archive.encode.treaties import TreatyDetector, unknown_instruments
from archive.errors import BadQuery

DOCUMENT_TYPES = (
    ("open letter", "open-letter"),
    ("joint statement", "joint-statement"),
    ("press release", "press-release"),
    ("petition", "petition"),
    ("declaration", "declaration"),
    ("resolution", "resolution"),
    ("appeal", "appeal"),
    ("statement", "statement"),
    ("letter", "letter"),
    ("speech", "speech"),
    ("report", "report"),
)
_DATELINE_LEAD_RE = re.compile(r"^[\w\s,.:()'’/•|-]{0,40}$")


class Encoder:
    """Encodes texts against one set of registers; build it once, encode many texts."""

    def __init__(
        self,
        registers: Registers,
        base_url: str = CANONICAL_BASE_URL,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        self.registers = registers
        self.gazetteer = gazetteer or default_gazetteer()
        self.base_url = base_url.rstrip("/")
        self.treaties = TreatyDetector(registers.treaties)
        self.names = NameFinder(registers)
        self.signers = SignatoryFinder(self.names)
        self.authors = AuthorFinder()

    def encode(
        self,
        text: str,
        *,
        doc_id: str | None = None,
        title: str | None = None,
        issued: str | None = None,
        source_url: str | None = None,
        doc_type: str | None = None,
        lang: str = "en",
        today: date | None = None,
    ) -> EncodingResult:
        """Encode `text` into a TEI draft. Options the caller gives win over what the text
        suggests; what neither settles becomes a review point, never a guess in silence."""
        if doc_id is not None and not DOC_ID_RE.match(doc_id):
            raise BadQuery(
                f"--id {doc_id!r}: ids are 3 to 100 lowercase letters, digits and hyphens"
            )
        if doc_id is not None and not doc_id[0].isalpha():
            raise BadQuery(
                f"--id {doc_id!r}: the id is also the TEI's xml:id, which must start with a "
                f"letter: try {'doc-' + doc_id!r}"
            )
        if source_url is not None and not re.match(r"^https?://\S+$", source_url):
            raise BadQuery(f"--source {source_url!r} is not an http(s) URL")
        today = today or date.today()
        review: list[ReviewPoint] = []
        blocks = split_blocks(text)
        debris = debris_lines(text, blocks)
        for start, end in debris:
            review.append(
                ReviewPoint(
                    "page-debris",
                    f"{text[start:end]!r} looks like web-page furniture, not the statement: "
                    "it is kept in the draft's text but not used for the title or the id; "
                    "delete it if it is not part of the document",
                    start,
                    end,
                )
            )
        treaties = self.treaties.detect(text)
        for start, end in unknown_instruments(text, treaties):
            review.append(
                ReviewPoint(
                    "unknown-treaty",
                    f"{text[start:end]!r} reads like a treaty the register lacks: add it to "
                    "treaties.xml (or an alias of the record it is) and mark it "
                    "rs[@type='treaty'] with @ref",
                    start,
                    end,
                )
            )
        blocked = [(d.start, d.end) for d in treaties]

        issued_span, issued_words, dating_note = self._issue_date(text, blocks, blocked, issued)
        issued_day = None
        if issued_span.when or issued_span.not_after or issued_span.to:
            issued_day = issued_span.latest
        dates = detect_dates(text, DateContext(issued_day, issued_span.cert), blocked)
        blocked += [(d.start, d.end) for d in dates]
        names = self.names.detect(text, blocked)
        signatories, regions = self.signers.detect(text, names)
        signatories = _by_position(
            signatories,
            self.authors.detect(text, names, blocked + regions),
        )
        signatories, proposals = propose(text, signatories, self.registers, review)
        taken = blocked + [(d.start, d.end) for d in names]
        taken += [(p.start, p.end) for s in signatories for p in (s.person, s.role, s.org) if p]
        places = propose_places(
            text,
            self.gazetteer.find(text, taken),
            self.gazetteer,
            self.registers,
            review,
            proposals,
        )

        marks = _merge(
            treaties,
            dates,
            _signer_marks(signatories, names + places),
            names,
            places,
        )
        head_block, title = self._title(text, blocks, title, marks, review, debris)
        doc_type = self._type(text, title, doc_type, review)
        if issued_day is None:
            review.append(
                ReviewPoint(
                    "missing-issue-date",
                    "no issue date given (--date) or found in a date line: fill in "
                    "profileDesc/creation/date[@type='issued']/@when; dates counted from it "
                    "('the last four months') are left as durations",
                )
            )
        if doc_id is None:
            doc_id = _proposed_id(title, doc_type, issued_span)
            review.append(
                ReviewPoint(
                    "proposed-id",
                    f"no --id given: the draft uses {doc_id!r}, made from its title and date; "
                    "an id is chosen once and never changed, so confirm or replace it",
                )
            )
        if source_url is None:
            review.append(
                ReviewPoint("no-source", "no --source URL: add sourceDesc/bibl/ptr/@target")
            )
        review.extend(detection_points(marks))

        treaty_refs = list(dict.fromkeys(d.ref for d in marks if d.kind == "treaty" and d.ref))
        authors = _unique_refs(self.authors.issuers(text, marks, signatories))
        addressees = _unique_refs(self.names.addressees(text, names))
        facts = DraftFacts(
            doc_id=doc_id,
            title=title,
            lang=lang,
            doc_type=doc_type,
            permalink=f"{self.base_url}/doc/{doc_id}",
            today=today.isoformat(),
            issued=issued_span,
            issued_words=issued_words,
            dating_note=dating_note,
            source_url=source_url,
            source_note="Plain text given to archive encode"
            + ("." if source_url else "; the source is still to be recorded."),
            treaties=[
                (ref, self.registers.label("treaty", ref.split(":", 1)[1])) for ref in treaty_refs
            ],
            authors=authors,
            addressees=addressees,
            signatories=signatories,
            head_block=head_block,
        )
        review = sorted(review, key=lambda p: (p.start is not None, p.start or 0))
        facts.review = draft_standoff(text, review, proposals)
        tei = build_draft(text, blocks, marks, facts)
        return EncodingResult(
            tei_bytes=tei,
            doc_id=doc_id,
            text=text,
            detections=marks,
            signatories=signatories,
            proposals=proposals,
            review_points=review,
            issued=issued_span,
            authors=authors,
            addressees=addressees,
        )

    # -- header facts -------------------------------------------------------------------

    def _issue_date(
        self, text: str, blocks: list[Block], blocked: list[tuple[int, int]], issued: str | None
    ) -> tuple[DateSpan, str, str]:
        if issued is not None:
            span = _parse_issued(issued)
            return span, _words_for(span), f"Issue date given to archive encode: {issued}."
        dates = detect_dates(text, DateContext(), blocked)
        found = _dateline_date(text, blocks, dates)
        if found is None:
            return (
                DateSpan(),
                "Issue date unknown",
                "archive encode found no issue date in the text; an editor must supply it.",
            )
        return (
            DateSpan(when=found.date.when) if found.date else DateSpan(),
            found.text,
            f"The text's date line gives the date: \u201c{found.text}\u201d.",
        )

    def _title(
        self,
        text: str,
        blocks: list[Block],
        title: str | None,
        marks: list[Detection],
        review: list[ReviewPoint],
        debris: list[tuple[int, int]] = (),  # type: ignore[assignment]
    ) -> tuple[int | None, str]:
        furniture = set(debris)
        content = [
            b
            for b in blocks
            if not all(line in furniture or line[0] == line[1] for line in b.lines)
        ]
        first_index = blocks.index(content[0]) if content else None
        first = content[0] if content else None
        heading = (
            first is not None
            and len(content) > 1
            and len(first.lines) == 1
            and len(first.text(text)) <= 150
            and not re.search(r"[.,;:]$", first.text(text))
            and not re.match(r"(?i)^\s*(dear|to)\b", first.text(text))
            and not any(m.kind == "date" and first.start <= m.start < first.end for m in marks)
        )
        if title:
            return (first_index if heading else None), title
        if heading and first is not None:
            return first_index, " ".join(first.text(text).split())
        review.append(
            ReviewPoint(
                "missing-title",
                "no --title given and the text has no heading: the draft's title is a "
                "placeholder made from the first words; write the archive's title",
            )
        )
        kept = "".join(
            text[a:b] + " " for block in content for a, b in block.lines if (a, b) not in furniture
        )
        words = " ".join(kept.split()[:12])
        return None, f"Draft: {words}\u2026"

    def _type(self, text: str, title: str, doc_type: str | None, review: list[ReviewPoint]) -> str:
        if doc_type:
            return doc_type
        for where in (title, text[:600]):
            lowered = where.casefold()
            hits = [
                (lowered.find(words), -len(words), value)
                for words, value in DOCUMENT_TYPES
                if words in lowered
            ]
            if hits:
                return min(hits)[2]
        review.append(
            ReviewPoint(
                "document-type",
                "no --type given and the text does not say what it is: the draft says "
                "'statement'; correct textClass/keywords[@scheme='archive:type']",
            )
        )
        return "statement"

    # -- signatories and proposals ------------------------------------------------------


def encode_text(
    text: str, registers: Registers, *, base_url: str = CANONICAL_BASE_URL, **options: Any
) -> EncodingResult:
    """Encode one text; `options` are those of `Encoder.encode` (doc_id, title, issued,
    source_url, doc_type, lang, today). For many texts build an Encoder once: it compiles
    the registers' names into patterns."""
    return Encoder(registers, base_url).encode(text, **options)


# -- helpers -------------------------------------------------------------------------------


def _parse_issued(value: str) -> DateSpan:
    """--date as ISO (2021-03-25, 2021-03, 2021) or in words ("25 March 2021")."""
    try:
        parse_iso(value)
        return DateSpan(when=value.strip())
    except ValueError:
        pass
    found = [d for d in detect_dates(value, DateContext()) if d.date and d.date.when]
    if len(found) == 1 and found[0].text.strip() == value.strip():
        return DateSpan(when=found[0].date.when)  # type: ignore[union-attr]
    raise BadQuery(f"--date {value!r} is not a date: use YYYY-MM-DD (or words like 25 March 2021)")


def _words_for(span: DateSpan) -> str:
    return human_date(span.when) if span.when else span.label()


def _dateline_date(text: str, blocks: list[Block], dates: list[Detection]) -> Detection | None:
    """The date of a date line at the top or the foot of the text ("Baku, 4 September
    2023"; "GENEVA, 12 March 2022 –" opening a press release; "Date: ...")."""
    edge = blocks[:3] + blocks[-4:]
    for block in dict.fromkeys(edge):
        for line_start, line_end in block.lines:
            for found in dates:
                if not (line_start <= found.start < line_end) or not found.date:
                    continue
                if not found.date.when or len(found.date.when) != 10:
                    continue
                lead = text[line_start : found.start]
                after = text[found.end : line_end].strip()
                dash_after = re.match(r"^[-–—:]", after)
                # "(4 December 2000, Geneva). On the third anniversary ...": a date line
                # in brackets opening the first paragraph.
                bracketed = lead.strip().startswith("(") and re.match(r"^[^()\n]{0,40}\)", after)
                if _DATELINE_LEAD_RE.match(lead) and (
                    dash_after or bracketed or len(lead) + len(after) <= 60
                ):
                    return found
    return None


def _merge(*groups: list[Detection]) -> list[Detection]:
    """One list of non-overlapping detections; earlier groups win over later ones."""
    kept: list[Detection] = []
    taken = SpanSet()
    for group in groups:
        for detection in group:
            if taken.overlaps(detection.start, detection.end):
                continue
            kept.append(detection)
            taken.add(detection.start, detection.end)
    return sorted(kept, key=lambda d: (d.start, d.end))


def _signer_marks(signatories: list[DetectedSignatory], names: list[Detection]) -> list[Detection]:
    """The signers' names, roles and bodies to mark in the text; a role that holds a
    registered name ("Head of the ICRC Barda Sub-Delegation") is left to the names inside
    it (the header's affiliation still gives the whole role)."""
    out = []
    for signer in signatories:
        for part in (signer.person, signer.role, signer.org):
            if part is None:
                continue
            if part.kind == "role" and any(
                part.start <= n.start and n.end <= part.end for n in names
            ):
                continue
            out.append(part)
    return out


def _by_position(*groups: list[DetectedSignatory]) -> list[DetectedSignatory]:
    """Signers from signature forms and authors from prose, once each, in the text's order."""
    seen: dict[str, DetectedSignatory] = {}
    for group in groups:
        for signer in group:
            seen.setdefault(normalize_name(signer.name), signer)
    return sorted(seen.values(), key=lambda s: s.person.start)


def _unique_refs(detections) -> list[Detection]:  # type: ignore[no-untyped-def]
    seen: dict[str, Detection] = {}
    for detection in detections:
        if detection.ref and detection.ref not in seen:
            seen[detection.ref] = detection
    return list(seen.values())


def _proposed_id(title: str, doc_type: str, issued: DateSpan) -> str:
    words = slug(title).split("-")
    stem = "-".join(words[:8]) or doc_type
    suffix = issued.when[:10] if issued.when else "undated"
    candidate = f"{stem}-{suffix}"[:100].strip("-")
    if candidate[:1].isdigit():  # "16-px-..." is no xml:id: an id starts with a letter
        candidate = f"{doc_type}-{candidate}"[:100].strip("-")
    return candidate if DOC_ID_RE.match(candidate) else f"{doc_type}-{suffix}"
