"""Every kind of page the web UI serves, on a corpus that has each of them, and the checkers
the pages go through (the Nu HTML Checker, axe-core: npm packages that scripts/test installs
from package-lock.json into node_modules/).

Shared by tests/test_web_validity.py (all pages through vnu in one JVM) and
tests/browser/test_accessibility.py (axe-core in Chromium), so that both check the same page
types: a page type added here is checked by both.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from archive.config import PROJECT_ROOT, Config
from archive.search.indexing import update_index
from archive.storage import store
from archive.storage.store import Corpus
from tests.conftest import DEPLOYED, FIXTURE_CORPUS, SEED_ID

NODE_MODULES = PROJECT_ROOT / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
TOOLS_MISSING = "run `npm ci` in the project (scripts/test does)"

WITHDRAWN_ID = "bonn-declaration-mine-maps-2021"

# (what, path, status): one of each page type. The filtered search has a selected value, an
# excluded one and a date range, so that every kind of filter chip shows.
PAGE_TYPES = [
    ("search", "/", 200),
    ("search with filters", "/?q=mines&type=appeal&not_treaty=gc-1949&from=2020&to=2022", 200),
    ("search, no results", "/?q=xyzzyq", 200),
    ("search, did you mean", "/?q=mnies", 200),
    ("search, bad query", '/?q=treaty:"Fourth Genva Convention"', 400),
    ("search, bad parameter", "/?page=0", 400),
    ("unknown page", "/no-such-page", 404),
    ("document", f"/doc/{SEED_ID}", 200),
    ("older version", f"/doc/{SEED_ID}/v1", 200),
    ("document opened from a search", f"/doc/{SEED_ID}?from=q%3Dmines%26sort%3Ddate&hit=2", 200),
    ("two versions compared", f"/doc/{SEED_ID}/compare?a=1&b=2", 200),
    ("withdrawn document (tombstone)", f"/doc/{WITHDRAWN_ID}", 410),
    ("version of a withdrawn document", f"/doc/{WITHDRAWN_ID}/v1", 200),
    ("document with an uncertain date range", "/doc/petition-minefield-maps-2021", 200),
    ("document cited in a style (OSCOLA)", f"/doc/{SEED_ID}?style=oscola", 200),
    ("search with synonyms also searched", "/?q=mine+maps", 200),
    ("search for a name no register holds", "/?q=signatory:Smith", 200),
    ("treaties", "/treaties", 200),
    ("people", "/people", 200),
    ("organisations", "/organisations", 200),
    ("places", "/places", 200),
    ("treaty", "/treaty/gc-1949", 200),
    ("protocol (with a parent)", "/treaty/ap-1977-i", 200),
    ("person", "/person/umud-mirzayev", 200),
    ("organisation", "/org/iepf", 200),
    ("place", "/place/azerbaijan", 200),
    ("about", "/about", 200),
]


def corpus_with_every_page_type(root: Path) -> Config:
    """A copy of the bundled corpus where the seed has a second version (so its v1 is an
    older version) and one document is withdrawn (a tombstone), indexed."""
    shutil.copytree(FIXTURE_CORPUS, root / "corpus")
    config = Config(corpus=root / "corpus", instance=root / "instance", base_url=DEPLOYED)
    text = Corpus(config).read_bytes(SEED_ID).decode("utf-8")
    revised = root / f"{SEED_ID}.xml"
    revised.write_text(
        text.replace("ecological catastrophe", "ecological disaster"), encoding="utf-8"
    )
    store.add(config, [revised], revise=True, message="Second reading of the source.")
    store.withdraw(config, WITHDRAWN_ID, "Duplicate record")
    update_index(config)
    return config
