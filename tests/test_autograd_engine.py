"""The backward engine and the Tensor around it: deep graphs, accumulation, retain_graph,
higher-order gradients, GradientTape, no_grad, dtype policy, errors, creation API, memory."""

from __future__ import annotations

import gc
import os
import weakref

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.autograd.function import Function
from tests.reference import assert_close, check_gradients, torch_or_skip


# ---- graph walking ------------------------------------------------------------------------------
def test_backward_through_a_100000_node_chain_does_not_recurse() -> None:
    x = sn.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y = y + x
    y.backward()
    assert y.creator is not None and x.grad.item() == 2.0


def test_wide_fan_out_and_fan_in_accumulates_every_path() -> None:
    x = sn.tensor([1.0, 2.0], requires_grad=True)
    total = sum((x * float(k) for k in range(1, 101)), start=sn.zeros(2))
    total.sum().backward()
    assert_close(x.grad, np.full(2, 5050.0, np.float32))


def test_diamond_graph_runs_each_backward_once_after_all_consumers() -> None:
    calls = []

    class Spy(Function):
        def forward(self, x: np.ndarray) -> np.ndarray:
            return x * 2

        def backward(self, gy: np.ndarray) -> np.ndarray:
            calls.append(gy.copy())
            return gy * 2.0

    x = sn.tensor([1.0, 3.0], requires_grad=True)
    h = Spy()(x)
    (h * h + h.sin()).sum().backward()
    assert len(calls) == 1
    h_value = np.array([2.0, 6.0])
    assert_close(calls[0], (2 * h_value + np.cos(h_value)).astype(np.float32), rtol=1e-6)
    assert_close(x.grad, (2 * (2 * h_value + np.cos(h_value))).astype(np.float32), rtol=1e-6)


def test_backward_runs_on_arrays_and_on_tensors_when_the_graph_is_recorded() -> None:
    seen = []

    class Cube(Function):
        def forward(self, x: np.ndarray) -> np.ndarray:
            return x ** 3

        def backward(self, gy: object) -> object:
            (x,) = self.input_values()
            seen.append((type(gy), type(x)))
            return gy * 3 * x * x

    x = sn.tensor([0.5, -2.0], dtype="float64", requires_grad=True)
    Cube()(x).sum().backward()
    assert seen == [(np.ndarray, np.ndarray)]
    assert isinstance(x.grad, sn.Tensor) and x.grad.creator is None
    x.grad = None
    Cube()(x).sum().backward(create_graph=True)
    assert seen[1] == (sn.Tensor, sn.Tensor)
    first = x.grad
    x.grad = None
    first.sum().backward()   # d/dx of 3x² is 6x: the same formula, recorded
    assert_close(x.grad, 6 * np.array([0.5, -2.0]), rtol=1e-12)


def test_a_function_called_on_arrays_computes_without_recording() -> None:
    from scratchnet.ops.elementwise import Exp

    values = np.array([0.0, 1.0], np.float32)
    result = Exp()(values)
    assert type(result) is np.ndarray
    np.testing.assert_array_equal(result, np.exp(values))


def test_broadcast_to_copies_small_results_and_views_large_ones() -> None:
    small = sn.tensor(np.arange(3.0)).broadcast_to(4, 3)
    large = sn.tensor(np.arange(3.0)).broadcast_to(100_000, 3)
    np.testing.assert_array_equal(small.numpy(), np.broadcast_to(np.arange(3.0, dtype=np.float32), (4, 3)))
    assert small.numpy().flags.owndata
    assert not large.numpy().flags.owndata and large.numpy().strides[0] == 0


def test_only_the_part_of_the_graph_that_needs_gradients_is_recorded() -> None:
    constant = sn.tensor([1.0, 2.0])
    assert (constant * 3.0).creator is None
    w = sn.tensor([0.5, 0.5], requires_grad=True)
    y = constant * 3.0 + w
    y.sum().backward()
    assert constant.grad is None and w.grad is not None


# ---- accumulation and retain_graph --------------------------------------------------------------
def test_gradients_accumulate_across_two_backward_calls() -> None:
    x = sn.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    assert_close(x.grad, np.array([2.0 + 3.0, 4.0 + 3.0], np.float32))


