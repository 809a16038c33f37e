"""``nn.LocalResponseNorm`` exported whole: ONNX's LRN node for an odd window, basic nodes for an
even one.

Both compute y = x / (k + α/n · Σ x²)^β with the same α/n over a window of n channels; for an odd n
the windows agree (c ± (n − 1)/2). For an even n PyTorch sums channels c − n/2 … c + n/2 − 1 and
ONNX c − (n/2 − 1) … c + n/2, and ONNX Runtime accepts odd sizes only, so an even window is written
out: squares padded on the channel axis, n slices added, then the formula. ONNX Runtime's LRN
takes 4-D inputs: other ranks are reshaped to ``(N, C, -1, 1)`` and back.
"""

from __future__ import annotations

from scratchnet import nn
from scratchnet.autograd.trace import Call
from scratchnet.onnx.converters import converts
from scratchnet.onnx.graph import GraphBuilder


@converts(nn.LocalResponseNorm)
def _local_response_norm(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    layer, x = call.op, inputs[0]
    if layer.size % 2 == 0:
        _even_window(g, call, x, outputs)
        return
    ndim = call.inputs[0].ndim
    value = x if ndim == 4 else g.one("Reshape", [x, g.ints([0, 0, -1, 1], "shape")])
    value = g.one("LRN", [value], size=layer.size, alpha=float(layer.alpha), beta=float(layer.beta),
                  bias=float(layer.k))
    if ndim != 4:
        value = g.one("Reshape", [value, g.one("Shape", [x])])
    g.node("Identity", [value], outputs)


def _even_window(g: GraphBuilder, call: Call, x: str, outputs: list[str]) -> None:
    """y = x / (k + α/n · Σ_{o<n} s[:, o:o+C])^β with s = x² zero-padded by n/2 channels before
    and n/2 − 1 after."""
    layer, tensor = call.op, call.inputs[0]
    size, channels, dtype = layer.size, tensor.shape[1], tensor.dtype
    before, after = [0] * tensor.ndim, [0] * tensor.ndim
    before[1], after[1] = size // 2, (size - 1) // 2
    squares = g.one("Pad", [g.one("Mul", [x, x]), g.ints(before + after, "pads")], mode="constant")
    window = None
    for offset in range(size):
        part = g.one("Slice", [squares, g.ints([offset], "starts"), g.ints([offset + channels], "ends"),
                               g.ints([1], "axes")])
        window = part if window is None else g.one("Add", [window, part])
    scaled = g.one("Mul", [window, g.scalar(layer.alpha / size, dtype)])
    base = g.one("Add", [scaled, g.scalar(layer.k, dtype)])
    g.node("Div", [x, g.one("Pow", [base, g.scalar(layer.beta, dtype)])], outputs)
