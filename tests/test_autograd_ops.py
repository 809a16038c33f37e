"""Every differentiable op of the tensor API, checked two ways (an OpInfo-style registry):

(a) autograd against central finite differences in float64 (``check_gradients``), and
(b) forward values, dtypes and gradients against PyTorch on the same float32 inputs.

A coverage test fails when a public op exported by ``scratchnet`` has no registry entry, and every
binary op runs over broadcasting shape pairs, plus a hypothesis property test.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import scratchnet as sn
from scratchnet.ops import (
    arithmetic,
    comparison,
    elementwise,
    inplace,
    methods,
    reduction,
    shape,
    torch_style,
)
from tests.reference import assert_close, check_gradients, torch_or_skip

# ---- the registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpCase:
    """One op on inputs of given shapes. ``ours(*tensors)`` uses scratchnet, ``theirs(torch,
    *tensors)`` the same computation in PyTorch; ``covers`` names the scratchnet functions it tests.
    ``domain``: "real" (distinct values away from 0 and from each other, so kinks and ties are not
    hit), "positive" (in [0.5, 2]) or "unit" (in (-0.9, 0.9))."""

    id: str
    covers: tuple[str, ...]
    ours: Callable[..., sn.Tensor]
    theirs: Callable[..., Any]
    shapes: tuple[tuple[int, ...], ...]
    domain: str = "real"
    eps: float = 1e-6


def make_inputs(case: OpCase, seed: int = 0) -> list[np.ndarray]:
    """float64 inputs for ``case`` in its domain."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape_ in case.shapes:
        size = int(np.prod(shape_, dtype=int))
        if case.domain == "positive":
            values = rng.uniform(0.5, 2.0, size)
        elif case.domain == "unit":
            values = rng.uniform(-0.9, 0.9, size)
        else:  # distinct, at least 0.05 from 0 and 0.1 apart: finite differences never cross a kink
            values = (rng.permutation(size) - size // 2 + 0.5) * 0.1 + rng.uniform(-0.02, 0.02, size)
        arrays.append(values.reshape(shape_))
    return arrays


def _torch_index(torch: Any, index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_torch_index(torch, i) for i in index)
    if isinstance(index, np.ndarray):
        return torch.as_tensor(index)
    return index


def indexing(name: str, index: Any, shape_: tuple[int, ...]) -> OpCase:
    """``x[index]`` in both libraries (arrays in ``index`` become torch tensors for PyTorch)."""
    return OpCase(f"getitem-{name}", ("getitem",), lambda x: x[index],
                  lambda torch, x: x[_torch_index(torch, index)], (shape_,))


def torch_split_pieces(torch: Any, x: Any) -> Any:
    a, b, c = torch.split(x, [1, 2, 1], dim=1)
    return torch.cat([a * 2.0, b, c * 3.0], dim=1)


def sn_split_pieces(x: sn.Tensor) -> sn.Tensor:
    a, b, c = sn.split(x, [1, 2, 1], dim=1)
    return sn.cat([a * 2.0, b, c * 3.0], dim=1)


CONDITION = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, True]])
MASK = np.array([[True, False, True, False], [False, True, True, False], [False, False, False, True]])

