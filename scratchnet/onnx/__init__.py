"""Export to ONNX, as ``torch.onnx``: ``sn.onnx.export(model, example_input, "model.onnx")``.

>>> import scratchnet as sn
>>> model = sn.nn.Sequential(sn.nn.Linear(4, 8), sn.nn.ReLU(), sn.nn.Linear(8, 3))
>>> path = sn.onnx.export(model, sn.randn(2, 4), "model.onnx", input_names=["x"], output_names=["y"],
...                       dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})

Needs the ``onnx`` package (``pip install 'scratchnet[onnx]'``); this module imports without it.
"""

from scratchnet.onnx.export import DEFAULT_OPSET, export
from scratchnet.onnx.graph import UnsupportedOperatorError