def test_second_backward_without_retain_graph_raises_clearly() -> None:
    x = sn.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward_that_accumulates() -> None:
    torch = torch_or_skip()
    values = np.array([0.3, -1.2, 2.0], np.float32)
    x, t = sn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    y, u = (x.tanh() * x).sum(), (t.tanh() * t).sum()
    y.backward(retain_graph=True)
    u.backward(retain_graph=True)
    y.backward()
    u.backward()
    assert_close(x.grad, t.grad, rtol=1e-6)


def test_backward_with_an_explicit_gradient() -> None:
    x = sn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(sn.tensor([1.0, 0.0, 2.0]))
    assert_close(x.grad, np.array([2.0, 0.0, 12.0], np.float32))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        (x * x).backward(np.ones(2))


def test_backward_on_a_non_scalar_without_gradient_says_so() -> None:
    x = sn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"one element.*\(2,\)"):
        (x * 2.0).backward()


def test_backward_on_a_tensor_outside_the_graph_says_why() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        sn.tensor([1.0]).sum().backward()
    x = sn.tensor([1.0], requires_grad=True)
    with sn.no_grad():
        y = x * 2.0
    with pytest.raises(RuntimeError, match="no_grad"):
        y.sum().backward()


# ---- higher-order gradients ---------------------------------------------------------------------
SECOND_DERIVATIVES = {
    "cube": (lambda x: x ** 3, lambda x: 6 * x),
    "sin": (lambda x: x.sin(), lambda x: -np.sin(x)),
    "exp": (lambda x: x.exp(), np.exp),
    "tanh": (lambda x: x.tanh(), lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
    "log": (lambda x: x.log(), lambda x: -1 / x ** 2),
}


@pytest.mark.parametrize("name", sorted(SECOND_DERIVATIVES))
def test_second_derivative_with_create_graph(name: str) -> None:
    function, expected = SECOND_DERIVATIVES[name]
    values = np.array([0.3, 0.9, 1.7])
    x = sn.tensor(values, dtype="float64", requires_grad=True)
    function(x).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    x.grad = None
    first.sum().backward()
    assert_close(x.grad, expected(values), rtol=1e-10, atol=1e-12)


def test_higher_order_gradients_match_torch_autograd_grad() -> None:
    torch = torch_or_skip()
    values = np.array([[0.4, -0.7], [1.1, 0.2]])
    x, y = sn.tensor(values, requires_grad=True), sn.tensor(values.T * 0.5, requires_grad=True)
    tx, ty = torch.tensor(values, requires_grad=True), torch.tensor(values.T * 0.5, requires_grad=True)

    def f(lib, a, b):
        column_max = a.sin().max(dim=0, keepdim=True) if lib is sn else a.sin().amax(dim=0, keepdim=True)
        smooth = lib.tanh(a * b) * a + (a @ b).sigmoid() * b * b + a ** 2 / (b * b + 1.0)
        return (smooth - (a - b).exp().mean() + lib.sqrt(b * b + 1.0) * column_max).sum()

    f(sn, x, y).backward(create_graph=True)
    gx, gy = x.grad, y.grad
    tgx, tgy = torch.autograd.grad(f(torch, tx, ty), (tx, ty), create_graph=True)
    assert_close(gx, tgx, 1e-10, 1e-12, "first x")
    assert_close(gy, tgy, 1e-10, 1e-12, "first y")
    x.grad = y.grad = None
    (gx * gx).sum().backward()       # mixed partials: d/dx and d/dy of |∂f/∂x|²
    txx, tyx = torch.autograd.grad((tgx * tgx).sum(), (tx, ty))
    assert_close(x.grad, txx, 1e-10, 1e-12, "second xx")
    assert_close(y.grad, tyx, 1e-10, 1e-12, "second yx")


def test_nested_tapes_give_second_derivatives() -> None:
    x = sn.Variable(1.5)
    with sn.GradientTape() as outer:
        with sn.GradientTape() as inner:
            y = x ** 3
        dy = inner.gradient(y, x)
    assert_close(dy, np.array(3 * 1.5 ** 2, np.float32))
    assert_close(outer.gradient(dy, x), np.array(6 * 1.5, np.float32))


def test_mixed_partial_of_a_product() -> None:
    x = sn.tensor(2.0, dtype="float64", requires_grad=True)
    y = sn.tensor(3.0, dtype="float64", requires_grad=True)
    with sn.GradientTape(persistent=True) as tape:
        z = x * x * y
        dz_dx = tape.gradient(z, x)       # 2xy
    assert dz_dx.item() == 12.0
    assert tape.gradient(dz_dx, y).item() == 4.0   # 2x
    assert tape.gradient(dz_dx, x).item() == 6.0   # 2y


def test_third_derivative() -> None:
    x = sn.tensor(0.5, dtype="float64", requires_grad=True)
    with sn.GradientTape(persistent=True) as tape:
        y = x ** 4
        d1 = tape.gradient(y, x)
        d2 = tape.gradient(d1, x)
        d3 = tape.gradient(d2, x)
    assert_close(d3, np.array(24 * 0.5))


# ---- GradientTape -------------------------------------------------------------------------------
def test_tape_returns_gradients_in_the_structure_of_sources_and_none_for_unconnected() -> None:
    a, b, c = sn.Variable([1.0, 2.0]), sn.Variable(3.0), sn.Variable([5.0])
    with sn.GradientTape(persistent=True) as tape:
        y = (a * b).sum()
    grads = tape.gradient(y, [a, b, c])
    assert isinstance(grads, list) and grads[2] is None
    assert_close(grads[0], np.array([3.0, 3.0], np.float32))
    assert_close(grads[1], np.array(3.0, np.float32))
    as_tuple = tape.gradient(y, (b, c))
    assert isinstance(as_tuple, tuple) and as_tuple[1] is None
    assert isinstance(tape.gradient(y, a), sn.Tensor)
    assert a.grad is None and b.grad is None


def test_tape_watch_tracks_a_constant_and_non_persistent_tape_is_single_use() -> None:
    x = sn.constant([1.0, 2.0])
    with sn.GradientTape() as tape:
        tape.watch(x)
        y = (x * x).sum()
    assert_close(tape.gradient(y, x), np.array([2.0, 4.0], np.float32))
    assert not x.requires_grad
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, x)


