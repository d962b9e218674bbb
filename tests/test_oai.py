"""OAI-PMH 2.0 through the real Flask app: every verb and every error, in both metadata
formats, checked against the official schemas (driver.xsd, oai-identifier.xsd, and the TEI
grammar for the records of metadataPrefix=tei)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from lxml import etree

from archive.publish.oai import tokens as oai_tokens
from archive.publish.oai.protocol import OAI_NS
from archive.storage import store
from archive.storage.store import Corpus
from tests.conftest import SEED_ID, SHARED_SCHEMAS
from tests.synthetic import copy_id, make_corpus, revise_seed
from webui import create_app

OAI_SCHEMAS = SHARED_SCHEMAS / "oai"
NS = {"o": OAI_NS, "dc": "http://purl.org/dc/elements/1.1/", "t": "http://www.tei-c.org/ns/1.0"}
PREFIX = "oai:appeals-archive.org:"
XS = "http://www.w3.org/2001/XMLSchema"


@pytest.fixture(scope="session")
def oai_schema(tmp_path_factory) -> etree.XMLSchema:
    """driver.xsd (OAI-PMH + oai_dc), plus oai-identifier.xsd for Identify's description,
    referenced in place."""
    if not (OAI_SCHEMAS / "driver.xsd").exists():
        pytest.skip(
            f"official OAI-PMH schemas not found in {OAI_SCHEMAS} (set ARCHIVE_SHARED_SCHEMAS)"
        )
    wrapper = etree.Element(f"{{{XS}}}schema", targetNamespace="urn:x-appeals-archive-tests")
    for namespace, name in (
        ("urn:x-driver", "driver.xsd"),
        ("http://www.openarchives.org/OAI/2.0/oai-identifier", "oai-identifier.xsd"),
    ):
        etree.SubElement(
            wrapper,
            f"{{{XS}}}import",
            namespace=namespace,
            schemaLocation=(OAI_SCHEMAS / name).resolve().as_uri(),
        )
    path = tmp_path_factory.mktemp("oai-schema") / "all.xsd"
    etree.ElementTree(wrapper).write(str(path))
    return etree.XMLSchema(etree.parse(str(path)))


@pytest.fixture(scope="session")
def identifier_schema() -> etree.XMLSchema:
    if not (OAI_SCHEMAS / "oai-identifier.xsd").exists():
        pytest.skip(f"official OAI-PMH schemas not found in {OAI_SCHEMAS}")
    return etree.XMLSchema(etree.parse(str(OAI_SCHEMAS / "oai-identifier.xsd")))


@pytest.fixture(scope="module")
def harvestable(tmp_path_factory):
    """48 documents (bundled + copies one minute apart), one revised, one withdrawn."""
    folder = tmp_path_factory.mktemp("oai")
    config = make_corpus(folder, 40)
    revise_seed(config, now="2026-11-27T10:00:00Z")
    store.withdraw(
        config,
        copy_id(4),
        "Duplicate.",
        now="2026-11-27T11:00:00Z",
    )
    return config


@pytest.fixture(scope="module")
def client(harvestable):
    app = create_app(harvestable, testing=True)
    app.config["OAI_PAGE_SIZE"] = 10
    return app.test_client()


def ask(client, schema, tei_all=None, method="GET", **args) -> etree._Element:
    """Send a request, check the response against the schemas, return its root."""
    if method == "GET":
        response = client.get("/oai?" + urlencode(args))
    else:
        response = client.post("/oai", data=args)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.data)
    envelope = copy.deepcopy(root)
    records = envelope.findall(".//o:metadata", NS)
    if args.get("metadataPrefix") == "tei" or (
        records and records[0].find("t:TEI", NS) is not None
    ):
        for metadata in records:
            tei = metadata[0]
            assert tei.tag == f"{{{NS['t']}}}TEI"
            if tei_all is not None:
                assert tei_all.validate(etree.ElementTree(copy.deepcopy(tei))), tei_all.error_log
            metadata.getparent().remove(metadata)
    assert schema.validate(envelope), schema.error_log
    return root


def error_code(root: etree._Element) -> str | None:
    error = root.find("o:error", NS)
    return error.get("code") if error is not None else None


# --- the six verbs ------------------------------------------------------------------------


def test_identify(client, oai_schema):
    root = ask(client, oai_schema, verb="Identify")
    identify = root.find("o:Identify", NS)
    assert identify.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("o:baseURL", namespaces=NS) == "http://localhost/oai"
    assert identify.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext("o:earliestDatestamp", namespaces=NS) == "2025-01-01T00:00:00Z"
    assert root.find("o:request", NS).attrib == {"verb": "Identify"}


def test_list_metadata_formats_for_the_repository_and_for_an_item(client, oai_schema):
    for args in ({}, {"identifier": PREFIX + SEED_ID}):
        root = ask(client, oai_schema, verb="ListMetadataFormats", **args)
        prefixes = root.xpath("//o:metadataPrefix/text()", namespaces=NS)
        assert prefixes == ["oai_dc", "tei"]


def test_list_sets_holds_types_and_the_treaty_hierarchy(client, oai_schema):
    root = ask(client, oai_schema, verb="ListSets")
    specs = root.xpath("//o:setSpec/text()", namespaces=NS)
    assert {"type", "type:appeal", "type:statement", "treaty", "treaty:gc-1949"} <= set(specs)
    assert "treaty:gc-1949:gc-1949-iv" in specs and "treaty:ap-1977:ap-1977-i" in specs


@pytest.mark.parametrize("prefix", ["oai_dc", "tei"])
def test_get_record(client, oai_schema, tei_all, prefix):
    root = ask(
        client,
        oai_schema,
        tei_all,
        verb="GetRecord",
        identifier=PREFIX + SEED_ID,
        metadataPrefix=prefix,
    )
    record = root.find("o:GetRecord/o:record", NS)
    assert record.findtext("o:header/o:datestamp", namespaces=NS) == "2026-11-27T10:00:00Z"
    specs = record.xpath("o:header/o:setSpec/text()", namespaces=NS)
    assert {"type:appeal", "treaty:gc-1949", "treaty:gc-1949:gc-1949-iv"} <= set(specs)
    if prefix == "tei":
        tei = record.find("o:metadata/t:TEI", NS)
        assert tei.get("{http://www.w3.org/XML/1998/namespace}id") == SEED_ID
        assert "ecological disaster" in etree.tostring(tei, encoding="unicode")
    else:
        dc = record.find("o:metadata", NS)[0]
        assert dc.findtext("dc:title", namespaces=NS).startswith("Appeal of Azerbaijani civil")
        assert dc.xpath("dc:creator/text()", namespaces=NS)[0] == "Mirzayev, Umud"
        assert dc.xpath("dc:identifier/text()", namespaces=NS) == [
            f"https://appeals-archive.org/doc/{SEED_ID}",
            f"https://appeals-archive.org/doc/{SEED_ID}/v2",
        ]
        assert dc.findtext("dc:date", namespaces=NS) == "2021-03-25"
        assert "Geneva Conventions 1949" in dc.xpath("dc:subject/text()", namespaces=NS)


def test_a_withdrawn_document_is_a_deleted_record_without_metadata(client, oai_schema):
    gone = copy_id(4)
    root = ask(
        client, oai_schema, verb="GetRecord", identifier=PREFIX + gone, metadataPrefix="oai_dc"
    )
    record = root.find("o:GetRecord/o:record", NS)
    assert record.find("o:header", NS).get("status") == "deleted"
    assert record.findtext("o:header/o:datestamp", namespaces=NS) == "2026-11-27T11:00:00Z"
    assert record.find("o:metadata", NS) is None
    # A copy of the seed (copies go round the bundled documents in id order): an appeal.
    assert "type:appeal" in record.xpath("o:header/o:setSpec/text()", namespaces=NS)


def _harvest(client, schema, tei_all=None, method="GET", **args) -> list[etree._Element]:
    """Every page of a list, following resumption tokens; checks cursor and list size."""
    verb = args["verb"]
    pages = [ask(client, schema, tei_all, method=method, **args)]
    seen = 0
    while True:
        token = pages[-1].find(f"o:{verb}/o:resumptionToken", NS)
        count = len(pages[-1].find(f"o:{verb}", NS).xpath("o:record|o:header", namespaces=NS))
        if token is None:
            assert len(pages) == 1
            return pages
        assert int(token.get("cursor")) == seen
        seen += count
        if not token.text:
            assert int(token.get("completeListSize")) == seen
            return pages
        assert token.get("expirationDate")
        pages.append(
            ask(client, schema, tei_all, method=method, verb=verb, resumptionToken=token.text)
        )


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_list_identifiers_pages_through_every_record_with_deleted_ones(
    client, oai_schema, harvestable, method
):
    pages = _harvest(
        client, oai_schema, method=method, verb="ListIdentifiers", metadataPrefix="oai_dc"
    )
    assert len(pages) == 5  # 48 records, 10 a page
    headers = [h for page in pages for h in page.iterfind("o:ListIdentifiers/o:header", NS)]
    ids = [h.findtext("o:identifier", namespaces=NS)[len(PREFIX) :] for h in headers]
    corpus = Corpus(harvestable)
    deleted = [i for h, i in zip(headers, ids, strict=True) if h.get("status") == "deleted"]
    assert sorted(ids) == sorted(corpus.ids() + deleted)
    assert deleted == [w.doc_id for w in corpus.withdrawals()]
    stamps = [
        (h.findtext("o:datestamp", namespaces=NS), i) for h, i in zip(headers, ids, strict=True)
    ]
    assert stamps == sorted(stamps)


@pytest.mark.parametrize("prefix", ["oai_dc", "tei"])
def test_list_records_in_both_formats(client, oai_schema, tei_all, prefix):
    pages = _harvest(
        client, oai_schema, tei_all, verb="ListRecords", metadataPrefix=prefix, set="type:appeal"
    )
    records = [r for page in pages for r in page.iterfind("o:ListRecords/o:record", NS)]
    # Two bundled appeals and five copies of each, one of them withdrawn (copy 4).
    assert len(records) == 2 + 10
    deleted = [r for r in records if r.find("o:header", NS).get("status") == "deleted"]
    assert len(deleted) == 1 and deleted[0].find("o:metadata", NS) is None
    assert all(r.find("o:metadata", NS) is not None for r in records if r not in deleted)


def test_the_request_element_echoes_the_arguments(client, oai_schema):
    root = ask(
        client, oai_schema, verb="ListIdentifiers", metadataPrefix="oai_dc", set="type:petition"
    )
    assert root.find("o:request", NS).attrib == {
        "verb": "ListIdentifiers",
        "metadataPrefix": "oai_dc",
        "set": "type:petition",
    }


# --- selective harvesting ----------------------------------------------------------------


def _identifiers(client, schema, **args) -> list[str]:
    pages = _harvest(client, schema, verb="ListIdentifiers", metadataPrefix="oai_dc", **args)
    return [
        i[len(PREFIX) :]
        for page in pages
        for i in page.xpath("//o:identifier/text()", namespaces=NS)
    ]


def test_from_and_until_at_seconds_granularity_are_inclusive(client, oai_schema):
    ids = _identifiers(
        client, oai_schema, **{"from": "2025-01-01T00:03:00Z", "until": "2025-01-01T00:05:00Z"}
    )
    assert ids == [copy_id(3), copy_id(5)]  # copy 4 was withdrawn: it has moved on


def test_from_and_until_at_day_granularity(client, oai_schema, harvestable):
    assert _identifiers(client, oai_schema, **{"from": "2026-11-27", "until": "2026-11-27"}) == [
        SEED_ID,
        copy_id(4),
    ]
    assert (
        len(_identifiers(client, oai_schema, until="2025-01-01")) == 39
    )  # 40 copies, one moved on


def test_a_group_set_holds_the_records_of_its_members(client, oai_schema):
    group = _identifiers(client, oai_schema, set="treaty:gc-1949")
    member = _identifiers(client, oai_schema, set="treaty:gc-1949:gc-1949-iv")
    assert SEED_ID in member and set(member) <= set(group)


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": ["Identify", "Identify"]}, "badVerb"),
        ({"verb": "Identify", "extra": "1"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "tei"]}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2021-3-1"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2021-02-30"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2021-01-01T00:00:00.5Z"},
            "badArgument",
        ),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2021-01-01",
                "until": "2022-01-01T00:00:00Z",
            },
            "badArgument",
        ),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2022-01-01",
                "until": "2021-01-01",
            },
            "badArgument",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "type appeal"}, "badArgument"),
        (
            {"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
            "badArgument",
        ),
        ({"verb": "Identify", "x": "\x01"}, "badArgument"),
        ({"verb": "ListRecords", "resumptionToken": "abc.def"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "abc"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "mods"}, "cannotDisseminateFormat"),
        (
            {"verb": "GetRecord", "metadataPrefix": "marc", "identifier": PREFIX + SEED_ID},
            "cannotDisseminateFormat",
        ),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": PREFIX + "no-such-doc"},
            "idDoesNotExist",
        ),
        (
            {
                "verb": "GetRecord",
                "metadataPrefix": "oai_dc",
                "identifier": "oai:other.org:" + SEED_ID,
            },
            "idDoesNotExist",
        ),
        (
            {
                "verb": "GetRecord",
                "metadataPrefix": "oai_dc",
                "identifier": PREFIX + "../etc/passwd",
            },
            "idDoesNotExist",
        ),
        ({"verb": "ListMetadataFormats", "identifier": PREFIX + "nothing-here"}, "idDoesNotExist"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2099-01-01"},
            "noRecordsMatch",
        ),
        (
            {"verb": "ListIdentifiers", "metadataPrefix": "tei", "set": "type:speech"},
            "noRecordsMatch",
        ),
    ],
)
def test_each_error_answers_its_code_in_a_valid_response(client, oai_schema, args, code):
    query = urlencode(args, doseq=True)
    response = client.get(f"/oai?{query}")
    root = etree.fromstring(response.data)
    assert oai_schema.validate(root), oai_schema.error_log
    assert error_code(root) == code, root.findtext("o:error", namespaces=NS)
    assert root.findtext("o:error", namespaces=NS)  # a message for people
    if code in ("badVerb", "badArgument"):
        assert root.find("o:request", NS).attrib == {}


def _first_token(client, schema) -> str:
    root = ask(client, schema, verb="ListRecords", metadataPrefix="oai_dc")
    return root.find("o:ListRecords/o:resumptionToken", NS).text


def _token_error(client, token: str, verb: str = "ListRecords") -> str | None:
    response = client.get("/oai?" + urlencode({"verb": verb, "resumptionToken": token}))
    return error_code(etree.fromstring(response.data))


def test_a_forged_token_is_refused(client, oai_schema, harvestable):
    token = _first_token(client, oai_schema)
    position = oai_tokens.read(oai_tokens.token_key(harvestable.instance), token, datetime.now(UTC))
    skipped = oai_tokens.ListPosition(
        **{**position.__dict__, "cursor": 0, "set_spec": "type:appeal"}
    )
    forged = oai_tokens.issue(b"another key" * 3, skipped)
    assert _token_error(client, forged) == "badResumptionToken"
    mac = token.split(".")[1]
    altered = oai_tokens.issue(b"x", skipped).split(".")[0] + "." + mac
    assert _token_error(client, altered) == "badResumptionToken"


def test_a_truncated_token_is_refused(client, oai_schema):
    token = _first_token(client, oai_schema)
    for cut in (token[:-1], token[: len(token) // 2], token.split(".")[0], ""):
        assert _token_error(client, cut) == "badResumptionToken"


def test_a_stale_token_is_refused(client, oai_schema, harvestable):
    key = oai_tokens.token_key(harvestable.instance)
    position = oai_tokens.read(key, _first_token(client, oai_schema), datetime.now(UTC))
    expired = int((datetime.now(UTC) - timedelta(seconds=1)).timestamp())
    stale = oai_tokens.issue(
        key, oai_tokens.ListPosition(**{**position.__dict__, "expires": expired})
    )
    assert _token_error(client, stale) == "badResumptionToken"


def test_a_token_continues_only_its_own_verb(client, oai_schema):
    assert (
        _token_error(client, _first_token(client, oai_schema), "ListIdentifiers")
        == "badResumptionToken"
    )


def test_every_identifier_follows_the_oai_identifier_scheme(client, oai_schema, identifier_schema):
    ns = "http://www.openarchives.org/OAI/2.0/oai-identifier"
    for identifier in _identifiers(client, oai_schema):
        element = etree.Element(f"{{{ns}}}oai-identifier", nsmap={None: ns})
        for name, value in (
            ("scheme", "oai"),
            ("repositoryIdentifier", "appeals-archive.org"),
            ("delimiter", ":"),
            ("sampleIdentifier", PREFIX + identifier),
        ):
            etree.SubElement(element, f"{{{ns}}}{name}").text = value
        assert identifier_schema.validate(element), identifier_schema.error_log


# --- datestamps follow changes -------------------------------------------------------------


def test_datestamps_change_with_a_new_version_and_a_withdrawal(corpus_copy, tmp_path, oai_schema):
    client = create_app(corpus_copy, testing=True).test_client()

    def header(doc_id):
        root = ask(
            client,
            oai_schema,
            verb="GetRecord",
            identifier=PREFIX + doc_id,
            metadataPrefix="oai_dc",
        )
        head = root.find("o:GetRecord/o:record/o:header", NS)
        return head.findtext("o:datestamp", namespaces=NS), head.get("status")

    assert header(SEED_ID) == ("2026-11-26T00:00:00Z", None)
    revise_seed(corpus_copy, now="2026-12-11T08:15:30Z")
    assert header(SEED_ID) == ("2026-12-11T08:15:30Z", None)
    store.withdraw(corpus_copy, SEED_ID, "Withdrawn by its editors.", now="2026-12-12T09:00:00Z")
    assert header(SEED_ID) == ("2026-12-12T09:00:00Z", "deleted")
    since = _identifiers(client, oai_schema, **{"from": "2026-12-12"})
    assert since == [SEED_ID]


@pytest.mark.parametrize(
    "args",
    [
        {"verb": "ListRecords", "metadataPrefix": "oai dc"},
        {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "no such id"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "type:no such set"},
    ],
)
def test_an_error_answer_validates_whatever_was_asked(client, oai_schema, args):
    """The <request> echo is typed by OAI-PMH.xsd: a value it refuses is left out."""
    root = ask(client, oai_schema, **args)
    assert root.find("o:error", NS) is not None
    request = root.find("o:request", NS)
    # badArgument echoes nothing (the protocol); the others echo what the schema allows.
    assert request.get("verb") == (
        None if root.find("o:error", NS).get("code") == "badArgument" else args["verb"]
    )
    assert " " not in "".join(request.attrib.values())


def dublin_core(client, oai_schema, doc_id: str) -> etree._Element:
    root = ask(
        client, oai_schema, verb="GetRecord", identifier=PREFIX + doc_id, metadataPrefix="oai_dc"
    )
    return root.find("o:GetRecord/o:record/o:metadata", NS)[0]


def test_oai_dc_dates_are_one_w3cdtf_date_or_a_closed_interval(client, oai_schema):
    petition = dublin_core(client, oai_schema, "petition-minefield-maps-2021")
    assert petition.findtext("dc:date", namespaces=NS) == "2020-11-10/2021-04-22"
    # "not after 17 May 2021": W3CDTF has no open end; the year is what the source states.
    bonn = dublin_core(client, oai_schema, "bonn-declaration-mine-maps-2021")
    assert bonn.findtext("dc:date", namespaces=NS) == "2021"


def test_oai_dc_rights_come_from_the_document_and_addressees_are_no_contributors(
    client, oai_schema, harvestable
):
    seed = dublin_core(client, oai_schema, SEED_ID)
    assert "CC BY 4.0" in seed.findtext("dc:rights", namespaces=NS)
    document = Corpus(harvestable).document(SEED_ID)
    assert document.addressees
    addressed = [
        d for d in seed.xpath("dc:description/text()", namespaces=NS) if d.startswith("Addressed")
    ]
    assert addressed and "United Nations" in addressed[0]
    assert not seed.xpath("dc:contributor", namespaces=NS)
