"""``save`` and ``load``: any nesting of Modules, dicts, lists, tuples, arrays, Tensors, numbers,
strings and None, in one safetensors file.

The file is a standard safetensors file: every array is a tensor (named by its dotted path, so a
saved state dict's tensors are named exactly by its keys), and the ``__metadata__`` holds
``{"format": "scratchnet", "version": "1", "structure": <JSON>, "digest": "sha256:<hex>"}``,
the structure JSON described in ``scratchnet.serialization.structure``. The SHA-256 digest covers
the structure, every tensor's name, dtype, shape and offsets, and the data, so any corruption
is detected. Plain safetensors files (from ``safetensors.torch.save_file`` for instance) load as
a dict of NumPy arrays.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from typing import Any, BinaryIO

from scratchnet.devices import check_map_location
from scratchnet.nn.allocation import allocation_budget
from scratchnet.serialization.atomic import atomic_write
from scratchnet.serialization.errors import SerializationError, file_error
from scratchnet.serialization.format import (
    data_blobs,
    layout,
    parse_json,
    read_header,
    write_container,
)
from scratchnet.serialization.structure import MAX_MODULES, Decoder, Encoder

FORMAT = "scratchnet"
VERSION = "1"
_KEYS = {"format", "version", "structure", "digest"}

PathLike = str | os.PathLike[str]


def _new_digest(structure: str, entries: list[list[Any]]) -> Any:
    """A SHA-256 hash object fed with the structure and the tensor descriptions; the data follows."""
    digest = hashlib.sha256(f"{FORMAT}-{VERSION}\0".encode())
    digest.update(structure.encode("utf-8") + b"\0")
    digest.update(json.dumps(entries, separators=(",", ":")).encode("ascii") + b"\0")
    return digest


def _descriptions(entries: dict[str, dict[str, Any]]) -> list[list[Any]]:
    """``[name, dtype, shape, offsets]`` per tensor, in file order (what the digest covers)."""
    return [[name, entry["dtype"], entry["shape"], entry["data_offsets"]] for name, entry in entries.items()]


def save(obj: Any, path: PathLike) -> None:
    """Write ``obj`` to ``path`` atomically (a temporary file, fsync, then ``os.replace``).

    ``obj``: a Module (architecture and weights), or any nesting of dicts (str or int keys),
    lists, tuples, NumPy arrays and scalars, Tensors, numbers, strings, booleans and None, e.g. a
    training checkpoint ``{"model": model.state_dict(), "optimizer": opt.state_dict(),
    "epoch": 3, "rng": sn.get_rng_state()}``. Raises ``SerializationError`` for what cannot be
    saved (object arrays, functions, a Module class that is neither scratchnet's nor registered).

    >>> model = sn.nn.Sequential(sn.nn.Linear(4, 2), sn.nn.ReLU())
    >>> sn.save(model, "model.safetensors")
    >>> loaded = sn.load("model.safetensors")
    >>> loaded
    Sequential(
      (0): Linear(in_features=4, out_features=2, bias=True)
      (1): ReLU()
    )
    >>> bool((loaded[0].weight.numpy() == model[0].weight.numpy()).all())
    True
    """
    encoder = Encoder()
    try:
        structure = json.dumps(encoder.encode(obj), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise file_error(path, f"cannot save: {error}") from None
    entries = layout(encoder.arrays)
    blobs = data_blobs(encoder.arrays, entries)
    digest = _new_digest(structure, _descriptions(entries))
    for blob in blobs:
        digest.update(blob)
    metadata = {"format": FORMAT, "version": VERSION, "structure": structure,
                "digest": f"sha256:{digest.hexdigest()}"}
    atomic_write(path, lambda file: write_container(file, metadata, entries, blobs))


def load(path: PathLike, map_location: Any = None, *, weights_only: bool = True) -> Any:
    """Read what ``save`` wrote; nothing in the file is executed (no pickle, no eval).

    ``map_location`` (None, ``"cpu"``, a device, a dict of device names or a function) and
    ``weights_only`` are accepted as PyTorch's ``torch.load`` takes them: loading is always as safe
    as ``weights_only=True`` asks, and every tensor lands on the CPU; an accelerator as
    ``map_location`` raises, naming it.

    Arrays come back as NumPy arrays, tuples as tuples, int keys as ints, Tensors as
    ``sn.Tensor`` (Parameters too, with their ``requires_grad``), NumPy scalars as NumPy scalars
    and a Module as a Module rebuilt from allow-listed classes (in the same train/eval modes),
    without touching the global random generator. A plain safetensors file loads as a dict of
    arrays. A missing file raises ``FileNotFoundError``; an empty, truncated, corrupted, foreign or
    unsafe one raises ``SerializationError`` naming the file and the problem.
    """
    check_map_location(map_location)
    path = os.fspath(path)
    with _open_regular(path) as file:
        container = read_header(path, file)
        metadata = container.metadata
        if metadata.get("format") != FORMAT and not _KEYS & (set(metadata) - {"format"}):
            return container.read_arrays(file)
        if set(metadata) != _KEYS or metadata["format"] != FORMAT:
            raise file_error(path, f"not a scratchnet file (bad header metadata keys {sorted(metadata)})")
        if metadata["version"] != VERSION:
            raise file_error(path, f"unsupported scratchnet format version {metadata['version']!r} "
                                   f"(this scratchnet reads version {VERSION})")
        digest = _new_digest(metadata["structure"], _descriptions(container.header_in_file_order()))
        arrays = container.read_arrays(file, digest)
    if f"sha256:{digest.hexdigest()}" != metadata["digest"]:
        raise file_error(path, "corrupted (checksum mismatch: the contents differ from what was saved)")
    if metadata["structure"].count('"$module"') > MAX_MODULES:
        raise file_error(path, f"refusing to rebuild more than {MAX_MODULES:,} modules")
    decoder = Decoder(arrays)
    try:
        with allocation_budget(decoder.budget()):
            return decoder.decode(parse_json(metadata["structure"]))
    except SerializationError as error:
        raise file_error(path, str(error)) from None
    except (ValueError, TypeError, LookupError, ArithmeticError, RecursionError, MemoryError) as error:
        raise file_error(path, f"corrupted structure ({type(error).__name__}: {error})") from None


def _open_regular(path: str) -> BinaryIO:
    """``path`` opened for reading, refused at once unless it is a regular file: opening a FIFO
    would wait for a writer forever, and a device or folder is no model file."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise file_error(path, "not a regular file (a FIFO, device or folder cannot hold a saved object)")
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
