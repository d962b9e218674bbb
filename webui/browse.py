"""Browse pages: each register as a list with document counts, and each record with what the
archive knows of it and the documents that cite, sign, name or concern it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for

from archive.document import Organisation, Person, Place, Record, Treaty
from archive.errors import BadQuery
from archive.search import SearchRequest, SearchResult
from webui.context import archive
from webui.negotiation import respond
from webui.urls import Urls

bp = Blueprint("browse", __name__)

# register kind -> (facet that finds its documents, page title, what the documents do)
KINDS = {
    "treaty": ("treaty", "Treaties", "Documents citing it"),
    "person": ("signatory", "People", "Documents they signed or issued"),
    "org": ("org", "Organisations", "Documents naming it"),
    "place": ("place", "Places", "Documents naming it"),
}


def _record_data(record: Record) -> dict[str, Any]:
    registers = archive().registers
    data: dict[str, Any] = {
        "kind": record.kind,
        "id": record.id,
        "name": record.label,
        "other_names": [n for n in record.names if n != record.label],
        "note": record.note,
        "links": [{"label": label, "url": url} for label, url in record.links],
    }
    if isinstance(record, Treaty):
        data.update(
            official_title=record.name,
            category=record.category,
            abbreviations=list(record.abbreviations),
            adopted=record.adopted,
            opened=record.opened,
            entry_into_force=record.entry_into_force,
            icrc_url=record.icrc_url,
            parent=_ref(registers.treaties.get(record.parent)) if record.parent else None,
            members=[_ref(m) for m in registers.treaties.members(record.id)],
        )
    elif isinstance(record, Person):
        data["affiliations"] = [
            {
                "role": a.role,
                "org": _ref(registers.organisations.get(a.org_id)) if a.org_id else None,
                "text": a.text,
            }
            for a in record.affiliations
        ]
    elif isinstance(record, Organisation):
        data.update(
            category=record.category,
            abbreviations=list(record.abbreviations),
            description=record.description,
            place=_ref(registers.places.get(record.place_id)) if record.place_id else None,
        )
    elif isinstance(record, Place):
        data.update(
            category=record.category,
            latitude=record.latitude,
            longitude=record.longitude,
            parent=_ref(registers.places.get(record.parent)) if record.parent else None,
        )
    return data


def _ref(record: Record) -> dict[str, str]:
    return {"kind": record.kind, "id": record.id, "name": record.label}


def _record_page(kind: str, record_id: str, fmt: str | None):  # type: ignore[no-untyped-def]
    ctx = archive()
    register = ctx.registers.by_kind(kind)
    current = register.current_id(record_id)
    if current is not None and current != record_id:
        # Merged into another record, or renamed: the old address keeps answering, for good.
        target = url_for(
            f"browse.{_ENDPOINT[kind]}",
            record_id=current,
            fmt=fmt,
            **request.args.to_dict(flat=False),
        )
        return redirect(target, 301)
    record = register.get(record_id)  # NotFound -> 404
    facet, _, documents_title = KINDS[kind]
    params = request.args.to_dict(flat=False)
    params[facet] = [record_id]
    params.setdefault("sort", ["-date"])
    search = SearchRequest.from_params(params, default_page_size=ctx.config.page_size)
    result = ctx.engine.search(search)
    data: dict[str, Any] = {"record": _record_data(record), "documents": result.to_dict()}
    named = _naming(record) if isinstance(record, Person) else None
    if named is not None:
        data["named_in"] = named.to_dict()
    urls = Urls(search, f"browse.{_ENDPOINT[kind]}", record_id=record_id)
    return respond(
        "record.html",
        data,
        fmt=fmt,
        record=record,
        result=result,
        urls=urls,
        search_urls=Urls(search),
        documents_title=documents_title,
        named=named,
        named_urls=Urls(named.request) if named is not None else None,
    )


# Names of a person searched for their "named in" list: enough for every spelling and
# script a register records, bounded so that the query stays cheap.
MAX_NAMES = 10


def _naming(person: Person) -> SearchResult:
    """The documents whose text (or, for a catalogue record, abstract) names a person under
    any name the register records, other than those they signed or issued: the index
    holds who signed a document, and a phrase search finds the rest."""
    names = [" ".join(n.replace('"', " ").split()) for n in person.names][:MAX_NAMES]
    query = " OR ".join(f'"{n}"' for n in dict.fromkeys(names) if n)
    ctx = archive()
    search = SearchRequest(
        q=query,
        excludes={"signatory": (person.id,)},
        sort="-date",
        page_size=ctx.config.page_size,
    )
    try:
        return ctx.engine.search(search)
    except BadQuery:  # a name of nothing but words too common to be indexed
        return SearchResult(request=search, total=0, hits=[], facets={})


def _register_page(kind: str, fmt: str | None):  # type: ignore[no-untyped-def]
    ctx = archive()
    facet, title, _ = KINDS[kind]
    counts = {v.value: v.count for v in _flatten(ctx.engine.counts(facet))}
    register = ctx.registers.by_kind(kind)
    rows = [
        {**_ref(record), "count": counts.get(record.id, 0), "depth": depth}
        for record, depth in _ordered(kind, register)
    ]
    return respond(
        "register.html",
        {"kind": kind, "title": title, "records": rows},
        fmt=fmt,
        title=title,
        endpoint=f"browse.{_ENDPOINT[kind]}",
        tree=_nested(rows) if kind == "place" else None,
    )


def _nested(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in tree order with depths, as nodes holding their `children`: what a nested
    list draws."""
    roots: list[dict[str, Any]] = []
    path: list[dict[str, Any]] = []
    for row in rows:
        node = {**row, "children": []}
        del path[row["depth"] :]
        (path[-1]["children"] if path else roots).append(node)
        path.append(node)
    return roots


