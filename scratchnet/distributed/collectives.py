"""Collectives on tensors (in place, MPI buffer calls) and on small JSON values between ranks.

``all_reduce``, ``broadcast`` and ``all_gather`` work on the tensors' NumPy arrays with
``Allreduce(MPI.IN_PLACE, …)``, ``Bcast`` and ``Allgather``; nothing is pickled. Small Python values
(shapes, names, generator states) travel as JSON text in byte buffers.
"""

from __future__ import annotations

import enum
import json
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.distributed.process_group import DistributedError, mpi, world


class ReduceOp(enum.Enum):
    """How ``all_reduce`` combines the ranks' values: element-wise sum, product, min, max, or the
    mean (sum / world size)."""

    SUM = "SUM"
    PRODUCT = "PROD"
    MIN = "MIN"
    MAX = "MAX"
    AVG = "AVG"


def _array_of(tensor: Any, caller: str) -> xp.ndarray:
    if not isinstance(tensor, (Tensor, xp.ndarray)):
        raise TypeError(f"{caller} expects a scratchnet Tensor, got {type(tensor).__name__}")
    return tensor.array if isinstance(tensor, Tensor) else tensor


def all_reduce_arrays(arrays: list[xp.ndarray], op: ReduceOp = ReduceOp.SUM) -> None:
    """Reduce each array across ranks in place (one ``Allreduce`` per array; a non-contiguous
    array is reduced through a contiguous copy that is written back)."""
    group = world()
    MPI = mpi()
    mpi_op = MPI.SUM if op is ReduceOp.AVG else getattr(MPI, op.value)
    for array in arrays:
        if not array.flags.writeable:
            raise ValueError("all_reduce: the tensor's array is read-only")
        buffer = array if array.flags.c_contiguous else xp.ascontiguousarray(array)
        if group.size > 1:
            group.comm.Allreduce(MPI.IN_PLACE, buffer, op=mpi_op)
        if op is ReduceOp.AVG:
            buffer /= group.size
        if buffer is not array:
            array[...] = buffer


def all_reduce(tensor: Any, op: ReduceOp = ReduceOp.SUM, group: Any = None, async_op: bool = False) -> None:
    """Replace ``tensor`` on every rank by the reduction (``op``) of its values on all ranks, in place.
    ``group`` and ``async_op`` are accepted for PyTorch compatibility (one group; the call completes
    before returning)."""
    all_reduce_arrays([_array_of(tensor, "all_reduce")], op)


def broadcast(tensor: Any, src: int = 0, group: Any = None, async_op: bool = False) -> None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank, in place."""
    array = _array_of(tensor, "broadcast")
    comm = _checked_source(src, "broadcast").comm
    buffer = array if array.flags.c_contiguous else xp.ascontiguousarray(array)
    comm.Bcast(buffer, root=src)
    if buffer is not array:
        array[...] = buffer


def _checked_source(src: int, caller: str) -> Any:
    group = world()
    if not 0 <= src < group.size:
        raise ValueError(f"{caller}: src={src} is not a rank of this group of {group.size}")
    return group


def all_gather(tensor_list: list[Any], tensor: Any, group: Any = None, async_op: bool = False) -> None:
    """Fill ``tensor_list[r]`` with rank r's ``tensor`` (every rank passes tensors of the same shape
    and dtype; ``tensor_list`` holds world-size tensors of that shape)."""
    array = _array_of(tensor, "all_gather")
    size = world().size
    if len(tensor_list) != size:
        raise ValueError(f"all_gather: tensor_list must hold {size} tensors (the world size), "
                         f"got {len(tensor_list)}")
    targets = [_array_of(t, "all_gather") for t in tensor_list]
    for target in targets:
        if target.shape != array.shape or target.dtype != array.dtype:
            raise ValueError(f"all_gather: every tensor in tensor_list must have the input's shape "
                             f"{array.shape} and dtype {array.dtype}, got {target.shape} {target.dtype}")
    gathered = xp.empty((size, *array.shape), dtype=array.dtype)
    world().comm.Allgather(xp.ascontiguousarray(array), gathered)
    for target, row in zip(targets, gathered):
        target[...] = row


def broadcast_json(value: Any, src: int = 0) -> Any:
    """Rank ``src``'s JSON-serialisable ``value`` on every rank (sent as UTF-8 text)."""
    comm = _checked_source(src, "broadcast_json").comm
    text = json.dumps(value).encode() if comm.Get_rank() == src else b""
    length = xp.array([len(text)], dtype=xp.int64)
    comm.Bcast(length, root=src)
    buffer = xp.frombuffer(text, dtype=xp.uint8).copy() if text else xp.empty(int(length[0]), xp.uint8)
    comm.Bcast(buffer, root=src)
    return json.loads(buffer.tobytes().decode())


def all_gather_json(value: Any) -> list[Any]:
    """Every rank's JSON-serialisable ``value``, in rank order, on every rank."""
    comm = world().comm
    text = xp.frombuffer(json.dumps(value).encode(), dtype=xp.uint8)
    lengths = xp.empty(comm.Get_size(), dtype=xp.int64)
    comm.Allgather(xp.array([text.size], dtype=xp.int64), lengths)
    gathered = xp.empty(int(lengths.sum()), dtype=xp.uint8)
    comm.Allgatherv(text, [gathered, lengths.tolist()])
    ends = xp.cumsum(lengths)
    return [json.loads(gathered[end - n:end].tobytes().decode()) for n, end in zip(lengths, ends)]


def check_same(what: str, value: Any) -> None:
    """Raise ``DistributedError`` on every rank when ranks disagree on ``value`` (JSON-serialisable),
    naming the first rank that differs from rank 0."""
    values = all_gather_json(value)
    for rank, other in enumerate(values):
        if other != values[0]:
            raise DistributedError(f"{what} differs between ranks: rank 0 has {values[0]}, "
                                   f"rank {rank} has {other}")
