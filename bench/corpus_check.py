"""Checks of the bundled corpus's catalogue records against their source texts (issue 18).

    python -m bench.corpus_check SOURCES_DIR [--corpus DIR] [--write-manifest] [--markdown]

A catalogue record's abstract is ours; the statement's words stay at its source. The source
texts the records were made from (`SOURCES_DIR/<id>.txt`, the page as the search tool
returned it) are third-party text and are never committed: what is committed is their
sha256 in `bench/corpus_sources.jsonl` (id, url, sha256, chars), so that anyone holding the
same texts can repeat the check. For every current catalogue record with a source text:

- **fixity of the source text**: its sha256 is the one in the manifest (`--write-manifest`
  writes the manifest from the texts at hand);
- **no copying**: the longest run of words the abstract (or an alternative title in the
  abstract's language, unless the source prints it whole, but for a note in brackets at its
  end: then it is the statement's published title; one in another language is the
  statement's own) shares with the source text, after folding case and dropping
  punctuation, is under 10 words. Names are not our words, so a run never crosses a marked name
  (persName, orgName, placeName, a treaty's rs or a title): a treaty's 20-word official
  title is not copying;
- **treaties named**: every treaty the record cites is named in the source text by one of
  the register's names, short titles, abbreviations or aliases (abbreviations such as
  "CAT" case-sensitively); one that is not is listed for a hand check (the text may name it
  in a form the register lacks, "the 1949 Conventions"), not failed.

It also prints the corpus's counts by type, year, treaty, issuer, kind and country of issuer
and language (`--markdown`: as the tables of docs/corpus.md). Exit 1 if a check fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from archive.config import BUNDLED_CORPUS, Config
from archive.document import NS, XML_LANG, Document, Registers, parse_tei
from archive.storage import Corpus, atomic_write

MANIFEST = Path(__file__).with_name("corpus_sources.jsonl")
# Treaties a record cites that its source names in a form the register lacks, checked by
# hand: id, treaty id and what the source says, tab-separated.
HAND_CHECKED = Path(__file__).with_name("corpus_hand_checked.tsv")
MAX_SHARED_RUN = 9  # a run of 10 words or more fails
# Marked names: their words are the names', not the abstract's prose.
_NAME_TAGS = {f"{{{NS['t']}}}{tag}" for tag in ("persName", "orgName", "placeName", "rs", "title")}
_BREAK = "\x00"
_WORD_RE = re.compile(r"\w+")


@dataclass
class RecordCheck:
    """What the check found for one record."""

    doc_id: str
    shared_run: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unnamed_treaties: list[str] = field(default_factory=list)


def words(text: str) -> list[str]:
    """Words folded for comparison: case folded, punctuation dropped, marks kept
    ('Mirzəyev' stays 'mirzəyev': folding letters would make different words meet)."""
    return _WORD_RE.findall(text.casefold())


def our_prose(tree: etree._ElementTree, source_words: list[str]) -> list[list[str]]:
    """The stretches of words a record's editors wrote: the abstract's paragraphs cut at
    every marked name, and each alternative title that is not the source's own."""
    root = tree.getroot()
    stretches: list[list[str]] = []
    for p in root.iterfind("t:teiHeader/t:profileDesc/t:abstract//t:p", NS):
        for stretch in _without_names(p).split(_BREAK):
            stretches.append(words(stretch))
    abstract = root.find("t:teiHeader/t:profileDesc/t:abstract", NS)
    ours = (abstract.get(XML_LANG) if abstract is not None else None) or root.get(XML_LANG)
    for title in root.iterfind("t:teiHeader/t:fileDesc/t:titleStmt/t:title[@type='alt']", NS):
        words_of_title = "".join(title.itertext())
        title_words = words(words_of_title)
        # A title in another language than our abstract is the statement's own (titles
        # aside), and so is one the source prints whole (but for a note of ours in brackets
        # at its end: "(annex to UN document A/72/842)"); the rest are our renderings.
        if (title.get(XML_LANG) or root.get(XML_LANG)) != ours:
            continue
        printed = words(re.sub(r"\s*\([^()]*\)\s*$", "", words_of_title))
        if not _contains(source_words, printed):
            stretches.append(title_words)
    return [s for s in stretches if s]


