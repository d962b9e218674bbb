"""Treaty citations: every name in the treaty register, group phrases and article citations.

The register is the vocabulary: each title, short title, abbreviation and alias of a record
becomes a pattern, so adding an alias to `treaties.xml` teaches the encoder too. Where a
name fits two records ("Protocol II", "APII", "Oslo Convention"), the words around it
decide: each candidate's own years, abbreviations and the distinctive words of its title
("1977", "Additional" for Additional Protocol II; "1996", "CCW", "amended", "mines" for
the CCW's Amended Protocol II). When the words do not settle it, the citation is marked
without a reference and the report asks the archivist to choose; nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from archive.document import Treaty, TreatyRegister, normalize_name
from archive.encode.results import Detection

_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4", "V": "5"}
_STOPWORDS = {
    "the", "of", "and", "to", "on", "or", "in", "for", "as", "at", "a", "an", "its", "their",
    "relating", "other", "use", "which", "may", "be", "deemed", "have", "with", "by",
    "protocol", "protocols", "convention", "conventions", "treaty", "i", "ii", "iii", "iv", "v",
    "august", "june", "12", "8", "3",
}  # fmt: skip
_WORD_RE = re.compile(r"[A-Za-z]+|\d{4}")
_YEAR_RE = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_ARTICLE_NUMBER = r"\d+[a-z]?(?:\s?\(\s?[0-9a-z]+\s?\))*"
_ARTICLE_LIST = rf"{_ARTICLE_NUMBER}(?:\s*(?:,|and|&)\s*{_ARTICLE_NUMBER})*"
# "Article 51 of", "Articles 48 and 51 of the", "Art. 8(2)(b) of", "Article 3 common to the"
_ARTICLE_BEFORE_RE = re.compile(
    rf"(?P<common>common\s+)?\b(?:Articles?|Arts?\.)\s*(?P<n>{_ARTICLE_LIST})\s*,?\s+"
    rf"(?:(?P<link>common\s+to|of)\s+(?:the\s+)?)?$",
    re.IGNORECASE,
)
# "Additional Protocol I, Article 51" or "(Art. 51)" right after the name
_ARTICLE_AFTER_RE = re.compile(
    rf"^(?:,\s*|\s*\(\s*)(?:Articles?|Arts?\.)\s*(?P<n>{_ARTICLE_LIST})(?P<close>\s*\))?",
    re.IGNORECASE,
)
_COMMON_ARTICLE_RE = re.compile(r"\bcommon\s+Article\s+3\b", re.IGNORECASE)
_LEADING_RE = re.compile(
    r"(?:\b(?P<the>the|both|all|its|their)\s+)?(?:\b(?P<count>two|three|four|2|3|4)\s+)?"
    r"(?:\b(?P<year>1[89]\d\d|20\d\d)\s+)?$",
    re.IGNORECASE,
)
_SENTENCE_END_RE = re.compile(r"[.!?;]\s|\n")
# The name of an instrument the register may lack: capitalised words around a treaty noun
# ("the Treaty of Oldtown on Lakes", "Kampala Convention", "Optional Protocol to ...").
_INSTRUMENT_RE = re.compile(
    r"\b(?:[A-Z][\w'’-]*\s+(?:(?:of|on|for|against|to|relating\s+to)\s+)*){0,8}"
    r"(?:Convention|Treaty|Covenant|Protocol|Charter|Statute)"
    r"(?:\s+(?:of|on|for|against|to|relating\s+to)\s+(?:the\s+)?[A-Z][\w'’-]*"
    r"(?:\s+(?:(?:of|on|for|in)\s+(?:the\s+)?)?[A-Z][\w'’-]*)*)?"
)


_TREATY_NOUNS = {"Convention", "Treaty", "Covenant", "Protocol", "Charter", "Statute"}
_LEADS = {"A", "An", "The", "This", "That", "These", "Its", "Their", "Our", "Sign", "Ratify", "And"}


def unknown_instruments(text: str, found: list[Detection]) -> list[tuple[int, int]]:
    """Spans naming a treaty-like instrument that no register name matched: the report
    asks about each rather than skipping it in silence. A bare "the Convention" (a treaty
    the text named before) is no new instrument."""
    out = []
    for match in _INSTRUMENT_RE.finditer(text):
        start, end = match.span()
        words = match.group()
        if len(words.split()) < 2 or any(d.start < end and start < d.end for d in found):
            continue
        tokens = words.split()
        noun = next(
            i
            for i, w in enumerate(tokens)
            if w in _TREATY_NOUNS and (i == 0 or tokens[i - 1] != "to")
        )
        named_before = noun > 0 and tokens[noun - 1][0].isupper() and tokens[noun - 1] not in _LEADS
        if not named_before and noun == len(tokens) - 1:
            continue  # "the Treaty", "Sign and Ratify the Treaty": no name
        lead = 0
        while lead < noun and tokens[lead] in _LEADS:
            lead += 1
        start += len(" ".join(tokens[:lead])) + (1 if lead else 0)
        out.append((start, end))
    return out


@dataclass(frozen=True)
class _Alias:
    """One way of writing a treaty's name, and every record it may stand for."""

    key: str
    pattern: str
    ids: tuple[str, ...]


