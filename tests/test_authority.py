"""The registers resolve every name people use, report collisions, and know the hierarchy."""

import pytest

from archive.document.authority import Registers, normalize_name
from archive.errors import BadQuery
from tests.conftest import FIXTURE_CORPUS


@pytest.fixture(scope="module")
def registers() -> Registers:
    return Registers.load(FIXTURE_CORPUS / "authority")


REQUIRED_TREATIES = [
    "gc-1949",
    "gc-1949-i",
    "gc-1949-ii",
    "gc-1949-iii",
    "gc-1949-iv",
    "ap-1977",
    "ap-1977-i",
    "ap-1977-ii",
    "ap-2005-iii",
    "apmbc-1997",
    "ccw-1980",
    "ccw-1996-apii",
    "ccw-2003-pv",
    "ccm-2008",
    "cwc-1993",
    "hague-1907-iv",
    "rome-1998",
    "geneva-protocol-1925",
]


def test_register_holds_every_required_treaty_with_dates(registers):
    for treaty_id in REQUIRED_TREATIES:
        treaty = registers.treaties.get(treaty_id)
        assert treaty.name and treaty.adopted and treaty.entry_into_force, treaty_id


@pytest.mark.parametrize(
    ("alias", "treaty_id"),
    [
        ("Ottawa Treaty", "apmbc-1997"),
        ("the Mine Ban Convention", "apmbc-1997"),
        ("apmbc-1997", "apmbc-1997"),
        ("Fourth Geneva Convention", "gc-1949-iv"),
        ("GC IV", "gc-1949-iv"),
        ("gciv-1949", "gc-1949-iv"),
        ("AP I", "ap-1977-i"),
        ("Additional Protocol I", "ap-1977-i"),
        ("1949 Geneva Conventions", "gc-1949"),
        ("the 1977 Protocols", "ap-1977"),
        ("Rome Statute", "rome-1998"),
        ("CCW", "ccw-1980"),
        ("Amended Protocol II", "ccw-1996-apii"),
    ],
)
def test_aliases_resolve(registers, alias, treaty_id):
    assert registers.treaties.resolve(alias).id == treaty_id


@pytest.mark.parametrize(
    ("alias", "ids"),
    [
        ("Protocol II", {"ap-1977-ii", "ccw-1996-apii"}),
        ("APII", {"ap-1977-ii", "ccw-1996-apii"}),
        ("Oslo Convention", {"apmbc-1997", "ccm-2008"}),
    ],
)
def test_colliding_aliases_are_reported_with_their_candidates(registers, alias, ids):
    assert {t.id for t in registers.treaties.find(alias)} == ids
    with pytest.raises(BadQuery) as caught:
        registers.treaties.resolve(alias)
    assert "ambiguous" in str(caught.value)
    assert set(caught.value.suggestions) == ids


@pytest.mark.parametrize(
    ("written", "treaty_id"),
    [
        ("GC4", "gc-1949-iv"),
        ("GC 4", "gc-1949-iv"),
        ("gc-iv", "gc-1949-iv"),
        ("GC3", "gc-1949-iii"),
        ("Geneva Convention 4", "gc-1949-iv"),
        ("AP1", "ap-1977-i"),
        ("AP 3", "ap-2005-iii"),
        ("CCM", "ccm-2008"),
        ("APMBC", "apmbc-1997"),
        ("Ottawa", "apmbc-1997"),
    ],
)
def test_treaties_resolve_as_researchers_abbreviate_them(registers, written, treaty_id):
    assert registers.treaties.resolve(written).id == treaty_id


def test_an_ambiguous_abbreviation_lists_first_the_instrument_it_usually_means(registers):
    # APII is Additional Protocol II in the ICRC's databases (apii-1977), and the CCW's
    # Amended Protocol II too: both are offered, the first first.
    with pytest.raises(BadQuery) as caught:
        registers.treaties.resolve("APII")
    assert caught.value.suggestions == ["ap-1977-ii", "ccw-1996-apii"]


