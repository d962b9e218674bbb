"""Measuring the encoder against a gold set: precision, recall and F1 per kind.

A gold text is `NAME.txt` with hand labels in `NAME.json` (see docs/encoding.md). Labels
name the words (each occurrence listed again when a phrase recurs) and the value a careful
archivist would give them; a detection counts as right when it overlaps the labelled words
and has the same value. Signatories count as right only when name, person reference, role
and organisation all agree.

    python -m archive.encode.evaluate tests/gold
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from archive.config import BUNDLED_CORPUS
from archive.document import Registers, normalize_name
from archive.encode.pipeline import Encoder
from archive.encode.results import Detection, EncodingResult, date_attributes

SPAN_KINDS = ("treaty", "date", "org", "place")
KINDS = (*SPAN_KINDS, "signatory", "issued")
# Scored on the development set of real statements too (bench/encode_eval.py): signers by
# name alone, and the document's issuing organisations and addressees as sets of ids.
DEVSET_KINDS = (*SPAN_KINDS, "signatory", "signatory-name", "issuer", "addressee", "issued")
_DATE_KEYS = ("when", "from", "to", "notBefore", "notAfter")


@dataclass
class Score:
    """Counts for one kind, and the misses that explain them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.misses.extend(other.misses)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class GoldText:
    name: str
    text: str
    labels: dict[str, Any]


def load_gold(folder: Path) -> list[GoldText]:
    """Every labelled text of a gold folder, in name order."""
    texts = []
    for path in sorted(folder.glob("*.txt")):
        labels = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        texts.append(GoldText(path.stem, path.read_text(encoding="utf-8"), labels))
    return texts


def evaluate(
    gold: list[GoldText],
    registers: Registers,
    today: date = date(2026, 1, 1),
    *,
    devset: bool = False,
    per_document: dict[str, dict[str, Score]] | None = None,
) -> dict[str, Score]:
    """Encode each gold text and score the detections per kind.

    `devset` scores as the development set of real statements is labelled: a label names the
    record id it should have (registered or not yet), so an id is compared as it is, and a
    proposed record with the labelled id counts; names alone, issuers and addressees are
    scored too. `per_document`, when given, receives each text's own scores."""
    encoder = Encoder(registers)
    kinds = DEVSET_KINDS if devset else KINDS
    scores = {kind: Score() for kind in kinds}
    ids = _record_id if devset else _registered
    for item in gold:
        mine = {kind: Score() for kind in kinds}
        result = encoder.encode(item.text, issued=item.labels.get("issued"), today=today)
        for kind in SPAN_KINDS:
            _score_spans(item, kind, result, registers, mine[kind], ids)
        _score_signatories(item, result, registers, mine["signatory"], ids)
        if devset:
            _score_names(item, result, mine["signatory-name"])
            _score_set(item, "issuers", [d.ref for d in result.authors], mine["issuer"])
            _score_set(item, "addressees", [d.ref for d in result.addressees], mine["addressee"])
        expected = item.labels.get("expect_issued")
        if expected:
            found = result.issued.when if result.issued else None
            _count(mine["issued"], found == expected, f"{item.name}: issued {found} != {expected}")
        for kind, score in mine.items():
            scores[kind].add(score)
        if per_document is not None:
            per_document[item.name] = mine
    return scores


def _count(score: Score, ok: bool, miss: str) -> None:
    if ok:
        score.tp += 1
    else:
        score.fp += 1
        score.fn += 1
        score.misses.append(miss)


def _gold_spans(item: GoldText, kind: str) -> list[tuple[int, int, dict[str, Any]]]:
    key = {"treaty": "treaties", "date": "dates", "org": "orgs", "place": "places"}[kind]
    spans = []
    after: dict[str, int] = {}
    for label in item.labels.get(key, []):
        words = label["text"]
        if "start" in label:  # the development set names the occurrence by its offset
            start = label["start"]
            if item.text[start : start + len(words)] != words:
                raise ValueError(f"{item.name}: gold {kind} {words!r} is not at {start}")
            spans.append((start, start + len(words), label))
            continue
        pattern = re.compile(rf"(?<!\w){re.escape(words)}(?!\w)")
        match = pattern.search(item.text, after.get(words, 0))
        if match is None:
            raise ValueError(f"{item.name}: gold {kind} {words!r} is not in the text")
        after[words] = match.end()
        spans.append((match.start(), match.end(), label))
    return spans


def _value(
    kind: str, detection: Detection, registers: Registers, label: dict[str, Any], ids: Any
) -> Any:
    if kind == "date":
        attributes = date_attributes(detection.date) if detection.date else {}
        keys = (*_DATE_KEYS, "dur") if "dur" in label else _DATE_KEYS
        return {k: attributes.get(k) for k in keys}
    if kind == "treaty":
        return (ids(detection.ref, registers), detection.article)
    return ids(detection.ref, registers)


