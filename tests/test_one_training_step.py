"""One training step and one batching primitive: classic ``Model.train``, Keras ``fit`` (compiled or
with a subclass's ``train_step``) and the CLI's ``train`` go through ``training.train_step`` and
``data.batching.index_batches``; the ``DataLoader`` and the pipeline's shuffle draw through
``batching.chunks`` / ``batching.epoch_order``. Each primitive is checked against its formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import cli, keras, training
from scratchnet.classic import Layers, Model, Optimizer
from scratchnet.data import batching


def counting(monkeypatch, module, name):
    """Replace ``module.name`` by a wrapper that records each call's arguments."""
    calls = []
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        calls.append((args, kwargs))
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def classic_mlp():
    model = Model(verbose=False)
    model.addlayer(Layers.MulLayer(8), name="w1")
    model.addlayer(Layers.AddLayer(), name="b1")
    model.addlayer(Layers.ReLU())
    model.addlayer(Layers.MulLayer(3), name="w2")
    model.addlayer(Layers.AddLayer(), name="b2")
    model.addlayer(Layers.SoftmaxLayer())
    return model


def data(n=40, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, features)).astype(np.float32), rng.integers(0, classes, n)


# ---- every front end goes through the one step and the one batching primitive --------------
@pytest.mark.parametrize("sampling", ["random", "replacement", "shuffle", "sequential"])
def test_classic_train_steps_through_train_step_and_index_batches(monkeypatch, sampling):
    steps = counting(monkeypatch, training, "train_step")
    batches = counting(monkeypatch, batching, "index_batches")
    x, y = data()
    sn.manual_seed(0)
    losses = classic_mlp().train(x, y, Optimizer.Adam(8), 7, 0.01, sampling=sampling)
    assert len(steps) == 7 and len(losses) == 7
    assert batches == [((40, 8, sampling), {"num_batches": 7})]
    assert [float(loss) for loss in losses] == losses


def test_classic_train_batches_are_the_primitive_s_and_training_learns():
    """The inputs each step sees are the rows ``index_batches`` draws from the same seed, and the
    step's update is the optimiser's: the loss falls on separable data."""
    steps = []
    original = training.train_step

    def recording(model, loss_fn, optimizer, inputs, targets):
        steps.append(inputs.copy())
        return original(model, loss_fn, optimizer, inputs, targets)

    x, y = data()
    y = (x[:, 0] > 0).astype(np.int64)
    model = classic_mlp()
    sn.manual_seed(3)
    model.forward(x[:1])  # draw the weights first, as train does
    expected = [x[index] for index in batching.index_batches(40, 8, "replacement", num_batches=60)]
    sn.manual_seed(3)
    model = classic_mlp()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "train_step", recording)
        losses = model.train(x, y, Optimizer.Adam(8), 60, 0.05, sampling="replacement")
    assert len(steps) == 60
    for got, want in zip(steps, expected):
        np.testing.assert_array_equal(got, want)
    assert np.mean(losses[-10:]) < 0.6 * np.mean(losses[:10])


def test_classic_train_rejects_an_unknown_sampling():
    x, y = data()
    with pytest.raises(ValueError, match="sampling must be one of"):
        classic_mlp().train(x, y, Optimizer.SGD(8), 3, 0.1, sampling="bootstrap")


def keras_model():
    model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_keras_fit_steps_through_train_step_and_index_batches(monkeypatch):
    steps = counting(monkeypatch, training, "train_step")
    batches = counting(monkeypatch, batching, "index_batches")
    x, y = data()
    sn.manual_seed(0)
    keras_model().fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert len(steps) == 2 * math.ceil(40 / 16)
    assert [call[0] for call in batches] == [(40, 16, "shuffle")] * 2


