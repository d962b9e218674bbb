"""archive/encode: plain text to a TEI draft, measured on the gold set and the seed appeal."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from archive.config import PROJECT_ROOT, Config
from archive.document.authority import Registers
from archive.document.tei import NS, read_document
from archive.document.validate import Validator
from archive.encode import Encoder, decode_text
from archive.encode.evaluate import evaluate, load_gold
from archive.errors import BadQuery, InvalidDocument
from archive.storage.store import corpus_validator
from tests.conftest import FIXTURE_CORPUS, SEED_ID, SHARED

GOLD = PROJECT_ROOT / "tests" / "gold"
HOLDOUT = PROJECT_ROOT / "tests" / "gold-holdout"
TODAY = date(2026, 1, 1)
FLOORS = {"treaty": 0.95, "date": 0.9, "signatory": 0.9, "org": 0.9, "place": 0.9}


@pytest.fixture(scope="module")
def registers() -> Registers:
    return Registers.load(FIXTURE_CORPUS / "authority")


@pytest.fixture(scope="module")
def encoder(registers: Registers) -> Encoder:
    return Encoder(registers)


@pytest.fixture(scope="module")
def validator(registers: Registers, bundled_config: Config) -> Validator:
    return corpus_validator(bundled_config, registers)


def seed_text() -> str:
    """The seed appeal's text: the shared copy when present, else the corpus document's."""
    shared = SHARED / "seed" / "000_dce5fc0131209b8d.txt"
    if shared.exists():
        return shared.read_text(encoding="utf-8")
    path = FIXTURE_CORPUS / "documents" / f"{SEED_ID}.xml"
    return read_document(path.read_bytes(), path).text


def encode(encoder: Encoder, text: str, **options):
    return encoder.encode(text, today=TODAY, **options)


# -- the gold set ----------------------------------------------------------------------


@pytest.mark.parametrize("folder", [GOLD, HOLDOUT], ids=["gold", "holdout"])
def test_gold_set_meets_the_f1_floors(folder: Path, registers: Registers):
    scores = evaluate(load_gold(folder), registers)
    for kind, floor in FLOORS.items():
        assert scores[kind].f1 >= floor, (kind, scores[kind].misses)


def test_gold_set_has_enough_texts_of_every_kind():
    gold = load_gold(GOLD) + load_gold(HOLDOUT)
    assert len(gold) >= 15
    for key in ("treaties", "dates", "signatories", "orgs", "places"):
        assert sum(len(g.labels[key]) for g in gold) >= 15, key


def test_gold_drafts_validate_except_for_the_proposed_records(encoder, validator):
    """Every problem of a gold draft is a reference to a record the report proposes, and
    each of those is a review point that says it blocks validation."""
    for item in load_gold(GOLD) + load_gold(HOLDOUT):
        result = encode(encoder, item.text, issued=item.labels.get("issued"), doc_id="gold-draft")
        problems = validator.validate_bytes(result.tei_bytes, "gold-draft.xml")
        proposed = {p.ref for p in result.proposals}
        for problem in problems:
            assert "does not resolve" in problem.message, (item.name, str(problem))
            assert problem.message.split()[0] in proposed, (item.name, str(problem))
        blocking = [p for p in result.review_points if p.blocks_validation]
        assert len(blocking) == len(result.proposals), item.name


# -- the seed appeal ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_result(encoder: Encoder):
    return encode(encoder, seed_text(), issued="2021-03-25", doc_id=SEED_ID, doc_type="appeal")


@pytest.fixture(scope="module")
def seed_document():
    path = FIXTURE_CORPUS / "documents" / f"{SEED_ID}.xml"
    return read_document(path.read_bytes(), path)


def test_seed_treaties_match_the_hand_encoded_document(seed_result, seed_document):
    draft = read_document(seed_result.tei_bytes)
    assert [(c.treaty_id, c.text) for c in draft.treaty_citations] == [
        (c.treaty_id, c.text) for c in seed_document.treaty_citations
    ]
    assert draft.treaties == seed_document.treaties == ["gc-1949", "ap-1977"]


def test_seed_dates_match_the_hand_encoded_document(seed_result, seed_document):
    draft = read_document(seed_result.tei_bytes)
    found = {d.text: d.span for d in draft.dates}
    expected = {d.text: d.span for d in seed_document.dates}
    # Events are not detected: the First Karabakh War (1988-1994) needs a human or an
    # events register (docs/encoding.md, known limits).
    expected.pop("First Karabakh War")
    for words, span in expected.items():
        assert (found[words].from_, found[words].to, found[words].when, found[words].dur) == (
            span.from_,
            span.to,
            span.when,
            span.dur,
        ), words
        assert found[words].cert == span.cert, words
    assert found["the last four months"].from_ == "2020-11-25"


def test_seed_signatories_match_in_order_with_roles_and_organisations(seed_result, seed_document):
    draft = read_document(seed_result.tei_bytes)
    assert draft.signatories == seed_document.signatories
    assert [s.person_id for s in draft.signatories] == [
        "umud-mirzayev",
        "rey-karimoglu",
        "hafiz-safikhanov",
        "shahin-ibrahimov",
        "mammadhasan-hasanov",
    ]


def test_seed_draft_is_valid_for_the_project_schema_and_tei_all(seed_result, validator, tei_all):
    assert validator.validate_bytes(seed_result.tei_bytes, f"{SEED_ID}.xml") == []
    tree = etree.fromstring(seed_result.tei_bytes)
    assert tei_all.validate(tree), tei_all.error_log


def test_seed_draft_keeps_the_text(seed_result, seed_document):
    assert read_document(seed_result.tei_bytes).text.split() == seed_text().split()


def test_encoding_is_deterministic(encoder):
    text = seed_text()
    first = encode(encoder, text, issued="2021-03-25")
    second = encode(encoder, text, issued="2021-03-25")
    assert first.tei_bytes == second.tei_bytes
    assert first.doc_id == second.doc_id


# -- treaties ----------------------------------------------------------------------------


def treaty_refs(result) -> list[tuple[str | None, str | None]]:
    return [(d.ref, d.article) for d in result.of_kind("treaty")]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("Protocol II to the CCW restricts mines.", "treaty:ccw-1996-apii"),
        ("Protocol II, as amended in 1996, restricts mines.", "treaty:ccw-1996-apii"),
        ("Additional Protocol II of 1977 applies.", "treaty:ap-1977-ii"),
        ("Protocol II of 1977 applies to non-international armed conflicts.", "treaty:ap-1977-ii"),
        ("The Oslo Convention bans cluster munitions.", "treaty:ccm-2008"),
        ("The Oslo Convention of 1997 bans anti-personnel mines.", "treaty:apmbc-1997"),
        ("APII, adopted in 1977, protects places of worship.", "treaty:ap-1977-ii"),
    ],
)
def test_colliding_names_are_resolved_by_context(encoder, words, expected):
    assert [ref for ref, _ in treaty_refs(encode(encoder, words))] == [expected]


def test_a_collision_the_context_cannot_settle_is_left_to_the_archivist(encoder, validator):
    result = encode(encoder, "Both sides invoke Protocol II.", doc_id="ambiguous-draft")
    (citation,) = result.of_kind("treaty")
    assert citation.ref is None
    assert set(citation.candidates) == {"treaty:ap-1977-ii", "treaty:ccw-1996-apii"}
    assert any(p.code == "ambiguous-treaty" for p in result.review_points)
    rs = etree.fromstring(result.tei_bytes).find(".//t:rs", NS)
    assert rs.get("type") == "treaty" and rs.get("ref") is None
    assert validator.validate_bytes(result.tei_bytes, "ambiguous-draft.xml") == []


def test_additional_protocol_to_the_geneva_conventions_1949_is_ap_i(encoder):
    result = encode(encoder, "It violates Additional Protocol I to the Geneva Conventions (1949).")
    assert treaty_refs(result) == [("treaty:ap-1977-i", None)]
    assert result.of_kind("treaty")[0].text.endswith("(1949)")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("the 1949 Geneva Conventions", "treaty:gc-1949"),
        ("the four Geneva Conventions", "treaty:gc-1949"),
        ("the 1977 Protocols", "treaty:ap-1977"),
        ("the two Additional Protocols of 1977", "treaty:ap-1977"),
    ],
)
def test_group_phrases_cite_the_group(encoder, words, expected):
    assert treaty_refs(encode(encoder, f"We recall {words}.")) == [(expected, None)]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("Article 51 of Additional Protocol I", ("treaty:ap-1977-i", "51")),
        ("common Article 3", ("treaty:gc-1949", "common 3")),
        ("Article 3 common to the four Geneva Conventions", ("treaty:gc-1949", "common 3")),
        ("Articles 48 and 51 of API", ("treaty:ap-1977-i", "48, 51")),
        ("Article 8(2)(b)(i) of the Rome Statute", ("treaty:rome-1998", "8(2)(b)(i)")),
        ("the Fourth Geneva Convention, Article 49", ("treaty:gc-1949-iv", "49")),
    ],
)
def test_article_citations_keep_the_article(encoder, words, expected):
    result = encode(encoder, f"This breaches {words} in every respect.")
    assert treaty_refs(result) == [expected]
    rs = etree.fromstring(result.tei_bytes).find(".//t:rs", NS)
    assert (rs.get("ref"), rs.get("n"), rs.text) == (*expected, words)


# -- dates -------------------------------------------------------------------------------


def dates_of(result) -> dict[str, str]:
    return {d.text: d.value for d in result.of_kind("date")}


def test_dates_in_common_english_forms(encoder):
    text = (
        "It happened on 10 November 2020, on November 10, 2020, on Tuesday, 10th of November "
        "2020 and on 2020-11-10; talks were held on 1–3 March 2021 and in January 2021."
    )
    assert dates_of(encode(encoder, text)) == {
        "10 November 2020": "2020-11-10",
        "November 10, 2020": "2020-11-10",
        "Tuesday, 10th of November 2020": "2020-11-10",
        "2020-11-10": "2020-11-10",
        "1–3 March 2021": "2021-03-01/2021-03-03",
        "January 2021": "2021-01",
    }


def test_partial_dates_take_their_year_from_context_or_the_issue_date(encoder):
    text = "The war began on 27 September 2020. On 4 October, Ganja was shelled.\n\nOn 4 September, a deminer died. On 20 September, another."
    found = dates_of(encode(encoder, text, issued="2023-09-10"))
    assert found["4 October"] == "2020-10-04"  # from the date before it
    assert found["4 September"] == "2023-09-04"  # from the issue date
    assert found["20 September"] == "2022-09-20"  # the last 20 September before it


def test_spans_are_resolved_against_the_issue_date(encoder):
    text = "Since November 2020 and in the last four months, mines killed 40 civilians; since 2016 we count."
    found = dates_of(encode(encoder, text, issued="2021-03-25"))
    assert found == {
        "Since November 2020": "2020-11/2021-03-25",
        "the last four months": "2020-11-25/2021-03-25",
        "since 2016": "2016/2021-03-25",
    }


def test_without_an_issue_date_relative_spans_keep_their_duration_and_are_flagged(encoder):
    result = encode(encoder, "In the last four months, mines killed 40 civilians.")
    (span,) = result.of_kind("date")
    assert (span.date.dur, span.date.from_, span.date.to) == ("P4M", None, None)
    codes = {p.code for p in result.review_points}
    assert {"missing-issue-date", "uncertain-date", "proposed-id", "no-source"} <= codes


def test_a_date_line_gives_the_issue_date(encoder):
    result = encode(
        encoder, "Open letter\n\nBaku, 4 September 2023\n\nDear friends,\n\nOn 1 September we met."
    )
    assert result.issued.when == "2023-09-04"
    root = etree.fromstring(result.tei_bytes)
    assert root.find(".//t:creation/t:date", NS).get("when") == "2023-09-04"
    assert root.find(".//t:opener/t:dateline/t:date", NS).get("when") == "2023-09-04"
    assert dates_of(result)["1 September"] == "2023-09-01"


def test_impossible_dates_are_not_invented(encoder):
    assert dates_of(encode(encoder, "It was signed on 30 February 2021.")) == {}


def test_an_issue_date_that_is_not_a_date_is_refused(encoder):
    with pytest.raises(BadQuery, match="--date 'soon' is not a date"):
        encode(encoder, "Some text.", issued="soon")


# -- signatories -------------------------------------------------------------------------

LETTER = """Open letter on mine clearance

