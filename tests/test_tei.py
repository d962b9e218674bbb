"""The seed appeal reads into exactly the model its facts describe, and hostile XML is refused."""

from __future__ import annotations

import dataclasses
import re
import time

import pytest

from archive.document.model import Document
from archive.document.tei import parse_tei, read_document
from archive.errors import InvalidDocument
from tests.conftest import FIXTURE_CORPUS, SEED_ID, SHARED

SEED_PATH = FIXTURE_CORPUS / "documents" / f"{SEED_ID}.xml"
SEED_TEXT = SHARED / "seed" / "000_dce5fc0131209b8d.txt"


@pytest.fixture(scope="module")
def seed() -> Document:
    return read_document(SEED_PATH.read_bytes(), SEED_PATH)


def test_seed_identity_type_language_and_version(seed):
    assert seed.id == SEED_ID
    assert seed.doc_type == "appeal"
    assert seed.lang == "en"
    assert seed.version == 1
    assert not seed.is_catalogue_record
    assert seed.permalink == f"https://appeals-archive.org/doc/{SEED_ID}"


def test_seed_signatories_in_the_texts_order_with_roles_and_organisations(seed):
    assert [(s.person_id, s.name, s.role, s.org_id, s.org_name) for s in seed.signatories] == [
        (
            "umud-mirzayev",
            "Umud Mirzayev",
            "President",
            "iepf",
            "International Eurasian Press Fund",
        ),
        (
            "rey-karimoglu",
            "Rey Karimoglu",
            "Chairman",
            "mine-victims-association",
            "Mine Victims Association",
        ),
        (
            "hafiz-safikhanov",
            "Hafiz Safikhanov",
            "Head",
            "azcbl",
            "Azerbaijani Company Against Mines Public Union",
        ),
        ("shahin-ibrahimov", "Shahin Ibrahimov", "Chairman", "dayag", "Dayag"),
        (
            "mammadhasan-hasanov",
            "Mammadhasan Hasanov",
            "Chairman",
            "mine-victims-socio-economic-union",
            "Public Union for Socio-Economic Issues of Mine Victims",
        ),
    ]


def test_seed_cites_the_1949_conventions_and_1977_protocols_in_header_and_text(seed):
    assert seed.treaties == ["gc-1949", "ap-1977"]
    assert [(c.treaty_id, c.text) for c in seed.treaty_citations] == [
        ("gc-1949", "the 1949 Geneva Conventions"),
        ("ap-1977", "the 1977 Protocols"),
    ]


def test_seed_issue_date_and_addressees(seed):
    assert seed.issued.when == "2021-03-25"
    assert seed.issued.cert == "medium"
    assert "APA" in (seed.issued_note or "")
    assert [a.ref for a in seed.addressees] == ["org:un", "org:international-organisations"]


def test_seed_dates_and_spans_named_in_the_text(seed):
    spans = {d.text: d.span for d in seed.dates}
    assert spans["November 10, 2020"].when == "2020-11-10"
    assert (spans["44 days"].from_, spans["44 days"].to, spans["44 days"].dur) == (
        "2020-09-27",
        "2020-11-10",
        "P44D",
    )
    four_months = spans["the last four months"]
    assert (four_months.from_, four_months.to, four_months.dur) == (
        "2020-11-25",
        "2021-03-25",
        "P4M",
    )
    assert spans["thirty years"].dur == "P30Y"
    assert (spans["First Karabakh War"].from_, spans["First Karabakh War"].to) == ("1988", "1994")


def test_seed_places_and_organisations(seed):
    assert seed.places == ["armenia", "azerbaijan", "karabakh", "ganja", "barda", "tartar"]
    for org in ("un", "anama", "report-az", "iepf", "azcbl", "dayag"):
        assert org in seed.organisations


def test_seed_figures(seed):
    assert [(m.quantity, m.unit) for m in seed.measures] == [
        ("40", "person"),
        ("10", "mine"),
        ("1", "m2"),
        ("3171", "person"),
        ("719", "person"),
    ]


def test_seed_sha256_is_of_the_exact_file_bytes(seed):
    import hashlib

    assert seed.sha256 == hashlib.sha256(SEED_PATH.read_bytes()).hexdigest()


@pytest.mark.skipif(not SEED_TEXT.exists(), reason=f"seed text not found at {SEED_TEXT}")
def test_seed_text_is_verbatim(seed):
    published = [
        " ".join(line.split()) for line in SEED_TEXT.read_text(encoding="utf-8").splitlines()
    ]
    assert seed.text.split("\n\n") == [line for line in published if line]


def test_catalogue_records_hold_no_text_but_an_abstract():
    for path in sorted((FIXTURE_CORPUS / "documents").glob("*.xml")):
        doc = read_document(path.read_bytes(), path)
        if doc.id == SEED_ID:
            continue
        assert doc.is_catalogue_record, doc.id
        assert doc.text == ""
        assert len(doc.abstract) > 100
        assert doc.sources and doc.sources[0].url.startswith("https://")