def test_tape_target_not_depending_on_sources() -> None:
    x, w = sn.Variable(1.0), sn.Variable(2.0, trainable=False)
    with sn.GradientTape() as tape:
        y = w * 3.0
    assert tape.gradient(y, [x, w]) == [None, None]


def test_tape_non_scalar_target_is_summed_like_tensorflow() -> None:
    x = sn.Variable([1.0, 2.0, 3.0])
    with sn.GradientTape() as tape:
        y = x * x
    assert_close(tape.gradient(y, x), np.array([2.0, 4.0, 6.0], np.float32))


def test_tape_records_even_inside_no_grad() -> None:
    x = sn.Variable(2.0)
    with sn.no_grad(), sn.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x).item() == 4.0


# ---- no_grad, detach ----------------------------------------------------------------------------
def test_no_grad_records_no_graph_and_restores_the_mode() -> None:
    x = sn.tensor([1.0], requires_grad=True)
    with sn.no_grad():
        y = x * 2.0 + 1.0
        assert not sn.is_grad_enabled()
        with sn.enable_grad():
            z = x * 2.0
    assert sn.is_grad_enabled()
    assert not y.requires_grad and y.creator is None and z.requires_grad


def test_no_grad_as_decorator() -> None:
    @sn.no_grad()
    def infer(t: sn.Tensor) -> sn.Tensor:
        return t * 2.0

    assert not infer(sn.tensor([1.0], requires_grad=True)).requires_grad
    assert sn.is_grad_enabled()


def test_detach_shares_values_and_stops_gradients() -> None:
    x = sn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    d = y.detach()
    assert not d.requires_grad and d.creator is None and np.shares_memory(d.numpy(), y.numpy())
    (y * d).sum().backward()
    assert_close(x.grad, np.array([9.0, 18.0], np.float32))  # d is a constant: 3 * d


