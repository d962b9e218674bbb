"""A seeded generator of synthetic corpora for the search benchmark.

It writes a complete corpus folder (documents/ and authority/) that `archive` can validate,
index and search, and that is never mixed into the bundled `corpus/`: the real treaty
register is copied (queries by treaty must resolve as they do on the real archive); persons,
organisations and places are synthetic registers with plainly synthetic names ("Synthetic
Person 0042"). Distributions follow what the archive holds and will hold: most documents cite
one to three treaties, a few signatories and organisations are very frequent and most are
rare (Zipf), issue dates spread over 1990-2026 with about one in ten uncertain, ~400 words
of text drawn from a Zipf vocabulary so that common and rare terms both exist.

XML is built with lxml, never by string concatenation.
"""

from __future__ import annotations

import bisect
import itertools
import os
import random
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from lxml import etree

from archive.config import BUNDLED_CORPUS
from archive.document.authority import Registers

TEI = "http://www.tei-c.org/ns/1.0"
XML = "http://www.w3.org/XML/1998/namespace"
NSMAP = {None: TEI}

DOCUMENT_TYPES = (
    ("appeal", 30),
    ("statement", 20),
    ("joint-statement", 8),
    ("open-letter", 10),
    ("letter", 6),
    ("press-release", 10),
    ("petition", 5),
    ("declaration", 4),
    ("resolution", 3),
    ("report", 3),
    ("speech", 1),
)
LANGUAGES = (("en", "English", 80), ("fr", "French", 8), ("ru", "Russian", 5), ("de", "German", 4))
LANGUAGES += (("az", "Azerbaijani", 3),)
ROLES = ("President", "Chair", "Director", "Secretary-General", "Coordinator", "Spokesperson")

# English function words in their usual order of frequency: in real prose they are about
# half of all words, so they head the Zipf curve here too (the index drops those on its
# stop list; the others, "was", "which", "has", are indexed like any word).
FUNCTION_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "with",
    "was",
    "on",
    "be",
    "by",
    "at",
    "this",
    "are",
    "from",
    "or",
    "an",
    "which",
    "not",
    "have",
    "has",
    "their",
    "its",
    "were",
    "been",
    "they",
    "all",
    "but",
    "will",
    "would",
    "more",
    "also",
    "these",
    "other",
    "such",
    "who",
    "may",
    "should",
    "can",
    "into",
    "any",
    "than",
    "under",
    "our",
    "we",
    "them",
    "had",
    "there",
]

# Words of the domain: the frequent part of the vocabulary, so that benchmark queries look
# like real ones ("civilian", "mine maps").
DOMAIN_WORDS = [
    "civilian",
    "civilians",
    "mine",
    "mines",
    "landmines",
    "maps",
    "minefield",
    "minefields",
    "explosive",
    "remnants",
    "war",
    "humanitarian",
    "law",
    "protection",
    "victims",
    "wounded",
    "sick",
    "prisoners",
    "detention",
    "hostages",
    "displaced",
    "refugees",
    "shelling",
    "bombardment",
    "attack",
    "attacks",
    "indiscriminate",
    "proportionality",
    "precaution",
    "distinction",
    "combatants",
    "occupation",
    "occupied",
    "territory",
    "villages",
    "cities",
    "hospital",
    "hospitals",
    "school",
    "schools",
    "water",
    "electricity",
    "infrastructure",
    "cluster",
    "munitions",
    "chemical",
    "weapons",
    "convention",
    "conventions",
    "protocol",
    "protocols",
    "treaty",
    "obligations",
    "violation",
    "violations",
    "accountability",
    "investigation",
    "tribunal",
    "court",
    "justice",
    "crimes",
    "ceasefire",
    "negotiations",
    "peace",
    "mediation",
    "committee",
    "council",
    "assembly",
    "resolution",
    "appeal",
    "urge",
    "demand",
    "call",
    "condemn",
    "express",
    "concern",
    "international",
    "community",
    "organizations",
    "government",
    "governments",
    "state",
    "states",
    "armed",
    "forces",
    "military",
    "units",
    "soldiers",
    "demining",
    "clearance",
    "survivors",
    "assistance",
    "rehabilitation",
    "compensation",
    "families",
    "missing",
    "persons",
    "graves",
    "cemeteries",
    "cultural",
    "heritage",
    "monuments",
    "environment",
    "pollution",
    "contamination",
    "children",
    "women",
    "elderly",
    "journalists",
    "medical",
    "personnel",
    "aid",
    "workers",
    "corridor",
    "access",
    "supplies",
    "food",
    "shelter",
    "winter",
    "border",
    "region",
    "regions",
    "settlement",
    "settlements",
    "return",
    "reconstruction",
]

