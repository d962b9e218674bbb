"""Synthetic corpora for export and harvesting tests and benchmarks: the bundled documents,
templated into as many valid documents as needed.

Each copy is a bundled document with a new id (`<template>-syn-000042`), its own title, and
its own version time (one minute apart, so harvesting by date has something to select), written
as `documents/<id>.xml` and `versions/<id>/1.xml` with its fixity record (stored at that time)
like `archive add` would, but without validating each copy (a test checks that copies
validate). XML is edited with lxml.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree

from archive.config import CANONICAL_BASE_URL, Config
from archive.document.tei import NS, XML_ID
from archive.storage import fixity, store
from tests.conftest import FIXTURE_CORPUS

SEED_ID = "ngo-appeal-mine-maps-2021"

START = datetime(2025, 1, 1, tzinfo=UTC)


def _templates() -> list[etree._ElementTree]:
    return [
        etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        for path in sorted((FIXTURE_CORPUS / "documents").glob("*.xml"))
    ]


def synthetic_id(template_id: str, number: int) -> str:
    return f"{template_id[:80]}-syn-{number:06d}"


def copy_id(number: int) -> str:
    """The id `make_corpus` gives copy `number`."""
    templates = sorted(p.stem for p in (FIXTURE_CORPUS / "documents").glob("*.xml"))
    return synthetic_id(templates[number % len(templates)], number)


def make_corpus(folder: Path, count: int, *, start: int = 0) -> Config:
    """A corpus in `folder/corpus` holding the bundled documents and `count` copies (ids
    numbered from `start`), with an instance folder `folder/instance`."""
    corpus = folder / "corpus"
    if not corpus.exists():
        shutil.copytree(FIXTURE_CORPUS, corpus)
    templates = _templates()
    records = []
    for number in range(start, start + count):
        tree = templates[number % len(templates)]
        doc_id = synthetic_id(tree.getroot().get(XML_ID), number)
        data = _variant(tree, doc_id, number)
        (corpus / "documents" / f"{doc_id}.xml").write_bytes(data)
        version_dir = corpus / "versions" / doc_id
        version_dir.mkdir(parents=True, exist_ok=True)
        (version_dir / "1.xml").write_bytes(data)
        stored = (START + timedelta(minutes=number)).strftime("%Y-%m-%dT%H:%M:%SZ")
        records.append(fixity.VersionRecord(doc_id, 1, fixity.sha256_hex(data), stored))
    fixity.FixityManifest(corpus).append(records)
    return Config(corpus=corpus, instance=folder / "instance", base_url=CANONICAL_BASE_URL)


def _variant(tree: etree._ElementTree, doc_id: str, number: int) -> bytes:
    root = tree.getroot()
    header = root.find("t:teiHeader", NS)
    title = header.find("t:fileDesc/t:titleStmt/t:title", NS)
    idnos = header.findall("t:fileDesc/t:publicationStmt/t:idno", NS)
    change = header.find("t:revisionDesc/t:change", NS)
    saved = (title.text, [i.text for i in idnos], change.get("when"))
    old_id = root.get(XML_ID)
    try:
        root.set(XML_ID, doc_id)
        title.text = f"{saved[0]} (synthetic copy {number})"
        for idno in idnos:
            idno.text = idno.text.replace(old_id, doc_id)
        when = START + timedelta(minutes=number)
        change.set("when", when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root) + b"\n"
    finally:  # the template serves the next copy
        root.set(XML_ID, old_id)
        title.text = saved[0]
        for idno, text in zip(idnos, saved[1], strict=True):
            idno.text = text
        change.set("when", saved[2])


def revise_seed(
    config: Config,
    *,
    message: str = "Second reading.",
    now: str | None = None,
    wording: str = "ecological disaster",
) -> None:
    """Add a new version of the seed appeal, one phrase reworded, through `store.add`."""
    text = store.Corpus(config).read_bytes(SEED_ID).decode("utf-8")
    folder = config.corpus.parent / "revisions"
    folder.mkdir(exist_ok=True)
    path = folder / f"{SEED_ID}.xml"
    path.write_text(text.replace("ecological catastrophe", wording, 1), encoding="utf-8")
    store.add(config, [path], revise=True, message=message, now=now)
