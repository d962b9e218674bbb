"""Full harvests by two real OAI-PMH clients, sickle and oaipmh-scythe, over HTTP from the app
served by a real WSGI server (waitress) on a loopback port: they must get exactly the
corpus, deleted records included, across many pages."""

from __future__ import annotations

import pytest
from oaipmh_scythe import BadArgument, HTTPConfig, IdDoesNotExist, Scythe
from sickle import Sickle
from sickle import oaiexceptions as sickle_errors

from archive.storage import store
from archive.storage.store import Corpus
from tests import serving
from tests.conftest import FIXTURE_DOCUMENTS, SEED_ID
from tests.synthetic import copy_id, make_corpus, revise_seed
from webui import create_app

PREFIX = "oai:appeals-archive.org:"
PAGE_SIZE = 25


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """208 documents over nine pages: one revised, three withdrawn."""
    folder = tmp_path_factory.mktemp("harvest")
    config = make_corpus(folder, 200)
    revise_seed(config)
    for number in (7, 70, 150):
        store.withdraw(config, copy_id(number), "Duplicate record.")
    return config


@pytest.fixture(scope="module")
def endpoint(corpus):
    app = create_app(corpus)
    app.config["OAI_PAGE_SIZE"] = PAGE_SIZE
    with serving.served(app, threads=2) as port:
        yield f"http://127.0.0.1:{port}/oai"


def expected(corpus) -> tuple[set[str], set[str]]:
    store_ = Corpus(corpus)
    return set(store_.ids()), {w.doc_id for w in store_.withdrawals()}


def split(identifiers_and_deleted: list[tuple[str, bool]]) -> tuple[set[str], set[str]]:
    assert all(i.startswith(PREFIX) for i, _ in identifiers_and_deleted)
    ids = [i[len(PREFIX) :] for i, _ in identifiers_and_deleted]
    assert len(ids) == len(set(ids)), "a record was harvested twice"
    current = {i[len(PREFIX) :] for i, deleted in identifiers_and_deleted if not deleted}
    deleted = {i[len(PREFIX) :] for i, deleted in identifiers_and_deleted if deleted}
    return current, deleted


@pytest.mark.parametrize("prefix", ["oai_dc", "tei"])
def test_sickle_harvests_exactly_the_corpus(endpoint, corpus, prefix):
    client = Sickle(endpoint, max_retries=0, timeout=30)
    records = client.ListRecords(metadataPrefix=prefix, ignore_deleted=False)
    harvested = [(r.header.identifier, r.header.deleted) for r in records]
    current, deleted = expected(corpus)
    assert len(current) + len(deleted) > 8 * PAGE_SIZE  # many pages
    assert split(harvested) == (current, deleted)


def test_sickle_sees_the_revision_and_the_sets(endpoint, corpus):
    client = Sickle(endpoint, timeout=30)
    record = client.GetRecord(identifier=PREFIX + SEED_ID, metadataPrefix="oai_dc")
    assert record.metadata["identifier"][-1].endswith(f"/doc/{SEED_ID}/v2")
    assert "treaty:gc-1949:gc-1949-iv" in record.header.setSpecs
    appeals = list(client.ListIdentifiers(metadataPrefix="oai_dc", set="type:appeal"))
    # The bundled appeals and their copies (copies go round the bundled documents in turn).
    assert len(appeals) == 2 + 2 * (200 // FIXTURE_DOCUMENTS)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_oaipmh_scythe_harvests_exactly_the_corpus(endpoint, corpus, method):
    with Scythe(endpoint, http_config=HTTPConfig(http_method=method, timeout=30)) as client:
        records = client.list_records(metadata_prefix="oai_dc", ignore_deleted=False)
        harvested = [(r.header.identifier, r.header.deleted) for r in records]
        headers = client.list_identifiers(metadata_prefix="tei", ignore_deleted=False)
        listed = [(h.identifier, h.deleted) for h in headers]
    assert split(harvested) == expected(corpus)
    assert split(listed) == expected(corpus)


def test_oaipmh_scythe_reads_identify_and_sets(endpoint):
    with Scythe(endpoint, http_config=HTTPConfig(timeout=30)) as client:
        identify = client.identify()
        specs = [s.setSpec for s in client.list_sets()]
    assert identify.repositoryName == "Appeals Archive"
    assert identify.deletedRecord == "persistent"
    assert {"type:appeal", "treaty:gc-1949:gc-1949-iv"} <= set(specs)


def test_both_clients_understand_the_error_codes(endpoint):
    with pytest.raises(sickle_errors.IdDoesNotExist):
        Sickle(endpoint, timeout=30).GetRecord(
            identifier=PREFIX + "no-such-doc", metadataPrefix="oai_dc"
        )
    with pytest.raises(sickle_errors.NoRecordsMatch):
        list(
            Sickle(endpoint, timeout=30).ListIdentifiers(metadataPrefix="oai_dc", set="type:speech")
        )
    with Scythe(endpoint, http_config=HTTPConfig(timeout=30)) as client:
        with pytest.raises(IdDoesNotExist):
            client.get_record(identifier=PREFIX + "no-such-doc", metadata_prefix="tei")
        with pytest.raises(BadArgument):
            list(client.list_records(from_="2021-01-01", until="2022-01-01T00:00:00Z"))


# -- incremental harvesting: `from` the previous responseDate (issue 14, point 1) -------


@pytest.fixture
def changing(tmp_path):
    """A corpus of its own (this test changes it), served over HTTP."""
    config = make_corpus(tmp_path, 30)
    app = create_app(config)
    app.config["OAI_PAGE_SIZE"] = 10
    with serving.served(app, threads=2) as port:
        yield config, f"http://127.0.0.1:{port}/oai"


def _response_date(iterator) -> str:
    return iterator.oai_response.xml.findtext(f"{iterator.sickle.oai_namespace}responseDate")


def test_a_harvest_from_the_last_response_date_gets_exactly_what_changed(changing, tmp_path):
    from tests.test_store import NEW_ID, new_document

    config, endpoint = changing
    client = Sickle(endpoint, max_retries=0, timeout=30)
    first = client.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False)
    last_harvest = _response_date(first)  # of the first page, as harvesters keep it
    assert (
        len(split([(r.header.identifier, r.header.deleted) for r in first])[0])
        == 30 + FIXTURE_DOCUMENTS
    )
    earliest = client.Identify().earliestDatestamp

    # A new document dated 2019 by its encoder, a revision, a withdrawal.
    store.add(config, [new_document(config, tmp_path / "w", when="2019-03-01")])
    revise_seed(config)
    store.withdraw(config, copy_id(3), "Duplicate record.")

    again = client.ListRecords(
        metadataPrefix="oai_dc", ignore_deleted=False, **{"from": last_harvest}
    )
    harvested = {(r.header.identifier[len(PREFIX) :], r.header.deleted) for r in again}
    assert harvested == {(NEW_ID, False), (SEED_ID, False), (copy_id(3), True)}
    assert client.Identify().earliestDatestamp == earliest  # not moved back to 2019
    with Scythe(endpoint, http_config=HTTPConfig(timeout=30)) as scythe:
        headers = scythe.list_identifiers(
            metadata_prefix="tei", from_=last_harvest, ignore_deleted=False
        )
        listed = {(h.identifier[len(PREFIX) :], h.deleted) for h in headers}
    assert listed == harvested