Dear Secretary-General,

We ask the United Nations to act.

Sincerely,

Dr. Amina Yusuf
Coordinator, Karabakh Deminers' Network

Rey Kerimoglu, Chairman of the Mine Victims Association
"""


def test_signature_blocks_give_name_role_and_organisation(encoder):
    result = encode(encoder, LETTER, issued="2023-09-04")
    assert [s.to_dict()["name"] for s in result.signatories] == ["Amina Yusuf", "Rey Kerimoglu"]
    yusuf, kerimoglu = result.signatories
    assert (yusuf.role.text, yusuf.org.text) == ("Coordinator", "Karabakh Deminers' Network")
    assert kerimoglu.person.ref == "person:rey-karimoglu"  # a variant in the register
    assert kerimoglu.org.ref == "org:mine-victims-association"


def test_unknown_signers_are_proposed_never_added(encoder, registers):
    result = encode(encoder, LETTER, issued="2023-09-04")
    proposals = {p.ref: p for p in result.proposals}
    assert set(proposals) == {"person:amina-yusuf", "org:karabakh-deminers-network"}
    assert "amina-yusuf" not in registers.persons
    assert (
        '<persName type="preferred">Amina Yusuf</persName>' in proposals["person:amina-yusuf"].tei
    )
    blocking = [p for p in result.review_points if p.blocks_validation]
    assert {p.code for p in blocking} == {"unknown-person", "unknown-org"}
    root = etree.fromstring(result.tei_bytes)
    signers = root.findall(".//t:listPerson[@type='signatories']/t:person/t:persName", NS)
    assert [s.get("ref") for s in signers] == ["person:amina-yusuf", "person:rey-karimoglu"]
    assert root.find(".//t:closer/t:salute", NS).text == "Sincerely,"
    assert len(root.findall(".//t:closer/t:signed", NS)) == 2


def test_adding_the_proposed_records_makes_the_draft_valid(encoder, corpus_copy):
    result = encode(encoder, LETTER, issued="2023-09-04", doc_id="open-letter-mine-clearance")
    path = "open-letter-mine-clearance.xml"
    assert corpus_validator(corpus_copy).validate_bytes(result.tei_bytes, path)
    for proposal in result.proposals:
        register = corpus_copy.authority_dir / proposal.register_file
        tree = etree.parse(str(register))
        holder = "t:listPerson" if proposal.kind == "person" else "t:listOrg"
        record = etree.fromstring(f'<wrap xmlns="{NS["t"]}">{proposal.tei}</wrap>')[0]
        tree.find(f".//{holder}", NS).append(record)
        tree.write(str(register), encoding="UTF-8", xml_declaration=True)
    assert corpus_validator(corpus_copy).validate_bytes(result.tei_bytes, path) == []


# -- bad text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty"),
        (b"  \n\t\n", "file is empty"),
        (b"%PDF-1.4\x00\x01\x02binary", "binary file"),
        (b"Appeal\x07 with a bell", "control character U+0007"),
        ("Appeal of the Comité".encode("latin-1"), "not UTF-8: byte 0xe9"),
        ("Appeal".encode("utf-16"), "UTF-16"),
    ],
)
def test_bad_text_is_refused_with_a_reason(data, message):
    with pytest.raises(InvalidDocument, match=re.escape(message)):
        decode_text(data, "statement.txt")


def test_utf8_with_bom_and_windows_newlines_is_accepted():
    assert decode_text("\ufeffAppeal\r\nSigned".encode()) == "Appeal\nSigned"