def _contains(haystack: list[str], needle: list[str]) -> bool:
    return f" {' '.join(needle)} " in f" {' '.join(haystack)} "


def _without_names(element: etree._Element) -> str:
    """An element's words with each marked name replaced by a break."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            parts.append(_BREAK if child.tag in _NAME_TAGS else _without_names(child))
        parts.append(child.tail or "")
    return "".join(parts)


def longest_shared_run(ours: list[list[str]], theirs: list[str]) -> list[str]:
    """The longest run of consecutive words found both in one of `ours` and in `theirs`."""
    best: list[str] = []
    low, high = 1, max((len(s) for s in ours), default=0)
    while low <= high:
        size = (low + high) // 2
        grams = {tuple(theirs[i : i + size]) for i in range(len(theirs) - size + 1)}
        found = next(
            (
                list(stretch[i : i + size])
                for stretch in ours
                for i in range(len(stretch) - size + 1)
                if tuple(stretch[i : i + size]) in grams
            ),
            None,
        )
        if found is None:
            high = size - 1
        else:
            best, low = found, size + 1
    return best


def treaty_names(registers: Registers, treaty_id: str) -> list[str]:
    treaty = registers.treaties.get(treaty_id)
    names = [treaty.name, treaty.short_title, *treaty.variants, *treaty.abbreviations]
    return [n for n in dict.fromkeys(names) if n]


def names_treaty(source: str, folded_source: str, names: list[str]) -> bool:
    for name in names:
        if len(name) <= 6 and name.isupper():
            # An abbreviation: as written ("CAT", not "cat").
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", source):
                return True
        elif f" {' '.join(words(name))} " in folded_source:
            return True
    return False


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_hand_checked(path: Path) -> dict[tuple[str, str], str]:
    if not path.exists():
        return {}
    rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines())
    return {
        (row[0], row[1]): row[2] if len(row) > 2 else ""
        for row in rows
        if len(row) >= 2 and not row[0].startswith("#")
    }


def read_manifest(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    entries = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return {entry["id"]: entry for entry in entries}


def check_record(
    doc: Document,
    tree: etree._ElementTree,
    text_bytes: bytes,
    manifest: dict[str, dict],
    registers: Registers,
) -> RecordCheck:
    check = RecordCheck(doc.id)
    entry = manifest.get(doc.id)
    digest = sha256_hex(text_bytes)
    if entry is None:
        check.failures.append("source text not in the manifest (run with --write-manifest)")
    elif entry["sha256"] != digest:
        check.failures.append(
            f"source text sha256 {digest[:12]}... is not the manifest's {entry['sha256'][:12]}..."
        )
    source = text_bytes.decode("utf-8")
    source_words = words(source)
    check.shared_run = longest_shared_run(our_prose(tree, source_words), source_words)
    if len(check.shared_run) > MAX_SHARED_RUN:
        check.failures.append(
            f"shares a run of {len(check.shared_run)} words with its source text: "
            f'"{" ".join(check.shared_run)}"'
        )
    folded = f" {' '.join(words(source))} "
    for treaty_id in doc.treaties:
        known = treaty_id in registers.treaties
        if known and not names_treaty(source, folded, treaty_names(registers, treaty_id)):
            check.unnamed_treaties.append(treaty_id)
    return check


@dataclass
class Counts:
    """The corpus's figures for docs/corpus.md."""

    documents: int = 0
    catalogue_records: int = 0
    by_type: Counter = field(default_factory=Counter)
    by_year: Counter = field(default_factory=Counter)
    by_treaty: Counter = field(default_factory=Counter)
    by_issuer: Counter = field(default_factory=Counter)
    by_issuer_kind: Counter = field(default_factory=Counter)
    by_party: Counter = field(default_factory=Counter)
    by_language: Counter = field(default_factory=Counter)
    signatories_and_issuers: set = field(default_factory=set)

    def treaties_cited_by(self, at_least: int) -> int:
        return sum(1 for n in self.by_treaty.values() if n >= at_least)