SYLLABLES = [
    "ka",
    "ri",
    "to",
    "na",
    "mel",
    "sor",
    "vin",
    "da",
    "lu",
    "pe",
    "ter",
    "gan",
    "bor",
    "is",
    "ul",
    "fa",
    "ne",
    "mi",
    "ro",
    "sta",
    "ven",
    "dal",
    "qu",
]


def _zipf_weights(n: int, s: float) -> list[float]:
    return [1.0 / (rank**s) for rank in range(1, n + 1)]


class _Sampler:
    """Draws from a fixed weighted list quickly (cumulative weights + bisect)."""

    def __init__(self, items: list, weights: list[float]) -> None:
        self.items = items
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random) -> object:
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.total)]

    def distinct(self, rng: random.Random, k: int) -> list:
        out: list = []
        for _ in range(k * 10):
            if len(out) >= k:
                break
            item = self.draw(rng)
            if item not in out:
                out.append(item)
        return out


@dataclass(frozen=True)
class GeneratorSettings:
    """Sizes of the synthetic registers and vocabulary."""

    persons: int = 3000
    organisations: int = 800
    places: int = 300
    vocabulary: int = 20000
    words: int = 400


def _el(tag: str, attrib: dict[str, str] | None = None, text: str | None = None) -> etree._Element:
    element = etree.Element(f"{{{TEI}}}{tag}", attrib or {}, nsmap=NSMAP)
    if text is not None:
        element.text = text
    return element


def _sub(
    parent: etree._Element, tag: str, attrib: dict[str, str] | None = None, text: str | None = None
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{TEI}}}{tag}", attrib or {})
    if text is not None:
        element.text = text
    return element


def _write(tree_root: etree._Element, path: Path) -> None:
    """Write through a temporary file and rename it into place: a generation that is stopped
    half-way leaves whole documents only, and the next run (which skips documents that exist)
    never keeps a truncated one."""
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(
        etree.tostring(tree_root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )
    os.replace(partial, path)


def _register_header(root: etree._Element, title: str, prefixes: list[tuple[str, str]]) -> None:
    header = _sub(root, "teiHeader")
    file_desc = _sub(header, "fileDesc")
    _sub(_sub(file_desc, "titleStmt"), "title", {"type": "main"}, title)
    pub = _sub(file_desc, "publicationStmt")
    _sub(pub, "publisher", text="Appeals Archive benchmark")
    avail = _sub(pub, "availability")
    _sub(
        avail,
        "licence",
        {"target": "https://creativecommons.org/publicdomain/zero/1.0/"},
        "CC0 1.0",
    )
    _sub(_sub(file_desc, "sourceDesc"), "p", text="Synthetic records generated for the benchmark.")
    if prefixes:
        enc = _sub(header, "encodingDesc")
        lpd = _sub(enc, "listPrefixDef")
        for ident, target in prefixes:
            pd = _sub(
                lpd,
                "prefixDef",
                {
                    "ident": ident,
                    "matchPattern": "([a-z0-9][a-z0-9-]*)",
                    "replacementPattern": f"{target}#$1",
                },
            )
            _sub(pd, "p", text=f"{ident} records.")


def write_registers(authority: Path, settings: GeneratorSettings) -> None:
    """The real treaty register and synthetic persons, organisations and places."""
    authority.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BUNDLED_CORPUS / "authority" / "treaties.xml", authority / "treaties.xml")

    _write_register(authority, "places", "listPlace", settings.places, _place)
    _write_register(authority, "organisations", "listOrg", settings.organisations, _org)
    _write_register(
        authority,
        "persons",
        "listPerson",
        settings.persons,
        _person,
        [("org", "organisations.xml")],
    )


