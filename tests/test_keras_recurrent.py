"""Keras recurrent layers against their formulas written out here in Keras's layout (kernel
(features, G·units), recurrent kernel (units, G·units), gates LSTM i, f, c, o and GRU z, r, h with
reset_after), plus Embedding, TimeDistributed, Bidirectional and Keras's parameter counts."""

from __future__ import annotations

import os

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import keras


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def keras_weights(layer):
    """(kernel, recurrent_kernel, bias) in Keras's layout (ours stores the transposed kernels)."""
    kernel, recurrent, *bias = layer.get_weights()
    return kernel.T, recurrent.T, (bias[0] if bias else 0.0)


def simple_rnn_reference(x, layer, h):
    W, U, b = keras_weights(layer)
    outputs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W + h @ U + b)
        outputs.append(h)
    return np.stack(outputs, 1), (h,)


def lstm_reference(x, layer, state):
    W, U, b = keras_weights(layer)
    (h, c), u = state, layer.units
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ W + h @ U + b
        i, f = sigmoid(z[:, :u]), sigmoid(z[:, u:2 * u])
        cc, o = np.tanh(z[:, 2 * u:3 * u]), sigmoid(z[:, 3 * u:])
        c = f * c + i * cc
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, 1), (h, c)


def gru_reference(x, layer, h):
    W, U, b = keras_weights(layer)
    u = layer.units
    outputs = []
    for t in range(x.shape[1]):
        xz = x[:, t] @ W + b[0]
        hz = h @ U + b[1]
        z = sigmoid(xz[:, :u] + hz[:, :u])
        r = sigmoid(xz[:, u:2 * u] + hz[:, u:2 * u])
        hh = np.tanh(xz[:, 2 * u:] + r * hz[:, 2 * u:])
        h = z * h + (1 - z) * hh
        outputs.append(h)
    return np.stack(outputs, 1), (h,)


REFERENCES = {"SimpleRNN": simple_rnn_reference, "LSTM": lstm_reference, "GRU": gru_reference}


def randomise(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in layer.get_weights()])


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_recurrent_layers_follow_keras_formulas(name, go_backwards):
    x = np.random.default_rng(0).normal(size=(3, 6, 4)).astype(np.float32)
    layer = getattr(keras.layers, name)(5, return_sequences=True, return_state=True,
                                        go_backwards=go_backwards)
    layer(sn.tensor(x))
    randomise(layer)
    outputs = layer(sn.tensor(x))
    zeros = np.zeros((3, 5), np.float32)
    state = (zeros, zeros) if name == "LSTM" else zeros
    sequence, final = REFERENCES[name](x[:, ::-1] if go_backwards else x, layer, state)
    np.testing.assert_allclose(outputs[0].numpy(), sequence, rtol=1e-4, atol=1e-5)
    assert len(outputs) == 1 + len(final)
    for ours, expected in zip(outputs[1:], final):
        np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-4, atol=1e-5)
    last = getattr(keras.layers, name)(5, go_backwards=go_backwards)
    last(sn.tensor(x))
    last.set_weights(layer.get_weights())
    np.testing.assert_allclose(last(sn.tensor(x)).numpy(), sequence[:, -1], rtol=1e-4, atol=1e-5)


def test_recurrent_initial_state_and_gradients_reach_every_weight():
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype(np.float32)
    layer = keras.layers.LSTM(5)
    h0 = np.random.default_rng(2).normal(size=(2, 5)).astype(np.float32)
    c0 = np.random.default_rng(3).normal(size=(2, 5)).astype(np.float32)
    out = layer(sn.tensor(x), initial_state=[sn.tensor(h0), sn.tensor(c0)])
    expected = lstm_reference(x, layer, (h0, c0))[0][:, -1]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-5)
    out.sum().backward()
    assert all(w.grad is not None and np.abs(w.grad.numpy()).sum() > 0 for w in layer.trainable_weights)
    with pytest.raises(ValueError, match="initial_state"):
        layer(sn.tensor(x), initial_state=[sn.tensor(h0)])


def test_keras_initialisers_and_unit_forget_bias():
    sn.manual_seed(0)
    layer = keras.layers.LSTM(8)
    layer(sn.zeros(1, 2, 3))
    kernel, recurrent, bias = layer.get_weights()
    np.testing.assert_allclose(recurrent.T @ recurrent, np.eye(8), atol=1e-5)  # orthonormal Keras rows
    limit = np.sqrt(6 / (3 + 32))  # glorot_uniform over Keras's (3, 32) kernel
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.7 * limit
    np.testing.assert_array_equal(bias, np.r_[np.zeros(8), np.ones(8), np.zeros(16)])
    gru = keras.layers.GRU(4)
    gru(sn.zeros(1, 2, 3))
    assert [w.shape for w in gru.get_weights()] == [(12, 3), (12, 4), (2, 12)]
    with pytest.raises(ValueError, match="reset_after"):
        keras.layers.GRU(4, reset_after=False)
    with pytest.raises(ValueError, match="activation"):
        keras.layers.LSTM(4, activation="relu")


def test_parameter_counts_equal_keras():
    """Keras's counts: SimpleRNN u(f + u + 1), LSTM 4u(f + u + 1), GRU 3u(f + u + 2), Embedding
    in·out, Bidirectional twice its layer, TimeDistributed its layer's."""
    model = keras.Sequential([
        keras.Input((7,)), keras.layers.Embedding(20, 8),
        keras.layers.Bidirectional(keras.layers.LSTM(6, return_sequences=True)),
        keras.layers.GRU(5, return_sequences=True), keras.layers.SimpleRNN(4, return_sequences=True),
        keras.layers.TimeDistributed(keras.layers.Dense(3)),
    ])
    counts = [layer.count_params() for layer in model.layers]
    assert counts == [20 * 8, 2 * 4 * 6 * (8 + 6 + 1), 3 * 5 * (12 + 5 + 2), 4 * (5 + 4 + 1), 3 * 4 + 3]
    assert model.output_shape == (None, 7, 3)


