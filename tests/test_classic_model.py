"""``classic.Model``: building, the loss with L2, training, accuracy, and safe save / load."""

from __future__ import annotations

import os

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.classic import Layers, Model, Optimizer
from tests.reference import assert_close, numerical_gradient

RNG = np.random.default_rng(5)


def small_cnn(reg=0.0):
    model = Model()
    model.addlayer(Layers.ConvLayer(3, 3, pad=1, reg=reg), name="conv")
    model.addlayer(Layers.ReLU())
    model.addlayer(Layers.MaxPooling())
    model.addlayer(Layers.Dropout(0.3))
    model.addlayer(Layers.Flatten())
    model.addlayer(Layers.MulLayer(4, initializer="xavier", reg=reg), name="dense")
    model.addlayer(Layers.AddLayer(), name="bias")
    model.addlayer(Layers.ELU())
    model.addlayer(Layers.MulLayer(3))
    model.addlayer(Layers.SoftmaxLayer())
    return model


def test_whole_model_gradient_with_l2_matches_finite_differences():
    x, t = RNG.standard_normal((4, 2, 4, 4)), np.array([0, 2, 1, 2])
    model = small_cnn(reg=0.3)
    sn.manual_seed(0)
    model.forward(x)

    def loss(value, layer, key):
        saved, layer.params[key] = layer.params[key], value
        try:
            sn.manual_seed(7)
            return model.compute_loss(x, t, train_flag=True)
        finally:
            layer.params[key] = saved

    sn.manual_seed(7)
    model.gradient(x, t)
    for layer in model.layers.values():
        for key, value in layer.params.items():
            expected = numerical_gradient(lambda v, layer=layer, key=key: loss(v, layer, key), value)
            assert_close(layer.grads[key], expected, rtol=1e-5, atol=1e-8, what=f"{layer} d{key}")


def test_loss_includes_the_l2_penalty():
    x, t = RNG.standard_normal((4, 2, 4, 4)), np.array([0, 2, 1, 2])
    plain, regularised = small_cnn(), small_cnn(reg=0.5)
    for model in (plain, regularised):
        sn.manual_seed(0)
        model.forward(x)
    penalty = 0.25 * sum((regularised.layers[name].params["W"] ** 2).sum() for name in ("conv", "dense"))
    assert regularised.compute_loss(x, t) == pytest.approx(plain.compute_loss(x, t) + penalty, rel=1e-10)


def test_output_width_comes_from_the_model_and_eval_is_accuracy():
    x = RNG.standard_normal((30, 5)).astype(np.float32)
    model = Model()
    model.addlayer(Layers.MulLayer(3))
    model.addlayer(Layers.AddLayer())
    model.addlayer(Layers.SoftmaxLayer())
    probabilities = model.predict(x)
    assert probabilities.shape == (30, 3)
    assert_close(probabilities.sum(axis=1), np.ones(30), rtol=1e-6)
    labels = RNG.integers(0, 3, 30)
    expected = np.mean(probabilities.argmax(axis=1) == labels)
    assert model.eval(x, labels) == pytest.approx(expected)
    assert model.eval(x, np.eye(3)[labels]) == pytest.approx(expected)


def test_mse_layer_trains_inside_a_model():
    x = RNG.standard_normal((200, 3))
    y = x @ np.array([[1.0, -2.0], [0.5, 0.0], [0.0, 3.0]]) + np.array([0.5, -1.0])
    model = Model()
    model.addlayer(Layers.MulLayer(2, initializer="xavier"))
    model.addlayer(Layers.AddLayer())
    model.addlayer(Layers.MSELayer())
    sn.manual_seed(0)
    losses = model.train(x, y, Optimizer.Adam(20), epoch=300, learning_rate=0.05)
    assert model.compute_loss(x, y) < 0.01 * losses[0]
    with pytest.raises(ValueError, match="accuracy"):
        model.eval(x, y)


def test_training_is_reproducible_with_a_seed():
    x, t = RNG.standard_normal((40, 2, 4, 4)), RNG.integers(0, 3, 40)
    runs = []
    for _ in range(2):
        sn.manual_seed(11)
        model = small_cnn()
        runs.append(model.train(x, t, Optimizer.Momentum(8, 0.9), epoch=5, learning_rate=0.01))
    assert runs[0] == runs[1]


