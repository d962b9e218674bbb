"""The base URL: links work where the archive runs, names stay the same wherever it runs."""

from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree

from archive.config import CANONICAL_BASE_URL, LOCAL_BASE_URL, Config
from archive.publish import export_chunks, select
from archive.search import SearchRequest
from archive.storage import Corpus
from tests.conftest import SEED_ID
from webui import create_app

LOCAL = "http://127.0.0.1:8123"


def test_the_base_url_comes_from_the_environment_or_nowhere():
    assert Config.from_env(environ={}).base_url is None
    configured = Config.from_env(environ={"ARCHIVE_BASE_URL": "https://archive.example.org/"})
    assert configured.base_url == "https://archive.example.org"
    assert configured.permalink("x", 2) == "https://archive.example.org/doc/x/v2"


def test_without_a_base_url_links_outside_a_request_point_to_the_local_server():
    config = Config()
    assert config.permalink(SEED_ID) == f"{LOCAL_BASE_URL}/doc/{SEED_ID}"
    # Names that must not depend on the host keep the archive's own.
    assert config.canonical_base == CANONICAL_BASE_URL


@pytest.fixture
def local_client(bundled_config):
    """The archive run locally without a base URL, reached at LOCAL."""
    app = create_app(replace(bundled_config, base_url=None), testing=True)
    return app.test_client()


def test_a_local_run_links_to_where_it_was_reached(local_client):
    response = local_client.get(f"/doc/{SEED_ID}", base_url=LOCAL)
    html = response.get_data(as_text=True)
    assert response.headers["Link"] == f'<{LOCAL}/doc/{SEED_ID}/v1>; rel="cite-as"'
    assert f'href="{LOCAL}/doc/{SEED_ID}/v1"' in html  # the permalink in the Cite box
    assert f"{LOCAL}/doc/{SEED_ID}/v1." in html  # the formatted reference
    assert "appeals-archive.org" not in html
    data = local_client.get(f"/doc/{SEED_ID}.json", base_url=LOCAL).get_json()
    assert data["permalink"] == f"{LOCAL}/doc/{SEED_ID}"
    bib = local_client.get(f"/doc/{SEED_ID}.bib", base_url=LOCAL).get_data(as_text=True)
    assert f"url = {{{LOCAL}/doc/{SEED_ID}/v1}}" in bib


def test_a_local_run_feeds_and_harvests_with_working_links_and_stable_names(local_client):
    atom = etree.fromstring(local_client.get("/feed.atom", base_url=LOCAL).data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert atom.findtext("a:id", namespaces=ns) == f"{LOCAL}/feed.atom"
    assert all(i.startswith(LOCAL) for i in atom.xpath("a:entry/a:id/text()", namespaces=ns))
    oai = etree.fromstring(
        local_client.get(
            "/oai",
            query_string={
                "verb": "GetRecord",
                "metadataPrefix": "oai_dc",
                "identifier": f"oai:appeals-archive.org:{SEED_ID}",
            },
            base_url=LOCAL,
        ).data
    )
    identifiers = oai.xpath(
        "//dc:identifier/text()", namespaces={"dc": "http://purl.org/dc/elements/1.1/"}
    )
    assert f"{LOCAL}/doc/{SEED_ID}/v1" in identifiers
    # The OAI identifier is a name, not a link: the same whichever host answers.
    assert oai.xpath(
        "//*[local-name()='identifier' and parent::*[local-name()='header']]/text()"
    ) == [f"oai:appeals-archive.org:{SEED_ID}"]


def test_a_configured_base_url_wins_over_the_address_of_the_request(bundled_config):
    client = create_app(bundled_config, testing=True).test_client()
    response = client.get(f"/doc/{SEED_ID}", base_url=LOCAL)
    assert response.headers["Link"] == f'<{CANONICAL_BASE_URL}/doc/{SEED_ID}/v1>; rel="cite-as"'
    assert LOCAL not in response.get_data(as_text=True)


def test_an_export_made_in_a_request_points_where_the_request_came(local_client):
    ris = local_client.get("/export", query_string={"format": "ris"}, base_url=LOCAL)
    assert f"UR  - {LOCAL}/doc/{SEED_ID}/v1" in ris.get_data(as_text=True)


def test_an_export_from_the_command_line_uses_the_configured_or_local_address(bundled_config):
    unset = replace(bundled_config, base_url=None)
    chosen = select(Corpus(unset), SearchRequest.from_params({}), None)
    ris = b"".join(export_chunks("ris", chosen, unset)).decode()
    assert f"UR  - {LOCAL_BASE_URL}/doc/{SEED_ID}/v1" in ris
