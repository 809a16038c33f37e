"""``tf.compat.v1``: the few TensorFlow 1 calls that still have a meaning in an eager framework
(``enable_eager_execution``, ``data.make_one_shot_iterator``, ``nn.softmax_cross_entropy_with_logits_v2``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from scratchnet.data.pipeline import OneShotIterator, Pipeline
from scratchnet.tf import nn as _nn


def enable_eager_execution(config: Any = None, device_policy: Any = None, execution_mode: Any = None) -> None:
    """TensorFlow 1's switch to eager mode: a no-op, scratchnet is always eager (as TensorFlow 2)."""


def executing_eagerly() -> bool:
    """Always True: scratchnet has no graph mode."""
    return True


def make_one_shot_iterator(dataset: Pipeline) -> OneShotIterator:
    """An iterator with ``get_next()`` over ``dataset`` (``tf.compat.v1.data.make_one_shot_iterator``)."""
    return dataset.make_one_shot_iterator()


v1 = SimpleNamespace(
    enable_eager_execution=enable_eager_execution,
    executing_eagerly=executing_eagerly,
    data=SimpleNamespace(make_one_shot_iterator=make_one_shot_iterator),
    nn=SimpleNamespace(softmax_cross_entropy_with_logits_v2=_nn.softmax_cross_entropy_with_logits_v2),
)
"""``tf.compat.v1``."""

__all__ = ["enable_eager_execution", "executing_eagerly", "make_one_shot_iterator", "v1"]
