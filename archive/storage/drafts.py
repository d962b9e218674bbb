"""Adding documents through the review gate: what `archive add` does before the store.

A draft from `archive encode` carries its open review points, the register records it
proposes and a placeholder change note (archive.document.review). Before this gate `add`
published such a draft as it was, placeholder and all. Now:

- a draft whose proposed records are missing from the registers is refused with the list,
  unless `with_proposals`: then the records are added to the registers in the same command,
  validated together with the documents first (nothing is written if either is invalid);
- a draft with open review points, or with the placeholder change note, is refused, each
  point named with its line, unless the archivist accepts it (`accept`) with a change
  message of their own, which replaces the placeholder;
- the document is stored without its review part, under the id its TEI gives, whatever
  the draft's file is called.

Points about an unknown person or organisation are settled once the record exists (added
here, or earlier with `archive register add`); the others need a person's word. A file that
is no draft passes through unchanged. All or nothing: a failure of the document change
reverts the register change; only a kill between the two leaves the added records, which
are valid and harm nothing (docs/storage.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from archive.config import Config
from archive.document import (
    NS,
    REGISTER_FILES,
    SETTLED_BY_A_RECORD,
    XML_ID,
    ProposedRecord,
    Registers,
    ReviewNote,
    finalized,
    is_draft,
    parse_tei,
    placeholder_change,
    proposed_records,
    read_bytes,
    review_notes,
    split_refs,
)
from archive.errors import InvalidDocument, Problem
from archive.storage.register_file import RegisterFile
from archive.storage.registers import RegisterChange, change_registers, revert_registers
from archive.storage.store import AddOutcome, OnChange, add, corpus_validator, utc_now


@dataclass
class DraftReview:
    """Where one draft stands: what is left to decide before it can be added."""

    path: Path
    doc_id: str
    notes: list[ReviewNote] = field(default_factory=list)
    open_points: list[ReviewNote] = field(default_factory=list)
    missing: list[ProposedRecord] = field(default_factory=list)
    placeholder_line: int | None = None
    # For a point about a name: where the draft's text first names it (line, words).
    contexts: dict[str, tuple[int | None, str]] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return not (self.open_points or self.missing or self.placeholder_line)


def review_draft(path: Path, data: bytes, registers: Registers) -> DraftReview:
    """What a draft still needs, against the registers as they are."""
    tree = parse_tei(data, path)
    root = tree.getroot()
    review = DraftReview(path, root.get(XML_ID) or "")
    cited = _cited(root)
    for record in proposed_records(tree):
        in_register = registers.by_kind(record.kind).current_id(record.id) is not None
        if record.ref in cited and not in_register:
            review.missing.append(record)
    review.notes = review_notes(tree)
    for note in review.notes:
        # A point about an unknown name waits for its record (listed in `missing`), or is
        # settled once the record exists: no one has to accept it.
        if not (note.code in SETTLED_BY_A_RECORD and note.ref is not None):
            review.open_points.append(note)
    for note in review.notes:
        if note.ref and note.ref not in review.contexts:
            found = _first_citation(root, note.ref)
            if found is not None:
                review.contexts[note.ref] = found
    change = placeholder_change(tree)
    review.placeholder_line = change.sourceline if change is not None else None
    return review


def _first_citation(root: etree._Element, ref: str) -> tuple[int | None, str] | None:
    body = root.find("t:text", NS)
    if body is None:
        return None
    for element in body.iter():
        if isinstance(element.tag, str) and ref in (element.get("ref") or "").split():
            block = element.getparent()
            words = " ".join("".join(block.itertext()).split())
            name = " ".join("".join(element.itertext()).split())
            at = max(words.find(name), 0)
            start = max(at - 60, 0)
            excerpt = ("…" if start else "") + words[start : at + len(name) + 60]
            return element.sourceline, excerpt + ("…" if at + len(name) + 60 < len(words) else "")
    return None


def _cited(root: etree._Element) -> set[str]:
    """Every private reference the document makes outside its review part."""
    refs = set()
    for element in root.iter():
        if not isinstance(element.tag, str) or any(
            a.tag == f"{{{NS['t']}}}standOff" for a in element.iterancestors()
        ):
            continue
        for attribute in ("ref", "target"):
            refs |= {
                f"{kind}:{record_id}" for kind, record_id in split_refs(element.get(attribute))
            }
    return refs


def add_documents(
    config: Config,
    paths: Iterable[Path],
    *,
    revise: bool = False,
    message: str | None = None,
    accept: bool = False,
    with_proposals: bool = False,
    on_change: OnChange | None = None,
    now: str | None = None,
) -> tuple[list[AddOutcome], list[RegisterChange]]:
    """`archive add`: the review gate, the proposed records if asked for, then the store.
    Raises InvalidDocument naming every point that stops a draft (file and line)."""
    paths = list(paths)
    stamp = now or utc_now()
    registers = Registers.load(config.authority_dir)
    contents: dict[Path, bytes] = {}
    problems: list[Problem] = []
    reviews: list[DraftReview] = []
    for path in paths:
        try:
            data = read_bytes(path)
            tree = parse_tei(data, path)
        except InvalidDocument as exc:
            problems += exc.problems
            continue
        if is_draft(tree):
            reviews.append(review_draft(path, data, registers))
            contents[path] = finalized(tree, message, stamp[:10])
    if problems:
        raise InvalidDocument(problems)
    problems = _gate(reviews, message=message, accept=accept, with_proposals=with_proposals)
    if problems:
        raise InvalidDocument(problems)

    proposals = [r for review in reviews for r in review.missing]
    if not proposals:
        outcomes = add(
            config, paths, revise=revise, message=message, on_change=on_change, contents=contents
        )
        return outcomes, []
    files = {kind: RegisterFile(config, kind) for kind in dict.fromkeys(r.kind for r in proposals)}
    for record in {r.ref: r for r in proposals}.values():
        files[record.kind].add(record.element)
    changes = change_registers(
        config,
        files.values(),
        "Added "
        + ", ".join(f"{r.ref} ({r.name})" for r in proposals)
        + " as proposed by "
        + ", ".join(sorted({rv.doc_id for rv in reviews if rv.missing}))
        + (f". {message}" if message else "."),
        now=stamp,
        documents=[(path, contents.get(path) or read_bytes(path)) for path in paths],
    )
    try:
        validator = corpus_validator(config)
        outcomes = add(
            config,
            paths,
            revise=revise,
            message=message,
            on_change=on_change,
            contents=contents,
            validator=validator,
        )
    except BaseException:
        revert_registers(config, changes)
        raise
    return outcomes, changes


def _gate(
    reviews: list[DraftReview], *, message: str | None, accept: bool, with_proposals: bool
) -> list[Problem]:
    problems = []
    for review in reviews:
        where = str(review.path)
        if not with_proposals:
            for record in review.missing:
                problems.append(
                    Problem(
                        where,
                        record.line,
                        f"proposes {record.ref} ({record.name}), which {REGISTER_FILES[record.kind]} "
                        f"lacks: add it with `archive register add {review.path}`, or here with --with-proposals",
                    )
                )
        if not accept:
            for note in review.open_points:
                at = f" [{note.where}]" if note.where else ""
                problems.append(
                    Problem(where, note.line, f"open review point {note.code}{at}: {note.message}")
                )
        if review.placeholder_line and not message:
            problems.append(
                Problem(
                    where,
                    review.placeholder_line,
                    "the change note is still the encoder's placeholder: say what was reviewed with -m MESSAGE",
                )
            )
    if any(r.open_points for r in reviews) and not accept and problems:
        problems.append(
            Problem(
                "archive add",
                None,
                "settle the points (`archive review DRAFT` shows them one by one), or accept the draft "
                "as it is with --accept -m MESSAGE",
            )
        )
    if accept and not message:
        problems.append(
            Problem("--accept", None, "accepting a draft needs a change message of your own (-m)")
        )
    return problems