UNARY_CASES = [
    OpCase("neg", ("neg",), lambda x: -x, lambda torch, x: -x, ((3, 4),)),
    OpCase("neg-function", ("neg",), lambda x: sn.neg(x), lambda torch, x: torch.neg(x), ((2, 3),)),
    OpCase("exp", ("exp",), sn.exp, lambda torch, x: torch.exp(x), ((3, 4),), "unit"),
    OpCase("log", ("log",), sn.log, lambda torch, x: torch.log(x), ((3, 4),), "positive"),
    OpCase("sqrt", ("sqrt",), sn.sqrt, lambda torch, x: torch.sqrt(x), ((3, 4),), "positive"),
    OpCase("abs", ("abs",), sn.abs, lambda torch, x: torch.abs(x), ((3, 4),)),
    OpCase("abs-operator", ("abs",), lambda x: abs(x), lambda torch, x: abs(x), ((5,),)),
    OpCase("sin", ("sin",), sn.sin, lambda torch, x: torch.sin(x), ((3, 4),)),
    OpCase("cos", ("cos",), sn.cos, lambda torch, x: torch.cos(x), ((3, 4),)),
    OpCase("tanh", ("tanh",), sn.tanh, lambda torch, x: torch.tanh(x), ((3, 4),)),
    OpCase("sigmoid", ("sigmoid",), sn.sigmoid, lambda torch, x: torch.sigmoid(x), ((3, 4),)),
    OpCase("relu", ("relu",), sn.relu, lambda torch, x: torch.relu(x), ((3, 4),)),
    OpCase("clip", ("clip",), lambda x: sn.clip(x, -0.3, 0.4), lambda torch, x: torch.clamp(x, -0.3, 0.4),
           ((3, 4),)),
    OpCase("clip-min-only", ("clip",), lambda x: x.clip(min=-0.2), lambda torch, x: x.clamp(min=-0.2),
           ((3, 4),)),
    OpCase("clamp-max-only", ("clamp",), lambda x: sn.clamp(x, max=0.25),
           lambda torch, x: torch.clamp(x, max=0.25), ((3, 4),)),
    OpCase("pow-scalar", ("pow",), lambda x: x ** 3, lambda torch, x: x ** 3, ((3, 4),)),
    OpCase("pow-fractional", ("pow",), lambda x: x ** 1.5, lambda torch, x: x ** 1.5, ((3, 4),), "positive"),
    OpCase("rpow", ("rpow",), lambda x: 2.0 ** x, lambda torch, x: 2.0 ** x, ((3, 4),)),
    OpCase("rsub", ("rsub",), lambda x: 1.5 - x, lambda torch, x: 1.5 - x, ((3, 4),)),
    OpCase("rdiv", ("rdiv",), lambda x: 2.0 / x, lambda torch, x: 2.0 / x, ((3, 4),), "positive"),
    OpCase("radd-rmul", ("add", "mul"), lambda x: 2.0 * x + 1.0, lambda torch, x: 2.0 * x + 1.0, ((3, 4),)),
]

REDUCTION_CASES = [
    OpCase("sum-all", ("sum",), lambda x: x.sum(), lambda torch, x: x.sum(), ((3, 4),)),
    OpCase("sum-axis", ("sum",), lambda x: sn.sum(x, axis=1), lambda torch, x: x.sum(dim=1), ((3, 4, 2),)),
    OpCase("sum-axes-keepdims", ("sum",), lambda x: x.sum(axis=(0, 2), keepdims=True),
           lambda torch, x: x.sum(dim=(0, 2), keepdim=True), ((3, 4, 2),)),
    OpCase("sum-dim-keepdim", ("sum",), lambda x: x.sum(dim=-1, keepdim=True),
           lambda torch, x: x.sum(dim=-1, keepdim=True), ((3, 4),)),
    OpCase("mean-all", ("mean",), lambda x: x.mean(), lambda torch, x: x.mean(), ((3, 4),)),
    OpCase("mean-axis", ("mean",), lambda x: sn.mean(x, 0), lambda torch, x: x.mean(dim=0), ((3, 4),)),
    OpCase("mean-dim-keepdim", ("mean",), lambda x: x.mean(dim=(1, 2), keepdim=True),
           lambda torch, x: x.mean(dim=(1, 2), keepdim=True), ((2, 3, 4),)),
    OpCase("max-all", ("max",), lambda x: x.max(), lambda torch, x: x.amax(), ((3, 4),)),
    OpCase("max-axis", ("max",), lambda x: sn.max(x, axis=1), lambda torch, x: x.amax(dim=1), ((3, 4),)),
    OpCase("max-dim-keepdim", ("max",), lambda x: x.max(dim=0, keepdim=True),
           lambda torch, x: x.amax(dim=0, keepdim=True), ((3, 4),)),
    OpCase("min-all", ("min",), lambda x: sn.min(x), lambda torch, x: x.amin(), ((3, 4),)),
    OpCase("min-axes-keepdims", ("min",), lambda x: x.min(axis=(0, 2), keepdims=True),
           lambda torch, x: x.amin(dim=(0, 2), keepdim=True), ((3, 4, 2),)),
    OpCase("var-all", ("var",), lambda x: x.var(), lambda torch, x: x.var(correction=0), ((3, 4),)),
    OpCase("var-axis-ddof1", ("var",), lambda x: sn.var(x, axis=1, ddof=1),
           lambda torch, x: x.var(dim=1, correction=1), ((3, 4),)),
    OpCase("var-dim-keepdim", ("var",), lambda x: x.var(dim=0, keepdim=True),
           lambda torch, x: x.var(dim=0, keepdim=True, correction=0), ((3, 4),)),
    OpCase("std-all", ("std",), lambda x: sn.std(x), lambda torch, x: x.std(correction=0), ((3, 4),)),
    OpCase("std-axes-ddof1", ("std",), lambda x: x.std(axis=(0, 1), ddof=1, keepdims=True),
           lambda torch, x: x.std(dim=(0, 1), correction=1, keepdim=True), ((3, 4, 2),)),
    OpCase("std-dim", ("std",), lambda x: x.std(dim=1), lambda torch, x: x.std(dim=1, correction=0),
           ((3, 4),)),
]

