"""Text analysis for the index: words, folding, stop words and stems by language, done fast.

Whoosh's StemmingAnalyzer chains a tokenizer and three filters through generators of
Token objects; on ~400-word documents that chain cost as much as parsing the TEI. Here the
same steps (the same token pattern; for English the same stop list and Porter stemmer, so
English terms are those Whoosh's own parsing gives) run in one pass over the text:

- `ArchiveAnalyzer` is a Whoosh analyzer (highlighting, phrase tokens) for English text;
- `StemmedText` is a TEXT field whose indexing skips Token objects altogether and analyses
  each text in its own language (`LangText`: a str that knows its `xml:lang` and the
  spans of its parts in other languages).

Languages (index format 5). Each word is lowercased, **folded** (`fold`: Latin letters lose
their marks, ə -> a, ı -> i, ß -> ss ..., Cyrillic ё -> е; й and the other letters of their
own stay), checked against the stop list of the text's language and stemmed by its Snowball
stemmer. A word that folding changes also gets an **exact** term, `=` + its stem unfolded, at
the same position, and a document in which a stem occurs only in such spellings gets the
marker `!` + stem: so `exact` searches tell *Mirzəyev* from *Mirzayev* both ways (see
query.py) at no cost to texts in plain letters. Stemmers: English keeps Whoosh's Porter
stemmer (unchanged terms); every other Snowball language is PyStemmer's C build (0.84 us a
word against 89 us for the pure-Python `snowballstemmer` and 162 us for `whoosh.lang`,
measured on 27,000 distinct Russian words); stop lists are whoosh.lang's. Azerbaijani is
stemmed by the Turkish stemmer (the closest Snowball has; no stop list); a language without a
stemmer is folded and not stemmed; so is a word the Snowball stemmer would cut below three
letters. The `names` field uses the neutral analysis (`NEUTRAL`: folded, unstemmed, no stop
words), so names match whatever language a text is in; query.py analyses a query's words in
each language the index holds.

Both classes live in the index's pickled schema, so renaming them needs a new INDEX_FORMAT.
"""

from __future__ import annotations

import re
import struct
import sys
import unicodedata
from array import array
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from typing import Any

import numpy as np
import Stemmer
from whoosh.analysis import STOP_WORDS, Composable, Token
from whoosh.columns import VarBytesListColumn
from whoosh.fields import KEYWORD, TEXT
from whoosh.formats import Positions
from whoosh.lang import has_stopwords, stopwords_for_language
from whoosh.lang.porter import stem as porter_stem
from whoosh.system import pack_uint

# Words, and words joined by single dots ("e.g", "1.5"). Whoosh's default pattern is
# \w+(\.?\w+)*, which matches the same (its optional dot adds nothing but backtracking):
# written so, finding a document's words costs 30% less (tests/test_analysis.py).
TOKEN_RE = re.compile(r"\w+(?:\.\w+)*", re.UNICODE)
MIN_SIZE = 2
EXACT = "="  # prefix of a term that keeps a word's special letters
ONLY_SPECIAL = "!"  # prefix of the marker: this stem occurs here only in special spellings
NEUTRAL = "und"  # BCP 47 "undetermined": folded, no stop words, no stems (the names field)
DEFAULT_LANGUAGE = "en"
_STEM_CACHE_LIMIT = 200_000

