"""scratchnet: a deep-learning framework written from scratch on NumPy.

>>> import scratchnet as sn
>>> x = sn.tensor([[1.0, 2.0]], requires_grad=True)
>>> y = (x @ sn.ones(2, 1)).sum()
>>> y.backward()
"""

from numpy import dtype as _np_dtype

from scratchnet import accelerator, backends, cuda  # devices, as PyTorch has them on a CPU-only build
from scratchnet import ops as _ops  # noqa: F401 - installs the Tensor operators and methods
from scratchnet.autograd.config import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from scratchnet.autograd.function import ArrayFunction, Function
from scratchnet.autograd.tape import GradientTape
from scratchnet.autograd.tensor import Size, Tensor
from scratchnet.backend import Generator, get_rng_state, manual_seed, set_rng_state
from scratchnet.devices import device
from scratchnet.ops.arithmetic import neg
from scratchnet.ops.comparison import (
                                       all,
                                       any,
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
                                       as_tensor,
                                       constant,
                                       empty,
                                       empty_like,
                                       eye,
                                       from_numpy,
                                       full,
                                       full_like,
                                       linspace,
                                       ones,
                                       ones_like,
                                       rand,
                                       rand_like,
                                       randint,
                                       randn,
                                       randn_like,
                                       randperm,
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
from scratchnet.ops.torch_style import add, clone, div, matmul, mul, pow, sub
from scratchnet.parallel import get_num_threads, set_num_threads

# dtypes under PyTorch's names (NumPy dtypes, so they equal NumPy's and their names: sn.float32 == "float32")
float32 = float = _np_dtype("float32")  # noqa: A001
float64 = double = _np_dtype("float64")
float16 = half = _np_dtype("float16")
int64 = long = _np_dtype("int64")
int32 = int = _np_dtype("int32")  # noqa: A001
int16 = short = _np_dtype("int16")
int8 = _np_dtype("int8")
uint8 = _np_dtype("uint8")
bool = _np_dtype("bool")  # noqa: A001

eq, ne, lt, le, gt, ge = equal, not_equal, less, less_equal, greater, greater_equal

__version__ = "0.1.0"

# The libraries built on the core (imported after it, since they use it).
from scratchnet import data, datasets, functional, nn, optim, utils  # noqa: E402
from scratchnet.serialization import SerializationError, load, register_module, save  # noqa: E402

_LAZY_SUBMODULES = ("keras", "classic", "viz", "cli", "models", "training", "onnx", "tf")


def __getattr__(name: str):  # PEP 562: the front ends load on first use
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"scratchnet.{name}")
    raise AttributeError(f"module 'scratchnet' has no attribute {name!r}")