SHAPE_CASES = [
    OpCase("reshape", ("reshape",), lambda x: x.reshape(4, 3), lambda torch, x: x.reshape(4, 3), ((3, 4),)),
    OpCase("reshape-minus-one", ("reshape",), lambda x: sn.reshape(x, (2, -1)),
           lambda torch, x: x.reshape(2, -1), ((3, 4),)),
    OpCase("view", ("view",), lambda x: x.view(12), lambda torch, x: x.view(12), ((3, 4),)),
    OpCase("view-function", ("view",), lambda x: sn.view(x, 6, 2), lambda torch, x: x.view(6, 2), ((3, 4),)),
    OpCase("transpose", ("transpose",), lambda x: x.transpose(0, 2), lambda torch, x: x.transpose(0, 2),
           ((2, 3, 4),)),
    OpCase("transpose-negative", ("transpose",), lambda x: sn.transpose(x, -1, -2),
           lambda torch, x: x.transpose(-1, -2), ((2, 3, 4),)),
    OpCase("T", ("transpose",), lambda x: x.T, lambda torch, x: x.T, ((3, 4),)),
    OpCase("mT", ("transpose",), lambda x: x.mT, lambda torch, x: x.mT, ((2, 3, 4),)),
    OpCase("permute", ("permute",), lambda x: x.permute(2, 0, 1), lambda torch, x: x.permute(2, 0, 1),
           ((2, 3, 4),)),
    OpCase("permute-tuple", ("permute",), lambda x: sn.permute(x, (1, 2, 0)),
           lambda torch, x: x.permute(1, 2, 0), ((2, 3, 4),)),
    OpCase("flatten", ("flatten",), lambda x: x.flatten(), lambda torch, x: x.flatten(), ((2, 3, 4),)),
    OpCase("flatten-start", ("flatten",), lambda x: sn.flatten(x, 1), lambda torch, x: torch.flatten(x, 1),
           ((2, 3, 4),)),
    OpCase("squeeze", ("squeeze",), lambda x: x.squeeze(), lambda torch, x: x.squeeze(), ((1, 3, 1, 2),)),
    OpCase("squeeze-dim", ("squeeze",), lambda x: sn.squeeze(x, dim=2), lambda torch, x: x.squeeze(2),
           ((1, 3, 1, 2),)),
    OpCase("unsqueeze", ("unsqueeze",), lambda x: x.unsqueeze(1), lambda torch, x: x.unsqueeze(1), ((3, 4),)),
    OpCase("unsqueeze-negative", ("unsqueeze",), lambda x: sn.unsqueeze(x, -1),
           lambda torch, x: x.unsqueeze(-1), ((3, 4),)),
    OpCase("expand", ("expand",), lambda x: x.expand(2, 3, 4), lambda torch, x: x.expand(2, 3, 4), ((3, 1),)),
    OpCase("expand-minus-one", ("expand",), lambda x: sn.expand(x, -1, 5), lambda torch, x: x.expand(-1, 5),
           ((3, 1),)),
    OpCase("broadcast_to", ("broadcast_to",), lambda x: sn.broadcast_to(x, (2, 3, 4)),
           lambda torch, x: torch.broadcast_to(x, (2, 3, 4)), ((4,),)),
    OpCase("sum_to", ("sum_to",), lambda x: sn.sum_to(x, (3, 1)),
           lambda torch, x: x.sum(dim=(0, 2), keepdim=True).reshape(3, 1), ((2, 3, 4),)),
    indexing("int", 1, (3, 4)),
    indexing("slice", (slice(1, None), slice(None, None, 2)), (3, 4)),
    OpCase("getitem-negative-step", ("getitem",), lambda x: x[::-1, 1:], lambda torch, x: x.flip(0)[:, 1:],
           ((4, 3),)),
    indexing("ellipsis-none", (Ellipsis, None, 1), (2, 3, 4)),
    indexing("int-array", np.array([2, 0]), (3, 4)),
    indexing("repeated-int-array", np.array([0, 2, 0, 0]), (3, 4)),
    indexing("two-int-arrays", (np.array([0, 2, 2]), np.array([1, 1, 3])), (3, 4)),
    indexing("array-and-slice", (slice(None), np.array([3, 0, 3])), (3, 4)),
    indexing("bool-mask", MASK, (3, 4)),
    OpCase("getitem-bool-tensor", ("getitem",), lambda x: x[x > 0], lambda torch, x: x[x > 0], ((3, 4),)),
    OpCase("getitem-list", ("getitem",), lambda x: x[[1, 1, 0]], lambda torch, x: x[[1, 1, 0]], ((3, 4),)),
    OpCase("getitem-tensor-index", ("getitem",), lambda x: x[sn.tensor([2, 2])],
           lambda torch, x: x[torch.tensor([2, 2])], ((3, 4),)),
    OpCase("concat", ("concat",), lambda x, y: sn.concat([x, y], axis=1),
           lambda torch, x, y: torch.cat([x, y], 1), ((3, 2), (3, 4))),
    OpCase("cat-three-dim0", ("cat",), lambda x, y, z: sn.cat((x, y, z), dim=0),
           lambda torch, x, y, z: torch.cat([x, y, z], 0), ((1, 4), (2, 4), (3, 4))),
    OpCase("stack", ("stack",), lambda x, y: sn.stack([x, y]), lambda torch, x, y: torch.stack([x, y]),
           ((3, 4), (3, 4))),
    OpCase("stack-last", ("stack",), lambda x, y: sn.stack([x, y], dim=-1),
           lambda torch, x, y: torch.stack([x, y], dim=-1), ((3, 4), (3, 4))),
    OpCase("split-sizes", ("split",), sn_split_pieces, torch_split_pieces, ((3, 4),)),
    OpCase("split-unused-piece", ("split",), lambda x: sn.split(x, 2)[1] * 2.0,
           lambda torch, x: torch.split(x, 2)[1] * 2.0, ((5, 3),)),
    OpCase("pad-flat", ("pad",), lambda x: sn.pad(x, (1, 2)),
           lambda torch, x: torch.nn.functional.pad(x, (1, 2)), ((3, 4),)),
    OpCase("pad-two-axes-value", ("pad",), lambda x: sn.pad(x, (1, 0, 2, 1), value=0.5),
           lambda torch, x: torch.nn.functional.pad(x, (1, 0, 2, 1), value=0.5), ((2, 3, 4),)),
    OpCase("pad-numpy-widths", ("pad",), lambda x: sn.pad(x, ((0, 1), (2, 0))),
           lambda torch, x: torch.nn.functional.pad(x, (2, 0, 0, 1)), ((3, 4),)),
    OpCase("astype-roundtrip", ("astype",), lambda x: (x.astype("float32") * 3.0).astype("float64"),
           lambda torch, x: (x.float() * 3.0).double(), ((3, 4),), eps=1e-2),
    OpCase("astype-float", ("astype",), lambda x: sn.astype(x, "float64").float(),
           lambda torch, x: x.double().float(), ((3, 4),), eps=1e-2),
    OpCase("where", ("where",), lambda x, y: sn.where(CONDITION, x, y),
           lambda torch, x, y: torch.where(torch.as_tensor(CONDITION), x, y), ((3, 4), (3, 4))),
    OpCase("where-tensor-condition", ("where",), lambda x, y: sn.where(x > y, x, y),
           lambda torch, x, y: torch.where(x > y, x, y), ((3, 4), (3, 4))),
    OpCase("where-broadcast-scalar", ("where",), lambda x: sn.where(CONDITION, x, 0.0),
           lambda torch, x: torch.where(torch.as_tensor(CONDITION), x, 0.0), ((4,),)),
    OpCase("mask-multiply", ("mul",), lambda x: (x > 0) * x, lambda torch, x: (x > 0) * x, ((3, 4),)),
]

