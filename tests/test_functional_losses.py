"""Activations and losses against PyTorch, stability at extreme logits, and the error cases."""

import numpy as np
import pytest

import scratchnet as sn
import scratchnet.functional as F
from tests.reference import check_gradients, torch_or_skip
from tests.test_functional_helpers import compare_with_torch, random


@pytest.mark.parametrize("name, kwargs", [
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {}), ("elu", {"alpha": 0.5}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("softmax", {"dim": 1}), ("log_softmax", {"dim": -1}),
    ("relu", {}), ("sigmoid", {}), ("tanh", {}),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_match_torch(name, kwargs, dtype):
    torch = torch_or_skip()
    x = random(4, 5, dtype=dtype) * 3
    tolerance = 1e-5 if dtype == np.float32 or name == "gelu" else 1e-10
    compare_with_torch(lambda t: getattr(F, name)(t, **kwargs),
                       lambda t: getattr(torch.nn.functional, name)(t, **kwargs), x,
                       rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "gelu", "softmax", "log_softmax"])
def test_activation_finite_differences(name):
    check_gradients(getattr(F, name), random(3, 4) + 0.05)


def test_softmax_extreme_values_are_finite():
    torch = torch_or_skip()
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0]], dtype=np.float32)
    for name in ("softmax", "log_softmax"):
        compare_with_torch(getattr(F, name),
                           lambda t, name=name: getattr(torch.nn.functional, name)(t, dim=-1), x)


CE_CASES = [
    dict(),
    dict(reduction="sum"),
    dict(reduction="none"),
    dict(weight=True),
    dict(ignore_index=2),
    dict(weight=True, ignore_index=1, label_smoothing=0.2),
    dict(label_smoothing=0.1, reduction="none"),
]


@pytest.mark.parametrize("case", CE_CASES)
@pytest.mark.parametrize("spatial", [False, True])
def test_cross_entropy_with_indices_matches_torch(case, spatial):
    torch = torch_or_skip()
    shape = (4, 5, 3, 2) if spatial else (6, 5)
    logits = random(*shape)
    target = np.random.default_rng(3).integers(0, 5, (shape[0],) + shape[2:])
    kwargs = dict(case)
    weight = random(5, seed=4) ** 2 if kwargs.pop("weight", False) else None
    compare_with_torch(
        lambda x: F.cross_entropy(x, target, None if weight is None else sn.tensor(weight), **kwargs),
        lambda x: torch.nn.functional.cross_entropy(
            x, torch.tensor(target), None if weight is None else torch.tensor(weight), **kwargs),
        logits, rtol=1e-10, atol=1e-10)
    compare_with_torch(
        lambda x: F.nll_loss(F.log_softmax(x, 1), target, None if weight is None else sn.tensor(weight),
                             **{k: v for k, v in kwargs.items() if k != "label_smoothing"}),
        lambda x: torch.nn.functional.nll_loss(torch.log_softmax(x, 1), torch.tensor(target),
                                               None if weight is None else torch.tensor(weight),
                                               **{k: v for k, v in kwargs.items() if k != "label_smoothing"}),
        logits, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.3, "reduction": "sum"}, {"weight": True}])
def test_cross_entropy_with_probabilities_matches_torch(kwargs):
    torch = torch_or_skip()
    kwargs = dict(kwargs)
    weight = random(4, seed=4) ** 2 if kwargs.pop("weight", False) else None
    target = np.random.default_rng(0).dirichlet(np.ones(4), 5)
    compare_with_torch(
        lambda x, t: F.cross_entropy(x, t, None if weight is None else sn.tensor(weight), **kwargs),
        lambda x, t: torch.nn.functional.cross_entropy(x, t, None if weight is None else torch.tensor(weight),
                                                       **kwargs),
        random(5, 4), target, rtol=1e-10, atol=1e-10)


def test_cross_entropy_extreme_logits_float32():
    torch = torch_or_skip()
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [0.0, 0.0, -1000.0]],
                      dtype=np.float32)
    target = np.array([1, 2, 2])
    x = sn.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, target)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
    compare_with_torch(lambda x: F.cross_entropy(x, target),
                       lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(target)), logits)