def test_uncertain_catalogue_dates_are_ranges():
    petition = read_document(
        (FIXTURE_CORPUS / "documents" / "petition-minefield-maps-2021.xml").read_bytes()
    )
    assert (petition.issued.not_before, petition.issued.not_after) == ("2020-11-10", "2021-04-22")
    statement = read_document(
        (FIXTURE_CORPUS / "documents" / "trilateral-statement-2020-11-10.xml").read_bytes()
    )
    assert statement.issued.when == "2020-11-10"
    assert {d.type: d.span.when or d.span.not_before for d in statement.creation_dates} == {
        "issued": "2020-11-10",
        "signed": "2020-11-09",
        "dated-variant": "2020-11-09",
    }


def test_model_round_trips_through_json_data(seed):
    assert Document.from_dict(seed.to_dict()) == seed


def test_model_json_is_every_field_as_dataclasses_asdict_gives_it():
    """to_dict walks the dataclasses itself (asdict's deep copies were most of its cost):
    it must still give every field, nested records included, with the dates' own shape."""
    for path in sorted((FIXTURE_CORPUS / "documents").glob("*.xml")):
        doc = read_document(path.read_bytes(), path)
        expected = dataclasses.asdict(doc)
        expected["issued"] = doc.issued.to_dict()
        for name in ("dates", "creation_dates"):
            expected[name] = [
                {"text": d.text, "type": d.type, "span": d.span.to_dict()}
                for d in getattr(doc, name)
            ]
        assert doc.to_dict() == expected, path.name
        assert list(doc.to_dict()) == [f.name for f in dataclasses.fields(doc)]


# --- hostile and broken input ------------------------------------------------------

TEI_OPEN = '<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="x">'

HOSTILE = {
    "xxe-local-file": (
        b'<?xml version="1.0"?>\n<!DOCTYPE TEI [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        + TEI_OPEN.encode()
        + b"&x;</TEI>",
        2,
        "DOCTYPE",
    ),
    "xxe-url": (
        b'<?xml version="1.0"?>\n\n<!DOCTYPE TEI [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>\n'
        + TEI_OPEN.encode()
        + b"&x;</TEI>",
        3,
        "DOCTYPE",
    ),
    "billion-laughs": (
        b'<?xml version="1.0"?>\n<!DOCTYPE TEI [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>\n'
        + TEI_OPEN.encode()
        + b"&d;&d;&d;&d;&d;&d;&d;&d;</TEI>",
        2,
        "DOCTYPE",
    ),
    "external-dtd": (
        b'<?xml version="1.0"?>\n<!DOCTYPE TEI SYSTEM "http://www.tei-c.org/release/xml/tei/custom/schema/dtd/tei_all.dtd">\n'
        + TEI_OPEN.encode()
        + b"</TEI>",
        2,
        "DOCTYPE",
    ),
    "wrong-namespace": (
        b'<?xml version="1.0"?>\n<TEI xmlns="http://example.org/not-tei"/>',
        2,
        "expected <TEI>",
    ),
    "no-namespace": (b"<TEI/>", 1, "in no namespace"),
    "latin-1": (b'<?xml version="1.0"?>\n<TEI>\n<p>caf\xe9</p></TEI>', 3, "not UTF-8"),
    "declared-latin-1": (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<TEI/>', 1, "only UTF-8"),
    "utf-16-bom": ("<TEI/>".encode("utf-16"), 1, "byte-order mark"),
    "utf-8-bom": (b"\xef\xbb\xbf<TEI/>", 1, "byte-order mark"),
    "processing-instruction": (
        b'<?xml version="1.0"?>\n' + TEI_OPEN.encode() + b'\n<?php system("id"); ?></TEI>',
        3,
        "processing instruction",
    ),
    "malformed": (
        b'<?xml version="1.0"?>\n' + TEI_OPEN.encode() + b"\n<teiHeader>\n</TEI>",
        4,
        "malformed XML",
    ),
    "empty": (b"   \n", 1, "empty"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_broken_xml_is_refused_with_its_line(name, tmp_path):
    data, line, words = HOSTILE[name]
    started = time.monotonic()
    with pytest.raises(InvalidDocument) as caught:
        parse_tei(data, tmp_path / f"{name}.xml")
    problem = caught.value.problems[0]
    assert problem.line == line, str(caught.value)
    assert words in problem.message
    assert re.match(rf"^{re.escape(str(tmp_path))}/{name}\.xml:{line}: ", str(caught.value))
    assert time.monotonic() - started < 5  # refused before any expansion could run away
    assert list(tmp_path.iterdir()) == []


def test_xml_model_processing_instruction_is_accepted():
    data = SEED_PATH.read_bytes().replace(
        b'<?xml version="1.0" encoding="UTF-8"?>\n',
        b'<?xml version="1.0" encoding="UTF-8"?>\n<?xml-model href="../../schemas/appeals-document.rng"?>\n',
    )
    assert read_document(data).id == SEED_ID
