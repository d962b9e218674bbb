"""Facet counts and lists (archive.search.facets, Snapshot.facet_counts): what the engine
counts in one pass over all facets and lists from remembered labels and parents is what a
plain count and a plain listing make, over many random sets of documents on real indexes.

The reference here counts each value's documents through Whoosh's own postings, and lists
values as facet_list did before it was made fast: an object for every value with a count,
labels and parents looked up in the registers each time, sorted with Python's sort."""

from __future__ import annotations

import random

import numpy as np
import pytest

from archive.config import Config
from archive.document import Registers
from archive.search import SearchEngine
from archive.search.facets import (
    HIERARCHIES,
    NESTED_OR_ORDERED,
    FacetLabels,
    FacetValue,
    facet_list,
)
from archive.search.query import value_label
from archive.search.snapshot import Snapshot


def _reference_counts(snap: Snapshot, docs: np.ndarray) -> dict[str, dict[str, int]]:
    """Documents of mask `docs` per value of each facet, value by value from the postings
    (values in their sorted order, as the facet's codes are)."""
    reader = snap.reader()
    counts = {}
    for name in snap.facets:
        found = {}
        for btext in reader.lexicon(name):
            ids = np.array(list(reader.postings(name, btext).all_ids()), dtype=np.int64)
            found[btext.decode("utf-8")] = int(np.count_nonzero(docs[ids])) if len(ids) else 0
        counts[name] = dict(sorted(found.items()))
    return counts


def _reference_list(
    name: str,
    counts: dict[str, int],
    registers: Registers,
    selected: tuple[str, ...],
    excluded: tuple[str, ...],
    limit: int | None,
) -> list[FacetValue]:
    found = {value: n for value, n in counts.items() if n}
    if limit is not None and name not in NESTED_OR_ORDERED and len(found) > limit:
        found = dict(sorted(found.items(), key=lambda vn: (-vn[1], vn[0]))[:limit])
    for value in (*selected, *excluded):
        found.setdefault(value, counts.get(value, 0))
    items = {
        value: FacetValue(
            value,
            value_label(registers, name, value),
            n,
            selected=value in selected,
            excluded=value in excluded,
        )
        for value, n in found.items()
    }
    kind = HIERARCHIES.get(name)
    top = list(items.values())
    if kind is not None:
        register = registers.by_kind(kind)
        top = []
        for value, item in items.items():
            parent = getattr(register.records.get(value), "parent", None)
            seen = {value}
            while parent is not None and parent not in items and parent not in seen:
                seen.add(parent)
                parent = getattr(register.records.get(parent), "parent", None)
            if parent is not None and parent in items:
                items[parent].children.append(item)
            else:
                top.append(item)
        rank = {tid: n for n, tid in enumerate(registers.treaties.records)}
        for item in items.values():
            if kind == "treaty":
                item.children.sort(key=lambda v: (rank.get(v.value, len(rank)), v.label.casefold()))
            else:
                item.children.sort(key=lambda v: (-v.count, v.label.casefold()))
    if name == "year":
        top.sort(key=lambda v: v.value, reverse=True)
    else:
        top.sort(key=lambda v: (-v.count, v.label.casefold()))
    if limit is not None and len(top) > limit:
        top = top[:limit] + [v for v in top[limit:] if v.selected or v.excluded]
    if name == "signatory":
        top.sort(key=lambda v: ((v.label.split() or [""])[-1].casefold(), v.label.casefold()))
    return top


def _random_sets(snap: Snapshot, rng: np.random.Generator) -> list[np.ndarray]:
    """Masks of live documents from none to all, and runs of neighbours."""
    sets = [np.zeros(snap.size, dtype=bool), snap.live.copy()]
    for share in (0.002, 0.01, 0.03, 0.05, 0.1, 0.3, 0.49, 0.51, 0.7, 0.95):
        for _ in range(3):
            sets.append((rng.random(snap.size) < share) & snap.live)
    for _ in range(4):
        start = int(rng.integers(snap.size))
        run = np.zeros(snap.size, dtype=bool)
        run[start : start + int(rng.integers(1, 40))] = True
        sets.append(run & snap.live)
    return sets


@pytest.fixture(params=["generated", "indexed_config"])
def facet_engine(request: pytest.FixtureRequest):
    """300 generated documents (two segments, a deleted one; the real treaty register), and
    the test corpus (the registers' hierarchy of places)."""
    config: Config = request.getfixturevalue(request.param)
    with SearchEngine(config) as engine:
        yield engine


def test_facet_counts_are_the_counts_of_each_value_s_postings(facet_engine: SearchEngine):
    rng = np.random.default_rng(3)
    with facet_engine._using() as snap:
        for docs in _random_sets(snap, rng):
            expected = _reference_counts(snap, docs)
            ids = np.flatnonzero(docs)
            for given in (docs, ids):
                every = snap.facet_counts(given)
                for name, arrays in snap.facets.items():
                    alone = snap.facet_counts(given, names=(name,))[name]
                    for counts in (every[name], alone):
                        assert (
                            dict(zip(arrays.values, counts.tolist(), strict=True))
                            == (expected[name])
                        ), (name, len(ids))


def test_facet_lists_are_the_plain_listing_of_the_counts(facet_engine: SearchEngine):
    rng = np.random.default_rng(8)
    pick = random.Random(8)
    registers = facet_engine.registers
    labels = FacetLabels(registers)
    with facet_engine._using() as snap:
        for docs in _random_sets(snap, rng):
            counts = snap.facet_counts(docs)
            for name, arrays in snap.facets.items():
                known = {v: int(n) for v, n in zip(arrays.values, counts[name], strict=True)}
                # Values selected or excluded: with a count, cut off, at zero, unknown.
                kind = HIERARCHIES.get(name, "treaty")
                pool = [*arrays.values, *registers.by_kind(kind).records, "no-such-value"]
                for limit in (None, 30, 3, 1):
                    selected = tuple(pick.sample(pool, pick.choice((0, 0, 1, 2))))
                    excluded = tuple(pick.sample(pool, pick.choice((0, 0, 1, 2))))
                    mine = facet_list(name, arrays, counts[name], labels, selected, excluded, limit)
                    plain = _reference_list(name, known, registers, selected, excluded, limit)
                    assert [v.to_dict() for v in mine] == [v.to_dict() for v in plain], (
                        name,
                        limit,
                        selected,
                        excluded,
                    )
