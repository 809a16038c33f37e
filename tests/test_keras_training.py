"""Keras training: compile / fit / evaluate / predict, History, validation split from the tail,
learning on small problems, a GradientTape loop, losses, metrics, optimizers and bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import data, keras
from scratchnet.keras import layers


@pytest.fixture(autouse=True)
def fresh_session():
    keras.backend.clear_session()
    sn.manual_seed(0)


def blobs(n: int = 300, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs around well-separated centres (float64 inputs, int labels)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    centres = np.array([[4.0 * np.cos(2 * np.pi * c / classes), 4.0 * np.sin(2 * np.pi * c / classes)]
                        for c in range(classes)])
    return centres[y] + rng.normal(size=(n, 2)), y


def classifier(classes: int = 3) -> keras.Sequential:
    model = keras.Sequential([layers.Dense(16, activation="relu", input_shape=(2,)),
                              layers.Dense(classes, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_history_keys_params_and_epochs():
    x, y = blobs()
    model = classifier()
    history = model.fit(x, y, epochs=3, batch_size=32, validation_data=(x[:50], y[:50]), verbose=0)
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(values) == 3 for values in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": math.ceil(300 / 32)}
    assert model.history is history
    assert model.metrics_names == ["loss", "accuracy"]


def test_fit_on_separable_data_learns_with_one_hot_targets():
    x, y = blobs()
    model = keras.Sequential([layers.Dense(16, activation="relu", input_shape=(2,)),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["acc"])
    history = model.fit(x, keras.utils.to_categorical(y, 3), epochs=15, verbose=0)
    assert history.history["acc"][-1] > 0.95
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert (model.predict(x).argmax(axis=1) == y).mean() > 0.95


def test_fit_solves_xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0])
    model = keras.Sequential([layers.Dense(8, activation="tanh", input_dim=2),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=300, batch_size=4, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    np.testing.assert_array_equal((model.predict(x)[:, 0] > 0.5).astype(int), y)


def test_validation_split_takes_the_tail_before_shuffling():
    x, y = blobs(200)
    model = classifier()
    history = model.fit(x, y, epochs=1, batch_size=16, validation_split=0.25, shuffle=True, verbose=0)
    assert history.params["steps"] == math.ceil(150 / 16)
    tail_loss, tail_accuracy = model.evaluate(x[150:], y[150:], verbose=0)
    head_loss, _ = model.evaluate(x[:50], y[:50], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(tail_loss, rel=1e-6)
    assert history.history["val_accuracy"][0] == pytest.approx(tail_accuracy)
    assert head_loss != pytest.approx(tail_loss, rel=1e-6)


def test_gradient_tape_loop_with_apply_gradients_trains():
    x, y = blobs()
    model = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(3)])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    losses = []
    for _ in range(30):
        with sn.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    assert losses[-1] < 0.2 * losses[0]
    assert optimizer.iterations == 30
    assert len(model.variables) == len(model.trainable_variables) == 4


def test_evaluate_and_predict_return_keras_shapes():
    x, y = blobs(100)
    model = classifier()
    model.fit(x, y, epochs=1, verbose=0)
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    assert model.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss", "accuracy"}
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    predictions = model.predict(x, batch_size=7)
    assert isinstance(predictions, np.ndarray) and predictions.shape == (100, 3)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)


def test_fit_accepts_pipelines_and_dataloaders():
    x, y = blobs(128)
    pipeline = data.Dataset.from_tensor_slices((x, y)).batch(32)
    model = classifier()
    history = model.fit(pipeline, epochs=2, validation_data=pipeline, verbose=0)
    assert history.params["steps"] == 4 and len(history.history["val_loss"]) == 2
    loader = data.DataLoader(data.TensorDataset(x.astype(np.float32), y), batch_size=32, shuffle=True)
    assert len(model.fit(loader, epochs=1, verbose=0).history["loss"]) == 1
    assert model.predict(pipeline).shape == (128, 3)


def test_uint8_and_float64_inputs_are_cast_to_float32():
    images = np.random.default_rng(0).integers(0, 256, size=(20, 4, 4, 1)).astype(np.uint8)
    labels = np.arange(20) % 2
    model = keras.Sequential([layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(images, labels, epochs=1, verbose=0)
    assert model(images).dtype == np.float32
    assert model(images.astype(np.float64)).dtype == np.float32


def test_verbose_output_is_one_line_per_epoch_off_a_terminal(capsys):
    x, y = blobs(64)
    classifier().fit(x, y, epochs=2, batch_size=32, validation_split=0.5, verbose=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert lines[1].startswith("1/1 - ")
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert f" - {key}: " in lines[1]


def test_accuracy_is_chosen_by_loss_as_keras():
    from scratchnet.keras import metrics

    def chosen(loss):
        model = keras.Sequential([layers.Dense(1, input_shape=(2,))])
        model.compile("sgd", loss, metrics=["accuracy"])
        return model.compiled_metrics[0].fn

    assert chosen("sparse_categorical_crossentropy") is metrics.sparse_categorical_accuracy
    assert chosen("categorical_crossentropy") is metrics.categorical_accuracy
    assert chosen("binary_crossentropy") is metrics.binary_accuracy
    assert metrics.accuracy_by_shape(np.zeros(4), np.zeros((4, 1))) is metrics.binary_accuracy
    assert metrics.accuracy_by_shape(np.zeros(4), np.zeros((4, 3))) is metrics.sparse_categorical_accuracy


def test_probability_losses_are_clipped_like_keras():
    probabilities = sn.tensor([[1.0, 0.0], [0.25, 0.75]])
    loss = keras.losses.SparseCategoricalCrossentropy()(np.array([1, 1]), probabilities)
    expected = (-math.log(1e-7) - math.log(0.75)) / 2  # p = 0 clipped to ε = 1e-7
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    bce = keras.losses.BinaryCrossentropy()(np.array([0.0, 1.0]), sn.tensor([[1.0], [1.0]]))
    clipped = np.float32(1.0 - 1e-7)  # 1 − ε as float32 holds it, as in Keras
    assert float(bce) == pytest.approx(-math.log(1.0 - float(clipped)) / 2, rel=1e-4)
    grad_input = sn.tensor([[0.0, 1.0]], requires_grad=True)
    keras.losses.CategoricalCrossentropy()(np.array([[1.0, 0.0]]), grad_input).backward()
    assert np.isfinite(grad_input.grad.numpy()).all()


def test_losses_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 4)).astype(np.float32)
    labels = rng.integers(0, 4, 6)
    ours = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, sn.tensor(logits))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(labels))
    assert float(ours) == pytest.approx(float(theirs), rel=1e-5)
    p = rng.uniform(0.05, 0.95, size=(6, 1)).astype(np.float32)
    t = rng.integers(0, 2, (6, 1)).astype(np.float32)
    ours = keras.losses.BinaryCrossentropy()(t, sn.tensor(p))
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(t))
    assert float(ours) == pytest.approx(float(theirs), rel=1e-5)
    ours = keras.losses.MeanSquaredError()(t[:, 0], sn.tensor(p))  # (N,) targets fit (N, 1)
    assert float(ours) == pytest.approx(float(((p - t) ** 2).mean()), rel=1e-5)


def test_regularizer_penalty_joins_the_loss():
    x, y = blobs(50)
    penalty = keras.regularizers.l2(0.1)
    model = keras.Sequential([layers.Dense(3, input_shape=(2,), kernel_regularizer=penalty)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    weight = model.layers[0].linear.weight.numpy()
    plain = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, model(x)))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(plain + 0.1 * (weight ** 2).sum(), rel=1e-5)


def test_optimizer_names_and_keras_defaults():
    assert isinstance(keras.optimizers.get("ADAM"), keras.optimizers.Adam)
    assert keras.optimizers.get("RMSprop").rho == 0.9
    assert keras.optimizers.SGD().learning_rate == 0.01
    assert keras.optimizers.Adagrad().initial_accumulator_value == 0.1
    with pytest.raises(ValueError, match="unknown optimizer"):
        keras.optimizers.get("adamm")


def test_adam_uses_keras_epsilon_hat_and_learning_rate_is_settable():
    weight = sn.Variable(np.array([1.0, -2.0], dtype=np.float64))
    optimizer = keras.optimizers.Adam(learning_rate=0.1, epsilon=0.5)
    gradient = np.array([0.3, -0.01])
    optimizer.apply_gradients([(sn.tensor(gradient), weight)])
    # Keras: w −= lr·√(1 − β2)/(1 − β1) · m / (√v + ε) with m = (1 − β1)g, v = (1 − β2)g²
    step = 0.1 * math.sqrt(1 - 0.999) / (1 - 0.9) * (0.1 * gradient) / (np.sqrt(0.001 * gradient ** 2) + 0.5)
    np.testing.assert_allclose(weight.numpy(), np.array([1.0, -2.0]) - step, rtol=1e-10)
    optimizer.learning_rate = 0.5
    assert optimizer.optimizer.param_groups[0]["lr"] == 0.5
    with pytest.raises(ValueError, match="other variables"):
        optimizer.apply_gradients([(sn.tensor([1.0]), sn.Variable([1.0]))])


def test_bad_inputs_are_named():
    x, y = blobs(40)
    model = classifier()
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        model.fit(x, y[:30], verbose=0)
    with pytest.raises(ValueError, match="non-empty"):
        model.fit(x[:0], y[:0], verbose=0)
    bad = x.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ValueError, match="1 non-finite.*sample 7"):
        model.fit(bad, y, verbose=0)
    with pytest.raises(ValueError, match=r"label 3 out of range \[0, 3\) at index 5"):
        model.fit(x, np.where(np.arange(40) == 5, 3, y), verbose=0)
    with pytest.raises(TypeError):
        model.fit(np.array([["a", "b"]] * 40, dtype=object), y, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=1.0, verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        keras.Sequential([layers.Dense(1)]).fit(x, y, verbose=0)


def test_functional_and_subclassed_models_train():
    x, y = blobs(120)
    inputs = keras.Input(shape=(2,))
    outputs = layers.Dense(3, activation="softmax")(layers.Dense(16, activation="relu")(inputs))
    functional = keras.Model(inputs, outputs)
    assert isinstance(functional, keras.Model) and functional.count_params() == 2 * 16 + 16 + 16 * 3 + 3

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(16, activation="relu")
            self.dropout = layers.Dropout(0.5)
            self.out = layers.Dense(3, activation="softmax")

        def call(self, inputs, training=None):
            return self.out(self.dropout(self.hidden(inputs), training=training))

    for model in (functional, Net()):
        model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy", metrics=["accuracy"])
        assert model.fit(x, y, epochs=10, verbose=0).history["accuracy"][-1] > 0.9


def test_cross_entropy_after_softmax_or_sigmoid_uses_the_logits_as_keras():
    logits = sn.tensor([[1000.0, -1000.0], [0.5, 0.2]], requires_grad=True)
    loss = keras.losses.SparseCategoricalCrossentropy()(np.array([1, 0]), keras.activations.softmax(logits))
    loss.backward()
    second = math.log(1 + math.exp(0.2 - 0.5))  # −log softmax([0.5, 0.2])[0]
    assert float(loss) == pytest.approx((2000.0 + second) / 2, rel=1e-6)
    np.testing.assert_allclose(logits.grad.numpy()[0], [0.5, -0.5], rtol=1e-6)
    z = sn.tensor([[30.0], [-2.0]], requires_grad=True)
    bce = keras.losses.BinaryCrossentropy()(np.array([0.0, 1.0]), keras.activations.sigmoid(z))
    assert float(bce) == pytest.approx((30.0 + math.log(1 + math.exp(2.0))) / 2, rel=1e-6)


def test_steps_per_epoch_reads_on_through_a_repeated_pipeline():
    x, y = blobs(64)
    pipeline = data.Dataset.from_tensor_slices((x, y)).batch(16).repeat()
    model = classifier()
    history = model.fit(pipeline, epochs=3, steps_per_epoch=3, verbose=0)
    assert history.params["steps"] == 3 and len(history.history["loss"]) == 3
