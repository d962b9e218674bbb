"""The About page: what the archive holds, its editorial policy, licence and how to cite it,
linked from every page."""

from __future__ import annotations

import re

import pytest

from archive.search.indexing import update_index
from tests.conftest import SEED_ID
from webui import create_app


@pytest.fixture(scope="module")
def client(bundled_config):
    update_index(bundled_config)
    return create_app(bundled_config, testing=True).test_client()


def test_about_page_says_what_the_archive_holds_its_policy_licence_and_citation(client):
    response = client.get("/about")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for heading in (
        "What the archive holds, and why",
        "Editorial policy",
        "How dates are decided",
        "How names are decided",
        "Corrections and withdrawals",
        "Licence",
        "How to cite the archive",
    ):
        assert f">{heading}</h" in html, heading
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in html
    assert "CC BY 4.0" in html
    # The archive is cited under its canonical address, with the day it was read.
    assert re.search(
        r"<cite>Appeals Archive</cite>: .*https://appeals-archive.org/ \(accessed <time",
        html,
        re.S,
    )
    # The registers' sizes are the registers' own.
    people = len(client.get("/people.json").json["records"])
    assert f'<a href="/people">{people} people</a>' in html


@pytest.mark.parametrize(
    "path", ["/", "/?q=xyzzyq", f"/doc/{SEED_ID}", "/treaties", "/person/umud-mirzayev", "/nope"]
)
def test_every_page_links_to_the_about_page(client, path):
    html = client.get(path).get_data(as_text=True)
    header = html[html.index("<header") : html.index("</header>")]
    footer = html[html.index("<footer") : html.index("</footer>")]
    assert '<a href="/about">About</a>' in header
    assert '<a href="/about">About the archive</a>' in footer
    assert '<a href="/about#licence">' in footer
