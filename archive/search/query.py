"""The query language: Whoosh syntax over the archive's fields, with register values resolved.

`QueryParser.parse("mine maps treaty:\"Ottawa Treaty\" date:[2020-11 TO 2021-06]")` returns a
`ParsedQuery`: a Whoosh query tree over the index fields, in which

- words without a field search the title, the text and the signatories' names (all words
  must match unless OR says otherwise; "quotes" make a phrase; -word or NOT word excludes),
  each word folded (Mirzəyev = Mirzayev = mirzayev) and analysed in every language the
  index holds (or the languages the `lang` filter picks) and unstemmed: its terms in each
  language are alternatives (archive.search.analysis);
- a word or phrase the domain's synonym list knows (archive.search.synonyms) is ORed with
  its variants: `mine` also finds *minefield* and *landmine*, `UXO` *unexploded ordnance*;
- `exact:word` or `exact:"a phrase"` (and the whole query with `exact=True`) keeps the
  special letters and leaves the synonyms out: `exact:Mirzəyev` finds that spelling only,
  `exact:Mirzayev` texts that hold the plain spelling, `exact:mine` no minefields;
- `treaty:`, `signatory:`, `org:`, `addressee:`, `place:` values are ids or any name the
  registers know, resolved to ids (`treaty:"Ottawa Treaty"` == `treaty:apmbc-1997`), and a
  treaty query also matches the members of a group; an ambiguous or unknown name is a
  BadQuery naming the candidates or the closest names, never a guess;
- `type:`, `lang:`, `year:`, `id:` take plain values; `date:` takes an ISO date or a range
  `[2020-11 TO 2021-06]` (either end open) and matches documents whose issue span overlaps it.

Multi-word register values need quotes: `treaty:Ottawa Treaty` searches `treaty:Ottawa` and
the word "treaty".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from whoosh import query as wq
from whoosh.analysis import IDTokenizer, LowercaseFilter, RegexTokenizer
from whoosh.fields import TEXT, Schema
from whoosh.qparser import MultifieldParser

from archive.document import (
    HierarchicalRegister,
    Record,
    Register,
    Registers,
    article_keys,
    document_types,
    latin_key,
    normalize_name,
    parse_iso,
)
from archive.errors import ArchiveError, BadQuery, UnknownName
from archive.search.analysis import (
    DEFAULT_LANGUAGE,
    NEUTRAL,
    TOKEN_RE,
    fold,
    language,
    language_code,
    lower,
)
from archive.search.index import TEXT_FIELDS
from archive.search.limits import QueryTooCostly, SearchLimits
from archive.search.synonyms import Expansion, Synonyms, analysed, shipped
from archive.search.syntax import whoosh_tree

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 200

REGISTER_FIELDS = {"treaty": "treaty", "signatory": "person", "org": "org", "place": "place"}
PLAIN_FIELDS = ("type", "lang", "year", "id")
NAMES_FIELD = "names"  # indexed with the neutral analysis (archive.search.index)
EXACT_FIELD = "exact"  # words in any text field, spelt as typed
ARTICLE_FIELD = "article"  # articles cited: `article:49`, `article:"49 GC IV"`
QUERY_FIELDS = (
    *TEXT_FIELDS,
    EXACT_FIELD,
    *REGISTER_FIELDS,
    ARTICLE_FIELD,
    "addressee",
    *PLAIN_FIELDS,
    "date",
)

LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "ru": "Russian",
    "az": "Azerbaijani",
    "hy": "Armenian",
    "es": "Spanish",
    "ar": "Arabic",
    "tr": "Turkish",
    "uk": "Ukrainian",
}
_LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")
# An article as a reader types it: "49", "Article 49", "art. 32", "common Article 3", "51(2)".
_ARTICLE_RE = re.compile(
    r"(?P<common>common\s+)?(?P<word>(?:articles?|arts?)\.?\s*)?"
    r"(?P<n>\d+[a-z]?(?:\s?\(\s?[0-9a-z]+\s?\))*)",
    re.IGNORECASE,
)
_ARTICLE_LINK_RE = re.compile(r"^(?:of\s+)?(?:the\s+)?|(?:\s+of)?(?:\s+the)?$", re.IGNORECASE)
# Fields whose values are kept whole (ids, names, dates): what archive.search.syntax reads
# without Whoosh's parser.
_WHOLE_FIELDS = tuple(f for f in QUERY_FIELDS if f not in (*TEXT_FIELDS, EXACT_FIELD))
_FIELD_RE = re.compile(r"(?:^|(?<=[\s(]))([A-Za-z_][\w.-]*):(?=\S)")


@dataclass(frozen=True)
class DateOverlap(wq.Query):
    """Documents whose issue span [earliest, latest] overlaps [start, end] (either end open).
    Evaluated by the engine on its per-document date arrays, never by Whoosh."""

    start: date | None
    end: date | None

    def __str__(self) -> str:
        return f"date:[{self.start or ''} TO {self.end or ''}]"

    def __hash__(self) -> int:
        return hash((self.start, self.end))

    def is_leaf(self) -> bool:
        return True

    def children(self) -> list:
        return []


@dataclass(frozen=True)
class Resolved:
    """How one fielded value of the query was understood: shown back to the reader."""

    field: str
    text: str
    ids: tuple[str, ...]
    labels: tuple[str, ...]
    # A name no record bears: no ids, and this note for the reader (0 results, not an error).
    unknown: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "text": self.text,
            "ids": list(self.ids),
            "labels": list(self.labels),
        }


@dataclass
class ParsedQuery:
    """A parsed query: the Whoosh tree, the register values it resolved, and the free-text
    words (with where they stand in the query string) for scoring, snippets and spelling."""

    text: str
    query: wq.Query
    resolved: list[Resolved] = field(default_factory=list)
    words: list[tuple[str, str, int | None, int | None]] = field(default_factory=list)
    languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)
    exact: bool = False  # every word spelt as typed (the `exact` switch)
    expanded: list[Expansion] = field(default_factory=list)  # synonyms also searched
    # The terms of those synonyms (field, term): ranked below the words typed, marked in
    # snippets like them.
    variants: list[tuple[str, str]] = field(default_factory=list)

    def terms(self) -> list[str]:
        """Every term a document may match the free text by: the words, then the variants."""
        return [w for _, w, _, _ in self.words] + [t for _, t in self.variants]

    @property
    def matches_all(self) -> bool:
        return isinstance(self.query, wq.Every)


def value_label(registers: Registers, facet: str, value: str) -> str:
    """The name to show for a facet or filter value."""
    if facet in REGISTER_FIELDS:
        return registers.label(REGISTER_FIELDS[facet], value)
    if facet == "addressee":
        kind, _, record_id = value.partition(":")
        return registers.label(kind, record_id) if record_id else value
    if facet == "lang":
        return LANGUAGE_NAMES.get(value, value)
    if facet == "type":
        return value.replace("-", " ")
    return value


class ValueResolver:
    """Turns what a person typed for a field into the ids the index holds."""

    def __init__(self, registers: Registers) -> None:
        self.registers = registers
        self.types = document_types()

    def resolve(self, field_name: str, text: str) -> Resolved:
        """The ids `text` stands for in `field_name`; BadQuery names the field and the text."""
        try:
            return self._resolve(field_name, text)
        except BadQuery as exc:
            if exc.field is None:
                exc.field, exc.text = field_name, text.strip()
            raise

    def _resolve(self, field_name: str, text: str) -> Resolved:
        text = text.strip()
        if not text:
            raise BadQuery(f"{field_name}: needs a value")
        if field_name == ARTICLE_FIELD:
            return self.article(text)
        if field_name == "treaty":
            # The treaties are a short list everyone cites by a few names: an unknown one
            # is a slip, refused with the closest names.
            record = _resolve_in(self.registers.treaties, text, field_name)
            ids = self.registers.treaties.query_ids(record.id)
            return Resolved(field_name, text, tuple(ids), (record.label,))
        if field_name in (*REGISTER_FIELDS, "addressee"):
            # People, bodies and places the registers lack are many: a search for one finds
            # nothing, and says why (a note beside 0 results, not an error page).
            try:
                if field_name == "addressee":
                    return self._addressee(text)
                register = self.registers.by_kind(REGISTER_FIELDS[field_name])
                record = _resolve_in(register, text, field_name)
            except UnknownName as exc:
                return Resolved(
                    field_name, text, (), (), unknown=_unknown_note(field_name, text, exc)
                )
            ids = (
                register.query_ids(record.id)
                if isinstance(register, HierarchicalRegister)
                else [record.id]
            )
            return Resolved(field_name, text, tuple(ids), (record.label,))
        if field_name == "type":
            value = normalize_name(text).replace(" ", "-")
            if value not in self.types:
                close = difflib.get_close_matches(value, self.types, n=3, cutoff=0.5)
                hint = f" Did you mean: {', '.join(close)}?" if close else ""
                raise BadQuery(
                    f"unknown document type {text!r}.{hint} Types: {', '.join(self.types)}",
                    suggestions=close,
                )
            return Resolved(field_name, text, (value,), (value.replace("-", " "),))
        if field_name == "lang":
            value = text.lower()
            by_name = {normalize_name(n): c for c, n in LANGUAGE_NAMES.items()}
            value = by_name.get(normalize_name(text), value)
            if not _LANG_RE.match(value):
                raise BadQuery(f"lang: {text!r} is not a language code such as en, fr, ru")
            return Resolved(field_name, text, (value,), (LANGUAGE_NAMES.get(value, value),))
        if field_name == "year":
            if not re.fullmatch(r"\d{4}", text):
                raise BadQuery(f"year: {text!r} is not a year such as 2021")
            return Resolved(field_name, text, (text,), (text,))
        if field_name == "id":
            return Resolved(field_name, text, (text,), (text,))
        raise BadQuery(f"unknown field {field_name!r}")

    def article(self, text: str) -> Resolved:
        """`article:` values: an article alone (`49`, `"common Article 3"`: any treaty's) or
        with the treaty it belongs to, before or after it, in any name the register knows
        (`"49 GC IV"`, `"Article 49 of the Fourth Geneva Convention"`, `"art. 32 AP I"`,
        `gc4-1949/49`). A treaty group stands for its members, as in `treaty:`."""
        text = text.strip()
        if not text:
            raise BadQuery(f"{ARTICLE_FIELD}: needs a value")
        first_error: BadQuery | None = None
        for article, treaty_text in _article_readings(text):
            key = article_keys(article)[0]
            words = (
                key.replace("common-", "common Article ")
                if key.startswith("common-")
                else f"Article {key}"
            )
            if not treaty_text:
                return Resolved(ARTICLE_FIELD, text, (key,), (f"{words} (any treaty)",))
            try:
                record = _resolve_in(self.registers.treaties, treaty_text, ARTICLE_FIELD)
            except BadQuery as exc:
                first_error = first_error or exc
                continue
            ids = self.registers.treaties.query_ids(record.id)
            label = f"{words} of {record.label}"
            return Resolved(ARTICLE_FIELD, text, tuple(f"{t}/{key}" for t in ids), (label,))
        if first_error is not None:
            raise first_error
        raise BadQuery(
            f"{ARTICLE_FIELD}: {text!r} names no article: give its number, alone or with the "
            'treaty (article:49, article:"49 GC IV", article:"common Article 3")'
        )

    def _addressee(self, text: str) -> Resolved:
        kinds = ("org", "person", "place")
        kind, sep, rest = text.partition(":")
        if sep and kind in kinds:
            record = _resolve_in(self.registers.by_kind(kind), rest, "addressee")
            return Resolved("addressee", text, (record.ref,), (record.label,))
        found: list[Record] = []
        for kind in kinds:
            register = self.registers.by_kind(kind)
            found += register.find(text) or register.find_by_words(text)
        if len(found) == 1:
            return Resolved("addressee", text, (found[0].ref,), (found[0].label,))
        if found:
            raise BadQuery(
                f"addressee {text!r} is ambiguous: it may mean "
                + "; ".join(f"{r.ref} ({r.label})" for r in found)
                + ". Use an id to choose.",
                suggestions=[r.ref for r in found],
            )
        close = [n for kind in kinds for n in self.registers.by_kind(kind).close_matches(text, 2)]
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownName(f"unknown addressee {text!r}.{hint}", suggestions=close)

    def date_span(self, start: str | None, end: str | None) -> DateOverlap:
        """`date:` bounds as days: a partial date stands for the whole period it names."""

        def bound(value: str | None, which: str) -> date | None:
            if value is None or not value.strip() or value.strip() == "*":
                return None
            try:
                parsed = parse_iso(value.strip())
            except ValueError as exc:
                raise BadQuery(f"date: {exc}") from None
            return parsed.earliest if which == "start" else parsed.latest

        lo, hi = bound(start, "start"), bound(end, "end")
        if lo and hi and lo > hi:
            raise BadQuery(f"date: the range starts ({lo}) after it ends ({hi})")
        return DateOverlap(lo, hi)


def _article_readings(text: str) -> list[tuple[str, str]]:
    """The ways `text` splits into (article, treaty words), likeliest first: an id form
    `treaty/article`; an article written as one ("Article 49", "common 3") before or after
    the treaty; then a bare number at the end, then at the start ("GC4 49", "49 GC4"). A
    treaty's own digits ("GC4", "1949") are never taken for the article when a reading
    with the word "Article" exists."""
    if "/" in text:
        treaty_text, _, article = text.rpartition("/")
        return [(article, treaty_text.strip())] if _ARTICLE_RE.fullmatch(article.strip()) else []
    tokens = text.split()
    worded: list[tuple[str, str]] = []
    bare: list[tuple[str, str]] = []
    for size in range(min(len(tokens), 4), 0, -1):
        for article_tokens, rest in (
            (tokens[:size], tokens[size:]),
            (tokens[-size:], tokens[:-size]),
        ):
            match = _ARTICLE_RE.fullmatch(" ".join(article_tokens))
            if not match:
                continue
            treaty_text = _ARTICLE_LINK_RE.sub("", " ".join(rest)).strip(" ,")
            reading = (match.group(0), treaty_text)
            (worded if match.group("word") or match.group("common") else bare).append(reading)
    # Bare numbers: the last token first (`GC4 49`), then the first (`49 GC4`).
    bare.sort(key=lambda r: not text.rstrip().endswith(r[0]))
    return list(dict.fromkeys(worded + bare))


_KIND_WORDS = {
    "signatory": "person",
    "org": "organisation",
    "place": "place",
    "addressee": "organisation, person or place",
}


def _unknown_note(field_name: str, text: str, exc: UnknownName) -> str:
    close = f" Did you mean: {', '.join(exc.suggestions)}?" if exc.suggestions else ""
    return (
        f"{field_name}:{text}: no {_KIND_WORDS[field_name]} of the registers is called "
        f"{text!r}, so no document is recorded under that name.{close}"
    )


def _resolve_in(register: Register, text: str, field_name: str) -> Record:
    try:
        return register.resolve(text)
    except BadQuery as exc:
        message = exc.message
        if not message.startswith(field_name):
            message = f"{field_name}: {message}"
        raise type(exc)(message, suggestions=exc.suggestions) from None


def _query_schema() -> Schema:
    # How the parser tokenizes each field: text fields as the index does, every other
    # field keeps its value whole (ids, names, dates) for the resolver.
    # Text words are only split and lowercased here: _text_leaf analyses them per language.
    whole = TEXT(analyzer=IDTokenizer())
    words = TEXT(analyzer=RegexTokenizer(TOKEN_RE) | LowercaseFilter())
    fields = {name: words for name in (*TEXT_FIELDS, EXACT_FIELD)}
    fields |= {name: whole for name in QUERY_FIELDS if name not in fields}
    return Schema(**fields)


class QueryParser:
    """Parses query strings for one set of registers. Cheap to call; build it once."""

    def __init__(
        self,
        registers: Registers,
        limits: SearchLimits | None = None,
        synonyms: Synonyms | None = None,
    ) -> None:
        self.resolver = ValueResolver(registers)
        self.limits = limits or SearchLimits()
        self.synonyms = synonyms if synonyms is not None else shipped()
        self.parser = MultifieldParser(list(TEXT_FIELDS), _query_schema())

    def languages(self, present: Iterable[str], picked: Iterable[str] = ()) -> tuple[str, ...]:
        """The languages a query's words are analysed in: those the reader picked (values
        of the `lang` filter: codes or names), else those `present` in the index; English
        first. (Names are always analysed neutrally: folded, unstemmed.)"""
        chosen = []
        for value in picked:
            try:
                chosen.append(self.resolver.resolve("lang", value).ids[0])
            except BadQuery:
                continue  # the filter itself reports it, naming the parameter
        codes = dict.fromkeys(language_code(c) for c in (chosen or list(present)))
        ordered = sorted(codes, key=lambda c: (c != DEFAULT_LANGUAGE, c))
        return tuple(ordered or [DEFAULT_LANGUAGE])

    def parse(
        self, text: str, languages: Iterable[str] | None = None, exact: bool = False
    ) -> ParsedQuery:
        """Parse `text`, its words analysed in `languages` (codes; English when None: see
        `languages()`), spelt as typed when `exact`; BadQuery says what is wrong in words a
        reader understands."""
        text = (text or "").strip()
        langs = tuple(dict.fromkeys(languages or (DEFAULT_LANGUAGE,)))
        if not text or text == "*":
            return ParsedQuery(text, wq.Every(), languages=langs)
        if len(text) > MAX_QUERY_CHARS:
            raise BadQuery(f"the query is longer than {MAX_QUERY_CHARS} characters")
        _check_syntax(text)
        rewritten, origin = _minus_to_not(text)
        if not exact:
            rewritten, origin = self._quote_entries(rewritten, origin, langs)
        try:
            parsed = whoosh_tree(rewritten, self.parser, TEXT_FIELDS, _WHOLE_FIELDS)
            if parsed is None:  # not one of the common shapes: Whoosh's parser reads it
                parsed = self.parser.parse(rewritten)
        except ArchiveError:
            raise
        except Exception as exc:  # Whoosh's parser raises assorted errors on odd input
            raise BadQuery(f"cannot parse the query: {exc}") from None
        result = ParsedQuery(text, wq.NullQuery, languages=langs, exact=exact)
        result.query = self._rewrite(parsed, result, negated=False)
        if result.query is wq.NullQuery or isinstance(result.query, type(wq.NullQuery)):
            raise BadQuery(
                "the query has no words to search for (words such as 'the' or 'of' are "
                "too common to be indexed)"
            )

        # Whoosh's positions can run past the text (`minetitle:""` gives a word at 11-20
        # of 12 characters): a position that is not in the text is no position.
        def where(position: int | None) -> int | None:
            return origin[position] if position is not None and position < len(origin) else None

        result.words = [(f, w, where(a), where(b)) for f, w, a, b in result.words]
        if _count_clauses(result.query) > MAX_CLAUSES:
            raise QueryTooCostly(f"the query has more than {MAX_CLAUSES} terms")
        self._check_cost(result.query)
        return result

    def _quote_entries(
        self, text: str, origin: list[int], langs: tuple[str, ...]
    ) -> tuple[str, list[int]]:
        """Put quotes around a run of plain words that is an entry of several words in the
        synonym list (`unexploded ordnance`, `anti-personnel mine`): Whoosh would split it
        into separate words before the list could see it. The run is then a phrase, which
        is what it names. Words after NOT, fielded words and operators are left alone."""
        longest = self.synonyms.longest(langs)
        if longest < 2:
            return text, origin
        chunks: list[tuple[int, int, list[str]]] = []  # start, end, words of plain chunks
        runs: list[list[tuple[int, int, list[str]]]] = []
        in_quote = False
        previous = ""
        for match in re.finditer(r'"|[^\s"]+', text):
            token = match.group()
            if token == '"':
                in_quote = not in_quote
                runs.append(chunks)
                chunks = []
                continue
            plain = (
                not in_quote
                and previous != "NOT"
                and token not in ("AND", "OR", "NOT")
                and re.fullmatch(r"\w[\w.'’-]*", token) is not None
            )
            previous = token
            if plain:
                chunks.append((match.start(), match.end(), TOKEN_RE.findall(lower(token))))
            else:
                runs.append(chunks)
                chunks = []
        runs.append(chunks)
        spans: list[tuple[int, int]] = []
        for run in runs:
            i = 0
            while i < len(run):
                found = None
                # An entry has at most `longest` indexed words (and as many stop words, at
                # most, between them): no longer window is worth analysing, which keeps a
                # query of 200 words cheap.
                for j in range(min(len(run), i + 2 * longest), i, -1):
                    words = [w for c in run[i:j] for w in c[2]]
                    if (
                        2 <= len(words) <= 2 * longest
                        and _kept_everywhere(words[0], langs)
                        and _kept_everywhere(words[-1], langs)
                        and self.synonyms.is_entry(langs, words)
                    ):
                        found = j
                        break
                if found is None:
                    i += 1
                    continue
                spans.append((run[i][0], run[found - 1][1]))
                i = found
        if not spans:
            return text, origin
        out, where, last = [], [], 0
        for start, end in spans:
            out += [text[last:start], '"', text[start:end], '"']
            where += [*origin[last:start], origin[start], *origin[start:end], origin[end]]
            last = end
        out.append(text[last:])
        where += origin[last:]
        return "".join(out), where

    def _check_cost(self, q: wq.Query) -> None:
        """Refuse, before anything is read, what would cost too much however small the
        index: phrases with words too far apart, too many wildcards (each may look at
        every word of the index to find its own; one typed without a field is three, one
        per text field, but counts as the one the reader wrote)."""
        wildcards: dict[str, int] = {}
        for leaf in _leaves(q):
            if isinstance(leaf, wq.Phrase) and leaf.slop > self.limits.max_slop:
                raise QueryTooCostly(
                    f"a phrase with ~{leaf.slop} lets its words be {leaf.slop:,} words "
                    f'apart: at most {self.limits.max_slop} ("..."~{self.limits.max_slop})'
                )
            if isinstance(leaf, wq.MultiTerm):
                wildcards[leaf.fieldname] = wildcards.get(leaf.fieldname, 0) + 1
        written = max(wildcards.values(), default=0)
        if written > self.limits.max_wildcards:
            raise QueryTooCostly(
                f"the query has {written} words with wildcards (* or ?): "
                f"at most {self.limits.max_wildcards}"
            )

    def _rewrite(self, q: wq.Query, out: ParsedQuery, negated: bool) -> wq.Query:
        error = getattr(q, "error", None)
        if error is not None:
            if isinstance(error, ArchiveError):
                raise error
            raise BadQuery(f"cannot parse the query: {error}")
        if isinstance(q, (wq.Term, wq.Phrase)) or (
            isinstance(q, wq.MultiTerm) and not isinstance(q, wq.TermRange)
        ):
            return self._leaf(q, out, negated)
        if isinstance(q, wq.TermRange):
            return self._range(q)
        if isinstance(q, wq.Not):
            return wq.Not(self._rewrite(q.query, out, not negated))
        if isinstance(q, wq.AndNot):
            return wq.AndNot(self._rewrite(q.a, out, negated), self._rewrite(q.b, out, not negated))
        if isinstance(q, (wq.Require, wq.AndMaybe)):
            return type(q)(self._rewrite(q.a, out, negated), self._rewrite(q.b, out, negated))
        if isinstance(q, wq.CompoundQuery):
            subs = [self._rewrite(s, out, negated) for s in q.subqueries]
            subs = [s for s in subs if s is not wq.NullQuery]
            if not subs:
                return wq.NullQuery
            return subs[0] if len(subs) == 1 else type(q)(subs)
        if isinstance(q, wq.Every) or q is wq.NullQuery:
            return q
        raise BadQuery(f"this kind of query is not supported: {q}")

    def _leaf(self, q: wq.Query, out: ParsedQuery, negated: bool) -> wq.Query:
        fieldname = q.field()
        if fieldname not in QUERY_FIELDS:
            raise BadQuery(_unknown_field_message(fieldname))
        if fieldname == EXACT_FIELD:
            subs = [self._text_leaf(q, f, out, negated, exact=True) for f in TEXT_FIELDS]
            subs = [s for s in subs if s is not wq.NullQuery]
            return wq.Or(subs) if len(subs) > 1 else (subs[0] if subs else wq.NullQuery)
        if fieldname in TEXT_FIELDS:
            return self._text_leaf(q, fieldname, out, negated, exact=out.exact)
        if isinstance(q, wq.MultiTerm):
            raise BadQuery(f"{fieldname}: wildcards work in the text, not in {fieldname} values")
        value = " ".join(q.words) if isinstance(q, wq.Phrase) else q.text
        if fieldname == "date":
            return self.resolver.date_span(value, value)
        resolved = self.resolver.resolve(fieldname, value)
        out.resolved.append(resolved)
        if not resolved.ids:  # a name no record bears: no document (a term none holds)
            return wq.Term(fieldname, "\0unknown")
        terms = [wq.Term(fieldname, i) for i in resolved.ids]
        return terms[0] if len(terms) == 1 else wq.Or(terms)

    def _text_leaf(
        self, q: wq.Query, fieldname: str, out: ParsedQuery, negated: bool, exact: bool
    ) -> wq.Query:
        """A word, phrase or wildcard of a text field as the index holds it: the OR of its
        analyses in the query's languages (one language's stop word is another's word)."""
        if isinstance(q, wq.MultiTerm):
            # Wildcards are folded, not stemmed: `demin*` is a beginning of words.
            pattern = lower(q.text) if exact else fold(lower(q.text))
            return type(q)(fieldname, pattern)
        if isinstance(q, wq.Term):
            where = (getattr(q, "startchar", None), getattr(q, "endchar", None))
            words = [lower(q.text)]
            # A stop word is no word to require of a text in a language that drops it:
            # `victims of mines` asked for "of" in the names, and in the Russian terms of
            # English texts, and found almost none of the texts that say it.
            stopped = [c for c in out.languages if not language(c).query_terms(words[0], False)]
            if len(stopped) == len(out.languages):
                return wq.NullQuery
        else:
            where = (None, None)
            words = [lower(w) for w in q.words]
            stopped = []
        # Names are analysed neutrally (folded, unstemmed), whatever the text's language,
        # and a name in another script also stands for its Latin letters (Мирзаев: mirzaev).
        names = fieldname == NAMES_FIELD
        keys = [latin_key(w).lower() for w in words] if names and len(words) == 1 else []
        alternatives: dict[tuple[str, ...], wq.Query] = {}
        for code in (NEUTRAL,) if names else out.languages:
            analysis = language(code)
            for one in [words, *([k] for k in keys if k)]:
                found = [analysis.query_terms(w, exact) for w in one]
                found = [t for t in found if t]
                if not found:
                    continue
                terms = tuple(t[0] for t in found)
                if terms in alternatives:
                    continue
                markers = [wq.Term(fieldname, t[1]) for t in found if len(t) > 1]
                if len(terms) == 1:
                    leaf: wq.Query = wq.Term(fieldname, terms[0])
                else:
                    slop = getattr(q, "slop", 1)
                    leaf = wq.Phrase(fieldname, list(terms), slop=slop)
                if markers:
                    leaf = wq.AndNot(leaf, markers[0] if len(markers) == 1 else wq.Or(markers))
                alternatives[terms] = leaf
                if not negated:
                    if len(terms) == 1:
                        out.words.append((fieldname, terms[0], *where))
                    else:
                        out.words.extend((fieldname, t, None, None) for t in terms)
            if not names and not exact:
                self._synonyms(code, fieldname, words, alternatives, out, negated)
        if not alternatives:
            return wq.NullQuery
        if not names:
            # ... but of a text in a language that keeps it: texts in the others pass.
            alternatives |= {("\0lang", c): wq.Term("lang", c) for c in stopped}
        leaves = list(alternatives.values())
        return leaves[0] if len(leaves) == 1 else wq.Or(leaves)

    def _synonyms(
        self,
        code: str,
        fieldname: str,
        words: list[str],
        alternatives: dict[tuple[str, ...], wq.Query],
        out: ParsedQuery,
        negated: bool,
    ) -> None:
        """Add the variants the synonym list gives for `words` in language `code` to a
        text leaf's `alternatives` (each entry a word or a phrase of this language)."""
        also = self.synonyms.also(code, analysed(code, " ".join(words)))
        for entry in also:
            terms = analysed(code, entry)
            if terms in alternatives:
                continue
            alternatives[terms] = (
                wq.Term(fieldname, terms[0])
                if len(terms) == 1
                else wq.Phrase(fieldname, list(terms), slop=1)
            )
            if not negated:
                out.variants.extend((fieldname, t) for t in terms)
        typed = " ".join(words)
        if also and not any(e.text == typed for e in out.expanded):
            out.expanded.append(Expansion(typed, also))

    def _range(self, q: wq.TermRange) -> wq.Query:
        fieldname = q.field()
        if fieldname == "date":
            return self.resolver.date_span(q.start, q.end)
        if fieldname == "year":
            start = self.resolver.date_span(q.start, None).start
            end = self.resolver.date_span(None, q.end).end
            return DateOverlap(start, end)
        if fieldname not in QUERY_FIELDS:
            raise BadQuery(_unknown_field_message(fieldname))
        raise BadQuery(f"{fieldname}: ranges work for date: and year: only")


