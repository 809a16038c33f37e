"""The IDX file format of MNIST and Fashion-MNIST, gzip-compressed or raw.

An IDX file is a big-endian header ``0x00 0x00 <dtype code> <ndim>``, then ``ndim`` 32-bit sizes,
then the values in C order. The 4-byte header read as one integer is the *magic number*:
2051 (``0x00000803``) for 3-D uint8 images, 2049 (``0x00000801``) for 1-D uint8 labels.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from scratchnet.backend import xp

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

_DTYPES = {0x08: xp.dtype(xp.uint8), 0x09: xp.dtype(xp.int8), 0x0B: xp.dtype(">i2"),
           0x0C: xp.dtype(">i4"), 0x0D: xp.dtype(">f4"), 0x0E: xp.dtype(">f8")}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXError(ValueError):
    """A data file that is not a valid IDX file (wrong magic, truncated, an HTML page ...)."""


def _looks_like_html(data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")) or b"<html" in head


def decompress(data: bytes, name: str) -> bytes:
    """The IDX bytes of a file's contents: gunzipped when they start with the gzip magic, else as is.

    Raises ``IDXError`` naming ``name`` for a corrupt or truncated gzip stream and for an HTML page
    (a proxy or error page saved under the data file's name).
    """
    if _looks_like_html(data):
        raise IDXError(f"{name} is an HTML page, not an IDX data file (a download error page saved "
                       "under the data file's name?); delete it and download again")
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise IDXError(f"{name} is a corrupt or truncated gzip file ({error}); delete it and download "
                       "again") from error


def read_bytes(path: str | Path) -> bytes:
    """The decompressed IDX bytes of the file at ``path`` (gzip or raw)."""
    path = Path(path)
    return decompress(path.read_bytes(), str(path))


def parse_idx(data: bytes, name: str = "<bytes>", expected_magic: int | None = None) -> xp.ndarray:
    """The array stored in the IDX bytes ``data``, in native byte order.

    Checks the magic number (against ``expected_magic`` when given: 2051 images, 2049 labels), and
    that the payload length equals the product of the header sizes times the item size.
    """
    if _looks_like_html(data):
        raise IDXError(f"{name} is an HTML page, not an IDX data file")
    if len(data) < 4:
        raise IDXError(f"{name} is truncated: {len(data)} bytes, shorter than the 4-byte IDX header")
    magic = int.from_bytes(data[:4], "big")
    code, ndim = data[2], data[3]
    if data[:2] != b"\x00\x00" or code not in _DTYPES or ndim == 0:
        raise IDXError(f"{name} is not an IDX file: bad magic number {magic} (0x{magic:08x}); expected "
                       f"{expected_magic or f'{IMAGES_MAGIC} (images) or {LABELS_MAGIC} (labels)'}")
    if expected_magic is not None and magic != expected_magic:
        raise IDXError(f"{name}: magic number {magic}, expected {expected_magic} "
                       f"({'images' if expected_magic == IMAGES_MAGIC else 'labels'}); wrong file?")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IDXError(f"{name} is truncated inside its header ({len(data)} of {header_size} bytes)")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = _DTYPES[code]
    expected = header_size + int(xp.prod(shape, dtype=xp.int64)) * dtype.itemsize
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "too long"
        raise IDXError(f"{name} is {state}: the header announces shape {shape}, i.e. {expected:,} bytes, "
                       f"found {len(data):,}")
    array = xp.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


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