# ---- dtype policy -------------------------------------------------------------------------------
def test_dtype_policy() -> None:
    assert sn.tensor([1.0, 2.0]).dtype == np.float32
    assert sn.tensor(1.5).dtype == np.float32
    assert sn.tensor([1.0], dtype="float64").dtype == np.float64
    assert sn.tensor(np.ones(2)).dtype == np.float64          # NumPy arrays keep their dtype
    assert sn.tensor([1, 2]).dtype == np.int64
    assert (sn.ones(2) * 2.0).dtype == np.float32
    assert (2.0 * sn.ones(2) - 1).dtype == np.float32
    assert (sn.ones(2) / 3).dtype == np.float32
    assert (sn.ones(2) ** 2.0).dtype == np.float32
    assert (sn.ones(2, dtype="float64") * 2.0).dtype == np.float64


def test_integer_tensors_promote_like_torch() -> None:
    torch = torch_or_skip()
    ours, theirs = sn.tensor([1, 2, 3]), torch.tensor([1, 2, 3])
    for op in (lambda t: t + 1.5, lambda t: t * 2.0, lambda t: t / 2, lambda t: t / t, lambda t: t + 1,
               lambda t: t * t, lambda t: 1.5 - t, lambda t: t.exp(), lambda t: t.sigmoid(),
               lambda t: t.sqrt(), lambda t: t + (t > 1), lambda t: (t > 1) + 1):
        result, expected = op(ours), op(theirs)
        assert str(result.dtype) == str(expected.dtype).removeprefix("torch."), (result.dtype, expected.dtype)
        assert_close(result, expected, rtol=1e-6)
    floats = sn.tensor([0.5, 0.25, 2.0], requires_grad=True)
    mixed = floats * ours
    assert mixed.dtype == np.float32
    mixed.sum().backward()
    assert_close(floats.grad, np.array([1.0, 2.0, 3.0], np.float32))


def test_integer_tensors_cannot_require_grad() -> None:
    with pytest.raises(TypeError, match="floating-point.*int64"):
        sn.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        sn.tensor([1, 2]).requires_grad = True


def test_gradient_dtype_follows_the_input() -> None:
    x32 = sn.tensor([1.0, 2.0], requires_grad=True)
    x64 = sn.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    (x32 * x64).sum().backward()
    assert x32.grad.dtype == np.float32 and x64.grad.dtype == np.float64


# ---- errors -------------------------------------------------------------------------------------
def test_incompatible_shapes_error_names_op_and_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"add.*\(2, 3\).*\(3, 2\)"):
        sn.ones(2, 3) + sn.ones(3, 2)
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4,\)"):
        sn.ones(2, 3).reshape(4)


def test_anomaly_detection_names_the_op() -> None:
    x = sn.tensor([0.0, 1.0], requires_grad=True)
    with sn.detect_anomaly(), pytest.raises(FloatingPointError, match="log"), np.errstate(divide="ignore"):
        sn.log(x)


# ---- creation -----------------------------------------------------------------------------------
def test_creation_functions() -> None:
    assert sn.zeros(2, 3).shape == (2, 3) and sn.zeros((2, 3)).numpy().sum() == 0
    assert sn.ones(4).dtype == np.float32 and sn.ones(4).numpy().sum() == 4
    assert_close(sn.full((2, 2), 7.0), np.full((2, 2), 7.0, np.float32))
    assert sn.full((2,), 3).dtype == np.int64
    assert sn.zeros_like(sn.ones(2, 3, dtype="float64")).dtype == np.float64
    assert_close(sn.ones_like(np.zeros((2, 1))), np.ones((2, 1)))
    assert_close(sn.eye(3), np.eye(3, dtype=np.float32))
    assert_close(sn.arange(5), np.arange(5))
    assert sn.arange(5).dtype == np.int64 and sn.arange(0.0, 1.0, 0.25).dtype == np.float32
    assert_close(sn.arange(2, 10, 3), np.arange(2, 10, 3))
    assert sn.range is sn.arange
    assert_close(sn.linspace(0, 1, 5), np.linspace(0, 1, 5, dtype=np.float32))
    c = sn.constant(2.0, shape=(2, 2))
    assert_close(c, np.full((2, 2), 2.0, np.float32))
    assert not c.requires_grad
    assert sn.constant([1, 2, 3, 4], shape=(2, 2)).shape == (2, 2)
    v = sn.Variable([1.0, 2.0], name="w")
    assert v.requires_grad and v.name == "w" and not sn.Variable(1.0, trainable=False).requires_grad
    t = sn.tensor([[1.0, 2.0]], requires_grad=True)
    assert t.requires_grad and sn.tensor(t).requires_grad is False
    array = np.ones(3, np.float32)
    assert not np.shares_memory(sn.tensor(array).numpy(), array)  # sn.tensor copies
    with pytest.raises(TypeError, match="dtype"):
        sn.tensor(["a", "b"])


