"""Every classic layer's explicit backward against float64 finite differences and against the
core's autograd on the same weights, plus the tutorial's layer bugs, each in a test that fails
on the tutorial's code."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.classic import Layers, Model
from tests.reference import assert_close, numerical_gradient

RNG = np.random.default_rng(0)


def build(layer, x):
    """Run one forward so that lazily shaped weights exist (float64 for float64 input)."""
    sn.manual_seed(0)
    layer.forward(x)
    return layer


def run_forward(layer, x):
    """A forward with a fixed Dropout mask (the generator is reseeded every time)."""
    sn.manual_seed(1)
    return layer.forward(x)


def check_finite_differences(layer, x):
    """``backward(w)`` equals the numerical gradient of ``Σ forward(x)·w`` for x and every weight."""
    probe = RNG.standard_normal(run_forward(layer, x).shape)
    dx = layer.backward(probe.copy())
    assert_close(dx, numerical_gradient(lambda v: float((run_forward(layer, v) * probe).sum()), x),
                 rtol=1e-5, atol=1e-7, what=f"{type(layer).__name__} dx")
    for key in list(layer.params):
        def objective(value, key=key):
            saved, layer.params[key] = layer.params[key], value
            try:
                return float((run_forward(layer, x) * probe).sum())
            finally:
                layer.params[key] = saved
        assert_close(layer.grads[key], numerical_gradient(objective, layer.params[key]),
                     rtol=1e-5, atol=1e-7, what=f"{type(layer).__name__} d{key}")


def windows(x, size=2):
    """``(N, C, H, W)`` Tensor → ``(N, C, H/size, W/size, size, size)`` non-overlapping windows."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // size, size, w // size, size).permute(0, 1, 2, 4, 3, 5)


def conv_reference(x, params):
    from scratchnet.functional.conv import conv2d

    return conv2d(x, params["W"], params["b"], stride=2, padding=1)


CASES = {  # name: (layer factory, input shape, the same map written with autograd ops)
    "MulLayer": (lambda: Layers.MulLayer(3), (4, 5), lambda x, p: x @ p["W"]),
    "AddLayer": (lambda: Layers.AddLayer(), (4, 5), lambda x, p: x + p["b"]),
    "ReLU": (lambda: Layers.ReLU(), (4, 5), lambda x, p: sn.relu(x)),
    "LeakyReLU": (lambda: Layers.LeakyReLU(0.1), (4, 5), lambda x, p: sn.where(x > 0, x, x * 0.1)),
    "ELU": (lambda: Layers.ELU(0.7), (4, 5), lambda x, p: sn.where(x > 0, x, (sn.exp(x) - 1) * 0.7)),
    "SigmoidLayer": (lambda: Layers.SigmoidLayer(), (4, 5), lambda x, p: sn.sigmoid(x)),
    "Flatten": (lambda: Layers.Flatten(), (2, 3, 2, 2), lambda x, p: x.reshape(2, -1)),
    "ConvLayer": (lambda: Layers.ConvLayer(3, (3, 2), stride=2, pad=1), (2, 2, 5, 6), conv_reference),
    "MaxPooling": (lambda: Layers.MaxPooling(), (2, 3, 4, 6), lambda x, p: windows(x).max(axis=(4, 5))),
    "AvgPooling": (lambda: Layers.AvgPooling(), (2, 3, 4, 6), lambda x, p: windows(x).mean(axis=(4, 5))),
}


@pytest.mark.parametrize("name", CASES)
def test_backward_matches_finite_differences(name):
    factory, shape, _ = CASES[name]
    x = RNG.standard_normal(shape)
    check_finite_differences(build(factory(), x), x)


@pytest.mark.parametrize("name", CASES)
def test_forward_and_backward_match_autograd(name):
    factory, shape, reference = CASES[name]
    x = RNG.standard_normal(shape)
    layer = build(factory(), x)
    out = layer.forward(x)
    dout = RNG.standard_normal(out.shape)
    dx = layer.backward(dout)
    x_t = sn.tensor(x, requires_grad=True)
    params = {key: sn.tensor(value, requires_grad=True) for key, value in layer.params.items()}
    expected = reference(x_t, params)
    (expected * sn.tensor(dout)).sum().backward()
    assert_close(out, expected, rtol=1e-10, atol=1e-12, what="forward")
    assert_close(dx, x_t.grad, rtol=1e-10, atol=1e-12, what="dx")
    for key, tensor in params.items():
        assert_close(layer.grads[key], tensor.grad, rtol=1e-10, atol=1e-12, what=f"d{key}")


