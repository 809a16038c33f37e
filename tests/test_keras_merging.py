"""Keras merge and reshaping layers (Add, Multiply, Average, Concatenate, ZeroPadding2D,
Cropping2D) against their formulas, and functional models over graphs of layer calls."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import keras
from scratchnet.keras import layers
from tests.reference import assert_close, check_gradients


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize(("make", "formula"), [
    (layers.Add, lambda xs: xs[0] + xs[1] + xs[2]),
    (layers.Multiply, lambda xs: xs[0] * xs[1] * xs[2]),
    (layers.Average, lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
])
def test_elementwise_merges_follow_their_formulas_with_gradients(make, formula):
    xs = [rand(2, 3, 4, seed=i) for i in range(3)]
    assert_close(make()([sn.tensor(x) for x in xs]), formula(xs), rtol=1e-12, atol=1e-12)
    check_gradients(lambda a, b, c: make()([a, b, c]), *xs)


@pytest.mark.parametrize("axis", [-1, 1, 2, 3])
def test_concatenate_joins_along_its_axis_with_gradients(axis):
    shapes = [[2, 3, 4, 5] for _ in range(2)]
    shapes[0][axis], shapes[1][axis] = 2, 3
    xs = [rand(*shape, seed=i) for i, shape in enumerate(shapes)]
    assert_close(layers.Concatenate(axis=axis)([sn.tensor(x) for x in xs]), np.concatenate(xs, axis=axis))
    check_gradients(lambda a, b: layers.Concatenate(axis=axis)([a, b]), *xs)


@pytest.mark.parametrize(("padding", "widths"), [
    (1, ((1, 1), (1, 1))), ((2, 0), ((2, 2), (0, 0))), (((0, 1), (3, 2)), ((0, 1), (3, 2))),
])
def test_zero_padding_and_cropping_follow_numpy(padding, widths):
    x = rand(2, 5, 6, 3)
    padded = layers.ZeroPadding2D(padding)(sn.tensor(x))
    assert_close(padded, np.pad(x, ((0, 0), *widths, (0, 0))))
    assert_close(layers.Cropping2D(padding)(padded), x)
    check_gradients(lambda t: layers.Cropping2D(padding)(layers.ZeroPadding2D(padding)(t)), x[:1, :, :, :1])
    (top, bottom), (left, right) = widths
    cropped = layers.Cropping2D(padding)(sn.tensor(x))
    assert_close(cropped, x[:, top:5 - bottom, left:6 - right])


def test_zero_padding_2d_default_is_one_row_and_column_each_side():
    assert layers.ZeroPadding2D()(sn.zeros(1, 4, 4, 2)).shape == (1, 6, 6, 2)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: layers.ZeroPadding2D(-1), "padding must be"),
    (lambda: layers.ZeroPadding2D((1, 2, 3)), "padding must be"),
    (lambda: layers.Cropping2D(((1, 1), (1, "a"))), "cropping must be"),
    (lambda: layers.ZeroPadding2D(1, data_format="channels_first"), "channels-last"),
    (lambda: layers.Cropping2D(3)(sn.zeros(1, 6, 8, 1)), "leaves no height"),
    (lambda: layers.ZeroPadding2D(1)(sn.zeros(2, 3)), "expects channels-last images"),
    (lambda: layers.Add()(sn.zeros(2, 3)), "list of at least 2 inputs"),
    (lambda: layers.Add()([sn.zeros(2, 3), sn.zeros(2, 4)]), "inputs of one shape"),
    (lambda: layers.Concatenate()([sn.zeros(2, 3, 1), sn.zeros(2, 4, 1)]), "every axis but"),
    (lambda: layers.Concatenate(axis=0), "non-batch axis"),
])
def test_bad_arguments_and_inputs_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def residual_model():
    inputs = keras.Input(shape=(6, 6, 2))
    conv = layers.Conv2D(3, 3, padding="same", name="conv")
    shortcut = layers.Conv2D(3, 1, name="shortcut")
    added = layers.Add(name="add")([conv(inputs), shortcut(inputs)])
    joined = layers.Concatenate(name="cat")([added, layers.ReLU(name="relu")(added), inputs])
    outputs = layers.Dense(4, name="dense")(layers.GlobalAveragePooling2D(name="gap")(joined))
    return keras.Model(inputs, outputs), (conv, shortcut)


def test_a_functional_graph_computes_its_layers_formula_and_trains_both_branches():
    model, (conv, shortcut) = residual_model()
    x = rand(3, 6, 6, 2).astype(np.float32)
    added = conv(sn.tensor(x)).numpy() + shortcut(sn.tensor(x)).numpy()
    joined = np.concatenate([added, np.maximum(added, 0), x], axis=-1).mean(axis=(1, 2))
    dense = model.get_layer("dense")
    expected = joined @ dense.kernel.numpy().T + dense.bias.numpy()
    assert_close(model(x), expected, rtol=1e-5, atol=1e-5)
    model(x, training=True).sum().backward()
    assert all(w.grad is not None and np.abs(w.grad.numpy()).sum() > 0 for w in model.trainable_weights)


def test_a_functional_graph_lists_its_layers_and_counts_parameters_in_summary():
    model, _ = residual_model()
    names = [layer.name for layer in model.layers]
    assert names[1:] == ["conv", "shortcut", "add", "relu", "cat", "gap", "dense"]
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    total = (3 * 3 * 2 * 3 + 3) + (2 * 3 + 3) + (8 * 4 + 4)
    assert f"Total params: {total:,}" in text
    assert "(None, 6, 6, 8)" in text and "cat (Concatenate)" in text


def test_a_shared_layer_is_listed_once_and_a_chain_stays_a_plain_functional_model():
    inputs = keras.Input(shape=(4,))
    dense = layers.Dense(4)
    model = keras.Model(inputs, layers.Add()([dense(inputs), dense(dense(inputs))]))
    assert sum(layer is dense for layer in model.layers) == 1
    x = rand(2, 4).astype(np.float32)
    once = dense(sn.tensor(x))
    assert_close(model(x), once.numpy() + dense(once).numpy(), rtol=1e-5, atol=1e-6)
    chain = keras.Model(inputs, layers.Dense(2)(inputs))
    assert type(chain).__name__ == "Functional"


def test_a_graph_whose_outputs_do_not_come_from_its_input_is_refused():
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(3,))
    with pytest.raises(ValueError, match="outputs are not computed from inputs"):
        keras.Model(a, layers.Add()([a, b]))


def test_a_graph_model_saves_and_loads_with_the_same_outputs_and_summary(tmp_path):
    model, _ = residual_model()
    model.compile(optimizer="adam", loss="mse")
    x, y = rand(8, 6, 6, 2).astype(np.float32), rand(8, 4).astype(np.float32)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    model.save(tmp_path / "model.safetensors")
    loaded = keras.saving.load_model(tmp_path / "model.safetensors")
    assert type(loaded).__name__ == "GraphFunctional" and loaded.optimizer is not None
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert_close(loaded.predict(x), model.predict(x), rtol=1e-6, atol=1e-7)
    ours, theirs = [], []
    model.summary(print_fn=ours.append)
    loaded.summary(print_fn=theirs.append)
    assert ours == theirs
    # both continue training identically: the optimizer state came back too
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    assert_close(loaded.predict(x), model.predict(x), rtol=1e-5, atol=1e-6)


def test_a_graph_with_a_shared_layer_round_trips(tmp_path):
    inputs = keras.Input(shape=(4,))
    dense = layers.Dense(4, name="shared")
    model = keras.Model(inputs, layers.Add()([dense(inputs), dense(dense(inputs))]))
    model.save(tmp_path / "shared.safetensors")
    loaded = keras.models.load_model(tmp_path / "shared.safetensors")
    assert sum(layer.name == "shared" for layer in loaded.layers) == 1
    x = rand(3, 4).astype(np.float32)
    assert_close(loaded(x), model(x), rtol=1e-6, atol=1e-7)


def test_a_graph_model_refuses_the_keras_archive_before_writing(tmp_path):
    model, _ = residual_model()
    with pytest.raises(ValueError, match="Sequential models only.*safetensors"):
        model.save(tmp_path / "model.keras")
    assert not (tmp_path / "model.keras").exists()


@pytest.mark.parametrize("graph, message", [
    ([[7, [0]]], "graph entry 0"), ([[1, [1]]], "earlier node numbers"), ([], "non-empty graph"),
    ([[1, [0]], [2, ["0"]]], "graph entry 1")])
def test_a_malformed_saved_graph_is_refused_with_the_entry(graph, message):
    from scratchnet.keras.graph import GraphFunctional
    from scratchnet.keras.layers.core import InputLayer

    with pytest.raises(ValueError, match=message):
        GraphFunctional(layers=[InputLayer(input_shape=(3,)), layers.Dense(2), layers.ReLU()], graph=graph)


def test_the_summary_of_a_graph_has_keras_connected_to_column():
    """Keras 3's "Connected to": ``layer[node][tensor]`` per input, ``-`` for the input layer;
    Keras's graph-model columns (98 characters, at 0.33, 0.55, 0.67)."""
    model, _ = residual_model()
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[2].rstrip() == " Layer (type)" + " " * 19 + "Output Shape" + " " * 9 + "Param #" + " " * 5 \
        + "Connected to"
    assert len(lines[1]) == 98
    rows = {line.split()[0]: index for index, line in enumerate(lines)
            if line.startswith(" ") and "(" in line}
    input_name = model.layers[0].name
    assert lines[rows[input_name]].rstrip().endswith(" -")
    assert lines[rows["conv"]].rstrip().endswith(f" {input_name}[0][0]")
    add = rows["add"]
    assert lines[add].rstrip().endswith(" conv[0][0],")
    assert lines[add + 1].strip() == "shortcut[0][0]" and lines[add + 1].index("shortcut") == 65
    cat = rows["cat"]
    assert [lines[cat].split()[-1], lines[cat + 1].strip(), lines[cat + 2].strip()] == \
        ["add[0][0],", "relu[0][0],", f"{input_name}[0][0]"]
