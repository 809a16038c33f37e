"""Data-parallel training over MPI (mpi4py + Open MPI), with ``torch.distributed``'s names.

Launch one process per rank with ``mpirun -n 4 python train.py``; in the script::

    import scratchnet.distributed as dist
    dist.init_process_group(backend="mpi")
    model = nn.parallel.DistributedDataParallel(model)
    sampler = data.DistributedSampler(dataset)          # this rank's share of every epoch

Outside ``mpirun`` the process is a world of one (as PyTorch's MPI backend). Without ``mpi4py``
``init_process_group`` raises an error naming the extra to install (``pip install 'scratchnet[mpi]'``).
Collectives work in place on the tensors' arrays (MPI buffer calls, no pickling).
"""

from scratchnet.distributed.collectives import (
    ReduceOp,
    all_gather,
    all_gather_json,
    all_reduce,
    all_reduce_arrays,
    broadcast,
    broadcast_json,
)
from scratchnet.distributed.process_group import (
    DistributedError,
    abort,
    barrier,
    destroy_process_group,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    launched_by_mpirun,
)

__all__ = ["DistributedError", "ReduceOp", "abort", "all_gather", "all_gather_json", "all_reduce",
           "all_reduce_arrays", "barrier", "broadcast", "broadcast_json", "destroy_process_group", "get_rank",
           "get_world_size", "init_process_group", "is_available", "is_initialized", "is_mpi_available",
           "launched_by_mpirun"]
