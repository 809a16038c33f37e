"""Keras 3's ``keras.distribution`` names over MPI ranks: ``DataParallel`` and ``set_distribution``.

Under ``mpirun -n W``::

    keras.distribution.set_distribution(keras.distribution.DataParallel())
    model.fit(x, y, batch_size=64)      # each global batch of 64 is split across the W ranks

``fit`` and ``evaluate`` then give every rank a contiguous share of each global batch (sizes
differing by at most one), and after each backward pass the gradients become the gradient of the
whole global batch's mean loss, g = Σ_r (n_r/N)·g_r (one ``Allreduce`` per fused bucket). The
logged loss and metrics are the same sample-weighted means of the global batch on every rank, so
``History`` is the same everywhere; only rank 0 prints progress and runs the callbacks that write
files (``CSVLogger``, ``ModelCheckpoint``). Batch normalisation uses each rank's share for its
batch statistics, and after each step the moving statistics become their mean over the ranks (in
the same ``Allreduce`` as the logs: two collectives per step in all). All ranks must call ``fit``
with the same data; rank 0's weights and random generator state are copied to the others when
``fit`` starts.
"""

from __future__ import annotations

from typing import Any

from scratchnet.autograd.config import no_grad
from scratchnet.backend import get_rng_state, set_rng_state, xp
from scratchnet.distributed import collectives
from scratchnet.distributed.process_group import init_process_group, is_initialized, launched_by_mpirun, world
from scratchnet.nn.parallel.distributed import GradientBuckets, broadcast_state, check_same_model

_BUCKET_BYTES = 25 * 2**20
_current: DataParallel | None = None


def list_devices(device_type: str | None = None) -> list[str]:
    """One ``"cpu:r"`` per rank of the job (a world of one outside ``mpirun``)."""
    size = world().size if is_initialized() else 1
    return [f"cpu:{rank}" for rank in range(size)]


class DataParallel:
    """Data parallelism across the ranks of ``mpirun`` (joins the default process group, starting
    it if needed). ``devices``, when given, must list one device per rank; ``device_mesh`` and
    ``auto_shard_dataset`` are accepted for compatibility (the batches are split in ``fit``)."""

    def __init__(self, device_mesh: Any = None, devices: list[str] | None = None,
                 auto_shard_dataset: bool = True) -> None:
        if not is_initialized():
            init_process_group("mpi")
        self.rank, self.size = world().rank, world().size
        if devices is not None and len(devices) != self.size:
            raise ValueError(f"DataParallel: got {len(devices)} devices but the job has {self.size} ranks "
                             "(one device per rank: start as many processes with mpirun -n)")
        self.gradients: GradientBuckets | None = None  # of the model being fitted

    def fit_callbacks(self, model: Any, callbacks: list[Any] | None) -> list[Any]:
        """Start a ``fit``: check that every rank has the same model, copy rank 0's weights and
        random state to all ranks; returns the callbacks this rank runs (all but the file
        writers off rank 0)."""
        check_same_model(model, "DataParallel")
        broadcast_state(model)
        set_rng_state(collectives.broadcast_json(get_rng_state()))
        self.gradients = GradientBuckets(model.trainable_variables, _BUCKET_BYTES)
        return [c for c in callbacks or [] if self.rank == 0 or not getattr(c, "writes_files", False)]

    def shard(self, batch: Any) -> Any:
        """This rank's contiguous share of a batch of n samples: samples r·n//W to (r+1)·n//W − 1
        for rank r of W (shares differ by at most one sample)."""
        n = len(batch)
        start, end = self.rank * n // self.size, (self.rank + 1) * n // self.size
        return batch[start:end]

    def shard_or_none(self, batch: Any) -> Any:
        """``shard(batch)``, or None for no batch (no sample weights)."""
        return None if batch is None else self.shard(batch)

    def train_step(self, model: Any, loss_of: Any, x: Any, y: Any,
                   weights: Any = None) -> tuple[list[float], int]:
        """One optimisation step of the model being fitted on the global batch ``(x, y)`` (with
        per-sample loss ``weights``, or None); returns the loss and metrics of the whole batch
        (sample-weighted, the same on every rank) and its size."""
        x_local, y_local, w_local = self.shard(x), self.shard(y), self.shard_or_none(weights)
        model.optimizer.zero_grad()
        values = [0.0] * len(model.metrics_names)
        if len(x_local):
            outputs = model._training_call(x_local)
            loss = loss_of(outputs, y_local, w_local)
            loss.backward()
            values = model._batch_logs(float(loss.item()), outputs, y_local)
        self.gradients.sum_weighted(len(x_local) / len(x))
        model.optimizer.step()
        return self._global_means(values, len(x_local), model), len(x)

    def test_step(self, model: Any, loss_of: Any, x: Any, y: Any,
                  weights: Any = None) -> tuple[list[float], int]:
        """The loss and metrics of the global batch ``(x, y)`` (per-sample loss ``weights`` or None)
        in inference mode, and its size."""
        x_local, y_local, w_local = self.shard(x), self.shard(y), self.shard_or_none(weights)
        values = [0.0] * len(model.metrics_names)
        if len(x_local):
            with no_grad():
                outputs = model(x_local, training=False)
                loss = float(loss_of(outputs, y_local, w_local).item())
                values = model._batch_logs(loss, outputs, y_local)
        return self._global_means(values, len(x_local)), len(x)

    def _global_means(self, values: list[float], count: int, model: Any = None) -> list[float]:
        """Σ_r n_r·v_r / Σ_r n_r for each value; with ``model``, its floating-point buffers (the
        moving statistics) also become their mean over the ranks. One ``Allreduce`` in float64."""
        buffers = [] if model is None else [b.array for b in model.buffers() if b.array.dtype.kind == "f"]
        packed = xp.concatenate([xp.array([*(v * count for v in values), count], dtype=xp.float64),
                                 *(b.reshape(-1) / self.size for b in buffers)]).astype(xp.float64)
        collectives.all_reduce_arrays([packed])
        offset = len(values) + 1
        for buffer in buffers:
            buffer[...] = packed[offset:offset + buffer.size].reshape(buffer.shape)
            offset += buffer.size
        return (packed[:len(values)] / packed[len(values)]).tolist()


def set_distribution(value: DataParallel | None) -> None:
    """Make ``value`` the distribution ``fit`` and ``evaluate`` use (``None``: none)."""
    global _current
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(f"set_distribution expects a keras.distribution.DataParallel or None, "
                        f"got {type(value).__name__}")
    _current = value


def distribution() -> DataParallel | None:
    """The distribution set by ``set_distribution`` (``None`` when none)."""
    return _current


def active() -> DataParallel | None:
    """The distribution ``fit`` should use: the one set, when its job has more than one rank."""
    return _current if _current is not None and _current.size > 1 else None


def from_launcher() -> int:
    """Under ``mpirun`` (or ``srun``) with several ranks, set a ``DataParallel`` distribution;
    returns this process's rank (0 when not launched so). Used by ``scratchnet train``."""
    if not launched_by_mpirun():
        return 0
    strategy = DataParallel()
    if strategy.size > 1:
        set_distribution(strategy)
    return strategy.rank
