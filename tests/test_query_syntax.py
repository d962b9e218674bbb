"""archive.search.syntax reads the common query shapes into exactly the tree Whoosh's parser
makes (the same classes, fields, words, boosts, slops and character ranges), and leaves
every other shape to Whoosh; a parse through it equals one through Whoosh alone."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.document import Registers
from archive.search import query as query_module
from archive.search.index import TEXT_FIELDS
from archive.search.query import _WHOLE_FIELDS, QueryParser, _minus_to_not
from archive.search.syntax import whoosh_tree
from bench.run import make_queries
from tests.conftest import FIXTURE_CORPUS
from tests.test_fuzz import queries as fuzzed_queries

TESTS = Path(__file__).parent
SHAPES = [
    "mine",
    "mine maps",
    "mine  maps ",
    "mine AND maps",
    "a AND b AND c",
    '"mine maps"',
    '"mine maps" "of mined areas"',
    'x AND "a b"',
    '"a b" AND x',
    '"a"',
    '""',
    '"the"',
    "anti-personnel",
    "l'homme",
    "o'neil",
    "u.n. peace",
    "a.b",
    "x/y",
    "mine. maps, mines;",
    "...",
    "-",
    "’s",
    "Ärger мины ٣ ²",
    "mine\u00a0maps\tmines",
    "mine mine Mine",
    "AND",
    "mine AND",
    "treaty:gc-1949 mine",
    'treaty:"Ottawa Treaty"',
    'treaty:"a"',
    'signatory:"Foo Bar" x',
    'article:"49 GC IV"',
    "type:letter",
    "lang:fr mine",
    "id:doc-1",
    "date:[2020-01 TO 2021-02]",
    "year:[2020 TO 2021]",
    "date:[2020 TO 2021] date:[2019 TO 2020]",
    "date:[2020 TO 2021] mine AND maps",
    # Shapes left to Whoosh:
    '"a\nb"',
    '"a b"x',
    'x"a b"',
    '"a b"~3',
    "mine^2",
    "mine OR maps",
    "NOT mine",
    "(mine maps)",
    "mine*",
    "m?ne",
    "'mine maps'",
    "treaty: gc-1949",
    "title:mine",
    "AND AND",
    "a AND AND b",
    "date:[2020 TO]",
    "date:{2020 TO 2021}",
]


def described(q: Any) -> tuple:
    """A query tree as plain values: each node's class and every attribute (character
    ranges included, which Whoosh's equality leaves out), with its children."""
    own = sorted(
        (k, repr(v)) for k, v in vars(q).items() if k not in ("subqueries", "a", "b", "query")
    )
    return (type(q).__name__, own, [described(c) for c in q.children()])


@pytest.fixture(scope="module")
def parser() -> QueryParser:
    return QueryParser(Registers.load(FIXTURE_CORPUS / "authority"))


def fast_and_whoosh(parser: QueryParser, text: str) -> tuple[Any, Any]:
    fast = whoosh_tree(text, parser.parser, TEXT_FIELDS, _WHOLE_FIELDS)
    try:
        whoosh = parser.parser.parse(text)
    except Exception as exc:  # compared: the fast path must then decline
        whoosh = exc
    return fast, whoosh


def assert_same_tree(parser: QueryParser, text: str) -> bool:
    """The fast tree equals Whoosh's where there is one; whether there was one."""
    fast, whoosh = fast_and_whoosh(parser, text)
    if fast is None:
        return False
    assert not isinstance(whoosh, Exception), (text, whoosh)
    assert described(fast) == described(whoosh), text
    return True


def suite_queries() -> list[str]:
    """Query strings the test suite searches for (`q=...`, `.parse("...")`)."""
    found = set()
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            values = [kw.value for kw in node.keywords if kw.arg == "q"]
            if isinstance(node.func, ast.Attribute) and node.func.attr == "parse":
                values += node.args[:1]
            found |= {v.value for v in values if isinstance(v, ast.Constant)}
    return sorted(v for v in found if isinstance(v, str))


def bench_queries() -> list[str]:
    texts = make_queries(FIXTURE_CORPUS, 42, 40)
    return [t for kind in texts.values() for t in kind]


def test_the_common_shapes_give_whoosh_s_tree_and_the_rest_are_left_to_it(parser):
    read = [text for text in SHAPES if assert_same_tree(parser, text)]
    left = SHAPES[SHAPES.index('"a\nb"') :]
    assert read == [s for s in SHAPES if s not in left]


def test_the_benchmark_s_queries_are_read_as_whoosh_reads_them(parser):
    texts = [t for t in bench_queries() if t]
    assert len(texts) > 150
    read = sum(assert_same_tree(parser, t) for t in texts)
    assert read == len(texts)  # every shape the benchmark asks is a common one


def test_the_test_suite_s_queries_are_read_as_whoosh_reads_them(parser):
    texts = suite_queries()
    assert len(texts) > 20
    read = sum(assert_same_tree(parser, _minus_to_not(t)[0]) for t in texts)
    assert read > len(texts) // 2


_PIECES = ["mine", "maps", "Mine", "AND", "OR", "NOT", "TO", "and", "the", "a-b", "l'x", "'x",
           "x'", "’", ".", ",", "/", "-", "٣", "мины", "ﬁre", "x" * 40, '"', '"a b"', '"a"',
           '""', "treaty:", "treaty:gc-1949", 'treaty:"Ottawa Treaty"', "date:", "year:",
           "[2020 TO 2021]", "date:[2020-01 TO 2021-02]", "(", ")", "*", "?", "~2", "^2", ":",
           "[", "]", "title:", "exact:", "unknown:"]  # fmt: skip
_atoms = st.one_of(st.sampled_from(_PIECES), st.text(min_size=1, max_size=6))
_texts = st.one_of(
    st.lists(_atoms, max_size=10).map(" ".join),
    st.lists(_atoms, max_size=10).map("".join),
    st.tuples(st.lists(_atoms, max_size=6), st.sampled_from([" ", "  ", "\t", "\n", "\u00a0"])).map(
        lambda parts: parts[1].join(parts[0])
    ),
    fuzzed_queries,
)


@settings(
    max_examples=1500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=_texts)
def test_generated_queries_give_whoosh_s_tree_or_are_left_to_it(parser, text):
    assert_same_tree(parser, text)


@pytest.mark.parametrize("exact", [False, True])
def test_a_parse_through_the_fast_path_equals_one_through_whoosh_alone(parser, monkeypatch, exact):
    """The whole ParsedQuery: the tree after the archive's rewriting (languages,
    synonyms, registers), the words and where they stand, the values resolved."""
    texts = [t for t in [*bench_queries(), *suite_queries(), *SHAPES] if t]
    languages = ("en", "ru", "de", "fr")

    def parse_all() -> list[Any]:
        out = []
        for text in texts:
            try:
                parsed = parser.parse(text, languages, exact=exact)
            except Exception as exc:  # the same refusal either way
                out.append((type(exc).__name__, str(exc)))
                continue
            out.append(
                (
                    described(parsed.query),
                    parsed.words,
                    parsed.resolved,
                    parsed.variants,
                    parsed.expanded,
                )
            )
        return out

    fast = parse_all()
    monkeypatch.setattr(query_module, "whoosh_tree", lambda *args: None)
    assert parse_all() == fast
