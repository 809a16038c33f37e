"""Atomic file replacement: a crash at any moment leaves either the old file or the new one.

The new contents go to a temporary file in the destination's folder (same file system, so the
final rename is atomic), which is flushed and ``fsync``-ed before ``os.replace`` moves it over the
destination; the folder is then ``fsync``-ed so that the rename itself survives a power cut.
A killed writer can leave a stale ``.<name>.<random>.tmp`` file behind, never a half-written
destination.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from typing import BinaryIO


def _temporary_path(path: str) -> str:
    """A fresh hidden file name next to ``path``."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")


def _fsync_directory(folder: str) -> None:
    """Make a rename inside ``folder`` durable (a no-op where directories cannot be opened)."""
    try:
        descriptor = os.open(folder or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(file)`` on a temporary file, make it durable, then rename it to ``path``.

    A new file gets the usual permissions (0o666 less the umask); an existing file keeps its
    mode. If ``write`` raises, the temporary file is removed and ``path`` is untouched.
    """
    path = os.fspath(path)
    temporary = _temporary_path(path)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(os.path.dirname(path))