def _write_register(
    authority: Path,
    name: str,
    list_tag: str,
    count: int,
    record: Callable[[etree._Element, int], None],
    prefixes: list[tuple[str, str]] | None = None,
) -> None:
    root = _el("TEI", {f"{{{XML}}}id": f"authority-{name}", f"{{{XML}}}lang": "en"})
    _register_header(root, f"Benchmark register of {name}", prefixes or [])
    records = _sub(_sub(_sub(root, "text"), "body"), list_tag)
    for i in range(count):
        record(records, i)
    _write(root, authority / f"{name}.xml")


def _place(parent: etree._Element, i: int) -> None:
    place = _sub(parent, "place", {f"{{{XML}}}id": f"synthetic-place-{i:04d}", "type": "city"})
    _sub(place, "placeName", {"type": "preferred"}, f"Synthetic Place {i:04d}")


def _org(parent: etree._Element, i: int) -> None:
    org = _sub(parent, "org", {f"{{{XML}}}id": f"synthetic-org-{i:04d}", "type": "ngo"})
    _sub(org, "orgName", {"type": "preferred"}, f"Synthetic Organisation {i:04d}")
    _sub(org, "orgName", {"type": "abbr"}, f"SO{i:04d}")


def _person(parent: etree._Element, i: int) -> None:
    person = _sub(parent, "person", {f"{{{XML}}}id": f"synthetic-person-{i:04d}"})
    _sub(person, "persName", {"type": "preferred"}, f"Synthetic Person {i:04d}")
    _sub(person, "persName", {"type": "variant"}, f"Synthetic Persona {i:04d}")


