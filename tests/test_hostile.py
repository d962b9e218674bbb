"""Hostile XML through `archive validate` and `archive add`: each refused with a clear
`path:line: message`, nothing written, memory and time bounded."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from archive.errors import InvalidDocument
from archive.storage import store
from tests.conftest import FIXTURE_CORPUS, SEED_ID, snapshot

SEED = (FIXTURE_CORPUS / "documents" / f"{SEED_ID}.xml").read_bytes()
DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'
TEI = b'<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="hostile-doc" xml:lang="en">'


def seed_with(old: bytes, new: bytes) -> bytes:
    assert old in SEED
    return SEED.replace(old, new, 1)


def nested(depth: int) -> bytes:
    return (
        DECL
        + TEI
        + b"<text><body>"
        + b"<div>" * depth
        + b"<p>x</p>"
        + b"</div>" * depth
        + b"</body></text></TEI>"
    )


HOSTILE: dict[str, tuple[bytes, str]] = {
    "xxe-local-file": (
        DECL
        + b'<!DOCTYPE TEI [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        + TEI
        + b"<p>&x;</p></TEI>",
        "DOCTYPE declarations are not allowed",
    ),
    "xxe-url": (
        DECL
        + b'<!DOCTYPE TEI [<!ENTITY x SYSTEM "http://127.0.0.1:9/secret">]>\n'
        + TEI
        + b"<p>&x;</p></TEI>",
        "DOCTYPE declarations are not allowed",
    ),
    "xxe-parameter-entity": (
        DECL
        + b'<!DOCTYPE TEI [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>\n'
        + TEI
        + b"</TEI>",
        "DOCTYPE declarations are not allowed",
    ),
    "billion-laughs": (
        DECL
        + b'<!DOCTYPE TEI [<!ENTITY a "lol">'
        + b"".join(
            b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10)
            for i in range(9)
        )
        + b"]>\n"
        + TEI
        + b"<p>&j;</p></TEI>",
        "DOCTYPE declarations are not allowed",
    ),
    "quadratic-blowup": (
        DECL
        + b'<!DOCTYPE TEI [<!ENTITY a "'
        + b"x" * 100_000
        + b'">]>\n'
        + TEI
        + b"<p>"
        + b"&a;" * 10_000
        + b"</p></TEI>",
        "DOCTYPE declarations are not allowed",
    ),
    "external-dtd-url": (
        DECL + b'<!DOCTYPE TEI SYSTEM "http://127.0.0.1:9/tei_all.dtd">\n' + TEI + b"</TEI>",
        "DOCTYPE declarations are not allowed",
    ),
    "external-dtd-file": (
        DECL + b'<!DOCTYPE TEI SYSTEM "file:///etc/passwd">\n' + TEI + b"</TEI>",
        "DOCTYPE declarations are not allowed",
    ),
    "doctype-public": (
        DECL + b'<!DOCTYPE TEI PUBLIC "-//TEI//DTD TEI P5//EN" "tei.dtd">\n' + TEI + b"</TEI>",
        "DOCTYPE declarations are not allowed",
    ),
    "doctype-late": (
        DECL + b"<!-- comment first -->\n<!DOCTYPE TEI>\n" + TEI + b"</TEI>",
        "DOCTYPE declarations are not allowed",
    ),
    "xinclude-text": (
        seed_with(
            b"<p>According to ",
            b'<p><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>According to ',
        ),
        "XInclude is never processed",
    ),
    "xinclude-xml": (
        seed_with(
            b'<div type="appeal">',
            b'<div type="appeal"><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="http://127.0.0.1:9/x.xml"/>',
        ),
        "XInclude is never processed",
    ),
    "html-script-in-text": (
        seed_with(
            b"<p>According to ",
            b'<p><script xmlns="http://www.w3.org/1999/xhtml">alert(1)</script>According to ',
        ),
        "element <script> in namespace http://www.w3.org/1999/xhtml: only TEI elements are allowed",
    ),
    "huge-text-node": (
        DECL + TEI + b"<p>" + b"a" * (11 * 1024 * 1024) + b"</p></TEI>",
        "malformed XML",
    ),
    "oversize-file": (
        DECL + TEI + b"<!--" + b" " * (21 * 1024 * 1024) + b"--></TEI>",
        "larger than 20 MB",
    ),
    "deep-nesting": (nested(5000), "malformed XML"),
    "wrong-namespace": (DECL + b'<TEI xmlns="http://www.tei-c.org/ns/2.0"/>', "expected <TEI>"),
    "no-namespace": (DECL + b'<TEI xml:id="x"/>', "in no namespace"),
    "invalid-utf8": (DECL + TEI + b"<p>\xc3\x28 broken</p></TEI>", "not UTF-8"),
    "declared-latin-1": (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n' + TEI + b"</TEI>",
        "only UTF-8",
    ),
    "utf8-bom": (b"\xef\xbb\xbf" + SEED, "byte-order mark"),
    "utf16le-bom": (SEED.decode().encode("utf-16-le").join([b"\xff\xfe", b""]), "byte-order mark"),
    "utf16be-bom": (b"\xfe\xff" + SEED.decode().encode("utf-16-be"), "byte-order mark"),
    "processing-instruction": (
        seed_with(b"<text>", b'<?php system("id"); ?><text>'),
        "processing instruction",
    ),
    "xml-stylesheet": (
        DECL + b'<?xml-stylesheet href="http://127.0.0.1:9/x.xsl"?>\n' + TEI + b"</TEI>",
        "processing instruction",
    ),
    "undeclared-entity": (DECL + TEI + b"<p>&nbsp;</p></TEI>", "malformed XML"),
    "truncated": (SEED[: len(SEED) // 2], "malformed XML"),
    "nul-byte": (DECL + TEI + b"<p>a\x00b</p></TEI>", "malformed XML"),
    "utf32-bom": (b"\xff\xfe\x00\x00" + SEED.decode().encode("utf-32-le"), "UTF-32"),
    # str.isdigit() is true of a superscript two, which int() refuses: validation crashed.
    "superscript-version-number": (
        seed_with(
            b"</change>\n    </revisionDesc>",
            b'</change>\n      <change when="2026-11-27" n="\xc2\xb2">Second.</change>\n    </revisionDesc>',
        ),
        "Type positiveInteger doesn't allow value '\u00b2'",
    ),
    "script-url-source": (
        seed_with(
            b'<ptr target="https://report.az/',
            b'<ptr target="javascript:alert(1)//https://report.az/',
        ),
        "@target='javascript:alert(1)//https://report.az/",
    ),
}


def test_there_are_at_least_twenty_hostile_files():
    assert len(HOSTILE) >= 20


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for name, (data, _) in HOSTILE.items():
        (folder / f"{name}.xml").write_bytes(data)
    return folder


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_add_refuses_it_and_writes_nothing(corpus_copy, hostile_dir, name):
    path = hostile_dir / f"{name}.xml"
    before = snapshot(corpus_copy.corpus)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(InvalidDocument) as caught:
            store.add(corpus_copy, [path])
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert HOSTILE[name][1] in str(caught.value)
    assert str(caught.value).startswith(f"{path}:")
    assert elapsed < 5
    assert (
        peak < 200 * 1024 * 1024
    )  # the biggest file is 21 MB; nothing expands beyond a few copies
    after = {k: v for k, v in snapshot(corpus_copy.corpus).items() if k != ".lock"}
    assert after == {k: v for k, v in before.items() if k != ".lock"}


def _limit_memory() -> None:
    limit = 1024 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_validate_refuses_every_file_in_one_bounded_process(hostile_dir):
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "archive", "validate", str(hostile_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory,
    )
    assert time.monotonic() - started < 60
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    for name, (_, words) in HOSTILE.items():
        lines = [
            line
            for line in completed.stderr.splitlines()
            if line.startswith(f"{hostile_dir}/{name}.xml:")
        ]
        assert lines, f"no problem reported for {name}"
        assert any(words in line for line in lines), (name, lines)
    assert list(hostile_dir.iterdir()) and all(p.suffix == ".xml" for p in hostile_dir.iterdir())


# --- the encoder: the same files given as plain text -----------------------------------------

# What the encoder refuses, and why; every other file is text that happens to look like
# XML, and must come out escaped, as words, in a valid draft.
ENCODE_REFUSED = {
    "oversize-file": "larger than 20 MB",
    "huge-text-node": "characters: the archive takes at most 1,000,000",
    "invalid-utf8": "not UTF-8",
    "utf16le-bom": "UTF-16",
    "utf16be-bom": "UTF-16",
    "utf32-bom": "UTF-32",
    "nul-byte": "NUL bytes",
}
# Markup in the hostile files that must never be markup in a draft.
MARKUP = ("<!DOCTYPE", "<!ENTITY", "<?php", "<?xml-stylesheet", "<xi:include", "<script", "&nbsp;")


@pytest.fixture(scope="module")
def encode_validator(bundled_config):
    from archive.storage.store import corpus_validator

    return corpus_validator(bundled_config)


def _encode(source: Path, draft: Path, report: Path):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from archive.cli import main

    args = [
        "encode",
        str(source),
        "--id",
        "hostile-text",
        "-o",
        str(draft),
        "--report",
        str(report),
    ]
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_encode_escapes_it_in_a_valid_draft_or_refuses_it(tmp_path, name, encode_validator):
    from archive.document.tei import parse_tei

    data = HOSTILE[name][0]
    source = tmp_path / "statement.txt"
    source.write_bytes(data)
    draft, report = tmp_path / "hostile-text.xml", tmp_path / "report.json"
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = _encode(source, draft, report)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "Traceback" not in result.output
    assert elapsed < 30 and peak < 400 * 1024 * 1024, (elapsed, peak)
    if name in ENCODE_REFUSED:
        assert result.exit_code == 1
        assert result.stderr.startswith(f"{source}:"), result.stderr
        assert ENCODE_REFUSED[name] in result.stderr, result.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["statement.txt"]
        return
    assert result.exit_code == 0, result.output
    written = draft.read_bytes()
    assert encode_validator.validate_bytes(written, draft) == []
    tree = parse_tei(written, draft)
    assert tree.docinfo.doctype == ""
    assert tree.xpath("//processing-instruction() | //comment()") == []
    assert all(
        element.tag.startswith("{http://www.tei-c.org/ns/1.0}")
        for element in tree.iter()
        if isinstance(element.tag, str)
    )
    words = "".join(tree.getroot().find("{http://www.tei-c.org/ns/1.0}text").itertext())
    text = data.decode("utf-8-sig")
    for markup in MARKUP:
        if markup in text:
            assert markup in words, f"{markup} is not in the draft's text"


def test_encode_refuses_a_draft_it_could_not_read_back(tmp_path, monkeypatch):
    """Text within every input limit whose escaped draft is over the archive's file limit
    (each & becomes &amp;): refused, nothing written. The limit is lowered to 200 KB here
    (the text's own limit is not) so that the test stays fast."""
    import archive.document.tei

    monkeypatch.setattr(archive.document.tei, "MAX_FILE_BYTES", 200 * 1024)
    source = tmp_path / "statement.txt"
    source.write_text("\n\n".join(["&" * 45_000] * 5), encoding="utf-8")
    result = _encode(source, tmp_path / "hostile-text.xml", tmp_path / "report.json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{tmp_path / 'hostile-text.xml'}: file is larger than 0 MB")
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["statement.txt"]


def test_encode_time_grows_linearly_with_the_text():
    """Twice the text, about twice the time (it was quadratic: 2 MB took over a minute)."""
    from archive.config import Config
    from archive.document.authority import Registers
    from archive.document.tei import read_document
    from archive.encode import Encoder

    registers = Registers.load(Config(corpus=FIXTURE_CORPUS).authority_dir)
    encoder = Encoder(registers, "https://appeals-archive.org")
    prose = read_document(SEED).text
    timings = []
    for size in (100_000, 400_000):
        text = "\n\n".join([prose] * (size // len(prose) + 1))[:size]
        started = time.process_time()
        encoder.encode(text, doc_id="timing-test")
        timings.append(time.process_time() - started)
    assert timings[1] < 4 * timings[0] * 1.6, timings  # linear: 4x; quadratic: 16x


def test_encode_refuses_binary_and_huge_files_in_a_bounded_process(hostile_dir, tmp_path):
    """The CLI in its own process, under a 1 GB address-space limit: the refused inputs
    exit 1 with one line naming the file, in bounded time."""
    for name in ("oversize-file", "huge-text-node", "nul-byte", "utf16le-bom"):
        source = tmp_path / f"{name}.txt"
        source.write_bytes(HOSTILE[name][0])
        started = time.monotonic()
        completed = subprocess.run(
            [sys.executable, "-m", "archive", "encode", str(source), "-o", str(tmp_path / "d.xml")],
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=_limit_memory,
        )
        assert time.monotonic() - started < 60
        assert completed.returncode == 1, completed.stderr
        assert completed.stderr.startswith(f"{source}:") and "Traceback" not in completed.stderr
        assert ENCODE_REFUSED[name] in completed.stderr
        assert not (tmp_path / "d.xml").exists()
