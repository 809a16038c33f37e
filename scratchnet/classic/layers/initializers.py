"""Weight initialisation by name, for ``MulLayer`` and ``ConvLayer`` (``initializer='he'``).

The maths is ``scratchnet.nn.init``'s, which reads fan-in/fan-out from PyTorch's layout
``(out, in, *kernel)``: fan_in = in·KH·KW, fan_out = out·KH·KW. A dense weight is drawn in that
layout ``(out, in)`` and transposed to the tutorial's ``(in, out)`` (``y = x @ W``), so both
layers get the right fans.

- ``'he'``: N(0, 2/fan_in) (``kaiming_normal_`` for ReLU),
- ``'xavier'``: N(0, 2/(fan_in + fan_out)) (``xavier_normal_``, Glorot & Bengio).
"""

from __future__ import annotations

from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import xp
from scratchnet.nn import init

INITIALIZERS = {
    "he": lambda tensor: init.kaiming_normal_(tensor, nonlinearity="relu"),
    "xavier": init.xavier_normal_,
}
"""The initialiser names the classic layers accept."""


def check_initializer(name: str) -> str:
    """Validate an initialiser name; unknown names are an error listing the known ones."""
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initializer {name!r}; choose one of {sorted(INITIALIZERS)}")
    return name


def initial_weight(name: str, torch_shape: tuple[int, ...], dtype: xp.dtype) -> xp.ndarray:
    """A weight of PyTorch layout ``torch_shape`` ``(out, in, *kernel)`` drawn by initialiser ``name``."""
    tensor = Tensor.wrap(xp.zeros(torch_shape, dtype=dtype))
    INITIALIZERS[check_initializer(name)](tensor)
    return tensor.array
