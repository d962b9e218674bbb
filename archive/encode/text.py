"""The plain text going in: reading it safely, locating offsets, cutting it into blocks.

An archivist's text file may be anything: empty, a PDF saved under the wrong name, a
Windows file in Latin-1. Each is refused with the file named and the line where it goes
wrong, before anything is encoded, so no draft is ever built from mojibake.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from archive.document import MAX_FILE_BYTES
from archive.errors import InvalidDocument, NotFound, Problem

# C0 controls other than tab, newline and carriage return, and DEL: never in a text, and
# not allowed in XML 1.0 either.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")  # checked first: see the LE one
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# A paragraph becomes one <p>: far longer than any statement's, and under lxml's limit on a
# text node (10,000,000 bytes) even in four-byte characters, so every draft parses again.
MAX_PARAGRAPH_CHARS = 1_000_000


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def read_text_file(path: Path) -> str:
    """Read a UTF-8 text file for encoding, or raise an ArchiveError naming the file (and
    the line) when it is missing, unreadable, empty, binary or not UTF-8."""
    try:
        if path.is_dir():
            raise InvalidDocument([Problem(str(path), None, "is a directory, not a text file")])
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound("no such file", path=path) from None
    except PermissionError:
        raise InvalidDocument([Problem(str(path), None, "permission denied")]) from None
    return decode_text(data, path)


def decode_text(data: bytes, path: Path | str = "<text>") -> str:
    """Check and decode the bytes of a plain-text statement.

    Accepted: UTF-8, with or without a byte-order mark, any newline convention (returned
    as "\\n"). Refused: nothing but white space, NUL bytes or other control characters
    (binary files), UTF-16, bytes that are not UTF-8, files over the archive's size limit
    and paragraphs over MAX_PARAGRAPH_CHARS.
    """

    def refuse(message: str, line: int | None = None) -> InvalidDocument:
        return InvalidDocument([Problem(str(path), line, message)])

    if len(data) > MAX_FILE_BYTES:
        raise refuse(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if data.startswith(_UTF32_BOMS):
        raise refuse("file is UTF-32, not UTF-8: save it as UTF-8", 1)
    if data.startswith(_UTF16_BOMS):
        raise refuse("file is UTF-16, not UTF-8: save it as UTF-8", 1)
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise refuse("binary file, not text: it contains NUL bytes", line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise refuse(
            f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded "
            "(save the file as UTF-8; Latin-1 and Windows-1252 are not accepted)",
            line,
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    control = _CONTROL_RE.search(text)
    if control:
        raise refuse(
            f"binary file, not text: control character U+{ord(control.group()):04X}",
            _line_of(text, control.start()),
        )
    if not text.strip():
        raise refuse("file is empty: there is no text to encode", 1)
    text = unicodedata.normalize("NFC", text)
    for block in split_blocks(text):
        if block.end - block.start > MAX_PARAGRAPH_CHARS:
            raise refuse(
                f"a paragraph of {block.end - block.start:,} characters: the archive takes at most "
                f"{MAX_PARAGRAPH_CHARS:,} (is this a text file?)",
                _line_of(text, block.start),
            )
    return text


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset, as editors count them."""
    line = _line_of(text, offset)
    start_of_line = text.rfind("\n", 0, offset) + 1
    return line, offset - start_of_line + 1


@dataclass(frozen=True)
class Block:
    """A paragraph-like piece of the text: its offsets and the lines inside it."""

    start: int
    end: int
    lines: tuple[tuple[int, int], ...]

    def text(self, source: str) -> str:
        return source[self.start : self.end]

    def line_texts(self, source: str) -> list[str]:
        return [source[a:b] for a, b in self.lines]


def split_blocks(text: str) -> list[Block]:
    """Cut the text into blocks: at blank lines when the text has any, otherwise at every
    line (texts copied from web pages often put one paragraph on each line)."""
    lines: list[tuple[int, int]] = []
    offset = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            lines.append((offset + lead, offset + lead + len(stripped)))
        else:
            lines.append((offset, offset))  # a blank line
        offset += len(raw) + 1
    filled = [a != b for a, b in lines]
    if not any(filled):
        return []
    # Blank lines separate paragraphs only when one stands between two lines of text.
    first, last = filled.index(True), len(filled) - 1 - filled[::-1].index(True)
    has_blank = not all(filled[first : last + 1])
    blocks: list[Block] = []
    current: list[tuple[int, int]] = []
    for a, b in lines:
        if a == b:
            if current:
                blocks.append(Block(current[0][0], current[-1][1], tuple(current)))
                current = []
            continue
        current.append((a, b))
        if not has_blank:
            blocks.append(Block(a, b, ((a, b),)))
            current = []
    if current:
        blocks.append(Block(current[0][0], current[-1][1], tuple(current)))
    return blocks


# Lines a web page leaves in a pasted text: widgets, navigation, archive banners, share
# buttons. They are flagged and never become the title or the id (on the development set:
# "Archived page: may contain outdated information!", "Send page", "Show More", "Back to top
# button", "Printer Friendly Version", "Read: 981"; the issue's "16 px" font-size widget).
_DEBRIS_RE = re.compile(
    r"^\s*(?:[•·*|-]\s*)?(?:\d{1,2}\s*px|(?:A[-+]?\s*){2,}|Archived\s+page\b.*|Send\s+page|Print\s+page"
    r"|Printer[\s-]+Friendly\s+Version.*|Tell\s+a\s+friend.*|Skip\s+to\s+(?:main\s+)?content|Show\s+More"
    r"|Back\s+to\s+top(?:\s+button)?|(?:Facebook\s+)?Share(?:\s+this)?|Main\s+menu|Advanced\s+search"
    r"|Select\s+this\s+search\s+icon.*|Read:\s*\d+|News\s+Line|Printed\s+from:.*|Print|Email"
    r"|In\s+progress\s+at\s+UNHQ|Subscribe.*newsletter.*|Related\s+news|Jump\s+to\s+navigation)\s*[.!]?\s*$",
    re.IGNORECASE,
)


def is_debris(line: str) -> bool:
    """Whether one line is web-page furniture ("Show More", "Archived page ...")."""
    return _DEBRIS_RE.match(line) is not None


def debris_lines(text: str, blocks: list[Block]) -> list[tuple[int, int]]:
    """The spans of lines that are web-page furniture rather than the statement."""
    return [
        (a, b) for block in blocks for a, b in block.lines if b > a and _DEBRIS_RE.match(text[a:b])
    ]
