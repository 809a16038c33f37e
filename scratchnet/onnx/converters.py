"""One converter per op: a recorded call (``scratchnet.autograd.trace.Call``) as ONNX nodes.

``CONVERTERS`` maps an op's class (a Function, or a layer exported whole such as ``nn.LSTM``, see
``scratchnet.onnx.recurrent``) to a function ``convert(g, call, inputs, outputs)``: ``g`` is the
``GraphBuilder``, ``inputs`` the value names of the call's input Tensors and ``outputs`` the names
its output Tensors must get. Lookup is by exact class, so a subclass (``Mean`` of ``Sum``) needs
its own converter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from scratchnet.autograd.trace import Call
from scratchnet.backend import xp
from scratchnet.functional import activation, pooling
from scratchnet.functional.conv import Conv2d
from scratchnet.functional.conv_transpose import ConvTranspose2d
from scratchnet.functional.dropout import Dropout
from scratchnet.functional.embedding import Embedding
from scratchnet.functional.linear import Linear
from scratchnet.functional.normalization import BatchNorm
from scratchnet.onnx.graph import GraphBuilder, UnsupportedOperatorError
from scratchnet.ops import arithmetic, elementwise, reduction, shape

Converter = Callable[[GraphBuilder, Call, list[str], list[str]], None]
CONVERTERS: dict[type, Converter] = {}
"""op class -> converter."""

INT64_MAX = 2 ** 63 - 1


def converts(*classes: type) -> Callable[[Converter], Converter]:
    """Register the decorated function as the converter of ``classes``."""
    def register(converter: Converter) -> Converter:
        for cls in classes:
            CONVERTERS[cls] = converter
        return converter
    return register


def converter_for(op: Any) -> Converter:
    """The converter of ``op``'s class, or ``UnsupportedOperatorError`` naming the op."""
    converter = CONVERTERS.get(type(op))
    if converter is None:
        cls = type(op)
        raise UnsupportedOperatorError(
            f"ONNX export: the op '{cls.__name__}' ({cls.__module__}.{cls.__qualname__}) has no ONNX "
            f"converter; supported ops: {', '.join(sorted(c.__name__ for c in CONVERTERS))}")
    return converter


