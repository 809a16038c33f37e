"""Downloading data files: mirrors in turn, a progress bar, a SHA-256 check, an atomic rename.

The file is streamed into a temporary file beside its destination and renamed over it with
``os.replace`` only after its size and checksum are verified, so an interrupted or corrupt download
never leaves a partial or unverified file under the real name.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

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

    def check(self, received: int, announced: int | None = None) -> None:
        """Raise ``DownloadError`` once ``received`` (or the ``announced`` Content-Length) exceeds the
        cap or the deadline has passed."""
        for size, what in ((announced, "announces"), (received, "sent")):
            if size is not None and self.max_bytes is not None and size > self.max_bytes:
                raise DownloadError(f"the server {what} {size:,} bytes, more than the {self.max_bytes:,} "
                                    "this file can be")
        if time.monotonic() > self.deadline_at:
            raise DownloadError(f"no complete file within the {self.deadline:g} s deadline "
                                f"({received:,} bytes received)")


def _stream(url: str, target: Path, timeout: float, progress: bool, budget: _Budget) -> None:
    """Write the body at ``url`` to the path ``target``; raise if it ends early, is larger than the
    budget's cap or is not complete by its deadline (each read returns what has arrived, so a
    server that trickles bytes is cut off at the deadline, one ``timeout`` late at worst)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) mirrors
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
            failures.append(f"{url}: {type(error).__name__}: {error}")
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    if checksum_error is not None:
        raise checksum_error
    raise DownloadError(f"could not download {destination.name}:\n  " + "\n  ".join(failures))