class TreatyDetector:
    """Finds treaty citations in a text with the vocabulary of one treaty register."""

    def __init__(self, register: TreatyRegister) -> None:
        self.register = register
        self.aliases = _aliases(register)
        alternation = "|".join(f"(?P<a{i}>{alias.pattern})" for i, alias in enumerate(self.aliases))
        # As for names (archive.encode.names): skip the alternation where no word starts.
        lead = r"(?=\w)" if all(re.match(r"(?:\(\?i:)?\w", a.pattern) for a in self.aliases) else ""
        self.pattern = re.compile(rf"(?<![\w-]){lead}(?:{alternation})(?![\w-])")
        self.years = {t.id: _years(t, register) for t in register}
        self.evidence = {t.id: _evidence_words(t, register) for t in register}
        self.bases = {t.id: _bases(t, register, self.aliases) for t in register}

    def detect(self, text: str) -> list[Detection]:
        """Every treaty citation in `text`, in order, with collisions resolved or flagged."""
        raw = []
        for match in self.pattern.finditer(text):
            alias = self.aliases[int(match.lastgroup[1:])]  # type: ignore[index]
            raw.append((match.start(), match.end(), alias))
        raw = self._join_parent_names(text, raw)
        unambiguous = {a.ids[0] for _, _, a in raw if len(a.ids) == 1}
        out: list[Detection] = []
        for start, end, alias in raw:
            if out and start < out[-1].end:
                continue  # already part of the previous citation ("Protocol II to the CCW")
            out.append(self._citation(text, start, end, alias, unambiguous))
        covered = [(d.start, d.end) for d in out]
        for match in _COMMON_ARTICLE_RE.finditer(text):
            if not any(a < match.end() and match.start() < b for a, b in covered):
                out.append(
                    Detection(
                        "treaty",
                        match.group(),
                        match.start(),
                        match.end(),
                        ref="treaty:gc-1949",
                        article="common 3",
                        confidence=0.95,
                        evidence="'common Article 3' is the article common to the four Geneva Conventions",
                    )
                )
        return sorted(out, key=lambda d: d.start)

    def _join_parent_names(
        self, text: str, raw: list[tuple[int, int, _Alias]]
    ) -> list[tuple[int, int, _Alias]]:
        """'CCW Amended Protocol II': a parent's name right before a protocol's is part of
        the protocol's citation, not a citation of the parent."""
        out: list[tuple[int, int, _Alias]] = []
        for start, end, alias in raw:
            if out:
                p_start, p_end, previous = out[-1]
                if not text[p_end:start].strip() and any(
                    set(previous.ids) & self.bases[c] for c in alias.ids
                ):
                    fitting = tuple(c for c in alias.ids if set(previous.ids) & self.bases[c])
                    out[-1] = (p_start, end, _Alias(alias.key, alias.pattern, fitting))
                    continue
            out.append((start, end, alias))
        return out

    # -- one citation ------------------------------------------------------------------

    def _citation(
        self, text: str, start: int, end: int, alias: _Alias, cited_elsewhere: set[str]
    ) -> Detection:
        candidates = list(alias.ids)
        evidence = [f"register name {text[start:end]!r}"]
        # Words that continue the name: "(1949)", "of 1977", "to the CCW", "as amended in 1996".
        end, candidates, note = self._extend_after(text, end, candidates)
        if note:
            evidence.append(note)
        start, note, candidates = self._extend_before(text, start, candidates)
        if note:
            evidence.append(note)
        article, start, end = _article(text, start, end)
        confidence = 0.98 if len(alias.ids) == 1 else 0.9
        if len(candidates) > 1:
            candidates, confidence, note = self._resolve(
                text, start, end, candidates, cited_elsewhere
            )
            evidence.append(note)
        if article:
            evidence.append(f"article {article}")
        words = text[start:end]
        if len(candidates) == 1:
            return Detection(
                "treaty",
                words,
                start,
                end,
                ref=f"treaty:{candidates[0]}",
                article=article,
                confidence=confidence,
                evidence="; ".join(evidence),
            )
        return Detection(
            "treaty",
            words,
            start,
            end,
            article=article,
            confidence=0.0,
            evidence="; ".join(evidence),
            candidates=tuple(f"treaty:{c}" for c in candidates),
            needs_review=True,
        )

    def _extend_after(
        self, text: str, end: int, candidates: list[str]
    ) -> tuple[int, list[str], str | None]:
        rest = text[end : end + 160]
        # "... to the Geneva Conventions", "... annexed to the CCW": the base treaty narrows
        # a colliding name and belongs to the citation.
        base = re.match(
            r",?\s+(?:(?:(?:additional|annexed)\s+)?to|of)\s+(?:the\s+)?(?:(?:four|1949|1980)\s+)?",
            rest,
            re.IGNORECASE,
        )
        note = None
        if base:
            after = base.end()
            match = self.pattern.match(rest, after)
            if match:
                alias = self.aliases[int(match.lastgroup[1:])]  # type: ignore[index]
                fitting = [c for c in candidates if set(alias.ids) & self.bases[c]]
                if fitting:
                    note = f"'{rest[: match.end()].strip()}' names the treaty it belongs to"
                    candidates = fitting
                    end += match.end()
                    rest = text[end : end + 160]
        year = re.match(
            r"(?:\s*\((?:adopted\s+(?:in\s+)?|of\s+)?(?P<y1>\d{4})\)"
            r"|,?\s+of\s+(?:\d{1,2}\s+[A-Z][a-z]+\s+)?(?P<y2>\d{4})(?!\d)"
            r"|,?\s+(?:\(\s*)?as\s+amended(?:\s+(?:on|in)\s+(?:\d{1,2}\s+[A-Z][a-z]+\s+)?(?P<y3>\d{4}))?\)?)",
            rest,
        )
        if year:
            value = year.group("y1") or year.group("y2") or year.group("y3")
            if value is None:
                fitting = [c for c in candidates if "amended" in self.evidence[c][0]]
            else:
                fitting = [c for c in candidates if value in self.years[c]]
            if fitting:
                candidates = fitting
                end += year.end()
                note = (note + "; " if note else "") + f"'{year.group().strip()}' fits"
        return end, candidates, note

    def _extend_before(
        self, text: str, start: int, candidates: list[str]
    ) -> tuple[int, str | None, list[str]]:
        match = _LEADING_RE.search(text[max(0, start - 40) : start])
        if not match or not match.group():
            return start, None, candidates
        note = None
        if match.group("year"):
            fitting = [c for c in candidates if match.group("year") in self.years[c]]
            if not fitting:
                # The year belongs to something else ("in 1997 Protocol II ..."): keep out.
                the_only = text[max(0, start - 40) : start][match.start() : match.start("year")]
                return start - len(match.group()) + len(the_only), None, candidates
            candidates = fitting
            note = f"year {match.group('year')} fits"
        return start - len(match.group()), note, candidates

    def _resolve(
        self,
        text: str,
        start: int,
        end: int,
        candidates: list[str],
        cited_elsewhere: set[str],
    ) -> tuple[list[str], float, str]:
        """Choose among colliding records by the words around the name."""
        sentence = _sentence(text, start, end)
        paragraph = _paragraph(text, start, end)
        sentence_words = _words(sentence)
        paragraph_words = _words(paragraph)
        shared = set.intersection(*(self.evidence[c][0] | self.evidence[c][1] for c in candidates))
        scores: dict[str, float] = {}
        found: dict[str, list[str]] = {}
        for candidate in candidates:
            strong, weak = self.evidence[candidate]
            score = 0.0
            hits = []
            for word in sorted((strong | weak) - shared):
                weight = 2.0 if word in strong else 1.0
                if word in sentence_words:
                    score += weight
                    hits.append(word)
                elif word in paragraph_words:
                    score += weight / 2
                    hits.append(word)
            family = {candidate, *self.register.ancestors(candidate)}
            related = {
                t.id for t in self.register if family & {t.id, *self.register.ancestors(t.id)}
            }
            if (cited_elsewhere - {candidate}) & related:
                score += 1.0
                hits.append("a related treaty cited in the text")
            scores[candidate] = score
            found[candidate] = hits
        ranked = sorted(candidates, key=lambda c: (-scores[c], c))
        best, second = ranked[0], ranked[1]
        margin = scores[best] - scores[second]
        summary = ", ".join(f"{c}: {scores[c]:g}" for c in ranked)
        if scores[best] >= 2 and margin >= 1.5:
            confidence = min(0.95, 0.55 + 0.1 * margin)
            return (
                [best],
                confidence,
                f"name shared by {', '.join(candidates)}; context ({', '.join(found[best])}) favours {best} ({summary})",
            )
        return (
            ranked,
            0.0,
            f"name shared by {', '.join(candidates)}; the context does not decide ({summary})",
        )