def test_dropout_backward_matches_finite_differences_and_autograd():
    x = RNG.standard_normal((6, 5))
    layer = Layers.Dropout(0.4)
    check_finite_differences(layer, x)
    out = run_forward(layer, x)
    x_t = sn.tensor(x, requires_grad=True)
    (x_t * sn.tensor(layer.scale)).sum().backward()
    assert_close(out, x * layer.scale)
    assert_close(layer.backward(np.ones_like(x)), x_t.grad)


def log_softmax(x):
    shifted = x - sn.tensor(x.numpy().max(axis=1, keepdims=True))
    return shifted - sn.log(sn.exp(shifted).sum(axis=1, keepdims=True))


LOSSES = {
    "SoftmaxLayer": (Layers.SoftmaxLayer, lambda: np.eye(4)[RNG.integers(0, 4, 5)],
                     lambda x, t: -(sn.tensor(t) * log_softmax(x)).sum() / 5),
    "MSELayer": (Layers.MSELayer, lambda: RNG.standard_normal((5, 4)),
                 lambda x, t: ((x - sn.tensor(t)) ** 2).mean()),
}


@pytest.mark.parametrize("name", LOSSES)
def test_loss_layer_gradient_matches_finite_differences_and_autograd(name):
    factory, make_targets, reference = LOSSES[name]
    layer, x, t = factory(), RNG.standard_normal((5, 4)), make_targets()

    def loss(value):
        layer.forward(value)
        return layer.loss(t)

    value = loss(x)
    dx = layer.backward(1.0)
    assert_close(dx, numerical_gradient(loss, x), rtol=1e-6, atol=1e-9, what="dx")
    x_t = sn.tensor(x, requires_grad=True)
    expected = reference(x_t, t)
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-12)
    assert_close(dx, x_t.grad, rtol=1e-10, atol=1e-12)


def test_softmax_layer_accepts_integer_labels_and_rejects_bad_ones():
    layer, x = Layers.SoftmaxLayer(), RNG.standard_normal((3, 4))
    layer.forward(x)
    labels = np.array([0, 3, 1])
    assert layer.loss(labels) == pytest.approx(layer.loss(np.eye(4)[labels]))
    with pytest.raises(ValueError, match="label 4 out of range"):
        layer.loss(np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="one-hot"):
        layer.loss(np.ones((3, 5)))


def test_softmax_layer_is_stable_for_large_logits():
    layer = Layers.SoftmaxLayer()
    y = layer.forward(np.array([[1000.0, 0.0], [-1000.0, 0.0]], dtype=np.float32))
    assert np.isfinite(y).all() and np.isfinite(layer.loss(np.array([1, 0])))


# ---- the tutorial's bugs -------------------------------------------------------------------
def test_bias_gradient_is_a_sum_over_the_batch():
    layer, dout = build(Layers.AddLayer(), np.zeros((5, 3))), RNG.standard_normal((5, 3))
    layer.backward(dout)
    assert_close(layer.grads["b"], dout.sum(axis=0))  # the tutorial's mean is 5x smaller


@pytest.mark.parametrize("factory", [Layers.ReLU, Layers.LeakyReLU, Layers.ELU, Layers.SigmoidLayer])
def test_activations_do_not_overwrite_input_output_or_gradient(factory):
    layer, x, dout = factory(), RNG.standard_normal((4, 6)), RNG.standard_normal((4, 6))
    x_saved, dout_saved = x.copy(), dout.copy()
    out = layer.forward(x)
    out_saved = out.copy()
    layer.backward(dout)
    assert_close(x, x_saved, rtol=0, atol=0, what="input")
    assert_close(out, out_saved, rtol=0, atol=0, what="output")
    assert_close(dout, dout_saved, rtol=0, atol=0, what="incoming gradient")


def test_dropout_is_inverted():
    layer, x = Layers.Dropout(0.25), np.ones((200, 100))
    sn.manual_seed(0)
    out = layer.forward(x)
    assert np.mean(out == 0) == pytest.approx(0.25, abs=0.02)
    assert_close(np.unique(out), np.array([0, 1 / 0.75]), what="dropout output values")
    assert out.mean() == pytest.approx(1.0, abs=0.03)  # expected value kept while training
    layer.train_flag = False
    assert_close(layer.forward(x), x, rtol=0, atol=0)  # identity at prediction time


def test_dropout_rejects_bad_rates():
    for rate in (-0.1, 1.0, "0.5"):
        with pytest.raises(ValueError, match="dropout_rate"):
            Layers.Dropout(rate)


