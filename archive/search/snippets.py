"""Highlighted snippets: a passage of a document around the words a search matched.

The passage is HTML-safe: the document's text is escaped and only the `<mark>` elements
around matched words are markup. Words match by stem, as the search does ("maps" marks
"map" and "mapped"). Scanning stops once a passage is found, so long documents cost little.

Candidates (words that may stem to a term) are found by a regular expression over the text
folded. A case-insensitive pattern with a word boundary before each candidate makes Python's
engine try every position of the text (~13 ns a character, 36 us for a 2,700-letter body with
no match, a quarter of a page's hits); in a text of ASCII letters (folded, it is lowercase) the
same candidates are found by a case-sensitive pattern without the boundary, which the engine
scans for at C speed (~1 ns a character), the boundary checked after (`_ascii_candidates`
says why that finds the same words); so are they in a text that folds to ASCII (Azerbaijani,
French ...). Other texts (Russian, say) keep the general pattern.
"""

from __future__ import annotations

import heapq
import re
import string
from functools import lru_cache
from html import escape

from archive.search.analysis import MIN_SIZE, QueryTerms, fold_text

SNIPPET_CHARS = 240
_ENOUGH_HITS = 6


def snippet(text: str, stems: set[str], width: int = SNIPPET_CHARS) -> str:
    """The passage of `text` with most matched words among the first hits, as HTML.

    Without matches (a search by filters only), the opening of the text.
    """
    if not text:
        return ""
    hits: list[tuple[int, int]] = []
    if stems:
        terms = stems if isinstance(stems, QueryTerms) else QueryTerms(stems)
        hits = _matched(text, terms)
    return _passage(text, hits, width)


def _passage(text: str, hits: list[tuple[int, int]], width: int) -> str:
    """The passage of `width` around the most of `hits` (spans of matched words), as HTML;
    without hits, the opening of the text."""
    if not hits:
        return _clip(text, 0, width, [])
    best_start, best_count = hits[0][0], 0
    for i, (start, _) in enumerate(hits):
        count = sum(1 for s, _ in hits[i:] if s < start + width)
        if count > best_count:
            best_start, best_count = start, count
    start = max(0, best_start - width // 4)
    # Begin at a word boundary.
    if start > 0:
        space = text.find(" ", start, best_start)
        start = space + 1 if space != -1 else start
    return _clip(text, start, width, [h for h in hits if h[0] >= start])


def _matched(text: str, terms: QueryTerms) -> list[tuple[int, int]]:
    """The spans of the first matched words of `text` (at most `_ENOUGH_HITS`)."""
    hits: list[tuple[int, int]] = []
    folded = fold_text(text)
    if folded.isascii():  # English, and Latin letters with marks (Azerbaijani, French ...)
        scans = _ascii_candidates(terms)
        if scans is not None:
            if not scans:
                return hits  # no prefix can match an ASCII text
            if not text.isascii():
                folded = folded.lower()  # a letter may fold to a capital: ℌ -> H
            found = (
                scans[0].finditer(folded)
                if len(scans) == 1
                else heapq.merge(*(scan.finditer(folded) for scan in scans), key=_start)
            )
            for match in found:
                start, end = match.span()
                if start and folded[start - 1] in _ASCII_WORD:
                    continue  # inside a word: not a candidate (see _ascii_candidates)
                if end - start >= MIN_SIZE and terms.matches(text[start:end]):
                    hits.append((start, end))
                    if len(hits) >= _ENOUGH_HITS:
                        break
            return hits
    for match in _candidates(terms).finditer(folded):
        word = text[match.start() : match.end()]
        if len(word) >= MIN_SIZE and terms.matches(word):
            hits.append(match.span())
            if len(hits) >= _ENOUGH_HITS:
                break
    return hits


@lru_cache(maxsize=512)
def _candidates(terms: QueryTerms) -> re.Pattern[str]:
    """Words that may stem to one of the terms, in a folded text (the same length as the
    text): those starting with a term less its last letter (stemmers rewrite endings), so
    the text is scanned at C speed and only candidates are analysed."""
    prefixes = sorted(terms.prefixes(), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, prefixes)) + r")\w*", re.IGNORECASE)


_ASCII_WORD = frozenset(string.ascii_letters + string.digits + "_")  # \w in ASCII text
# What lowercase ASCII text can hold: the letters a folded ASCII text is compared with.
_ASCII_FOLDED = [chr(c) for c in range(128) if not "A" <= chr(c) <= "Z"]


@lru_cache(maxsize=512)
def _ascii_candidates(terms: QueryTerms) -> tuple[re.Pattern[str], ...] | None:
    """What finds `_candidates` in a text folded to ASCII and lowercased: a case-sensitive
    pattern for each prefix, without the word boundary; None when that cannot be done (then
    the text is scanned by `_candidates`).

    Each letter of a prefix becomes the letter of a lowercase ASCII text that the
    case-insensitive pattern lets it match (asked of `re` itself: the Kelvin sign gives "k");
    a prefix that cannot match ASCII at all is left out. When every letter of every prefix is
    a word character, a match that starts inside a word runs (by `\\w*`) to the word's end,
    so no match that starts at a word boundary is passed over for one that does not; and a
    match that starts at a boundary runs to the same end whichever prefix it matched. So the
    matches of `_candidates` are the matches of these patterns that start at a word
    boundary, in order. A prefix that begins with another ("ternem", "tern") adds none, and
    with those left out no two patterns match at the same place. One pattern each, not one
    of alternatives: the engine looks for a literal at C speed (~1 ns a character), where it
    tries alternatives at each position (20 us for a 2,700-letter body)."""
    prefixes = terms.prefixes()
    if not prefixes or not all(prefixes):
        return None  # an empty prefix matches every word: the general pattern does that
    literals = set()
    for prefix in prefixes:
        letters = [_ascii_matches(char) for char in prefix]
        if not all(letters):
            continue
        if any(len(found) != 1 or found not in _ASCII_WORD for found in letters):
            return None
        literals.add("".join(letters))
    kept: list[str] = []
    for literal in sorted(literals, key=len):
        if not literal.startswith(tuple(kept)):
            kept.append(literal)
    return tuple(re.compile(literal + r"\w*") for literal in kept)


def _start(match: re.Match[str]) -> int:
    return match.start()


@lru_cache(maxsize=4096)
def _ascii_matches(char: str) -> str:
    """The characters of a lowercase ASCII text that `char` matches case-insensitively."""
    letter = re.compile(re.escape(char), re.IGNORECASE)
    return "".join(c for c in _ASCII_FOLDED if letter.fullmatch(c))


def _clip(text: str, start: int, width: int, hits: list[tuple[int, int]]) -> str:
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    pieces = ["…" if start > 0 else ""]
    cursor = start
    for hit_start, hit_end in hits:
        if hit_end > end:
            break
        pieces.append(escape(text[cursor:hit_start]))
        pieces.append(f"<mark>{escape(text[hit_start:hit_end])}</mark>")
        cursor = hit_end
    pieces.append(escape(text[cursor:end]))
    if end < len(text):
        pieces.append("…")
    return " ".join("".join(pieces).split())
