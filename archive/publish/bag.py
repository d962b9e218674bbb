"""A BagIt 1.0 bag, zipped, written as a stream of bytes chunks.

The zip is written by the standard library's `zipfile` onto a stream that cannot seek (the
web response, a pipe): each entry then carries its sizes and CRC in a data descriptor after
its data, so nothing has to be rewritten and nothing waits for the end but the central
directory. Memory holds one document at a time; each document's digest (32 bytes) goes to a temporary file;
the zip directory entries that `zipfile` keeps for the central directory (~1 KB each, which
made memory grow with the export) are spilled to a temporary file of ~0.2 KB a document, and
so is the central directory itself (~0.1 KB a document), which `zipfile` writes in one go as
it closes, before it is handed on in chunks.

Layout (BagIt 1.0, RFC 8493):
    <name>/bagit.txt
    <name>/data/<path>                 the payload files the caller gives (see export.py)
    <name>/bag-info.txt                who, when, which selection, Payload-Oxum
    <name>/manifest-sha256.txt         sha256 of every data file
    <name>/tagmanifest-sha256.txt      sha256 of the three tag files above
"""

from __future__ import annotations

import hashlib
import io
import pickle
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import BinaryIO

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
# zlib level 6 (the default) costs twice the time of level 1 for ~10 % smaller XML; an
# export is read once and thrown away more often than it is archived.
COMPRESS_LEVEL = 1
# Hand bytes on in pieces of at least this size: fewer, larger writes to the network.
CHUNK_SIZE = 64 * 1024


class ChunkSink(io.RawIOBase):
    """A write-only, unseekable file that keeps what is written until it is taken."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []
        self._size = 0
        self._spill: BinaryIO | None = None

    def writable(self) -> bool:
        return True

    def spill_to(self, file: BinaryIO) -> None:
        """Write what comes from now on to `file` instead of memory: the zip's central
        directory is written in one go when the zip closes, with no chance to hand chunks on
        in between, and it grows with the number of files (~0.2 KB each)."""
        self._spill = file

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self._spill is not None:
            return self._spill.write(data)
        if data:
            self._chunks.append(bytes(data))
            self._size += len(data)
        return len(data)

    def take(self, at_least: int = 0) -> bytes:
        """What was written since the last take, if at least `at_least` bytes, else b''."""
        if self._size == 0 or self._size < at_least:
            return b""
        data = b"".join(self._chunks)
        self._chunks.clear()
        self._size = 0
        return data


class SpilledEntries:
    """Stands in for `ZipFile.filelist`: the entries of the central directory, appended as
    each file is written and read back once when the zip is closed, kept in a temporary file
    instead of memory. `zipfile` only appends to, counts and iterates its file list when
    writing."""

    def __init__(self, spill: BinaryIO) -> None:
        self._file = spill
        self._count = 0

    def append(self, info: zipfile.ZipInfo) -> None:
        self._file.seek(0, io.SEEK_END)
        pickle.dump(info, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[zipfile.ZipInfo]:
        self._file.seek(0)
        for _ in range(self._count):
            yield pickle.load(self._file)


class NoNames(dict):
    """Stands in for `ZipFile.NameToInfo`, which only serves reading and duplicate warnings:
    the bag's names are unique by construction, so none is remembered."""

    def __setitem__(self, key: str, value: zipfile.ZipInfo) -> None:
        pass


def bag_info_text(fields: Iterable[tuple[str, str]]) -> bytes:
    """bag-info.txt: one `Label: value` line per field, whitespace in values collapsed (a
    value from a search box can never start a line of its own)."""
    lines = [f"{label}: {' '.join(str(value).split())}\n" for label, value in fields]
    return "".join(lines).encode("utf-8")


def zipped_bag(
    payload: Iterable[tuple[str, bytes]],
    *,
    name: str,
    info: list[tuple[str, str]],
    when: datetime,
    chunk_size: int = CHUNK_SIZE,
    late_info: Callable[[], list[tuple[str, str]]] = list,
) -> Iterator[bytes]:
    """Yield the bytes of a zipped bag named `name` holding `payload`: (path under data/,
    bytes) pairs, in the order given.

    `info` are the bag-info.txt fields known in advance; `late_info()` gives those known
    only once the payload is written (counts), and Payload-Oxum is added after them.
    """
    sink = ChunkSink()
    date_time = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    # Per document only its raw digest is kept (32 bytes, in a temporary file); the manifest
    # lines are made at the end from these and the zip's own entry names, and streamed into
    # the zip.
    tag_digests: list[tuple[str, str]] = []
    octets = count = 0

    with (
        tempfile.TemporaryFile() as spill,
        tempfile.TemporaryFile() as directory,
        tempfile.TemporaryFile() as digests,
    ):
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            entries = SpilledEntries(spill)
            archive.filelist = entries  # type: ignore[assignment]
            archive.NameToInfo = NoNames()

            def entry(path: str) -> zipfile.ZipInfo:
                info = zipfile.ZipInfo(f"{name}/{path}", date_time=date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                return info

            def add(path: str, data: bytes) -> bytes:
                # The level must be given here: a ZipInfo does not take the ZipFile's default.
                archive.writestr(entry(path), data, compresslevel=COMPRESS_LEVEL)
                return hashlib.sha256(data).digest()

            tag_digests.append(("bagit.txt", add("bagit.txt", BAGIT_TXT).hex()))
            for path, data in payload:
                digests.write(add(f"data/{path}", data))
                octets += len(data)
                count += 1
                chunk = sink.take(chunk_size)
                if chunk:
                    yield chunk
            fields = [*info, *late_info(), ("Payload-Oxum", f"{octets}.{count}")]
            tag_digests.append(("bag-info.txt", add("bag-info.txt", bag_info_text(fields)).hex()))
            manifest = hashlib.sha256()
            digests.seek(0)
            with archive.open(entry("manifest-sha256.txt"), "w") as out:
                # Entries so far: bagit.txt, the documents, bag-info.txt.
                for index, written in enumerate(entries):
                    if not 1 <= index <= count:
                        continue
                    path = written.filename[len(name) + 1 :]
                    digest = digests.read(32).hex()
                    line = f"{digest}  {path}\n".encode()
                    out.write(line)
                    manifest.update(line)
                    chunk = sink.take(chunk_size)
                    if chunk:
                        yield chunk
            tag_digests.append(("manifest-sha256.txt", manifest.hexdigest()))
            tags = "".join(f"{digest}  {path}\n" for path, digest in tag_digests)
            add("tagmanifest-sha256.txt", tags.encode("utf-8"))
            yield sink.take()
            # Closing the zip writes the central directory and the end records in one go:
            # into the temporary file, then handed on from there in chunks.
            sink.spill_to(directory)
        directory.seek(0)
        while chunk := directory.read(chunk_size):
            yield chunk
