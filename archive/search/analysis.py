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

import re
import struct
import sys
from array import array
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import STOP_WORDS, Composable, Token
from whoosh.columns import VarBytesListColumn
from whoosh.fields import KEYWORD, TEXT
from whoosh.formats import Positions
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


class PackedPositions(Positions):
    """Word positions as little-endian 32-bit integers after a 32-bit count.

    Whoosh's Positions pickles a list of gaps per posting; decoding that is a Python loop
    per position, and a phrase over common words decodes millions. Packed, the positions of
    any number of postings are one `numpy.frombuffer` away (archive.search.snapshot). Whoosh's own
    readers (phrase matchers, highlighting) use the decode methods below."""

    def encode(self, poslist: list[int]) -> bytes:
        return _encode(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return list(array("I", valuestring[4:])) if _LITTLE else _unpack(valuestring)[1:]

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4 - 1

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost


_LITTLE = sys.byteorder == "little"
_single_positions: dict[int, bytes] = {}


def _unpack(value: bytes) -> list[int]:
    return list(struct.unpack(f"<{len(value) // 4}I", value))


def _encode(poslist: list[int]) -> bytes:
    """A posting's value in PackedPositions; most words occur once in a document, and those
    encodings are reused."""
    if len(poslist) == 1:
        pos = poslist[0]
        found = _single_positions.get(pos)
        if found is None:
            found = _single_positions[pos] = struct.pack("<II", 1, pos)
        return found
    packed = array("I", poslist)
    packed.insert(0, len(poslist))
    if not _LITTLE:
        packed.byteswap()
    return packed.tobytes()


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
        self.format = PackedPositions(field_boost=self.format.field_boost)
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
        # Inline rather than _kept(): this runs for every word of every document.
        stop = STOP_WORDS
        found = (first, [w for w in tokens if len(w) >= MIN_SIZE and w not in stop])
        self._last = (value, found)
        return found

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str):
            yield from super().index(value, **kwargs)
            return
        for btext, freq, weight, poslist in self.index_positions(value):
            yield btext, freq, weight, _encode(poslist)

    def index_positions(self, value: Any) -> Iterator[tuple[bytes, int, float, list[int]]]:
        """What `index` gives, with each term's positions as a list rather than encoded:
        the index's codec stores a term's positions as one array (archive.search.codec)."""
        if not isinstance(value, str):
            decode = self.format.decode_positions
            for btext, freq, weight, vbytes in super().index(value):
                yield btext, freq, weight, decode(vbytes)
            return
        boost = self.format.field_boost
        for term, poslist in self.term_positions(value).items():
            yield term.encode("utf-8"), len(poslist), len(poslist) * boost, poslist

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """Each term of a text with its positions, in order of first occurrence: what
        `index` gives, as one dict (a bulk build adds a document's terms all at once)."""
        positions: dict[str, list[int]] = {}
        first, kept = self._surface(value)
        known = _stems.get
        for pos, word in enumerate(kept, first):
            term = known(word) or stem(word)
            found = positions.get(term)
            if found is None:
                positions[term] = [pos]
            else:
                found.append(pos)
        return positions

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
