"""The safetensors container: writing it, and validating then reading it without trusting it.

Layout (https://huggingface.co/docs/safetensors): 8 bytes little-endian ``N``, then ``N`` bytes
of JSON header ``{"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [...],
"data_offsets": [begin, end]}, ...}``, then the data region whose byte ranges the offsets give
(relative to its start; contiguous, no holes, little-endian, C order). Any safetensors reader
(``safetensors.numpy.load_file``, ``safetensors.torch.load_file``) opens what ``write_container``
writes.

Reading parses the header with our own code and checks every length, offset, dtype and shape
against the file size before allocating anything, so a corrupted or hostile header can neither
execute code nor make us allocate more than the file holds.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any, BinaryIO

from scratchnet.backend import xp
from scratchnet.serialization.errors import file_error

MAX_HEADER_BYTES = 100_000_000
"""The largest header accepted (the limit of the safetensors library itself)."""

MAX_DIMENSIONS = 64
"""The most dimensions a NumPy array may have."""

HEADER_ALIGNMENT = 8
"""The header is padded with spaces so that the data region starts 8-byte aligned."""

DTYPE_CODES: dict[str, str] = {
    "bool": "BOOL", "uint8": "U8", "int8": "I8", "uint16": "U16", "int16": "I16",
    "uint32": "U32", "int32": "I32", "uint64": "U64", "int64": "I64",
    "float16": "F16", "float32": "F32", "float64": "F64",
}
"""NumPy dtype name -> safetensors dtype code, for every dtype a file may hold."""

CODE_DTYPES: dict[str, xp.dtype] = {
    code: xp.dtype(name).newbyteorder("<") for name, code in DTYPE_CODES.items()}
"""safetensors dtype code -> the little-endian NumPy dtype its bytes are read as."""


def dtype_code(array: xp.ndarray) -> str:
    """The safetensors code of ``array``'s dtype; ``TypeError`` for dtypes a file cannot hold
    (object arrays above all: storing them would need pickle)."""
    code = DTYPE_CODES.get(array.dtype.name)
    if code is None:
        raise TypeError(f"cannot save an array of dtype {array.dtype}: supported dtypes are "
                        f"{', '.join(DTYPE_CODES)}")
    return code


def _as_bytes(array: xp.ndarray) -> xp.ndarray:
    """``array``'s data as a flat little-endian C-order uint8 view (a copy only when needed)."""
    little = xp.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    return little.reshape(-1).view(xp.uint8)


def layout(arrays: Mapping[str, xp.ndarray]) -> dict[str, dict[str, Any]]:
    """The header entries of ``arrays``: widest items first so that every array starts aligned to
    its item size (as the safetensors library does), in insertion order otherwise."""
    entries: dict[str, dict[str, Any]] = {}
    offset = 0
    for name in sorted(arrays, key=lambda key: -arrays[key].dtype.itemsize):
        array = arrays[name]
        end = offset + array.nbytes
        entries[name] = {"dtype": dtype_code(array), "shape": list(array.shape),
                         "data_offsets": [offset, end]}
        offset = end
    return entries


def encode_header(metadata: Mapping[str, str], entries: Mapping[str, Any]) -> bytes:
    """The 8-byte length and the space-padded JSON header."""
    header = json.dumps({"__metadata__": dict(metadata), **entries}, separators=(",", ":"),
                        ensure_ascii=True, allow_nan=False).encode("ascii")
    header += b" " * (-len(header) % HEADER_ALIGNMENT)
    return len(header).to_bytes(8, "little") + header


def data_blobs(arrays: Mapping[str, xp.ndarray], entries: Mapping[str, Any]) -> list[xp.ndarray]:
    """The data region as byte views of the arrays, in the file order of ``entries``."""
    return [_as_bytes(arrays[name]) for name in entries]


def write_container(file: BinaryIO, metadata: Mapping[str, str], entries: Mapping[str, Any],
                    blobs: list[xp.ndarray]) -> None:
    """Write a safetensors file: header (``entries`` from ``layout``), then ``data_blobs``."""
    file.write(encode_header(metadata, entries))
    for blob in blobs:
        file.write(blob)


# ---- reading ---------------------------------------------------------------------------
def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json`` object hook: a repeated key is corruption, not something to resolve silently."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key in JSON object")
    return result


def _reject_constant(name: str) -> Any:
    """``json`` hook: NaN and Infinity are not JSON."""
    raise ValueError(f"invalid JSON constant {name}")


def parse_json(text: str | bytes) -> Any:
    """Strict JSON: no NaN/Infinity, no duplicate keys (raises ``ValueError``)."""
    return json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)


def _is_count(value: Any) -> bool:
    """A non-negative JSON integer (not a bool)."""
    return type(value) is int and value >= 0


