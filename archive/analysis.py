"""Text analysis for the index: words, stop words and English stems, done fast.

Whoosh's StemmingAnalyzer chains a tokenizer and three filters through generators of
Token objects; on ~400-word documents that chain cost as much as parsing the TEI. Here the
same steps (the same token pattern, stop list and Porter stemmer, so queries and documents
agree with Whoosh's own parsing) run in one pass over the text:

- `ArchiveAnalyzer` is a Whoosh analyzer (query parsing, highlighting, phrase tokens);
- `StemmedText` is a TEXT field whose indexing skips Token objects altogether.

Both live in the index's pickled schema, so renaming them needs a new INDEX_FORMAT.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pickle import dumps
from typing import Any

from whoosh.analysis import STOP_WORDS, Composable, Token
from whoosh.fields import TEXT
from whoosh.lang.porter import stem as porter_stem
from whoosh.system import pack_uint
from whoosh.util.text import utf8encode

TOKEN_RE = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)
MIN_SIZE = 2
_STEM_CACHE_LIMIT = 200_000
_stems: dict[str, str] = {}


def stem(word: str) -> str:
    """Porter stem of a lowercase word, memoised (a corpus reuses a small vocabulary)."""
    found = _stems.get(word)
    if found is None:
        if len(_stems) >= _STEM_CACHE_LIMIT:
            _stems.clear()
        found = _stems[word] = porter_stem(word)
    return found


def words(text: str, morph: bool = True) -> list[str]:
    """The indexed words of `text` in order: lowercased, stop words and one-letter words
    dropped, stemmed unless `morph` is False."""
    found = [w for w in TOKEN_RE.findall(text.lower()) if len(w) >= MIN_SIZE]
    found = [w for w in found if w not in STOP_WORDS]
    return [stem(w) for w in found] if morph else found


class ArchiveAnalyzer(Composable):
    """Tokenize, lowercase, drop stop words, stem: Whoosh's StemmingAnalyzer in one step.

    Honours the keywords Whoosh passes: positions, chars, removestops, and `nomorph`
    (spelling fields want the words unstemmed).
    """

    is_morph = True

    def has_morph(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        morph = not (kwargs.get("nomorph") or kwargs.get("no_morph"))
        if not tokenize:
            matches: Any = [(value, 0, len(value))]
        else:
            matches = ((m.group(0), m.start(), m.end()) for m in TOKEN_RE.finditer(value))
        pos = start_pos
        for text, start, end in matches:
            word = text.lower()
            if len(word) < MIN_SIZE:
                continue
            if word in STOP_WORDS:
                if removestops:
                    continue
                token.stopped = True
            else:
                token.stopped = False
            token.original = text if keeporiginal else None
            token.text = stem(word) if morph and not token.stopped else word
            token.boost = 1.0
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            pos += 1
            yield token


class StemmedText(TEXT):
    """A TEXT field (positions, stemming) whose indexing runs `words()` directly.

    Same terms and positions as the analyzer gives; only faster. Spelling words (the
    unstemmed vocabulary for "did you mean") come from the same pass.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(analyzer=ArchiveAnalyzer(), **kwargs)
        self._last: tuple[str, list[str]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_last"] = None
        return state

    def _surface(self, value: str) -> list[str]:
        last = self._last
        if last is not None and last[0] is value:
            return last[1]
        found = words(value, morph=False)
        self._last = (value, found)
        return found

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str):
            yield from super().index(value, **kwargs)
            return
        positions: dict[str, list[int]] = {}
        for pos, word in enumerate(self._surface(value)):
            positions.setdefault(stem(word), []).append(pos)
        boost = self.format.field_boost
        for term, poslist in positions.items():
            deltas = [poslist[0]] + [b - a for a, b in itertools.pairwise(poslist)]
            encoded = pack_uint(len(deltas)) + dumps(deltas, 2)
            yield utf8encode(term)[0], len(poslist), len(poslist) * boost, encoded

    def spellable_words(self, value: Any) -> Any:
        if not isinstance(value, str):
            return super().spellable_words(value)
        return sorted(set(self._surface(value)))