MATMUL_CASES = [
    OpCase(f"matmul-{a}x{b}", ("matmul",), lambda x, y: x @ y, lambda torch, x, y: x @ y, (a, b))
    for a, b in [((3, 4), (4, 2)), ((2, 3, 4), (4, 5)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                 ((2, 1, 3, 4), (5, 4, 2)), ((2, 3, 4), (2, 4, 1)), ((4,), (2, 4, 3))]
] + [
    OpCase("matmul-function", ("matmul",), sn.matmul, lambda torch, x, y: torch.matmul(x, y),
           ((2, 3), (3, 2))),
    OpCase("rmatmul-array", ("rmatmul",), lambda x: np.ones((2, 3), x.dtype) @ x,
           lambda torch, x: torch.ones(2, 3, dtype=x.dtype) @ x,
           ((3, 4),)),
]

# name -> (scratchnet op, torch op, domain of the right-hand side)
BINARY_OPS: dict[str, tuple[Callable[..., Any], Callable[..., Any], str]] = {
    "add": (lambda x, y: x + y, lambda x, y: x + y, "real"),
    "sub": (lambda x, y: x - y, lambda x, y: x - y, "real"),
    "mul": (lambda x, y: x * y, lambda x, y: x * y, "real"),
    "div": (lambda x, y: x / y, lambda x, y: x / y, "positive"),
    "pow": (lambda x, y: x ** y, lambda x, y: x ** y, "positive"),
    "maximum": (sn.maximum, lambda x, y: __import__("torch").maximum(x, y), "real"),
    "minimum": (sn.minimum, lambda x, y: __import__("torch").minimum(x, y), "real"),
}
BINARY_FUNCTIONS = {"add": sn.add, "sub": sn.sub, "mul": sn.mul, "div": sn.div, "pow": sn.pow}

# (left shape, right shape): same, scalar either side, trailing, leading, middle, both sides, 0-d both
BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), ()), ((), (2, 3)), ((2, 3, 4), (4,)), ((2, 3, 4), (2, 1, 1)),
                   ((2, 3, 4), (1, 3, 1)), ((2, 1, 4), (3, 1)), ((4,), (3, 1)), ((), ())]