def test_random_creation_is_reproducible_with_manual_seed_and_rng_state() -> None:
    sn.manual_seed(123)
    a, b = sn.rand(3, 4), sn.randn(2, 2)
    sn.manual_seed(123)
    assert_close(sn.rand(3, 4), a, 0, 0)
    assert_close(sn.randn(2, 2), b, 0, 0)
    assert a.dtype == np.float32 and 0 <= a.numpy().min() and a.numpy().max() < 1
    state = sn.get_rng_state()
    first = sn.randn(5).numpy().copy()
    sn.set_rng_state(state)
    assert_close(sn.randn(5), first, 0, 0)
    import json
    sn.set_rng_state(json.loads(json.dumps(state)))           # JSON-serialisable, as a checkpoint
    assert_close(sn.randn(5), first, 0, 0)
    assert sn.randn(3, dtype="float64").dtype == np.float64
    with pytest.raises(TypeError, match="integer"):
        sn.manual_seed(1.5)


# ---- Tensor attributes --------------------------------------------------------------------------
def test_tensor_attributes() -> None:
    t = sn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and t.ndim == 2 and t.size() == (2, 3) and t.numel() == 6 and len(t) == 2
    assert t.dtype == np.dtype("float32") and isinstance(t.dtype, np.dtype)
    assert t.T.shape == (3, 2) and t.view(3, 2).shape == (3, 2) and t.view(-1).shape == (6,)
    assert isinstance(t.numpy(), np.ndarray) and np.asarray(t).shape == (2, 3)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert t.sum().item() == 21.0 and isinstance(t.sum().item(), float)
    assert t.cpu() is t and t.grad is None
    with pytest.raises(ValueError, match="one element"):
        t.item()
    with pytest.raises(TypeError, match="0-d"):
        len(sn.tensor(1.0))
    assert "tensor(" in repr(t) and "4." in repr(t)
    assert "requires_grad=True" in repr(sn.tensor([1.0], requires_grad=True))
    assert "float64" in repr(sn.tensor([1.0], dtype="float64"))


def test_data_and_inplace_initialisers() -> None:
    w = sn.tensor(np.zeros((3, 4), np.float32), requires_grad=True)
    assert not w.data.requires_grad and np.shares_memory(w.data.numpy(), w.numpy())
    sn.manual_seed(0)
    w.data.normal_(0.0, 0.1)
    assert w.dtype == np.float32 and 0.0 < w.numpy().std() < 0.3
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.uniform_(-1.0, 1.0)  # as PyTorch: only outside the graph
    with sn.no_grad():
        w.uniform_(-1.0, 1.0)
        assert -1 <= w.numpy().min() and w.numpy().max() <= 1 and w.requires_grad
        w.fill_(2.5)
        assert (w.numpy() == 2.5).all()
        w.zero_()
        assert (w.numpy() == 0).all()
        w.copy_(np.arange(4.0))
    assert_close(w, np.tile(np.arange(4.0, dtype=np.float32), (3, 1)))
    w.data = np.ones((3, 4), np.float32)
    assert w.numpy().sum() == 12 and w.requires_grad