def test_addlayer_errors():
    model = Model()
    with pytest.raises(TypeError, match="classic layer"):
        model.addlayer(np.zeros(3))
    model.addlayer(Layers.ReLU(), name="act")
    with pytest.raises(ValueError, match="already exists"):
        model.addlayer(Layers.ReLU(), name="act")
    with pytest.raises(ValueError, match="without spaces"):
        model.addlayer(Layers.ReLU(), name="two words")
    with pytest.raises(ValueError, match="output layer"):
        model.compute_loss(np.zeros((1, 2)), np.zeros(1, int))
    model.addlayer(Layers.SoftmaxLayer())
    with pytest.raises(ValueError, match="after the output layer"):
        model.addlayer(Layers.ReLU())


def test_bad_data_is_rejected():
    model = small_cnn()
    with pytest.raises(ValueError, match="3 samples but y has 2"):
        model.train(np.zeros((3, 2, 4, 4)), np.zeros(2, int), Optimizer.SGD(1), 1, 0.1)
    bad = np.zeros((3, 2, 4, 4))
    bad[1, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.train(bad, np.zeros(3, int), Optimizer.SGD(1), 1, 0.1)


# ---- save / load --------------------------------------------------------------------------
def trained_cnn(tmp_path):
    x, t = RNG.standard_normal((20, 2, 4, 4)).astype(np.float32), RNG.integers(0, 3, 20)
    sn.manual_seed(0)
    model = small_cnn(reg=0.01)
    model.train(x, t, Optimizer.Adam(5), epoch=3, learning_rate=0.01)
    model.save(str(tmp_path))
    return model, x


def test_save_then_load_gives_identical_predictions(tmp_path):
    model, x = trained_cnn(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["model.txt", "weight.npz"]
    loaded = Model()
    loaded.load(str(tmp_path))
    assert list(loaded.layers) == list(model.layers)
    assert list(map(repr, loaded.layers.values())) == list(map(repr, model.layers.values()))
    assert_close(loaded.predict(x), model.predict(x), rtol=0, atol=0)
    dtypes = {array.dtype for layer in loaded.layers.values() for array in layer.params.values()}
    assert dtypes == {np.dtype(np.float32)}
    loaded.train(x, RNG.integers(0, 3, 20), Optimizer.SGD(5), epoch=1, learning_rate=0.1)  # trainable


def replace_line(path, old, new):
    text = (path / "model.txt").read_text()
    assert old in text
    (path / "model.txt").write_text(text.replace(old, new, 1))


def test_unknown_class_is_refused_and_nothing_runs(tmp_path):
    trained_cnn(tmp_path)
    sentinel = tmp_path / "pwned"
    replace_line(tmp_path, "ReLU", f"__import__('os').system('touch {sentinel}')")
    model = Model()
    with pytest.raises(ValueError, match="unknown layer class"):
        model.load(str(tmp_path))
    assert not sentinel.exists() and model.layers == {}


def test_bad_arguments_in_model_txt_are_refused(tmp_path):
    trained_cnn(tmp_path)
    replace_line(tmp_path, '"dropout_rate": 0.3', '"dropout_rate": 0.3, "command": "rm -rf /"')
    with pytest.raises(ValueError, match="line 4: cannot build Dropout"):
        Model().load(str(tmp_path))


def test_pickled_or_mismatched_weights_are_refused(tmp_path):
    model, _ = trained_cnn(tmp_path)
    weights = dict(np.load(tmp_path / "weight.npz"))
    np.savez(tmp_path / "weight.npz", **{**weights, "conv.W": np.array([{"evil": 1}], dtype=object)})
    with pytest.raises(ValueError, match="weight.npz"):
        Model().load(str(tmp_path))
    del weights["dense.W"]
    np.savez(tmp_path / "weight.npz", **weights)
    with pytest.raises(ValueError, match=r"missing \['dense.W'\]"):
        model.load(str(tmp_path))
    assert "dense" in model.layers and "W" in model.layers["dense"].params  # unchanged on failure
    (tmp_path / "weight.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match="weight.npz"):
        model.load(str(tmp_path))