def test_cross_entropy_finite_differences():
    target = np.array([0, 2, 1])
    check_gradients(lambda x: F.cross_entropy(x, target, label_smoothing=0.1), random(3, 4))
    check_gradients(lambda x, t: F.cross_entropy(x, t), random(3, 4), np.random.default_rng(0).dirichlet(
        np.ones(4), 3))


def test_cross_entropy_errors():
    logits = sn.tensor(random(600, 10))
    labels = np.zeros(600, dtype=np.int64)
    labels[523] = 10
    with pytest.raises(ValueError, match=r"label 10 out of range \[0, 10\) at index 523"):
        F.cross_entropy(logits, labels)
    labels[523] = -1
    with pytest.raises(ValueError, match="label -1 out of range"):
        F.cross_entropy(logits, labels)
    labels[523] = -100
    assert np.isfinite(F.cross_entropy(logits, labels).item())
    with pytest.raises(ValueError, match="to_categorical"):
        F.cross_entropy(logits, labels.astype(np.float32))
    with pytest.raises(ValueError, match=r"\(599,\).*\(600, 10\)"):
        F.cross_entropy(logits, labels[:599])


@pytest.mark.parametrize("name, kwargs", [
    ("mse_loss", {}), ("l1_loss", {"reduction": "sum"}), ("huber_loss", {"delta": 0.7}),
    ("huber_loss", {"reduction": "none"}), ("binary_cross_entropy_with_logits", {}),
    ("binary_cross_entropy_with_logits", {"reduction": "none"}),
])
def test_regression_and_logit_losses_match_torch(name, kwargs):
    torch = torch_or_skip()
    target = np.random.default_rng(2).uniform(0, 1, (4, 3))
    compare_with_torch(lambda x, t: getattr(F, name)(x, t, **kwargs),
                       lambda x, t: getattr(torch.nn.functional, name)(x, t, **kwargs),
                       random(4, 3), target, rtol=1e-10, atol=1e-10)


def test_bce_with_logits_pos_weight_and_extremes():
    torch = torch_or_skip()
    pos_weight = np.array([0.5, 2.0, 3.0])
    target = np.random.default_rng(2).uniform(0, 1, (4, 3))
    compare_with_torch(
        lambda x, t: F.binary_cross_entropy_with_logits(x, t, weight=sn.tensor(pos_weight[::-1].copy()),
                                                        pos_weight=sn.tensor(pos_weight)),
        lambda x, t: torch.nn.functional.binary_cross_entropy_with_logits(
            x, t, weight=torch.tensor(pos_weight[::-1].copy()), pos_weight=torch.tensor(pos_weight)),
        random(4, 3), target, rtol=1e-10, atol=1e-10)
    extreme = np.array([[1000.0, -1000.0, 0.0]], dtype=np.float32)
    compare_with_torch(F.binary_cross_entropy_with_logits,
                       torch.nn.functional.binary_cross_entropy_with_logits, extreme,
                       np.array([[0.0, 1.0, 1.0]], dtype=np.float32))


def test_binary_cross_entropy_matches_torch_including_clamped_logs():
    torch = torch_or_skip()
    probs = np.random.default_rng(1).uniform(0.05, 0.95, (4, 3))
    target = np.random.default_rng(2).uniform(0, 1, (4, 3))
    for reduction in ("mean", "sum", "none"):
        compare_with_torch(lambda x, t, r=reduction: F.binary_cross_entropy(x, t, reduction=r),
                           lambda x, t, r=reduction: torch.nn.functional.binary_cross_entropy(
                               x, t, reduction=r),
                           probs, target, rtol=1e-10, atol=1e-10)
    edge = np.array([0.0, 1.0, 0.5])
    compare_with_torch(F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy,
                       edge, np.array([1.0, 0.0, 1.0]), grads=False)


def test_loss_shape_mismatch_names_both_shapes():
    for name in ("mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy_with_logits"):
        with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)|\(4,\).*\(4, 1\)"):
            getattr(F, name)(sn.tensor(random(4, 1)), sn.tensor(random(4)))
    with pytest.raises(ValueError, match="reduction must be"):
        F.mse_loss(sn.tensor(random(3)), sn.tensor(random(3)), reduction="avg")
