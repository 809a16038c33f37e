"""``nn.Upsample`` exported whole, as ONNX's Resize node (recorded, it would be two MatMuls by
interpolation matrices fixed to the example's height and width).

Source positions, PyTorch against ONNX's coordinate_transformation_mode: nearest reads
⌊j·scale⌋ ('asymmetric' with nearest_mode 'floor'); bilinear reads scale·(j + ½) − ½
('pytorch_half_pixel') or, with ``align_corners``, j·(in − 1)/(out − 1) ('align_corners'). The
scale is 1/scale_factor when a scale factor was given (Resize's ``scales`` input), else in/out
(Resize's ``sizes`` input: the run's batch and channels, then the output height and width).
"""

from __future__ import annotations

from scratchnet import nn
from scratchnet.autograd.trace import Call
from scratchnet.backend import xp
from scratchnet.onnx.converters import converts
from scratchnet.onnx.graph import GraphBuilder


@converts(nn.Upsample)
def _upsample(g: GraphBuilder, call: Call, inputs: list[str], outputs: list[str]) -> None:
    layer, x = call.op, inputs[0]
    if layer.mode == "nearest":
        modes = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    else:
        transform = "align_corners" if layer.align_corners else "pytorch_half_pixel"
        modes = {"mode": "linear", "coordinate_transformation_mode": transform}
    if layer.scale_factor is not None and not layer.recompute_scale_factor:
        factors = layer.scale_factor
        factors = list(factors) if isinstance(factors, (tuple, list)) else [factors] * 2
        scales = g.initializer(xp.asarray([1.0, 1.0, *factors], dtype=xp.float32), "scales")
        g.node("Resize", [x, "", scales], outputs, **modes)
        return
    lead = g.one("Slice", [g.one("Shape", [x]), g.ints([0], "starts"), g.ints([2], "ends")])
    sizes = g.one("Concat", [lead, g.ints(call.outputs[0].shape[2:], "sizes")], axis=0)
    g.node("Resize", [x, "", "", sizes], outputs, **modes)
