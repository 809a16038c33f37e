"""The command line end to end: train, evaluate, predict, summary and the missing-data message."""

from __future__ import annotations

import csv
import dataclasses
import json

import numpy as np
import pytest

from scratchnet import cli
from scratchnet.datasets import mnist


def test_train_evaluate_on_generated_xor(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "--model", "mlp", "--dataset", "xor", "--epochs", "150",
                     "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    run = json.loads((out / "run.json").read_text())
    assert run["test_accuracy"] == 1.0, printed
    assert f"test accuracy: {run['test_accuracy']:.4f}" in printed
    assert f"run folder: {out.resolve()}" in printed
    with open(out / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 150 and {"epoch", "loss", "accuracy"} <= set(rows[0])
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    assert (out / "learning_curve.png").stat().st_size > 1000
    assert cli.main(["evaluate", str(out)]) == 0
    assert "accuracy 1.0000" in capsys.readouterr().out


def test_train_cnn_on_fashion_mnist_then_predict(tmp_path, capsys):
    out = tmp_path / "cnn"
    assert cli.main(["train", "--model", "cnn", "--epochs", "1", "--limit", "640", "--out", str(out)]) == 0
    assert json.loads((out / "run.json").read_text())["test_accuracy"] > 0.4  # chance is 0.1
    (_, _), (x_test, _) = mnist.load_fashion_mnist()
    image = tmp_path / "image.npy"
    np.save(image, x_test[0])
    capsys.readouterr()
    assert cli.main(["predict", str(out), str(image)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{image}: ") and "p=" in line


def test_summary_prints_keras_parameter_counts(capsys):
    assert cli.main(["summary", "--model", "cnn"]) == 0
    printed = capsys.readouterr().out
    assert "Total params: 197,210" in printed and "196,100" in printed


def test_missing_data_set_says_where_to_put_the_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCRATCHNET_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    offline = dataclasses.replace(mnist.MNIST_SPEC, mirrors=("http://127.0.0.1:9/",))
    monkeypatch.setattr(mnist, "MNIST_SPEC", offline)
    assert cli.main(["train", "--model", "mlp", "--dataset", "mnist", "--out", str(tmp_path / "r")]) == 2
    error = capsys.readouterr().err
    assert "could not be downloaded" in error and str(tmp_path / "data" / "mnist") in error


def test_evaluate_rejects_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert cli.main(["evaluate", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["train", "--model", "resnet"], ["train", "--dataset", "cifar"]])
def test_unknown_choices_are_refused(argv, capsys):
    assert cli.main(argv) == 2
    assert "invalid choice" in capsys.readouterr().err
