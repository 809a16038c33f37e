"""In-place ops and item assignment with PyTorch's rules, checked against torch 2.13.0: values,
dtypes, identity, version counters, the errors for a leaf that requires grad and for a tensor
modified after the graph used it, and gradients through in-place ops (the registry in
test_autograd_ops also checks each against finite differences).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import scratchnet as sn
from tests.reference import assert_close, check_gradients, torch_or_skip

VALUES = np.array([[1.5, -2.0, 0.5], [3.0, -0.25, 2.0]], np.float32)
OTHER = np.array([0.5, 2.0, -4.0], np.float32)

# each op written once, for a tensor and the library it comes from
IN_PLACE: dict[str, Callable[[Any, Any], Any]] = {
    "add_": lambda lib, x: x.add_(lib.tensor(OTHER)),
    "add_-alpha": lambda lib, x: x.add_(lib.tensor(OTHER), alpha=-3),
    "add_-scalar": lambda lib, x: x.add_(2),
    "sub_": lambda lib, x: x.sub_(lib.tensor(OTHER), alpha=0.5),
    "mul_": lambda lib, x: x.mul_(lib.tensor(OTHER)),
    "div_": lambda lib, x: x.div_(4.0),
    "clamp_": lambda lib, x: x.clamp_(-1.0, 1.0),
    "clamp_-min": lambda lib, x: x.clamp_(min=0.0),
    "fill_": lambda lib, x: x.fill_(7.0),
    "fill_-tensor": lambda lib, x: x.fill_(lib.tensor(2.5)),
    "zero_": lambda lib, x: x.zero_(),
    "copy_": lambda lib, x: x.copy_(lib.tensor(OTHER)),
    "copy_-cast": lambda lib, x: x.copy_(lib.tensor([1, 2, 3])),
}


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_op_matches_torch_and_returns_self(name: str) -> None:
    torch = torch_or_skip()
    ours, theirs = sn.tensor(VALUES), torch.tensor(VALUES)
    alias, torch_alias = ours.view(3, 2), theirs.view(3, 2)
    assert IN_PLACE[name](sn, ours) is ours and IN_PLACE[name](torch, theirs) is theirs
    assert ours.dtype == np.float32 and ours._version == theirs._version == 1
    assert_close(ours, theirs.numpy(), 0, 0)
    assert_close(alias, torch_alias.numpy(), 0, 0)  # a view sees the change


OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": lambda x, y: x.__iadd__(y),
    "-=": lambda x, y: x.__isub__(y),
    "*=": lambda x, y: x.__imul__(y),
    "/=": lambda x, y: x.__itruediv__(y),
}


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_augmented_assignment_changes_the_tensor_in_place_as_torch(name: str) -> None:
    torch = torch_or_skip()
    ours, theirs = sn.tensor(VALUES), torch.tensor(VALUES)
    same_ours, same_theirs = ours, theirs
    ours = OPERATORS[name](ours, sn.tensor(OTHER))
    theirs = OPERATORS[name](theirs, torch.tensor(OTHER))
    assert ours is same_ours and theirs is same_theirs
    assert_close(ours, theirs.numpy(), 0, 0)


SETITEM: dict[str, Callable[[Any, Any], None]] = {
    "column": lambda lib, x: x.__setitem__((slice(None), 1), 0),
    "row-broadcast": lambda lib, x: x.__setitem__(0, lib.tensor([9.0, 8.0, 7.0])),
    "mask": lambda lib, x: x.__setitem__(x > 1, -1.0),
    "index-tensor": lambda lib, x: x.__setitem__((lib.tensor([1, 0]), lib.tensor([2, 2])), 5.0),
    "ellipsis": lambda lib, x: x.__setitem__(Ellipsis, 3),
    "float-into-int": lambda lib, x: x.__setitem__(0, 2.75),
}


@pytest.mark.parametrize("name", sorted(SETITEM))
def test_item_assignment_matches_torch(name: str) -> None:
    torch = torch_or_skip()
    values = VALUES.astype(np.int64) if name == "float-into-int" else VALUES
    ours, theirs = sn.tensor(values), torch.tensor(values)
    SETITEM[name](sn, ours)
    SETITEM[name](torch, theirs)
    assert ours.dtype == values.dtype and ours._version == theirs._version == 1
    assert_close(ours, theirs.numpy(), 0, 0)


def test_version_counter_counts_like_torch() -> None:
    torch = torch_or_skip()
    versions = []
    for lib in (sn, torch):
        x = lib.zeros(2, 3)
        counts = [x._version]
        for step in (lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.__setitem__(0, 1.0),
                     lambda t: t.zero_(), lambda t: t.__iadd__(1)):
            step(x)
            counts.append(x._version)
        y = x + 1  # an out-of-place op leaves both alone
        versions.append((counts, x._version, y._version))
    assert versions[0] == versions[1] == ([0, 1, 2, 3, 4, 5], 5, 0)


# ---- errors, as torch raises them -----------------------------------------------------------
BAD: dict[str, tuple[Callable[[Any], Any], str]] = {
    "int-div_": (lambda lib: lib.tensor([1, 2]).div_(2), "can't be cast"),
    "int-add_-float": (lambda lib: lib.tensor([1, 2]).add_(0.5), "can't be cast"),
    "broadcast-larger": (lambda lib: lib.zeros(3).add_(lib.ones(2, 3)), "shape"),
    "expanded": (lambda lib: lib.zeros(300, 1).expand(300, 400).add_(1), "clone"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_in_place_ops_raise_runtime_error_as_torch_and_change_nothing(name: str) -> None:
    torch = torch_or_skip()
    make, message = BAD[name]
    with pytest.raises(RuntimeError):
        make(torch)
    with pytest.raises(RuntimeError, match=message):
        make(sn)
    x = sn.ones(3)
    with pytest.raises(RuntimeError):
        x.add_(sn.ones(2, 3))
    assert (x.numpy() == 1).all() and x._version == 0


LEAF_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "add_": lambda lib, w: w.add_(1.0),
    "mul_": lambda lib, w: w.mul_(2.0),
    "zero_": lambda lib, w: w.zero_(),
    "normal_": lambda lib, w: w.normal_(),
    "setitem": lambda lib, w: w.__setitem__(0, 1.0),
    "+=": lambda lib, w: w.__iadd__(1.0),
}


@pytest.mark.parametrize("name", sorted(LEAF_OPS))
def test_in_place_on_a_leaf_that_requires_grad_raises_as_torch(name: str) -> None:
    torch = torch_or_skip()
    for lib in (torch, sn):
        w = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in an in-pl"):
            LEAF_OPS[name](lib, w)
        assert w.tolist() == [1.0, 1.0, 1.0]
        with lib.no_grad():
            LEAF_OPS[name](lib, w)  # allowed outside the graph, as an optimiser step
        assert w.requires_grad and w.grad_fn is None


def test_hand_written_sgd_step_keeps_the_parameter_as_torch() -> None:
    torch = torch_or_skip()
    results = []
    for lib in (sn, torch):
        w = lib.tensor([1.0, -2.0], requires_grad=True)
        original = w
        for _ in range(3):
            loss = (w * w).sum()
            loss.backward()
            with lib.no_grad():
                w -= 0.1 * w.grad
                w.grad.zero_()
        assert w is original and w.requires_grad and w.grad_fn is None
        results.append(w.detach().numpy().copy())
    assert_close(results[0], results[1], 1e-6, 1e-7)


MODIFIED_AFTER_USE: dict[str, Callable[[Any], Any]] = {
    # a tensor that Mul saved for its backward is changed afterwards
    "saved-input": lambda lib: _saved_input(lib),
    # a plain data tensor that the graph used is changed before backward
    "data-input": lambda lib: _data_input(lib),
    # the output that Exp saved is changed outside the graph
    "saved-output-no-grad": lambda lib: _saved_output_no_grad(lib),
}


def _saved_input(lib: Any) -> Any:
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    a = w * 2.0
    b = a * a
    a.add_(1.0)
    return b.sum()


def _data_input(lib: Any) -> Any:
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    x = lib.tensor([3.0, 4.0])
    y = w * x
    x[0] = 10.0
    return y.sum()


def _saved_output_no_grad(lib: Any) -> Any:
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    y = w.exp()
    with lib.no_grad():
        y.mul_(2.0)
    return y.sum()


@pytest.mark.parametrize("name", sorted(MODIFIED_AFTER_USE))
def test_backward_through_a_tensor_modified_after_use_raises_as_torch(name: str) -> None:
    torch = torch_or_skip()
    message = "one of the variables needed for gradient computation has been modified by an inplace operation"
    with pytest.raises(RuntimeError, match=message):
        MODIFIED_AFTER_USE[name](torch).backward()
    with pytest.raises(RuntimeError, match=message):
        MODIFIED_AFTER_USE[name](sn).backward()


def test_in_place_on_a_non_leaf_gives_torch_gradients() -> None:
    torch = torch_or_skip()
    grads = []
    for lib in (sn, torch):
        w = lib.tensor([[1.0, 2.0], [3.0, -1.0]], requires_grad=True)
        v = lib.tensor([0.5, -2.0], requires_grad=True)
        h = w * 3.0
        h[:, 1] = v  # the old column gets no gradient, v gets the upstream one
        h += w  # ResNet's "out += identity"
        h.mul_(v)
        h.clamp_(min=-4.0)
        assert h.grad_fn is not None and not h.is_leaf
        (h * h).sum().backward()
        grads.append((w.grad.numpy().copy(), v.grad.numpy().copy(), h.detach().numpy().copy()))
    for ours, theirs in zip(grads[0], grads[1]):
        assert_close(ours, theirs, 1e-6, 1e-6)


def test_writing_a_tensor_that_requires_grad_into_a_plain_tensor_records_it() -> None:
    torch = torch_or_skip()
    grads = []
    for lib in (sn, torch):
        v = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x = lib.zeros(2, 3)
        x[1] = v * 2.0
        x.add_(v)
        assert x.requires_grad and x.grad_fn is not None
        x.sum().backward()
        grads.append(v.grad.numpy().copy())
    assert_close(grads[0], grads[1], 0, 0)


def test_output_saved_by_its_op_keeps_its_values_when_changed_in_the_graph() -> None:
    """``y = exp(x); y.mul_(w)``: PyTorch raises (Exp saved y); scratchnet keeps a copy of the old
    y for Exp's backward, so the gradient is right, as finite differences show."""
    def f(x: sn.Tensor, w: sn.Tensor) -> sn.Tensor:
        y = x.exp()
        y.mul_(w)
        return y

    rng = np.random.default_rng(0)
    check_gradients(f, rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (2, 3)))


def test_graph_is_unchanged_when_an_in_place_op_fails() -> None:
    w = sn.tensor([1.0, 2.0], requires_grad=True)
    h = w * 2.0
    creator = h.creator
    with pytest.raises(RuntimeError, match="shape"):
        h.add_(sn.ones(3, 2))
    assert h.creator is creator and h._version == 0 and h.tolist() == [2.0, 4.0]
    wide = sn.ones(300, 1).expand(300, 400)  # a read-only view
    with pytest.raises(RuntimeError, match="clone"):
        wide.add_(w.sum())
    assert wide.creator is None and wide._version == 0 and (wide.numpy() == 1).all()
    h.sum().backward()
    assert w.grad.tolist() == [2.0, 2.0]