def _flatten(values):  # type: ignore[no-untyped-def]
    for value in values:
        yield value
        yield from _flatten(value.children)


def _ordered(kind: str, register) -> list[tuple[Record, int]]:  # type: ignore[no-untyped-def]
    """Each record with its depth in the register's hierarchy, in reading order: treaties
    as the register gives them (each group or parent followed by its members), places as a
    tree by name (each followed by the places within it, a country by its regions, a region
    by its towns), persons by surname, organisations by name."""
    if kind == "treaty":
        out: list[tuple[Record, int]] = []
        for root in (t for t in register if not t.parent):
            out.append((root, 0))
            out.extend((member, 1) for member in register.members(root.id))
        return out
    if kind == "place":
        return _place_tree(register)
    if kind == "person":
        labels = archive().engine.labels
        return [(r, 0) for r in sorted(register, key=lambda r: labels.surname_key(r.label))]
    return [(r, 0) for r in sorted(register, key=lambda r: r.label.casefold())]


def _place_tree(register) -> list[tuple[Record, int]]:  # type: ignore[no-untyped-def]
    """Places depth first, each followed by those within it; a place whose parent the
    register lacks is a root, and a loop in `within` cannot hang the page."""
    children: dict[str | None, list[Record]] = {}
    for place in register:
        parent = place.parent if place.parent in register.records else None
        children.setdefault(parent, []).append(place)
    out: list[tuple[Record, int]] = []
    seen: set[str] = set()

    def visit(parent: str | None, depth: int) -> None:
        for place in sorted(children.get(parent, []), key=lambda r: r.label.casefold()):
            if place.id not in seen:
                seen.add(place.id)
                out.append((place, depth))
                visit(place.id, depth + 1)

    visit(None, 0)
    # Places caught in a loop of `within` reach no root: listed at the top level.
    for place in register:
        if place.id not in seen:
            seen.add(place.id)
            out.append((place, 0))
            visit(place.id, 1)
    return out


_ENDPOINT = {"treaty": "treaty", "person": "person", "org": "organisation", "place": "place"}


@bp.route("/treaties", defaults={"fmt": None})
@bp.route("/treaties.<fmt>")
def treaties(fmt: str | None):  # type: ignore[no-untyped-def]
    return _register_page("treaty", fmt)


@bp.route("/people", defaults={"fmt": None})
@bp.route("/people.<fmt>")
def persons(fmt: str | None):  # type: ignore[no-untyped-def]
    return _register_page("person", fmt)


@bp.route("/organisations", defaults={"fmt": None})
@bp.route("/organisations.<fmt>")
def organisations(fmt: str | None):  # type: ignore[no-untyped-def]
    return _register_page("org", fmt)


@bp.route("/places", defaults={"fmt": None})
@bp.route("/places.<fmt>")
def places(fmt: str | None):  # type: ignore[no-untyped-def]
    return _register_page("place", fmt)


@bp.route("/treaty/<recordid:record_id>", defaults={"fmt": None})
@bp.route("/treaty/<recordid:record_id>.<fmt>")
def treaty(record_id: str, fmt: str | None):  # type: ignore[no-untyped-def]
    return _record_page("treaty", record_id, fmt)


@bp.route("/person/<recordid:record_id>", defaults={"fmt": None})
@bp.route("/person/<recordid:record_id>.<fmt>")
def person(record_id: str, fmt: str | None):  # type: ignore[no-untyped-def]
    return _record_page("person", record_id, fmt)


@bp.route("/org/<recordid:record_id>", defaults={"fmt": None})
@bp.route("/org/<recordid:record_id>.<fmt>")
def organisation(record_id: str, fmt: str | None):  # type: ignore[no-untyped-def]
    return _record_page("org", record_id, fmt)


@bp.route("/place/<recordid:record_id>", defaults={"fmt": None})
@bp.route("/place/<recordid:record_id>.<fmt>")
def place(record_id: str, fmt: str | None):  # type: ignore[no-untyped-def]
    return _record_page("place", record_id, fmt)
