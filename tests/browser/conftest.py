"""A live archive behind waitress on a loopback port, and Debian's Chromium driven by
Playwright (which never downloads a browser of its own here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archive.config import Config
from archive.search.indexing import update_index
from tests import serving
from tests.conftest import FIXTURE_CORPUS
from webui import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def live_config(tmp_path_factory) -> Config:
    root = tmp_path_factory.mktemp("live")
    shutil.copytree(FIXTURE_CORPUS, root / "corpus")
    config = Config(corpus=root / "corpus", instance=root / "instance")
    update_index(config)
    return config


@pytest.fixture(scope="session")
def live_server(live_config):
    with serving.served(create_app(live_config), threads=4) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed"
    )
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page that records console errors and uncaught exceptions: a test fails if any."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    yield page
    context.close()
    assert errors == [], f"console errors: {errors}"