def binary_case(name: str, left: tuple[int, ...], right: tuple[int, ...]) -> OpCase:
    ours, theirs, domain = BINARY_OPS[name]
    return OpCase(f"{name}-{left}-{right}", (name,), ours, lambda torch, x, y: theirs(x, y), (left, right),
                  "positive" if domain == "positive" else "real")


BINARY_CASES = [binary_case(name, a, b) for name in BINARY_OPS for a, b in BROADCAST_PAIRS] + [
    OpCase(f"{name}-function", (name,), function, lambda torch, x, y, name=name: BINARY_OPS[name][1](x, y),
           ((2, 3), (3,)), "positive")
    for name, function in BINARY_FUNCTIONS.items()
]



def set_column(x: Any, v: Any) -> Any:
    """``x[:, 1] = v`` on a non-leaf copy of ``x``: the same code runs in both libraries."""
    y = x * 1.0
    y[:, 1] = v
    return y


def add_in_place(x: Any, y: Any) -> Any:
    """``z += y`` on a non-leaf ``z``: the same code runs in both libraries."""
    z = x * 1.0
    z += y
    return z


# PyTorch's method forms, and the in-place ops recorded in a graph (on a non-leaf: a leaf that
# requires grad cannot be changed in place)
TORCH_STYLE_CASES = [
    OpCase("add-alpha", ("add",), lambda x, y: x.add(y, alpha=2.5), lambda torch, x, y: x.add(y, alpha=2.5),
           ((3, 4), (4,))),
    OpCase("sub-alpha-function", ("sub",), lambda x, y: sn.sub(x, y, alpha=-0.5),
           lambda torch, x, y: torch.sub(x, y, alpha=-0.5), ((3, 4), (3, 1))),
    OpCase("mul-method", ("mul",), lambda x, y: x.mul(y), lambda torch, x, y: x.mul(y), ((3, 4), (3, 4))),
    OpCase("div-method", ("div",), lambda x, y: x.div(y), lambda torch, x, y: x.div(y), ((3, 4), (4,)),
           "positive"),
    OpCase("pow-method", ("pow",), lambda x: x.pow(3), lambda torch, x: x.pow(3), ((3, 4),)),
    OpCase("matmul-method", ("matmul",), lambda x, y: x.matmul(y), lambda torch, x, y: x.matmul(y),
           ((3, 4), (4, 2))),
    OpCase("clone", ("clone",), lambda x: x.clone() * 2.0, lambda torch, x: x.clone() * 2.0, ((3, 4),)),
    OpCase("view_as", ("view_as",), lambda x, y: x.view_as(y) * y, lambda torch, x, y: x.view_as(y) * y,
           ((3, 4), (4, 3))),
    OpCase("reshape_as", ("view_as",), lambda x, y: x.reshape_as(y) * y,
           lambda torch, x, y: x.reshape_as(y) * y, ((2, 6), (3, 4))),
    OpCase("expand_as", ("expand_as",), lambda x, y: x.expand_as(y) * y,
           lambda torch, x, y: x.expand_as(y) * y, ((3, 1), (3, 4))),
    OpCase("t-matrix", ("t",), lambda x: x.t() * 2.0, lambda torch, x: x.t() * 2.0, ((3, 4),)),
    OpCase("t-vector", ("t",), lambda x: x.t() * 2.0, lambda torch, x: x.t() * 2.0, ((5,),)),
    OpCase("to-dtype", ("to",), lambda x: x.to(sn.float64) * x, lambda torch, x: x.to(torch.float64) * x,
           ((3, 4),)),
    OpCase("to-device-dtype", ("to",), lambda x: x.to("cpu", x.dtype, copy=True).exp(),
           lambda torch, x: x.to("cpu", x.dtype, copy=True).exp(), ((3, 4),), "unit"),
    OpCase("type-dtype", ("type_",), lambda x: x.type(sn.float64) * x,
           lambda torch, x: x.type(torch.float64) * x, ((3, 4),)),
    OpCase("add_-alpha", ("add_",), lambda x, y: (x * 1.0).add_(y, alpha=2.0),
           lambda torch, x, y: (x * 1.0).add_(y, alpha=2.0), ((3, 4), (4,))),
    OpCase("iadd-operator", ("add_",), add_in_place, lambda torch, x, y: add_in_place(x, y),
           ((3, 4), (3, 1))),
    OpCase("sub_-alpha", ("sub_",), lambda x, y: (x * 1.0).sub_(y, alpha=0.5),
           lambda torch, x, y: (x * 1.0).sub_(y, alpha=0.5), ((3, 4), (3, 4))),
    OpCase("mul_", ("mul_",), lambda x, y: (x * 1.0).mul_(y), lambda torch, x, y: (x * 1.0).mul_(y),
           ((3, 4), (3, 4))),
    OpCase("div_", ("div_",), lambda x, y: (x * 1.0).div_(y), lambda torch, x, y: (x * 1.0).div_(y),
           ((3, 4), (4,)), "positive"),
    OpCase("clamp_", ("clamp_",), lambda x: (x * 1.0).clamp_(-0.3, 0.4),
           lambda torch, x: (x * 1.0).clamp_(-0.3, 0.4), ((3, 4),)),
    OpCase("fill_", ("fill_",), lambda x: (x * 2.0).fill_(0.5) * x, lambda torch, x: (x * 2.0).fill_(0.5) * x,
           ((3, 4),)),
    OpCase("zero_", ("zero_",), lambda x: (x * 2.0).zero_() + x, lambda torch, x: (x * 2.0).zero_() + x,
           ((3, 4),)),
    OpCase("copy_", ("copy_",), lambda x, y: (x * 1.0).copy_(y) * x,
           lambda torch, x, y: (x * 1.0).copy_(y) * x, ((3, 4), (4,))),
    OpCase("normal_", ("normal_",), lambda x: (x * 1.0).normal_().mul(0.0).add(x),
           lambda torch, x: (x * 1.0).normal_().mul(0.0).add(x), ((3, 4),)),
    OpCase("uniform_", ("uniform_",), lambda x: (x * 1.0).uniform_(-1.0, 1.0).mul(0.0).add(x),
           lambda torch, x: (x * 1.0).uniform_(-1.0, 1.0).mul(0.0).add(x), ((3, 4),)),
    OpCase("setitem", ("setitem",), set_column, lambda torch, x, v: set_column(x, v), ((3, 4), (3,))),
]

