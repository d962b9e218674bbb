"""Signatories: who signed, with the role and organisation the text gives each of them.

Signers are listed in two ways. A sentence names them ("The appeal was addressed by
President of the International Eurasian Press Fund Umud Mirzayev, Chairman of ..."; "It
was signed by Dr Amina Yusuf, coordinator of ..."), or a block closes the text ("Signed:"
and one signer a line, or a closing salute followed by name, role and organisation on
lines of their own). Names the person register knows (any variant) get its reference;
other names are proposed as new records for the archivist to confirm, never added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archive.document import normalize_name
from archive.encode.names import NameFinder
from archive.encode.results import DetectedSignatory, Detection
from archive.encode.signer_words import NOT_NAME_WORDS, ORG_WORDS, ROLE_NOUNS, ROLE_WORDS
from archive.encode.spans import Marks, SpanSet
from archive.encode.text import is_debris

_TITLES = r"(?:(?:Dr|Prof|Mr|Mrs|Ms|Mx)\.?|Sir|Dame)\s+"
_NAME_TOKEN = r"(?:[A-ZÀ-ÖØ-ÞĀ-ŽƏ](?:[a-zß-öø-ÿā-žəğış'’]+(?:-[A-ZÀ-ÖØ-ÞĀ-ŽƏ]?[a-zß-öø-ÿā-žəğış'’]+)?)|[A-Z]\.)"
_PARTICLE = r"(?:de|da|di|du|van|von|der|den|la|le|al|el|bin|ibn|y)"
_NAME_RUN_RE = re.compile(
    rf"(?P<title>{_TITLES})?(?P<name>{_NAME_TOKEN}(?:[ \u00a0](?:{_PARTICLE}[ \u00a0-])?{_NAME_TOKEN}){{1,9}})(?![\w-])"
)
# Bullets and numbers that open a line of a signature list.
_LEAD_RE = re.compile(r"\s*(?:\d{1,3}[.)]|[-•*·–—])?\s*")
# Sentences that list signers: "The appeal was addressed by ...", "signed by ...".
_SIGNER_SENTENCE_RE = re.compile(
    r"\b(?:was|were|is|are|has\s+been|have\s+been)\s+(?:jointly\s+)?"
    r"(?:addressed|signed|co-signed|issued|endorsed|sent|submitted|undersigned|supported)\s+by\s+",
    re.IGNORECASE,
)
_SIGNED_LABEL_RE = re.compile(
    r"^[ \t]*(?:Signed(?:\s+by)?|Signatories|Signatures|Signed\s+on\s+behalf\s+of|Endorsed\s+by"
    r"|The\s+undersigned|Undersigned)[ \t]*(?:[:\-–][ \t]*|$)",
    re.IGNORECASE | re.MULTILINE,
)
CLOSER_RE = re.compile(
    r"^[ \t]*(?:(?:Yours\s+)?(?:sincerely|faithfully|truly)|Respectfully(?:\s+yours)?|"
    r"(?:With\s+)?(?:kind|best|warm)\s+regards|Regards|With\s+respect|In\s+solidarity"
    r"|On\s+behalf\s+of\b[^\n]{0,80}?)\s*,?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
# Where a signature block ends: press contacts and notes are not signatures.
_BLOCK_END_RE = re.compile(
    r"^[ \t]*(?:(?:Media\s+|Press\s+)?Contacts?\b|For\s+(?:further|more)\s+information|Notes?\s+to\s+editors"
    r"|###|-\s*ends\s*-|ENDS\b|About\s+)",
    re.IGNORECASE | re.MULTILINE,
)
_SENTENCE_END_RE = re.compile(
    r"(?<!\b[A-Z])(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bProf)\.(?=\s|$)|\n"
)
_QUOTED_RE = re.compile(r"[\"“”«»„]([^\"“”«»„]+)[\"“”«»„]")


@dataclass
class _Entry:
    person: Detection
    parts: list[tuple[int, int]] = field(default_factory=list)


class SignatoryFinder:
    """Finds signer lists in a text and reads each signer's name, role and organisation."""

    def __init__(self, names: NameFinder) -> None:
        self.names = names

    def regions(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, how) of every part of the text that lists signers."""
        regions = []
        for match in _SIGNER_SENTENCE_RE.finditer(text):
            end = _sentence_end(text, match.end())
            regions.append((match.end(), end, "sentence"))
        for match in _SIGNED_LABEL_RE.finditer(text):
            regions.append((match.end(), _block_end(text, match.end()), "block"))
        covered = SpanSet((a, b + 1) for a, b, _ in regions)
        for match in CLOSER_RE.finditer(text):
            if not covered.overlaps(match.end(), match.end() + 1):
                regions.append((match.end(), _block_end(text, match.end()), "block"))
                covered.add(match.end(), regions[-1][1] + 1)
        if not any(how == "block" for _, _, how in regions):
            tail = _unlabelled_block(text)
            if tail is not None and not covered.overlaps(*tail):
                regions.append((*tail, "block"))
        regions.sort()
        merged: list[tuple[int, int, str]] = []
        for region in regions:
            if merged and region[0] < merged[-1][1]:
                continue
            merged.append(region)
        return merged

    def detect(
        self, text: str, known: list[Detection]
    ) -> tuple[list[DetectedSignatory], list[tuple[int, int]]]:
        """The signers, in the text's order, and the spans of their regions."""
        signers: list[DetectedSignatory] = []
        spans = []
        marks = Marks(known)
        for start, end, how in self.regions(text):
            found = self._region(text, start, end, how, marks)
            if found:
                signers.extend(found)
                spans.append((start, end))
        return signers, spans

    # -- one region ---------------------------------------------------------------------

    def _region(
        self, text: str, start: int, end: int, how: str, known: Marks
    ) -> list[DetectedSignatory]:
        inside = [d for d in known.starting_in(start, end) if d.end <= end]
        segments = _segments(text, start, end, [(d.start, d.end) for d in inside])
        entries: list[_Entry] = []
        pending: list[tuple[int, int]] = []  # role/org words before the first name
        for seg_start, seg_end in segments:
            person, before, after = self._person_in(text, seg_start, seg_end, inside)
            if person is None:
                (entries[-1].parts if entries else pending).append((seg_start, seg_end))
                continue
            entry = _Entry(person)
            if before[1] > before[0]:
                entry.parts.append(before)
            elif pending and not entries:
                entry.parts.extend(pending)
            pending = []
            if after[1] > after[0]:
                entry.parts.append(after)
            entries.append(entry)
        return [self._signatory(text, entry, inside, how) for entry in entries]

    def _person_in(
        self, text: str, start: int, end: int, inside: list[Detection]
    ) -> tuple[Detection | None, tuple[int, int], tuple[int, int]]:
        """The person a segment names (registered, else a name-like run at its start or
        its end), with the spans before and after the name."""
        registered = [d for d in inside if d.kind == "person" and start <= d.start and d.end <= end]
        if registered:
            person = registered[0]
            return person, (start, person.start), (person.end, end)
        segment = text[start:end]
        blocked = [
            (d.start - start, d.end - start)
            for d in inside
            if d.kind in ("org", "place") and start <= d.start and d.end <= end
        ]
        lead = _LEAD_RE.match(segment)
        lead_end = lead.end() if lead else 0
        for match in _NAME_RUN_RE.finditer(segment):
            a, b = match.span("name")
            if any(x < b and a < y for x, y in blocked):
                continue
            a, b = _trim_to_name(segment, a, b)
            if b - a == 0:
                continue
            # A name opens its segment ("Amina Yusuf, coordinator ...") or, after a role
            # and an organisation, closes it ("Chairman of the Association Rey Karimoglu").
            at_start = a == match.start("name") and not segment[lead_end : match.start()].strip()
            at_end = not segment[b:].strip(" \t\n,.;:()-–—") and _role_span(
                segment, lead_end, len(segment)
            )
            if not (at_start or at_end):
                continue
            if _QUOTED_RE.search(segment[max(0, a - 1) : b + 1]):
                continue
            words = segment[a:b]
            close = self.names.close_person(words)
            detection = Detection(
                "person",
                words,
                start + a,
                start + b,
                ref=close.ref if close else None,
                confidence=0.6 if close else 0.7,
                evidence=(
                    f"spelt almost like {close.ref} ({close.name}): a variant the register lacks?"
                    if close
                    else "a name in a list of signers; not in the person register"
                ),
                needs_review=True,
                proposed=close is None,
            )
            name_start = match.start() if a == match.start("name") else a
            return detection, (start, start + name_start), (start + b, end)
        return None, (start, start), (end, end)

    def _signatory(
        self, text: str, entry: _Entry, inside: list[Detection], how: str
    ) -> DetectedSignatory:
        role: Detection | None = None
        org: Detection | None = None
        lines = [(a, b) for a, b in entry.parts if "\n" not in text[a:b].strip()]
        if how == "block" and len(lines) >= 2 and len(lines) == len(entry.parts):
            # "Minister of Defence / Republic of Estonia": one line the role, the next the body.
            a, b = _strip(text, *lines[0])
            if _role_span(text, a, b) and not any(
                d.kind == "org" and a <= d.start and d.end <= b for d in inside
            ):
                role = Detection(
                    "role",
                    text[a:b],
                    a,
                    b,
                    confidence=0.85,
                    evidence="the line under the signer's name",
                )
                entry = _Entry(entry.person, entry.parts[1:])
        for a, b in entry.parts:
            a, b = _strip(text, a, b)
            if b <= a:
                continue
            registered = [d for d in inside if d.kind == "org" and a <= d.start and d.end <= b]
            if registered:
                found_org: Detection | None = max(registered, key=lambda d: d.end - d.start)
                assert found_org is not None
                # "President of the Fund" or "IEPF President": the role beside the name.
                role_at = _role_span(text, a, found_org.start) or _role_span(
                    text, found_org.end, b, anywhere=True
                )
            else:
                role_at = _role_span(text, a, b)
                org_from = _org_start(text, role_at[1] if role_at else a, b)
                found_org = self._organisation(text, org_from, b) if org_from is not None else None
            if role_at and role is None:
                role = Detection(
                    "role",
                    text[role_at[0] : role_at[1]],
                    *role_at,
                    confidence=0.85,
                    evidence="role words next to the signer's name",
                )
            if found_org is not None and org is None:
                org = found_org
        return DetectedSignatory(entry.person, role, org, how)

    def _organisation(self, text: str, start: int, end: int) -> Detection | None:
        """An organisation the registers do not know, from the words after a role."""
        start, end = _strip(text, start, end)
        words = text[start:end]
        quoted = _QUOTED_RE.search(words)
        if quoted:
            start, end = start + quoted.start(1), start + quoted.end(1)
            words = text[start:end]
        if not words or not words[0].isupper() or len(words) > 120:
            return None
        record = self.names.organisation(words)
        if record is not None:
            return Detection(
                "org",
                words,
                start,
                end,
                ref=record.ref,
                confidence=0.9,
                evidence=f"register name of {record.ref}",
            )
        return Detection(
            "org",
            words,
            start,
            end,
            ref=None,
            confidence=0.6,
            evidence="the signer's organisation; not in the organisation register",
            needs_review=True,
            proposed=True,
        )


