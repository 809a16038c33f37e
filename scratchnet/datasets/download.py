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


def verify_sha256(data: bytes, expected: str, name: str) -> None:
    """Raise ``ChecksumError`` naming ``name`` and both digests unless ``sha256(data) == expected``."""
    actual = sha256_hex(data)
    if actual != expected.lower():
        raise ChecksumError(f"checksum mismatch for {name}: expected SHA-256 {expected}, got {actual}. "
                            "The file is corrupt or not the official one; delete it and download again.")


def _stream(url: str, target: Path, timeout: float, progress: bool) -> None:
    """Write the body at ``url`` to the open path ``target``; raise if it ends early."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) mirrors
        length = response.headers.get("Content-Length")
        total = int(length) if length is not None else None
        received = 0
        with open(target, "wb") as out, tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                                             desc=Path(url).name, disable=not progress, leave=False) as bar:
            while chunk := response.read(CHUNK_SIZE):
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if total is not None and received != total:
        raise http.client.IncompleteRead(b"", total - received)


def download(urls: Sequence[str], destination: str | Path, verify: Callable[[Path], None],
             timeout: float = 30.0, progress: bool = True) -> Path:
    """Fetch the file from the first of ``urls`` that delivers a verified copy, into ``destination``.

    Each attempt streams into a temporary file in the destination's directory (with a tqdm
    progress bar); ``verify(temporary_path)`` must return without raising (e.g. a SHA-256 check);
    then ``os.replace`` moves it into place atomically. Failed attempts delete their temporary file
    and fall through to the next mirror. If every mirror fails, raises ``ChecksumError`` when a
    mirror delivered a file with the wrong digest, else ``DownloadError`` listing each failure.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    checksum_error: ChecksumError | None = None
    for url in urls:
        handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.",
                                             suffix=".part")
        os.close(handle)
        temporary = Path(temporary)
        try:
            _stream(url, temporary, timeout, progress)
            verify(temporary)
            os.replace(temporary, destination)
            return destination
        except ChecksumError as error:
            checksum_error = error
            failures.append(f"{url}: {error}")
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            failures.append(f"{url}: {type(error).__name__}: {error}")
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    if checksum_error is not None:
        raise checksum_error
    raise DownloadError(f"could not download {destination.name}:\n  " + "\n  ".join(failures))