class CorpusGenerator:
    """Generates document after document from one seed: the same seed, the same corpus."""

    def __init__(self, seed: int, settings: GeneratorSettings | None = None) -> None:
        self.settings = settings or GeneratorSettings()
        self.seed = seed
        rng = random.Random(seed)
        s = self.settings
        synthetic = set()
        known = set(DOMAIN_WORDS) | set(FUNCTION_WORDS)
        while len(synthetic) < s.vocabulary - len(known):
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
            if word not in known:
                synthetic.add(word)
        shuffled = sorted(synthetic)
        rng.shuffle(shuffled)
        content = list(DOMAIN_WORDS) + shuffled
        # The domain words interleave with the head of the content words, not all above.
        head = content[: len(DOMAIN_WORDS) * 3]
        rng.shuffle(head)
        content[: len(head)] = head
        vocabulary = FUNCTION_WORDS + content
        self.vocabulary = vocabulary
        # Content words only: what a person searches for.
        self.content_words = content
        self.words = _Sampler(vocabulary, _zipf_weights(len(vocabulary), 1.07))
        self.persons = _Sampler(list(range(s.persons)), _zipf_weights(s.persons, 1.0))
        self.orgs = _Sampler(list(range(s.organisations)), _zipf_weights(s.organisations, 1.0))
        self.places = _Sampler(list(range(s.places)), _zipf_weights(s.places, 0.9))
        registers = Registers.load(BUNDLED_CORPUS / "authority")
        treaties = [t for t in registers.treaties]
        self.treaty_names = {t.id: t.label for t in treaties}
        # Real citing habits: the Geneva Conventions and their protocols dominate.
        weights = {"gc-1949": 30, "gc-1949-iv": 25, "ap-1977": 15, "ap-1977-i": 20}
        weights |= {"apmbc-1997": 15, "ccm-2008": 8, "rome-1998": 8, "cwc-1993": 5}
        self.treaties = _Sampler([t.id for t in treaties], [weights.get(t.id, 2) for t in treaties])
        self.types = _Sampler([t for t, _ in DOCUMENT_TYPES], [w for _, w in DOCUMENT_TYPES])
        self.langs = _Sampler(list(LANGUAGES), [w for *_, w in LANGUAGES])

    def _sentence(self, rng: random.Random) -> str:
        words = [self.words.draw(rng) for _ in range(rng.randint(8, 20))]
        return " ".join(words).capitalize() + "."

    def _date(self, rng: random.Random) -> date:
        start = date(1990, 1, 1).toordinal()
        # More documents in recent years, as archives of appeals grow.
        span = date(2026, 6, 30).toordinal() - start
        return date.fromordinal(start + int(span * (rng.random() ** 0.6)))

    def document(self, number: int) -> tuple[str, etree._Element]:
        """Document `number` of this seed's corpus: (id, TEI root)."""
        rng = random.Random(self.seed * 1_000_003 + number)
        doc_id = f"synthetic-{number:07d}"
        issued = self._date(rng)
        lang, lang_name, _ = self.langs.draw(rng)  # type: ignore[misc]
        doc_type = str(self.types.draw(rng))
        cited = self.treaties.distinct(rng, rng.choices((0, 1, 2, 3, 4), (5, 40, 35, 15, 5))[0])
        signers = self.persons.distinct(
            rng, rng.choices((0, 1, 2, 3, 5, 8), (15, 35, 20, 15, 10, 5))[0]
        )
        issuers = self.orgs.distinct(rng, rng.choices((1, 2, 3), (70, 20, 10))[0])
        addressees = self.orgs.distinct(rng, rng.choices((0, 1, 2), (30, 55, 15))[0])
        places = self.places.distinct(rng, rng.choices((0, 1, 2, 3), (15, 40, 30, 15))[0])

        root = _el("TEI", {f"{{{XML}}}id": doc_id, f"{{{XML}}}lang": lang})
        header = _sub(root, "teiHeader")
        file_desc = _sub(header, "fileDesc")
        title_stmt = _sub(file_desc, "titleStmt")
        title_words = " ".join(self.words.draw(rng) for _ in range(rng.randint(5, 10)))
        _sub(title_stmt, "title", {"type": "main"}, f"Synthetic {doc_type}: {title_words}")
        for org in issuers:
            author = _sub(title_stmt, "author")
            _sub(
                author,
                "orgName",
                {"ref": f"org:synthetic-org-{org:04d}"},
                f"Synthetic Organisation {org:04d}",
            )
        pub = _sub(file_desc, "publicationStmt")
        _sub(pub, "publisher", text="Appeals Archive benchmark")
        _sub(pub, "idno", {"type": "archive"}, doc_id)
        _sub(pub, "idno", {"type": "URI"}, f"https://appeals-archive.org/doc/{doc_id}")
        _sub(_sub(pub, "availability"), "p", text="Synthetic document generated for the benchmark.")
        bibl = _sub(_sub(file_desc, "sourceDesc"), "bibl", {"type": "source"})
        _sub(bibl, "title", text=f"Synthetic source of {doc_id}")
        _sub(bibl, "ptr", {"target": f"https://example.org/synthetic/{doc_id}"})

        encoding = _sub(header, "encodingDesc")
        prefixes = _sub(encoding, "listPrefixDef")
        for ident, target in (
            ("treaty", "../authority/treaties.xml#$1"),
            ("person", "../authority/persons.xml#$1"),
            ("org", "../authority/organisations.xml#$1"),
            ("place", "../authority/places.xml#$1"),
        ):
            pd = _sub(
                prefixes,
                "prefixDef",
                {
                    "ident": ident,
                    "matchPattern": "([a-z0-9][a-z0-9-]*)",
                    "replacementPattern": target,
                },
            )
            _sub(pd, "p", text=f"{ident} records.")

        profile = _sub(header, "profileDesc")
        creation = _sub(profile, "creation")
        if rng.random() < 0.1:
            # Uncertain: known only to lie between two days up to a year and a half apart.
            low = issued - timedelta(days=rng.randint(10, 540))
            _sub(
                creation,
                "date",
                {"type": "issued", "notBefore": low.isoformat(), "notAfter": issued.isoformat()},
                f"between {low.isoformat()} and {issued.isoformat()}",
            )
        else:
            _sub(
                creation, "date", {"type": "issued", "when": issued.isoformat()}, issued.isoformat()
            )
        _sub(_sub(profile, "langUsage"), "language", {"ident": lang}, lang_name)
        text_class = _sub(profile, "textClass")
        _sub(_sub(text_class, "keywords", {"scheme": "archive:type"}), "term", text=doc_type)
        if cited:
            keywords = _sub(text_class, "keywords", {"scheme": "archive:treaty"})
            for treaty in cited:
                _sub(keywords, "term", {"ref": f"treaty:{treaty}"}, self.treaty_names[treaty])
        if addressees:
            corresp = _sub(profile, "correspDesc")
            sent = _sub(corresp, "correspAction", {"type": "sent"})
            _sub(
                sent,
                "orgName",
                {"ref": f"org:synthetic-org-{issuers[0]:04d}"},
                f"Synthetic Organisation {issuers[0]:04d}",
            )
            received = _sub(corresp, "correspAction", {"type": "received"})
            for org in addressees:
                _sub(
                    received,
                    "orgName",
                    {"ref": f"org:synthetic-org-{org:04d}"},
                    f"Synthetic Organisation {org:04d}",
                )
        if signers:
            lst = _sub(_sub(profile, "particDesc"), "listPerson", {"type": "signatories"})
            for n, person in enumerate(signers, 1):
                entry = _sub(lst, "person", {"n": str(n)})
                _sub(
                    entry,
                    "persName",
                    {"ref": f"person:synthetic-person-{person:04d}"},
                    f"Synthetic Person {person:04d}",
                )
                aff = _sub(entry, "affiliation")
                role = _sub(aff, "roleName", text=rng.choice(ROLES))
                role.tail = " of "
                org = issuers[n % len(issuers)]
                _sub(
                    aff,
                    "orgName",
                    {"ref": f"org:synthetic-org-{org:04d}"},
                    f"Synthetic Organisation {org:04d}",
                )
        change = _sub(_sub(header, "revisionDesc"), "change", {"when": "2026-01-01", "n": "1"})
        change.text = "Synthetic document generated for the benchmark."

        body = _sub(_sub(root, "text"), "body")
        div = _sub(body, "div", {"type": "appeal"})
        words = 0
        # Paragraphs overshoot and named mentions add words: aim below the mean.
        target = self.settings.words - 90 + rng.randint(-80, 80)
        mentions = [("treaty", t) for t in cited] + [("place", p) for p in places]
        mentions += [("person", p) for p in signers[:3]]
        rng.shuffle(mentions)
        while words < target:
            para = _sub(div, "p")
            sentences = [self._sentence(rng) for _ in range(rng.randint(3, 6))]
            words += sum(s.count(" ") + 1 for s in sentences)
            para.text = " ".join(sentences) + " "
            if mentions:
                kind, value = mentions.pop()
                if kind == "treaty":
                    inline = _sub(
                        para,
                        "rs",
                        {"type": "treaty", "ref": f"treaty:{value}"},
                        self.treaty_names[value],
                    )
                elif kind == "place":
                    inline = _sub(
                        para,
                        "placeName",
                        {"ref": f"place:synthetic-place-{value:04d}"},
                        f"Synthetic Place {value:04d}",
                    )
                else:
                    inline = _sub(
                        para,
                        "persName",
                        {"ref": f"person:synthetic-person-{value:04d}"},
                        f"Synthetic Person {value:04d}",
                    )
                inline.tail = " " + self._sentence(rng)
        return doc_id, root


