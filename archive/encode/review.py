"""What the draft leaves to the archivist: proposed register records and review points.

An unknown signer or organisation is never added to a register: the draft points to the id
of a proposed record, the report gives that record ready to paste, and a review point says
that the draft validates once it is added. Ambiguous treaty names and dates that need a
look become review points too.
"""

from __future__ import annotations

import re
from dataclasses import replace

from lxml import etree

from archive.document import REGISTER_FILES, TEI_NS, Registers, normalize_name, review_standoff
from archive.encode.draft import E
from archive.encode.gazetteer import Gazetteer, Place, PlaceMatch
from archive.encode.results import DetectedSignatory, Detection, Proposal, ReviewPoint
from archive.encode.signatories import slug
from archive.encode.text import line_column


def propose(
    text: str,
    signatories: list[DetectedSignatory],
    registers: Registers,
    review: list[ReviewPoint],
) -> tuple[list[DetectedSignatory], list[Proposal]]:
    """Give unknown signers and organisations the id of a proposed record, so that the
    archivist's fix is to add that record; list each as a review point."""
    proposals: dict[str, Proposal] = {}
    out = []
    for signer in signatories:
        org = signer.org
        if org is not None and org.ref is None:
            record_id = _free_id(registers, "org", org.text)
            org = replace(org, ref=f"org:{record_id}")
            if org.ref not in proposals:
                proposals[org.ref] = _proposal("org", record_id, org, None, None)
                review.append(_unknown_point(text, org, "org", record_id))
        person = signer.person
        if person.ref is None:
            record_id = _free_id(registers, "person", person.text)
            person = replace(person, ref=f"person:{record_id}")
            if person.ref not in proposals:
                proposals[person.ref] = _proposal("person", record_id, person, signer.role, org)
                review.append(_unknown_point(text, person, "person", record_id))
        elif person.needs_review:
            review.append(
                ReviewPoint(
                    "possible-variant",
                    f"signer {person.text!r} is not a name in the person register; "
                    f"{person.evidence}. The draft points to {person.ref}: add the "
                    "spelling as a variant, or propose a new record",
                    person.start,
                    person.end,
                )
            )
        out.append(replace(signer, person=person, org=org))
    return out, list(proposals.values())


def propose_places(
    text: str,
    matches: list[PlaceMatch],
    gazetteer: Gazetteer,
    registers: Registers,
    review: list[ReviewPoint],
    proposals: list[Proposal],
) -> list[Detection]:
    """Places the gazetteer knows and the register lacks: each mention points to the id of
    a proposed record (with coordinates and the country it lies in) that the report gives
    ready to paste; a place whose id the register already has points there."""
    out = []
    known = {p.ref for p in proposals}
    for match in matches:
        place = match.place
        words = text[match.start : match.end]
        registered = registers.places.get(place.id) if place.id in registers.places else None
        if registered is None:
            found = registers.places.find(place.name)
            registered = found[0] if len(found) == 1 else None
        if registered is not None:
            out.append(
                Detection(
                    "place",
                    words,
                    match.start,
                    match.end,
                    ref=registered.ref,
                    confidence=0.8,
                    evidence=f"gazetteer name of {registered.ref}",
                )
            )
            continue
        ref = f"place:{place.id}"
        where = gazetteer.country_of(place)
        evidence = f"gazetteer: {place.type} {place.name}" + (f" in {where.name}" if where else "")
        detection = Detection(
            "place",
            words,
            match.start,
            match.end,
            ref=ref,
            confidence=0.7,
            evidence=evidence,
            proposed=True,
        )
        out.append(detection)
        if ref in known:
            continue
        known.add(ref)
        for extra in _place_proposals(place, where, registers, detection, known):
            proposals.append(extra)
        review.append(
            ReviewPoint(
                "unknown-place",
                f"place {words!r} is not in {REGISTER_FILES['place']}: the draft points to "
                f"{ref} ({evidence}); add the proposed record (or point to an existing one)",
                match.start,
                match.end,
                blocks_validation=True,
            )
        )
    return out


def _place_proposals(
    place: Place, country: Place | None, registers: Registers, detection: Detection, known: set[str]
) -> list[Proposal]:
    record = E("place", E("placeName", text=place.name, type="preferred"), type=place.type)
    record.set("{http://www.w3.org/XML/1998/namespace}id", place.id)
    extra: list[Proposal] = []
    if place.lat is not None and place.lon is not None:
        location = E("location", E("geo", text=f"{place.lat} {place.lon}"))
        if country is not None:
            found = registers.places.find(country.name)
            if len(found) == 1:
                country_ref = found[0].ref
            else:
                country_ref = f"place:{country.id}"
                if country_ref not in known:
                    known.add(country_ref)
                    extra += _place_proposals(country, None, registers, detection, known)
            location.append(E("placeName", text=country.name, ref=country_ref))
        record.append(location)
    if place.geonames:
        record.append(E("idno", text=f"https://www.geonames.org/{place.geonames}", type="URI"))
    tei = etree.tostring(record, encoding="unicode").replace(
        ' xmlns="http://www.tei-c.org/ns/1.0"', ""
    )
    return [
        Proposal(
            kind="place",
            id=place.id,
            name=place.name,
            start=detection.start,
            end=detection.end,
            register_file=REGISTER_FILES["place"],
            tei=tei,
            evidence=detection.evidence,
        ),
        *extra,
    ]


