"""archive.document.compare: two versions of a document, field by field and word by word."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.document import Signatory, compare, read_document
from archive.document.compare import MAX_WORDS, text_diff
from tests.conftest import FIXTURE_CORPUS, SEED_ID

SEED = read_document((FIXTURE_CORPUS / "documents" / f"{SEED_ID}.xml").read_bytes())


def rebuilt(pieces, skip: str) -> str:  # type: ignore[no-untyped-def]
    return "".join(p.text for p in pieces if p.op != skip)


def test_a_changed_word_is_one_deletion_and_one_insertion():
    pieces = text_diff("the mines were laid here", "the mines were found here")
    assert [(p.op, p.text) for p in pieces] == [
        ("equal", "the mines were "),
        ("delete", "laid"),
        ("insert", "found"),
        ("equal", " here"),
    ]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab \n", max_size=60), st.text(alphabet="ab \n", max_size=60))
def test_the_pieces_rebuild_both_texts(old, new):
    pieces = text_diff(old, new)
    assert rebuilt(pieces, "insert") == old
    assert rebuilt(pieces, "delete") == new


def test_very_long_texts_are_compared_paragraph_by_paragraph():
    old = "\n\n".join(f"paragraph {i} " + "word " * 20 for i in range(MAX_WORDS // 10))
    new = old.replace("paragraph 7 ", "paragraph seven ", 1)
    pieces = text_diff(old, new)
    changed = [p for p in pieces if p.op != "equal"]
    assert len(changed) == 2 and changed[0].text.startswith("paragraph 7 ")
    assert rebuilt(pieces, "insert") == old and rebuilt(pieces, "delete") == new


def test_metadata_differences_are_named_and_readable():
    later = replace(
        SEED,
        title=SEED.title + " (corrected)",
        signatories=[replace(SEED.signatories[0], role="Chair"), *SEED.signatories[1:]],
        treaties=[*SEED.treaties, "apmbc-1997"],
    )
    labels = {("treaty", "apmbc-1997"): "Mine Ban Convention"}
    comparison = compare(SEED, later, lambda kind, i: labels.get((kind, i), i))
    fields = {f.field: f for f in comparison.fields}
    assert set(fields) == {"title", "signatories", "treaties"}
    assert fields["treaties"].after.endswith("\nMine Ban Convention")
    assert "Umud Mirzayev, President" in fields["signatories"].before
    assert "Umud Mirzayev, Chair" in fields["signatories"].after
    assert comparison.changed and not comparison.text_changed


def test_a_version_compared_with_itself_has_no_change():
    comparison = compare(SEED, SEED)
    assert not comparison.changed and comparison.fields == []
    assert [p.op for p in comparison.text] == ["equal"]
    assert isinstance(SEED.signatories[0], Signatory)
