"""Keras models as ONNX: what ``keras.Model.export(path, format="onnx")`` runs.

The graph takes the model's input as the Keras model does (channels-last images), named ``input``,
and gives its output, named ``output``; the batch axis of both is dynamic (``batch``).
"""

from __future__ import annotations

import os
from typing import Any

from scratchnet.backend import xp
from scratchnet.onnx.export import export

EXAMPLE_BATCH = 2
"""Samples in the example input that the model is recorded on (any batch size runs afterwards)."""


def export_keras_model(model: Any, filepath: str | os.PathLike[str], input_signature: Any = None,
                       opset_version: int | None = None) -> Any:
    """Write the built Keras ``model`` to ``filepath`` as ONNX; ``input_signature`` is an input
    shape (its batch entry may be None), or an object with ``.shape``, for a model not yet built.
    Returns the ``onnx.ModelProto``."""
    shape = _input_shape(model, input_signature)
    example = xp.zeros((EXAMPLE_BATCH, *shape[1:]), dtype=xp.float32)
    batch_axis = {0: "batch"}
    return export(model, example, filepath, input_names=["input"], output_names=["output"],
                  dynamic_axes={"input": batch_axis, "output": batch_axis}, opset_version=opset_version)


def _input_shape(model: Any, input_signature: Any) -> tuple[Any, ...]:
    """The model's input shape, batch axis included: from ``input_signature`` or the built model."""
    if input_signature is not None:
        shape = getattr(input_signature, "shape", input_signature)
        if isinstance(shape, (list, tuple)) and len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = shape[0]  # a list holding the one input's shape
        if not isinstance(shape, (list, tuple)) or len(shape) < 2 or not all(
                isinstance(n, int) and n > 0 for n in shape[1:]):
            raise ValueError(f"export: input_signature must be an input shape (batch, ...) with known "
                             f"sizes after the batch axis, got {input_signature!r}")
        return tuple(shape)
    if not model.built or model.built_input_shape is None:
        raise ValueError("export: the model has not been built; call it on data, build() it, or pass "
                         "input_signature=(None, ...) with the input shape")
    return tuple(model.built_input_shape)
