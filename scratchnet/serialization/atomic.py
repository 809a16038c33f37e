"""Atomic file replacement: a crash at any moment leaves either the old file or the new one.

The new contents go to a temporary file in the destination's folder (same file system, so the
final rename is atomic), which is flushed and ``fsync``-ed before ``os.replace`` moves it over the
destination; the folder is then ``fsync``-ed so that the rename itself survives a power cut.

Temporary files are named ``.<name>.scratchnet-<pid>-<random>.tmp`` after the destination and the
writing process. Any failure removes the writer's own; a killed writer's (its process gone) is
removed by the next save into that folder. An ``OSError`` (disk full, read-only folder, a parent
that is not a folder) is raised again, of the same type and errno, naming the destination and
what went wrong, never only the hidden temporary file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Callable
from typing import BinaryIO

_TEMPORARY = re.compile(r"\..+\.scratchnet-(\d+)-[0-9a-f]{12}\.tmp")
"""The names of our temporary files; the group is the writer's process id."""


def _temporary_path(path: str) -> str:
    """A fresh hidden file name next to ``path``, naming this process."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.scratchnet-{os.getpid()}-{secrets.token_hex(6)}.tmp")


def _is_running(pid: int) -> bool:
    """Whether process ``pid`` exists (on this machine)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid < 2 ** 31  # another user's process; an impossible pid is no process
    return True


def remove_stale_temporaries(folder: str) -> list[str]:
    """Delete the temporary files that killed writers left in ``folder``; return their names.
    Files of writers still running are kept, and a file that cannot be removed is skipped."""
    removed = []
    with contextlib.suppress(OSError), os.scandir(folder or ".") as entries:
        for entry in entries:
            match = _TEMPORARY.fullmatch(entry.name)
            if match and not _is_running(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(entry.name)
    return removed


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


def _explain(error: OSError, path: str) -> str:
    """What went wrong, in words, for a save into ``path``."""
    folder = os.path.dirname(path) or "."
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: f"the folder {folder} is on a read-only file system",
        errno.EACCES: f"permission denied: cannot write into the folder {folder}",
        errno.EPERM: f"permission denied: cannot write into the folder {folder}",
        errno.ENOTDIR: f"{folder} is not a folder",
        errno.ENOENT: f"the folder {folder} does not exist" if not os.path.isdir(folder)
        else "the temporary file vanished before the rename (removed by another process?)",
        errno.EISDIR: f"{path} is a folder",
    }
    reason = reasons.get(error.errno, "")
    detail = error.strerror or str(error)
    return f"cannot save {path}: {reason} ({detail})" if reason else f"cannot save {path}: {detail}"


def _naming(error: OSError, path: str) -> OSError:
    """``error`` again (same type and errno) with a message naming ``path`` and the cause."""
    message = _explain(error, path)
    return type(error)(error.errno, message) if error.errno is not None else type(error)(message)


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(file)`` on a temporary file, make it durable, then rename it to ``path``.

    A new file gets the usual permissions (0o666 less the umask); an existing file keeps its
    mode. If anything fails, the temporary file is removed and ``path`` is untouched; an
    ``OSError`` comes back naming ``path`` and the cause. Stale temporary files of killed
    writers in the folder are removed first.
    """
    path = os.fspath(path)
    remove_stale_temporaries(os.path.dirname(path))
    temporary = _temporary_path(path)
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise _naming(error, path) from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise _naming(error, path) from None
        raise
    _fsync_directory(os.path.dirname(path))
