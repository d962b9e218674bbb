"""archive/encode on what real statements do (issue 15): one made-up text of each shape the
development set of real statements showed. Every person and every body in these texts is
invented (Oldtown, the Lakeside Demining League ...); only registered bodies and real places
are real, and nobody's words are quoted."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from lxml import etree

from archive.cli import main
from archive.config import Config
from archive.document.authority import Registers
from archive.document.tei import NS
from archive.encode import Encoder
from archive.errors import BadQuery
from archive.storage.store import corpus_validator
from tests.conftest import FIXTURE_CORPUS
from tests.test_encode import dates_of

TODAY = date(2026, 1, 1)
LEAGUE = """        <org xml:id="lakeside-league" type="ngo">
          <orgName type="preferred">Lakeside Demining League</orgName>
          <orgName type="abbr">LDL</orgName>
        </org>
        <org xml:id="ruritania-defender" type="government-agency">
          <orgName type="preferred">Human Rights Defender of Ruritania</orgName>
          <orgName type="variant">Ruritanian Human Rights Defender</orgName>
        </org>
"""


def _with_league(config: Config) -> Registers:
    """The bundled registers plus one invented organisation, in a copy of the corpus."""
    path = config.authority_dir / "organisations.xml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("      </listOrg>", LEAGUE + "      </listOrg>", 1), "utf-8")
    return Registers.load(config.authority_dir)


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder(Registers.load(FIXTURE_CORPUS / "authority"))


def encode(encoder: Encoder, text: str, **options):
    return encoder.encode(text, today=TODAY, **options)


def signers(result) -> list[tuple[str, str | None, str | None]]:
    return [
        (s.name, s.role.text if s.role else None, s.org.ref if s.org else None)
        for s in result.signatories
    ]


# -- authors in prose -----------------------------------------------------------------------


PRESS_RELEASE = """Lakeside Demining League urges access to minefields

OLDTOWN (LDL) - The Lakeside Demining League (LDL) urged both parties on Monday to share their minefield maps.

"Every week without maps costs lives," said Mira Oskarsdottir, field director at the Lakeside Demining League. "We call on the parties to act now."

Tomas Verlaine, spokesperson for the Lakeside Demining League, said the teams were ready. The League's delegation met with Minister Zed Quill in Oldtown, who promised an answer.

