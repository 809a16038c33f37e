"""Data parallelism across processes: ``DistributedDataParallel`` (over MPI, see
``scratchnet.distributed``)."""

from scratchnet.nn.parallel.distributed import DistributedDataParallel, ModelMismatchError

__all__ = ["DistributedDataParallel", "ModelMismatchError"]