def _same_op(onnx_type: str) -> Converter:
    """A converter to one ONNX node of ``onnx_type`` with the call's inputs and outputs."""
    def convert(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
        g.node(onnx_type, inputs, outputs)
    return convert


CONVERTERS.update({cls: _same_op(onnx_type) for cls, onnx_type in [
    (arithmetic.Add, "Add"), (arithmetic.Sub, "Sub"), (arithmetic.Mul, "Mul"), (arithmetic.Div, "Div"),
    (arithmetic.Neg, "Neg"), (arithmetic.Pow, "Pow"), (arithmetic.MatMul, "MatMul"),
    (elementwise.Exp, "Exp"), (elementwise.Log, "Log"), (elementwise.Sqrt, "Sqrt"),
    (elementwise.Abs, "Abs"), (elementwise.Sin, "Sin"), (elementwise.Cos, "Cos"),
    (elementwise.Tanh, "Tanh"), (elementwise.Sigmoid, "Sigmoid"), (elementwise.ReLU, "Relu"),
    (elementwise.Maximum, "Max"), (elementwise.Minimum, "Min")]})


# ---- layers --------------------------------------------------------------------------------------
@converts(Linear)
def _linear(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    """y = x·Wᵀ + b: Gemm(transB=1) for a matrix x, else MatMul(x, Wᵀ) (+ b)."""
    if call.inputs[0].ndim == 2:
        g.node("Gemm", inputs, outputs, transB=1)
        return
    weight_t = g.one("Transpose", [inputs[1]], perm=[1, 0])
    if len(inputs) == 2:
        g.node("MatMul", [inputs[0], weight_t], outputs)
    else:
        g.node("Add", [g.one("MatMul", [inputs[0], weight_t]), inputs[2]], outputs)


def _pads(padding: tuple[tuple[int, int], tuple[int, int]]) -> list[int]:
    """``((top, bottom), (left, right))`` as ONNX's [top, left, bottom, right]."""
    (top, bottom), (left, right) = padding
    return [top, left, bottom, right]


@converts(Conv2d)
def _conv2d(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    function = call.op
    g.node("Conv", inputs, outputs, kernel_shape=list(call.inputs[1].shape[2:]),
           strides=list(function.stride), pads=_pads(function.padding),
           dilations=list(function.dilation), group=function.groups)


@converts(ConvTranspose2d)
def _conv_transpose2d(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    """ConvTranspose: torch's symmetric padding p as pads [p_h, p_w, p_h, p_w]; both give
    (size − 1)·s − 2p + d·(k − 1) + output_padding + 1."""
    function = call.op
    (ph, pw) = function.padding
    g.node("ConvTranspose", inputs, outputs, kernel_shape=list(call.inputs[1].shape[2:]),
           strides=list(function.stride), pads=[ph, pw, ph, pw],
           output_padding=list(function.output_padding), dilations=list(function.dilation),
           group=function.groups)


@converts(BatchNorm)
def _batch_norm(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    """Inference batch norm (running statistics) as BatchNormalization; absent γ, β as 1, 0."""
    function, x = call.op, call.inputs[0]
    if function.batch_stats:
        raise UnsupportedOperatorError("ONNX export: batch norm in training mode (batch statistics) "
                                       "cannot be exported; export runs the model in eval mode")
    channels = (x.shape[1],)
    scale = inputs[1] if function.has_weight else g.initializer(xp.ones(channels, x.dtype), "ones")
    bias = inputs[-1] if function.has_bias else g.initializer(xp.zeros(channels, x.dtype), "zeros")
    mean, var = (g.array_value(a) if a.dtype == x.dtype else g.initializer(a.astype(x.dtype), "stat")
                 for a in (function.mean, function.var))
    g.node("BatchNormalization", [inputs[0], scale, bias, mean, var], outputs, epsilon=float(function.eps))


@converts(pooling.MaxPool2d)
def _max_pool(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    function = call.op
    g.node("MaxPool", inputs, outputs, kernel_shape=list(function.kernel_size),
           strides=list(function.stride), pads=_pads(function.padding))


@converts(pooling.AvgPool2d)
def _avg_pool(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    function = call.op
    g.node("AveragePool", inputs, outputs, kernel_shape=list(function.kernel_size),
           strides=list(function.stride), pads=_pads(function.padding),
           count_include_pad=int(function.count_include_pad))


@converts(Embedding)
def _embedding(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    """y = W[indices] as Gather(W, indices) on axis 0 (the indices are the op's own array)."""
    g.node("Gather", [inputs[0], g.array_value(call.op.indices)], outputs, axis=0)


@converts(Dropout)
def _dropout(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    raise UnsupportedOperatorError("ONNX export: dropout in training mode cannot be exported; "
                                   "export runs the model in eval mode, where dropout is the identity")


# ---- activations ---------------------------------------------------------------------------------
@converts(activation.LeakyReLU)
def _leaky_relu(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    g.node("LeakyRelu", inputs, outputs, alpha=float(call.op.negative_slope))


@converts(activation.ELU)
def _elu(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    g.node("Elu", inputs, outputs, alpha=float(call.op.alpha))


@converts(activation.GELU)
def _gelu(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    """Gelu (opset 20 on), else x·½(1 + erf(x/√2)) or its tanh form from basic nodes."""
    approximate = call.op.approximate
    if g.opset >= 20:
        g.node("Gelu", inputs, outputs, approximate=approximate)
        return
    x, dtype = inputs[0], call.inputs[0].dtype
    if approximate == "tanh":
        cube = g.one("Mul", [g.one("Mul", [x, x]), x])
        inner = g.one("Add", [x, g.one("Mul", [cube, g.scalar(0.044715, dtype)])])
        squashed = g.one("Tanh", [g.one("Mul", [inner, g.scalar(math.sqrt(2 / math.pi), dtype)])])
    else:
        squashed = g.one("Erf", [g.one("Mul", [x, g.scalar(1 / math.sqrt(2), dtype)])])
    half_x = g.one("Mul", [x, g.scalar(0.5, dtype)])
    g.node("Mul", [half_x, g.one("Add", [squashed, g.scalar(1.0, dtype)])], outputs)


@converts(activation.Softmax)
def _softmax(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    g.node("Softmax", inputs, outputs, axis=call.op.axis)


@converts(activation.LogSoftmax)
def _log_softmax(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    g.node("LogSoftmax", inputs, outputs, axis=call.op.axis)


@converts(elementwise.Clip)
def _clip(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    dtype = call.inputs[0].dtype
    bounds = ["" if b is None else g.scalar(b, dtype, "bound") for b in (call.op.low, call.op.high)]
    g.node("Clip", [inputs[0], *bounds], outputs)


# ---- reductions ----------------------------------------------------------------------------------
def _reduce(g: GraphBuilder, onnx_type: str, call: Call, inputs: list[str], outputs: list[str],
            axes_as_input_from: int) -> None:
    """A Reduce* node over the op's axes; the axes are an input from opset ``axes_as_input_from``."""
    axes, keepdims = list(call.op.axes), int(call.op.keepdims)
    if g.opset >= axes_as_input_from:
        g.node(onnx_type, [inputs[0], g.ints(axes, "axes")], outputs, keepdims=keepdims)
    else:
        g.node(onnx_type, inputs, outputs, axes=axes, keepdims=keepdims)


@converts(reduction.Sum)
def _sum(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    _reduce(g, "ReduceSum", call, inputs, outputs, 13)


@converts(reduction.Mean)
def _mean(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    """GlobalAveragePool for the mean over the two spatial axes of an image (keepdims), else ReduceMean."""
    if call.inputs[0].ndim == 4 and tuple(call.op.axes) == (2, 3) and call.op.keepdims:
        g.node("GlobalAveragePool", inputs, outputs)
    else:
        _reduce(g, "ReduceMean", call, inputs, outputs, 18)


@converts(reduction.Extreme)
def _extreme(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    onnx_type = "ReduceMax" if call.op.reduce is xp.max else "ReduceMin"
    _reduce(g, onnx_type, call, inputs, outputs, 18)


# ---- shapes --------------------------------------------------------------------------------------
@converts(shape.Reshape)
def _reshape(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    """Reshape to the recorded shape, with each leading axis that keeps its input's size as 0
    ('copy this axis') and the recorded -1 kept, so that a dynamic batch axis stays dynamic."""
    x_shape, target = call.inputs[0].shape, list(call.outputs[0].shape)
    requested = list(call.op.shape)
    lead = 0
    while lead < min(len(x_shape), len(target)) and target[lead] == x_shape[lead]:
        target[lead] = 0
        lead += 1
    if -1 in requested and requested.index(-1) >= lead and len(requested) == len(target):
        target[requested.index(-1)] = -1
    g.node("Reshape", [inputs[0], g.ints(target, "shape")], outputs)


@converts(shape.Permute)
def _permute(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    ndim = call.inputs[0].ndim
    g.node("Transpose", inputs, outputs, perm=[a % ndim for a in call.op.axes])


@converts(shape.Transpose)
def _transpose(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    ndim = call.inputs[0].ndim
    perm = list(range(ndim))
    a, b = call.op.dim0 % ndim, call.op.dim1 % ndim
    perm[a], perm[b] = perm[b], perm[a]
    g.node("Transpose", inputs, outputs, perm=perm)


@converts(shape.BroadcastTo)
def _broadcast_to(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    g.node("Expand", [inputs[0], g.ints(call.op.shape, "shape")], outputs)


@converts(shape.Concat)
def _concat(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    g.node("Concat", inputs, outputs, axis=call.op.axis)


@converts(shape.Split)
def _split(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    sizes = [y.shape[call.op.axis] for y in call.outputs]
    g.node("Split", [inputs[0], g.ints(sizes, "split")], outputs, axis=call.op.axis)


@converts(shape.Pad)
def _pad(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    """Constant padding: ONNX's pads are all the befores, then all the afters."""
    widths = call.op.widths
    pads = [before for before, _ in widths] + [after for _, after in widths]
    value = g.scalar(call.op.value, call.inputs[0].dtype, "pad_value")
    g.node("Pad", [inputs[0], g.ints(pads, "pads"), value], outputs, mode="constant")


@converts(shape.Cast)
def _cast(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    g.node("Cast", inputs, outputs, to=g.onnx.helper.np_dtype_to_tensor_dtype(xp.dtype(call.op.dtype)))


@converts(shape.GetItem)
def _getitem(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    """Basic indexing (ints, slices, None, ...) as Slice, then Squeeze (the int axes) and Unsqueeze
    (the None axes); a full slice emits nothing, so a dynamic batch axis stays dynamic."""
    items = _expand_index(call.op.index, call.inputs[0].ndim)
    sliced: list[tuple[int, tuple[int, int, int]]] = []  # (axis, (start, end, step))
    dropped, added, axis = [], [], 0
    for item in items:
        if item is None:
            continue
        if not (isinstance(item, slice) and item == slice(None)):
            sliced.append((axis, _slice_bounds(item)))
        if _is_int(item):
            dropped.append(axis)
        axis += 1
    kept = [item for item in items if not _is_int(item)]  # the output's axes
    added = [position for position, item in enumerate(kept) if item is None]
    value = inputs[0]
    if sliced:
        starts, ends, steps = zip(*(bounds for _, bounds in sliced))
        value = g.one("Slice", [value, g.ints(starts, "starts"), g.ints(ends, "ends"),
                                g.ints([a for a, _ in sliced], "axes"), g.ints(steps, "steps")])
    if dropped:
        value = g.one("Squeeze", [value, g.ints(dropped, "axes")])
    if added:
        value = g.one("Unsqueeze", [value, g.ints(added, "axes")])
    g.node("Identity", [value], outputs)


def _is_int(item: Any) -> bool:
    return isinstance(item, (int, xp.integer)) and not isinstance(item, bool)


def _expand_index(index: Any, ndim: int) -> list[Any]:
    """The index as one item per input axis plus its None items, Ellipsis expanded; anything but
    ints, slices, None and Ellipsis is unsupported."""
    items = list(index) if isinstance(index, tuple) else [index]
    for item in items:
        if not (item is None or item is Ellipsis or isinstance(item, slice) or _is_int(item)):
            raise UnsupportedOperatorError(
                f"ONNX export: indexing with {type(item).__name__} items is not supported "
                "(only ints, slices, None and ...)")
    missing = ndim - sum(item is not None and item is not Ellipsis for item in items)
    ellipses = [position for position, item in enumerate(items) if item is Ellipsis]
    at = ellipses[0] if ellipses else len(items)
    return items[:at] + [slice(None)] * missing + items[at + len(ellipses[:1]):]


def _slice_bounds(item: Any) -> tuple[int, int, int]:
    """(start, end, step) of ONNX's Slice for an int or a slice, without the axis's size."""
    if _is_int(item):
        return int(item), INT64_MAX if item == -1 else int(item) + 1, 1
    step = 1 if item.step is None else int(item.step)
    if step > 0:
        return (0 if item.start is None else int(item.start),
                INT64_MAX if item.stop is None else int(item.stop), step)
    return (-1 if item.start is None else int(item.start),
            -INT64_MAX - 1 if item.stop is None else int(item.stop), step)
