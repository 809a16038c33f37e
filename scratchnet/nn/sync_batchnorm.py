"""``SyncBatchNorm``: batch normalisation whose statistics are those of the global batch, summed
over every rank of the default process group."""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.distributed import collectives
from scratchnet.distributed.process_group import is_initialized, world
from scratchnet.functional.normalization import batch_norm_training
from scratchnet.nn.module import Module
from scratchnet.nn.normalization import _BatchNorm
from scratchnet.nn.validation import shape_error
from scratchnet.ops.convert import as_tensor


def _sum_across_ranks(vector: xp.ndarray) -> None:
    collectives.all_reduce_arrays([vector])


class SyncBatchNorm(_BatchNorm):
    """y = γ·(x − μ)/√(σ² + ε) + β per channel (axis 1) of ``(N, C, ...)`` input, as
    ``torch.nn.SyncBatchNorm``: in training under a process group of several ranks, μ and σ² are
    the statistics of the global batch (per-channel sums and counts summed across ranks: two
    ``Allreduce`` calls forward, one backward, each of 2C + 1 or 2C numbers); the running statistics
    then move identically on every rank. In evaluation, or in a world of one, it is ``BatchNorm``.
    ``process_group`` is accepted for compatibility (the default group is used)."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group: Any = None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats)

    def _check_input(self, x: Any) -> None:
        if x.ndim < 2 or x.shape[1] != self.num_features:
            raise shape_error(self, f"(N, {self.num_features}, ...)", x.shape)

    def _normalize(self, x: Any, mean: Any, var: Any, batch_stats: bool, momentum: float) -> Tensor:
        if not (batch_stats and is_initialized() and world().size > 1):
            return super()._normalize(x, mean, var, batch_stats, momentum)
        return batch_norm_training(as_tensor(x), mean, var, self.weight, self.bias, momentum, self.eps,
                                   _sum_across_ranks)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """``module`` with every ``BatchNorm1d``/``BatchNorm2d`` inside it replaced by a
        ``SyncBatchNorm`` holding the same parameters, buffers and mode (the module itself is
        returned converted when it is one)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, cls):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats)
            for name, tensor in [*module._parameters.items(), *module._buffers.items()]:
                setattr(converted, name, tensor)
            converted.train(module.training)
            return converted
        for name, child in list(module._modules.items()):
            if child is not None:
                module._modules[name] = cls.convert_sync_batchnorm(child, process_group)
        return module