def generate_corpus(
    out: Path,
    docs: int,
    seed: int = 42,
    settings: GeneratorSettings | None = None,
    procs: int = 1,
) -> Path:
    """Write a corpus of `docs` synthetic documents to `out` (documents/ and authority/).

    Refuses to write into the bundled corpus. Existing documents of the same seed and number
    are left as they are, so growing a corpus from 10,000 to 100,000 only writes the rest, and
    a stopped generation resumes. Each document depends on its number alone, so `procs`
    processes can share the numbers and write the same corpus as one.
    """
    out = out.resolve()
    if out == BUNDLED_CORPUS.resolve() or BUNDLED_CORPUS.resolve() in out.parents:
        raise ValueError(f"refusing to generate into the bundled corpus {BUNDLED_CORPUS}")
    generator = CorpusGenerator(seed, settings)
    write_registers(out / "authority", generator.settings)
    documents = out / "documents"
    documents.mkdir(parents=True, exist_ok=True)
    if procs <= 1:
        _generate_share(generator, documents, range(docs))
        return out
    with ProcessPoolExecutor(procs) as pool:
        shares = [range(first, docs, procs) for first in range(procs)]
        for finished in pool.map(
            _generate_share_in_worker, [(seed, settings, documents, share) for share in shares]
        ):
            del finished
    return out


def _generate_share(generator: CorpusGenerator, documents: Path, numbers: range) -> None:
    for number in numbers:
        path = documents / f"synthetic-{number:07d}.xml"
        if path.exists():
            continue
        _doc_id, root = generator.document(number)
        _write(root, path)


def _generate_share_in_worker(
    job: tuple[int, GeneratorSettings | None, Path, range],
) -> None:
    seed, settings, documents, numbers = job
    _generate_share(CorpusGenerator(seed, settings), documents, numbers)
