"""One validation for every way data enters Keras ``fit``/``evaluate``: arrays, ``data.Dataset``
pipelines, DataLoaders and ``validation_data`` in each form. Finite in-memory data is refused whole
before any weight changes; a stream is checked batch by batch, the error naming the batch."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import data, keras
from scratchnet.keras import layers


@pytest.fixture(autouse=True)
def fresh_session():
    keras.backend.clear_session()
    sn.manual_seed(0)


RNG = np.random.default_rng(7)
X = RNG.normal(size=(64, 4)).astype(np.float32)
Y = RNG.integers(0, 3, 64)
X_NAN = X.copy()
X_NAN[41, 2] = np.nan


def built(loss: str = "sparse_categorical_crossentropy") -> keras.Sequential:
    model = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(optimizer="adam", loss=loss)
    return model


def weights(model):
    return [w.copy() for w in model.get_weights()]


def assert_refused_unchanged(model, match, **fit):
    before = weights(model)
    with pytest.raises(ValueError, match=match):
        model.fit(verbose=0, **fit)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(model))), "weights changed"


def slices(x, y, batch=8):
    return data.Dataset.from_tensor_slices((x, y)).shuffle(64, seed=1).batch(batch).prefetch(2)


def test_nan_in_a_tensor_slices_pipeline_is_refused_like_arrays_before_training():
    """The issue's case: the same NaN trained silently to NaN weights through a pipeline."""
    with pytest.raises(ValueError) as arrays:
        built().fit(X_NAN, Y, verbose=0)
    assert_refused_unchanged(built(), "non-finite", x=slices(X_NAN, Y))
    assert "sample 41" in str(arrays.value)
    with pytest.raises(ValueError, match="sample 41"):
        built().fit(slices(X_NAN, Y), verbose=0)


def test_nan_in_a_stream_is_refused_at_its_batch():
    mapped = data.Dataset.from_tensor_slices((X_NAN, Y)).map(lambda a, b: (a * 2, b)).batch(8)
    with pytest.raises(ValueError, match=r"batch 5 of the data set: x contains 1 non-finite values"):
        built().fit(mapped, verbose=0)
    loader = data.DataLoader(data.TensorDataset(X_NAN, Y), batch_size=16)
    with pytest.raises(ValueError, match=r"non-finite.*sample 41"):  # the DataLoader's own check
        built().fit(loader, verbose=0)
    labels = data.Dataset.from_tensor_slices((X, np.where(np.arange(64) == 50, 7, Y))).take(64).batch(16)
    with pytest.raises(ValueError, match=r"batch 3 of the data set: label 7 out of range \[0, 3\)"):
        built().fit(labels, verbose=0)


def test_empty_and_endless_pipelines_give_clear_errors():
    """The issue's case: both gave ``TypeError: 'NoneType' object cannot be interpreted as an integer``."""
    with pytest.raises(ValueError, match="Expect x to be a non-empty array or dataset"):
        built().fit(data.Dataset.from_tensor_slices((X[:0], Y[:0])).batch(8), verbose=0)
    with pytest.raises(ValueError, match="Expect x to be a non-empty array or dataset"):
        built().fit(data.Dataset.from_tensor_slices((X, Y)).filter(lambda a, b: b > 5).batch(8), verbose=0)
    endless = data.Dataset.from_tensor_slices((X, Y)).batch(8).repeat()
    assert_refused_unchanged(built(), "infinite data set.*steps_per_epoch", x=endless)
    history = built().fit(endless, steps_per_epoch=3, epochs=2, verbose=0)
    assert history.params["steps"] == 3 and len(history.history["loss"]) == 2
    with pytest.raises(ValueError, match=r"validation_data is an infinite data set.*take\(n\)"):
        built().fit(X, Y, validation_data=endless, verbose=0)
    with pytest.raises(ValueError, match=r"x of evaluate is an infinite data set.*take\(n\)"):
        built().evaluate(endless, verbose=0)
    with pytest.raises(ValueError, match=r"x of predict is an infinite data set.*take\(n\)"):
        built().predict(data.Dataset.from_tensor_slices(X).batch(8).repeat())


def test_a_filtered_pipeline_of_unknown_length_trains():
    filtered = data.Dataset.from_tensor_slices((X, Y)).filter(lambda a, b: b > 0).batch(8)
    history = built().fit(filtered, epochs=2, verbose=0)
    assert history.params["steps"] is None and np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("validation", ["arrays", "pipeline", "loader"])
