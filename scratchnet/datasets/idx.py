"""The IDX file format of MNIST and Fashion-MNIST, gzip-compressed or raw.

An IDX file is a big-endian header ``0x00 0x00 <dtype code> <ndim>``, then ``ndim`` 32-bit sizes,
then the values in C order. The 4-byte header read as one integer is the *magic number*:
2051 (``0x00000803``) for 3-D uint8 images, 2049 (``0x00000801``) for 1-D uint8 labels.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import math
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from scratchnet.backend import xp

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

_DTYPES = {0x08: xp.dtype(xp.uint8), 0x09: xp.dtype(xp.int8), 0x0B: xp.dtype(">i2"),
           0x0C: xp.dtype(">i4"), 0x0D: xp.dtype(">f4"), 0x0E: xp.dtype(">f8")}
_GZIP_MAGIC = b"\x1f\x8b"


MAX_NDIM = 32
"""The most dimensions an IDX header may announce (NumPy 1's limit; MNIST files have 1 or 3)."""

DEFLATE_MAX_RATIO = 1032
"""The largest expansion of DEFLATE (RFC 1951): a gzip file of n bytes inflates to at most ~1032·n."""


class IDXError(ValueError):
    """A data file that is not a valid IDX file (wrong magic, truncated, an HTML page, a header that
    announces an impossible or unexpected shape, a gzip bomb ...). The message names the file."""


def _looks_like_html(data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")) or b"<html" in head


def _html_error(name: str) -> IDXError:
    return IDXError(f"{name} is an HTML page, not an IDX data file (a download error page saved under "
                    "the data file's name?); delete it and download again")


def is_gzip(path: str | Path) -> bool:
    """Whether the file at ``path`` starts with the gzip magic bytes."""
    with open(path, "rb") as file:
        return file.read(2) == _GZIP_MAGIC


def refuse_html(path: str | Path) -> None:
    """Raise ``IDXError`` when the file at ``path`` is an HTML page (an error page saved under a
    data file's name)."""
    with open(path, "rb") as file:
        if _looks_like_html(file.read(512)):
            raise _html_error(str(path))


def max_idx_bytes(path: str | Path) -> int:
    """The most IDX bytes the file at ``path`` can hold: its size when raw, 1032 times its size
    when gzip-compressed (DEFLATE's largest expansion)."""
    size = Path(path).stat().st_size
    return size * DEFLATE_MAX_RATIO if is_gzip(path) else size


@contextlib.contextmanager
def open_idx(path: str | Path) -> Iterator[BinaryIO]:
    """The file at ``path`` as a stream of IDX bytes: gunzipped on the fly when it starts with the
    gzip magic, else as is. Errors of a corrupt or truncated gzip stream become ``IDXError``."""
    name = str(path)
    try:
        with open(path, "rb") as raw, (gzip.GzipFile(fileobj=raw) if is_gzip(path) else raw) as stream:
            yield stream
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError | PermissionError | IsADirectoryError):
            raise
        raise IDXError(f"{name} is a corrupt or truncated gzip file ({error}); delete it and download "
                       "again") from error


def decompress(data: bytes, name: str, max_bytes: int | None = None) -> bytes:
    """The IDX bytes of a file's contents: gunzipped when they start with the gzip magic, else as is.

    At most ``max_bytes`` are inflated (default: DEFLATE's limit for the input, 1032·len(data)).
    Raises ``IDXError`` naming ``name`` for a corrupt or truncated gzip stream, a stream that inflates
    past the bound, and an HTML page (a proxy or error page saved under the data file's name).
    """
    if _looks_like_html(data):
        raise _html_error(name)
    if not data.startswith(_GZIP_MAGIC):
        return data
    limit = len(data) * DEFLATE_MAX_RATIO if max_bytes is None else max_bytes
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            inflated = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise IDXError(f"{name} is a corrupt or truncated gzip file ({error}); delete it and download "
                       "again") from error
    if len(inflated) > limit:
        raise IDXError(f"{name} inflates to more than {limit:,} bytes (a gzip bomb?); refused")
    return inflated


def read_bytes(path: str | Path) -> bytes:
    """The decompressed IDX bytes of the file at ``path`` (gzip or raw), inflating at most what the
    file can hold (``max_idx_bytes``)."""
    path = Path(path)
    return decompress(path.read_bytes(), str(path))


def _read_exactly(stream: BinaryIO, count: int) -> bytes:
    """Up to ``count`` bytes of ``stream`` (fewer only at its end)."""
    chunks, remaining = [], count
    while remaining > 0 and (chunk := stream.read(remaining)):
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _check_magic(head: bytes, name: str, expected_magic: int | None) -> tuple[xp.dtype, int]:
    """The item dtype and the number of dimensions of a 4-byte IDX magic number."""
    magic = int.from_bytes(head, "big")
    code, ndim = head[2], head[3]
    if head[:2] != b"\x00\x00" or code not in _DTYPES or ndim == 0:
        raise IDXError(f"{name} is not an IDX file: bad magic number {magic} (0x{magic:08x}); expected "
                       f"{expected_magic or f'{IMAGES_MAGIC} (images) or {LABELS_MAGIC} (labels)'}")
    if expected_magic is not None and magic != expected_magic:
        raise IDXError(f"{name}: magic number {magic}, expected {expected_magic} "
                       f"({'images' if expected_magic == IMAGES_MAGIC else 'labels'}); wrong file?")
    if ndim > MAX_NDIM:
        raise IDXError(f"{name}: the header announces {ndim} dimensions, more than {MAX_NDIM}")
    return _DTYPES[code], ndim


def _check_shape(shape: tuple[int, ...], itemsize: int, name: str, expected_shape: tuple[int, ...] | None,
                 max_bytes: int, exact: bool) -> None:
    """Refuse a shape other than ``expected_shape``, one NumPy cannot allocate (even when empty), or
    one whose file (header and values) cannot fit in ``max_bytes`` (the source's size when
    ``exact``, else a bound on it)."""
    total = 4 + 4 * len(shape) + math.prod(shape) * itemsize
    if expected_shape is not None and shape != tuple(expected_shape):
        raise IDXError(f"{name}: the header announces shape {shape}, expected {tuple(expected_shape)}")
    if math.prod(size for size in shape if size) * itemsize >= 1 << 63:
        raise IDXError(f"{name}: the header announces shape {shape}, too large for any array")
    if total > max_bytes:
        found = f"found {max_bytes:,}" if exact else f"more than the file can hold ({max_bytes:,} at most)"
        raise IDXError(f"{name} is truncated: the header announces shape {shape}, i.e. {total:,} bytes, "
                       f"{found}")


def read_idx(stream: BinaryIO, name: str = "<stream>", expected_magic: int | None = None,
             expected_shape: tuple[int, ...] | None = None, max_bytes: int = 1 << 30,
             exact: bool = False) -> xp.ndarray:
    """The array stored in the IDX byte ``stream``, in native byte order.

    Reads the header first, checks its magic number (``expected_magic``: 2051 images, 2049 labels),
    its shape (``expected_shape`` when given) and that header and values fit in ``max_bytes`` (the
    stream's length when ``exact``, else a bound on it, e.g. DEFLATE's for a gzip file); only then
    allocates the array and fills it from the stream, which must end right after the values. Every
    problem raises ``IDXError`` naming ``name``.
    """
    head = _read_exactly(stream, 4)
    if head[:2] != b"\x00\x00" and _looks_like_html(head + _read_exactly(stream, 508)):
        raise _html_error(name)
    if len(head) < 4:
        raise IDXError(f"{name} is truncated: {len(head)} bytes, shorter than the 4-byte IDX header")
    dtype, ndim = _check_magic(head, name, expected_magic)
    sizes = _read_exactly(stream, 4 * ndim)
    if len(sizes) < 4 * ndim:
        raise IDXError(f"{name} is truncated inside its header ({4 + len(sizes)} of {4 + 4 * ndim} bytes)")
    shape = tuple(int.from_bytes(sizes[i: i + 4], "big") for i in range(0, 4 * ndim, 4))
    payload = math.prod(shape) * dtype.itemsize
    _check_shape(shape, dtype.itemsize, name, expected_shape, max_bytes, exact)
    array = xp.empty(shape, dtype=dtype)
    buffer, received = memoryview(array.reshape(-1).view(xp.uint8)), 0
    while received < payload and (more := stream.readinto(buffer[received:])):
        received += more
    if received < payload or stream.read(1):
        state = "truncated" if received < payload else "too long"
        found = f"found {4 + 4 * ndim + received:,}" if received < payload else "found more"
        raise IDXError(f"{name} is {state}: the header announces shape {shape}, i.e. "
                       f"{4 + 4 * ndim + payload:,} bytes, {found}")
    return array.astype(dtype.newbyteorder("="), copy=False)


def parse_idx(data: bytes, name: str = "<bytes>", expected_magic: int | None = None,
              expected_shape: tuple[int, ...] | None = None) -> xp.ndarray:
    """The array stored in the IDX bytes ``data``, in native byte order (see ``read_idx``): the
    magic number, the shape and the payload length (the product of the header sizes times the item
    size) are checked before anything is allocated."""
    return read_idx(io.BytesIO(data), name, expected_magic, expected_shape, len(data), exact=True)


def load_idx(path: str | Path, expected_magic: int | None = None,
             expected_shape: tuple[int, ...] | None = None) -> xp.ndarray:
    """The array of the IDX file at ``path`` (gzip or raw), streamed: never more is inflated than
    the header announces, and never more is announced than the file can hold (``max_idx_bytes``)."""
    with open_idx(path) as stream:
        return read_idx(stream, str(path), expected_magic, expected_shape, max_idx_bytes(path),
                        exact=not is_gzip(path))


def encode_idx(array: xp.ndarray) -> bytes:
    """The IDX bytes of ``array`` (uint8, int8, int16, int32, float32 or float64)."""
    array = xp.asarray(array)
    codes = {dtype.newbyteorder("=").str: code for code, dtype in _DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("=").str)
    if code is None:
        raise TypeError(f"IDX cannot store dtype {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(_DTYPES[code], copy=False).tobytes()


def write_idx(array: xp.ndarray, path: str | Path, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file; gzip-compressed when ``compress`` (default: path ends in .gz)."""
    path = Path(path)
    data = encode_idx(array)
    if compress if compress is not None else path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path