def _aliases(register: TreatyRegister) -> list[_Alias]:
    ids_by_key: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for treaty in register:
        names = [*treaty.names]
        if treaty.icrc_slug:
            names.append(treaty.icrc_slug)
        for name in names:
            for form in _forms(name):
                key = normalize_name(form) if " " in form else form
                ids = ids_by_key.setdefault(key, [])
                if treaty.id not in ids:
                    ids.append(treaty.id)
                spelling.setdefault(key, form)
    aliases = [_Alias(key, _pattern(spelling[key]), tuple(ids)) for key, ids in ids_by_key.items()]
    # Python's alternation takes the first alternative that fits: longest names first.
    return sorted(aliases, key=lambda a: (-len(spelling[a.key]), a.key))


def _forms(name: str) -> list[str]:
    """A name and its spelling with arabic numerals for roman ones ("Protocol 2")."""
    forms = [name]
    words = name.split()
    if any(w in _ROMAN for w in words[1:]):
        forms.append(" ".join(_ROMAN.get(w, w) if i else w for i, w in enumerate(words)))
    return forms


def _is_abbreviation(name: str) -> bool:
    compact = name.replace(" ", "")
    return len(compact) <= 8 and sum(c.isupper() for c in compact) >= 2


def _pattern(name: str) -> str:
    words = name.split()
    parts = [re.escape(word).replace(r"\-", "[-\u2010\u2011 ]?") for word in words]
    body = parts[0] if parts else ""
    for word, part in zip(words[1:], parts[1:], strict=True):
        # "Additional protocol1": a numeral may be glued to the word before it.
        body += (r"[\s\u00a0]*" if word.isdigit() else r"[\s\u00a0]+") + part
    return body if _is_abbreviation(name) else f"(?i:{body})"


