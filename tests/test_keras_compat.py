"""Keras compatibility: ``fit``/``evaluate`` with ``sample_weight`` and ``class_weight`` (Keras 3's
semantics, checked with real Keras 3.15 on its torch backend: the batch loss is Σᵢ wᵢ·lᵢ / N with
N the batch size, the epoch loss the size-weighted mean of the batch losses, ``metrics=`` stay
unweighted, one-hot targets weigh by their argmax, a class missing from ``class_weight`` weighs
1, both arguments at once are an error), ``model.input_shape`` / ``output_shape``."""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import keras
from tests.reference import torch_or_skip


@pytest.fixture(autouse=True)
def fresh_session():
    keras.backend.clear_session()
    sn.manual_seed(0)


def data(n: int = 10, classes: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, classes, n),
            rng.uniform(0.5, 2.0, n).astype(np.float32))


def frozen_classifier(loss: str = "sparse_categorical_crossentropy") -> keras.Sequential:
    """A softmax classifier that does not learn (SGD, learning rate 0), so that losses can be
    recomputed from its predictions."""
    model = keras.Sequential([keras.layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss=loss, metrics=["accuracy"])
    return model


def per_sample_cross_entropy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    p = model.predict(x).astype(np.float64)
    return -np.log(p[np.arange(len(y)), y])


def test_fit_sample_weight_gives_keras_weighted_mean_and_unweighted_metrics():
    x, y, w = data()
    model = frozen_classifier()
    losses = per_sample_cross_entropy(model, x, y)
    history = model.fit(x, y, sample_weight=w, batch_size=4, epochs=1, shuffle=False, verbose=0)
    # batches of 4, 4, 2: each Σ w·l / size, then their size-weighted mean = Σ w·l / N overall
    np.testing.assert_allclose(history.history["loss"][0], (w * losses).sum() / len(x), rtol=1e-5)
    accuracy = (model.predict(x).argmax(1) == y).mean()
    np.testing.assert_allclose(history.history["accuracy"][0], accuracy, rtol=1e-6)
    assert (w * losses).sum() / len(x) != pytest.approx((w * losses).sum() / w.sum())  # not Σ w·l / Σ w


def test_evaluate_and_validation_data_take_sample_weights():
    x, y, w = data()
    model = frozen_classifier()
    losses = per_sample_cross_entropy(model, x, y)
    weighted = (w * losses).sum() / len(x)
    loss, _ = model.evaluate(x, y, sample_weight=w, batch_size=3, verbose=0)
    np.testing.assert_allclose(loss, weighted, rtol=1e-5)
    history = model.fit(x, y, batch_size=5, validation_data=(x, y, w), verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][0], weighted, rtol=1e-5)
    np.testing.assert_allclose(history.history["loss"][0], losses.mean(), rtol=1e-5)


def test_class_weight_on_labels_and_one_hot_targets_missing_classes_weigh_one():
    x, y, _ = data()
    model = frozen_classifier()
    losses = per_sample_cross_entropy(model, x, y)
    history = model.fit(x, y, class_weight={0: 1.0, 1: 2.0, 2: 3.0}, batch_size=10, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], (np.array([1, 2, 3.0])[y] * losses).sum() / 10,
                               rtol=1e-5)
    one_hot = frozen_classifier("categorical_crossentropy")
    losses = per_sample_cross_entropy(one_hot, x, y)
    history = one_hot.fit(x, np.eye(3)[y], class_weight={0: 1.0, 1: 2.0}, batch_size=10, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], (np.array([1, 2, 1.0])[y] * losses).sum() / 10,
                               rtol=1e-5)


def test_mse_sample_weight_weighs_the_mean_over_outputs():
    rng = np.random.default_rng(1)
    x, _, w = data()
    y = rng.normal(size=(10, 2)).astype(np.float32)
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(4,))])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    per_sample = ((model.predict(x) - y) ** 2).mean(axis=1)
    np.testing.assert_allclose(model.evaluate(x, y, sample_weight=w, verbose=0), (w * per_sample).sum() / 10,
                               rtol=1e-5)


