"""Crash-safe file writes: a file appears complete or not at all.

Every write of the archive goes through here: a temporary file in the same folder (so the
final rename stays on one file system), flushed and fsynced, then renamed over the target
(or linked, when the target must never be overwritten), then the folder fsynced so the new
name survives a power cut.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

TEMP_PREFIX = ".tmp-"


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: Path, *, overwrite: bool = True, mode: int = 0o644) -> Iterator[BinaryIO]:
    """Yield a binary file to write; on success it becomes `path` atomically.

    With `overwrite=False` the target must not exist: it is created by a hard link, which
    fails rather than replace a file written meanwhile (FileExistsError). On any error the
    temporary file is removed and `path` is untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=path.suffix, dir=path.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        if overwrite:
            os.replace(temp, path)
        else:
            os.link(temp, path)
            temp.unlink()
        fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


def atomic_write(path: Path, data: bytes, *, overwrite: bool = True, mode: int = 0o644) -> None:
    """Write `data` to `path` atomically (see `atomic_writer`)."""
    with atomic_writer(path, overwrite=overwrite, mode=mode) as handle:
        handle.write(data)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporary files a killed writer left behind under `folder`."""
    removed = []
    if folder.is_dir():
        for temp in folder.rglob(f"{TEMP_PREFIX}*"):
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
                removed.append(temp)
    return removed
