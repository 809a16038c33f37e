"""Every fast kernel of ``scratchnet.functional`` against the book formula in ``scratchnet.reference``:
forward values and every gradient, for many shapes and odd sizes, in float64 and float32, and with
the inputs in every memory layout a kernel meets (C order, Fortran order, the (C, N, H, W) memory
the convolution returns seen as NCHW, channels-last, strided and reversed slices).

Each case runs the kernel through autograd with a random upstream gradient ``dout`` and the
reference forward and backward on the same plain arrays; both must agree to rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import scratchnet as sn
import scratchnet.functional as F
from scratchnet import reference as R

TOLERANCES = {np.float64: (1e-9, 1e-11), np.float32: (2e-4, 2e-5)}
"""(rtol, atol) per dtype: float64 agrees to rounding; float32 sums in other orders."""


def stored_as(x: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    """``x`` with its axes stored in ``order`` (outermost first)."""
    return np.ascontiguousarray(x.transpose(order)).transpose(np.argsort(order))


def strided(x: np.ndarray) -> np.ndarray:
    """``x`` as a view with a step of 2 on every axis into a larger array (no axis contiguous)."""
    big = np.zeros(tuple(2 * n + 1 for n in x.shape), x.dtype)
    view = big[tuple(slice(1, None, 2) for _ in x.shape)]
    view[...] = x
    return view


def reversed_view(x: np.ndarray) -> np.ndarray:
    """``x`` as a view with negative strides on every axis."""
    flipped = tuple(slice(None, None, -1) for _ in x.shape)
    return np.ascontiguousarray(x[flipped])[flipped]


LAYOUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "C": np.ascontiguousarray,
    "F": np.asfortranarray,
    "planes": lambda x: stored_as(x, (1, 0, 2, 3)) if x.ndim == 4 else x,
    "channels_last": lambda x: stored_as(x, (0, 2, 3, 1)) if x.ndim == 4 else x,
    "strided": strided,
    "reversed": reversed_view,
}
"""Name → the same values stored another way (4-D orders apply to 4-D arrays only)."""


@dataclass
class Case:
    """A kernel and its reference: ``fast(*tensors)`` is the kernel; ``forward(*arrays)`` and
    ``backward(dout, *arrays)`` are the book formulas, the latter returning one gradient per
    differentiable input (in order). ``shapes`` are those of the float inputs; ``extra`` makes
    the non-float inputs (labels, indices) from a generator; ``ties`` rounds the inputs to
    halves, so that windows hold equal maxima; ``float64_tolerance`` widens float64's
    (rtol, atol) for a kernel that approximates its formula."""

    fast: Callable[..., Any]
    forward: Callable[..., np.ndarray]
    backward: Callable[..., tuple[np.ndarray, ...]]
    shapes: tuple[tuple[int, ...], ...]
    extra: Callable[[np.random.Generator], tuple[np.ndarray, ...]] = lambda rng: ()
    ties: bool = False
    float64_tolerance: tuple[float, float] = TOLERANCES[np.float64]


def _conv(stride: Any, pad: Any, dilation: Any, groups: int, bias: bool) -> dict[str, Any]:
    def fast(x, w, *b):
        return F.conv2d(x, w, b[0] if b else None, stride, pad, dilation, groups)

    def forward(x, w, *b):
        return R.conv2d(x, w, b[0] if b else None, stride, pad, dilation, groups)

    def backward(dout, x, w, *b):
        dx, dw, db = R.conv2d_backward(dout, x, w, stride, pad, dilation, groups)
        return (dx, dw, db) if b else (dx, dw)

    return {"fast": fast, "forward": forward, "backward": backward}


def conv_case(x_shape, w_shape, stride=1, pad=0, dilation=1, groups=1, bias=True) -> Case:
    """conv2d with the given geometry (bias of the weight's out-channels when ``bias``)."""
    shapes = (x_shape, w_shape) + (((w_shape[0],),) if bias else ())
    return Case(shapes=shapes, **_conv(stride, pad, dilation, groups, bias))


def pool_case(kind: str, x_shape, pool, stride, pad=0, count_include_pad=True) -> Case:
    """max_pool2d / avg_pool2d against the im2col pooling of book 1."""
    if kind == "max":
        def backward(dout, x):
            argmax = R.max_pool(x, pool, stride, pad)[1]
            return (R.max_pool_backward(dout, argmax, x.shape, pool, stride, pad),)
        return Case(lambda x: F.max_pool2d(x, pool, stride, pad),
                    lambda x: R.max_pool(x, pool, stride, pad)[0], backward, (x_shape,))
    return Case(lambda x: F.avg_pool2d(x, pool, stride, pad, count_include_pad),
                lambda x: R.avg_pool(x, pool, stride, pad, count_include_pad),
                lambda dout, x: (R.avg_pool_backward(dout, x.shape, pool, stride, pad, count_include_pad),),
                (x_shape,))


def batch_norm_case(x_shape, training: bool) -> Case:
    """batch_norm in training (batch statistics) or evaluation (running statistics)."""
    c = x_shape[1]
    running = (np.linspace(-0.5, 0.5, c), np.linspace(0.5, 2.0, c))

    def stats(x):
        return {} if training else {"running_mean": running[0].astype(x.dtype),
                                    "running_var": running[1].astype(x.dtype)}

    def fast(x, g, b):
        s = stats(x.array)
        return F.batch_norm(x, s.get("running_mean"), s.get("running_var"), g, b, training=training)

    return Case(fast, lambda x, g, b: R.batch_norm(x, g, b, 1e-5, **stats(x))[0],
                lambda dout, x, g, b: R.batch_norm_backward(dout, R.batch_norm(x, g, b, 1e-5, **stats(x))[1]),
                (x_shape, (c,), (c,)))


def labels(n: int, classes: int) -> Callable[[np.random.Generator], tuple[np.ndarray]]:
    """A maker of ``n`` integer labels below ``classes``."""
    return lambda rng: (rng.integers(0, classes, n),)


def cross_entropy_case(n: int, classes: int, weighted: bool = False, smoothing: float = 0.0,
                       ignore: bool = False, reduction: str = "mean") -> Case:
    """cross_entropy of logits with integer labels: the reference's coefficient matrix
    q = ((1 − ε)·one-hot + ε/C)·w on kept rows, divided by Σ w_label (mean) or 1 (sum)."""
    weight = np.linspace(0.5, 2.0, classes) if weighted else None

    def coefficients(x, t):
        w = np.ones(classes) if weight is None else weight
        kept = t != (0 if ignore else -100)
        q = ((1 - smoothing) * np.eye(classes)[t] + smoothing / classes) * w * kept[:, None]
        denominator = (w[t] * kept).sum() if reduction == "mean" else 1.0
        return q.astype(x.dtype), denominator

    def fast(x, t):
        w = None if weight is None else weight.astype(x.dtype)
        return F.cross_entropy(x, t, w, 0 if ignore else -100, reduction, smoothing)

    return Case(fast, lambda x, t: R.softmax_cross_entropy(x, *coefficients(x, t)),
                lambda dout, x, t: (R.softmax_cross_entropy_backward(dout, x, *coefficients(x, t)),),
                ((n, classes),), labels(n, classes))


def soft_cross_entropy_case(n: int, classes: int) -> Case:
    """cross_entropy with probability targets: the gradients for logits and for the targets."""
    def backward(dout, x, t):
        log_y = R.log_softmax(x, axis=1)
        return R.softmax_cross_entropy_backward(dout, x, t), -dout * log_y / x.dtype.type(len(x))

    def forward(x, t):
        return R.softmax_cross_entropy(x, t)

    return Case(lambda x, t: F.cross_entropy(x, F.softmax(t, dim=1)),
                lambda x, t: forward(x, R.softmax(t, axis=1)),
                lambda dout, x, t: _through_softmax(backward(dout, x, R.softmax(t, axis=1)), t),
                ((n, classes), (n, classes)))


def _through_softmax(grads: tuple[np.ndarray, np.ndarray], t_logits: np.ndarray) -> tuple[np.ndarray, ...]:
    """(dx, d t_logits) from (dx, dt) for t = softmax(t_logits) (the targets are made by softmax)."""
    dx, dt = grads
    return dx, R.softmax_backward(dt, R.softmax(t_logits, axis=1), axis=1)


def _bce_fast(x, t):
    return F.binary_cross_entropy(F.sigmoid(x), F.sigmoid(t), reduction="sum")


def _bce_backward(dout, x, t):
    """Gradients of Σ BCE(σ(x), σ(t)) for x and t (probabilities kept inside (0, 1) by σ)."""
    px, pt = R.sigmoid(x), R.sigmoid(t)
    dpx, dpt = R.binary_cross_entropy_backward(np.full_like(x, dout), px, pt)
    return R.sigmoid_backward(dpx, px), R.sigmoid_backward(dpt, pt)


def _bce_logits_fast(x, t):
    return F.binary_cross_entropy_with_logits(x, F.sigmoid(t), reduction="sum", pos_weight=sn.tensor(
        np.linspace(0.5, 3.0, x.shape[-1]).astype(x.dtype)))


def _bce_logits_backward(dout, x, t):
    p, pt = np.linspace(0.5, 3.0, x.shape[-1]).astype(x.dtype), R.sigmoid(t)
    dx, dpt = R.binary_cross_entropy_with_logits_backward(np.full_like(x, dout), x, pt, p)
    return dx, R.sigmoid_backward(dpt, pt)


def _embedding_case(rows: int, dim: int, index_shape: tuple[int, ...]) -> Case:
    def fast(w, i):
        return F.embedding(i, w)

    return Case(fast, lambda w, i: R.embedding(i, w),
                lambda dout, w, i: (R.embedding_backward(dout, i, rows),), ((rows, dim),),
                lambda rng: (rng.integers(0, rows, index_shape),))


def _linear_backward(dout, x, w, b):
    rows = x.reshape(-1, x.shape[-1])
    dx, dwt = R.matmul_backward(dout.reshape(-1, w.shape[0]), rows, w.T)
    return dx.reshape(x.shape), dwt.T, R.add_bias_backward(dout, b.shape)[1]


IMAGES = ((3, 4, 5, 6),)
"""The float input of the elementwise cases: a small batch of odd-sized images."""


def elementwise(fast: Callable[..., Any], forward: Callable[..., np.ndarray],
                backward: Callable[..., np.ndarray], shapes=IMAGES, **options: Any) -> Case:
    """A one-input case whose reference backward returns a single array."""
    return Case(fast, forward, lambda d, x: (backward(d, x),), shapes, **options)


def _softmax_case(axis: int, log: bool, shape: tuple[int, ...]) -> Case:
    if log:
        return elementwise(lambda x: F.log_softmax(x, axis), lambda x: R.log_softmax(x, axis),
                           lambda d, x: R.log_softmax_backward(d, R.log_softmax(x, axis), axis), (shape,))
    return elementwise(lambda x: F.softmax(x, axis), lambda x: R.softmax(x, axis),
                       lambda d, x: R.softmax_backward(d, R.softmax(x, axis), axis), (shape,))


def _linear_forward(x, w, b):
    return R.add_bias(R.matmul(x, w.T), b)


def _bce_forward(x, t):
    return R.binary_cross_entropy(R.sigmoid(x), R.sigmoid(t)).sum()


def _bce_logits_forward(x, t):
    return R.binary_cross_entropy_with_logits(x, R.sigmoid(t), np.linspace(0.5, 3.0, 4).astype(x.dtype)).sum()


def _adaptive_case(x_shape, out: tuple[int, int]) -> Case:
    """adaptive_avg_pool2d against average pooling with windows of size // out."""
    kernel = (x_shape[2] // out[0], x_shape[3] // out[1])
    return elementwise(lambda x: F.adaptive_avg_pool2d(x, out), lambda x: R.avg_pool(x, kernel, kernel),
                       lambda d, x: R.avg_pool_backward(d, x.shape, kernel, kernel), (x_shape,))


def _tied(case: Case) -> Case:
    """``case`` on inputs rounded to halves (windows with equal maxima)."""
    return Case(**{**vars(case), "ties": True})


CASES: dict[str, Case] = {
    "relu": elementwise(F.relu, R.relu, R.relu_backward),
    "relu (2-D, odd)": elementwise(F.relu, R.relu, R.relu_backward, ((13, 7),)),
    "sigmoid": elementwise(F.sigmoid, R.sigmoid, lambda d, x: R.sigmoid_backward(d, R.sigmoid(x))),
    "leaky_relu": elementwise(lambda x: F.leaky_relu(x, 0.1), lambda x: R.leaky_relu(x, 0.1),
                              lambda d, x: R.leaky_relu_backward(d, x, 0.1)),
    "elu": elementwise(lambda x: F.elu(x, 0.7), lambda x: R.elu(x, 0.7),
                       lambda d, x: R.elu_backward(d, x, 0.7)),
    "gelu": elementwise(F.gelu, R.gelu, R.gelu_backward,
                        float64_tolerance=(3e-7, 1e-7)),  # the kernel's erf is a fit good to 1.2e-7
    "gelu tanh": elementwise(lambda x: F.gelu(x, "tanh"), lambda x: R.gelu(x, "tanh"),
                             lambda d, x: R.gelu_backward(d, x, "tanh")),
    "softmax rows": _softmax_case(1, False, (7, 11)),
    "softmax channels": _softmax_case(1, False, (3, 4, 5, 6)),
    "log_softmax last": _softmax_case(-1, True, (3, 4, 5, 6)),
    "log_softmax rows": _softmax_case(1, True, (1, 9)),
    "linear": Case(F.linear, _linear_forward, _linear_backward, ((9, 7), (5, 7), (5,))),
    "linear 3-d input": Case(F.linear, _linear_forward, _linear_backward, ((2, 3, 7), (5, 7), (5,))),
    "embedding": _embedding_case(6, 5, (4, 3)),
    "conv2d 3x3": conv_case((2, 3, 7, 6), (4, 3, 3, 3), pad=1),
    "conv2d 1x1": conv_case((3, 5, 4, 5), (2, 5, 1, 1), bias=False),
    "conv2d stride 2, 3x2": conv_case((2, 3, 9, 8), (4, 3, 3, 2), stride=2, pad=(1, 0)),
    "conv2d strides (2, 3)": conv_case((2, 2, 11, 10), (3, 2, 3, 3), stride=(2, 3), pad=2),
    "conv2d dilation 2": conv_case((2, 3, 9, 9), (4, 3, 3, 3), dilation=2, pad=1),
    "conv2d groups 2": conv_case((2, 4, 6, 5), (6, 2, 3, 3), groups=2, pad=1),
    "conv2d 5x5 on 28x28 (the tutorial CNN)": conv_case((2, 1, 28, 28), (3, 1, 5, 5)),
    "max_pool2d 2x2": pool_case("max", (2, 3, 8, 6), 2, 2),
    "max_pool2d 3x3 s2 p1 (overlapping)": pool_case("max", (2, 3, 9, 7), 3, 2, 1),
    "max_pool2d 2x3 s1 (odd)": pool_case("max", (3, 2, 5, 7), (2, 3), 1),
    "max_pool2d 3x3 s2 p1, tied maxima": _tied(pool_case("max", (2, 3, 9, 7), 3, 2, 1)),
    "max_pool2d 2x2, tied maxima": _tied(pool_case("max", (2, 3, 8, 6), 2, 2)),
    "avg_pool2d 2x2": pool_case("avg", (2, 3, 8, 6), 2, 2),
    "avg_pool2d 3x3 s2 p1": pool_case("avg", (2, 3, 9, 7), 3, 2, 1),
    "avg_pool2d 3x3 s2 p1 without padding": pool_case("avg", (2, 3, 9, 7), 3, 2, 1, count_include_pad=False),
    "adaptive_avg_pool2d": _adaptive_case((2, 3, 6, 6), (2, 3)),
    "batch_norm (N, C)": batch_norm_case((9, 4), training=True),
    "batch_norm (N, C, H, W)": batch_norm_case((3, 4, 5, 6), training=True),
    "batch_norm (N, C, L)": batch_norm_case((3, 4, 7), training=True),
    "batch_norm evaluation": batch_norm_case((3, 4, 5, 6), training=False),
    "cross_entropy": cross_entropy_case(8, 5),
    "cross_entropy sum": cross_entropy_case(8, 5, reduction="sum"),
    "cross_entropy weighted": cross_entropy_case(8, 5, weighted=True),
    "cross_entropy smoothing, ignore_index": cross_entropy_case(9, 4, True, smoothing=0.2, ignore=True),
    "cross_entropy probabilities": soft_cross_entropy_case(6, 5),
    "binary_cross_entropy": Case(_bce_fast, _bce_forward, _bce_backward, ((5, 4), (5, 4))),
    "binary_cross_entropy_with_logits": Case(_bce_logits_fast, _bce_logits_forward, _bce_logits_backward,
                                             ((5, 4), (5, 4))),
}


def run_fast(case: Case, arrays: list[np.ndarray], extra: tuple[np.ndarray, ...],
             dout: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The kernel's output, the upstream gradient used, and the gradient of every float input."""
    tensors = [sn.Tensor.wrap(a).requires_grad_(True) for a in arrays]
    y = case.fast(*tensors, *[sn.Tensor.wrap(e) for e in extra])
    if dout is None:
        dout = np.random.default_rng(7).standard_normal(y.shape).astype(y.dtype)
    y.backward(sn.Tensor.wrap(np.asarray(dout, dtype=y.dtype)))
    return y.numpy(), dout, [t.grad.numpy() for t in tensors]


def make_inputs(case: Case, dtype: type, layout: str) -> tuple[list[np.ndarray], tuple[np.ndarray, ...]]:
    """Random float inputs of the case's shapes in ``dtype`` stored as ``layout``, and its extras."""
    rng = np.random.default_rng(sum(map(sum, case.shapes)))
    arrays = [rng.standard_normal(shape) for shape in case.shapes]
    arrays = [np.round(a * 2) / 2 if case.ties else a for a in arrays]
    arrays = [LAYOUTS[layout](a.astype(dtype)) for a in arrays]
    return arrays, case.extra(rng)


def check_case(case: Case, dtype: type, layout: str) -> None:
    """The kernel's forward and gradients equal the reference's on the same inputs."""
    arrays, extra = make_inputs(case, dtype, layout)
    y, dout, grads = run_fast(case, arrays, extra)
    plain = [np.ascontiguousarray(a) for a in arrays]
    expected_y = case.forward(*plain, *extra)
    expected_grads = case.backward(dout, *plain, *extra)
    rtol, atol = case.float64_tolerance if dtype == np.float64 else TOLERANCES[dtype]
    assert y.dtype == dtype and np.asarray(expected_y).dtype == dtype, (y.dtype, np.asarray(expected_y).dtype)
    np.testing.assert_allclose(y, expected_y, rtol, atol, err_msg="forward")
    assert len(grads) == len(expected_grads)
    for index, (ours, book) in enumerate(zip(grads, expected_grads)):
        assert ours.shape == book.shape, f"gradient {index}: shape {ours.shape} != {book.shape}"
        np.testing.assert_allclose(ours, book, rtol, atol, err_msg=f"gradient of input {index}")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", CASES)
def test_kernel_equals_reference(name, dtype, layout):
    """Forward and every input gradient of the fast kernel equal the book formula's."""
    check_case(CASES[name], dtype, layout)


@pytest.mark.parametrize("layout", ["C", "planes", "channels_last", "strided"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("kernel, stride, pad",
                         [((3, 3), 1, 1), ((3, 2), 2, 0), ((2, 2), (2, 3), 2), ((1, 1), 1, 0)])
def test_im2col_and_col2im_equal_the_lessons(layout, dtype, kernel, stride, pad):
    """The fast im2col (strided window view, one copy) gives lesson 3-2's matrix, and the fast
    col2im its adjoint: the same image from the same columns."""
    x = LAYOUTS[layout](np.random.default_rng(3).standard_normal((2, 3, 7, 8)).astype(dtype))
    cols = R.im2col(np.ascontiguousarray(x), *kernel, stride, pad)
    np.testing.assert_array_equal(F.im2col(x, kernel, stride, pad), cols)
    dcols = np.random.default_rng(4).standard_normal(cols.shape).astype(dtype)
    rtol, atol = TOLERANCES[dtype]
    np.testing.assert_allclose(F.col2im(dcols, x.shape, kernel, stride, pad),
                               R.col2im(dcols, x.shape, *kernel, stride, pad), rtol, atol)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("kind", ["dropout", "dropout2d"])
def test_dropout_equals_reference_for_its_mask(kind, dtype, layout):
    """Dropout's output and gradient are the reference's x · keep / (1 − p) for the mask it drew
    (read back from the zeros of its output; the inputs have none), and dropout2d's mask keeps
    or drops whole channels."""
    sn.manual_seed(5)
    x = LAYOUTS[layout](np.random.default_rng(6).uniform(0.5, 1.5, (4, 6, 5, 3)).astype(dtype))
    fast = F.dropout if kind == "dropout" else F.dropout2d
    y, dout, (dx,) = run_fast(Case(lambda t: fast(t, 0.3), None, None, ()), [x], ())
    keep = y != 0
    assert 0 < keep.mean() < 1
    if kind == "dropout2d":
        np.testing.assert_array_equal(keep.all(axis=(2, 3)), keep.any(axis=(2, 3)))
    rtol, atol = TOLERANCES[dtype]
    np.testing.assert_allclose(y, R.dropout(np.ascontiguousarray(x), keep, 0.3), rtol, atol)
    np.testing.assert_allclose(dx, R.dropout_backward(dout, keep, 0.3), rtol, atol)
