"""Pooling, batch/layer norm, dropout, linear and embedding against PyTorch and finite differences."""

import numpy as np
import pytest

import scratchnet as sn
import scratchnet.functional as F
from tests.reference import assert_close, check_gradients, torch_or_skip
from tests.test_functional_helpers import compare_with_torch, random

POOLS = [(2, None, 0), (3, 2, 1), (3, 1, 1), ((2, 3), (2, 1), (1, 0)), (2, 2, 1)]


@pytest.mark.parametrize("kernel, stride, padding", POOLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool2d_matches_torch(kernel, stride, padding, dtype):
    torch = torch_or_skip()
    compare_with_torch(lambda x: F.max_pool2d(x, kernel, stride, padding),
                       lambda x: torch.nn.functional.max_pool2d(x, kernel, stride, padding),
                       random(2, 3, 9, 8, dtype=dtype))


@pytest.mark.parametrize("kernel, stride, padding", POOLS)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_torch(kernel, stride, padding, count_include_pad):
    torch = torch_or_skip()
    compare_with_torch(lambda x: F.avg_pool2d(x, kernel, stride, padding, count_include_pad),
                       lambda x: torch.nn.functional.avg_pool2d(x, kernel, stride, padding,
                                                                count_include_pad=count_include_pad),
                       random(2, 3, 9, 8), rtol=1e-10, atol=1e-12)


def test_max_pool2d_ties_route_gradient_to_one_element():
    torch = torch_or_skip()
    x = np.zeros((1, 1, 4, 4))
    compare_with_torch(lambda x: F.max_pool2d(x, 2), lambda x: torch.nn.functional.max_pool2d(x, 2), x)
    compare_with_torch(lambda x: F.max_pool2d(x, 3, 1, 1),
                       lambda x: torch.nn.functional.max_pool2d(x, 3, 1, 1), x)



def test_max_pool2d_with_more_than_255_kernel_offsets_matches_torch():
    """A 16x17 window has 272 offsets, more than a byte can number: each window's maximum sits at
    an offset past 255, so a wrapped offset would send its gradient to the wrong element."""
    torch = torch_or_skip()
    x = random(2, 3, 32, 34)
    x[:, :, 15::16, 16::17] += 10.0  # offset (15, 16) = 271 of every tiling window
    compare_with_torch(lambda x: F.max_pool2d(x, (16, 17)),
                       lambda x: torch.nn.functional.max_pool2d(x, (16, 17)), x)
    compare_with_torch(lambda x: F.max_pool2d(x, (16, 17), 8),
                       lambda x: torch.nn.functional.max_pool2d(x, (16, 17), 8), x)

@pytest.mark.parametrize("size", [1, (2, 4), (None, 2)])
def test_adaptive_avg_pool2d_matches_torch(size):
    torch = torch_or_skip()
    compare_with_torch(lambda x: F.adaptive_avg_pool2d(x, size),
                       lambda x: torch.nn.functional.adaptive_avg_pool2d(x, size), random(2, 3, 8, 8),
                       rtol=1e-10, atol=1e-12)


def test_pooling_finite_differences_and_errors():
    check_gradients(lambda x: F.max_pool2d(x, 3, 2, 1), random(1, 2, 5, 6))
    check_gradients(lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), random(1, 2, 5, 6))
    with pytest.raises(ValueError, match="at most half of kernel"):
        F.max_pool2d(sn.tensor(random(1, 1, 4, 4)), 2, padding=2)
    with pytest.raises(ValueError, match="must be positive"):
        F.adaptive_avg_pool2d(sn.tensor(random(1, 1, 5, 5)), 0)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (4, 3, 5, 6)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_and_running_stats_match_torch(shape, affine):
    torch = torch_or_skip()
    ours_mean, ours_var = sn.tensor(np.zeros(3)), sn.tensor(np.ones(3))
    torch_mean, torch_var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    w, b = random(3, seed=5), random(3, seed=6)
    for step in range(3):
        x = random(*shape, seed=step) * 2 + 1
        args = [x, w, b] if affine else [x]
        compare_with_torch(
            lambda x, *wb: F.batch_norm(x, ours_mean, ours_var, *wb, training=True, momentum=0.2),
            lambda x, *wb: torch.nn.functional.batch_norm(x, torch_mean, torch_var, *wb, training=True,
                                                          momentum=0.2), *args, rtol=1e-10, atol=1e-10)
    assert_close(ours_mean, torch_mean, 1e-12, 1e-12, "running mean")
    assert_close(ours_var, torch_var, 1e-12, 1e-12, "running var (unbiased)")
    x = random(*shape, seed=9)
    args = [x, w, b] if affine else [x]
    compare_with_torch(lambda x, *wb: F.batch_norm(x, ours_mean, ours_var, *wb, training=False),
                       lambda x, *wb: torch.nn.functional.batch_norm(x, torch_mean, torch_var, *wb),
                       *args, rtol=1e-10, atol=1e-10)