class CustomStep(keras.Model):
    """A subclass with its own ``train_step``: fit's one epoch loop calls it on each batch."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.seen = []

    def call(self, inputs, training=None):
        return self.dense(inputs)

    def train_step(self, data):
        x, y = data
        self.seen.append(x.shape[0])
        return {"loss": float(((self(x) - y) ** 2).mean().item())}


def test_keras_custom_train_step_goes_through_fit_s_epoch_loop_and_index_batches(monkeypatch):
    epoch_loops = counting(monkeypatch, keras.Model, "_train_epoch")
    batches = counting(monkeypatch, batching, "index_batches")
    x, y = data()
    model = CustomStep()
    history = model.fit(x, y[:, None].astype(np.float32), batch_size=16, epochs=3, verbose=0)
    assert len(epoch_loops) == 3 and len(batches) == 3
    assert model.seen == [16, 16, 8] * 3
    assert len(history.history["loss"]) == 3


def test_cli_train_steps_through_train_step(monkeypatch, tmp_path, capsys):
    steps = counting(monkeypatch, training, "train_step")
    batches = counting(monkeypatch, batching, "index_batches")
    assert cli.main(["train", "--model", "mlp", "--dataset", "xor", "--epochs", "3",
                     "--validation-split", "0", "--batch-size", "2", "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    # three shuffled epochs of the 4 XOR samples in batches of 2, then the test set's evaluation
    assert [call[0] for call in batches] == [(4, 2, "shuffle")] * 3 + [(4, 1000, "sequential")]
    assert len(steps) == 3 * 2


def test_data_loader_and_pipeline_shuffle_draw_through_the_primitive(monkeypatch):
    pieces = counting(monkeypatch, batching, "chunks")
    orders = counting(monkeypatch, batching, "epoch_order")
    dataset = sn.data.TensorDataset(np.arange(10.0), np.arange(10))
    loader = sn.data.DataLoader(dataset, batch_size=4, shuffle=True)
    assert sorted(np.concatenate([batch.numpy() for batch, _ in loader]).tolist()) == list(range(10))
    assert len(pieces) == 1 and len(orders) == 1
    shuffled = list(sn.data.Dataset.from_tensor_slices(np.arange(6)).shuffle(100).as_numpy_iterator())
    assert sorted(int(v) for v in shuffled) == list(range(6)) and len(orders) == 2


# ---- the primitive against its formulas ---------------------------------------------------
def test_index_batches_sequential_is_slices_in_order():
    assert list(batching.index_batches(7, 3)) == [slice(0, 3), slice(3, 6), slice(6, 7)]
    assert list(batching.index_batches(7, 3, drop_last=True)) == [slice(0, 3), slice(3, 6)]
    assert list(batching.index_batches(4, 3, num_batches=3)) == [slice(0, 3), slice(3, 4), slice(0, 3)]


def test_index_batches_shuffle_is_pieces_of_the_seeded_permutation():
    sn.manual_seed(11)
    got = [index.tolist() for index in batching.index_batches(10, 4, "shuffle", num_batches=5)]
    rng = np.random.Generator(np.random.PCG64(11))  # what manual_seed(11) sets
    first, second = rng.permutation(10), rng.permutation(10)
    assert got == [first[:4].tolist(), first[4:8].tolist(), first[8:].tolist(),
                   second[:4].tolist(), second[4:8].tolist()]


@pytest.mark.parametrize("sampling, replace", [("random", False), ("replacement", True)])
def test_index_batches_random_and_replacement_are_the_tutorial_s_choice(sampling, replace):
    sn.manual_seed(5)
    got = [index.tolist() for index in batching.index_batches(20, 6, sampling, num_batches=4)]
    rng = np.random.Generator(np.random.PCG64(5))
    assert got == [rng.choice(20, 6, replace=replace).tolist() for _ in range(4)]
    assert len(list(batching.index_batches(20, 6, sampling))) == 4  # an epoch's worth by default


def test_epoch_order_matches_the_sampler_formulas():
    rng = np.random.Generator(np.random.PCG64(2))
    order = batching.epoch_order(5, count=12, generator=np.random.Generator(np.random.PCG64(2)))
    assert order.tolist() == np.concatenate([rng.permutation(5) for _ in range(3)])[:12].tolist()
    seeded = np.random.Generator(np.random.PCG64(4))
    drawn = batching.epoch_order(5, count=9, replacement=True, generator=seeded)
    assert drawn.tolist() == np.random.Generator(np.random.PCG64(4)).integers(0, 5, 9).tolist()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="sampling must be one of"):
        batching.index_batches(4, 2, "bootstrap")
    with pytest.raises(ValueError, match="batch_size must be positive"):
        batching.index_batches(4, 0)
