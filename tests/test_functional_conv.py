"""conv2d and im2col/col2im against PyTorch, finite differences and the error cases."""

import numpy as np
import pytest

import scratchnet as sn
import scratchnet.functional as F
from tests.reference import check_gradients, torch_or_skip
from tests.test_functional_helpers import compare_with_torch, random

CONFIGS = [  # in, out, kernel, stride, padding, dilation, groups, bias
    (3, 4, (3, 3), 1, 0, 1, 1, True),
    (3, 4, (3, 3), 2, 1, 1, 1, True),
    (3, 4, (3, 3), 1, "same", 1, 1, True),
    (3, 4, (2, 4), 1, "same", 1, 1, False),
    (3, 5, (3, 3), 1, "valid", 1, 1, True),
    (3, 4, (3, 2), (2, 1), (1, 0), 1, 1, True),
    (3, 4, (3, 3), 1, 2, 2, 1, True),
    (4, 6, (3, 3), 1, 1, 1, 2, True),
    (4, 6, (3, 3), 2, "valid", 2, 2, False),
    (1, 10, (3, 3), 1, "same", 1, 1, True),
]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_matches_torch(config, dtype):
    torch = torch_or_skip()
    c, oc, kernel, stride, padding, dilation, groups, bias = config
    x = random(2, c, 9, 8, dtype=dtype)
    w = random(oc, c // groups, *kernel, dtype=dtype, seed=1)
    args = [x, w] + ([random(oc, dtype=dtype, seed=2)] if bias else [])
    compare_with_torch(
        lambda *t: F.conv2d(*t[:2], t[2] if bias else None, stride, padding, dilation, groups),
        lambda *t: torch.nn.functional.conv2d(*t[:2], t[2] if bias else None, stride, padding, dilation,
                                              groups),
        *args, rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-4 if dtype == np.float32 else 1e-10)


def test_conv2d_asymmetric_padding_equals_explicit_pad():
    torch = torch_or_skip()
    x, w, b = random(2, 3, 7, 6), random(4, 3, 3, 2, seed=1), random(4, seed=2)
    compare_with_torch(
        lambda x, w, b: F.conv2d(x, w, b, padding=((0, 1), (2, 1))),
        lambda x, w, b: torch.nn.functional.conv2d(torch.nn.functional.pad(x, (2, 1, 0, 1)), w, b),
        x, w, b, rtol=1e-10, atol=1e-10)


def test_conv2d_finite_differences():
    check_gradients(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=1),
                    random(1, 2, 5, 5), random(3, 2, 3, 3, seed=1), random(3, seed=2))
    check_gradients(lambda x, w: F.conv2d(x, w, padding="same", dilation=2, groups=2),
                    random(1, 4, 5, 4), random(2, 2, 2, 3, seed=1))


def test_conv2d_skips_input_gradient_when_not_needed():
    x = sn.tensor(random(2, 1, 6, 6))
    w = sn.tensor(random(2, 1, 3, 3, seed=1), requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad is not None


def test_conv2d_float32_stays_float32():
    x = sn.tensor(random(2, 3, 6, 6, dtype=np.float32), requires_grad=True)
    w = sn.tensor(random(4, 3, 3, 3, dtype=np.float32, seed=1), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == w.grad.dtype == np.float32


@pytest.mark.parametrize("kwargs, message", [
    (dict(padding="same", stride=2), "padding='same' is not supported for strided convolutions"),
    (dict(stride=0), "must be positive"),
    (dict(dilation=-1), "must be positive"),
    (dict(padding="full"), "padding must be"),
])
def test_conv2d_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        F.conv2d(sn.tensor(random(1, 3, 8, 8)), sn.tensor(random(2, 3, 3, 3)), **kwargs)


def test_conv2d_channel_mismatch_and_large_kernel():
    with pytest.raises(ValueError, match="expected input with 3 channels.*got 4 channels"):
        F.conv2d(sn.tensor(random(1, 4, 8, 8)), sn.tensor(random(2, 3, 3, 3)))
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.conv2d(sn.tensor(random(1, 3, 4, 4)), sn.tensor(random(2, 3, 5, 5)), padding=0)
    with pytest.raises(ValueError, match="4-D input"):
        F.conv2d(sn.tensor(random(3, 8, 8)), sn.tensor(random(2, 3, 3, 3)))


@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (2, ((1, 2), (0, 1)), 1), ((1, 2), 1, 2)])
def test_im2col_layout_and_col2im_adjoint(stride, padding, dilation):
    torch = torch_or_skip()
    x, w = random(2, 3, 7, 6), random(4, 3, 3, 2, seed=1)
    cols = F.im2col(x, (3, 2), stride, padding, dilation)
    widths = padding if isinstance(padding, tuple) else ((padding, padding), (padding, padding))
    reference = torch.nn.functional.conv2d(
        torch.nn.functional.pad(torch.tensor(x), (*widths[1], *widths[0])), torch.tensor(w),
        stride=stride, dilation=dilation).numpy()
    n, oc, oh, ow = reference.shape
    assert cols.shape == (n * oh * ow, 3 * 3 * 2)
    y = (cols @ w.reshape(oc, -1).T).reshape(n, oh, ow, oc).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(y, reference, rtol=1e-10, atol=1e-10)
    probe = random(*cols.shape, seed=3)
    back = F.col2im(probe, x.shape, (3, 2), stride, padding, dilation)
    assert back.shape == x.shape
    np.testing.assert_allclose((cols * probe).sum(), (x * back).sum(), rtol=1e-10)


def test_conv_output_size():
    assert F.conv_output_size(28, 3, 1, 1) == 28
    assert F.conv_output_size(28, 3, 2, 1) == 14
    assert F.conv_output_size(7, 3, 1, (0, 1), dilation=2) == 4
