"""The optional ``tensorboard`` package behind ``SummaryWriter``, imported only when a writer is made."""

from __future__ import annotations

import functools
import importlib
from types import SimpleNamespace

EXTRA_HINT = "pip install 'scratchnet[tensorboard]' (or pip install tensorboard)"


@functools.cache
def protos() -> SimpleNamespace:
    """The ``tensorboard`` modules used: protocol buffers, the event file writer and PIL's ``Image``;
    an ``ImportError`` naming the extra ``tensorboard`` when they are not installed."""
    proto = "tensorboard.compat.proto."
    names = {"summary_pb2": proto + "summary_pb2", "event_pb2": proto + "event_pb2",
             "tensor_pb2": proto + "tensor_pb2", "tensor_shape_pb2": proto + "tensor_shape_pb2",
             "event_file_writer": "tensorboard.summary.writer.event_file_writer", "pil_image": "PIL.Image"}
    try:
        return SimpleNamespace(**{key: importlib.import_module(name) for key, name in names.items()})
    except ImportError as error:
        raise ImportError(f"SummaryWriter needs the optional extra 'tensorboard': {EXTRA_HINT}") from error
