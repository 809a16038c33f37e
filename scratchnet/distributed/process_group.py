"""The default process group: every rank of ``mpirun``'s ``MPI.COMM_WORLD``.

``init_process_group`` starts MPI through mpi4py and installs an exception hook: an exception that
ends one rank prints its traceback and then calls ``MPI_Abort``, which makes ``mpirun`` stop every
rank at once (instead of the others waiting forever in their next collective).
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Any

_LAUNCH_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK")  # mpirun, mpiexec, srun --mpi
_INSTALL_HINT = ("scratchnet.distributed needs mpi4py and an MPI runtime: pip install 'scratchnet[mpi]' "
                 "and Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev)")


class DistributedError(RuntimeError, ValueError):
    """A misuse of the process group (not initialised, twice initialised, unknown backend) or
    a disagreement between ranks (e.g. models of different shapes). Both a ``RuntimeError`` (as
    PyTorch's missing MPI) and a ``ValueError`` (as its uninitialised group)."""


class _Group:
    """The communicator and this process's place in it."""

    def __init__(self, comm: Any) -> None:
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()


_world: _Group | None = None
_previous_hook = sys.excepthook


def mpi() -> Any:
    """The ``mpi4py.MPI`` module (importing it initialises MPI), or a clear error without it."""
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise DistributedError(_INSTALL_HINT) from error
    return MPI


def is_available() -> bool:
    """True: the distributed package is part of scratchnet (its MPI backend may still be absent)."""
    return True


def is_mpi_available() -> bool:
    """Whether mpi4py (the MPI backend) can be imported."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def launched_by_mpirun() -> bool:
    """Whether this process was started by an MPI launcher (``mpirun``/``mpiexec``/``srun``)."""
    return any(name in os.environ for name in _LAUNCH_VARIABLES)


def init_process_group(backend: str | None = "mpi", init_method: str | None = None, timeout: Any = None,
                       world_size: int = -1, rank: int = -1, **_: Any) -> None:
    """Join the default process group: all ranks of ``MPI.COMM_WORLD`` (world size 1 outside
    ``mpirun``). Only the ``"mpi"`` backend exists; ``world_size``/``rank``, when given, must agree
    with what MPI reports. ``init_method`` and ``timeout`` are accepted for PyTorch compatibility
    (MPI's launcher does the rendezvous)."""
    global _world
    if backend not in (None, "mpi"):
        raise DistributedError(f"init_process_group: backend {backend!r} is not available in scratchnet; "
                               "use backend='mpi' (launch with mpirun)")
    if _world is not None:
        raise DistributedError("trying to initialize the default process group twice!")
    group = _Group(mpi().COMM_WORLD)
    for name, given, actual in (("world_size", world_size, group.size), ("rank", rank, group.rank)):
        if given not in (-1, None) and given != actual:
            raise DistributedError(f"init_process_group: {name}={given} but MPI started this process "
                                   f"with {name} {actual} (leave it out: mpirun decides)")
    _world = group
    sys.excepthook = _abort_on_exception


def _abort_on_exception(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    """Print the uncaught exception as usual, then end every rank (a lone rank's death would leave
    the others blocked in their next collective)."""
    _previous_hook(kind, error, tb)
    abort(1)


def abort(code: int = 1) -> None:
    """End every rank of the job with exit status ``code`` (``MPI_Abort``); a no-op for a world of one."""
    if _world is not None and _world.size > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        _world.comm.Abort(code)


def world() -> _Group:
    """The default group, or PyTorch's error when ``init_process_group`` was not called."""
    if _world is None:
        raise DistributedError("Default process group has not been initialized, please make sure to call "
                               "init_process_group.")
    return _world


def is_initialized() -> bool:
    """Whether ``init_process_group`` has been called (and not undone)."""
    return _world is not None


def get_rank() -> int:
    """This process's rank in the default group, 0 … world size − 1."""
    return world().rank


def get_world_size() -> int:
    """The number of processes in the default group."""
    return world().size


def barrier() -> None:
    """Wait until every rank has reached this call."""
    world().comm.Barrier()


def destroy_process_group() -> None:
    """Leave the default group (MPI itself stays up until the interpreter exits, as mpi4py does)."""
    global _world
    world()
    _world = None
    sys.excepthook = _previous_hook