_SHORT_LINE = 90


def _unlabelled_block(text: str) -> tuple[int, int] | None:
    """A signature block with no label or salute: at the foot of the text, short lines
    starting with a line that is a name alone, then role, body or country lines ("Jana Kask /
    Minister of Defence / Republic of Estonia"), one signer after another; an address or
    a contact line ends it. The run of short lines must follow the prose."""
    end = _block_end(text, 0)
    lines = []
    offset = 0
    for raw in text[:end].split("\n"):
        lines.append((offset, offset + len(raw), raw.strip()))
        offset += len(raw) + 1
    first = None
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index][2]
        if not line or is_debris(line):
            continue
        if len(line) > _SHORT_LINE or re.search(r"[.!?;]\s+\S", line):
            break
        name = _NAME_RUN_RE.fullmatch(line)
        if name is not None and len(name.group("name").split()) <= 4:
            words = [w.casefold().strip("'’") for w in name.group("name").split()]
            if not any(w in ORG_WORDS or w in ROLE_WORDS or w in NOT_NAME_WORDS for w in words):
                first = index
    if first is None or first == 0:
        return None
    stop = len(lines)
    for index in range(first + 1, len(lines)):
        line = lines[index][2]
        if is_debris(line) or re.match(
            r"(?i)(?:P\.?\s*O\.?\s*Box|Tel|Fax|e-?mail|https?://|www\.|\+?\d[\d\s()-]{6,})", line
        ):
            stop = index
            break
    start = lines[first][0]
    finish = lines[stop - 1][1]
    return (start, finish) if finish > start else None


