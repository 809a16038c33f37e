"""The example scripts (one per seed experiment) and the real-data accuracy script, each run
in-process through its ``main(argv)`` with its shortest settings: it must print its result, return
sensible numbers and write non-empty PNG files.

The examples need the real Fashion-MNIST (CI installs Debian's ``dataset-fashion-mnist``); it is
read once here and handed to every example, and the tests that need it skip when it is absent.
"""

import importlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from scratchnet import datasets
from scratchnet.datasets.mnist import SYSTEM_DATA_DIR

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HAVE_FASHION_MNIST = (SYSTEM_DATA_DIR / "fashion-mnist" / "train-images-idx3-ubyte.gz").exists()
needs_fashion_mnist = pytest.mark.skipif(
    not HAVE_FASHION_MNIST, reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")


def load_example(name, monkeypatch):
    """The example module ``examples/NAME.py``, imported with its folder on sys.path (as when it
    runs as a script; the path is restored after the test)."""
    pytest.importorskip("matplotlib")
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def fashion_arrays():
    return datasets.load_fashion_mnist(download=False)


@pytest.fixture
def fashion(fashion_arrays, monkeypatch):
    """Every example's ``load_fashion_mnist()`` returns the arrays read once for this module."""
    monkeypatch.setattr(datasets, "load_fashion_mnist", lambda *args, **kwargs: fashion_arrays)


def check_figures(result, out, names):
    """The figures the example returned are the expected PNG files, written and non-empty."""
    assert sorted(Path(path).name for path in result["figures"]) == sorted(names)
    for name in names:
        content = (out / name).read_bytes()
        assert content.startswith(PNG_SIGNATURE) and len(content) > 1000, name


@pytest.fixture
def run(tmp_path, capsys, monkeypatch):
    """``run(name, *argv)``: the example's ``main`` with ``--out tmp_path``; its result and output."""
    def run_example(name, *argv):
        result = load_example(name, monkeypatch).main([*argv, "--out", str(tmp_path)])
        return result, capsys.readouterr().out
    return run_example


def test_xor_is_solved(run, tmp_path):
    result, printed = run("xor")
    assert result["solved"] and result["predictions"] == [0, 1, 1, 0]
    assert result["loss"] < 0.05
    assert "XOR solved: True" in printed and "[1, 1] ->" in printed
    check_figures(result, tmp_path, ["xor.png"])


@needs_fashion_mnist
def test_init_and_batchnorm(run, fashion, tmp_path):
    result, printed = run("init_and_batchnorm", "--epochs", "1", "--limit", "512",
                          "--test-limit", "200", "--batch-size", "64")
    losses = result["losses"]
    assert set(losses) == {"RandomNormal(stddev=1)", "GlorotUniform", "GlorotUniform + BatchNorm"}
    assert all(len(curve) == 8 for curve in losses.values())  # 512 / 64 steps
    # N(0, 1) weights blow the logits up; Glorot starts near ln(10) and learns
    assert losses["RandomNormal(stddev=1)"][0] > 100 * losses["GlorotUniform"][0]
    assert abs(losses["GlorotUniform"][0] - np.log(10)) < 0.5
    assert np.mean(losses["GlorotUniform"][-3:]) < losses["GlorotUniform"][0]
    assert "GlorotUniform + BatchNorm" in printed and "test acc" in printed
    check_figures(result, tmp_path, ["init_and_batchnorm.png"])


@needs_fashion_mnist
def test_optimizer_comparison(run, fashion, tmp_path):
    result, printed = run("optimizer_comparison", "--epochs", "1", "--limit", "1000",
                          "--test-limit", "200")
    names = ["SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adadelta", "Adam"]
    assert list(result["losses"]) == names
    first_losses = [curve[0] for curve in result["losses"].values()]
    assert np.allclose(first_losses, first_losses[0])  # same initial weights and first batch
    for name in names:
        assert len(result["losses"][name]) == 10
        assert result["test_accuracy"][name] > 0.2, name  # above chance (0.1) after 10 steps
        assert name in printed
    check_figures(result, tmp_path, ["optimizer_comparison.png"])


@needs_fashion_mnist
def test_overfitting(run, fashion, tmp_path):
    result, printed = run("overfitting", "--epochs", "20", "--samples", "100",
                          "--eval-every", "10", "--test-limit", "300")
    plain, regularised = result["accuracy"]["no regularisation"], result["accuracy"]["dropout 0.2 + L2 0.05"]
    assert plain["train"] > plain["test"]  # 100 samples are memorised faster than they generalise
    assert 0.3 < plain["test"] <= 1 and 0.3 < regularised["test"] <= 1
    assert "100 training samples, 20 epochs" in printed and "gap" in printed
    check_figures(result, tmp_path, ["overfitting.png"])


@needs_fashion_mnist
@pytest.mark.parametrize("name", ["fashion_mlp", "mnist_style_mlp"])
def test_keras_mlps(name, run, fashion, tmp_path):
    result, printed = run(name, "--epochs", "1", "--limit", "500", "--test-limit", "200")
    assert 0.4 < result["test_accuracy"] <= 1
    assert list(result["history"]) == ["loss", "accuracy", *(["val_loss", "val_accuracy"]
                                                             if name == "fashion_mlp" else [])]
    assert "Total params:" in printed and "Epoch 1/1" in printed
    assert f"test accuracy: {result['test_accuracy']:.4f}" in printed
    check_figures(result, tmp_path, [f"{name}_history.png", f"{name}_predictions.png"])


@needs_fashion_mnist
def test_bn_cnn(run, fashion, tmp_path):
    result, printed = run("bn_cnn", "--epochs", "2", "--limit", "128",
                          "--test-limit", "100", "--batch-size", "64")
    assert len(result["history"]["loss"]) == 2 and 0 <= result["test_accuracy"] <= 1
    assert "epoch 1/2 (lr 0.01)" in printed and "epoch 2/2 (lr 0.005)" in printed  # StepLR halves it
    check_figures(result, tmp_path, ["bn_cnn_history.png", "bn_cnn_filters.png", "bn_cnn_feature_maps.png"])


@needs_fashion_mnist
def test_cnn_dropout(run, fashion, tmp_path):
    result, printed = run("cnn_dropout", "--epochs", "2", "--limit", "400",
                          "--test-limit", "200")
    assert set(result["results"]) == {"with dropout", "without dropout"}
    for name, history in result["histories"].items():
        assert len(history["val_accuracy"]) == 2
        assert result["results"][name]["best_val_accuracy"] == max(history["val_accuracy"])
        assert result["results"][name]["test_accuracy"] > 0.3
    assert "best val acc" in printed and "val_loss" in printed
    check_figures(result, tmp_path, ["cnn_dropout.png"])


def load_accuracy_script():
    spec = importlib.util.spec_from_file_location("accuracy_benchmark", ROOT / "benchmarks" / "accuracy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_accuracy_script_xor_passes(tmp_path, capsys):
    accuracy = load_accuracy_script()
    assert accuracy.main(["--only", "xor", "--json", str(tmp_path / "results.json")]) == 0
    printed = capsys.readouterr().out
    assert "xor" in printed and "PASS" in printed
    assert '"status": "PASS"' in (tmp_path / "results.json").read_text()


@needs_fashion_mnist
def test_accuracy_script_short_run_is_not_judged(fashion, capsys):
    accuracy = load_accuracy_script()
    assert accuracy.main(["--only", "mlp", "--epochs", "1", "--limit", "300", "--test-limit", "200"]) == 0
    printed = capsys.readouterr().out
    assert "short" in printed and "FAIL" not in printed


@needs_fashion_mnist
def test_resnet_fashion_quick(run, fashion, tmp_path):
    result, printed = run("resnet_fashion", "--quick")
    assert "epoch 1/1" in printed and 0 <= result["test_accuracy"] <= 1
    assert (tmp_path / "resnet20.safetensors").exists()
    check_figures(result, tmp_path, ["resnet_history.png"])


@needs_fashion_mnist
def test_cam_and_grad_cam_quick(run, fashion, tmp_path):
    result, _ = run("cam", "--quick", "--test-limit", "100")
    cam, grad_cam = result["cam"], result["grad_cam"]
    assert cam.shape == grad_cam.shape == (len(result["classes"]), 7, 7)
    # behind a global average pool and one Linear layer, Grad-CAM is ReLU(CAM) / (7 * 7)
    np.testing.assert_allclose(grad_cam, np.maximum(cam, 0) / 49, rtol=1e-4, atol=1e-6)
    check_figures(result, tmp_path, ["cam.png"])


@needs_fashion_mnist
def test_vgg_filters_quick(run, fashion, tmp_path):
    result, printed = run("vgg_filters", "--quick")
    assert "features.0.weight: (32, 1, 3, 3)" in printed and 0 <= result["test_accuracy"] <= 1
    check_figures(result, tmp_path, ["vgg_filters.png", "vgg_feature_maps.png"])


@needs_fashion_mnist
def test_transfer_learning_quick(run, fashion, tmp_path):
    result, printed = run("transfer_learning", "--quick")
    assert len(result["fine_tuned"]) == len(result["scratch"]) == 2 and "fine-tuned head" in printed
    frozen = [name for name, p in result["model"].named_parameters() if not p.requires_grad]
    assert "features.conv1.weight" in frozen and "head.weight" not in frozen and "head.bias" not in frozen
    check_figures(result, tmp_path, ["transfer_learning.png"])