def _kept_everywhere(word: str, langs: tuple[str, ...]) -> bool:
    """Whether no language of the query drops `word` (an entry's run starts and ends on a
    word, not on "the" or "in")."""
    return all(analysed(code, word) for code in langs)


def _count_clauses(q: wq.Query) -> int:
    return 1 + sum(_count_clauses(c) for c in q.children())


def _leaves(q: wq.Query) -> list[wq.Query]:
    children = list(q.children())
    return [q] if not children else [leaf for c in children for leaf in _leaves(c)]


def _unknown_field_message(name: str) -> str:
    close = difflib.get_close_matches(name.lower(), QUERY_FIELDS, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]}:?" if close else ""
    return (
        f"unknown field {name!r}.{hint} Fields: {', '.join(QUERY_FIELDS)}. "
        "To search for words containing a colon, put them in quotes."
    )


def _minus_to_not(text: str) -> tuple[str, list[int]]:
    """`-word` or `-"a phrase"` (a minus at the start or after a space or parenthesis, outside
    quotes) means NOT; a hyphen inside a word or an id (`apmbc-1997`) stays a hyphen.
    Returns the rewritten text and, for each of its characters, the position it came from
    in `text`, so that spelling suggestions can point into what the reader typed."""
    out: list[str] = []
    origin: list[int] = []
    in_quote = False
    for i, char in enumerate(text):
        if char == '"':
            in_quote = not in_quote
        elif (
            char == "-"
            and not in_quote
            and (i == 0 or text[i - 1] in " \t\n(")
            and i + 1 < len(text)
            and text[i + 1] not in " \t\n-"
        ):
            out.append("NOT ")
            origin.extend([i] * 4)
            continue
        out.append(char)
        origin.append(i)
    origin.append(len(text))
    return "".join(out), origin


def _check_syntax(text: str) -> None:
    """Refuse what Whoosh would silently drop or guess: unbalanced quotes, brackets and
    parentheses, and fields the archive does not have."""
    if text.count('"') % 2:
        raise BadQuery('the query has an unclosed quotation mark (")')
    outside = re.sub(r'"[^"]*"', " ", text)
    depth = 0
    for char in outside:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise BadQuery("the query closes a parenthesis that was never opened")
    if depth:
        raise BadQuery("the query has an unclosed parenthesis")
    if outside.count("[") != outside.count("]") or outside.count("{") != outside.count("}"):
        raise BadQuery("the query has an unbalanced range bracket: write date:[2020 TO 2021]")
    for match in _FIELD_RE.finditer(outside):
        name = match.group(1)
        if name not in QUERY_FIELDS:
            raise BadQuery(_unknown_field_message(name))
    stripped = outside.strip()
    if re.search(r"(?:^|\s)(?:AND|OR|NOT)\s*$", stripped) or re.match(r"^(?:AND|OR)\s", stripped):
        raise BadQuery("the query starts or ends with an operator (AND, OR, NOT)")