"Ola Brin said last year that maps would come," the statement recalled.
"""


def test_authors_in_prose_are_told_from_people_merely_mentioned(corpus_copy):
    registers = _with_league(corpus_copy)
    result = Encoder(registers).encode(PRESS_RELEASE, issued="2024-05-06", today=TODAY)
    assert signers(result) == [
        ("Mira Oskarsdottir", "field director", "org:lakeside-league"),
        ("Tomas Verlaine", "spokesperson", "org:lakeside-league"),
    ]
    # The issuer: the body of the authors, of the dateline and of "urged".
    assert [a.ref for a in result.authors] == ["org:lakeside-league"]
    tree = etree.fromstring(result.tei_bytes)
    assert tree.findall(".//t:titleStmt/t:author/t:orgName", NS)[0].get("ref") == (
        "org:lakeside-league"
    )
    signatories = ".//t:particDesc/t:listPerson/t:person/t:persName"  # not the proposals
    names = [p.text for p in tree.findall(signatories, NS)]
    assert names == ["Mira Oskarsdottir", "Tomas Verlaine"]


def test_authors_listed_in_parentheses_after_their_role(corpus_copy):
    registers = _with_league(corpus_copy)
    text = (
        "The Co-Chairs of the Lakeside Demining League (Ana Velkova of Ruritania, Bruno Dorsch "
        "of Borduria, and Carla Mendel of Syldavia) welcome the agreement on demining."
    )
    result = Encoder(registers).encode(text, issued="2024-05-06", today=TODAY)
    assert signers(result) == [
        ("Ana Velkova", "Co-Chair", "org:lakeside-league"),
        ("Bruno Dorsch", "Co-Chair", "org:lakeside-league"),
        ("Carla Mendel", "Co-Chair", "org:lakeside-league"),
    ]


def test_a_statement_by_a_role_and_name_and_the_group_s_officer(encoder):
    text = (
        "The following statement by UN Secretary-General Vera Lindqvist was issued today:\n\n"
        "The United Nations welcomes the release of detainees.\n\n"
        "Amnesty International said the release was overdue. Ilse Marrow, the group's director "
        "of research, urged the authorities to account for the missing."
    )
    result = encode(encoder, text, issued="2024-05-06")
    assert signers(result) == [
        ("Vera Lindqvist", "Secretary-General", "org:un"),
        ("Ilse Marrow", "director of research", "org:amnesty-international"),
    ]


def test_a_person_who_delivers_another_s_message_is_not_its_author(encoder):
    text = (
        "Following is the message of UN Secretary-General Vera Lindqvist, as delivered by "
        "Hugo Brandt, Director of the Office for Disarmament Affairs, to the meeting:"
    )
    assert [s[0] for s in signers(encode(encoder, text, issued="2024-05-06"))] == ["Vera Lindqvist"]


def test_an_office_before_the_name_is_both_body_and_role(corpus_copy):
    registers = _with_league(corpus_copy)
    text = (
        "Detainees must be released, Ruritanian Human Rights Defender Ivo Stark said on Friday. "
        "The Human Rights Defender of Ruritania Ivo Stark issued a statement."
    )
    result = Encoder(registers).encode(text, issued="2024-05-06", today=TODAY)
    assert signers(result) == [("Ivo Stark", "Human Rights Defender", "org:ruritania-defender")]


# -- signature blocks without a label -------------------------------------------------------


def test_an_unlabelled_signature_block_splits_role_and_body():
    text = (
        "Joint declaration on mine clearance\n\n"
        "The ministers commit to clear all minefields on the border by 2030.\n\n"
        "Jana Kovar\nMinister of Defence\nRepublic of Ruritania\n\n"
        "Pavel Dorn\nMinister of Foreign Affairs\nKingdom of Borduria\n\n"
        "PO Box 12, Oldtown\n"
    )
    result = Encoder(Registers.load(FIXTURE_CORPUS / "authority")).encode(
        text, issued="2024-05-06", today=TODAY
    )
    assert [(s.name, s.role.text, s.org.text) for s in result.signatories] == [
        ("Jana Kovar", "Minister of Defence", "Republic of Ruritania"),
        ("Pavel Dorn", "Minister of Foreign Affairs", "Kingdom of Borduria"),
    ]


def test_web_page_furniture_is_not_a_signer(encoder):
    text = (
        "Statement on the missing\n\nThe families deserve answers.\n\n"
        "Jana Kovar\nDirector\nLakeside Families Union\n\nShow More\nBack to top button\n"
    )
    result = encode(encoder, text, issued="2024-05-06")
    assert [(s.name, s.role.text, s.org.text) for s in result.signatories] == [
        ("Jana Kovar", "Director", "Lakeside Families Union")
    ]


# -- dates and the issue date ---------------------------------------------------------------


def test_date_forms_of_real_statements(encoder):
    text = (
        "16-08-1995 News Release 95/39\n\n"
        "The talks of Aug.24 were short. In 1977, the Protocols were adopted. Mines laid in "
        "the 1990s remain. The survey ran in the first half of 2024, and again last December "
        "and in March this year."
    )
    found = dates_of(encode(encoder, text, issued="2025-06-10"))
    assert found["16-08-1995"] == "1995-08-16"
    assert found["Aug.24"] == "2024-08-24"  # the last 24 August before the issue date
    assert found["1977"] == "1977"
    assert found["1990s"] == "1990/1999"
    assert found["the first half of 2024"] == "2024-01/2024-06"
    assert found["last December"] == "2024-12"
    assert found["March this year"] == "2025-03"


def test_a_range_starting_on_the_issue_date_stays_in_its_year(encoder):
    text = "The meeting is held in Oldtown, 2-5 September. Talks on 19 and 20 October followed."
    found = dates_of(encode(encoder, text, issued="2014-09-02"))
    assert found["2-5 September"] == "2014-09-02/2014-09-05"  # not last year's
    assert found["19 and 20 October"] == "2013-10-19/2013-10-20"  # the last before the issue


def test_a_partial_date_in_a_present_perfect_sentence_takes_the_issue_year(encoder):
    text = (
        "The treaty was signed on 3-4 December 1997. Since then 109 states have ratified it, "
        "most recently Ruritania on 30 November."
    )
    assert dates_of(encode(encoder, text, issued="2000-12-04"))["30 November"] == "2000-11-30"


@pytest.mark.parametrize(
    ("first_line", "issued"),
    [
        (
            "(4 December 2000, Oldtown). On the anniversary, the League called for action.",
            "2000-12-04",
        ),
        ("Oldtown/Newville/Geneva, 12 June 2024 – The League called for action.", "2024-06-12"),
        ("  • 17:58 17 October 2019", "2019-10-17"),
        ("30-08-2013 News Release 146/13", "2013-08-30"),
    ],
)
def test_the_issue_date_from_date_lines_of_real_statements(encoder, first_line, issued):
    text = f"{first_line}\n\nThe League calls for the release of all detainees.\n"
    assert encode(encoder, text).issued.when == issued


# -- places from the gazetteer --------------------------------------------------------------


def test_unregistered_places_are_proposed_with_coordinates_and_country(encoder):
    text = "Teams from Maputo and Kyiv met in Mozambique to plan clearance."
    result = encode(encoder, text, issued="2024-05-06")
    places = {d.text: d for d in result.of_kind("place")}
    assert places["Maputo"].ref == "place:maputo" and places["Maputo"].proposed
    assert places["Kyiv"].ref == "place:kyiv"
    proposals = {p.id: p for p in result.proposals if p.kind == "place"}
    record = etree.fromstring(f'<wrap xmlns="{NS["t"]}">{proposals["maputo"].tei}</wrap>')[0]
    assert record.get("type") == "city"
    lat, lon = map(float, record.find("t:location/t:geo", NS).text.split())
    assert -26.5 < lat < -25.5 and 32 < lon < 33.2
    assert record.find("t:location/t:placeName", NS).get("ref") == "place:mozambique"
    assert "mozambique" in proposals  # the country it lies in is proposed too
    assert any(p.code == "unknown-place" for p in result.review_points)


def test_pasting_the_proposed_places_makes_the_draft_valid(corpus_copy):
    registers = Registers.load(corpus_copy.authority_dir)
    text = "Lakeside appeal\n\nTeams from Maputo and Kyiv met in Mozambique to plan clearance.\n"
    result = Encoder(registers).encode(
        text, issued="2024-05-06", doc_id="lakeside-appeal", today=TODAY
    )
    path = "lakeside-appeal.xml"
    problems = corpus_validator(corpus_copy).validate_bytes(result.tei_bytes, path)
    assert problems and all("does not resolve" in p.message for p in problems)
    register = corpus_copy.authority_dir / "places.xml"
    tree = etree.parse(str(register))
    for proposal in result.proposals:
        record = etree.fromstring(f'<wrap xmlns="{NS["t"]}">{proposal.tei}</wrap>')[0]
        tree.find(".//t:listPlace", NS).append(record)
    tree.write(str(register), encoding="UTF-8", xml_declaration=True)
    assert corpus_validator(corpus_copy).validate_bytes(result.tei_bytes, path) == []


def test_person_names_and_words_are_not_taken_for_towns(encoder):
    text = (
        "Mine clearance resumed in Maputo, said Denise Duran, head of the Lakeside Demining "
        "League. The mine teams returned."
    )
    places = encode(encoder, text, issued="2024-05-06").of_kind("place")
    assert [d.text for d in places] == ["Maputo"]  # not "Mine" (Japan), not "Duran" (Ecuador)


# -- organisations and treaties -------------------------------------------------------------


def test_red_cross_alone_is_resolved_by_context_never_silently_to_the_icrc(encoder):
    only = "The ICRC visited the detainees. The Red Cross will return next month."
    mark = [
        d
        for d in encode(encoder, only, issued="2024-05-06").of_kind("org")
        if d.text == "Red Cross"
    ]
    assert mark[0].ref == "org:icrc" and mark[0].needs_review
    several = (
        "The Ruritanian Red Cross Society and the IFRC opened an office. "
        "The Red Cross will register every family."
    )
    result = encode(encoder, several, issued="2024-05-06")
    mark = [d for d in result.of_kind("org") if d.text == "Red Cross"]
    assert mark[0].ref is None
    assert any(p.code == "ambiguous-org" for p in result.review_points)


def test_registered_bodies_inside_a_longer_unknown_name_are_not_marked(encoder):
    text = "The Oldtown Human Rights Watch and Human Rights Watch disagree."
    orgs = encode(encoder, text, issued="2024-05-06").of_kind("org")
    assert [(d.text, d.start) for d in orgs] == [("Human Rights Watch", text.rindex("Human"))]


def test_human_rights_and_arms_treaties_and_article_forms(encoder):
    text = (
        "Parties must respect common Article 3, Article 49 of the Fourth Geneva Convention, "
        "art. 32 AP I and Additional protocol1, the ICCPR, the Convention against Torture, the "
        "International Convention for the Protection of All Persons from Enforced Disappearance, "
        "the Arms Trade Treaty and the 1954 Hague Convention."
    )
    result = encode(encoder, text, issued="2024-05-06")
    found = [(d.ref, d.article) for d in result.of_kind("treaty")]
    assert found == [
        ("treaty:gc-1949", "common 3"),
        ("treaty:gc-1949-iv", "49"),
        ("treaty:ap-1977-i", "32"),
        ("treaty:ap-1977-i", None),
        ("treaty:iccpr-1966", None),
        ("treaty:cat-1984", None),
        ("treaty:cped-2006", None),
        ("treaty:att-2013", None),
        ("treaty:hague-1954", None),
    ]
    tree = etree.fromstring(result.tei_bytes)
    assert [rs.get("n") for rs in tree.findall(".//t:body//t:rs[@type='treaty']", NS)][:3] == [
        "common 3",
        "49",
        "32",
    ]


def test_an_unknown_instrument_is_a_review_point(encoder):
    text = "The parties invoked the Treaty of Oldtown on Lakes and the Lakeside Convention."
    result = encode(encoder, text, issued="2024-05-06")
    flagged = [
        result.text[p.start : p.end] for p in result.review_points if p.code == "unknown-treaty"
    ]
    assert flagged == ["Treaty of Oldtown on Lakes", "Lakeside Convention"]


def test_a_singular_geneva_convention_is_asked_about_not_guessed(encoder):
    result = encode(
        encoder, "Working under the Geneva Convention, the League helps.", issued="2024-05-06"
    )
    (treaty,) = result.of_kind("treaty")
    assert treaty.ref is None and len(treaty.candidates) == 4


# -- page debris and ids --------------------------------------------------------------------


DEBRIS = (
    "16 px\nA A A\nArchived page: may contain outdated information!\n  • Send page\n"
    "  • Print page\n\nLakeside appeal on the missing\n\n16-08-1995 News Release 95/39\n\n"
    "Oldtown (LDL) - The League urges the parties to account for the missing.\n"
)


def test_page_debris_is_flagged_and_never_the_title_or_id(encoder):
    result = encode(encoder, DEBRIS)
    assert result.doc_id == "lakeside-appeal-on-the-missing-1995-08-16"
    assert etree.fromstring(result.tei_bytes).find(".//t:titleStmt/t:title", NS).text == (
        "Lakeside appeal on the missing"
    )
    flagged = [
        result.text[p.start : p.end] for p in result.review_points if p.code == "page-debris"
    ]
    assert flagged[:3] == ["16 px", "A A A", "Archived page: may contain outdated information!"]


def test_a_proposed_id_is_always_a_valid_xml_id(encoder):
    result = encode(encoder, "16 px\n\n2021 was a hard year for the families of the missing.\n")
    assert result.doc_id[0].isalpha()
    assert etree.fromstring(result.tei_bytes).get("{http://www.w3.org/XML/1998/namespace}id")


def test_an_id_starting_with_a_digit_is_refused_with_a_hint(encoder, tmp_path):
    with pytest.raises(BadQuery, match="must start with a letter"):
        encode(encoder, "An appeal.", doc_id="2021-appeal")
    source = tmp_path / "appeal.txt"
    source.write_text("An appeal on the missing.\n", encoding="utf-8")
    out = tmp_path / "draft.xml"
    run = CliRunner().invoke(main, ["encode", str(source), "--id", "2021-appeal", "-o", str(out)])
    assert run.exit_code != 0 and "must start with a letter" in run.output
    assert "Traceback" not in run.output and not out.exists()
