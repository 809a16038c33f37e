"""``DistributedDataParallel``: one model per rank, gradients averaged across ranks after backward.

Each rank runs the model on its own shard of the global batch. At construction rank 0's parameters
and buffers are copied to every rank (after checking that all ranks hold models of the same
shapes). After every backward pass that reached the model, the gradients are averaged,
g ← (1/W) Σ_r g_r over the W ranks, in fused buckets: the parameters in reverse order (the order
backward produces them) are packed into flat buffers of at most ``bucket_cap_mb`` megabytes, one
``Allreduce`` per bucket. With equal shards of a mean loss this is the gradient of the whole
global batch.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from typing import Any

from scratchnet.autograd import engine
from scratchnet.autograd.config import is_grad_enabled
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.distributed import collectives
from scratchnet.distributed.process_group import DistributedError, mpi, world
from scratchnet.nn.hooks import RemovableHandle
from scratchnet.nn.module import Module
from scratchnet.nn.parameter import Parameter


class ModelMismatchError(DistributedError):
    """The ranks' models differ in their parameters or buffers (names, shapes or dtypes)."""


class _Bucket:
    """Parameters whose gradients are summed together through one flat buffer (one dtype)."""

    def __init__(self, params: list[Parameter]) -> None:
        self.params = params
        self.dtype = params[0].array.dtype
        self.offsets = [0, *xp.cumsum([p.array.size for p in params]).tolist()]

    def sum_weighted(self, comm: Any, MPI: Any, weight: float) -> None:
        """Pack weight·gradient of each parameter (zeros where it has none), sum the buffer across
        ranks (one ``Allreduce``) and hand each parameter a view of the result as its gradient."""
        flat = xp.empty(self.offsets[-1], dtype=self.dtype)
        scale = self.dtype.type(weight)
        for p, start, end in zip(self.params, self.offsets, self.offsets[1:]):
            if p.grad is None:
                flat[start:end] = 0
            else:
                xp.multiply(p.grad.array.reshape(-1), scale, out=flat[start:end])
        comm.Allreduce(MPI.IN_PLACE, flat, op=MPI.SUM)
        for p, start, end in zip(self.params, self.offsets, self.offsets[1:]):
            p.grad = Tensor.wrap(flat[start:end].reshape(p.array.shape))


class GradientBuckets:
    """The gradients of ``params`` in fused buckets: the parameters in reverse order (the order
    backward produces their gradients) packed into flat buffers of at most ``cap_bytes`` each, a
    new bucket at every change of dtype."""

    def __init__(self, params: list[Parameter], cap_bytes: float) -> None:
        groups: list[list[Parameter]] = []
        used = 0.0
        for p in params[::-1]:
            same_dtype = groups and groups[-1][0].array.dtype == p.array.dtype
            if not (same_dtype and used + p.array.nbytes <= cap_bytes):
                groups.append([])
                used = 0.0
            groups[-1].append(p)
            used += p.array.nbytes
        self.buckets = [_Bucket(group) for group in groups]

    def sum_weighted(self, weight: float) -> None:
        """Every gradient g becomes Σ_r weight_r · g_r over the ranks (``weight`` is this rank's:
        1/W averages, n_r/N weighs a shard of n_r of the N samples)."""
        group = world()
        if group.size > 1:
            MPI = mpi()
            for bucket in self.buckets:
                bucket.sum_weighted(group.comm, MPI, weight)


def _signature(module: Module) -> list[list[Any]]:
    """``[kind, name, shape, dtype]`` of every parameter and buffer, in registration order."""
    entries = [("parameter", name, t) for name, t in module.named_parameters()]
    entries += [("buffer", name, t) for name, t in module.named_buffers()]
    return [[kind, name, list(t.shape), str(t.dtype)] for kind, name, t in entries]