# Places whose bodies are a party of their own: the register places Karabakh within
# Azerbaijan, but the de facto Nagorno-Karabakh authorities and bodies seated there before
# 2023 (its ombudsman, its foreign ministry, the Artsakh diocese) are not Azerbaijan's voice.
SEPARATE_PARTIES = {"karabakh": "Karabakh (Nagorno-Karabakh)"}
_STATE_KINDS = {
    "state",
    "government-agency",
    "government",
    "ministry",
    "ombudsperson",
    "court",
    "agency",
}


def issuer_party(registers: Registers, kind: str, record_id: str, depth: int = 0) -> str:
    """Whose voice a document is, for balance: intergovernmental bodies; a country's official
    bodies or its NGOs (the country from the body's place, up the place hierarchy); other
    states' bodies and international NGOs where the register places a body in no country. A
    person speaks for the organisation the register affiliates them with."""
    if kind == "person":
        person = registers.persons.records.get(record_id)
        orgs = [a.org_id for a in person.affiliations if a.org_id] if person is not None else []
        if orgs and depth == 0:
            return issuer_party(registers, "org", orgs[0], depth + 1)
        return "persons (no affiliation recorded)"
    org = registers.organisations.records.get(record_id)
    category = org.category if org is not None else ""
    if category == "intergovernmental":
        return "intergovernmental bodies (UN, OSCE, EU, ICRC ...)"
    country = None
    place_id = org.place_id if org is not None else None
    seen = set()
    while place_id and place_id not in seen:
        seen.add(place_id)
        place = registers.places.records.get(place_id)
        if place is None:
            break
        if place_id in SEPARATE_PARTIES:
            country = SEPARATE_PARTIES[place_id]
            break
        if place.category == "country":
            country = place.name
            break
        place_id = place.parent
    if category in _STATE_KINDS:
        return f"{country}: official bodies" if country else "other states' official bodies"
    return f"{country}: NGOs, media, groups" if country else "international NGOs and networks"


def count(docs: list[Document], registers: Registers) -> Counts:
    counts = Counts()
    for doc in docs:
        counts.documents += 1
        counts.catalogue_records += doc.is_catalogue_record
        counts.by_type[doc.doc_type] += 1
        # A date known only by a bound ("not after 17 May 2021") counts in that bound's year.
        day = doc.issued.earliest or doc.issued.latest
        year = day.year if day else "undated"
        counts.by_year[str(year)] += 1
        counts.by_language[doc.lang] += 1
        for treaty_id in doc.treaties:
            counts.by_treaty[treaty_id] += 1
        for issuer in doc.issuers:
            counts.by_issuer[(issuer.kind, issuer.id)] += 1
            counts.signatories_and_issuers.add(f"{issuer.kind}:{issuer.id}")
        kinds = set()
        countries = set()
        for issuer in doc.issuers:
            if issuer.kind == "org":
                org = registers.organisations.records.get(issuer.id)
                kinds.add((org.category if org is not None else "") or "other")
            else:
                kinds.add("person")
            countries.add(issuer_party(registers, issuer.kind, issuer.id))
        for kind in kinds:
            counts.by_issuer_kind[kind] += 1
        for country in countries:
            counts.by_party[country] += 1
        for signatory in doc.signatories:
            if signatory.person_id:
                counts.signatories_and_issuers.add(f"person:{signatory.person_id}")
    return counts


def label(registers: Registers, kind: str, record_id: str) -> str:
    return registers.label(kind, record_id)


