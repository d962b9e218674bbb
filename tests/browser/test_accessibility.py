"""Every page type passes axe-core in Chromium with no serious or critical violation.

axe.min.js (npm `axe-core`, pinned in package-lock.json) is injected into each page with
Playwright's add_script_tag. The pages' Content-Security-Policy forbids inline script, as it
should, so the context that runs axe bypasses it (bypass_csp); the other browser tests keep
the policy. Moderate and minor findings are printed, not failed.
"""

from __future__ import annotations

import re

import pytest

from tests import serving
from tests.page_types import AXE_JS, PAGE_TYPES, TOOLS_MISSING, corpus_with_every_page_type
from webui import create_app

pytestmark = pytest.mark.browser

FAILING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="module")
def every_page_type_server(tmp_path_factory):
    config = corpus_with_every_page_type(tmp_path_factory.mktemp("axe"))
    with serving.served(create_app(config), threads=4) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def axe_page(browser):
    if not AXE_JS.exists():
        pytest.skip(f"{AXE_JS} is missing: {TOOLS_MISSING}")
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()


def axe_violations(page) -> list[dict]:  # type: ignore[no-untyped-def]
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate("async () => (await axe.run(document)).violations")


@pytest.mark.parametrize(("what", "path", "status"), PAGE_TYPES, ids=[p[0] for p in PAGE_TYPES])
def test_page_type_has_no_serious_accessibility_violation(
    axe_page, every_page_type_server, what, path, status
):
    response = axe_page.goto(every_page_type_server + path)
    assert response is not None and response.status == status
    violations = axe_violations(axe_page)
    for v in violations:
        if v["impact"] not in FAILING_IMPACTS:
            print(f"axe {v['impact']} {v['id']} on {path}: {v['help']} ({len(v['nodes'])} nodes)")
    failing = [
        f"{v['impact']} {v['id']}: {v['help']}; e.g. {v['nodes'][0]['html'][:200]}"
        for v in violations
        if v["impact"] in FAILING_IMPACTS
    ]
    assert failing == [], "\n".join(failing)


def test_axe_reports_what_the_pages_once_had(axe_page, every_page_type_server):
    """The faults once on the search page (links inside role="img", a chip whose name does not
    contain its visible words) are found: the test above would see them."""
    axe_page.goto(every_page_type_server + "/")
    axe_page.evaluate(
        """() => {
        document.querySelector('svg.histogram').setAttribute('role', 'img');
        const chip = document.createElement('a');
        chip.href = '/';
        chip.textContent = 'Treaty: Geneva Conventions 1949';
        chip.setAttribute('aria-label', 'Remove Treaty: gc-1949');
        document.querySelector('main').append(chip);
    }"""
    )
    found = {v["id"] for v in axe_violations(axe_page)}
    assert {"nested-interactive", "label-content-name-mismatch"} <= found, found


def test_filter_chips_are_named_by_the_words_they_show(axe_page, every_page_type_server):
    """A screen reader hears what a sighted reader sees, with what the link does before it."""
    axe_page.goto(every_page_type_server + PAGE_TYPES[1][1])
    chips = axe_page.locator("ul.active-filters")
    assert chips.get_by_role("link", name="Remove the filter Type: appeal", exact=True).count() == 1
    assert (
        chips.get_by_role(
            "link", name="Remove the filter not Treaty: Geneva Conventions 1949", exact=True
        ).count()
        == 1
    )


@pytest.fixture(scope="module")
def axe_phone(browser):
    if not AXE_JS.exists():
        pytest.skip(f"{AXE_JS} is missing: {TOOLS_MISSING}")
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


@pytest.mark.parametrize(
    "path",
    ["/", "/?q=mines&type=appeal&not_treaty=gc-1949", '/?q=treaty:"Fourth Genva Convention"'],
)
@pytest.mark.parametrize("opened", [False, True], ids=["filters folded", "filters open"])
def test_the_search_page_on_a_phone_has_no_serious_violation(
    axe_phone, every_page_type_server, path, opened
):
    """At 390 px, with the "Filters (n)" control folded and opened: the summary is a named,
    focusable control and what it reveals passes too."""
    axe_phone.goto(every_page_type_server + path)
    summary = axe_phone.locator("details.filters > summary")
    assert summary.is_visible()
    assert re.fullmatch(r"Filters \(\d+\)", summary.inner_text())
    if opened:
        summary.click()
        assert axe_phone.locator("section.facets").is_visible()
    failing = [
        f"{v['impact']} {v['id']}: {v['help']}; e.g. {v['nodes'][0]['html'][:200]}"
        for v in axe_violations(axe_phone)
        if v["impact"] in FAILING_IMPACTS
    ]
    assert failing == [], "\n".join(failing)


def test_histogram_bars_and_facets_have_accessible_names(axe_page, every_page_type_server):
    """What a screen reader hears: each bar a link named by its year and count, each facet
    value a checkbox named by its label, each exclusion a link naming what it leaves out."""
    axe_page.goto(every_page_type_server + "/")
    histogram = axe_page.get_by_role("group", name=re.compile("^Documents per year of issue"))
    bars = histogram.get_by_role("link")
    assert bars.count() >= 3
    for i in range(bars.count()):
        assert re.fullmatch(r"\d{4}: \d+ documents?", bars.nth(i).get_attribute("aria-label"))
    facets = axe_page.get_by_role("region", name="Narrow the results")
    assert facets.get_by_role("checkbox", name="appeal", exact=True).count() == 1
    assert facets.get_by_role("link", name="Exclude appeal", exact=True).count() == 1
