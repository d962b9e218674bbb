"""Facet values with counts, labels and state, as the result page shows them.

Counting itself is one `bincount` per facet (archive.search.snapshot); this module turns counts
into `FacetValue` lists: labelled from the registers, ordered (most documents first; years
newest first; treaties and places as their hierarchy, groups holding their members in the
register's own order, so the Geneva Conventions read I, II, III, IV, regions their towns;
persons by surname), with the values
the request selected or excluded always present, even at zero.
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
    """Display names of facet values, looked up in the registers once and remembered."""

    def __init__(self, registers: Registers) -> None:
        self.registers = registers
        self._labels: dict[tuple[str, str], str] = {}
        # A group's members in the order the register gives them (GC I, II, III, IV), not
        # by their names' letters ("First", "Fourth", "Second", "Third").
        self.treaty_rank = {tid: n for n, tid in enumerate(registers.treaties.records)}
        self._surname_keys: dict[str, tuple[str, str]] = {}

    def label(self, facet: str, value: str) -> str:
        key = (facet, value)
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = value_label(self.registers, facet, value)
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
    found = {arrays.values[i]: int(counts[i]) for i in codes.tolist()}
    for value in (*selected, *excluded):
        found.setdefault(value, int(counts[arrays.index[value]]) if value in arrays.index else 0)
    items = {
        value: FacetValue(
            value,
            labels.label(name, value),
            count,
            selected=value in selected,
            excluded=value in excluded,
        )
        for value, count in found.items()
    }
    hierarchy = HIERARCHIES.get(name)
    top = _tree(items, labels, hierarchy) if hierarchy else list(items.values())
    if name == "year":
        top.sort(key=lambda v: v.value, reverse=True)
    else:
        top.sort(key=lambda v: (-v.count, v.label.casefold()))
    if limit is not None and len(top) > limit:
        keep = top[:limit]
        keep += [v for v in top[limit:] if v.selected or v.excluded]
        top = keep
    if name == "signatory":
        # The most frequent signers were kept above; a reader looks them up by surname.
        top.sort(key=lambda v: labels.surname_key(v.label))
    return top


def _tree(items: dict[str, FacetValue], labels: FacetLabels, kind: str) -> list[FacetValue]:
    """Nest each value under the nearest record it lies within that is among the values
    (a treaty under its group or parent, a town under its region or country). A group's
    members keep the register's own order (the Geneva Conventions read I, II, III, IV); a
    region's places go by count, as the facet's top level does."""
    register = labels.registers.by_kind(kind)
    top = []
    for value, item in items.items():
        record = register.records.get(value)
        parent = getattr(record, "parent", None)
        seen = {value}
        while parent is not None and parent not in items and parent not in seen:
            seen.add(parent)
            parent = getattr(register.records.get(parent), "parent", None)
        if parent is not None and parent in items:
            items[parent].children.append(item)
        else:
            top.append(item)
    rank = labels.treaty_rank if kind == "treaty" else None
    for item in items.values():
        if rank is not None:
            item.children.sort(key=lambda v: (rank.get(v.value, len(rank)), v.label.casefold()))
        else:
            item.children.sort(key=lambda v: (-v.count, v.label.casefold()))
    return top
