"""Downloading data files: mirrors in turn, a progress bar, a SHA-256 check, an atomic rename.

The file is streamed into a temporary file beside its destination and renamed over it with
``os.replace`` only after its size and checksum are verified, so an interrupted or corrupt download
never leaves a partial or unverified file under the real name.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.client
import os
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

CHUNK_SIZE = 1 << 16


class ChecksumError(ValueError):
    """A data file whose SHA-256 digest is not the known one."""


class DownloadError(OSError):
    """No mirror could deliver a file (no network, or every source failed)."""


def sha256_hex(data: bytes) -> str:
    """The SHA-256 digest of ``data`` as 64 hex characters."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: str | Path) -> str:
    """The SHA-256 digest of the file at ``path`` as it is stored, read in chunks of ``CHUNK_SIZE``."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def check_digest(actual: str, expected: str | Sequence[str], name: str) -> None:
    """Raise ``ChecksumError`` naming ``name`` and the digests unless ``actual`` is (one of) ``expected``."""
    accepted = [expected] if isinstance(expected, str) else list(expected)
    if actual not in [digest.lower() for digest in accepted]:
        raise ChecksumError(f"checksum mismatch for {name}: expected SHA-256 {' or '.join(accepted)}, got "
                            f"{actual}. The file is corrupt or not the official one; delete it and download "
                            "again.")



class _Budget:
    """The limits of one download: at most ``max_bytes`` (None: no cap) before the monotonic
    time ``deadline_at``."""

    def __init__(self, max_bytes: int | None, deadline: float) -> None:
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.deadline_at = time.monotonic() + deadline

    def remaining(self) -> float:
        """Seconds left before the deadline (0 once passed)."""
        return max(self.deadline_at - time.monotonic(), 0.0)

    def check(self, received: int, announced: int | None = None) -> None:
        """Raise ``DownloadError`` once ``received`` (or the ``announced`` Content-Length) exceeds the
        cap or the deadline has passed."""
        for size, what in ((announced, "announces"), (received, "sent")):
            if size is not None and self.max_bytes is not None and size > self.max_bytes:
                raise DownloadError(f"the server {what} {size:,} bytes, more than the {self.max_bytes:,} "
                                    "this file can be")
        if not self.remaining():
            raise DownloadError(f"no complete file within the {self.deadline:g} s deadline "
                                f"({received:,} bytes received)")


class _Recorded:
    """Mixin of an HTTP(S) connection that records its socket in ``sockets`` once connected, so
    that the deadline can abort a read blocked inside ``http.client`` (headers sent a byte at a
    time never trip the per-read timeout)."""

    def __init__(self, *args: Any, sockets: list[socket.socket], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sockets = sockets

    def connect(self) -> None:
        super().connect()
        self.sockets.append(self.sock)


class _HTTPConnection(_Recorded, http.client.HTTPConnection):
    """``http.client.HTTPConnection`` recording its socket."""


class _HTTPSConnection(_Recorded, http.client.HTTPSConnection):
    """``http.client.HTTPSConnection`` recording its socket."""


class _HTTPHandler(urllib.request.HTTPHandler):
    """urllib's http handler, over connections that record their sockets in ``sockets``."""

    def __init__(self, sockets: list[socket.socket]) -> None:
        super().__init__()
        self.sockets = sockets

    def http_open(self, request: urllib.request.Request) -> Any:
        return self.do_open(functools.partial(_HTTPConnection, sockets=self.sockets), request)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    """urllib's https handler, over connections that record their sockets in ``sockets``."""

    def __init__(self, sockets: list[socket.socket]) -> None:
        super().__init__()
        self.sockets = sockets

    def https_open(self, request: urllib.request.Request) -> Any:
        return self.do_open(functools.partial(_HTTPSConnection, sockets=self.sockets), request,
                            context=self._context)


def _abort(sockets: list[socket.socket]) -> None:
    """Shut the sockets down: a read blocked on them returns at once."""
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _stream(url: str, target: Path, timeout: float, progress: bool, budget: _Budget) -> None:
    """Write the body at ``url`` to the path ``target``; raise if it ends early, is larger than the
    budget's cap or is not complete by its deadline: ``timeout`` bounds each network read, and at
    the deadline a watchdog shuts the connection down, wherever the transfer is blocked."""
    sockets: list[socket.socket] = []
    watchdog = threading.Timer(budget.remaining(), _abort, (sockets,))
    watchdog.daemon = True
    watchdog.start()
    try:
        _transfer(urllib.request.build_opener(_HTTPHandler(sockets), _HTTPSHandler(sockets)), url, target,
                  timeout, progress, budget)
    except (OSError, http.client.HTTPException) as error:
        if not isinstance(error, DownloadError) and not budget.remaining():
            raise DownloadError(f"no complete file within the {budget.deadline:g} s deadline") from error
        raise
    finally:
        watchdog.cancel()


def _transfer(opener: urllib.request.OpenerDirector, url: str, target: Path, timeout: float,
              progress: bool, budget: _Budget) -> None:
    """Stream the body at ``url`` into ``target`` through ``opener``, checking ``budget`` after
    every read (each returns what has arrived, at most ``CHUNK_SIZE`` bytes)."""
    with opener.open(url, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length is not None and length.isdigit() else None
        budget.check(0, total)
        received = 0
        with open(target, "wb") as out, tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                                             desc=Path(url).name, disable=not progress, leave=False) as bar:
            while chunk := response.read1(CHUNK_SIZE):
                received += len(chunk)
                budget.check(received)
                out.write(chunk)
                bar.update(len(chunk))
    budget.check(received)
    if total is not None and received != total:
        raise http.client.IncompleteRead(b"", total - received)


def download(urls: Sequence[str], destination: str | Path, verify: Callable[[Path], None],
             timeout: float = 30.0, progress: bool = True, *, max_bytes: int | None = None,
             deadline: float = 900.0) -> Path:
    """Fetch the file from the first of ``urls`` that delivers a verified copy, into ``destination``.

    Each attempt streams into a temporary file in the destination's directory (with a tqdm
    progress bar); ``verify(temporary_path)`` must return without raising (e.g. a SHA-256 check);
    then ``os.replace`` moves it into place atomically. Failed attempts delete their temporary file
    and fall through to the next mirror. ``timeout`` bounds each network read (seconds), ``deadline``
    all attempts together, ``max_bytes`` each body (a larger Content-Length or body is cut off). If
    every mirror fails, raises ``ChecksumError`` when a mirror delivered a file with the wrong digest,
    else ``DownloadError`` listing each failure.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    checksum_error: ChecksumError | None = None
    budget = _Budget(max_bytes, deadline)
    for url in urls:
        handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.",
                                             suffix=".part")
        os.close(handle)
        temporary = Path(temporary)
        try:
            budget.check(0)
            _stream(url, temporary, timeout, progress, budget)
            verify(temporary)
            os.replace(temporary, destination)
            return destination
        except ChecksumError as error:
            checksum_error = ChecksumError(f"{url}: {error}".replace(str(temporary), str(destination)))
            failures.append(str(checksum_error))
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            failure = f"{url}: {type(error).__name__}: {error}"
            failures.append(failure.replace(str(temporary), str(destination)))
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    if checksum_error is not None:
        raise checksum_error
    raise DownloadError(f"could not download {destination.name}:\n  " + "\n  ".join(failures))