def _check_entry(path: str, name: str, entry: Any) -> tuple[xp.dtype, tuple[int, ...], int, int]:
    """Validate one tensor entry: known dtype, shape of counts, offsets whose span is exactly
    ``prod(shape) * itemsize`` (Python integers, so no overflow)."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise file_error(path, f"corrupted header (entry {name!r} is not a tensor description)")
    dtype = CODE_DTYPES.get(entry["dtype"]) if isinstance(entry["dtype"], str) else None
    if dtype is None:
        raise file_error(path, f"unsupported dtype {entry['dtype']!r} for tensor {name!r} "
                               f"(supported: {', '.join(CODE_DTYPES)})")
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not isinstance(shape, list) or not all(_is_count(n) for n in shape):
        raise file_error(path, f"corrupted header (tensor {name!r} has shape {shape!r})")
    if len(shape) > MAX_DIMENSIONS or math.prod(max(n, 1) for n in shape) * dtype.itemsize >= 2 ** 63:
        raise file_error(path, f"corrupted header (tensor {name!r} has shape {str(shape)[:80]}: more than "
                               f"{MAX_DIMENSIONS} dimensions or more than 2**63 bytes, beyond any array)")
    if (not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_count(n) for n in offsets)
            or offsets[0] > offsets[1]):
        raise file_error(path, f"corrupted header (tensor {name!r} has data_offsets {offsets!r})")
    begin, end = offsets
    if end - begin != math.prod(shape) * dtype.itemsize:
        raise file_error(path, f"corrupted header (tensor {name!r}: shape {shape} of {entry['dtype']} needs "
                               f"{math.prod(shape) * dtype.itemsize:,} bytes, offsets give {end - begin:,})")
    return dtype, tuple(shape), begin, end


class Container:
    """A validated safetensors header: metadata, tensor entries in file order, byte positions."""

    def __init__(self, path: str, metadata: dict[str, str], header: dict[str, Any], data_start: int) -> None:
        self.path = path
        self.metadata = metadata
        self.header = header
        self.data_start = data_start
        checked = [(name, _check_entry(path, name, entry)) for name, entry in header.items()]
        self.entries = dict(sorted(checked, key=lambda item: item[1][2:]))
        self.data_size = self._check_contiguous()

    def _check_contiguous(self) -> int:
        """The data region's size; offsets must tile it exactly (as the safetensors library demands)."""
        position = 0
        for name, (_, _, begin, end) in self.entries.items():
            if begin != position:
                raise file_error(self.path, f"corrupted header (tensor {name!r} starts at byte {begin:,} "
                                            f"of the data, expected {position:,})")
            position = end
        return position

    def header_in_file_order(self) -> dict[str, dict[str, Any]]:
        """The raw header entries of the tensors, in file order."""
        return {name: self.header[name] for name in self.entries}

    def read_arrays(self, file: BinaryIO, digest: Any = None) -> dict[str, xp.ndarray]:
        """Read every tensor into a fresh native-byte-order array, in file order, feeding the
        raw bytes to ``digest.update`` when a hash object is given."""
        arrays = {}
        file.seek(self.data_start)
        for name, (dtype, shape, begin, end) in self.entries.items():
            array = xp.empty(shape, dtype=dtype)
            raw = array.reshape(-1).view(xp.uint8)
            if file.readinto(raw) != end - begin:
                raise file_error(self.path, f"truncated (tensor {name!r} is cut off)")
            if digest is not None:
                digest.update(raw)
            arrays[name] = array.astype(dtype.newbyteorder("="), copy=False)
        return arrays


def read_header(path: str, file: BinaryIO) -> Container:
    """Validate the header of the open safetensors ``file`` against its size; no data is read."""
    size = os.fstat(file.fileno()).st_size
    if size == 0:
        raise file_error(path, "empty file (0 bytes), not a scratchnet file")
    if size < 8:
        raise file_error(path, f"not a scratchnet file (bad header: only {size} bytes)")
    length = int.from_bytes(file.read(8), "little")
    first = file.read(1)
    if first != b"{" or not 2 <= length <= MAX_HEADER_BYTES:
        raise file_error(path, "not a scratchnet file (bad header: no safetensors JSON header)")
    if 8 + length > size:
        raise file_error(path, f"truncated (header needs {8 + length:,} bytes, found {size:,})")
    try:
        header = parse_json((first + file.read(length - 1)).decode("utf-8"))
    except (ValueError, RecursionError) as error:
        raise file_error(path, f"not a scratchnet file (bad header: invalid JSON: {error})") from None
    if not isinstance(header, dict):
        raise file_error(path, "not a scratchnet file (bad header: not a JSON object)")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise file_error(path, "corrupted header (__metadata__ must map strings to strings)")
    container = Container(path, metadata, header, 8 + length)
    expected = container.data_start + container.data_size
    if size < expected:
        raise file_error(path, f"truncated (expected {expected:,} bytes, found {size:,})")
    if size > expected:
        raise file_error(path, f"corrupted ({size - expected:,} unexpected bytes after the data: "
                               f"expected {expected:,} bytes, found {size:,})")
    return container