def _free_id(registers: Registers, kind: str, name: str) -> str:
    base = slug(name) or kind
    base = base if re.match(r"^[a-z0-9]", base) else f"{kind}-{base}"
    register = registers.by_kind(kind)
    candidate, n = base, 2
    while candidate in register and not _names_match(register.get(candidate).names, name):
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _names_match(names: tuple[str, ...], name: str) -> bool:
    return normalize_name(name) in {normalize_name(n) for n in names}


def _proposal(
    kind: str, record_id: str, detection: Detection, role: Detection | None, org: Detection | None
) -> Proposal:
    """A register record ready to paste, in the register's own form."""
    if kind == "person":
        record = E("person", E("persName", text=detection.text, type="preferred"))
        if role is not None or org is not None:
            affiliation = E("affiliation")
            if role is not None:
                affiliation.append(E("roleName", text=role.text))
            if org is not None and org.ref:
                if role is not None:
                    affiliation[-1].tail = " of "
                affiliation.append(E("orgName", text=org.text, ref=org.ref))
            record.append(affiliation)
    else:
        record = E("org", E("orgName", text=detection.text, type="preferred"), type="ngo")
    record.set("{http://www.w3.org/XML/1998/namespace}id", record_id)
    tei = etree.tostring(record, encoding="unicode").replace(
        ' xmlns="http://www.tei-c.org/ns/1.0"', ""
    )
    return Proposal(
        kind=kind,
        id=record_id,
        name=detection.text,
        start=detection.start,
        end=detection.end,
        register_file=REGISTER_FILES[kind],
        tei=tei,
        evidence=detection.evidence,
    )


def _unknown_point(text: str, detection: Detection, kind: str, record_id: str) -> ReviewPoint:
    what = "signer" if kind == "person" else "organisation"
    return ReviewPoint(
        f"unknown-{kind}",
        f"{what} {detection.text!r} is not in {REGISTER_FILES[kind]}: the draft points to "
        f"{kind}:{record_id}; add the proposed record (or point to an existing one)",
        detection.start,
        detection.end,
        blocks_validation=True,
    )


def detection_points(marks: list[Detection]) -> list[ReviewPoint]:
    points = []
    for mark in marks:
        if mark.kind == "treaty" and mark.candidates:
            points.append(
                ReviewPoint(
                    "ambiguous-treaty",
                    f"{mark.text!r} may be {' or '.join(mark.candidates)}: {mark.evidence}. "
                    "The draft marks it without @ref; add the right one",
                    mark.start,
                    mark.end,
                )
            )
        elif mark.kind == "org" and mark.needs_review and mark.text.startswith("Red"):
            points.append(
                ReviewPoint(
                    "ambiguous-org",
                    f"{mark.text!r}: {mark.evidence}. "
                    + (
                        f"The draft points to {mark.ref}; check it"
                        if mark.ref
                        else "The draft marks it without @ref; add the right one "
                        f"({' or '.join(mark.candidates)})"
                    ),
                    mark.start,
                    mark.end,
                )
            )
        elif mark.kind == "date" and mark.needs_review:
            points.append(
                ReviewPoint(
                    "uncertain-date",
                    f"date {mark.text!r}: {mark.evidence}; check its attributes",
                    mark.start,
                    mark.end,
                )
            )
    return points


def draft_standoff(
    text: str, points: list[ReviewPoint], proposals: list[Proposal]
) -> etree._Element | None:
    """The review points and proposed records as the draft carries them (see
    archive.document.review), so that `archive add` and `archive review` know them."""
    refs = {(p.start, p.end): p.ref for p in proposals}

    def where(point: ReviewPoint) -> str | None:
        if point.start is None:
            return None
        line, column = line_column(text, point.start)
        return f"text line {line}, column {column}"

    def element(proposal: Proposal) -> etree._Element:
        # Our own serialisation of a record we built (Proposal.tei), back in TEI's namespace.
        return etree.fromstring(f'<wrap xmlns="{TEI_NS}">{proposal.tei}</wrap>')[0]

    return review_standoff(
        (
            (
                p.code,
                p.message,
                where(p),
                refs.get((p.start, p.end)) if p.code.startswith("unknown-") else None,
            )
            for p in points
        ),
        (element(p) for p in proposals),
    )
