"""PyTorch's tensor API on scratchnet, checked against torch 2.13.0 on the same inputs: devices on a
CPU-only build, ``size()``/``numel``/``dim``, dtype aliases, ``type``, ``to``, comparison methods,
creation functions with ``device=``, ``from_numpy``, ``randint``/``randperm``, ``out=``,
``grad_fn``, ``load(map_location=, weights_only=)`` and the ``repr`` format.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import nn
from tests.reference import assert_close, torch_or_skip

DTYPE_ALIASES = ["float", "float32", "double", "float64", "half", "float16", "long", "int64", "int",
                 "int32", "short", "int16", "int8", "uint8", "bool"]


def torch_dtype_as_numpy(dtype: Any) -> np.dtype:
    return np.dtype(str(dtype).removeprefix("torch."))


# ---- devices -----------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [("cpu",), ("cpu:0",), ("cpu", 0), ("cuda",), ("cuda:1",), ("cuda", 2),
                                  ("mps",), ("mps:0",)])
def test_device_fields_and_text_match_torch(args: tuple[Any, ...]) -> None:
    torch = torch_or_skip()
    ours, theirs = sn.device(*args), torch.device(*args)
    assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
    assert ours == sn.device(ours) and hash(ours) == hash(sn.device(*args))


def test_device_equality_and_bad_names() -> None:
    torch = torch_or_skip()
    assert sn.device("cpu") == sn.device("cpu") and sn.device("cpu") != sn.device("cpu", 0)
    assert sn.device("cpu") == "cpu" and sn.device("cuda:1") == "cuda:1" and sn.device("cpu") != "cuda"
    assert sn.device("cpu") != "not a device"
    assert sn.zeros(2).device == "cpu" and sn.zeros(2).device == sn.device("cpu")
    for bad in ("gpu", "cuda:x", "cuda:-1"):
        with pytest.raises(RuntimeError) as theirs:
            torch.device(bad)
        with pytest.raises(RuntimeError, match=bad.partition(":")[2] or bad):
            sn.device(bad)
        assert theirs.type is RuntimeError
    with pytest.raises(TypeError, match="device"):
        sn.device(1.5)


def test_accelerator_queries_match_a_cpu_only_torch() -> None:
    torch = torch_or_skip()
    assert sn.cuda.is_available() is torch.cuda.is_available() is False
    assert sn.cuda.device_count() == torch.cuda.device_count() == 0
    assert sn.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert sn.accelerator.is_available() is torch.accelerator.is_available() is False
    assert sn.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    sn.cuda.manual_seed_all(0)  # accepted and ignored, as by torch without CUDA
    sn.backends.cudnn.deterministic = True
    assert sn.backends.cudnn.is_available() is False


def test_tutorial_device_line_picks_the_cpu() -> None:
    device = (sn.accelerator.current_accelerator().type if sn.accelerator.is_available() else "cpu")
    alt = "cuda" if sn.cuda.is_available() else "mps" if sn.backends.mps.is_available() else "cpu"
    assert device == alt == "cpu"
    model = nn.Linear(3, 2)
    assert model.to(device) is model and model.to(sn.device(device)) is model
    x = sn.randn(4, 3, device=device)
    assert x.to(device) is x and x.device == sn.device("cpu")
    assert model(x).device.type == "cpu"


UNAVAILABLE = [("cuda", AssertionError), ("cuda:0", AssertionError), ("mps", RuntimeError)]


@pytest.mark.parametrize(("name", "error"), UNAVAILABLE)
def test_unavailable_devices_raise_the_kind_of_error_torch_raises(name: str, error: type) -> None:
    torch = torch_or_skip()
    with pytest.raises(error):
        torch.zeros(2).to(name)
    with pytest.raises(error):
        torch.nn.Linear(2, 2).to(name)
    quoted = f"'{name}'"
    with pytest.raises(error, match=quoted):
        sn.zeros(2).to(name)
    with pytest.raises(error, match=quoted):
        sn.zeros(2).to(sn.device(name))
    with pytest.raises(error, match=quoted):
        nn.Linear(2, 2).to(name)
    with pytest.raises(error, match=quoted):
        sn.zeros(2, device=name)
    with pytest.raises(error, match=quoted):
        sn.tensor([1.0], device=name)
    with pytest.raises(error, match=quoted):
        sn.zeros(2).to(device=name, dtype=sn.float64)


def test_cuda_methods_raise_and_cpu_is_a_no_op() -> None:
    torch = torch_or_skip()
    with pytest.raises(AssertionError):
        torch.zeros(1).cuda()
    with pytest.raises(AssertionError, match="cuda"):
        sn.zeros(1).cuda()
    with pytest.raises(AssertionError, match="cuda"):
        nn.Linear(1, 1).cuda()
    x, model = sn.zeros(1), nn.Linear(1, 1)
    assert x.cpu() is x and model.cpu() is model and x.is_cuda is False


CREATORS = {
    "tensor": lambda **kw: sn.tensor([1.0, 2.0], **kw),
    "as_tensor": lambda **kw: sn.as_tensor(np.ones(2), **kw),
    "zeros": lambda **kw: sn.zeros(2, 3, **kw),
    "ones": lambda **kw: sn.ones((2, 3), **kw),
    "empty": lambda **kw: sn.empty(2, **kw),
    "full": lambda **kw: sn.full((2,), 1.5, **kw),
    "rand": lambda **kw: sn.rand(2, **kw),
    "randn": lambda **kw: sn.randn(2, **kw),
    "arange": lambda **kw: sn.arange(5, **kw),
    "linspace": lambda **kw: sn.linspace(0, 1, 5, **kw),
    "eye": lambda **kw: sn.eye(3, **kw),
    "zeros_like": lambda **kw: sn.zeros_like(sn.ones(2), **kw),
    "ones_like": lambda **kw: sn.ones_like(sn.ones(2), **kw),
    "empty_like": lambda **kw: sn.empty_like(sn.ones(2), **kw),
    "full_like": lambda **kw: sn.full_like(sn.ones(2), 7.0, **kw),
    "rand_like": lambda **kw: sn.rand_like(sn.ones(2), **kw),
    "randn_like": lambda **kw: sn.randn_like(sn.ones(2), **kw),
    "randint": lambda **kw: sn.randint(0, 5, (3,), **kw),
    "randperm": lambda **kw: sn.randperm(4, **kw),
}


@pytest.mark.parametrize("name", sorted(CREATORS))
def test_every_creation_function_takes_device(name: str) -> None:
    for device in (None, "cpu", sn.device("cpu"), "cpu:0"):
        assert CREATORS[name](device=device).device == "cpu"
    with pytest.raises(AssertionError, match="'cuda'"):
        CREATORS[name](device="cuda")


# ---- size, numel, dim, dtypes, type ------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 0, 5)])
def test_size_numel_dim_match_torch(shape: tuple[int, ...]) -> None:
    torch = torch_or_skip()
    ours, theirs = sn.zeros(shape), torch.zeros(shape)
    assert ours.size() == tuple(theirs.size()) and isinstance(ours.size(), tuple)
    assert repr(ours.size()).replace("scratchnet.", "") == repr(theirs.size()).replace("torch.", "")
    assert ours.numel() == theirs.numel() == ours.size().numel() == theirs.size().numel()
    assert ours.dim() == theirs.dim()
    for dim in range(-len(shape), len(shape)):
        assert ours.size(dim) == theirs.size(dim) and ours.size(dim=dim) == theirs.size(dim=dim)
    if shape:
        with pytest.raises(IndexError) as theirs_error:
            theirs.size(len(shape))
        with pytest.raises(IndexError, match="Dimension out of range"):
            ours.size(len(shape))
        assert "Dimension out of range" in str(theirs_error.value)


@pytest.mark.parametrize("alias", DTYPE_ALIASES)
def test_dtype_aliases_are_torch_dtypes_and_accepted_everywhere(alias: str) -> None:
    torch = torch_or_skip()
    dtype = getattr(sn, alias)
    assert dtype == torch_dtype_as_numpy(getattr(torch, alias))
    values = [1, 0, 1]
    for made in (sn.tensor(values, dtype=dtype), sn.zeros(3, dtype=dtype), sn.ones(3).to(dtype),
                 sn.ones(3).type(dtype), sn.ones(3).astype(dtype), sn.full((3,), 1, dtype=dtype),
                 sn.arange(3, dtype=dtype if alias != "bool" else None).to(dtype)):
        assert made.dtype == dtype == torch.tensor(values, dtype=getattr(torch, alias)).numpy().dtype


def test_type_with_and_without_a_dtype_matches_torch() -> None:
    torch = torch_or_skip()
    logits = np.array([[0.1, 2.0, -1.0], [3.0, 0.5, 0.2], [0.0, 0.1, 0.3], [1.0, 0.0, -1.0]], np.float32)
    labels = np.array([1, 0, 1, 0])
    ours = (sn.tensor(logits).argmax(1) == sn.tensor(labels)).type(sn.float).sum().item()
    theirs = (torch.tensor(logits).argmax(1) == torch.tensor(labels)).type(torch.float).sum().item()
    assert ours == theirs == 3.0 and isinstance(ours, float)
    for dtype in ("float32", "float64", "int64", "int32", "uint8", "bool"):
        torch_tensor = torch.zeros(1, dtype=getattr(torch, dtype))
        assert sn.zeros(1, dtype=dtype).type() == torch_tensor.type().replace("torch.", "scratchnet.")
        assert sn.ones(1).type(torch_tensor.type()).dtype == np.dtype(dtype)  # "torch.LongTensor" too
    with pytest.raises(ValueError, match="invalid type"):
        sn.ones(1).type("torch.NoSuchTensor")


# ---- to --------------------------------------------------------------------------------------
TO_FORMS = {
    "dtype": lambda lib, x: x.to(lib.float64),
    "dtype-keyword": lambda lib, x: x.to(dtype=lib.int64),
    "device": lambda lib, x: x.to("cpu"),
    "device-object": lambda lib, x: x.to(lib.device("cpu")),
    "device-keyword": lambda lib, x: x.to(device="cpu"),
    "device-and-dtype": lambda lib, x: x.to("cpu", lib.float64),
    "device-and-dtype-keywords": lambda lib, x: x.to(device="cpu", dtype=lib.float64, non_blocking=True),
    "other-tensor": lambda lib, x: x.to(lib.zeros(1, dtype=lib.int32)),
    "same-dtype": lambda lib, x: x.to(lib.float32),
    "positional-flags": lambda lib, x: x.to(lib.float32, False, True),
    "device-positional-flags": lambda lib, x: x.to("cpu", lib.float32, False, True),
    "copy-keyword": lambda lib, x: x.to("cpu", copy=True),
}


@pytest.mark.parametrize("form", sorted(TO_FORMS))
def test_to_forms_match_torch(form: str) -> None:
    torch = torch_or_skip()
    values = np.array([[1.5, -2.0], [0.25, 3.0]], np.float32)
    ours_in, theirs_in = sn.tensor(values), torch.tensor(values)
    ours, theirs = TO_FORMS[form](sn, ours_in), TO_FORMS[form](torch, theirs_in)
    assert ours.dtype == torch_dtype_as_numpy(theirs.dtype)
    assert_close(ours, theirs.numpy(), 0, 0)
    assert (ours is ours_in) == (theirs is theirs_in)
    assert np.shares_memory(ours.numpy(), ours_in.numpy()) == (theirs.data_ptr() == theirs_in.data_ptr())


def test_to_keeps_the_graph_and_rejects_bad_arguments() -> None:
    x = sn.tensor([1.0, 2.0], requires_grad=True)
    (x.to(sn.float64) * 3.0).sum().backward()
    assert_close(x.grad, [3.0, 3.0]) and x.grad.dtype == np.float32
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        x.to(colour="red")
    with pytest.raises(TypeError, match="unknown dtype"):
        x.to(dtype="no-such-dtype")


def test_module_to_converts_floating_parameters_and_returns_self() -> None:
    torch = torch_or_skip()
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert model.to(sn.float64) is model
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model[1].num_batches_tracked.dtype == np.int64
    assert model.to("cpu", sn.float32) is model and model[0].weight.dtype == np.float32
    assert model.to(sn.zeros(1, dtype=sn.float64)) is model and model[0].weight.dtype == np.float64
    with pytest.raises(TypeError):
        torch.nn.Linear(2, 2).to(torch.int64)
    with pytest.raises(TypeError, match="floating point"):
        model.to(sn.int64)


# ---- comparison methods, shapes, clone, detach_ ---------------------------------------------------
@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparison_methods_and_functions_match_torch(name: str) -> None:
    torch = torch_or_skip()
    a, b = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], np.float32), np.array([2.0, 2.0, 2.0], np.float32)
    for other_ours, other_theirs in ((sn.tensor(b), torch.tensor(b)), (2.0, 2.0)):
        ours = getattr(sn.tensor(a), name)(other_ours)
        theirs = getattr(torch.tensor(a), name)(other_theirs)
        assert ours.dtype == np.bool_ and (ours.numpy() == theirs.numpy()).all()
        assert (getattr(sn, name)(sn.tensor(a), other_ours).numpy() == theirs.numpy()).all()


def test_t_of_more_than_two_dimensions_raises_as_torch() -> None:
    torch = torch_or_skip()
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        torch.zeros(2, 2, 2).t()
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"):
        sn.zeros(2, 2, 2).t()


def test_clone_copies_and_detach_in_place_cuts_the_graph() -> None:
    torch = torch_or_skip()
    for lib in (sn, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2.0
        c = y.clone()
        assert c.requires_grad and c.grad_fn is not None
        c.detach_()
        assert c.grad_fn is None and not c.requires_grad and c.is_leaf
        y.sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
        assert x.detach().requires_grad is False and x.requires_grad_(False) is x and not x.requires_grad
    x = sn.ones(3)
    assert not np.shares_memory(x.clone().numpy(), x.numpy())


# ---- creation ----------------------------------------------------------------------------------
def test_from_numpy_shares_memory_both_ways_as_torch() -> None:
    torch = torch_or_skip()
    for lib in (sn, torch):
        array = np.arange(6, dtype=np.float64).reshape(2, 3)
        t = lib.from_numpy(array)
        array[0, 0] = 10.0
        t[1, 2] = -1.0
        assert t.dtype in (np.float64, torch.float64) and t.shape == (2, 3)
        assert t.numpy()[0, 0] == 10.0 and array[1, 2] == -1.0 and np.shares_memory(t.numpy(), array)
        with pytest.raises(TypeError):
            lib.from_numpy([1, 2, 3])


def test_random_likes_randint_and_randperm_match_torch_in_shape_dtype_and_range() -> None:
    torch = torch_or_skip()
    base, torch_base = sn.zeros(3, 4, dtype=sn.float64), torch.zeros(3, 4, dtype=torch.float64)
    for name in ("rand_like", "randn_like"):
        ours, theirs = getattr(sn, name)(base), getattr(torch, name)(torch_base)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == torch_dtype_as_numpy(theirs.dtype)
    assert 0 <= sn.rand_like(base).numpy().min() and sn.rand_like(base).numpy().max() < 1
    for args in ((10, (3, 2)), (5, 9, (4,)), (-3, 0, (2, 2))):
        ours, theirs = sn.randint(*args), torch.randint(*args)
        low, high = (0, args[0]) if len(args) == 2 else args[:2]
        assert ours.shape == tuple(theirs.shape) and ours.dtype == torch_dtype_as_numpy(theirs.dtype)
        assert low <= ours.numpy().min() and ours.numpy().max() < high
    assert sn.randint(3, size=(2,)).shape == (2,) and sn.randint(0, 2, (5,), dtype=sn.int32).dtype == np.int32
    perm = sn.randperm(50)
    assert perm.dtype == torch_dtype_as_numpy(torch.randperm(3).dtype)
    assert sorted(perm.tolist()) == list(range(50)) and perm.tolist() != list(range(50))
    sn.manual_seed(7)
    first = (sn.randint(0, 100, (5,)).tolist(), sn.randperm(9).tolist(), sn.randn_like(base).tolist())
    sn.manual_seed(7)
    assert first == (sn.randint(0, 100, (5,)).tolist(), sn.randperm(9).tolist(), sn.randn_like(base).tolist())
    with pytest.raises(ValueError, match="low"):
        sn.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="size"):
        sn.randint(5)


# ---- out= ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["matmul", "mul", "add", "sub", "div"])
def test_out_argument_writes_into_the_given_tensor_as_torch(name: str) -> None:
    torch = torch_or_skip()
    a, b = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3), np.arange(1.0, 7.0, dtype=np.float32)
    b = b.reshape(3, 2) if name == "matmul" else b.reshape(2, 3)
    shape = (2, 2) if name == "matmul" else (2, 3)
    ours_out, theirs_out = sn.zeros(shape), torch.zeros(shape)
    ours = getattr(sn, name)(sn.tensor(a), sn.tensor(b), out=ours_out)
    theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b), out=theirs_out)
    assert ours is ours_out and ours_out._version == theirs_out._version == 1
    assert_close(ours_out, theirs.numpy(), 0, 0)


def test_out_argument_refuses_autograd_and_bad_casts_as_torch() -> None:
    torch = torch_or_skip()
    for lib in (sn, torch):
        w = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
            lib.mul(w, w, out=lib.zeros(2))
        with pytest.raises(RuntimeError, match="can't be cast"):
            lib.add(lib.ones(2), lib.ones(2), out=lib.zeros(2, dtype=lib.int64))
    resized = sn.zeros(0)
    sn.add(sn.ones(2, 2), 1.0, out=resized)
    assert resized.shape == (2, 2) and (resized.numpy() == 2).all()


# ---- grad_fn ---------------------------------------------------------------------------------
def describe(node: Any, depth: int = 3) -> Any:
    """A graph node as (name, [successors]) to a given depth; the same for both libraries."""
    if node is None:
        return None
    if depth == 0 or not node.next_functions:
        return node.name().removeprefix("torch::autograd::")
    return node.name(), [(describe(n, depth - 1), index) for n, index in node.next_functions]


def test_grad_fn_names_and_next_functions_match_torch() -> None:
    torch = torch_or_skip()
    graphs = []
    for lib in (sn, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0])
        c = a * b + a
        assert a.grad_fn is None and b.grad_fn is None and c.grad_fn is not None
        assert c.grad_fn.next_functions[1][0].variable is a
        graphs.append(describe(c.grad_fn))
        assert repr(c).endswith(", grad_fn=<AddBackward0>)")
    multiply = ("MulBackward0", [("AccumulateGrad", 0), (None, 0)])
    assert graphs[0] == graphs[1] == ("AddBackward0", [(multiply, 0), ("AccumulateGrad", 0)])
    x = sn.ones(2, requires_grad=True)
    y = x.exp()
    assert y.grad_fn == y.grad_fn and hash(y.grad_fn) == hash(y.grad_fn) and "ExpBackward0" in repr(y.grad_fn)


# ---- load ------------------------------------------------------------------------------------
def test_load_accepts_weights_only_and_map_location(tmp_path: Any) -> None:
    model = nn.Linear(3, 2)
    path = tmp_path / "model.pth"
    sn.save(model.state_dict(), path)
    for kwargs in ({"weights_only": True}, {"weights_only": False}, {"map_location": "cpu"},
                   {"map_location": sn.device("cpu"), "weights_only": True}, {"map_location": None},
                   {"map_location": {"cuda:0": "cpu"}}, {"map_location": lambda storage, loc: storage}):
        state = sn.load(path, **kwargs)
        assert_close(state["weight"], model.weight.numpy(), 0, 0)
    assert_close(sn.load(path, "cpu")["bias"], model.bias.numpy(), 0, 0)
    for location, error in (("cuda", AssertionError), (sn.device("cuda", 0), AssertionError),
                            ("mps", RuntimeError), ({"cpu": "cuda:1"}, AssertionError)):
        with pytest.raises(error, match="map_location 'cuda|map_location 'mps"):
            sn.load(path, map_location=location)


# ---- repr ------------------------------------------------------------------------------------
_rng = np.random.default_rng(0)
REPR_CASES = {
    "normal": _rng.standard_normal((2, 3)).astype(np.float32),
    "whole-floats": np.array([1.0, 2.0, -3.0], np.float32),
    "fixed-wide": np.array([1.0, -2.5, 100.0], np.float32),
    "scientific-small": np.array([1e-5, 1.0], np.float32),
    "scientific-large": np.array([1e9, 1.0], np.float32),
    "scientific-span": np.array([-0.5, 123456.7], np.float32),
    "nan-inf": np.array([1.0, np.nan, np.inf, -np.inf], np.float32),
    "nan-fraction": np.array([1.5, np.nan, -np.inf], np.float32),
    "zeros": np.zeros(3, np.float32),
    "negative-zero": np.array([-0.0, 1.0], np.float32),
    "scalar": np.array(3.5, np.float32),
    "ints": np.array([[1, 2], [300, -4]]),
    "bools": np.array([True, False]),
    "all-true": np.array([True, True]),
    "float64": np.array([1.0, 2.5]),
    "int32": np.array([1, 2], np.int32),
    "uint8": np.array([1, 2], np.uint8),
    "float16": np.array([1.5, 2.25], np.float16),
    "3d": _rng.standard_normal((2, 3, 4)).astype(np.float32),
    "wrapped-rows": (np.arange(30.0).reshape(2, 15) / 3).astype(np.float32),
    "long-vector": _rng.standard_normal(50).astype(np.float32),
    "empty": np.zeros(0, np.float32),
    "empty-2d": np.zeros((0, 3), np.float32),
    "empty-int": np.zeros(0, np.int64),
    "summarised-vector": np.arange(2000),
    "summarised-matrix": (np.arange(2000.0).reshape(40, 50) / 7).astype(np.float32),
    "summarised-3d": _rng.standard_normal((20, 20, 20)).astype(np.float32),
    "summarised-ints": np.arange(1200).reshape(30, 40) * 1000,
}


@pytest.mark.parametrize("name", sorted(REPR_CASES))
def test_repr_matches_torch(name: str) -> None:
    torch = torch_or_skip()
    values = REPR_CASES[name]
    assert repr(sn.tensor(values)) == repr(torch.tensor(values)).replace("torch.", "")


def test_repr_of_graph_tensors_matches_torch() -> None:
    torch = torch_or_skip()
    for make in (lambda lib, x: x, lambda lib, x: x * 2.0, lambda lib, x: x + 1.0, lambda lib, x: x.sum(),
                 lambda lib, x: x.to(lib.float64)[0:1]):
        ours = make(sn, sn.tensor([1.0, 2.5], requires_grad=True))
        theirs = make(torch, torch.tensor([1.0, 2.5], requires_grad=True))
        expected = repr(theirs).replace("torch.", "").replace("SliceBackward0", "GetItemBackward0")
        assert repr(ours).replace("CastBackward0", "ToCopyBackward0") == expected
    values = np.random.default_rng(1).uniform(0.5, 3.0, (20, 20)).astype(np.float32)
    assert repr(sn.tensor(values)) == repr(torch.tensor(values))
    assert len(repr(sn.tensor(values)).splitlines()) == 60  # not the 80 lines of NumPy's repr


def test_like_and_as_tensor_creators_match_torch() -> None:
    torch = torch_or_skip()
    base = np.arange(6, dtype=np.float64).reshape(2, 3)
    for name, args in (("full_like", (2.5,)), ("zeros_like", ()), ("ones_like", ())):
        ours = getattr(sn, name)(sn.tensor(base), *args)
        theirs = getattr(torch, name)(torch.tensor(base), *args)
        assert ours.dtype == torch_dtype_as_numpy(theirs.dtype)
        assert_close(ours, theirs.numpy(), 0, 0)
    assert sn.empty(2, 3).shape == tuple(torch.empty(2, 3).shape) and sn.empty(2).dtype == np.float32
    assert sn.empty_like(sn.tensor(base)).dtype == np.float64
    for lib in (sn, torch):
        shared = lib.as_tensor(base)
        base[0, 0] = -5.0
        assert shared[0, 0].item() == -5.0  # shares memory with the array, as torch.as_tensor
        assert lib.as_tensor(base, dtype=lib.float32)[0, 0].item() == -5.0


def test_cuda_queries_that_need_a_gpu_raise_as_torch() -> None:
    torch = torch_or_skip()
    for name in ("current_device", "synchronize"):
        with pytest.raises(AssertionError):
            getattr(torch.cuda, name)()
        with pytest.raises(AssertionError, match="cuda"):
            getattr(sn.cuda, name)()
    assert sn.cuda.is_initialized() is torch.cuda.is_initialized() is False