def _sentence_end(text: str, start: int) -> int:
    match = _SENTENCE_END_RE.search(text, start)
    return match.start() if match else len(text)


def _block_end(text: str, start: int) -> int:
    match = _BLOCK_END_RE.search(text, start)
    end = match.start() if match else len(text)
    return len(text[:end].rstrip())


def _segments(
    text: str, start: int, end: int, known: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Cut a signer list at line breaks, semicolons and commas (not inside quotes or
    brackets), and at 'and' before the last item (not inside a registered name: "Public
    Union for Social and Economic Issues of Mine Victims")."""
    out = []
    depth = 0
    quoted = False
    names = SpanSet(known)
    seg_start = start
    i = start
    while i < end:
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch in '"“”«»„':
            quoted = not quoted
        cut = None
        if ch == "\n" or (depth == 0 and not quoted and ch in ",;"):
            cut = i + 1
        elif depth == 0 and not quoted and not names.overlaps(i, i + 1):
            tail = re.match(r"\s+and\s+", text[i:end])
            if tail and i > seg_start:
                cut = i + tail.end()
        if cut is not None:
            out.append((seg_start, i))
            seg_start = cut
            i = cut
            continue
        i += 1
    out.append((seg_start, end))
    stripped = []
    for a, b in out:
        a, b = _strip(text, a, b)
        lead = re.match(r"and\s+", text[a:b])
        if lead:
            a += lead.end()
        if b > a:
            stripped.append((a, b))
    return stripped


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    chars = " \t\n,;:.-–—•*·"
    while start < end and text[start] in chars:
        start += 1
    while end > start and text[end - 1] in chars:
        end -= 1
    while start < end and text[start] in "(" and text[end - 1] == ")":
        start, end = start + 1, end - 1
    if start < end and text[start] == "(" and ")" not in text[start:end]:
        start += 1
    if start < end and text[end - 1] == ")" and "(" not in text[start:end]:
        end -= 1
    return start, end


def _trim_to_name(segment: str, a: int, b: int) -> tuple[int, int]:
    """Cut a run of capitalised words to the person's name: after the last word of an
    organisation or role ("Mine Victims Association Rey Karimoglu" -> "Rey Karimoglu"),
    and without words that never begin a name."""
    tokens = [(m.start() + a, m.end() + a) for m in re.finditer(r"\S+", segment[a:b])]
    keep_from = 0
    for i, (x, y) in enumerate(tokens):
        word = segment[x:y].casefold().strip("'’")
        if word in ORG_WORDS or word in ROLE_WORDS or word in NOT_NAME_WORDS:
            keep_from = i + 1
    tokens = tokens[keep_from:]
    if len(tokens) < 2 or len(tokens) > 4:
        return a, a
    return tokens[0][0], tokens[-1][1]


_WORD_RE = re.compile(r"[A-Za-z][\w-]*")


def _role_span(text: str, start: int, end: int, anywhere: bool = False) -> tuple[int, int] | None:
    """The span of a role ("Executive Director") at the start of text[start:end] (or, with
    `anywhere`, its first role); a role ends with a noun, so "International" is none."""
    words = list(_WORD_RE.finditer(text, start, end))
    for first in range(len(words) if anywhere else min(1, len(words))):
        if not anywhere and text[start : words[first].start()].strip(" \t\n,;:-–—•*·("):
            return None
        last_noun = None
        previous_end = words[first].start()
        for word in words[first:]:
            if text[previous_end : word.start()].strip():
                break
            lowered = word.group().casefold()
            if lowered not in ROLE_WORDS:
                break
            if lowered in ROLE_NOUNS:
                last_noun = word.end()
            previous_end = word.end()
        if last_noun is not None:
            return words[first].start(), last_noun
    return None


def _org_start(text: str, start: int, end: int) -> int | None:
    """Where an organisation's name begins after a role: past ', ', 'of the', 'at' ..."""
    connector = re.match(r"\s*(?:,|of|at|for|with|in|–|—|-)?\s*(?:the\s+)?", text[start:end])
    position = start + (connector.end() if connector else 0)
    return position if position < end else None


def slug(name: str) -> str:
    """A register id for a proposed record: 'Amina Yusuf' -> 'amina-yusuf'."""
    return re.sub(
        r"[^a-z0-9]+", "-", normalize_name(name).encode("ascii", "ignore").decode()
    ).strip("-")
