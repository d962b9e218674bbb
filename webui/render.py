"""TEI to HTML for reading: the text with every marked name, treaty, date and figure linked
or explained, and the words of a search highlighted.

Built element by element with escaping of every text and attribute value; nothing from a
document reaches the page unescaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lxml import etree
from markupsafe import Markup, escape

from archive.document import NS, TEI_NS, DateSpan, Registers, date_span, split_refs
from archive.search import TOKEN_RE, QueryTerms

# (kind, id) -> URL of its page, or None when there is none.
UrlFor = Callable[[str, str], str | None]


def _local(element: etree._Element) -> str:
    return element.tag[len(TEI_NS) + 2 :] if element.tag.startswith(f"{{{TEI_NS}}}") else ""


def _first_of(element: etree._Element, names: tuple[str, ...]) -> etree._Element | None:
    for name in names:
        found = element.find(f"t:{name}", NS)
        if found is not None:
            return found
    return None


class Renderer:
    """Renders TEI prose (a body, an abstract) to HTML."""

    def __init__(self, registers: Registers, url_for: UrlFor, stems: Iterable[str] = ()) -> None:
        self.registers = registers
        self.url_for = url_for
        # The search's terms in the languages it was analysed in (engine.query_stems).
        self.stems = stems if isinstance(stems, QueryTerms) else QueryTerms(stems)

    # -- text -----------------------------------------------------------------------

    def _text(self, text: str | None) -> Markup:
        """Escaped text, with the words of the search marked: a word is marked when its stem
        is one the search matched, in any language the search was analysed in, as in the
        result snippets."""
        if not text:
            return Markup("")
        if not self.stems:
            return escape(text)
        out, last = [], 0
        for match in TOKEN_RE.finditer(text):
            if self.stems.matches(match.group(0)):
                out.append(escape(text[last : match.start()]))
                out.append(Markup("<mark>") + escape(match.group(0)) + Markup("</mark>"))
                last = match.end()
        out.append(escape(text[last:]))
        return Markup("").join(out)

    def _children(self, element: etree._Element) -> Markup:
        parts = [self._text(element.text)]
        for child in element:
            if isinstance(child.tag, str):
                parts.append(self.element(child))
            parts.append(self._text(child.tail))
        return Markup("").join(parts)

    # -- elements -------------------------------------------------------------------

    def element(self, el: etree._Element) -> Markup:
        name = _local(el)
        handler = getattr(self, f"_{name}", None)
        if handler is not None:
            return handler(el)
        return self._children(el)

    def _wrap(self, tag: str, el: etree._Element, **attrs: str | None) -> Markup:
        rendered = "".join(
            f' {k.rstrip("_").replace("_", "-")}="{escape(v)}"' for k, v in attrs.items() if v
        )
        return Markup(f"<{tag}{rendered}>") + self._children(el) + Markup(f"</{tag}>")

    def _div(self, el):  # type: ignore[no-untyped-def]
        # A section is a part with a heading; a TEI div without a head is a plain division
        # (an unnamed section is what the Nu HTML Checker warns about).
        headed = any(_local(child) == "head" for child in el if isinstance(child.tag, str))
        tag = "section" if headed else "div"
        return self._wrap(tag, el, class_=f"tei-div {el.get('type') or ''}".strip())

    def _head(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("h3", el)

    def _p(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("p", el)

    def _quote(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("blockquote", el)

    def _list(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("ul", el)

    def _item(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("li", el)

    def _opener(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("div", el, class_="opener")

    def _closer(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("div", el, class_="closer")

    def _salute(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("p", el, class_="salute")

    def _signed(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("p", el, class_="signed")

    def _dateline(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("p", el, class_="dateline")

    def _lb(self, el):  # type: ignore[no-untyped-def]
        return Markup("<br>")

    def _hi(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("em", el)

    _emph = _hi

    def _foreign(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("i", el, lang=el.get("{http://www.w3.org/XML/1998/namespace}lang"))

    def _title(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("cite", el)

    def _q(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("q", el)

    def _gap(self, el):  # type: ignore[no-untyped-def]
        return Markup('<span class="gap" title="text not held by the archive">[…]</span>')

    def _note(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("small", el, class_="note")

    def _choice(self, el):  # type: ignore[no-untyped-def]
        kept = _first_of(el, ("sic", "orig", "abbr"))
        other = _first_of(el, ("corr", "reg", "expan"))
        if kept is None:
            return self._children(el)
        label = {"corr": "sic; corrected", "reg": "regularised", "expan": "expanded"}
        hint = (
            f"{label[_local(other)]}: {' '.join(''.join(other.itertext()).split())}"
            if other is not None
            else None
        )
        return self._wrap("span", kept, class_="sic", title=hint)

    def _roleName(self, el):  # type: ignore[no-untyped-def]
        return self._wrap("span", el, class_="role")

    def _measure(self, el):  # type: ignore[no-untyped-def]
        parts = [el.get("quantity"), el.get("unit"), el.get("commodity")]
        return self._wrap(
            "span", el, class_="measure", title=" ".join(p for p in parts if p) or None
        )

    def _date(self, el):  # type: ignore[no-untyped-def]
        span: DateSpan = date_span(el)
        machine = span.when or span.from_ or span.not_before or span.to or span.not_after
        # <time> without a datetime must hold a machine-readable date itself (HTML): a
        # date the text gives without one is marked as a plain span.
        tag = "time" if machine else "span"
        return self._wrap(tag, el, class_="date", datetime=machine, title=span.label())

    def _linked(self, el: etree._Element, kind: str, css: str, attribute: str = "ref") -> Markup:
        refs = [(k, i) for k, i in split_refs(el.get(attribute)) if k == kind]
        if not refs:
            return self._wrap("span", el, class_=css)
        ref_kind, ref_id = refs[0]
        url = self.url_for(ref_kind, ref_id)
        title = self.registers.label(ref_kind, ref_id) if ref_kind != "doc" else None
        if el.get("n") and ref_kind == "treaty":
            title = f"Article {el.get('n')}, {title}"
        if url is None:
            return self._wrap("span", el, class_=css, title=title)
        return self._wrap("a", el, class_=css, href=url, title=title)

    def _persName(self, el):  # type: ignore[no-untyped-def]
        return self._linked(el, "person", "person")

    def _orgName(self, el):  # type: ignore[no-untyped-def]
        return self._linked(el, "org", "org")

    def _placeName(self, el):  # type: ignore[no-untyped-def]
        return self._linked(el, "place", "place")

    def _rs(self, el):  # type: ignore[no-untyped-def]
        if el.get("type") == "treaty":
            return self._linked(el, "treaty", "treaty")
        return self._wrap("span", el, class_=el.get("type"))

    def _ref(self, el):  # type: ignore[no-untyped-def]
        target = el.get("target") or ""
        if target.startswith(("http://", "https://")):
            return self._wrap("a", el, class_="external", href=target, rel="noopener noreferrer")
        return self._linked(el, "doc", "doc", attribute="target")


def render_prose(
    tree: etree._ElementTree, registers: Registers, url_for: UrlFor, stems: Iterable[str] = ()
) -> Markup:
    """The document's text as HTML (for a catalogue record: its abstract)."""
    root = tree.getroot()
    renderer = Renderer(registers, url_for, stems)
    body = root.find("t:text/t:body", NS)
    if (
        root.find("t:text", NS) is not None
        and root.find("t:text", NS).get("type") == "catalogue-record"
    ):
        body = root.find("t:teiHeader/t:profileDesc/t:abstract", NS)
    if body is None:
        return Markup("")
    return renderer._children(body)
