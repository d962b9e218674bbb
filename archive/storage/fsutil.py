"""Crash-safe file writes: a file appears complete or not at all.

Every write of the archive goes through here: a temporary file in the same folder (so the
final rename stays on one file system), flushed and fsynced, then renamed over the target
(or linked, when the target must never be overwritten), then the folder fsynced so the new
name survives a power cut. A file that cannot be written raises ArchiveError naming it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, BinaryIO

from archive.errors import ArchiveError, Conflict

TEMP_PREFIX = ".tmp-"
_AT_FDCWD = -100
_AT_EMPTY_PATH = 0x1000


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_temporary(path: Path, *, create_dirs: bool) -> tuple[int, Path]:
    """A temporary file beside `path`, or ArchiveError saying why there can be none."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ArchiveError("is a directory, not a file", path=path)
    try:
        if create_dirs:
            folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=path.suffix, dir=folder)
    except FileNotFoundError:
        raise ArchiveError(f"cannot write: folder {folder} does not exist", path=path) from None
    except PermissionError:
        raise ArchiveError(f"cannot write: permission denied in {folder}", path=path) from None
    except OSError as exc:
        raise ArchiveError(f"cannot write: {exc.strerror}", path=path) from None
    return fd, Path(name)


def _finish(handle: BinaryIO, temp: Path, path: Path, mode: int) -> None:
    try:
        handle.flush()
        os.fsync(handle.fileno())
        os.chmod(temp, mode)
    except OSError as exc:
        raise ArchiveError(f"cannot write: {exc.strerror}", path=path) from None


@contextlib.contextmanager
def atomic_writer(
    path: Path, *, overwrite: bool = True, mode: int = 0o644, create_dirs: bool = True
) -> Iterator[BinaryIO]:
    """Yield a binary file to write; on success it becomes `path` atomically.

    With `overwrite=False` the target must not exist: it is created by a hard link, which
    fails rather than replace a file written meanwhile (FileExistsError). On any error the
    temporary file is removed and `path` is untouched.
    """
    fd, temp = _open_temporary(path, create_dirs=create_dirs)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            _finish(handle, temp, path, mode)
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


def atomic_write_many(outputs: list[tuple[Path, bytes]], *, mode: int = 0o644) -> None:
    """Write several files that belong together (a draft and its report): every temporary
    file is complete before the first rename, so a file that cannot be written (missing
    folder, no permission, full disk) leaves every target untouched. Folders are not
    created: a mistyped output folder is an error, not a new folder."""
    temporaries: list[tuple[Path, Path]] = []
    try:
        for path, data in outputs:
            fd, temp = _open_temporary(path, create_dirs=False)
            temporaries.append((temp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                _finish(handle, temp, path, mode)
        for temp, path in temporaries:
            os.replace(temp, path)
            fsync_dir(path.parent)
    finally:
        for temp, _ in temporaries:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


def writable_folder(folder: Path, what: str) -> Path:
    """Create `folder` if need be and make sure files can be written in it; otherwise raise
    ArchiveError saying why in words (a file in the way, no permission), not an OSError
    traceback from deep inside whatever first tried to write there."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ArchiveError(f"{what} {folder} is a file, not a folder") from None
    except NotADirectoryError:
        raise ArchiveError(
            f"{what} {folder} cannot be created: a part of its path is a file"
        ) from None
    except OSError as exc:
        raise ArchiveError(f"{what} {folder} cannot be created: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            raise ArchiveError(
                f"{what} {folder} is on a read-only file system: choose another, or remount it"
            )
        raise ArchiveError(f"{what} {folder} is not writable by this user")
    return folder


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporary files a killed writer left behind under `folder`."""
    removed = []
    if folder.is_dir():
        for temp in folder.rglob(f"{TEMP_PREFIX}*"):
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
                removed.append(temp)
    return removed


@contextlib.contextmanager
def unnamed_atomic_writer(path: Path, *, mode: int = 0o644) -> Iterator[BinaryIO]:
    """Yield a binary file that has no name until it is complete, then becomes `path`.

    For long writes (exports of a whole archive) that a user may interrupt in any way,
    SIGKILL included: the data goes to an unnamed file in the target folder (Linux
    `O_TMPFILE`), which the kernel frees if the process dies, so nothing partial is ever
    visible. Only when the file is complete is it linked in (directly, or through a
    temporary name and a rename when `path` already exists). Where the platform or file
    system lacks `O_TMPFILE` this is `atomic_writer`, whose temporary file only a SIGKILL
    can leave behind (`remove_stale_temporaries` cleans it).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _open_unnamed(path.parent)
    if fd is None:
        with atomic_writer(path, mode=mode) as handle:
            yield handle
        return
    with os.fdopen(fd, "w+b") as handle:
        yield handle
        handle.flush()
        os.fsync(fd)
        os.fchmod(fd, mode)
        _link_into_place(handle, path, mode)
    fsync_dir(path.parent)


def _open_unnamed(folder: Path) -> int | None:
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None:
        return None
    try:
        return os.open(folder, flag | os.O_RDWR, 0o600)
    except OSError:  # the file system does not support unnamed files
        return None


def _link_fd(fd: int, target: Path) -> None:
    """Give the unnamed file `fd` the name `target` (FileExistsError if it is taken).

    linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH on older kernels; linking the
    /proc/self/fd entry needs /proc (and fails across some sandboxes' mounts): try both.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.linkat(fd, b"", _AT_FDCWD, os.fsencode(target), _AT_EMPTY_PATH) == 0:
        return
    code = ctypes.get_errno()
    if code == errno.EEXIST:
        raise FileExistsError(code, os.strerror(code), str(target))
    os.link(f"/proc/self/fd/{fd}", target, follow_symlinks=True)


def _link_into_place(handle: BinaryIO, path: Path, mode: int) -> None:
    fd = handle.fileno()
    try:
        try:
            _link_fd(fd, path)
            return
        except FileExistsError:
            pass
        temp = path.parent / f"{TEMP_PREFIX}{os.urandom(8).hex()}{path.suffix}"
        _link_fd(fd, temp)
    except OSError as exc:
        if isinstance(exc, FileExistsError):
            raise
        # This system cannot name an unnamed file: copy it into a named one instead.
        handle.seek(0)
        with atomic_writer(path, mode=mode) as named:
            shutil.copyfileobj(handle, named, 1024 * 1024)
        return
    try:
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


@contextlib.contextmanager
def held_lock(handle: IO[str], busy: Callable[[str], str]) -> Iterator[None]:
    """Hold an exclusive lock on an open lock file, refused at once (Conflict with
    `busy(holder)`) when another process holds it. The holder writes its process id into
    the file, so the refusal can say who is at work, and empties it when it lets go."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        raise Conflict(busy(holder)) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()}")
    handle.flush()
    try:
        yield
    finally:
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