def test_conv_layer_accepts_an_int_kernel_size():
    layer = Layers.ConvLayer(4, 3)
    assert layer.forward(np.zeros((2, 2, 6, 6), np.float32)).shape == (2, 4, 4, 4)
    assert layer.params["W"].shape == (4, 2, 3, 3)


@pytest.mark.parametrize("initializer, std", [
    ("he", lambda fan_in, fan_out: np.sqrt(2 / fan_in)),
    ("xavier", lambda fan_in, fan_out: np.sqrt(2 / (fan_in + fan_out))),
])
def test_initialisers_use_the_right_fans(initializer, std):
    sn.manual_seed(0)
    dense = Layers.MulLayer(300, initializer=initializer)
    dense.forward(np.zeros((1, 500), np.float32))
    conv = Layers.ConvLayer(64, 5, initializer=initializer)
    conv.forward(np.zeros((1, 16, 5, 5), np.float32))
    assert dense.params["W"].shape == (500, 300)
    assert dense.params["W"].std() == pytest.approx(std(500, 300), rel=0.03)
    assert conv.params["W"].std() == pytest.approx(std(16 * 25, 64 * 25), rel=0.03)
    assert dense.params["W"].dtype == conv.params["W"].dtype == np.float32


def test_unknown_initialiser_is_rejected():
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        Layers.MulLayer(10, initializer="glorot")
    with pytest.raises(ValueError, match="unknown initializer"):
        Layers.ConvLayer(4, 3, initializer="zeros")


@pytest.mark.parametrize("shape", [(3, 4), (3, 4, 5), (3, 2, 4, 5)])
def test_flatten_works_after_any_layer(shape):
    layer, x = Layers.Flatten(), RNG.standard_normal(shape)
    out = layer.forward(x)
    assert out.shape == (3, int(np.prod(shape[1:])))
    assert layer.backward(out).shape == shape


@pytest.mark.parametrize("factory, message", [
    (lambda: Layers.MulLayer(0), "out"),
    (lambda: Layers.MulLayer(3, reg=-1), "reg"),
    (lambda: Layers.ConvLayer(3, 0), "kernel_size"),
    (lambda: Layers.ConvLayer(3, 2, stride=0), "stride"),
    (lambda: Layers.ConvLayer(3, 2, pad=-1), "pad"),
    (lambda: Layers.MaxPooling(pool_size=0), "pool_size"),
])
def test_bad_arguments_are_rejected(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_bad_input_shapes_are_named():
    layer = Layers.MulLayer(3)
    with pytest.raises(ValueError, match="Flatten"):
        layer.forward(np.zeros((2, 3, 4)))
    layer.forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"\(\*, 4\)"):
        layer.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="does not fit"):
        Layers.ConvLayer(2, 5).forward(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        Layers.MaxPooling().forward(np.zeros((4, 4)))


def test_dropout_takes_lesson_2_6s_train_flag_argument():
    layer, x = Layers.Dropout(0.5), np.ones((50, 40))
    assert_close(layer.forward(x, train_flag=False), x, rtol=0, atol=0)
    sn.manual_seed(0)
    dropped = layer.forward(x, True)
    assert 0.4 < np.mean(dropped == 0) < 0.6


def test_lesson_2_1_layers_use_the_callers_arrays():
    """``MulLayer(w)`` / ``AddLayer(b)`` keep the very arrays (lessons 2-1 and 2-2 update them in
    place); the bias gradient is summed to b's own shape, and MSELayer(y) gives the loss."""
    w, b, y = RNG.standard_normal((3, 1)), np.zeros((1, 1)), RNG.standard_normal((5, 1))
    mul, add, mse = Layers.MulLayer(w), Layers.AddLayer(b), Layers.MSELayer(y)
    x = RNG.standard_normal((5, 3))
    loss = mse.forward(add.forward(mul.forward(x)))
    assert loss == pytest.approx(np.mean((x @ w - y) ** 2))
    mul.backward(add.backward(mse.backward()))
    assert mul.param is w and add.param is b and add.grad.shape == (1, 1)
    assert_close(add.grad, [[np.sum(2 * (x @ w - y) / 5)]])


def test_addlayer_input_size_must_fit_the_layer():
    model = Model()
    with pytest.raises(ValueError, match="input_size"):
        model.addlayer(Layers.MulLayer(), input_size=100)
    with pytest.raises(ValueError, match="output size"):
        Layers.MulLayer().forward(np.zeros((2, 3)))