def test_embedding_time_distributed_and_bidirectional_outputs():
    ids = np.array([[1, 0, 3], [2, 2, 4]])
    embedding = keras.layers.Embedding(5, 2)
    table = embedding(ids)
    np.testing.assert_array_equal(table.numpy(), embedding.get_weights()[0][ids])
    assert np.abs(embedding.get_weights()[0]).max() <= 0.05
    with pytest.raises(ValueError, match="integer indices"):
        embedding(np.array([[0.5]]))
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype(np.float32)
    dense = keras.layers.Dense(2)
    wrapped = keras.layers.TimeDistributed(dense)(sn.tensor(x))
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(wrapped.numpy(), x @ kernel.T + bias, rtol=1e-5)
    for merge in ("concat", "sum", "ave", "mul"):
        both = keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True), merge_mode=merge)
        out = both(sn.tensor(x)).numpy()
        ahead = gru_reference(x, both.forward_layer, np.zeros((2, 3), np.float32))[0]
        behind = gru_reference(x[:, ::-1], both.backward_layer, np.zeros((2, 3), np.float32))[0][:, ::-1]
        expected = {"concat": np.concatenate([ahead, behind], -1), "sum": ahead + behind,
                    "ave": (ahead + behind) / 2, "mul": ahead * behind}[merge]
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    assert not np.allclose(both.forward_layer.get_weights()[0], both.backward_layer.get_weights()[0])


def core_layout(weights):
    """Keras's (kernel, recurrent_kernel, bias) in ours: the kernels transposed."""
    return [w.T if i < 2 else w for i, w in enumerate(weights)]


def test_recurrent_layers_match_real_keras():
    """Outputs of real Keras 3 layers with random weights (fixture written by make_recurrent.py)."""
    path = os.path.join(os.path.dirname(__file__), "fixtures", "keras3", "recurrent.npz")
    with np.load(path, allow_pickle=False) as arrays:
        x = sn.tensor(arrays["x"])
        for name in ("SimpleRNN", "LSTM", "GRU"):
            for go_backwards in (False, True):
                prefix = f"{name}{go_backwards}"
                layer = getattr(keras.layers, name)(5, return_sequences=True, go_backwards=go_backwards)
                layer(x)
                count = sum(key.startswith(f"{prefix}_w") for key in arrays.files)
                layer.set_weights(core_layout([arrays[f"{prefix}_w{i}"] for i in range(count)]))
                np.testing.assert_allclose(layer(x).numpy(), arrays[f"{prefix}_y"], rtol=1e-5, atol=1e-6)
        both = keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True))
        both(x)
        weights = [arrays[f"bi_w{i}"] for i in range(6)]
        both.set_weights(core_layout(weights[:3]) + core_layout(weights[3:]))
        np.testing.assert_allclose(both(x).numpy(), arrays["bi_y"], rtol=1e-5, atol=1e-6)


def test_recurrent_model_saves_and_loads_as_keras_archive(tmp_path):
    """Embedding's input_dim and the recurrent layers' own arguments survive model.save / load_model."""
    pytest.importorskip("h5py", reason="the .keras format needs h5py (the 'h5' extra; CI installs it)")
    model = keras.Sequential([keras.Input((5,)), keras.layers.Embedding(10, 4),
                              keras.layers.GRU(3, return_sequences=True),
                              keras.layers.LSTM(3, unit_forget_bias=False),
                              keras.layers.Dense(2)])
    ids = np.random.default_rng(0).integers(0, 10, (2, 5))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(ids), model.predict(ids))
    assert loaded.layers[0].input_dim == 10 and loaded.layers[2].unit_forget_bias is False


def test_real_keras_recurrent_weights_file_loads(tmp_path):
    """A .weights.h5 written by real Keras 3 (make_recurrent_weights.py: Embedding, GRU,
    Bidirectional(LSTM), Dense; recurrent variables under cell/vars, the embedding untransposed)
    loads here and predicts what real Keras predicted; the file we write has the same datasets."""
    h5py = pytest.importorskip("h5py", reason="the .weights.h5 format needs h5py (the h5 extra, in CI)")
    folder = os.path.join(os.path.dirname(__file__), "fixtures", "keras3")
    model = keras.Sequential([keras.Input((5,)), keras.layers.Embedding(10, 4, name="embedding"),
                              keras.layers.GRU(3, return_sequences=True, name="gru"),
                              keras.layers.Bidirectional(keras.layers.LSTM(2), name="bidirectional"),
                              keras.layers.Dense(2, name="dense")])  # weights are found by layer name
    model.load_weights(os.path.join(folder, "recurrent.weights.h5"))
    ids = np.load(os.path.join(folder, "recurrent_ids.npy"))
    expected = np.load(os.path.join(folder, "recurrent_predictions.npy"))
    np.testing.assert_allclose(model.predict(ids), expected, rtol=1e-5, atol=1e-6)
    model.save_weights(tmp_path / "ours.weights.h5")

    def datasets(path):
        with h5py.File(path, "r") as h5:
            found = {}
            h5.visititems(lambda name, item: found.update({name: item[()]})
                          if isinstance(item, h5py.Dataset) else None)
            return found

    theirs = datasets(os.path.join(folder, "recurrent.weights.h5"))
    ours = datasets(tmp_path / "ours.weights.h5")
    assert sorted(ours) == sorted(theirs) and "layers/gru/cell/vars/2" in ours
    for name, array in theirs.items():
        np.testing.assert_array_equal(ours[name], array, err_msg=name)