# ---- memory -------------------------------------------------------------------------------------
def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _mlp_step(params: list[sn.Tensor], x: sn.Tensor, y: sn.Tensor) -> float:
    w1, b1, w2, b2 = params
    hidden = (x @ w1 + b1).relu()
    loss = ((hidden @ w2 + b2 - y) ** 2).mean()
    loss.backward()
    with sn.no_grad():
        for p in params:
            p.array -= 0.01 * p.grad.array
            p.grad = None
    return loss.item()


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
def test_training_loop_memory_does_not_grow() -> None:
    rng = np.random.default_rng(0)
    params = [sn.tensor(rng.standard_normal(s).astype(np.float32) * 0.1, requires_grad=True)
              for s in [(64, 128), (128,), (128, 10), (10,)]]
    # 256 samples: a leaked graph would hold ~0.4 MB per step, 400 MB over the loop.
    x = sn.tensor(rng.standard_normal((256, 64)).astype(np.float32))
    y = sn.tensor(rng.standard_normal((256, 10)).astype(np.float32))
    for _ in range(100):
        first_loss = _mlp_step(params, x, y)
    gc.collect()
    before = _rss_bytes()
    for _ in range(1000):
        last_loss = _mlp_step(params, x, y)
    gc.collect()
    growth = _rss_bytes() - before
    assert growth < 50 * 2 ** 20, f"RSS grew by {growth / 2 ** 20:.1f} MB over 1000 steps"
    assert last_loss < first_loss


def test_graph_is_freed_after_backward() -> None:
    x = sn.tensor(np.ones((3, 3), np.float32), requires_grad=True)
    hidden = (x * 2.0).tanh()
    ref = weakref.ref(hidden)
    creator_ref = weakref.ref(hidden.creator)
    loss = (hidden * hidden).sum()
    del hidden
    assert ref() is not None             # alive: the graph still holds it for backward
    loss.backward()
    assert ref() is None and creator_ref() is None
    assert loss.creator.inputs is None   # the graph's buffers were dropped


def test_graph_is_freed_when_the_output_dies_without_backward() -> None:
    x = sn.tensor(np.ones(3, np.float32), requires_grad=True)
    hidden = x.exp()
    ref = weakref.ref(hidden)
    y = hidden * 2.0
    del hidden, y
    assert ref() is None


def test_check_gradients_helper_detects_a_wrong_gradient() -> None:
    class WrongSquare(Function):
        def forward(self, x: np.ndarray) -> np.ndarray:
            return x * x

        def backward(self, gy: np.ndarray) -> np.ndarray:
            return gy * self.input_values()[0]       # should be 2x

    with pytest.raises(AssertionError):
        check_gradients(lambda x: WrongSquare()(x), np.array([1.0, 2.0]))


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "exp", "sin"])
def test_third_derivatives_match_torch(name: str) -> None:
    torch = torch_or_skip()
    values = np.array([-1.3, 0.2, 0.8])
    x, t = sn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    ours, theirs = getattr(x, name)(), getattr(t, name)()
    for order in range(1, 4):
        x.grad = None
        ours.sum().backward(create_graph=True)
        (theirs,) = torch.autograd.grad(theirs.sum(), t, create_graph=True)
        assert_close(x.grad, theirs, 1e-10, 1e-12, f"derivative {order}")
        ours = x.grad


def test_anomaly_in_backward_names_the_op_whose_gradient_is_not_finite() -> None:
    x = sn.tensor([0.0, 4.0], requires_grad=True)
    with sn.detect_anomaly(), pytest.raises(FloatingPointError, match="sqrt.*backward"), \
            np.errstate(divide="ignore"):
        sn.sqrt(x).sum().backward()


def test_leaf_gradients_own_writable_memory() -> None:
    x, w = sn.tensor([1.0, 2.0], requires_grad=True), sn.tensor([3.0, 4.0], requires_grad=True)
    seed = sn.tensor([1.0, 1.0])
    (x + w).backward(seed)
    x.grad.zero_()                       # as a PyTorch user's zero_grad(set_to_none=False) would
    assert_close(w.grad, np.ones(2, np.float32))
    assert_close(seed, np.ones(2, np.float32))
    b = sn.tensor(np.zeros(3, np.float32), requires_grad=True)
    (b + sn.ones(4, 3)).sum().backward()  # the gradient of a broadcast is a summed, writable array
    b.grad.numpy()[...] += 1.0
    assert_close(b.grad, np.full(3, 5.0, np.float32))


def test_op_results_are_arrays_even_for_full_reductions_and_scalar_indexing() -> None:
    x = sn.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    for result in (x.sum(), x[0, 1], x.max(), x.mean(), x.std(), x.sum().sqrt(), sn.tensor([1.0]).sum()):
        assert type(result.numpy()) is np.ndarray and result.shape == () and result.dtype == np.float32
    loss = (x * 2.0).sum()
    loss.backward()
    assert type(x.grad.numpy()) is np.ndarray
