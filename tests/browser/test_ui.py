"""What a researcher does, in a real browser: search by treaty alias, narrow with facets,
read the appeal, follow a signatory, download the XML and check it, open a version."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tests.conftest import SEED_ID

pytestmark = pytest.mark.browser


def test_search_by_treaty_alias_then_tick_and_exclude_facets(page, live_server):
    page.goto(live_server + "/")
    page.get_by_label("Search words, phrases or fields").fill(
        'treaty:"Fourth Geneva Convention" OR mines'
    )
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"q=treaty"))
    titles = page.locator("a.hit-title")
    assert titles.count() >= 2
    assert "mined areas" in " ".join(titles.all_inner_texts())

    # Ticking a facet applies at once (with JavaScript) and the URL carries it.
    page.locator(".facet-type").get_by_label("appeal", exact=True).check()
    page.wait_for_url(re.compile(r"type=appeal"))
    assert page.locator("a.hit-title").count() == 2
    assert page.locator(".facet-type").get_by_label("appeal", exact=True).is_checked()

    # Excluding a value: the link toggles it off again.
    page.get_by_role("link", name="Exclude Geneva Conventions 1949").first.click()
    page.wait_for_url(re.compile(r"not_treaty=gc-1949"))
    assert page.locator("a.hit-title").all_inner_texts() == [
        "Appeal of Azerbaijani non-governmental organisations to the international community on the victims of mines and explosive remnants of war"
    ]


def test_year_histogram_bars_filter_by_year(page, live_server):
    page.goto(live_server + "/")
    page.locator('svg.histogram a[aria-label^="2023"]').click()
    page.wait_for_url(re.compile(r"year=2023"))
    assert page.locator("a.hit-title").count() == 1


def test_open_the_seed_follow_a_signatory_and_come_back(page, live_server):
    page.goto(live_server + "/?q=mine+maps")
    page.get_by_role("link", name=re.compile("Appeal of Azerbaijani civil society")).click()
    page.wait_for_url(re.compile(rf"/doc/{SEED_ID}"))
    assert (
        page.locator("h1")
        .inner_text()
        .startswith("Appeal of Azerbaijani civil society organisations")
    )
    assert page.locator("mark").count() > 0  # the search words are highlighted
    page.locator("ol.signatories").get_by_role("link", name="Umud Mirzayev").click()
    page.wait_for_url(re.compile(r"/person/umud-mirzayev"))
    assert page.locator("h1").inner_text() == "Umud Mirzayev"
    assert (
        page.get_by_role("link", name=re.compile("Appeal of Azerbaijani civil society")).count()
        == 1
    )


def test_downloaded_xml_matches_the_sha256_on_the_page(page, live_server, live_config):
    page.goto(f"{live_server}/doc/{SEED_ID}")
    shown = page.locator("code.sha256").inner_text().strip()
    with page.expect_download() as info:
        page.get_by_role("link", name="TEI XML").click()
    data = Path(info.value.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == shown
    assert data == (live_config.documents_dir / f"{SEED_ID}.xml").read_bytes()


def test_version_permalink_opens_that_version(page, live_server):
    page.goto(f"{live_server}/doc/{SEED_ID}")
    page.locator("ol.versions").get_by_role("link", name="Version 1").click()
    page.wait_for_url(re.compile(rf"/doc/{SEED_ID}/v1$"))
    # No base URL is configured for the live server: the permalink is made on the address
    # the browser used, so copying it gives a link that works here.
    permalink = page.locator("a.permalink").inner_text()
    assert permalink == f"{live_server}/doc/{SEED_ID}/v1"
    page.goto(permalink)
    assert page.locator("h1").first.is_visible()


def test_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/?q=maps")
    page.locator(".facet-type").get_by_label("petition", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"type=petition"))
    assert page.locator("a.hit-title").count() == 1
    context.close()


def test_keyboard_reaches_the_search_box_and_submits(page, live_server):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.locator("#q").focus()
    page.keyboard.type("ganja")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=ganja"))
    assert page.locator("a.hit-title").count() == 1


@pytest.mark.parametrize(
    "path",
    ["/", f"/doc/{SEED_ID}", f"/doc/{SEED_ID}?style=oscola", "/treaties", "/treaty/gc-1949"],
)
def test_readable_on_a_phone_without_sideways_scrolling(browser, live_server, path):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(live_server + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


def test_the_cite_box_copies_the_reference_by_keyboard(browser, live_server):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/doc/{SEED_ID}")
    # Choosing a style shows it at once (the script submits the form).
    page.select_option("#cite-style", "apa")
    page.wait_for_url(re.compile(r"style=apa"))
    reference = page.locator("#citation-text")
    assert reference.inner_text().startswith("Mirzayev, U., Karimoglu, R.")
    button = page.get_by_role("button", name="Copy the reference")
    assert button.is_visible()
    # Reached with Tab alone, pressed with Enter, then with Space.
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('copy')"):
            break
    else:
        pytest.fail("Tab never reached the copy button")
    expected = " ".join(reference.inner_text().split())
    page.keyboard.press("Enter")
    page.locator(".copied").filter(has_text="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == expected
    assert f"/doc/{SEED_ID}/v1" in expected
    page.evaluate("navigator.clipboard.writeText('')")
    page.keyboard.press("Space")
    page.wait_for_function("navigator.clipboard.readText().then(t => t.length > 0)")
    assert page.evaluate("navigator.clipboard.readText()") == expected
    # The URL keeps together at a phone's width: no line ends at one of its hyphens.
    page.set_viewport_size({"width": 375, "height": 800})
    tops = page.evaluate(
        """() => [...document.querySelectorAll('#citation-text .url-part')].map(part => {
               const rects = part.getClientRects();
               return rects.length;
           })"""
    )
    assert tops and all(n == 1 for n in tops), tops
    assert errors == []
    context.close()