def check_same_model(module: Module, owner: str) -> None:
    """Raise ``ModelMismatchError`` on every rank unless all ranks' models have the same parameter
    and buffer names, shapes and dtypes (naming the first difference from rank 0)."""
    signatures = collectives.all_gather_json(_signature(module))
    reference = signatures[0]
    for rank, signature in enumerate(signatures[1:], start=1):
        if len(signature) != len(reference):
            raise ModelMismatchError(f"{owner} expects the same model on every rank, but rank 0 has "
                                     f"{len(reference)} parameters and buffers and rank {rank} has "
                                     f"{len(signature)}")
        for ours, theirs in zip(reference, signature):
            if ours != theirs:
                raise ModelMismatchError(
                    f"{owner} expects the same model on every rank: {ours[0]} {ours[1]!r} has shape "
                    f"{tuple(ours[2])} ({ours[3]}) on rank 0 but {theirs[0]} {theirs[1]!r} has shape "
                    f"{tuple(theirs[2])} ({theirs[3]}) on rank {rank}")


def broadcast_state(module: Module, src: int = 0) -> None:
    """Copy rank ``src``'s parameters and buffers into every rank's ``module``, in place."""
    for tensor in [*module.parameters(), *module.buffers()]:
        collectives.broadcast(tensor, src)


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the default process group, as
    ``torch.nn.parallel.DistributedDataParallel``.

    Forward runs ``module`` on this rank's inputs; the backward pass that follows averages every
    parameter gradient across ranks (in ``bucket_cap_mb``-MB buckets, parameters in reverse order,
    one ``Allreduce`` each). ``no_sync()`` skips the averaging for gradient accumulation; the next
    backward outside it averages the accumulated gradients. With ``broadcast_buffers`` rank 0's
    buffers (e.g. batch-norm running statistics) are copied to all ranks at each training forward.
    The wrapped model is ``self.module``, so state-dict keys carry PyTorch's ``module.`` prefix.
    ``device_ids``, ``output_device``, ``dim``, ``process_group``, ``find_unused_parameters``,
    ``gradient_as_bucket_view`` and ``static_graph`` are accepted for compatibility (CPU, one group;
    parameters without a gradient get the average of the others' or zeros).
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group: Any = None, bucket_cap_mb: float = 25.0,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel expects an nn.Module, got {type(module).__name__}")
        if not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self.group = world()
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        check_same_model(module, "DistributedDataParallel")
        broadcast_state(module)
        trained = [p for p in module.parameters() if p.requires_grad]
        self.buckets = GradientBuckets(trained, bucket_cap_mb * 2**20)
        self._param_ids = {id(p) for p in trained}
        self._pending = False
        self._hook = _register_backward_end(self)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self.training and self.broadcast_buffers and self.group.size > 1:
            for buffer in self.module.buffers():
                collectives.broadcast(buffer, 0)
        outputs = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self._pending = True
        return outputs

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Within this context forward passes are not followed by gradient averaging (gradients
        accumulate locally); the first backward after a forward outside it averages them all."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def _after_backward(self, delivered: set[int]) -> None:
        if self._pending and not self._param_ids.isdisjoint(delivered):
            self._pending = False
            self.reduce_gradients()

    def reduce_gradients(self) -> None:
        """Average every parameter's gradient across ranks now (what backward does automatically)."""
        self.buckets.sum_weighted(1 / self.group.size)

    def extra_repr(self) -> str:
        return f"world_size={self.group.size}, buckets={len(self.buckets.buckets)}"


def _register_backward_end(ddp: DistributedDataParallel) -> RemovableHandle:
    """Run ``ddp._after_backward`` after each backward pass for as long as ``ddp`` lives."""
    handle = RemovableHandle(engine.backward_end_hooks)
    reference = weakref.ref(ddp)

    def hook(delivered: set[int]) -> None:
        owner = reference()
        if owner is None:
            handle.remove()
        else:
            owner._after_backward(delivered)

    engine.backward_end_hooks[handle.id] = hook
    return handle
