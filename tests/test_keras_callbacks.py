"""Keras callbacks: firing order, EarlyStopping with restore_best_weights, ModelCheckpoint,
LearningRateScheduler, ReduceLROnPlateau, CSVLogger, TerminateOnNaN."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import keras
from scratchnet.keras import callbacks, layers


@pytest.fixture(autouse=True)
def fresh_session():
    keras.backend.clear_session()
    sn.manual_seed(0)


def data(n: int = 40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    return x, (x[:, 0] > 0).astype(np.int64)


def model():
    net = keras.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)),
                            layers.Dense(2, activation="softmax")])
    net.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return net


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(f"epoch_begin {epoch}")

    def on_train_batch_begin(self, batch, logs=None):
        self.events.append(f"batch_begin {batch}")

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(f"batch_end {batch} {sorted(logs)}")

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(f"epoch_end {epoch} {sorted(logs)}")

    def on_train_end(self, logs=None):
        self.events.append("train_end")


class Scripted(callbacks.Callback):
    """Puts a scripted value under ``key`` in each epoch's logs and snapshots the weights."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values, self.snapshots = key, values, []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]
        self.snapshots.append(self.model.get_weights())


def test_callbacks_fire_in_keras_order():
    x, y = data(20)
    recorder = Recorder()
    model().fit(x, y, epochs=2, batch_size=10, validation_split=0.5, callbacks=[recorder], verbose=0)
    batch_keys = "['accuracy', 'loss']"
    epoch_keys = "['accuracy', 'loss', 'val_accuracy', 'val_loss']"
    assert recorder.events == [
        "train_begin",
        "epoch_begin 0", "batch_begin 0", f"batch_end 0 {batch_keys}", f"epoch_end 0 {epoch_keys}",
        "epoch_begin 1", "batch_begin 0", f"batch_end 0 {batch_keys}", f"epoch_end 1 {epoch_keys}",
        "train_end"]


def test_early_stopping_restores_the_best_weights():
    x, y = data()
    net = model()
    scripted = Scripted("score", [3.0, 1.0, 2.0, 4.0, 5.0, 0.5])
    stopper = callbacks.EarlyStopping(monitor="score", patience=2, restore_best_weights=True)
    history = net.fit(x, y, epochs=6, callbacks=[scripted, stopper], verbose=0)
    assert history.epoch == [0, 1, 2, 3] and stopper.stopped_epoch == 3 and stopper.best == 1.0
    for ours, best in zip(net.get_weights(), scripted.snapshots[1]):
        np.testing.assert_array_equal(ours, best)
    assert not np.array_equal(scripted.snapshots[1][0], scripted.snapshots[3][0])


def test_early_stopping_mode_auto_maximises_accuracy():
    stopper = callbacks.EarlyStopping(monitor="val_accuracy")
    assert stopper.tracker.mode == "max"
    assert callbacks.EarlyStopping().tracker.mode == "min"


def test_model_checkpoint_saves_the_best_model(tmp_path):
    x, y = data()
    net = model()
    path = tmp_path / "best-{epoch:02d}.keras"
    scripted = Scripted("val_loss", [2.0, 1.0, 3.0])
    checkpoint = callbacks.ModelCheckpoint(str(path), monitor="val_loss", save_best_only=True)
    net.fit(x, y, epochs=3, callbacks=[scripted, checkpoint], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best-01.keras", "best-02.keras"]
    restored = keras.models.load_model(tmp_path / "best-02.keras")
    for ours, saved in zip(restored.get_weights(), scripted.snapshots[1]):
        np.testing.assert_array_equal(ours, saved)


def test_learning_rate_scheduler_sets_and_logs_the_rate():
    x, y = data()
    net = model()
    history = net.fit(x, y, epochs=3, verbose=0,
                      callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert net.optimizer.optimizer.param_groups[0]["lr"] == pytest.approx(0.1 / 3)


def test_reduce_lr_on_plateau_follows_keras_patience():
    x, y = data()
    net = model()
    scripted = Scripted("val_loss", [1.0, 1.0, 1.0, 0.5, 0.6, 0.7])
    reducer = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2)
    history = net.fit(x, y, epochs=6, callbacks=[scripted, reducer], verbose=0)
    # no improvement at epochs 1 and 2 -> halved after epoch 2; again after epochs 4 and 5
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05])
    assert net.optimizer.learning_rate == pytest.approx(0.025)


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    model().fit(x, y, epochs=2, validation_split=0.25, callbacks=[callbacks.CSVLogger(path)], verbose=0)
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1"]


def test_terminate_on_nan_stops_at_the_bad_batch():
    x, y = data(40)
    calls = {"n": 0}

    def exploding(y_true, y_pred):
        calls["n"] += 1
        return (y_pred * 0).sum() + (np.nan if calls["n"] >= 3 else 0.0)

    recorder = Recorder()
    net = keras.Sequential([layers.Dense(2, input_shape=(3,))])
    net.compile("sgd", exploding)
    history = net.fit(x, y, epochs=3, batch_size=10, callbacks=[callbacks.TerminateOnNaN(), recorder],
                      verbose=0)
    assert len(history.epoch) == 1 and calls["n"] == 3
    assert [e for e in recorder.events if e.startswith("batch_end")][-1].startswith("batch_end 2")
