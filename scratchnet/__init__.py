"""scratchnet: a deep-learning framework written from scratch on NumPy.

>>> import scratchnet as sn
>>> x = sn.tensor([[1.0, 2.0]], requires_grad=True)
>>> y = (x @ sn.ones(2, 1)).sum()
>>> y.backward()
"""

from scratchnet import ops as _ops  # noqa: F401 - installs the Tensor operators and methods
from scratchnet.autograd.config import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from scratchnet.autograd.function import ArrayFunction, Function
from scratchnet.autograd.tape import GradientTape
from scratchnet.autograd.tensor import Tensor
from scratchnet.backend import get_rng_state, manual_seed, set_rng_state
from scratchnet.ops.arithmetic import add, div, matmul, mul, neg, pow, sub
from scratchnet.ops.comparison import (
                                       argmax,
                                       argmin,
                                       equal,
                                       greater,
                                       greater_equal,
                                       less,
                                       less_equal,
                                       not_equal,
)
from scratchnet.ops.creation import (
                                       Variable,
                                       arange,
                                       constant,
                                       eye,
                                       full,
                                       linspace,
                                       ones,
                                       ones_like,
                                       rand,
                                       randn,
                                       range,
                                       tensor,
                                       zeros,
                                       zeros_like,
)
from scratchnet.ops.elementwise import (
                                       abs,
                                       clamp,
                                       clip,
                                       cos,
                                       exp,
                                       log,
                                       maximum,
                                       minimum,
                                       relu,
                                       sigmoid,
                                       sin,
                                       sqrt,
                                       tanh,
                                       where,
)
from scratchnet.ops.logsumexp import logsumexp
from scratchnet.ops.reduction import max, mean, min, std, sum, var
from scratchnet.ops.shape import (
                                       astype,
                                       broadcast_to,
                                       cat,
                                       concat,
                                       expand,
                                       flatten,
                                       getitem,
                                       pad,
                                       permute,
                                       reshape,
                                       split,
                                       squeeze,
                                       stack,
                                       sum_to,
                                       transpose,
                                       unsqueeze,
                                       view,
)

float32 = "float32"
float64 = "float64"
int64 = "int64"

__version__ = "0.1.0"

# The libraries built on the core (imported after it, since they use it).
from scratchnet import data, datasets, functional, nn, optim, utils  # noqa: E402
from scratchnet.serialization import SerializationError, load, register_module, save  # noqa: E402

_LAZY_SUBMODULES = ("keras", "classic", "viz", "cli", "models", "training", "tf")


def __getattr__(name: str):  # PEP 562: the front ends load on first use
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"scratchnet.{name}")
    raise AttributeError(f"module 'scratchnet' has no attribute {name!r}")
