"""Keras 3's ``.weights.h5`` file, read and written through ``h5py`` (the ``h5`` extra), so that
weights move between scratchnet and real Keras 3 in both directions.

Layout (what Keras 3 writes): ``/layers/<layer name>/vars/<i>`` holds the i-th variable of each
layer in Keras's order and layout (Dense kernel ``(in, out)``, Conv2D kernel ``(kh, kw, in, out)``,
bias; BatchNormalization gamma, beta, moving mean, moving variance), every ``vars`` group has a
``name`` attribute, and the model's own ``/vars``. scratchnet keeps the core's (PyTorch's) layout
in memory, so kernels are transposed on the way in and out; nothing else changes. Reading loads
every array first and assigns only when all of them fit, so a wrong file leaves the model as it was.
"""

from __future__ import annotations

import os
from typing import Any

from scratchnet.backend import xp
from scratchnet.serialization.atomic import atomic_write

SUFFIX = ".weights.h5"


def h5py_module() -> Any:
    """``h5py``, or an ImportError naming the extra that installs it."""
    try:
        import h5py
    except ImportError as error:
        raise ImportError("Keras's .keras and .weights.h5 files are read and written with h5py: "
                          "pip install 'scratchnet[h5]'") from error
    return h5py


def _keras_layout(array: xp.ndarray) -> xp.ndarray:
    """A core-layout kernel in Keras's layout: (out, in) -> (in, out); (O, I, kh, kw) -> (kh, kw, I, O)."""
    return array.T if array.ndim == 2 else array.transpose(2, 3, 1, 0) if array.ndim == 4 else array


def _core_layout(array: xp.ndarray) -> xp.ndarray:
    """The inverse of ``_keras_layout``."""
    return array.T if array.ndim == 2 else array.transpose(3, 2, 0, 1) if array.ndim == 4 else array


def layer_variables(layer: Any) -> list[tuple[str, Any]]:
    """``(state-dict key, Tensor)`` of a layer's variables in Keras's order (batch-norm's step
    counter, which Keras does not have, left out)."""
    return [(key, value) for key, value in layer.state_dict().items()
            if not key.endswith("num_batches_tracked")]


def variable_groups(layer: Any) -> list[tuple[str, list[tuple[str, Any, bool]]]]:
    """Where a layer's variables go under ``/layers/<name>/``: ``(group path, [(state-dict key,
    tensor, whether it is a kernel stored transposed)])``. Layers whose Keras counterpart nests its
    variables (a recurrent layer's ``cell/vars``, Bidirectional's ``forward_layer/...``) or keeps
    the core's layout (Embedding) say so in ``keras_variable_groups()``; the others have one
    ``vars`` group."""
    groups = getattr(layer, "keras_variable_groups", None)
    if groups is not None:
        return groups()
    return [("vars", [(key, value, True) for key, value in layer_variables(layer)])]


def weighted_layers(model: Any) -> list[Any]:
    """The model's layers; a nested model or a layer with sub-layers is refused (not supported)."""
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    for layer in layers:
        if hasattr(layer, "layers"):
            raise ValueError(f"saving in Keras's format supports flat models; layer {layer.name!r} is a "
                             "nested model (save it with model.save('file.safetensors') instead)")
    return layers


def write(model: Any, path: str | os.PathLike[str]) -> None:
    """Write the model's weights to ``path`` in Keras 3's ``.weights.h5`` layout (atomically)."""
    h5py = h5py_module()
    layers = weighted_layers(model)

    def fill(file: Any) -> None:
        with h5py.File(file, "w") as h5:
            write_into(h5, model, layers)

    atomic_write(path, fill)


def write_into(h5: Any, model: Any, layers: list[Any]) -> None:
    """Fill an open h5 file (or group) with the layers' variables."""
    group = h5.create_group("layers")
    for layer in layers:
        for path, entries in variable_groups(layer):
            variables = group.create_group(f"{layer.name}/{path}")
            variables.attrs["name"] = layer.name
            for index, (_, value, kernel) in enumerate(entries):
                array = value.numpy()
                variables.create_dataset(str(index), data=_keras_layout(array) if kernel else array)
    h5.create_group("vars").attrs["name"] = model.name


def read(model: Any, path: str | os.PathLike[str]) -> None:
    """Load a Keras 3 ``.weights.h5`` file (real Keras's or ours) into the built ``model``, by
    layer name; all checked before anything is assigned."""
    h5py = h5py_module()
    path = os.fspath(path)
    try:
        with h5py.File(path, "r") as h5:
            assignments = _read_arrays(h5, model, path)
    except OSError as error:
        raise ValueError(f"{path} is not a readable HDF5 weights file ({error})") from None
    for variable, array in assignments:
        variable.array[...] = array


def read_from(h5: Any, model: Any, path: str) -> None:
    """Load from an open h5 file (used for the ``model.weights.h5`` inside a ``.keras`` archive)."""
    for variable, array in _read_arrays(h5, model, path):
        variable.array[...] = array


def _read_arrays(h5: Any, model: Any, path: str) -> list[tuple[Any, xp.ndarray]]:
    if not model.built:
        raise ValueError("load the weights into a built model (call it on data or give input_shape=)")
    stored = h5.get("layers")
    if stored is None:
        raise ValueError(f"{path} is not a Keras 3 weights file (no 'layers' group)")
    assignments = []
    for layer in weighted_layers(model):
        for where, variables in variable_groups(layer):
            group = stored.get(f"{layer.name}/{where}")
            if group is None and variables:
                raise ValueError(f"{path} has no weights for layer {layer.name!r} at {where!r} "
                                 f"(it has {sorted(stored)})")
            if variables and len(group) != len(variables):
                raise ValueError(f"{path}: layer {layer.name!r} has {len(group)} variables in the file "
                                 f"at {where!r}, {len(variables)} in the model")
            for index, (key, variable, kernel) in enumerate(variables):
                stored_array = xp.asarray(group[str(index)])
                array = _core_layout(stored_array) if kernel else stored_array
                if array.shape != variable.shape:
                    expected = _keras_layout(variable.array).shape if kernel else variable.shape
                    raise ValueError(f"{path}: variable {index} of layer {layer.name!r} ({key}) has shape "
                                     f"{stored_array.shape} in the file, {expected} in the model")
                assignments.append((variable, array.astype(variable.dtype)))
    return assignments
