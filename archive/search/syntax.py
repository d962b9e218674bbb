"""The query string's common shapes read without Whoosh's plugin chain, into the same tree.

Whoosh's query parser tags the string by trying each of its plugins' patterns at every
character, then runs each plugin's filter over the tagged nodes: ~0.3 ms a query, half of
parsing and about what tantivy takes for a whole plain search (docs/performance.md). Most
queries are a few words, quoted phrases, `field:value` and `date:[.. TO ..]` joined by
spaces or AND. `whoosh_tree` reads those shapes itself into the syntax nodes that Whoosh's
tagging and filters would have made (the same node classes, with the same fields and
character ranges) and leaves the rest to Whoosh as before: the nodes' `query()` (each
word's tokens, field by field) and `normalize()` are Whoosh's own. Anything else (OR, NOT,
parentheses, wildcards, boosts, slop, single quotes, a field before a space ...) is None:
the caller asks Whoosh's parser. tests/test_query_syntax.py compares the two trees over the
benchmark's queries, the test suite's and generated ones.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

from whoosh import query as wq
from whoosh.qparser import syntax
from whoosh.qparser.plugins import PhrasePlugin

# A word Whoosh tags as one word: characters none of its taggers starts on (wildcards, a
# field's colon, quotes, brackets, parentheses, boosts), an apostrophe only after a letter
# (Whoosh's single quotes start after anything else).
_WORD = re.compile(r"(?:[\w.,;’/-]|(?<=\w)')+")
_FIELD = re.compile(r"([a-z]+):")
_RANGE = re.compile(r"\[(\d[\d-]*)\s+TO\s+(\d[\d-]*)\]")
# Words Whoosh's operators plugin may take for an operator (AND is read here).
_OPERATORS = frozenset({"OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE"})


def whoosh_tree(text: str, parser: Any, fields: Sequence[str], fielded: Sequence[str]) -> Any:
    """What `parser.parse(text)` returns (a Whoosh `MultifieldParser` over `fields`, with
    its default plugins), for a `text` of the common shapes: words, "phrases", and values
    of the `fielded` fields (`treaty:gc-1949`, `treaty:"Ottawa Treaty"`, `date:[2020 TO
    2021]`), separated by spaces or AND. None for any other text."""
    nodes = _nodes(text, fielded)
    if nodes is None:
        return None
    for i, node in enumerate(nodes):
        if node.fieldname is None:  # MultifieldPlugin: one copy of the node per field
            copies = []
            for name in fields:
                each = copy.copy(node)
                each.set_fieldname(name)
                each.set_boost(1.0)
                copies.append(each)
            nodes[i] = syntax.OrGroup(copies)
    q = syntax.AndGroup(nodes).query(parser)
    return (q or wq.NullQuery).normalize()


def _nodes(text: str, fielded: Sequence[str]) -> list[Any] | None:
    """The syntax nodes of `text`, each with its character range, fieldname where one
    was given; None where the text has any other shape."""
    nodes: list[Any] = []
    pos, size = 0, len(text)
    joined = False  # an AND was read since the last node
    while True:
        while pos < size and text[pos].isspace():
            pos += 1
        if pos >= size:
            break
        start = pos
        while pos < size and not text[pos].isspace() and text[pos] != '"':
            pos += 1
        token = text[start:pos]
        if token == "AND" and pos < size and text[pos] != '"':
            # Whoosh's AND joins the nodes on either side: as the spaces do, once its
            # And of Ands is normalised.
            if not nodes or joined:
                return None
            joined = True
            continue
        if token in _OPERATORS:
            return None
        fieldname = None
        if token:
            match = _FIELD.match(token)
            if match is not None and match.group(1) in fielded:
                fieldname = match.group(1)
                token = token[match.end() :]
                start += match.end()
            if token.startswith("[") and fieldname is not None:
                found = _RANGE.match(text, start)
                if found is None or not _ends(text, found.end()):
                    return None
                node = syntax.RangeNode(found.group(1), found.group(2), False, False)
                node.set_range(found.start(), found.end())
                pos = found.end()
            elif token:
                if pos < size and text[pos] == '"':
                    return None  # a word running into a quote
                if _WORD.fullmatch(token) is None:
                    return None
                node = syntax.WordNode(token)
                node.startchar, node.endchar = start, pos
            else:
                node = None
        else:
            node = None
        if node is None:  # a phrase: a quote at `pos`, after a space or a field
            if pos >= size or text[pos] != '"':
                return None
            close = text.find('"', pos + 1)
            # Whoosh's phrase pattern (`"(.*?)"`) does not run over a line's end.
            if close < 0 or "\n" in text[pos:close] or not _ends(text, close + 1):
                return None
            node = PhrasePlugin.PhraseNode(text[pos + 1 : close], pos + 1, 1)
            node.set_range(pos, close + 1)
            pos = close + 1
        if fieldname is not None:
            node.set_fieldname(fieldname)
        nodes.append(node)
        joined = False
    if joined or not nodes:
        return None
    return nodes


def _ends(text: str, at: int) -> bool:
    """Whether a node ending at `at` is followed by a space or the end (not by a slop,
    a boost, or more text Whoosh would join to it)."""
    return at >= len(text) or text[at].isspace()
