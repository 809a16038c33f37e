"""GaussianNLLLoss, KLDivLoss and sn.logsumexp against torch: values and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import nn
from tests.reference import assert_close, torch_or_skip


def both(*arrays, grad=True):
    torch = torch_or_skip()
    return ([sn.tensor(a, requires_grad=grad) for a in arrays],
            [torch.tensor(a, requires_grad=grad) for a in arrays])


def compare_backward(ours_out, theirs_out, ours_in, theirs_in, rtol=1e-5, atol=1e-6):
    torch = torch_or_skip()
    assert_close(ours_out, theirs_out.detach(), rtol, atol, what="value")
    probe = np.random.default_rng(9).normal(size=tuple(theirs_out.shape)).astype(np.float32)
    (ours_out * sn.tensor(probe)).sum().backward()
    (theirs_out * torch.tensor(probe)).sum().backward()
    for index, (a, b) in enumerate(zip(ours_in, theirs_in)):
        assert_close(a.grad, b.grad, rtol, atol, what=f"gradient {index}")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1)])
def test_gaussian_nll_loss_matches_pytorch(reduction, full, var_shape):
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=(4, 3)).astype(np.float32)
    var = rng.uniform(0, 2, size=var_shape).astype(np.float32)
    var.flat[0] = 1e-9  # clamped at eps: the value changes, the gradient still reaches var
    ours, theirs = both(x, t, var)
    out = nn.GaussianNLLLoss(full=full, reduction=reduction)(*ours)
    expected = torch.nn.GaussianNLLLoss(full=full, reduction=reduction)(*theirs)
    compare_backward(out, expected, ours, theirs, rtol=1e-4)


def test_gaussian_nll_loss_bad_inputs():
    with pytest.raises(ValueError, match="negative"):
        nn.GaussianNLLLoss()(sn.zeros(2, 3), sn.zeros(2, 3), -sn.ones(2, 3))
    with pytest.raises(ValueError, match="does not fit"):
        nn.GaussianNLLLoss()(sn.zeros(2, 3), sn.zeros(2, 3), sn.ones(3))
    with pytest.raises(ValueError, match="reduction"):
        nn.GaussianNLLLoss(reduction="batchmean")


@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_loss_matches_pytorch(reduction, log_target):
    torch = torch_or_skip()
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(5, 4)).astype(np.float32)
    input = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    target = rng.dirichlet(np.ones(4), size=5).astype(np.float32)
    target[0, 1] = 0  # zero probability contributes 0
    if log_target:
        target = np.log(target + 1e-3).astype(np.float32)
    ours, theirs = both(input, target)
    out = nn.KLDivLoss(reduction=reduction, log_target=log_target)(*ours)
    expected = torch.nn.KLDivLoss(reduction=reduction, log_target=log_target)(*theirs)
    compare_backward(out, expected, ours[:1], theirs[:1])
    if reduction == "batchmean" and not log_target:
        p, q = target, np.exp(input)
        inside = p > 0
        assert np.isclose(float(out), (p[inside] * np.log(p[inside] / q[inside])).sum() / 5, rtol=1e-5)


@pytest.mark.parametrize("dim, keepdim", [(1, False), (2, True), ((0, 2), False), (-1, False)])
def test_logsumexp_matches_pytorch(dim, keepdim):
    torch = torch_or_skip()
    x = (np.random.default_rng(2).normal(size=(3, 4, 5)) * 40).astype(np.float32)  # exp overflows unshifted
    ours, theirs = both(x)
    out, expected = sn.logsumexp(ours[0], dim, keepdim), torch.logsumexp(theirs[0], dim, keepdim)
    compare_backward(out, expected, ours, theirs)


def test_logsumexp_of_only_minus_infinity_is_minus_infinity():
    x = np.full((2, 3), -np.inf, dtype=np.float32)
    x[1] = [0.0, 1.0, 2.0]
    out = sn.logsumexp(sn.tensor(x), 1).numpy()
    assert out[0] == -np.inf and np.isclose(out[1], np.log(np.exp([0.0, 1.0, 2.0]).sum()))
