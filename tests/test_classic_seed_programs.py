"""The seed tutorial's programs (tests/seed_programs/, one per lesson of
/work/shared/seeds/001, only imports and data loading changed) run on ``scratchnet.classic`` and
do what their lessons say. The runs are shortened through the programs' marked scale variables
(``SEED_STEPS_SCALE``, ``SEED_TRAIN_SAMPLES``, ``SEED_TEST_SAMPLES``); the checks are the
lessons' own formulas, or accuracies far above chance on real Fashion-MNIST."""

from __future__ import annotations

import functools
import runpy
from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn
import scratchnet.datasets
from scratchnet import reference as R

PROGRAMS = Path(__file__).parent / "seed_programs"
DATA = Path("/usr/share/datasets/fashion-mnist")


def run_program(lesson: str, monkeypatch, tmp_path, **scale: str) -> dict:
    """Run ``classic_lesson_<lesson>.py`` in ``tmp_path`` with the given scale variables
    (``steps=`` → SEED_STEPS_SCALE, ``samples=`` → SEED_TRAIN_SAMPLES, ...); its globals."""
    names = {"steps": "SEED_STEPS_SCALE", "samples": "SEED_TRAIN_SAMPLES",
             "test_samples": "SEED_TEST_SAMPLES", "optimizer": "SEED_OPTIMIZER"}
    for key, value in scale.items():
        monkeypatch.setenv(names[key], str(value))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(scratchnet.datasets, "load_fashion_mnist", load_once)
    np.random.seed(0)
    sn.manual_seed(0)
    return runpy.run_path(str(PROGRAMS / f"classic_lesson_{lesson}.py"), run_name="__main__")


_LOAD_FASHION_MNIST = scratchnet.datasets.load_fashion_mnist


@functools.cache
def _fashion_arrays() -> tuple:
    return _LOAD_FASHION_MNIST(download=False, progress=False)


def load_once(download: bool = True, progress: bool = True) -> tuple:
    """``load_fashion_mnist`` read from disk once for all the programs (they copy what they change)."""
    return _fashion_arrays()


@pytest.fixture
def fashion():
    """Skip unless the Debian Fashion-MNIST files are installed (CI installs them)."""
    if not (DATA / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"Fashion-MNIST is not installed in {DATA} (apt-get install dataset-fashion-mnist)")


def printed_losses(text: str) -> list[float]:
    """The values of the lessons' ``LOSS on epoch N :`` progress lines."""
    return [float(line.split(":")[-1]) for line in text.splitlines() if line.startswith("LOSS on epoch")]


def test_lesson_2_1_single_layer_gradient_descent_finds_the_line(monkeypatch, tmp_path):
    """MulLayer(w) and AddLayer(b) use the program's own arrays, which it updates in place; the
    MSE gradient (now of the mean it reports) drives w and b to the generating ones."""
    g = run_program("2_1", monkeypatch, tmp_path)
    np.testing.assert_allclose(g["w"], g["ans_w"], atol=1e-6)
    np.testing.assert_allclose(g["b"], [[3.0]], atol=1e-6)
    assert g["layers"]["w"].param is g["w"] and g["loss"] < 1e-10


def test_lesson_2_2_multi_layer_softmax_learns(monkeypatch, tmp_path, fashion, capsys):
    """The hand-written loop over MulLayer/AddLayer/SigmoidLayer/SoftmaxLayer learns: the printed
    loss falls and the test accuracy (from ``Layers.softmax``) is far above chance."""
    g = run_program("2_2", monkeypatch, tmp_path, steps=0.2, samples=10000)
    losses = printed_losses(capsys.readouterr().out)
    assert len(losses) == 10 and losses[-1] < 0.6 * losses[0]
    assert (g["pred"].argmax(1) == g["y_test"].argmax(1)).mean() > 0.5


def test_lesson_2_3_relu_family_follows_the_lesson(monkeypatch, tmp_path):
    """ReLU, LeakyReLU (slope 0.001) and ELU: the lesson's forward and backward formulas, and the
    input left as it was (the lesson's layers overwrote it)."""
    g = run_program("2_3", monkeypatch, tmp_path)
    z, dout, outputs, grads = g["z"], g["dout"], g["outputs"], g["grads"]
    positive = z > 0
    np.testing.assert_array_equal(outputs["ReLU"], np.where(positive, z, 0))
    np.testing.assert_array_equal(grads["ReLU"], np.where(positive, dout, 0))
    np.testing.assert_allclose(outputs["LeakyReLU"], np.where(positive, z, 0.001 * z))
    np.testing.assert_allclose(grads["LeakyReLU"], np.where(positive, dout, 0.001 * dout))
    np.testing.assert_allclose(outputs["ELU"], np.where(positive, z, np.exp(z) - 1))
    np.testing.assert_allclose(grads["ELU"], np.where(positive, dout, np.exp(z) * dout))
    np.random.seed(0)
    np.testing.assert_array_equal(z, np.random.uniform(-2, 2, (4, 5)))


def test_lesson_2_4_model_trains_with_the_lessons_call(monkeypatch, tmp_path, fashion, capsys):
    """``addlayer(..., input_size=...)`` and ``train(x, y, epoch, learning_rate, batch_size)``:
    ten progress reports and the final training-set report, the loss falling."""
    run_program("2_4", monkeypatch, tmp_path, steps=0.2, samples=10000)
    out = capsys.readouterr().out
    losses = printed_losses(out)
    assert len(losses) == 10 and losses[-1] < 0.7 * losses[0]
    final = next(line for line in out.splitlines() if line.startswith("ACC : "))
    final_accuracy = float(final.split(":")[-1])
    assert final_accuracy > 0.4


