"""The search page's facet checkboxes, written from fragments made once per value.

Tick a box to include a value (OR within a facet, AND across facets); the quiet ⊖ beside a
value leaves it out. An excluded value is not a ticked box (a tick means "only these"): it
is struck through, kept in the form by a hidden field, with a link to take the exclusion
back. The first values show; the rest wait behind "more" (no script needed). Treaties and
places are trees: a value's members are a list inside its item.

Why Python and not a Jinja macro: a results page lists ~200 values (30 per facet, the
treaties whole), and the macro that wrote them, ~15 template operations a value (attribute
lookups, the label escaped three times, the link built and escaped), was ~70% of the HTML
page's own time (~4-5 ms of 6-8 at 100,000 documents). Most of a value's markup is the same
on every page: its box, its label, the tail of its exclude link. That is made and escaped
once and remembered (`_value_markup`), keyed by what it is made of (the facet, the value
and its label), so a register that renames a record or a generation that adds a value only
adds keys and nothing shown can be stale. A page adds the count, the ticked state and the
link, whose search-dependent halves are escaped once per facet (`Urls.around`). The markup
is the macro's, byte for byte.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

from archive.search import EXCLUDE_PREFIX, FacetValue
from webui.urls import Urls, encoded_pair

# Values listed before the rest fold behind "N more".
SHOWN = 8


@lru_cache(maxsize=8192)
def _value_markup(name: str, value: str, label: str) -> tuple[str, str, str, str]:
    """A value's item up to its ticked state; from there to its count; its exclude pair
    (escaped, the middle of its link); and the rest of its exclude link. ~1 KB a value:
    at most ~8 MB for the values that pages show."""
    box_id = escape(f"f-{name}-{value}")
    label_html = escape(label)
    return (
        f'\n  <li>\n    <input type="checkbox" id="{box_id}" name="{escape(name)}"'
        f' value="{escape(value)}"',
        f'>\n      <label for="{box_id}">{label_html}</label>\n      <span class="count">',
        str(escape(encoded_pair((EXCLUDE_PREFIX + name, value)))),
        f'" title="Leave out {label_html}"><span class="visually-hidden">Exclude {label_html}'
        '</span><span aria-hidden="true">⊖</span></a>',
    )


def facet_html(name: str, values: list[FacetValue], urls: Urls, counted: bool = True) -> Markup:
    """The list of one facet's values as the search form shows them. `counted` is false on
    a refused search's page, whose values are the URL's, not counted."""
    excluding = EXCLUDE_PREFIX + name
    # Values the search names already: their links take a pair out, not add one.
    named = {value for key, value in urls.pairs if key in (name, excluding)}
    before, after = (str(escape(part)) for part in urls.around(excluding))
    out = ["\n<ul>"]

    def items(values: list[FacetValue], top: bool) -> None:
        for index, v in enumerate(values):
            if top and index == SHOWN:
                hidden = values[SHOWN:]
                unfolded = any(h.selected or h.excluded for h in hidden)
                out.append(
                    f"\n    <li>\n      <details{' open' if unfolded else ''}>"
                    f"\n        <summary>{len(hidden)} more</summary>\n        <ul>"
                )
            if v.excluded:
                out.append(_excluded(name, v, urls))
            else:
                start, middle, pair, end = _value_markup(name, v.value, v.label)
                if v.value in named:
                    link = str(escape(urls.toggle(name, v.value, exclude=True)))
                else:
                    link = before + pair + after
                count = f"{v.count:,}" if counted else ""
                out.append(
                    f"{start}{' checked' if v.selected else ''}{middle}{count}"
                    f'</span>\n      <a class="exclude" href="{link}{end}'
                )
            out.append("\n    ")
            if v.children:
                out.append("<ul>")
                items(v.children, False)
                out.append("</ul>")
            out.append("\n  </li>")
        if top and len(values) > SHOWN:
            out.append("\n        </ul>\n      </details>\n    </li>")

    items(values, True)
    out.append("\n</ul>")
    return Markup("".join(out))


def _excluded(name: str, v: FacetValue, urls: Urls) -> str:
    """An excluded value (a page has few): struck through, kept by a hidden field, with the
    link that includes it again."""
    label = escape(v.label)
    link = escape(urls.toggle(name, v.value, exclude=True))
    return (
        f'\n  <li class="excluded">\n    <input type="hidden" name="{escape(EXCLUDE_PREFIX + name)}"'
        f' value="{escape(v.value)}">\n      <span class="mark" aria-hidden="true">⊖</span>'
        f'\n      <span class="label"><s>{label}</s> <span class="tag">excluded</span></span>'
        f'\n      <span class="count"></span>\n      <a class="include" href="{link}">include'
        f'<span class="visually-hidden"> {label} again</span></a>'
    )
