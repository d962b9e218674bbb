"""Highlighted snippets: a passage of a document around the words a search matched.

The passage is HTML-safe: the document's text is escaped and only the `<mark>` elements
around matched words are markup. Words match by stem, as the search does ("maps" marks
"map" and "mapped"). Scanning stops once a passage is found, so long documents cost little.
"""

from __future__ import annotations

import re
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
        for match in _candidates(terms).finditer(fold_text(text)):
            word = text[match.start() : match.end()]
            if len(word) >= MIN_SIZE and terms.matches(word):
                hits.append(match.span())
                if len(hits) >= _ENOUGH_HITS:
                    break
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


@lru_cache(maxsize=512)
def _candidates(terms: QueryTerms) -> re.Pattern[str]:
    """Words that may stem to one of the terms, in a folded text (the same length as the
    text): those starting with a term less its last letter (stemmers rewrite endings), so
    the text is scanned at C speed and only candidates are analysed."""
    prefixes = sorted(terms.prefixes(), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, prefixes)) + r")\w*", re.IGNORECASE)


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
