"""TensorBoard logging as ``torch.utils.tensorboard``: ``SummaryWriter`` writes real event files.

Events are written by the ``tensorboard`` package's own event-file writer (the optional extra
``tensorboard``: ``pip install 'scratchnet[tensorboard]'``), the one PyTorch uses; the summaries
are built in ``summary``. View the runs with ``tensorboard --logdir runs``.

>>> with SummaryWriter("runs/exp1") as writer:
...     for step, loss in enumerate([0.9, 0.5, 0.3]):
...         writer.add_scalar("loss/train", loss, global_step=step)
>>> import os; len(os.listdir("runs/exp1"))   # one event file
1
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime
from typing import Any

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.utils.tensorboard import summary
from scratchnet.utils.tensorboard.extra import protos

__all__ = ["SummaryWriter"]


def _array(value: Any) -> xp.ndarray:
    """A Tensor, array, number or list as a NumPy array."""
    return xp.asarray(value.array if isinstance(value, Tensor) else value)


def _scalar(value: Any) -> float:
    """A number, a one-element array or Tensor as a Python float."""
    array = _array(value)
    if array.size != 1:
        raise ValueError(f"a scalar needs one value, got an array of shape {array.shape}")
    return float(array.reshape(()))


def default_log_dir(comment: str = "") -> str:
    """``runs/<Mon><DD>_<HH>-<MM>-<SS>_<host><comment>``, PyTorch's folder when ``log_dir`` is not given."""
    return os.path.join("runs", f"{datetime.now().strftime('%b%d_%H-%M-%S')}_{socket.gethostname()}{comment}")


class SummaryWriter:
    """Write scalars, histograms, images and text to a TensorBoard event file in ``log_dir``
    (PyTorch's ``torch.utils.tensorboard.SummaryWriter``).

    ``log_dir=None`` is ``default_log_dir(comment)``. Events are queued (``max_queue`` of them, or
    ``flush_secs`` seconds) and written on ``flush()`` / ``close()`` / leaving a ``with`` block.
    ``purge_step`` marks a restart: TensorBoard hides events of earlier runs at or after that step.
    Values may be Python numbers, NumPy arrays or Tensors; ``walltime`` defaults to ``time.time()``.
    """

    def __init__(self, log_dir: str | os.PathLike | None = None, comment: str = "",
                 purge_step: int | None = None, max_queue: int = 10, flush_secs: int = 120,
                 filename_suffix: str = "") -> None:
        self._options = {"max_queue_size": max_queue, "flush_secs": flush_secs,
                         "filename_suffix": filename_suffix}
        self.log_dir = str(log_dir) if log_dir is not None else default_log_dir(comment)
        self._writer = protos().event_file_writer.EventFileWriter(self.log_dir, **self._options)
        self._scalar_writers: dict[str, Any] = {}
        if purge_step is not None:
            event_pb2 = protos().event_pb2
            start = event_pb2.SessionLog(status=event_pb2.SessionLog.START)
            self._writer.add_event(event_pb2.Event(step=purge_step, wall_time=time.time(), session_log=start))

    def get_logdir(self) -> str:
        """The folder the event files are written in."""
        return self.log_dir

    def _add(self, summary_proto: Any, global_step: int | None, walltime: float | None,
             writer: Any = None) -> None:
        event = protos().event_pb2.Event(summary=summary_proto,
                                         wall_time=time.time() if walltime is None else walltime)
        if global_step is not None:
            event.step = int(global_step)
        (writer or self._writer).add_event(event)

    def add_scalar(self, tag: str, scalar_value: Any, global_step: int | None = None,
                   walltime: float | None = None) -> None:
        """Record ``scalar_value`` (a number or one-element Tensor) under ``tag`` at ``global_step``."""
        self._add(summary.scalar(tag, _scalar(scalar_value)), global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict[str, Any], global_step: int | None = None,
                    walltime: float | None = None) -> None:
        """Several scalars on one chart: each ``tag`` is written under the tag ``main_tag`` in its own
        run ``log_dir/<main_tag>_<tag>`` (slashes in ``main_tag`` become ``_``), as PyTorch."""
        for tag, value in tag_scalar_dict.items():
            folder = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{tag}")
            if folder not in self._scalar_writers:
                writer = protos().event_file_writer.EventFileWriter(folder, **self._options)
                self._scalar_writers[folder] = writer
            scalar = summary.scalar(main_tag, _scalar(value))
            self._add(scalar, global_step, walltime, self._scalar_writers[folder])

    def add_histogram(self, tag: str, values: Any, global_step: int | None = None,
                      bins: str | int = "tensorflow", walltime: float | None = None,
                      max_bins: int | None = None) -> None:
        """Record the distribution of ``values`` (see ``summary.histogram`` for ``bins``)."""
        self._add(summary.histogram(tag, _array(values), bins, max_bins), global_step, walltime)

    def add_image(self, tag: str, img_tensor: Any, global_step: int | None = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:
        """Record an image: floats in [0, 1] or uint8, laid out as ``dataformats`` (``CHW``, ``HWC``,
        ``HW``)."""
        hwc = summary.image_hwc(_array(img_tensor), dataformats)
        self._add(summary.image(tag, hwc), global_step, walltime)

    def add_images(self, tag: str, img_tensor: Any, global_step: int | None = None,
                   walltime: float | None = None, dataformats: str = "NCHW") -> None:
        """Record a batch of images tiled into one (``dataformats`` ``NCHW`` or ``NHWC``)."""
        grid = summary.image_grid(_array(img_tensor), dataformats)
        self._add(summary.image(tag, summary.image_hwc(grid, "CHW")), global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Record a text (rendered as Markdown by TensorBoard) under ``<tag>/text_summary``."""
        self._add(summary.text(tag, text_string), global_step, walltime)

    def _writers(self) -> list[Any]:
        return [self._writer, *self._scalar_writers.values()]

    def flush(self) -> None:
        """Write every pending event to disk (returns when they are written)."""
        for writer in self._writers():
            writer.flush()

    def close(self) -> None:
        """Flush and close the event files; a second ``close`` does nothing."""
        for writer in self._writers():
            writer.close()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
