"""Work split into pieces gives the unsplit results: convolution's cache blocks of images, and the
memory layouts the fused ops and the ReLU family keep (channel planes, channels-last,
channels-first)."""

import numpy as np
import pytest

import scratchnet.functional as F
from scratchnet.functional import patches
from scratchnet.layout import against_zeros, memory_order
from tests.test_functional_helpers import compare_with_torch, random

BLOCKED_CONFIGS = [  # in, out, kernel, stride, padding, dilation, groups, bias
    (3, 4, (3, 3), 1, 1, 1, 1, True),
    (3, 4, (3, 2), 1, "valid", 2, 1, False),
    (3, 4, (3, 3), 2, 1, 1, 1, True),
    (2, 3, (3, 3), 1, "same", 4, 1, True),  # kernel offsets reach past whole images
    (4, 6, (3, 3), 1, ((0, 2), (1, 0)), 1, 2, True),  # PyTorch: F.pad(x, (1, 0, 0, 2)), no padding
]


@pytest.mark.parametrize("config", BLOCKED_CONFIGS)
@pytest.mark.parametrize("block_bytes, weight_gradient_pixels", [(1, 4096), (2000, 4096), (10 ** 6, 17)])
def test_conv2d_in_blocks_of_images_matches_torch(monkeypatch, config, block_bytes, weight_gradient_pixels):
    """One image per block, a few images per block with a shorter last block, and one block whose
    weight gradient sums slices of pixels (a shorter last one): same values and gradients as
    PyTorch."""
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(patches, "BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(patches, "WEIGHT_GRADIENT_PIXELS", weight_gradient_pixels)
    c, oc, kernel, stride, padding, dilation, groups, bias = config
    x = random(5, c, 7, 6)
    w = random(oc, c // groups, *kernel, seed=1)
    args = [x, w] + ([random(oc, seed=2)] if bias else [])
    asymmetric = isinstance(padding, tuple)

    def theirs(x, w, b=None):
        x = torch.nn.functional.pad(x, (1, 0, 0, 2)) if asymmetric else x
        return torch.nn.functional.conv2d(x, w, b, stride, 0 if asymmetric else padding, dilation, groups)

    compare_with_torch(lambda *t: F.conv2d(*t[:2], t[2] if bias else None, stride, padding, dilation, groups),
                       theirs, *args, rtol=1e-10, atol=1e-10)


LAYOUTS = {"planes": (1, 0, 2, 3), "channels_last": (0, 2, 3, 1), "channels_first": (0, 1, 2, 3)}
"""Memory order of an (N, C, H, W) array, outermost axis first."""

def stored_as(x, order):
    """``x`` with its axes stored in ``order`` (outermost first)."""
    return np.ascontiguousarray(x.transpose(order)).transpose(np.argsort(order))


OPS = {  # name: (ours, theirs, extra array arguments)
    "conv2d": (lambda x, w: F.conv2d(x, w, padding=1),
               lambda torch, x, w: torch.nn.functional.conv2d(x, w, padding=1), [(5, 3, 3, 3)]),
    "batch_norm": (lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True),
                   lambda torch, x, g, b: torch.nn.functional.batch_norm(x, None, None, g, b, training=True),
                   [(3,), (3,)]),
    "max_pool2d tiles": (lambda x: F.max_pool2d(x, 2), lambda torch, x: torch.nn.functional.max_pool2d(x, 2),
                         []),
    "max_pool2d overlapping": (lambda x: F.max_pool2d(x, 3, 2, 1),
                               lambda torch, x: torch.nn.functional.max_pool2d(x, 3, 2, 1), []),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2), lambda torch, x: torch.nn.functional.avg_pool2d(x, 2), []),
    "relu": (F.relu, lambda torch, x: torch.nn.functional.relu(x), []),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1),
                   lambda torch, x: torch.nn.functional.leaky_relu(x, 0.1), []),
    "elu": (F.elu, lambda torch, x: torch.nn.functional.elu(x), []),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("op", OPS)
def test_fused_ops_in_every_input_layout(layout, op):
    """The same values and gradients as PyTorch whatever memory order the input arrives in (ties
    in the max-pool windows included: the gradient goes to the first maximum)."""
    torch = pytest.importorskip("torch")
    ours, theirs, extra = OPS[op]
    x = np.round(random(4, 3, 8, 7) * 2) / 2  # halves: many equal values
    stored = stored_as(x, LAYOUTS[layout])
    arrays = [random(*shape, seed=seed) for seed, shape in enumerate(extra, start=1)]
    compare_with_torch(ours, lambda *t: theirs(torch, *t), stored, *arrays, rtol=1e-9, atol=1e-9)


ARRAYS = {  # name: an array in some memory layout
    "planes": stored_as(random(4, 3, 5, 6), LAYOUTS["planes"]),
    "channels_last": stored_as(random(4, 3, 5, 6), LAYOUTS["channels_last"]),
    "C order": random(4, 3, 5, 6),
    "F order": np.asfortranarray(random(7, 5)),
    "size-1 axes": stored_as(random(1, 3, 1, 6), LAYOUTS["planes"]),
    "strided slice": random(4, 6, 5)[:, ::2],
    "1-D": random(9),
    "0-D": np.array(-1.5),
}


@pytest.mark.parametrize("name", ARRAYS)
@pytest.mark.parametrize("ufunc", [np.maximum, np.fmin])
def test_against_zeros_keeps_values_and_memory_order(name, ufunc):
    a = ARRAYS[name]
    np.copyto(a, np.nan, where=np.arange(a.size).reshape(a.shape) % 3 == 0)  # maximum keeps NaN, fmin not
    result = against_zeros(ufunc, a)
    np.testing.assert_array_equal(result, ufunc(a, 0))
    assert result.shape == a.shape and result.dtype == a.dtype
    if a.ndim and (a.flags.c_contiguous or a.flags.f_contiguous or name in ("planes", "channels_last")):
        assert memory_order(result) == memory_order(a)
        assert result.flags.c_contiguous or result.transpose(memory_order(a)).flags.c_contiguous
