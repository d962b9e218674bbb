"""Persons, organisations and places that the registers know, wherever the text names them.

Every preferred name and variant of the three registers is a pattern. A name that two
registers share ("Azerbaijan" the country and the state) goes to the record whose
preferred name it is; collective records ("international organisations", "the media")
are too generic to mark in running text and are only used for addressees.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from archive.document import Organisation, Record, Registers, normalize_name
from archive.encode.results import Detection
from archive.encode.spans import SpanSet

_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:]\s+|\n\s*)$")
# Words that point at whom a statement is addressed to, just before the name.
_ADDRESSEE_RE = re.compile(
    r"(?:\b(?:appeal(?:s|ed|ing)?|call(?:s|ed|ing)?|address(?:es|ed)?|urge[sd]?|urging|writ(?:e|ing)"
    r"|submitted|letter)\s+(?:(?:to|on|upon)\s+)?(?:both\s+)?(?:the\s+)?"
    r"|^\s*(?:To|Dear|Attn\.?|Attention)\s*:?\s*(?:the\s+)?)$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class _Name:
    surface: str
    records: tuple[Record, ...]


class NameFinder:
    """Finds the names of registered persons, organisations and places in a text."""

    def __init__(self, registers: Registers) -> None:
        self.registers = registers
        surfaces: dict[str, list[Record]] = {}
        collectives: dict[str, list[Record]] = {}
        for register in (registers.persons, registers.organisations, registers.places):
            for record in register:
                target = (
                    collectives
                    if isinstance(record, Organisation) and record.category == "collective"
                    else surfaces
                )
                names = list(record.names)
                if record.kind == "place":
                    # Datelines shout: "GENEVA, 12 March 2022".
                    names += [n.upper() for n in record.names if " " not in n and len(n) > 3]
                for name in names:
                    if name.strip():
                        bucket = target.setdefault(name, [])
                        if record not in bucket:
                            bucket.append(record)
        self.names = [_Name(s, tuple(r)) for s, r in surfaces.items()]
        self.collectives = [_Name(s, tuple(r)) for s, r in collectives.items()]
        # The same names grouped by their first word: a text is read word by word and only
        # the names that can start there are tried (with ~400 names and their capitals, one
        # alternation tried at every word took 15 ms a statement; this takes ~1 ms).
        groups: dict[str, list[_Name]] = {}
        for name in self.names:
            groups.setdefault(_first_word(name.surface), []).append(name)
        self.by_first = {
            key: (_compile(members, case_blind=False), members) for key, members in groups.items()
        }
        self.collective_pattern = _compile(self.collectives, case_blind=True)

    def detect(self, text: str, blocked: list[tuple[int, int]] | None = None) -> list[Detection]:
        """Every registered name in `text` outside the `blocked` spans, longest first."""
        out = []
        taken = SpanSet(blocked or [])
        for match in self._matches(text):
            start, end = match.span()
            if taken.overlaps(start, end):
                continue
            name = match.name
            record = _choose(name)
            if _is_common_word(name.surface, record) and _SENTENCE_START_RE.search(
                text[max(0, start - 3) : start]
            ):
                continue  # "Report" opening a sentence is the word, not the agency
            if _inside_longer_name(text, start, record, name.surface):
                continue  # "Azerbaijan Human Rights Watch" is another body than HRW
            out.append(_detection(record, text, start, end, name.surface))
        return out + self._red_cross(text, taken, out)

    def _red_cross(self, text: str, taken: SpanSet, found: list[Detection]) -> list[Detection]:
        """'the Red Cross' alone may be the ICRC, the IFRC or a national society: the body
        the text names elsewhere when it names exactly one of the Movement, else none, and
        never the ICRC by default. Either way the report asks."""
        movement = {
            d.ref
            for d in found
            if d.kind == "org"
            and d.ref
            and re.search(
                r"Red\s+Cross|Red\s+Crescent|ICRC|IFRC", d.text + " " + (d.evidence or "")
            )
        }
        unregistered = [
            m.span()
            for m in re.finditer(
                r"\b(?!(?:The|A|An|This|That|Its|Our|Their|And)\s)[A-Z][\w-]+\s+Red\s+(?:Cross|Crescent)(?:\s+Society)?",
                text,
            )
            if not any(d.start <= m.start() < d.end for d in found)
        ]
        if unregistered:  # "the Ruritanian Red Cross Society": a body the registers lack
            movement.add("unregistered")
        out = []
        for match in re.finditer(
            r"(?<![\w-])Red\s+Cross(?![\w-])(?!\s+(?:and|Society|Movement)\b)", text
        ):
            if any(a <= match.start() < b for a, b in unregistered):
                continue
            if taken.overlaps(*match.span()) or any(
                d.start <= match.start() < d.end for d in found
            ):
                continue
            only = next(iter(movement)) if len(movement) == 1 else None
            out.append(
                Detection(
                    "org",
                    match.group(),
                    *match.span(),
                    ref=only,
                    confidence=0.6 if only else 0.3,
                    evidence=(
                        f"'Red Cross' alone; the text names only {only} of the Movement"
                        if only
                        else "'Red Cross' alone may be the ICRC, the IFRC or a national society"
                    ),
                    candidates=()
                    if only
                    else tuple(sorted(movement - {"unregistered"}) or ("org:icrc", "org:ifrc")),
                    needs_review=True,
                )
            )
        return out

    def _matches(self, text: str) -> list[_Match]:
        """Every register name in `text`, left to right, longest first where names start
        at the same word, none overlapping (what one alternation's finditer gave)."""
        out: list[_Match] = []
        end = 0
        for word in _WORD_START_RE.finditer(text):
            if word.start() < end:
                continue
            group = self.by_first.get(word.group().casefold())
            if group is None:
                continue
            pattern, members = group
            match = pattern.match(text, word.start())
            if match is not None:
                out.append(_Match(match.start(), match.end(), members[int(match.lastgroup[1:])]))  # type: ignore[index]
                end = match.end()
        return out

    def addressees(self, text: str, detections: list[Detection]) -> list[Detection]:
        """Organisations (collective ones included) the text addresses: 'appeal to the UN',
        'call on the international community', a 'To:' line."""
        found = [d for d in detections if d.kind == "org"]
        taken = SpanSet((d.start, d.end) for d in detections)
        for match in self.collective_pattern.finditer(text):
            if not taken.overlaps(*match.span()):
                name = self.collectives[int(match.lastgroup[1:])]  # type: ignore[index]
                found.append(_detection(name.records[0], text, *match.span(), name.surface))
        found.sort(key=lambda d: d.start)
        out: list[Detection] = []
        for detection in found:
            before = text[max(0, detection.start - 60) : detection.start]
            chained = out and re.fullmatch(
                r"\s*(?:,|and|,\s*and)\s*(?:the\s+)?",
                text[out[-1].end : detection.start],
                re.IGNORECASE,
            )
            if _ADDRESSEE_RE.search(before) or chained:
                out.append(detection)
        return out

    # -- lookups for signature parsing ---------------------------------------------

    def organisation(self, words: str) -> Organisation | None:
        """The registered organisation `words` names exactly (any variant), if one."""
        found = self.registers.organisations.find(words)
        return found[0] if len(found) == 1 else None

    def person(self, words: str) -> Record | None:
        found = self.registers.persons.find(words)
        return found[0] if len(found) == 1 else None

    def close_person(self, words: str) -> Record | None:
        """A registered person whose name is spelt almost like `words`: a variant the
        register lacks, or someone else; the report asks."""
        key = normalize_name(words)
        best, best_ratio = None, 0.0
        for record in self.registers.persons:
            for name in record.names:
                ratio = difflib.SequenceMatcher(None, key, normalize_name(name)).ratio()
                if ratio > best_ratio:
                    best, best_ratio = record, ratio
        return best if best_ratio >= 0.85 else None


_WORD_START_RE = re.compile(r"(?<![\w-])\w+")


@dataclass(frozen=True)
class _Match:
    start_at: int
    end_at: int
    name: _Name

    def span(self) -> tuple[int, int]:
        return self.start_at, self.end_at


def _first_word(surface: str) -> str:
    first = re.match(r"\w+", surface)
    return first.group().casefold() if first else surface.casefold()


def _compile(names: list[_Name], case_blind: bool) -> re.Pattern[str]:
    order = sorted(range(len(names)), key=lambda i: (-len(names[i].surface), names[i].surface))
    parts = []
    for i in order:
        surface = names[i].surface
        body = r"[\s\u00a0]+".join(re.escape(w) for w in surface.split())
        if case_blind or (" " in surface and not surface.isupper()):
            # Multi-word names keep their first capital but not the rest of their case.
            first, rest = body[:1], body[1:]
            body = f"{first}(?i:{rest})" if not case_blind else f"(?i:{body})"
        parts.append(f"(?P<n{i}>{body})")
    if not parts:
        return re.compile(r"(?!x)x")
    # Every name starts with a letter: saying so lets the engine skip the alternation at
    # every other position (a text of punctuation was 30 times slower than prose).
    lead = r"(?=\w)" if all(re.match(r"\w", n.surface) for n in names) else ""
    return re.compile(rf"(?<![\w-]){lead}(?:{'|'.join(parts)})(?![\w-])")


def _choose(name: _Name) -> Record:
    """One record for a name several records share: the one whose preferred name it is,
    else a place (a country named bare is the country), else the first."""
    if len(name.records) == 1:
        return name.records[0]
    preferred = [r for r in name.records if normalize_name(r.name) == normalize_name(name.surface)]
    if len(preferred) == 1:
        return preferred[0]
    places = [r for r in name.records if r.kind == "place"]
    return (places or list(name.records))[0]


_FUNCTION_WORDS = frozenset(
    [
        "The",
        "A",
        "An",
        "And",
        "Of",
        "For",
        "By",
        "To",
        "With",
        "From",
        "On",
        "In",
        "At",
        "As",
        "Dear",
        "Sincerely",
        "Signed",
        "Member",
        "Members",
    ]
)


def _inside_longer_name(text: str, start: int, record: Record, surface: str) -> bool:
    """A registered organisation's several-word name right after another capitalised word
    on the same line is the tail of a longer name the register lacks."""
    if record.kind != "org" or " " not in surface or surface.isupper():
        return False
    before = re.search(r"(?:^|[ \t])([A-Z][\w'’-]*) $", text[max(0, start - 40) : start])
    return (
        before is not None
        and before.group(1) not in _FUNCTION_WORDS
        and not re.search(r"-[a-z]", before.group(1))  # "Prize-winning International ..."
    )


def _is_common_word(surface: str, record: Record) -> bool:
    return record.kind == "org" and " " not in surface and not surface.isupper()


def _detection(record: Record, text: str, start: int, end: int, surface: str) -> Detection:
    exact = text[start:end] == record.name
    return Detection(
        record.kind,
        text[start:end],
        start,
        end,
        ref=record.ref,
        confidence=0.95 if exact or " " in surface or surface.isupper() else 0.8,
        evidence=(f"register {'name' if exact else 'variant'} of {record.ref} ({record.label})"),
    )
