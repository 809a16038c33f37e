"""Plots of what training produced: learning curves, convolution filters, feature maps and images
with their labels. Needs matplotlib (``pip install scratchnet[plot]``), imported only when a plot
is drawn. Each function returns the matplotlib Figure and, given ``path``, saves it as an image.
"""

from __future__ import annotations

import math
from typing import Any

from scratchnet.backend import xp


def _pyplot() -> Any:
    """matplotlib.pyplot on a non-interactive backend, or a clear error if it is missing."""
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError("scratchnet.viz needs matplotlib: pip install 'scratchnet[plot]'") from error
    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def _finish(figure: Any, path: str | None) -> Any:
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=100)
    return figure


def _as_array(value: Any) -> Any:
    """A NumPy array from a Tensor, a Parameter or anything array-like."""
    return xp.asarray(value.numpy() if hasattr(value, "numpy") else value)


def plot_history(history: Any, path: str | None = None) -> Any:
    """Learning curves: one panel per metric (loss, accuracy, ...), training and validation.

    ``history`` is a Keras-style ``History`` (with ``.history``) or a dict of per-epoch lists such
    as ``{"loss": [...], "val_loss": [...], "accuracy": [...]}``.
    """
    curves = getattr(history, "history", history)
    metrics = [name for name in curves if not name.startswith("val_")]
    if not metrics:
        raise ValueError("plot_history: the history holds no metric")
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for axis, name in zip(axes[0], metrics):
        epochs = range(1, len(curves[name]) + 1)
        axis.plot(epochs, curves[name], marker="o", label=f"training {name}")
        if f"val_{name}" in curves:
            axis.plot(epochs, curves[f"val_{name}"], marker="o", label=f"validation {name}")
        axis.set_xlabel("epoch")
        axis.set_title(name)
        axis.legend()
        axis.grid(alpha=0.3)
    return _finish(figure, path)


def _grid(count: int) -> tuple[int, int]:
    columns = math.ceil(math.sqrt(count))
    return math.ceil(count / columns), columns


def _plot_grid(images: Any, titles: list[str] | None, path: str | None, cmap: str = "gray") -> Any:
    pyplot = _pyplot()
    rows, columns = _grid(len(images))
    figure, axes = pyplot.subplots(rows, columns, figsize=(1.6 * columns, 1.6 * rows), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index < len(images):
            axis.imshow(images[index], cmap=cmap)
            if titles:
                axis.set_title(titles[index], fontsize=8)
    return _finish(figure, path)


def plot_filters(layer: Any, path: str | None = None) -> Any:
    """The kernels of a convolution layer, one small image per output channel (first input
    channel). ``layer`` is an ``nn.Conv2d`` (its ``weight``) or a Keras ``Conv2D`` (its ``kernel``),
    both of shape ``(out, in, kh, kw)``."""
    weight = getattr(layer, "weight", None)
    if weight is None:
        weight = getattr(layer, "kernel", None)
    if weight is None or _as_array(weight).ndim != 4:
        raise ValueError("plot_filters needs a convolution layer with a 4-D weight, "
                         f"got {type(layer).__name__}")
    kernels = _as_array(weight)[:, 0]
    return _plot_grid(kernels, [f"filter {i}" for i in range(len(kernels))], path, cmap="viridis")


def _find_layer(model: Any, layer: Any) -> Any:
    """A sub-module given as itself, by its name in ``named_modules()`` or by index."""
    if isinstance(layer, str):
        modules = dict(model.named_modules())
        if layer not in modules:
            raise KeyError(f"no layer named {layer!r}; layers: {[n for n in modules if n]}")
        return modules[layer]
    if isinstance(layer, int):
        return model[layer]
    return layer


def plot_feature_maps(model: Any, layer: Any, image: Any, path: str | None = None) -> Any:
    """The output channels of ``layer`` when ``model`` sees one ``image`` (captured with a forward
    hook). ``image`` is one sample without the batch axis: ``(C, H, W)`` for an ``nn`` model,
    channels-last ``(H, W, C)`` for a Keras model (whose layers output ``(N, H, W, C)``)."""
    from scratchnet.autograd.config import no_grad
    from scratchnet.keras.layers import Layer as KerasLayer
    from scratchnet.ops.creation import tensor

    target = _find_layer(model, layer)
    captured: list[Any] = []
    handle = target.register_forward_hook(lambda module, inputs, output: captured.append(_as_array(output)))
    try:
        was_training = getattr(model, "training", False)
        model.eval()
        with no_grad():
            model(tensor(_as_array(image)[None]))
        model.train(was_training)
    finally:
        handle.remove()
    if not captured:
        raise ValueError("plot_feature_maps: the layer was not called by the model's forward pass")
    maps = captured[0][0]
    if maps.ndim == 3 and isinstance(target, KerasLayer):
        maps = maps.transpose(2, 0, 1)
    if maps.ndim != 3:
        raise ValueError(f"plot_feature_maps needs a layer with (C, H, W) outputs, got {maps.shape}")
    return _plot_grid(maps, [f"channel {i}" for i in range(len(maps))], path, cmap="viridis")


def plot_images(images: Any, labels: Any = None, predictions: Any = None, path: str | None = None,
                class_names: list[str] | None = None) -> Any:
    """A grid of images titled with their labels and, if given, predictions (``pred/label``)."""
    images = _as_array(images)
    if images.ndim == 4:  # one channel shown: (N, C, H, W) or channels-last (N, H, W, C)
        channels_first = images.shape[1] < images.shape[-1]
        images = images[:, 0] if channels_first else images[..., 0]

    def name(value: Any) -> str:
        return class_names[int(value)] if class_names else str(int(value))

    titles = None
    if labels is not None or predictions is not None:
        titles = []
        for index in range(len(images)):
            parts = []
            if predictions is not None:
                parts.append(name(_as_array(predictions)[index]))
            if labels is not None:
                parts.append(name(_as_array(labels)[index]))
            titles.append("/".join(parts))
    return _plot_grid(images, titles, path)
