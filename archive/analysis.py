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
from whoosh.columns import VarBytesListColumn
from whoosh.fields import KEYWORD, TEXT
from whoosh.lang.porter import stem as porter_stem
from whoosh.system import pack_uint

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


def _kept(word: str) -> bool:
    return len(word) >= MIN_SIZE and word not in STOP_WORDS


def words(text: str, morph: bool = True) -> list[str]:
    """The indexed words of `text` in order: lowercased, stop words and one-letter words
    dropped, stemmed unless `morph` is False."""
    found = [w for w in TOKEN_RE.findall(text.lower()) if _kept(w)]
    return [stem(w) for w in found] if morph else found


_single_positions: dict[int, bytes] = {}


def _encode(poslist: list[int]) -> bytes:
    """Positions as whoosh.formats.Positions encodes them (count, then pickled deltas);
    most words occur once in a document, and those encodings are reused."""
    if len(poslist) == 1:
        pos = poslist[0]
        found = _single_positions.get(pos)
        if found is None:
            found = _single_positions[pos] = pack_uint(1) + dumps([pos], 2)
        return found
    deltas = [poslist[0]] + [b - a for a, b in itertools.pairwise(poslist)]
    return pack_uint(len(deltas)) + dumps(deltas, 2)


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
        # Whoosh's StopFilter numbers kept words on from the first kept word's own
        # position (stop words before it leave a gap, later ones do not): so here too.
        pos = None
        for raw, (text, start, end) in enumerate(matches):
            word = text.lower()
            if len(word) < MIN_SIZE or word in STOP_WORDS:
                if removestops:
                    continue
                token.stopped = True
                here = start_pos + raw
            else:
                token.stopped = False
                pos = here = start_pos + raw if pos is None else pos + 1
            token.original = text if keeporiginal else None
            token.text = stem(word) if morph and not token.stopped else word
            token.boost = 1.0
            if positions:
                token.pos = here
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class StemmedText(TEXT):
    """A TEXT field (positions, stemming) whose indexing runs `words()` directly.

    Same terms and positions as the analyzer gives; only faster. Spelling words (the
    unstemmed vocabulary for "did you mean") come from the same pass.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(analyzer=ArchiveAnalyzer(), **kwargs)
        self._last: tuple[str, tuple[int, list[str]]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_last"] = None
        return state

    def _surface(self, value: str) -> tuple[int, list[str]]:
        """The kept words of `value` and the position of the first (see ArchiveAnalyzer)."""
        last = self._last
        if last is not None and last[0] is value:
            return last[1]
        tokens = TOKEN_RE.findall(value.lower())
        first = next((i for i, w in enumerate(tokens) if _kept(w)), 0)
        found = (first, [w for w in tokens if _kept(w)])
        self._last = (value, found)
        return found

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str):
            yield from super().index(value, **kwargs)
            return
        positions: dict[str, list[int]] = {}
        first, kept = self._surface(value)
        for pos, word in enumerate(kept, first):
            term = _stems.get(word) or stem(word)
            found = positions.get(term)
            if found is None:
                positions[term] = [pos]
            else:
                found.append(pos)
        boost = self.format.field_boost
        for term, poslist in positions.items():
            yield term.encode("utf-8"), len(poslist), len(poslist) * boost, _encode(poslist)

    def spellable_words(self, value: Any) -> Any:
        if not isinstance(value, str):
            return super().spellable_words(value)
        return sorted(set(self._surface(value)[1]))


class Keywords(KEYWORD):
    """Space-separated ids (facet values) without Whoosh's tokenizer chain: the same terms
    and frequencies as KEYWORD(lowercase=False), split by `str.split`.

    Each document's values are also kept in a list column: the engine does not read it
    (it counts from postings), but it is the best plain-Whoosh setting for `groupedby`
    facets, which the benchmark's baseline uses on the same index."""

    def __init__(self) -> None:
        super().__init__(lowercase=False, scorable=False)
        self.column_type = VarBytesListColumn()

    def to_column_value(self, value: Any) -> list[bytes]:
        words = value.split() if isinstance(value, str) else list(value)
        return [w.encode("utf-8") if isinstance(w, str) else w for w in words]

    def from_column_value(self, value: Any) -> Any:
        return value

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str):
            yield from super().index(value, **kwargs)
            return
        boost = self.format.field_boost
        counts: dict[str, int] = {}
        for word in value.split():
            counts[word] = counts.get(word, 0) + 1
        for word, count in counts.items():
            yield word.encode("utf-8"), count, count * boost, pack_uint(count)