@pytest.mark.parametrize(
    ("written", "first"),
    [("GC5", "GC IV"), ("AP 4", "AP I"), ("GC IIII", "GC III"), ("Otawa Treaty", "Ottawa Treaty")],
)
def test_an_unknown_treaty_suggests_the_closest_abbreviation_first(registers, written, first):
    with pytest.raises(BadQuery) as caught:
        registers.treaties.resolve(written)
    assert caught.value.suggestions[0] == first
    # Each instrument once: not GCs, GCI and gc-1949 for one group of conventions.
    names = caught.value.suggestions
    ids = [registers.treaties.resolve(n).id for n in names if len(registers.treaties.find(n)) == 1]
    assert len(ids) == len(set(ids))


def test_unknown_alias_suggests_close_names(registers):
    with pytest.raises(BadQuery) as caught:
        registers.treaties.resolve("Otawa Treaty")
    assert "Ottawa Treaty" in caught.value.suggestions


def test_groups_hold_their_members_and_citing_a_group_cites_each_member(registers):
    assert [t.id for t in registers.treaties.members("gc-1949")] == [
        "gc-1949-i",
        "gc-1949-ii",
        "gc-1949-iii",
        "gc-1949-iv",
    ]
    assert registers.treaties.expand_cited(["ap-1977"]) == ["ap-1977", "ap-1977-i", "ap-1977-ii"]
    assert registers.treaties.expand_cited(["gc-1949-iv"]) == ["gc-1949-iv", "gc-1949"]


def test_citing_a_parent_treaty_does_not_imply_its_protocols(registers):
    assert registers.treaties.expand_cited(["ccw-1980"]) == ["ccw-1980"]
    assert registers.treaties.expand_cited(["ccw-2003-pv"]) == ["ccw-2003-pv", "ccw-1980"]
    assert registers.treaties.query_ids("ccw-1980") == ["ccw-1980", "ccw-1996-apii", "ccw-2003-pv"]


def test_icrc_links_and_slugs(registers):
    assert (
        registers.treaties.get("gc-1949-iv").icrc_url
        == "https://ihl-databases.icrc.org/en/ihl-treaties/gciv-1949"
    )
    assert registers.treaties.get("rome-1998").icrc_slug == "icc-statute-1998"


def test_persons_are_found_by_variant_spelling_and_surname(registers):
    assert registers.persons.resolve("Umud Mirzəyev").id == "umud-mirzayev"
    assert registers.persons.resolve("Mirzayev").id == "umud-mirzayev"
    assert registers.persons.resolve("Rey Kerimoglu").id == "rey-karimoglu"
    signatories = [
        "umud-mirzayev",
        "rey-karimoglu",
        "hafiz-safikhanov",
        "shahin-ibrahimov",
        "mammadhasan-hasanov",
    ]
    assert all(s in registers.persons for s in signatories)


def test_organisations_by_variant_and_abbreviation(registers):
    assert registers.organisations.resolve("International Eurasian Press Fund").id == "iepf"
    assert (
        registers.organisations.resolve("Azerbaijani Company Against Mines Public Union").id
        == "azcbl"
    )
    assert registers.organisations.resolve("AzCBL").id == "azcbl"
    assert registers.organisations.resolve("ANAMA").id == "anama"


def test_places_have_coordinates(registers):
    for place in registers.places:
        assert place.latitude is not None and place.longitude is not None, place.id
    assert registers.places.resolve("Terter").id == "tartar"
    ganja = registers.places.get("ganja")
    assert round(ganja.latitude, 1) == 40.7 and round(ganja.longitude, 1) == 46.4


def test_normalize_name_ignores_case_accents_articles_and_punctuation():
    assert normalize_name("The Ottawa-Treaty") == normalize_name("ottawa treaty")
    assert normalize_name("Mirzəyev") == "mirzayev"


def test_places_lie_within_places_as_treaties_within_their_groups(registers):
    places = registers.places
    assert places.with_ancestors(["aghdam"]) == ["aghdam", "karabakh", "azerbaijan"]
    within = places.query_ids("karabakh")
    assert within[0] == "karabakh" and {"aghdam", "nagorno-karabakh", "shusha"} <= set(within)
    assert "ganja" not in within  # in Azerbaijan, not in Karabakh
    assert set(places.query_ids("azerbaijan")) > set(within)
    # One idea for both registers: the same methods, the same answers for treaties.
    assert registers.treaties.query_ids("gc-1949")[0] == "gc-1949"
    assert type(places).query_ids is type(registers.treaties).query_ids