def test_bad_validation_labels_fail_before_the_first_epoch(validation):
    """The issue's case: bad ``validation_data`` failed only after a whole epoch of training."""
    bad = np.where(np.arange(64) == 13, 3, Y)
    given = {"arrays": (X, bad), "pipeline": slices(X, bad),
             "loader": data.DataLoader(data.TensorDataset(X, bad), batch_size=64)}[validation]
    # a DataLoader over a TensorDataset is checked whole, as arrays are
    assert_refused_unchanged(built(), r"label 3 out of range \[0, 3\) at index 13", x=X, y=Y,
                             validation_data=given)


def test_bad_validation_shapes_fail_before_the_first_epoch():
    model = built("categorical_crossentropy")
    one_hot = keras.utils.to_categorical(Y, 3)
    assert_refused_unchanged(model, r"targets of shape \(64, 4\) do not match predictions of shape \(64, 3\)",
                             x=X, y=one_hot, validation_data=(X, np.zeros((64, 4), np.float32)))
    assert_refused_unchanged(model, r"shape \(64,\).*sparse_categorical_crossentropy", x=X, y=Y)
    assert_refused_unchanged(model, r"shape \(64,\).*sparse_categorical_crossentropy", x=X, y=one_hot,
                             validation_data=slices(X, Y))


def test_one_hot_targets_to_a_sparse_loss_say_so():
    """The issue's case: "target shape (32, 10) does not match input shape (32, 10)"."""
    one_hot = keras.utils.to_categorical(Y, 3)
    for source in ({"x": X, "y": one_hot}, {"x": slices(X, one_hot)}):
        model = built()
        before = weights(model)
        with pytest.raises(ValueError) as error:
            model.fit(verbose=0, **source)
        assert "look one-hot" in str(error.value) and "categorical_crossentropy" in str(error.value)
        assert all(np.array_equal(a, b) for a, b in zip(before, weights(model)))
    with pytest.raises(ValueError, match="look one-hot"):
        built().evaluate(X, one_hot, verbose=0)


def test_valid_pipelines_and_loaders_train_as_before():
    model = built()
    history = model.fit(slices(X, Y), validation_data=slices(X, Y), epochs=2, verbose=0)
    assert np.isfinite(history.history["val_loss"]).all()
    loss = model.evaluate(data.DataLoader(data.TensorDataset(X, Y), batch_size=16), verbose=0)
    assert np.isclose(loss, model.evaluate(X, Y, verbose=0), rtol=1e-5)


@pytest.mark.parametrize("fault", ["nan", "label"])
def test_a_tensor_dataset_loader_is_checked_whole_before_the_first_step(fault):
    """A bad sample in the last batch of a DataLoader over in-memory arrays (a TensorDataset, or a
    Subset of one) is refused before any weight changes, with the message the arrays would give."""
    x, y = X.copy(), Y.copy()
    if fault == "nan":
        x[60, 1] = np.nan
    else:
        y[60] = 7
    whole, rows = data.TensorDataset(x, y), np.arange(10, 64)
    for loader, chosen in [(data.DataLoader(whole, batch_size=16), slice(None)),
                           (data.DataLoader(data.Subset(whole, rows), batch_size=16, shuffle=True), rows)]:
        with pytest.raises(ValueError) as arrays:
            built().fit(x[chosen], y[chosen], verbose=0)
        model = built()
        before = weights(model)
        with pytest.raises(ValueError) as refused:
            model.fit(loader, epochs=2, verbose=0)
        assert all(np.array_equal(a, b) for a, b in zip(before, weights(model))), "weights changed"
        assert str(refused.value) == str(arrays.value)
        assert "batch" not in str(refused.value)


def test_a_loader_with_its_own_collate_fn_is_still_checked_per_batch():
    labels = np.where(np.arange(64) == 60, 7, Y)
    loader = data.DataLoader(data.TensorDataset(X, labels), batch_size=16,
                             collate_fn=lambda samples: data.collate(samples))
    model = built()
    before = weights(model)
    with pytest.raises(ValueError, match=r"batch 3 of the data set: label 7 out of range \[0, 3\)"):
        model.fit(loader, verbose=0)
    assert not all(np.array_equal(a, b) for a, b in zip(before, weights(model)))  # 3 steps were taken
