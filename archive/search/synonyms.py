"""Domain synonyms and compounds, applied when a query is read.

A researcher types `mine maps`; the petition asks for "the maps of minefields". Stemming
cannot meet them (*minefield* is one word, *mine field* two, *landmine* a third), and a
general thesaurus does not know that UXO is unexploded ordnance. So the archive ships a
small list of its domain's variants (`synonyms.toml`, beside this module), and the query
parser (archive.search.query) ORs a query word or phrase with the entries the list gives
for it. Nothing of it is in the index: the list can change without a re-index, and
`exact:` / `exact=1` (words as typed) leaves it out.

The list is per language, and its entries are compared as the index compares words: each
entry is analysed in its language (lowercased, folded, stop words dropped, stemmed), so
"minefields", "Minefield" and "mine-fields" all meet their entry. Two relations:

- `same`: entries naming one concept find each other (UXO = unexploded ordnance);
- `includes`: a broader key finds its narrower entries, not the reverse (`mine` finds
  minefields and landmines; `minefield` does not find every text that says "mine"),
  which is what keeps the list from costing precision (docs/search.md has the figures).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError
from archive.search.analysis import TOKEN_RE, language, language_code, lower

SYNONYMS_FILE = Path(__file__).with_name("synonyms.toml")

Key = tuple[str, ...]


@dataclass(frozen=True)
class Expansion:
    """What a query's word or phrase was also searched as: shown back to the reader, with
    the way to switch it off (`exact`)."""

    text: str
    also: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "also": list(self.also)}


def analysed(code: str, text: str) -> Key:
    """An entry's or a query's words as index terms of language `code` (stop words and
    one-letter words dropped)."""
    analysis = language(code)
    terms = (analysis.query_terms(w, False) for w in TOKEN_RE.findall(lower(text)))
    return tuple(t[0] for t in terms if t)


class Synonyms:
    """The list, keyed by analysed entry per language."""

    def __init__(self, tables: Mapping[str, Mapping[str, Any]]) -> None:
        self._tables: dict[str, dict[Key, dict[str, None]]] = {}
        for lang, table in tables.items():
            code = language_code(lang)
            found: dict[Key, dict[str, None]] = {}
            unknown = set(table) - {"same", "includes"}
            if unknown:
                raise ArchiveError(f"synonyms [{lang}]: unknown keys {sorted(unknown)}")
            for group in table.get("same", []):
                for entry in group:
                    _add(found, code, entry, (e for e in group if e != entry))
            for broader, narrower in table.get("includes", {}).items():
                _add(found, code, broader, narrower)
            self._tables[code] = _closed(found, code)

    @classmethod
    def load(cls, path: Path = SYNONYMS_FILE) -> Synonyms:
        try:
            return cls(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ArchiveError(f"{path}: cannot read the synonym list: {exc}") from None

    def also(self, code: str, key: Key) -> tuple[str, ...]:
        """The entries (as written in the list) that a query's analysed words also stand
        for in language `code`; () when none."""
        return tuple(self._tables.get(code, {}).get(key, ()))

    def longest(self, codes: Iterable[str]) -> int:
        """The most words an entry of these languages has (how far a run of query words is
        worth comparing)."""
        return max((len(k) for c in codes for k in self._tables.get(c, {})), default=0)

    def is_entry(self, codes: Iterable[str], words: Sequence[str]) -> bool:
        """Whether `words` (typed, in order) are an entry of the list in any of `codes`."""
        text = " ".join(words)
        return any(analysed(c, text) in self._tables.get(c, {}) for c in codes)


def _add(found: dict[Key, dict[str, None]], code: str, entry: str, others: Iterable[str]) -> None:
    key = analysed(code, entry)
    if not key:
        raise ArchiveError(f"synonyms [{code}]: {entry!r} has no words that are indexed")
    targets = found.setdefault(key, {})
    for other in others:
        if analysed(code, other) != key:
            targets[other] = None


def _closed(direct: dict[Key, dict[str, None]], code: str) -> dict[Key, dict[str, None]]:
    """Follow the relations through: ERW includes unexploded ordnance, which is the same as
    UXO, so ERW finds UXO; never back to the key itself, nor to an entry that holds the key's
    words (a text with "anti-tank mine" is found by "mine" as it is)."""
    out: dict[Key, dict[str, None]] = {}
    for key in direct:
        reached: dict[str, None] = {}
        seen = {key}
        todo = list(direct[key])
        while todo:
            entry = todo.pop(0)
            entry_key = analysed(code, entry)
            if entry_key in seen:
                continue
            seen.add(entry_key)
            if not _holds(entry_key, key):  # "mine" finds "anti-tank mine" by itself
                reached[entry] = None
            todo.extend(direct.get(entry_key, ()))
        out[key] = reached
    return out


def _holds(longer: Key, key: Key) -> bool:
    return any(longer[i : i + len(key)] == key for i in range(len(longer) - len(key) + 1))


@cache
def shipped() -> Synonyms:
    """The list the archive ships, read once per process."""
    return Synonyms.load()
