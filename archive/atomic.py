"""Writing files so that no reader ever sees half of one.

Each file is written to a temporary file in its own folder, flushed to disk, then renamed
over the target (a rename within one file system is atomic). When several files are
written together, every temporary file is complete before the first rename.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from archive.errors import ArchiveError


def write_atomic(outputs: list[tuple[Path, bytes]]) -> None:
    """Write each (path, data). Raises ArchiveError naming the file when one cannot be
    prepared (missing folder, no permission, full disk), and then no target is touched."""
    temporaries: list[tuple[str, Path]] = []
    try:
        for path, data in outputs:
            temporaries.append((_write_temporary(path, data), path))
        for temporary, path in temporaries:
            os.replace(temporary, path)
    finally:
        for temporary, _ in temporaries:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def _write_temporary(path: Path, data: bytes) -> str:
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ArchiveError("is a directory, not a file", path=path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except FileNotFoundError:
        raise ArchiveError(f"cannot write: folder {folder} does not exist", path=path) from None
    except PermissionError:
        raise ArchiveError(f"cannot write: permission denied in {folder}", path=path) from None
    except OSError as exc:
        raise ArchiveError(f"cannot write: {exc.strerror}", path=path) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        mode = 0o644 & ~_umask()
        os.chmod(temporary, mode)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise ArchiveError(f"cannot write: {exc.strerror}", path=path) from None
    return temporary


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
