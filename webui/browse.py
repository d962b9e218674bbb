"""Browse pages: each register as a list with document counts, and each record with what the
archive knows of it and the documents that cite, sign, name or concern it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for

from archive.document import Organisation, Person, Place, Record, Treaty
from archive.search import SearchRequest
from webui.context import archive
from webui.negotiation import respond
from webui.search import Urls

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
    data = {"record": _record_data(record), "documents": result.to_dict()}
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
    )


def _register_page(kind: str, fmt: str | None):  # type: ignore[no-untyped-def]
    ctx = archive()
    facet, title, _ = KINDS[kind]
    counts = {v.value: v.count for v in _flatten(ctx.engine.counts(facet))}
    register = ctx.registers.by_kind(kind)
    rows = [
        {**_ref(record), "count": counts.get(record.id, 0), "depth": _depth(record)}
        for record in _ordered(kind, register)
    ]
    return respond(
        "register.html",
        {"kind": kind, "title": title, "records": rows},
        fmt=fmt,
        title=title,
        endpoint=f"browse.{_ENDPOINT[kind]}",
    )


def _flatten(values):  # type: ignore[no-untyped-def]
    for value in values:
        yield value
        yield from _flatten(value.children)


def _depth(record: Record) -> int:
    return 1 if isinstance(record, Treaty) and record.parent else 0


def _ordered(kind: str, register) -> list[Record]:  # type: ignore[no-untyped-def]
    """Treaties as a tree (each group or parent followed by its members), others by name."""
    if kind != "treaty":
        return sorted(register, key=lambda r: r.label.casefold())
    roots = [t for t in register if not t.parent]
    out: list[Record] = []
    for root in roots:
        out.append(root)
        out.extend(register.members(root.id))
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
