"""Convolution keeps per-call state (kept input planes, patch buffers): graphs alive at the same time
and calls under no_grad in between must not disturb each other."""

import numpy as np

import scratchnet as sn
import scratchnet.functional as F
from tests.reference import torch_or_skip


def test_conv2d_graphs_alive_together_and_no_grad_calls_keep_their_own_patches():
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((2, 3, 6, 5)) for _ in range(2)]
    w, b = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    weight, bias = sn.tensor(w, requires_grad=True), sn.tensor(b, requires_grad=True)
    inputs = [sn.tensor(x, requires_grad=True) for x in xs]
    first = F.conv2d(inputs[0], weight, bias, padding=1)
    second = F.conv2d(inputs[1], weight, bias, padding=1)  # same shapes, both graphs alive
    with sn.no_grad():
        F.conv2d(sn.tensor(rng.standard_normal((2, 3, 6, 5))), weight, bias, padding=1)
    (first.sum() + (second * second).sum()).backward()
    F.conv2d(inputs[0], weight, bias, padding=1).sum().backward()  # after release: reuse the spares

    wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    conv = torch.nn.functional.conv2d
    y1, y2 = conv(ts[0], wt, bt, padding=1), conv(ts[1], wt, bt, padding=1)
    (y1.sum() + (y2 * y2).sum()).backward()
    conv(ts[0], wt, bt, padding=1).sum().backward()
    for ours, theirs in [(weight, wt), (bias, bt)] + list(zip(inputs, ts)):
        np.testing.assert_allclose(ours.grad.array, theirs.grad.numpy(), rtol=1e-10, atol=1e-10)
