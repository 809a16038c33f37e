"""TensorBoard summaries as protocol buffers: what one ``add_*`` call of ``SummaryWriter`` records.

Built on the ``tensorboard`` package's own protocol buffers (the optional extra ``tensorboard``);
values are NumPy arrays (the writer converts Tensors). Each function returns a ``Summary``.
"""

from __future__ import annotations

import io
from typing import Any

from scratchnet.backend import xp
from scratchnet.utils.tensorboard.extra import protos

_POSITIVE_EDGES = 1e-12 * 1.1 ** xp.arange(774.0)
TENSORFLOW_EDGES = xp.concatenate([-_POSITIVE_EDGES[::-1], [0.0], _POSITIVE_EDGES])
"""TensorFlow's default histogram bucket edges: ±1e-12·1.1^k up to about ±1e20, and 0."""


def scalar(tag: str, value: float) -> Any:
    """A one-number summary (TensorBoard's scalars dashboard)."""
    summary_pb2 = protos().summary_pb2
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=float(value))])


def histogram(tag: str, values: xp.ndarray, bins: str | int = "tensorflow",
              max_bins: int | None = None) -> Any:
    """The distribution of ``values``: counts over ``bins`` (``"tensorflow"``: ``TENSORFLOW_EDGES``; a
    NumPy rule such as ``"auto"`` or a count), the empty buckets at both ends left out, with min, max,
    count, sum and sum of squares; ``max_bins`` merges neighbouring buckets to at most that many."""
    values = xp.asarray(values, dtype=xp.float64).reshape(-1)
    if values.size == 0:
        raise ValueError(f"add_histogram {tag!r}: the values are empty")
    if not xp.isfinite(values).all():
        raise ValueError(f"add_histogram {tag!r}: the values contain NaN or infinity")
    counts, edges = xp.histogram(values, bins=TENSORFLOW_EDGES if bins == "tensorflow" else bins)
    if max_bins is not None and len(counts) > max_bins:
        group = -(-len(counts) // max_bins)
        counts = xp.pad(counts, (0, -len(counts) % group)).reshape(-1, group).sum(axis=1)
        edges = xp.append(edges[:-1:group], edges[-1])
    filled = xp.flatnonzero(counts)
    kept = slice(filled[0], filled[-1] + 1)
    proto = protos().summary_pb2.HistogramProto(
        min=values.min(), max=values.max(), num=values.size, sum=values.sum(), sum_squares=values @ values,
        bucket_limit=edges[1:][kept].tolist(), bucket=counts[kept].tolist())
    return protos().summary_pb2.Summary(value=[protos().summary_pb2.Summary.Value(tag=tag, histo=proto)])


def image_hwc(image: xp.ndarray, dataformats: str) -> xp.ndarray:
    """An image as ``(H, W, C)`` uint8: floats in [0, 1] scaled by 255 (clipped, truncated, as PyTorch)."""
    layouts = {"CHW": (1, 2, 0), "HWC": (0, 1, 2), "HW": (0, 1)}
    if dataformats not in layouts or image.ndim != len(dataformats):
        raise ValueError(f"dataformats {dataformats!r} does not fit an image of shape {image.shape} "
                         f"(one of {sorted(layouts)})")
    image = image.transpose(layouts[dataformats])
    image = image[..., None] if image.ndim == 2 else image
    if image.shape[-1] not in (1, 3, 4):
        raise ValueError(f"an image needs 1, 3 or 4 channels, got {image.shape[-1]}")
    if image.dtype != xp.uint8:
        image = (image.astype(xp.float32) * 255).clip(0, 255).astype(xp.uint8)
    return image


def image_grid(images: xp.ndarray, dataformats: str, columns: int = 8) -> xp.ndarray:
    """A batch of images (``NCHW`` or ``NHWC``) tiled row by row into one ``CHW`` image, at most
    ``columns`` wide, black where the last row is short (as PyTorch's ``make_grid``)."""
    if dataformats not in ("NCHW", "NHWC") or images.ndim != 4:
        raise ValueError(f"dataformats {dataformats!r} does not fit images of shape {images.shape} "
                         "(NCHW, NHWC)")
    images = images if dataformats == "NCHW" else images.transpose(0, 3, 1, 2)
    n, c, h, w = images.shape
    cols = min(n, columns)
    rows = -(-n // cols)
    padded = xp.concatenate([images, xp.zeros((rows * cols - n, c, h, w), images.dtype)])
    return padded.reshape(rows, cols, c, h, w).transpose(2, 0, 3, 1, 4).reshape(c, rows * h, cols * w)


def image(tag: str, hwc: xp.ndarray) -> Any:
    """A PNG image summary of an ``(H, W, C)`` uint8 array (C = 1 grey, 3 RGB, 4 RGBA)."""
    pil = protos().pil_image
    buffer = io.BytesIO()
    pil.fromarray(hwc[..., 0] if hwc.shape[-1] == 1 else hwc).save(buffer, format="PNG")
    height, width, channels = hwc.shape
    summary_pb2 = protos().summary_pb2
    picture = summary_pb2.Summary.Image(height=height, width=width, colorspace=channels,
                                        encoded_image_string=buffer.getvalue())
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, image=picture)])


def text(tag: str, string: str) -> Any:
    """A text summary (TensorBoard's text plugin renders it as Markdown) under ``<tag>/text_summary``."""
    p = protos()
    plugin = p.summary_pb2.SummaryMetadata.PluginData(plugin_name="text")
    metadata = p.summary_pb2.SummaryMetadata(plugin_data=plugin)
    shape = p.tensor_shape_pb2.TensorShapeProto(dim=[p.tensor_shape_pb2.TensorShapeProto.Dim(size=1)])
    tensor = p.tensor_pb2.TensorProto(dtype="DT_STRING", string_val=[string.encode("utf-8")],
                                      tensor_shape=shape)
    value = p.summary_pb2.Summary.Value(tag=f"{tag}/text_summary", metadata=metadata, tensor=tensor)
    return p.summary_pb2.Summary(value=[value])