REGISTRY = UNARY_CASES + REDUCTION_CASES + SHAPE_CASES + MATMUL_CASES + BINARY_CASES + TORCH_STYLE_CASES


# ---- (a) finite differences and (b) PyTorch ----------------------------------------------------
@pytest.mark.parametrize("case", REGISTRY, ids=lambda c: c.id)
def test_gradient_matches_finite_differences(case: OpCase) -> None:
    check_gradients(case.ours, *make_inputs(case), eps=case.eps)


def compare_with_torch(ours: Callable[..., sn.Tensor], theirs: Callable[..., Any], arrays: list[np.ndarray],
                       dtype: Any = np.float32, rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Same forward values, dtype and shape; same gradients of ``sum(output * probe)``."""
    torch = torch_or_skip()
    arrays = [a.astype(dtype) for a in arrays]
    our_inputs = [sn.tensor(a, requires_grad=True) for a in arrays]
    their_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = ours(*our_inputs), theirs(torch, *their_inputs)
    assert out.dtype == np.dtype(str(expected.dtype).removeprefix("torch.")), (out.dtype, expected.dtype)
    assert_close(out, expected, rtol, atol, "forward")
    probe = np.random.default_rng(1).standard_normal(out.shape).astype(out.dtype)
    (out * sn.tensor(probe)).sum().backward()
    (expected * torch.tensor(probe)).sum().backward()
    for i, (mine, theirs_) in enumerate(zip(our_inputs, their_inputs)):
        assert mine.grad is not None and mine.grad.shape == mine.shape
        assert mine.grad.dtype == mine.dtype
        assert_close(mine.grad, theirs_.grad, rtol, atol, f"gradient of input {i}")


@pytest.mark.parametrize("case", REGISTRY, ids=lambda c: c.id)
def test_forward_and_backward_match_torch(case: OpCase) -> None:
    compare_with_torch(case.ours, case.theirs, make_inputs(case, seed=2))


def test_float64_stays_float64_and_matches_torch_tightly() -> None:
    for case in REGISTRY[:20]:
        if not case.id.startswith("astype"):
            compare_with_torch(case.ours, case.theirs, make_inputs(case, seed=3), np.float64, 1e-10, 1e-12)


# ---- coverage ---------------------------------------------------------------------------------
DIFFERENTIABLE_MODULES = (arithmetic, elementwise, reduction, shape, torch_style, inplace)


def public_functions(module: Any) -> dict[str, Callable[..., Any]]:
    """The public functions defined in ``module`` (aliases included, under each name)."""
    return {name: value for name, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")}


def covered_functions() -> set[int]:
    """ids of the op functions that some registry entry tests (an alias counts for its target)."""
    covered = {name for case in REGISTRY for name in case.covers}
    return {id(function) for module in DIFFERENTIABLE_MODULES
            for name, function in public_functions(module).items() if name in covered}


def test_every_public_differentiable_op_has_a_registry_entry() -> None:
    tested = covered_functions()
    missing = [f"{module.__name__}.{name}" for module in DIFFERENTIABLE_MODULES
               for name, function in public_functions(module).items() if id(function) not in tested]
    assert not missing, f"ops without a gradient test: {missing}"
    exported = [name for name, value in vars(sn).items() if inspect.isfunction(value)
                and value.__module__ in {m.__name__ for m in DIFFERENTIABLE_MODULES}]
    assert len(exported) > 40
    assert not [name for name in exported if id(getattr(sn, name)) not in tested]


def test_every_tensor_method_is_an_op_under_test() -> None:
    tested, non_differentiable = covered_functions(), set(public_functions(comparison).values())
    untested = [name for name, function in methods._METHODS.items()
                if id(function) not in tested and function not in non_differentiable]
    assert not untested, f"Tensor methods without a gradient test: {untested}"


# ---- broadcasting ------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
       name=st.sampled_from(sorted(BINARY_OPS)), seed=st.integers(0, 2 ** 16))
def test_broadcast_gradients_have_input_shapes_and_match_torch(shapes: Any, name: str, seed: int) -> None:
    case = binary_case(name, *shapes.input_shapes)
    arrays = make_inputs(case, seed)
    tensors = [sn.tensor(a, requires_grad=True) for a in arrays]
    out = case.ours(*tensors)
    assert out.shape == shapes.result_shape
    out.sum().backward()
    for tensor in tensors:
        assert tensor.grad is not None and tensor.grad.shape == tensor.shape
    compare_with_torch(case.ours, case.theirs, arrays, np.float64, 1e-9, 1e-11)


@pytest.mark.parametrize("name", sorted(BINARY_OPS))
def test_binary_op_with_incompatible_shapes_names_op_and_shapes(name: str) -> None:
    x, y = sn.ones(2, 3), sn.ones(4)
    with pytest.raises(ValueError) as info:
        BINARY_OPS[name][0](x, y)
    message = str(info.value)
    assert name in message and "(2, 3)" in message and "(4,)" in message, message


def test_shape_op_errors_name_the_shapes() -> None:
    with pytest.raises(ValueError, match=r"expand.*\(3, 1\).*\(-1, 3, 2\)"):
        sn.ones(3, 1).expand(-1, 3, 2)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 4\)"):
        sn.ones(3).broadcast_to(2, 4)
    with pytest.raises(ValueError, match=r"permute.*\(2, 3\)"):
        sn.ones(2, 3).permute(0, 0)
    with pytest.raises(ValueError, match=r"split.*\[1, 1\].*3"):
        sn.split(sn.ones(3), [1, 1])
    with pytest.raises(ValueError, match=r"stack.*\(2,\).*\(3,\)"):
        sn.stack([sn.ones(2), sn.ones(3)])
    with pytest.raises(ValueError, match=r"concat.*\(2, 3\).*\(2, 4\)"):
        sn.concat([sn.ones(2, 3), sn.ones(2, 4)])
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        sn.ones(2, 3).sum(axis=2)


def test_matmul_shape_error_names_op_and_shapes() -> None:
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        sn.ones(2, 3) @ sn.ones(4, 5)


# ---- no gradient -------------------------------------------------------------------------------
NON_DIFFERENTIABLE = {
    "equal": lambda x: x == 0.5, "not_equal": lambda x: x != 0.5, "less": lambda x: x < 0.5,
    "less_equal": lambda x: x <= 0.5, "greater": lambda x: x > 0.5, "greater_equal": lambda x: x >= 0.5,
    "argmax": lambda x: x.argmax(axis=1), "argmin": lambda x: sn.argmin(x, dim=0),
    "astype": lambda x: x.astype("int64"),
    "all": lambda x: x.all(dim=1), "any": lambda x: (x - 0.1).any(0),
}


@pytest.mark.parametrize("name", sorted(NON_DIFFERENTIABLE))
def test_non_differentiable_ops_refuse_backward_with_a_clear_error(name: str) -> None:
    x = sn.tensor(np.arange(12.0).reshape(3, 4) / 10, requires_grad=True)
    out = NON_DIFFERENTIABLE[name](x)
    assert not out.requires_grad and out.dtype.kind in "bi"
    with pytest.raises(RuntimeError, match=rf"{name}.*no gradient"):
        out.astype("float32").sum().backward()
    assert x.grad is None


def test_every_comparison_is_listed_as_non_differentiable() -> None:
    assert set(public_functions(comparison)) - {"non_differentiable"} <= set(NON_DIFFERENTIABLE)


def test_comparisons_and_argmax_match_torch() -> None:
    torch = torch_or_skip()
    values = np.array([[0.1, 0.5, 0.9], [0.7, 0.2, 0.5]], dtype=np.float32)
    x, t = sn.tensor(values), torch.tensor(values)
    for name, op in NON_DIFFERENTIABLE.items():
        if name != "astype":
            assert_close(op(x), op(t) if name not in ("argmax", "argmin") else
                         (t.argmax(dim=1) if name == "argmax" else t.argmin(dim=0)), what=name)


# ---- kinks and ties: the subgradient PyTorch picks -------------------------------------------------
KINKS = {
    "relu": (lambda x: x.relu(), lambda torch, x: x.relu()),
    "abs": (lambda x: x.abs(), lambda torch, x: x.abs()),
    "clip": (lambda x: x.clip(-1.0, 1.0), lambda torch, x: x.clamp(-1.0, 1.0)),
    "max-ties": (lambda x: x.max(), lambda torch, x: x.amax()),
    "max-axis-ties": (lambda x: x.max(axis=0), lambda torch, x: x.amax(dim=0)),
    "min-ties": (lambda x: x.min(dim=1, keepdim=True), lambda torch, x: x.amin(dim=1, keepdim=True)),
    "maximum-ties": (lambda x: sn.maximum(x, x.T), lambda torch, x: torch.maximum(x, x.T)),
    "minimum-ties": (lambda x: sn.minimum(x, 0.0), lambda torch, x: torch.minimum(x, torch.zeros(()))),
}


@pytest.mark.parametrize("name", sorted(KINKS))
def test_gradients_at_kinks_and_ties_match_torch(name: str) -> None:
    values = np.array([[0.0, 1.0, -1.0], [1.0, 0.0, 1.0], [-1.0, 1.0, 0.0]])
    compare_with_torch(*KINKS[name], [values], np.float64, 1e-12, 1e-12)


def test_relu_gradient_at_nan_and_infinity_matches_torch() -> None:
    """PyTorch's ReLU backward zeroes the gradient where y ≤ 0 only: a NaN passes it through."""
    values = np.array([[np.nan, -np.inf, np.inf], [0.0, -2.0, 3.0]])
    compare_with_torch(*KINKS["relu"], [values], np.float32, 0.0, 0.0)
