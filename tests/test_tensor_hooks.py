"""Gradient hooks as PyTorch: ``Tensor.register_hook``, ``Tensor.retain_grad`` and
``Module.register_full_backward_hook``, each against torch (same calls, arguments, order and
resulting gradients)."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import nn
from tests.reference import assert_close, torch_or_skip

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=np.float32)


def hooked_graph(lib, tensor_of, calls):
    """loss = sum(exp(a) + 3a) with a = 2x, x used again in the loss; hooks on x, a and both
    branches record (name, gradient) and the hook on ``a`` doubles its gradient."""
    x = tensor_of(X)

    def record(name, factor=None):
        def hook(grad):
            calls.append((name, np.array(grad.detach().numpy() if hasattr(grad, "detach") else grad)))
            return None if factor is None else grad * factor
        return hook

    x.register_hook(record("x"))
    a = x * 2
    a.register_hook(record("a", factor=2.0))
    a.retain_grad()
    b, c = a.exp(), a * 3
    b.register_hook(record("b"))
    c.register_hook(record("c"))
    loss = (b + c + x * x).sum()
    loss.backward()
    return x, a


def test_tensor_hooks_match_torch_calls_order_and_replaced_gradients():
    torch = torch_or_skip()
    ours_calls, theirs_calls = [], []
    x, a = hooked_graph(nn, lambda v: sn.tensor(v, requires_grad=True), ours_calls)
    tx, ta = hooked_graph(torch.nn, lambda v: torch.tensor(v, requires_grad=True), theirs_calls)
    assert [name for name, _ in ours_calls] == [name for name, _ in theirs_calls]
    for (name, ours), (_, theirs) in zip(ours_calls, theirs_calls):
        assert_close(ours, theirs, what=f"gradient seen by the hook on {name}")
    assert_close(x.grad, tx.grad, what="x.grad after the doubling hook")
    assert_close(a.grad, ta.grad, what="retained a.grad (after the hook, as torch)")


def test_leaf_hook_runs_once_on_the_summed_gradient_and_replaces_it():
    torch = torch_or_skip()
    results = []
    for make in (lambda v: sn.tensor(v, requires_grad=True), lambda v: torch.tensor(v, requires_grad=True)):
        x, seen = make(X), []
        x.register_hook(lambda g, seen=seen: seen.append(g.numpy().copy()) or g.clamp(min=0.0) + 1)
        ((x * x).sum() + (x * 5).sum() + x.exp().sum()).backward()
        results.append((seen, x.grad.numpy()))
    (ours_seen, ours_grad), (theirs_seen, theirs_grad) = results
    assert len(ours_seen) == len(theirs_seen) == 1
    assert_close(ours_seen[0], theirs_seen[0])
    assert_close(ours_grad, theirs_grad)


def test_removed_hook_is_not_called_and_hooks_run_in_registration_order():
    x = sn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    order = []
    first = y.register_hook(lambda g: order.append("first"))
    y.register_hook(lambda g: order.append("second") or g * 3)
    first.remove()
    first.remove()  # harmless twice
    y.sum().backward()
    assert order == ["second"]
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_hook_outlives_the_python_tensor_as_on_grad_fn():
    """A hook registered inside a forward hook on an output nobody keeps still runs (Grad-CAM)."""
    x = sn.tensor(X, requires_grad=True)
    seen = []
    (x * 2).register_hook(lambda g: seen.append(g.shape))
    # the tensor above is gone; only its creator, recorded in the graph below, is not
    y = x * 2
    y.register_hook(lambda g: seen.append(("y", g.shape)))
    del y
    z = sn.tensor(X, requires_grad=True)
    w = z * 2
    w.register_hook(lambda g: seen.append(("w", g.shape)))
    loss = w.sum()
    del w
    loss.backward()
    assert seen == [("w", X.shape)]


def test_retain_grad_accumulates_over_passes_and_is_a_no_op_on_leaves():
    torch = torch_or_skip()
    grads = []
    for make in (lambda v: sn.tensor(v, requires_grad=True), lambda v: torch.tensor(v, requires_grad=True)):
        x = make(X)
        x.retain_grad()
        y = x.tanh()
        y.retain_grad()
        loss = (y * y).sum()
        loss.backward(retain_graph=True)
        loss.backward()
        assert y.retains_grad and not x.retains_grad
        grads.append((y.grad.numpy().copy(), x.grad.numpy().copy()))
    assert_close(grads[0][0], grads[1][0], what="retained y.grad over two passes")
    assert_close(grads[0][1], grads[1][1], what="x.grad over two passes")


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_hooks_see_tensors_with_create_graph_and_stay_differentiable():
    torch = torch_or_skip()
    results = []
    for make in (lambda v: sn.tensor(v, requires_grad=True, dtype=np.float64),
                 lambda v: torch.tensor(v.astype(np.float64), requires_grad=True)):
        x = make(X)
        y = x * x * x
        y.register_hook(lambda g: g * 2)
        y.sum().backward(create_graph=True)
        gx, x.grad = x.grad, None
        (gx * gx).sum().backward()
        results.append((gx.detach().numpy(), x.grad.numpy()))
    assert_close(results[0][0], results[1][0])
    assert_close(results[0][1], results[1][1])


def test_hook_errors_are_clear():
    x = sn.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        x.register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        x.retain_grad()
    y = sn.tensor([1.0, 2.0], requires_grad=True) * 2
    y.register_hook(lambda g: sn.ones(3))
    with pytest.raises(RuntimeError, match="changed the size"):
        y.sum().backward()
    with pytest.raises(TypeError, match="callable"):
        y.register_hook(3)


# ---- Module.register_full_backward_hook ----------------------------------------------------

def build_mlp(lib):
    return lib.Sequential(lib.Linear(3, 4), lib.ReLU(), lib.Linear(4, 2))


def run_with_module_hooks(lib, net, x, replace_first=False):
    calls = []

    def hook(module, grad_input, grad_output):
        calls.append((type(module).__name__,
                      [None if g is None else g.detach().numpy().copy() for g in grad_input],
                      [None if g is None else g.detach().numpy().copy() for g in grad_output]))
        if replace_first and isinstance(module, lib.Linear) and grad_input[0] is not None:
            return (grad_input[0] * 0.5,)
        return None

    handles = [m.register_full_backward_hook(hook) for m in [net, *net]]
    (net(x) ** 2).sum().backward()
    return calls, handles


def test_full_backward_hooks_match_torch_order_and_arguments():
    torch = torch_or_skip()
    ours, theirs = build_mlp(nn), build_mlp(torch.nn)
    ours.load_state_dict({k: sn.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x, tx = sn.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    ours_calls, _ = run_with_module_hooks(nn, ours, x, replace_first=True)
    theirs_calls, _ = run_with_module_hooks(torch.nn, theirs, tx, replace_first=True)
    assert [c[0] for c in ours_calls] == [c[0] for c in theirs_calls]
    for (name, gi, go), (_, tgi, tgo) in zip(ours_calls, theirs_calls):
        for ours_grads, theirs_grads in ((gi, tgi), (go, tgo)):
            assert len(ours_grads) == len(theirs_grads)
            for g, tg in zip(ours_grads, theirs_grads):
                assert (g is None) == (tg is None)
                if g is not None:
                    assert_close(g, tg, what=f"{name} hook arguments")
    assert_close(x.grad, tx.grad, what="input gradient after the replacing hooks")
    assert_close(ours[0].weight.grad, theirs[0].weight.grad)


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_full_backward_hook_when_the_input_needs_no_gradient_and_after_remove():
    torch = torch_or_skip()
    calls = []
    for lib in (nn, torch.nn):
        conv = lib.Conv2d(1, 2, 3)
        seen = []
        handle = conv.register_full_backward_hook(
            lambda m, gi, go, seen=seen: seen.append((gi[0] is None, tuple(go[0].shape))))
        x = np.ones((2, 1, 5, 5), dtype=np.float32)
        conv(sn.tensor(x) if lib is nn else torch.tensor(x)).sum().backward()
        handle.remove()
        conv(sn.tensor(x) if lib is nn else torch.tensor(x)).sum().backward()
        calls.append(seen)
    assert calls[0] == calls[1] == [(True, (2, 2, 3, 3))]


def test_full_backward_hook_gives_zeros_for_an_input_without_gradient_as_torch():
    torch = torch_or_skip()
    seen = []
    for lib, make in ((nn, sn.tensor), (torch.nn, torch.tensor)):
        class Gate(lib.Module):
            def forward(self, a, b):
                return a * b + a

        gate = Gate()
        gate.register_full_backward_hook(lambda m, gi, go: seen.append(
            [None if g is None else g.detach().numpy().copy() for g in (*gi, *go)]))
        a = make(X, requires_grad=True)
        (gate(a, make(X * 2)) ** 2).sum().backward()
        seen[-1].append(a.grad.numpy().copy())
    ours, theirs = seen
    assert [g is None for g in ours] == [g is None for g in theirs] == [False] * 4
    for g, tg in zip(ours, theirs):
        if g is not None:
            assert_close(g, tg)
