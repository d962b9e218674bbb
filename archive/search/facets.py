"""Facet values with counts, labels and state, as the result page shows them.

Counting itself is one `bincount` for all facets (archive.search.snapshot, FacetTable); this
module turns counts into `FacetValue` lists: labelled from the registers, ordered (most
documents first; years newest first; treaties and places as their hierarchy, groups holding
their members in the register's own order, so the Geneva Conventions read I, II, III, IV,
regions their towns; persons by surname), with the values the request selected or excluded
always present, even at zero. Objects are made only for the values shown, and what the
registers say of a value (its label, its parents) is looked up once (FacetLabels).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from archive.document import Registers
from archive.search.query import value_label
from archive.search.snapshot import FacetArrays

FACET_LIMIT = 30  # values shown per facet (selected and excluded ones always are)
NESTED_OR_ORDERED = ("treaty", "year")  # shown whole: a hierarchy, a time line
# Facets shown as the hierarchy of their register (the places cut to the top values first:
# a place counts under what it lies within, so those come first anyway).
HIERARCHIES = {"treaty": "treaty", "place": "place"}


class FacetLabels:
    """What showing a facet's values needs of the registers, looked up once and remembered:
    the values' display names, and where a treaty or place lies (its chain of parents)."""

    def __init__(self, registers: Registers) -> None:
        self.registers = registers
        self._labels: dict[str, dict[str, str]] = {}  # by facet, by value
        # A group's members in the order the register gives them (GC I, II, III, IV), not
        # by their names' letters ("First", "Fourth", "Second", "Third").
        self.treaty_rank = {tid: n for n, tid in enumerate(registers.treaties.records)}
        self._surname_keys: dict[str, tuple[str, str]] = {}
        self._parents: dict[tuple[str, str], tuple[str, ...]] = {}

    def labelled(self, facet: str) -> dict[str, str]:
        """The labels of `facet`'s values found so far, by value (`label` adds to it)."""
        found = self._labels.get(facet)
        if found is None:
            found = self._labels[facet] = {}
        return found

    def label(self, facet: str, value: str) -> str:
        labels = self.labelled(facet)
        found = labels.get(value)
        if found is None:
            found = labels[value] = value_label(self.registers, facet, value)
        return found

    def parents(self, kind: str, value: str) -> tuple[str, ...]:
        """The records `value` lies within in register `kind`, nearest first: its parent,
        that one's parent ... up to a record without one, or up to the first record met
        again (a cycle; it ends the chain)."""
        key = (kind, value)
        found = self._parents.get(key)
        if found is None:
            records = self.registers.by_kind(kind).records
            chain: list[str] = []
            seen = {value}
            parent = getattr(records.get(value), "parent", None)
            while parent is not None:
                chain.append(parent)
                if parent in seen:
                    break
                seen.add(parent)
                parent = getattr(records.get(parent), "parent", None)
            found = self._parents[key] = tuple(chain)
        return found

    def surname_key(self, label: str) -> tuple[str, str]:
        """How a list of persons is sorted: by surname, then the whole name. The registers
        record a person's name whole, not in parts, and every name they hold is written
        forename first ("Umud Mirzayev"), so the last word is the surname."""
        key = self._surname_keys.get(label)
        if key is None:
            words = label.split()
            key = self._surname_keys[label] = (
                (words[-1] if words else "").casefold(),
                label.casefold(),
            )
        return key


@dataclass
class FacetValue:
    """One value of a facet: `value` is what a filter takes (an id), `label` what a reader
    sees; `children` are a treaty group's members."""

    value: str
    label: str
    count: int
    selected: bool = False
    excluded: bool = False
    children: list[FacetValue] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "label": self.label,
            "count": self.count,
            "selected": self.selected,
            "excluded": self.excluded,
            "children": [c.to_dict() for c in self.children],
        }


def facet_list(
    name: str,
    arrays: FacetArrays,
    counts: np.ndarray,
    labels: FacetLabels,
    selected: tuple[str, ...] = (),
    excluded: tuple[str, ...] = (),
    limit: int | None = FACET_LIMIT,
) -> list[FacetValue]:
    """The values of facet `name` with a count above zero (plus any selected or excluded),
    ordered for display and cut to `limit` top-level values (None: all)."""
    codes = np.flatnonzero(counts)
    if limit is not None and name not in NESTED_OR_ORDERED and len(codes) > limit:
        # Only the top `limit` by count get labels and objects (a facet of persons may
        # have thousands of values); ties at the cut go to the lower id.
        order = np.lexsort((codes, -counts[codes]))
        codes = codes[order[:limit]]
    values = arrays.values
    known = labels.labelled(name)
    items = {}
    for code, n in zip(codes.tolist(), counts[codes].tolist(), strict=True):
        value = values[code]
        label = known.get(value)
        if label is None:
            label = labels.label(name, value)
        items[value] = FacetValue(value, label, n)
    for value in (*selected, *excluded):
        item = items.get(value)
        if item is None:
            at = arrays.index.get(value)
            n = 0 if at is None else int(counts[at])
            item = items[value] = FacetValue(value, labels.label(name, value), n)
        item.selected = value in selected
        item.excluded = value in excluded
    hierarchy = HIERARCHIES.get(name)
    top = _tree(items, labels, hierarchy) if hierarchy else list(items.values())
    if name == "year":
        top.sort(key=_by_value, reverse=True)
    else:
        top.sort(key=_by_count)
    if limit is not None and len(top) > limit:
        keep = top[:limit]
        keep += [v for v in top[limit:] if v.selected or v.excluded]
        top = keep
    if name == "signatory":
        # The most frequent signers were kept above; a reader looks them up by surname.
        top.sort(key=lambda v: labels.surname_key(v.label))
    return top


def _by_value(v: FacetValue) -> str:
    return v.value


def _by_count(v: FacetValue) -> tuple[int, str]:
    return -v.count, v.label.casefold()


def _tree(items: dict[str, FacetValue], labels: FacetLabels, kind: str) -> list[FacetValue]:
    """Nest each value under the nearest record it lies within that is among the values
    (a treaty under its group or parent, a town under its region or country). A group's
    members keep the register's own order (the Geneva Conventions read I, II, III, IV); a
    region's places go by count, as the facet's top level does."""
    top = []
    for value, item in items.items():
        for parent in labels.parents(kind, value):
            if parent in items:
                items[parent].children.append(item)
                break
        else:
            top.append(item)
    if kind == "treaty":
        rank = labels.treaty_rank
        last = len(rank)
        for item in items.values():
            if len(item.children) > 1:
                item.children.sort(key=lambda v: (rank.get(v.value, last), v.label.casefold()))
    else:
        for item in items.values():
            if len(item.children) > 1:
                item.children.sort(key=_by_count)
    return top