def _years(treaty: Treaty, register: TreatyRegister) -> set[str]:
    years = {d[:4] for d in (treaty.adopted, treaty.opened, treaty.entry_into_force) if d}
    years |= set(_YEAR_RE.findall(treaty.name))
    return years


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD_RE.findall(text)}


def _evidence_words(treaty: Treaty, register: TreatyRegister) -> tuple[set[str], set[str]]:
    """(strong, weak) context words for a record: its years, abbreviations and short-title
    words, with its parent's abbreviations, are strong; other words of its titles weak."""
    strong = set(_years(treaty, register))
    for name in (treaty.short_title, *treaty.abbreviations):
        strong |= _words(name)
    if treaty.parent and treaty.parent in register:
        parent = register.get(treaty.parent)
        if not parent.is_group:
            for name in (parent.short_title, *parent.abbreviations):
                strong |= _words(name)
    weak = set()
    for name in treaty.names:
        weak |= _words(name)
    strong -= _STOPWORDS
    weak = weak - _STOPWORDS - strong
    return strong, weak


def _bases(treaty: Treaty, register: TreatyRegister, aliases: Iterable[_Alias]) -> set[str]:
    """The treaties a record is attached to: its parent, and any treaty whose name its
    official title contains (the Additional Protocols name the Geneva Conventions)."""
    bases = set()
    if treaty.parent and treaty.parent in register and not register.get(treaty.parent).is_group:
        bases.add(treaty.parent)
    title = normalize_name(treaty.name)
    for alias in aliases:
        if " " in alias.key and re.search(rf"\b{re.escape(alias.key)}\b", title):
            bases |= {i for i in alias.ids if i != treaty.id}
    return bases


def _article(text: str, start: int, end: int) -> tuple[str | None, int, int]:
    """An article cited with the treaty ("Article 51 of ...", "..., Article 51"): its
    number as the profile writes it in rs/@n, and the citation's widened bounds."""
    before = _ARTICLE_BEFORE_RE.search(text[max(0, start - 80) : start])
    if before:
        numbers = _article_numbers(before.group("n"))
        common = before.group("common") or (before.group("link") or "").lower().startswith("common")
        new_start = start - (len(text[max(0, start - 80) : start]) - before.start())
        return ("common " if common else "") + numbers, new_start, end
    after = _ARTICLE_AFTER_RE.match(text[end : end + 60])
    if after:
        new_end = end + after.end()
        if text[end:new_end].lstrip().startswith("(") and not after.group("close"):
            new_end = end  # an unclosed parenthesis: leave the article out
            return None, start, end
        return _article_numbers(after.group("n")), start, new_end
    return None, start, end


def _article_numbers(value: str) -> str:
    numbers = re.split(r"\s*(?:,|\band\b|&)\s*", value)
    return ", ".join(re.sub(r"\s+", "", n) for n in numbers if n.strip())


def _sentence(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in _SENTENCE_END_RE.finditer(text, 0, start)), default=0)
    right_match = _SENTENCE_END_RE.search(text, end)
    right = right_match.start() + 1 if right_match else len(text)
    return text[left:start] + " " + text[end:right]


def _paragraph(text: str, start: int, end: int) -> str:
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", end)
    return text[left:start] + " " + text[end : right if right != -1 else len(text)]