def test_batch_norm_float32_and_finite_differences():
    torch = torch_or_skip()
    x = random(8, 4, 5, 5, dtype=np.float32) * 3 + 2
    compare_with_torch(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                       lambda x, w, b: torch.nn.functional.batch_norm(x, None, None, w, b, training=True),
                       x, random(4, dtype=np.float32, seed=1), random(4, dtype=np.float32, seed=2))
    check_gradients(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                    random(3, 2, 2, 3), random(2, seed=1), random(2, seed=2))


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        F.batch_norm(sn.tensor(random(1, 10)), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean must have shape"):
        F.batch_norm(sn.tensor(random(4, 3)), sn.zeros(4), sn.ones(3))


def test_layer_norm_matches_torch():
    torch = torch_or_skip()
    compare_with_torch(lambda x, w, b: F.layer_norm(x, (4, 5), w, b),
                       lambda x, w, b: torch.nn.functional.layer_norm(x, (4, 5), w, b),
                       random(3, 4, 5), random(4, 5, seed=1), random(4, 5, seed=2), rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="does not match"):
        F.layer_norm(sn.tensor(random(3, 4)), 5)


def test_dropout_scaling_eval_and_seed():
    x = sn.tensor(np.ones((200, 100), dtype=np.float32), requires_grad=True)
    sn.manual_seed(3)
    y = F.dropout(x, 0.3)
    values = np.unique(y.numpy())
    np.testing.assert_allclose(values, [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((y.numpy() == 0).mean() - 0.3) < 0.01
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())
    sn.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, 0.3).numpy(), y.numpy())
    assert F.dropout(x, 0.3, training=False) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


def test_dropout2d_drops_whole_channels():
    x = sn.tensor(np.ones((50, 20, 3, 3), dtype=np.float32))
    y = F.dropout2d(x, 0.5).numpy()
    per_channel = y.reshape(50, 20, 9)
    assert (per_channel.min(axis=2) == per_channel.max(axis=2)).all()
    assert set(np.unique(y)) == {0.0, 2.0}
    assert F.dropout2d(x, 0.5, training=False) is x


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(bias):
    torch = torch_or_skip()
    args = [random(2, 3, 5), random(4, 5, seed=1)] + ([random(4, seed=2)] if bias else [])
    compare_with_torch(F.linear, torch.nn.functional.linear, *args, rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match=r"expected input of shape \(\*, 5\)"):
        F.linear(sn.tensor(random(2, 4)), sn.tensor(random(3, 5)))


def test_embedding_and_one_hot():
    torch = torch_or_skip()
    indices = np.array([[0, 2, 2], [4, 0, 1]])
    compare_with_torch(lambda w: F.embedding(indices, w),
                       lambda w: torch.nn.functional.embedding(torch.tensor(indices), w), random(5, 3))
    np.testing.assert_array_equal(F.one_hot(sn.tensor(indices)).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor(indices)).numpy())
    assert F.one_hot(sn.tensor(indices), 7).shape == (2, 3, 7)
    with pytest.raises(ValueError, match="index 5 out of range"):
        F.embedding(np.array([5]), sn.tensor(random(5, 3)))


def test_conv_bn_relu_pool_chain_matches_torch():
    """The fused ops hand each other channels-last views (conv output) and contiguous gradients
    (from flatten): the whole chain must still match PyTorch."""
    torch = torch_or_skip()
    tf = torch.nn.functional
    labels = np.array([0, 3, 1, 2])
    running = {"ours": [sn.tensor(np.zeros(6)), sn.tensor(np.ones(6))],
               "torch": [torch.zeros(6, dtype=torch.float64), torch.ones(6, dtype=torch.float64)]}

    def ours(x, w1, w2, gamma, beta, fc):
        h = F.relu(F.batch_norm(F.conv2d(x, w1, padding=1), *running["ours"], gamma, beta, training=True))
        h = F.max_pool2d(F.conv2d(h, w2, padding="same", groups=2), 2)
        h = F.avg_pool2d(F.relu(h), 3, 1, 1)
        return F.cross_entropy(F.linear(h.reshape(4, -1), fc), labels, reduction="none")

    def theirs(x, w1, w2, gamma, beta, fc):
        h = tf.relu(tf.batch_norm(tf.conv2d(x, w1, padding=1), *running["torch"], gamma, beta, training=True))
        h = tf.max_pool2d(tf.conv2d(h, w2, padding="same", groups=2), 2)
        h = tf.avg_pool2d(tf.relu(h), 3, 1, 1)
        return tf.cross_entropy(tf.linear(h.reshape(4, -1), fc), torch.tensor(labels), reduction="none")

    compare_with_torch(ours, theirs, random(4, 2, 8, 8), random(6, 2, 3, 3, seed=1),
                       random(4, 3, 3, 3, seed=2), random(6, seed=3), random(6, seed=4),
                       random(5, 64, seed=5), rtol=1e-9, atol=1e-10)
    assert_close(running["ours"][1], running["torch"][1], 1e-10, 1e-12, "running var")


def test_channels_last_inputs_match_torch():
    torch = torch_or_skip()
    x = np.ascontiguousarray(random(3, 4, 6, 6).transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    assert x.strides[1] == 8, "the test input should be channels-last"
    compare_with_torch(lambda x: F.max_pool2d(x, 3, 2, 1),
                       lambda x: torch.nn.functional.max_pool2d(x, 3, 2, 1), x)
    compare_with_torch(lambda x: F.batch_norm(x, None, None, training=True),
                       lambda x: torch.nn.functional.batch_norm(x, None, None, training=True), x,
                       rtol=1e-10, atol=1e-10)
    compare_with_torch(lambda x, w: F.conv2d(x, w, stride=2, padding=1),
                       lambda x, w: torch.nn.functional.conv2d(x, w, stride=2, padding=1), x,
                       random(2, 4, 3, 3, seed=1), rtol=1e-10, atol=1e-10)
