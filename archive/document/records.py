"""Register records from the forms an archivist writes: a few TOML or JSON fields, or a TEI
element as the registers hold it.

`archive register add` and `edit` take them, so that nobody pastes XML into a register by
hand. Fields become exactly the TEI the register schema asks for (docs/tei-profile.md,
"Registers"); the register's own validation then decides whether the record is acceptable.

    kind = "person"                 # person, org, place or treaty
    id = "aynur-karimova"
    name = "Aynur Karimova"         # the preferred name (a treaty's main title)
    variants = ["Aynur Kerimova"]   # other spellings
    wikidata = "Q..."               # also uri, isni, viaf; icrc for treaties
    note = "..."
    # person:  role = "Chairwoman", org = "women-for-peace-union"
    # org:     type = "ngo", abbreviations = ["WPU"], place = "baku", description = "..."
    # place:   type = "town", geo = "40.41 49.87", within = "azerbaijan"
    # treaty:  type = "treaty", short = "...", abbreviations = [...], alt = [...],
    #          adopted = "1997-09-18", opened = "...", entry_into_force = "...", member_of = "..."

A file may hold one record, or several as a list (JSON) or `[[record]]` tables (TOML).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from lxml import etree

from archive.document.authority import REGISTER_FILES, Registers
from archive.document.review import proposed_records
from archive.document.tei import TEI_NS, XML_ID, parse_tei, parse_xml, read_bytes, t
from archive.errors import InvalidDocument, Problem

_ELEMENT_KINDS = {"person": "person", "org": "org", "place": "place", "bibl": "treaty"}
_KIND_ELEMENTS = {kind: element for element, kind in _ELEMENT_KINDS.items()}
_IDNO_FIELDS = {
    "wikidata": "wikidata",
    "uri": "URI",
    "isni": "ISNI",
    "viaf": "VIAF",
    "icrc": "ICRC",
}


def read_records(
    path: Path, kind: str | None = None, registers: Registers | None = None
) -> list[tuple[str, etree._Element]]:
    """The records a file gives as (kind, TEI element): a `.toml` or `.json` file of fields,
    an `.xml` file holding register records, or a draft (its proposed records). Raises
    InvalidDocument naming the file (and line) when it cannot be read as records."""
    data = read_bytes(path)
    if path.suffix in (".toml", ".json"):
        try:
            text = data.decode("utf-8")
            parsed = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (UnicodeDecodeError, tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise InvalidDocument(
                [Problem(str(path), getattr(exc, "lineno", None), f"cannot read: {exc}")]
            ) from None
        items = parsed.get("record", parsed) if isinstance(parsed, dict) else parsed
        items = items if isinstance(items, list) else [items]
        return [record_from_fields(item, path, kind, registers) for item in items]
    if path.suffix == ".xml":
        return _records_from_xml(data, path, kind)
    raise InvalidDocument([Problem(str(path), None, "a record file ends in .toml, .json or .xml")])


def proposes_records(path: Path) -> bool:
    """Whether `path` is a TEI document (a draft) whose records are proposals, rather than
    a file of records meant for the registers as they are."""
    if path.suffix != ".xml":
        return False
    return etree.QName(parse_xml(read_bytes(path), path).getroot()).localname == "TEI"


def _records_from_xml(
    data: bytes, path: Path, kind: str | None
) -> list[tuple[str, etree._Element]]:
    root = parse_xml(data, path).getroot()
    if etree.QName(root).localname == "TEI":
        tree = parse_tei(data, path)
        records = [(r.kind, r.element) for r in proposed_records(tree)]
        if not records:
            raise InvalidDocument(
                [Problem(str(path), None, "this TEI file proposes no register records")]
            )
        return [(k, e) for k, e in records if kind is None or k == kind]
    elements = [root] if etree.QName(root).localname in _ELEMENT_KINDS else list(root)
    out = []
    for element in elements:
        if not isinstance(element.tag, str):
            continue
        _into_tei_namespace(element)
        local = etree.QName(element).localname
        if local not in _ELEMENT_KINDS:
            raise InvalidDocument(
                [
                    Problem(
                        str(path),
                        element.sourceline,
                        f"<{local}> is not a register record (person, org, place, bibl)",
                    )
                ]
            )
        out.append((_ELEMENT_KINDS[local], element))
    return out


def _into_tei_namespace(element: etree._Element) -> None:
    """A record written without a namespace (as the encoder's report prints it) is TEI."""
    for node in element.iter():
        if isinstance(node.tag, str) and etree.QName(node).namespace is None:
            node.tag = t(etree.QName(node).localname)
    etree.cleanup_namespaces(element)


def record_from_fields(
    fields: Any, path: Path | str, kind: str | None = None, registers: Registers | None = None
) -> tuple[str, etree._Element]:
    """A register record built from TOML/JSON fields (see the module docstring). A record
    it points to (a person's organisation, a place's country) is named as `registers` name
    it, unless the fields give the words."""
    where = str(path)

    def label(of_kind: str, record_id: str, given: Any) -> str:
        if given:
            return str(given)
        return registers.label(of_kind, record_id) if registers is not None else record_id

    def refuse(message: str) -> InvalidDocument:
        return InvalidDocument([Problem(where, None, message)])

    if not isinstance(fields, dict):
        raise refuse("a record is a table of fields (kind, id, name ...)")
    kind = fields.get("kind", kind)
    if kind not in REGISTER_FILES:
        raise refuse(f"kind must be one of {', '.join(REGISTER_FILES)}, not {kind!r}")
    known = {"kind", "id", "name", "variants", "note", *_IDNO_FIELDS, *_KIND_FIELDS[kind]}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise refuse(
            f"unknown field(s) for a {kind}: {', '.join(unknown)}; fields: {', '.join(sorted(known))}"
        )
    for required in ("id", "name"):
        if not isinstance(fields.get(required), str) or not fields[required].strip():
            raise refuse(f"a record needs {required!r}")

    def text_list(name: str) -> list[str]:
        value = fields.get(name, [])
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise refuse(f"{name!r} is a list of names")
        return value

    record = etree.Element(t(_KIND_ELEMENTS[kind]), nsmap={None: TEI_NS})
    record.set(XML_ID, fields["id"].strip())

    def add(tag: str, text: str | None = None, **attrs: str) -> etree._Element:
        child = etree.SubElement(record, t(tag), {k: v for k, v in attrs.items() if v})
        child.text = text
        return child

    if kind == "treaty":
        record.set("type", fields.get("type", "treaty"))
        add("title", fields["name"], type="main")
        add("title", fields.get("short") or fields["name"], type="short")
        for abbr in text_list("abbreviations"):
            add("title", abbr, type="abbr")
        for alt in (*text_list("alt"), *text_list("variants")):
            add("title", alt, type="alt")
        for field, date_type in (
            ("adopted", "adopted"),
            ("opened", "opened"),
            ("entry_into_force", "entryIntoForce"),
        ):
            if fields.get(field):
                add("date", type=date_type, when=str(fields[field]))
    else:
        tag = {"person": "persName", "org": "orgName", "place": "placeName"}[kind]
        category = fields.get("type", "ngo" if kind == "org" else None)
        if category:  # a place's type has no default: the schema asks for it by name
            record.set("type", str(category))
        add(tag, fields["name"], type="preferred")
        for variant in text_list("variants"):
            add(tag, variant, type="variant")
        if kind == "org":
            for abbr in text_list("abbreviations"):
                add(tag, abbr, type="abbr")
        if kind == "place" and (fields.get("geo") or fields.get("within")):
            location = add("location")
            if fields.get("geo"):
                geo = etree.SubElement(location, t("geo"))
                geo.text = str(fields["geo"])
            if fields.get("within"):
                within = etree.SubElement(location, t("placeName"), ref=f"place:{fields['within']}")
                within.text = label("place", str(fields["within"]), fields.get("within_name"))
    for field, scheme in _IDNO_FIELDS.items():
        if fields.get(field):
            add("idno", str(fields[field]), type=scheme)
    if kind == "treaty" and fields.get("member_of"):
        add("relatedItem", type="memberOf", target=f"#{fields['member_of']}")
    if kind == "person" and (fields.get("role") or fields.get("org")):
        affiliation = add("affiliation")
        if fields.get("role"):
            role = etree.SubElement(affiliation, t("roleName"))
            role.text = str(fields["role"])
        if fields.get("org"):
            if len(affiliation):
                affiliation[-1].tail = " of "
            org = etree.SubElement(affiliation, t("orgName"), ref=f"org:{fields['org']}")
            org.text = label("org", str(fields["org"]), fields.get("org_name"))
    if kind == "org":
        if fields.get("place"):
            location = add("location")
            place = etree.SubElement(location, t("placeName"), ref=f"place:{fields['place']}")
            place.text = label("place", str(fields["place"]), fields.get("place_name"))
        if fields.get("description"):
            add("desc", str(fields["description"]))
    if fields.get("note"):
        add("note", str(fields["note"]))
    return kind, record


_KIND_FIELDS = {
    "person": {"role", "org", "org_name"},
    "org": {"type", "abbreviations", "place", "place_name", "description"},
    "place": {"type", "geo", "within", "within_name"},
    "treaty": {
        "type",
        "short",
        "abbreviations",
        "alt",
        "adopted",
        "opened",
        "entry_into_force",
        "member_of",
    },
}


def record_kind(element: etree._Element) -> str | None:
    """The register kind of a record element, or None."""
    return _ELEMENT_KINDS.get(etree.QName(element).localname)