def test_weighted_step_matches_torch():
    torch = torch_or_skip()
    x, y, w = data()
    model = keras.Sequential([keras.layers.Dense(3, input_shape=(4,))])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    linear = torch.nn.Linear(4, 3)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(model.layers[0].kernel.numpy()))
        linear.bias.copy_(torch.tensor(model.layers[0].bias.numpy()))
    model.fit(x, y, sample_weight=w, batch_size=10, epochs=1, verbose=0)
    loss = (torch.nn.functional.cross_entropy(linear(torch.tensor(x)), torch.tensor(y), reduction="none")
            * torch.tensor(w)).sum() / 10
    loss.backward()
    with torch.no_grad():
        expected = linear.weight - 0.5 * linear.weight.grad
    np.testing.assert_allclose(model.layers[0].kernel.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_weight_arguments_are_checked():
    x, y, w = data()
    model = frozen_classifier()
    with pytest.raises(ValueError, match="You cannot `class_weight` and `sample_weight` at the same time"):
        model.fit(x, y, sample_weight=w, class_weight={0: 1.0}, verbose=0)
    with pytest.raises(ValueError, match="Data cardinality is ambiguous.*sample_weight sizes: 5"):
        model.fit(x, y, sample_weight=w[:5], verbose=0)
    with pytest.raises(ValueError, match="one weight per sample"):
        model.fit(x, y, sample_weight=np.ones((10, 2)), verbose=0)
    with pytest.raises(ValueError, match="class_weight must be a non-empty dict"):
        model.fit(x, y, class_weight=[1.0, 2.0], verbose=0)
    with pytest.raises(ValueError, match="class_weight keys must be class indices"):
        model.fit(x, y, class_weight={"cat": 1.0}, verbose=0)


def test_validation_split_splits_the_sample_weights_too():
    x, y, w = data(20)
    model = frozen_classifier()
    losses = per_sample_cross_entropy(model, x, y)
    history = model.fit(x, y, sample_weight=w, validation_split=0.5, batch_size=10, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], (w[:10] * losses[:10]).sum() / 10, rtol=1e-5)
    np.testing.assert_allclose(history.history["val_loss"][0], losses[10:].mean(), rtol=1e-5)


def test_input_and_output_shape():
    model = keras.Sequential([keras.layers.Conv2D(4, 3, padding="same", input_shape=(8, 8, 1)),
                              keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(5)])
    assert model.input_shape == (None, 8, 8, 1) and model.output_shape == (None, 5)
    inputs = keras.Input((6,))
    functional = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Dense(3)(inputs)))
    assert functional.input_shape == (None, 6) and functional.output_shape == (None, 2)
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="has not been built yet, so it has no input_shape"):
        unbuilt.input_shape  # noqa: B018
    unbuilt(np.ones((3, 7)))
    assert unbuilt.output_shape == (None, 2)


# ---- callbacks ----------------------------------------------------------------------------------
def small_problem() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64)


def trainable_classifier() -> keras.Sequential:
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)),
                              keras.layers.Dropout(0.2), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_lambda_callback_calls_each_given_function_with_keras_arguments():
    x, y = small_problem()
    calls: list[tuple[Any, ...]] = []
    callback = keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin",)),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_batch_end=lambda batch, logs: calls.append(("batch_end", batch, sorted(logs))),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: calls.append(("train_end",)))
    trainable_classifier().fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[callback])
    assert calls[0] == ("train_begin",) and calls[-1] == ("train_end",)
    assert calls[1:5] == [("epoch_begin", 0), ("batch_end", 0, ["accuracy", "loss"]),
                          ("batch_end", 1, ["accuracy", "loss"]), ("epoch_end", 0, ["accuracy", "loss"])]
    assert len(calls) == 10
    with pytest.raises(TypeError, match="unknown hooks \\['on_epoch_finish'\\]"):
        keras.callbacks.LambdaCallback(on_epoch_finish=print)


class Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise RuntimeError("interrupted")


def test_backup_and_restore_resumes_exactly_where_the_interrupted_run_stopped(tmp_path):
    x, y = small_problem()
    sn.manual_seed(1)
    uninterrupted = trainable_classifier()
    reference = uninterrupted.fit(x, y, batch_size=16, epochs=4, verbose=0)

    sn.manual_seed(1)
    model = trainable_classifier()
    backup = keras.callbacks.BackupAndRestore(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[backup, Interrupt()])
    assert (tmp_path / "backup" / "latest.safetensors").exists()

    sn.manual_seed(99)  # a new process: another model, another random state
    resumed_model = trainable_classifier()
    resumed = resumed_model.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[backup])
    assert resumed.epoch == [2, 3]
    np.testing.assert_allclose(resumed.history["loss"], reference.history["loss"][2:], rtol=1e-6)
    for ours, theirs in zip(resumed_model.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    assert resumed_model.optimizer.iterations == uninterrupted.optimizer.iterations == 16
    assert not (tmp_path / "backup" / "latest.safetensors").exists()  # deleted after a normal end
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive int"):
        keras.callbacks.BackupAndRestore(tmp_path, save_freq=0)


class FakeSummaryWriter:
    """Stands in for scratchnet.utils.tensorboard.SummaryWriter (PyTorch's API), recording calls."""

    instances: list[FakeSummaryWriter] = []

    def __init__(self, log_dir):
        self.log_dir, self.scalars, self.histograms, self.closed = log_dir, [], [], False
        FakeSummaryWriter.instances.append(self)

    def add_scalar(self, tag, scalar_value, global_step=None):
        self.scalars.append((tag, scalar_value, global_step))

    def add_histogram(self, tag, values, global_step=None):
        self.histograms.append((tag, values.shape, global_step))

    def flush(self):
        pass

    def close(self):
        self.closed = True


def test_tensorboard_logs_keras_tags_into_train_and_validation_writers(tmp_path, monkeypatch):
    fake = types.ModuleType("scratchnet.utils.tensorboard")
    fake.SummaryWriter = FakeSummaryWriter
    monkeypatch.setitem(sys.modules, "scratchnet.utils.tensorboard", fake)
    FakeSummaryWriter.instances = []
    x, y = small_problem()
    callback = keras.callbacks.TensorBoard(log_dir=tmp_path, histogram_freq=1, update_freq=2)
    history = trainable_classifier().fit(x, y, batch_size=16, epochs=2, validation_split=0.25, verbose=0,
                                         callbacks=[callback])
    train, validation = FakeSummaryWriter.instances
    assert train.log_dir == str(tmp_path / "train") and validation.log_dir == str(tmp_path / "validation")
    epoch_scalars = [s for s in train.scalars if s[0].startswith("epoch_")]
    assert epoch_scalars == [("epoch_loss", history.history["loss"][0], 0),
                             ("epoch_accuracy", history.history["accuracy"][0], 0),
                             ("epoch_loss", history.history["loss"][1], 1),
                             ("epoch_accuracy", history.history["accuracy"][1], 1)]
    assert validation.scalars[0] == ("epoch_loss", history.history["val_loss"][0], 0)
    assert [s[2] for s in train.scalars if s[0] == "batch_loss"] == [2, 4, 6]  # 3 batches an epoch, every 2nd
    weights = {name: parameter.shape for name, parameter in callback.model.named_parameters()}
    assert sorted(train.histograms) == sorted((name, shape, step) for name, shape in weights.items()
                                              for step in (0, 1))
    assert train.closed and validation.closed


def test_tensorboard_without_the_writer_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "scratchnet.utils.tensorboard", None)
    x, y = small_problem()
    with pytest.raises(ImportError, match="scratchnet.utils.tensorboard.SummaryWriter.*TensorBoard extra"):
        trainable_classifier().fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.TensorBoard()])