@pytest.mark.parametrize("optimizer", ["nesterov", "momentum"])
def test_lesson_2_5_momentum_and_nesterov_learn(monkeypatch, tmp_path, fashion, optimizer):
    g = run_program("2_5_momentum", monkeypatch, tmp_path, steps=0.1, samples=10000, optimizer=optimizer)
    model = g["model"]
    model.verbose = False
    assert g["optimizer"].nesterov == (optimizer == "nesterov")
    assert model.eval(g["x_train"], g["y_train"]) > 0.6


@pytest.mark.parametrize("optimizer", ["Adagrad", "RMSProp", "AdaDelta", "Adam"])
def test_lesson_2_5_adaptive_optimizers_learn(monkeypatch, tmp_path, fashion, optimizer):
    """Each optimiser of the lesson in its program (AdaDelta ignores the program's learning rate,
    as the lesson says)."""
    g = run_program("2_5_adaptive", monkeypatch, tmp_path, steps=0.1, samples=10000, optimizer=optimizer)
    model = g["model"]
    model.verbose = False
    assert type(g["optimizer"]).__name__ == optimizer
    assert model.eval(g["x_train"], g["y_train"]) > 0.6


def test_lesson_2_6_overfitting_program_runs_with_dropout_and_l2(monkeypatch, tmp_path, fashion, capsys):
    """The six-layer network on 300 samples (He initialisation, L2 0.01, Dropout): it learns the
    training samples better than it generalises, and ``predict(x, y, train_flag=False)`` leaves
    ``pred`` and ``loss`` as the program reads them."""
    g = run_program("2_6", monkeypatch, tmp_path, steps=0.5)
    model = g["model"]
    assert model.pred.shape == (300, 10) and model.loss > 0
    model.verbose = False
    train_accuracy = model.eval(g["x_train"], g["y_train"])
    test_accuracy = model.eval(g["x_test"], g["y_test"])
    assert train_accuracy > 0.6 and train_accuracy > test_accuracy > 0.3
    penalty = sum(0.005 * (model.layers[f"w{i}"].param ** 2).sum() for i in range(1, 7))
    model.predict(g["x_test"], g["y_test"])
    assert model.loss == pytest.approx(R.softmax_cross_entropy(model.forward(g["x_test"], False), g["y_test"])
                                       + penalty, rel=1e-6)


@pytest.fixture(scope="module")
def lesson_2_7(tmp_path_factory):
    """The headline program, shortened to 3000 steps (about 6 passes over the 60000 images)."""
    if not (DATA / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"Fashion-MNIST is not installed in {DATA} (apt-get install dataset-fashion-mnist)")
    with pytest.MonkeyPatch.context() as monkeypatch:
        folder = tmp_path_factory.mktemp("lesson_2_7")
        return run_program("2_7", monkeypatch, folder, steps=0.3), folder


def test_lesson_2_7_reaches_85_percent_on_fashion_mnist(lesson_2_7):
    g, _ = lesson_2_7
    model = g["model"]
    model.verbose = False
    assert model.eval(g["x_test"], g["y_test"]) >= 0.85


def test_lesson_2_7_saves_loads_and_predicts_the_same(lesson_2_7):
    g, folder = lesson_2_7
    assert sorted(p.name for p in folder.iterdir()) == ["model.txt", "weight.npz"]
    assert bool(g["same"])
    loaded = g["loaded"]
    assert list(loaded.layers) == ["w1", "b1", "relu1", "dropout1", "w2", "b2", "relu2", "w3", "b3",
                                   "softmax"]
    assert loaded.layers["w1"].reg == 0.01 and loaded.layers["b1"].out == 100
    np.testing.assert_array_equal(loaded.predict(g["x_test"][:50]), g["model"].predict(g["x_test"][:50]))


def test_lesson_3_1_cnn_with_conv_layer_and_flatten_learns(monkeypatch, tmp_path, fashion):
    g = run_program("3_1", monkeypatch, tmp_path, steps=0.05, samples=2000, test_samples=1000)
    model = g["model"]
    model.verbose = False
    assert model.layers["conv1"].params["W"].shape == (8, 1, 5, 5)
    assert model.eval(g["x_test"], g["y_test"]) > 0.6


def test_lesson_3_2_im2col_convolution_equals_the_conv_layer(monkeypatch, tmp_path):
    """The lesson's forward and backward through ``im2col`` / ``col2im`` give the ConvLayer's
    output and gradients (the layer adds a zero bias), and im2col's shape is (N·OH·OW, C·FH·FW)."""
    g = run_program("3_2", monkeypatch, tmp_path)
    layer = g["layer"]
    assert g["col"].shape == (10 * 4 * 4, 3 * 3 * 3)
    np.testing.assert_allclose(g["out"], g["layer_out"], rtol=1e-12)
    dx = layer.backward(g["dout_image"])
    np.testing.assert_allclose(g["dx"], dx, rtol=1e-12)
    np.testing.assert_allclose(g["grad"], layer.grads["W"], rtol=1e-12)