def render_counts(counts: Counts, registers: Registers, markdown: bool) -> str:
    def table(title: str, rows: list[tuple[str, int]], head: str) -> list[str]:
        if markdown:
            out = [f"**{title}**", "", f"| {head} | documents |", "| --- | ---: |"]
            out += [f"| {name} | {n} |" for name, n in rows]
            return [*out, ""]
        return [f"{title}:", *(f"  {n:4d}  {name}" for name, n in rows), ""]

    by_count = lambda c: sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))  # noqa: E731
    lines = [
        f"{counts.documents} documents, {counts.catalogue_records} of them catalogue records; "
        f"{len(counts.signatories_and_issuers)} distinct signatories and issuing bodies; "
        f"{counts.treaties_cited_by(3)} treaties cited by 3 or more documents",
        "",
    ]
    lines += table("By type", by_count(counts.by_type), "type")
    lines += table("By year of issue", sorted(counts.by_year.items()), "year")
    lines += table(
        "By treaty cited (directly; a group and its members counted apart)",
        [(f"{label(registers, 'treaty', t)} (`{t}`)", n) for t, n in by_count(counts.by_treaty)],
        "treaty",
    )
    lines += table(
        "By party: the issuing body's country, or intergovernmental",
        by_count(counts.by_party),
        "party",
    )
    lines += table("By kind of issuer", by_count(counts.by_issuer_kind), "kind")
    issuers = by_count(counts.by_issuer)
    several = [(key, n) for key, n in issuers if n > 1]
    lines += table(
        f"By issuer ({len(issuers)} issuers; the {len(issuers) - len(several)} with one "
        "document each left out)",
        [(f"{label(registers, k, i)} (`{k}:{i}`)", n) for (k, i), n in several],
        "issuer",
    )
    lines += table("By language", by_count(counts.by_language), "language")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", type=Path, help="folder of source texts <id>.txt")
    parser.add_argument("--corpus", type=Path, default=BUNDLED_CORPUS)
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument(
        "--write-manifest", action="store_true", help="record the texts' sha256 first"
    )
    parser.add_argument("--markdown", action="store_true", help="counts as Markdown tables")
    args = parser.parse_args(argv)
    if not args.sources.is_dir():
        print(f"error: {args.sources}: no such folder of source texts", file=sys.stderr)
        return 2

    config = Config(corpus=args.corpus)
    corpus = Corpus(config)
    registers = Registers.load(config.authority_dir)
    docs = list(corpus.documents())
    records = [d for d in docs if d.is_catalogue_record]
    texts = {d.id: args.sources / f"{d.id}.txt" for d in records}
    with_text = {i: p for i, p in texts.items() if p.is_file()}

    if args.write_manifest:
        lines = []
        for doc in records:
            path = with_text.get(doc.id)
            if path is None:
                continue
            data = path.read_bytes()
            url = doc.sources[0].url if doc.sources else None
            entry = {
                "id": doc.id,
                "url": url,
                "sha256": sha256_hex(data),
                "chars": len(data.decode("utf-8")),
            }
            lines.append(json.dumps(entry, ensure_ascii=False))
        atomic_write(args.manifest, ("\n".join(lines) + "\n").encode("utf-8"))
        print(f"wrote {args.manifest}: {len(lines)} source texts")
    manifest = read_manifest(args.manifest)
    hand_checked = read_hand_checked(HAND_CHECKED)

    failed = 0
    runs: list[int] = []
    hand_checks: list[str] = []
    for doc in records:
        path = with_text.get(doc.id)
        if path is None:
            continue
        tree = parse_tei(corpus.read_bytes(doc.id), corpus.path(doc.id))
        check = check_record(doc, tree, path.read_bytes(), manifest, registers)
        runs.append(len(check.shared_run))
        for failure in check.failures:
            print(f"FAIL {doc.id}: {failure}")
        failed += bool(check.failures)
        for treaty_id in check.unnamed_treaties:
            if (doc.id, treaty_id) not in hand_checked:
                hand_checks.append(f"{doc.id}: {treaty_id}")
    without = sorted(set(texts) - set(with_text))
    stale = sorted(set(manifest) - set(with_text))

    print(
        f"{len(with_text)} of {len(records)} catalogue records checked against their source "
        f"texts: {failed} failed; longest shared run of words "
        f"{max(runs, default=0)} (limit {MAX_SHARED_RUN})"
    )
    if without:
        print(f"no source text ({len(without)}): {', '.join(without)}")
    if stale:
        print(f"FAIL manifest entries without a current record or text: {', '.join(stale)}")
        failed += len(stale)
    print(
        f"treaties named in a form the register lacks, checked by hand: "
        f"{len(hand_checked)} ({HAND_CHECKED.name})"
    )
    if hand_checks:
        print(
            f"treaties to check by hand: the source text names none of their names ({len(hand_checks)}):"
        )
        for line in hand_checks:
            print(f"  {line}")
    print()
    print(render_counts(count(docs, registers), registers, args.markdown))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