def _expected(kind: str, label: dict[str, Any]) -> Any:
    if kind == "date":
        keys = (*_DATE_KEYS, "dur") if "dur" in label else _DATE_KEYS
        return {k: label.get(k) for k in keys}
    if kind == "treaty":
        return (label["ref"], label.get("article"))
    return label["ref"]


def _registered(ref: str | None, registers: Registers) -> str | None:
    """The id of a registered record; None for no reference or a proposed record."""
    if not ref:
        return None
    kind, record_id = ref.split(":", 1)
    return record_id if registers.lookup(kind, record_id) is not None else None


def _record_id(ref: str | None, registers: Registers) -> str | None:
    """The id a reference points to, registered or proposed (the development set's labels
    name the id a record has or should have)."""
    return ref.split(":", 1)[1] if ref else None


def _score_spans(
    item: GoldText,
    kind: str,
    result: EncodingResult,
    registers: Registers,
    score: Score,
    ids: Any = _registered,
) -> None:
    predicted = [d for d in result.detections if d.kind == kind]
    used: set[int] = set()
    for start, end, label in _gold_spans(item, kind):
        expected = _expected(kind, label)
        hit = None
        for i, detection in enumerate(predicted):
            if i in used or not (detection.start < end and start < detection.end):
                continue
            if _value(kind, detection, registers, label, ids) == expected:
                hit = i
                break
        if hit is None:
            score.fn += 1
            score.misses.append(f"{item.name}: missed {kind} {label['text']!r} = {expected}")
        else:
            used.add(hit)
            score.tp += 1
    for i, detection in enumerate(predicted):
        if i not in used:
            score.fp += 1
            score.misses.append(
                f"{item.name}: wrong {kind} {detection.text!r} = {detection.value} {detection.article or ''}".rstrip()
            )


def _signer_key(
    name: str, person: str | None, role: str | None, org: str | None, org_name: str | None
) -> tuple[str, str, str | None, str | None]:
    return (
        normalize_name(name),
        person or f"new:{normalize_name(name)}",
        role.casefold() if role else None,
        org or (f"new:{normalize_name(org_name)}" if org_name else None),
    )


def _score_signatories(
    item: GoldText,
    result: EncodingResult,
    registers: Registers,
    score: Score,
    ids: Any = _registered,
) -> None:
    expected = [
        _signer_key(s["name"], s["person"], s.get("role"), s.get("org"), s.get("org_name"))
        for s in item.labels.get("signatories", [])
    ]
    found = [
        _signer_key(
            s.name,
            _registered(s.person.ref, registers),
            s.role.text if s.role else None,
            ids(s.org.ref, registers) if s.org else None,
            s.org.text if s.org else None,
        )
        for s in result.signatories
    ]
    _score_set_of(item.name, "signatory", expected, found, score)


def _score_names(item: GoldText, result: EncodingResult, score: Score) -> None:
    """Signers by name alone: who issued the text, whatever role and body were found."""
    expected = [normalize_name(s["name"]) for s in item.labels.get("signatories", [])]
    _score_set_of(
        item.name, "signer", expected, [normalize_name(s.name) for s in result.signatories], score
    )


def _score_set(item: GoldText, key: str, refs: list[str | None], score: Score) -> None:
    found = [ref.split(":", 1)[1] for ref in refs if ref]
    _score_set_of(item.name, key.rstrip("s"), list(item.labels.get(key, [])), found, score)


def _score_set_of(
    name: str, what: str, expected: list[Any], found: list[Any], score: Score
) -> None:
    """Count found values against expected ones, each expected value matched once."""
    remaining = list(expected)
    for value in found:
        if value in remaining:
            remaining.remove(value)
            score.tp += 1
        else:
            score.fp += 1
            score.misses.append(f"{name}: wrong {what} {value}")
    for value in remaining:
        score.fn += 1
        score.misses.append(f"{name}: missed {what} {value}")


def format_table(scores: dict[str, Score]) -> str:
    """The per-kind figures as the Markdown table docs/encoding.md shows."""
    lines = [
        "| kind | labels | found | right | precision | recall | F1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, s in scores.items():
        lines.append(
            f"| {kind} | {s.tp + s.fn} | {s.tp + s.fp} | {s.tp} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    verbose = "-v" in args
    folders = [Path(a) for a in args if a != "-v"] or [Path("tests/gold")]
    registers = Registers.load(BUNDLED_CORPUS / "authority")
    for folder in folders:
        scores = evaluate(load_gold(folder), registers)
        print(f"{folder} ({len(load_gold(folder))} texts)")
        print(format_table(scores))
        if verbose:
            for kind, score in scores.items():
                for miss in score.misses:
                    print(f"  {kind}: {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