# Snowball stemmers (PyStemmer) by ISO 639-1 code; English is Whoosh's Porter stemmer.
STEMMERS = {
    "ar": "arabic", "az": "turkish", "ca": "catalan", "cs": "czech", "da": "danish",
    "de": "german", "el": "greek", "eo": "esperanto", "es": "spanish", "et": "estonian",
    "eu": "basque", "fa": "persian", "fi": "finnish", "fr": "french", "ga": "irish",
    "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "nb": "norwegian", "ne": "nepali", "nl": "dutch", "nn": "norwegian",
    "no": "norwegian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip

# Letters that Unicode does not decompose but that readers type without their marks.
_SPECIAL_FOLDS = {
    "ə": "a", "ı": "i", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d",
    "ð": "d", "þ": "th", "ħ": "h", "ŀ": "l", "ё": "е",
}  # fmt: skip
# Cyrillic letters of their own that Unicode decomposes into a letter and a mark.
_KEPT = frozenset("йўїЙЎЇ")


def language_code(lang: str | None) -> str:
    """The primary subtag of an `xml:lang` value ("az-Latn" -> "az"); English when none."""
    code = (lang or "").split("-", 1)[0].strip().lower()
    return code or DEFAULT_LANGUAGE


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    out = []
    for char in word:
        special = _SPECIAL_FOLDS.get(char)
        if special is not None:
            out.append(special)
        elif char in _KEPT:
            out.append(char)
        else:
            out.extend(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
    return unicodedata.normalize("NFC", "".join(out))


def lower(text: str) -> str:
    """`text` lowercased letter for letter: Turkish and Azerbaijani İ becomes i, where
    str.lower() gives i and a combining dot, which splits the word in two."""
    if text.isascii():
        return text.lower()
    return text.replace("İ", "i").lower().replace("i\u0307", "i")


def fold(word: str) -> str:
    """A lowercase word without the marks a reader may leave out (Mirzəyev -> mirzayev)."""
    return word if word.isascii() else _fold_word(word)


class Language:
    """How the words of one language become terms: stop list, stemmer, memo."""

    def __init__(self, code: str) -> None:
        self.code = code
        if code == "en":
            self.stop: frozenset[str] = STOP_WORDS
            self._stem: Any = porter_stem
        else:
            self.stop = (
                frozenset(fold(w) for w in stopwords_for_language(code))
                if code != "az" and has_stopwords(code)
                else frozenset()
            )
            algorithm = STEMMERS.get(code)
            self._stem = _guarded(Stemmer.Stemmer(algorithm).stemWord) if algorithm else None
        self.terms: dict[str, str | tuple[str, str, str]] = {}

    def stem(self, word: str) -> str:
        return self._stem(word) if self._stem is not None else word

    def kept(self, word: str) -> bool:
        """Whether a lowercase word is indexed (not too short, not a stop word)."""
        return len(word) >= MIN_SIZE and fold(word) not in self.stop

    def term(self, word: str) -> str | tuple[str, str, str]:
        """The term of a lowercase word ("" when it is not indexed: too short or a stop
        word); for a word that folding changes, (term, its exact term, the marker of a stem
        met only in special spellings). Memoised."""
        found = self.terms.get(word)
        if found is None:
            if len(self.terms) >= _STEM_CACHE_LIMIT:
                self.terms.clear()
            folded = fold(word)
            if len(word) < MIN_SIZE or folded in self.stop:
                found = ""
            else:
                term = self.stem(folded)
                found = (
                    term if folded == word else (term, EXACT + self.stem(word), ONLY_SPECIAL + term)
                )
            self.terms[word] = found
        return found

    def query_terms(self, word: str, exact: bool) -> tuple[str, ...]:
        """The terms a lowercase query word stands for in this language: () for a word not
        indexed; with `exact`, the word as spelt: a word with special letters its exact
        term, a plain word (term, marker): its term in texts that do not hold it only with
        special letters."""
        found = self.term(word)
        if not found:
            return ()
        if isinstance(found, str):
            return (found, ONLY_SPECIAL + found) if exact else (found,)
        return (found[1],) if exact else (found[0],)


def _guarded(stem: Any) -> Any:
    """A Snowball stemmer that leaves a word alone rather than cut it below three letters:
    the Turkish stemmer (used for Azerbaijani) makes "m" of "minse", a term that would
    match words of every language."""

    def guarded(word: str) -> str:
        found = stem(word)
        return found if len(found) >= 3 or len(found) >= len(word) else word

    return guarded


@cache
def language(code: str) -> Language:
    """The analysis of a language code (see `language_code`); NEUTRAL for names."""
    return Language(code)


def stem(word: str) -> str:
    """The English term of a lowercase word (folded, Porter), memoised."""
    found = language(DEFAULT_LANGUAGE).term(word) or word
    return found if isinstance(found, str) else found[0]


def _kept(word: str) -> bool:
    return len(word) >= MIN_SIZE and word not in STOP_WORDS


def words(text: str, morph: bool = True, lang: str | None = None) -> list[str]:
    """The indexed words of `text` in order: lowercased, stop words and one-letter words
    dropped, folded and stemmed in `lang` (English by default) unless `morph` is False."""
    analysis = language(language_code(lang))
    found = [w for w in TOKEN_RE.findall(lower(text)) if analysis.kept(w)]
    if not morph:
        return found
    return [t if isinstance(t, str) else t[0] for t in map(analysis.term, found)]


class LangText(str):
    """A text with its language (`lang`, an xml:lang value) and the spans of its parts in
    other languages (`parts`: (start, end, lang), in order, not overlapping): what the
    index's text fields analyse. Stored as a plain str."""

    lang: str
    parts: tuple[tuple[int, int, str], ...]

    def __new__(
        cls, text: str, lang: str | None, parts: Iterable[tuple[int, int, str]] = ()
    ) -> LangText:
        made = super().__new__(cls, text)
        made.lang = lang or DEFAULT_LANGUAGE
        made.parts = tuple(parts)
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (LangText, (str(self), self.lang, self.parts))

    def runs(self) -> list[tuple[str, str]]:
        """The text cut into (text, language code) runs."""
        if not self.parts:
            return [(str(self), language_code(self.lang))]
        out, cursor, own = [], 0, language_code(self.lang)
        for start, end, lang in self.parts:
            if start > cursor:
                out.append((self[cursor:start], own))
            out.append((self[start:end], language_code(lang)))
            cursor = max(cursor, end)
        if cursor < len(self):
            out.append((self[cursor:], own))
        return out


def fold_text(text: str) -> str:
    """`text` lowercased and folded letter by letter, the same length as `text` (a letter
    whose folding is longer stays as it is): for finding words by position (a result's
    snippet folds its document's text)."""
    if text.isascii():
        return text.lower()
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if int(codes.max()) > 0xFFFF:
        return text.translate(_FOLD_TABLE)
    folded = _FOLDED[codes]
    unknown = (folded == 0) & (codes != 0)
    if unknown.any():
        for code in np.unique(codes[unknown]).tolist():
            _FOLDED[code] = _FOLD_TABLE[code]
        folded = _FOLDED[codes]
    return folded.tobytes().decode("utf-32-le", "surrogatepass")


class _FoldTable(dict):
    def __missing__(self, code: int) -> int:
        char = chr(code)
        lower = char.lower()
        folded = fold(lower)
        value = ord(folded) if len(folded) == 1 else ord(lower if len(lower) == 1 else char)
        self[code] = value
        return value


_FOLD_TABLE = _FoldTable()

# The folding of each character of the Basic Multilingual Plane met so far, as numbers (0:
# not yet; NUL folds to itself): translating a text through the dict costs ~30 ns a
# character (90 us for a 2,700-letter Azerbaijani body, 130 us for a Russian one), taking
# its characters' numbers through this table ~15 us. Characters past the plane (rare: a
# mathematical letter) are translated through the dict.
_FOLDED = np.zeros(0x10000, dtype=np.uint32)


class QueryTerms(frozenset):
    """The terms a search matched (for marking words in snippets and documents), with the
    languages the query was analysed in: a word is marked when one of its terms is here."""

    languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)

    def __new__(cls, terms: Iterable[str] = (), languages: Iterable[str] = ()) -> QueryTerms:
        made = super().__new__(cls, terms)
        made.languages = tuple(languages) or (DEFAULT_LANGUAGE,)
        return made

    def matches(self, word: str) -> bool:
        """Whether `word` (as written in a text) is one the search matched."""
        word = lower(word)
        for code in self.languages:
            analysis = language(code)
            found = analysis.term(word)
            if not found:
                continue
            if isinstance(found, str):
                if found in self:
                    return True
            elif found[0] in self or found[1] in self:
                return True
        return False

    def prefixes(self) -> set[str]:
        """Folded beginnings of the words these terms come from (a stem less its last
        letter: stemmers rewrite endings), to find candidates in a folded text."""
        out = set()
        for term in self:
            if term.startswith(ONLY_SPECIAL):
                continue
            term = fold(term.removeprefix(EXACT))
            out.add(term[: max(MIN_SIZE, len(term) - 1)])
        return out


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
            word = lower(text)
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
    """A TEXT field (positions, stemming) whose indexing analyses a text directly, in its
    language when it is a `LangText` (English otherwise)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(analyzer=ArchiveAnalyzer(), **kwargs)
        self.format = PackedPositions(field_boost=self.format.field_boost)

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
        `index` gives, as one dict (a bulk build adds a document's terms all at once).

        As Whoosh's StopFilter numbers them: the first kept word has its own position
        (stop words before it leave a gap), later words follow on without gaps."""
        positions: dict[str, list[int]] = {}
        runs = value.runs() if isinstance(value, LangText) else ((value, DEFAULT_LANGUAGE),)
        pos = -1
        offset = 0
        special: dict[str, int] | None = None
        for text, code in runs:
            analysis = language(code)
            known = analysis.terms.get
            term_of = analysis.term
            tokens = TOKEN_RE.findall(lower(text))
            for raw, word in enumerate(tokens, offset):
                term = known(word)
                if term is None:
                    term = term_of(word)
                if not term:
                    continue
                pos = raw if pos < 0 else pos + 1
                if type(term) is str:
                    found = positions.get(term)
                    if found is None:
                        positions[term] = [pos]
                    else:
                        found.append(pos)
                    continue
                # A word with special letters: its folded term, its exact term.
                folded, exact, _ = term
                if special is None:
                    special = {}
                special[folded] = special.get(folded, 0) + 1
                for one in (folded, exact):
                    found = positions.get(one)
                    if found is None:
                        positions[one] = [pos]
                    else:
                        found.append(pos)
            offset += len(tokens)
        if special:
            for folded, count in special.items():
                found = positions[folded]
                if len(found) == count:
                    positions[ONLY_SPECIAL + folded] = [found[0]]
        return positions

    def spellable_words(self, value: Any) -> Any:
        if not isinstance(value, str):
            return super().spellable_words(value)
        return sorted({w for w in TOKEN_RE.findall(lower(value)) if _kept(w)})


class TermNumbers:
    """`StemmedText.term_positions` for a bulk build: a text's terms as numbers, one per
    token, each word analysed once per segment.

    A document's words are looked up in a memo of word -> code per language with one
    `map` (C speed, no Python step per word); only words not met before in the segment are
    analysed. A code is the term's number + 1 in `terms` (shared with the segment's
    archive.search.codec.FieldPositions), 0 for a word that is not indexed, or -k for a word
    with special letters (its folded and exact terms, and the marker its folded term gets in
    a text that holds it only in special spellings). Words follow Zipf's law: after a few
    hundred documents nearly every word of a document is in the memo.
    """

    def __init__(self, terms: dict[str, int]) -> None:
        self.terms = terms
        self._memos: dict[str, dict[str, int]] = {}
        # Code -k: (folded term's code, exact term's code, marker term).
        self._special: list[tuple[int, int, str]] = [(0, 0, "")]

    def _number(self, term: str) -> int:
        terms = self.terms
        return terms.setdefault(term, len(terms)) + 1

    def _code(self, analysis: Language, memo: dict[str, int], word: str) -> int:
        found = analysis.term(word)
        if not found:
            code = 0
        elif type(found) is str:
            code = self._number(found)
        else:
            folded, exact, marker = found
            self._special.append((self._number(folded), self._number(exact), marker))
            code = 1 - len(self._special)
        memo[word] = code
        return code

    def codes(self, value: str) -> tuple[list[int], Iterable[int]]:
        """Each indexed token's code (term number + 1) and position, in the terms and
        positions `StemmedText.term_positions` gives: the first indexed word at its own
        position, the next ones following on; a word with special letters gives its folded
        and its exact term at one position (and the marker, at the first position of its
        folded term, where that term occurs only so)."""
        runs = value.runs() if isinstance(value, LangText) else ((value, DEFAULT_LANGUAGE),)
        codes: list[int] = []
        for text, lang in runs:
            words = TOKEN_RE.findall(lower(text))
            memo = self._memos.get(lang)
            if memo is None:
                memo = self._memos[lang] = {}
            found = list(map(memo.get, words))
            if None in found:
                # The words first met here, each once (the strings' hashes are cached now).
                analysis, code = language(lang), self._code
                for word in set(words).difference(memo):
                    code(analysis, memo, word)
                found = list(map(memo.__getitem__, words))
            codes += found
        kept = list(filter(None, codes))
        if not kept:
            return kept, ()
        first = 0
        while not codes[first]:
            first += 1
        if min(kept) > 0:
            return kept, range(first, first + len(kept))
        return self._with_special(kept, first)

    def _with_special(self, kept: list[int], first: int) -> tuple[list[int], list[int]]:
        special = self._special
        codes: list[int] = []
        extra: list[int] = []
        extra_positions: list[int] = []
        markers: dict[int, list[Any]] = {}  # folded term's code -> [special count, marker]
        for pos, code in enumerate(kept, first):
            if code > 0:
                codes.append(code)
                continue
            folded, exact, marker = special[-code]
            codes.append(folded)
            extra.append(exact)
            extra_positions.append(pos)
            found = markers.get(folded)
            if found is None:
                markers[folded] = [1, marker]
            else:
                found[0] += 1
        positions = list(range(first, first + len(codes)))
        for folded, (count, marker) in markers.items():
            if codes.count(folded) == count:
                extra.append(self._number(marker))
                extra_positions.append(first + codes.index(folded))
        return codes + extra, positions + extra_positions


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
