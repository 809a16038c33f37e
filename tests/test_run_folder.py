"""The run folder of ``scratchnet train`` is consistent at every moment: nothing of an old run is
emptied or replaced before the new run has a complete checkpoint, ``run.json`` is written last
and names its weights (issue 17, item 5)."""

from __future__ import annotations

import json
import shutil

import pytest

from scratchnet import cli, keras, runs

TRAIN = ["train", "--model", "mlp", "--dataset", "xor", "--epochs", "4"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs") / "run"
    assert cli.main([*TRAIN, "--out", str(folder)]) == 0
    return folder


def weights(folder):
    model = keras.models.load_model(folder / "model.safetensors", compile=False)
    return {key: value.numpy().tobytes() for key, value in model.state_dict().items()}


def contents(folder):
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_a_new_run_interrupted_before_its_first_checkpoint_leaves_the_old_run_intact(
        finished, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    before = contents(folder)

    def killed(self, epoch, logs=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(runs.EpochCheckpoint, "on_epoch_end", killed)
    assert cli.main(["train", "--model", "mlp", "--dataset", "xor", "--epochs", "9", "--seed", "1",
                     "--out", str(folder)]) == 130
    assert contents(folder) == before  # history.csv not emptied, model and run.json the old pair
    monkeypatch.undo()
    assert cli.main(["evaluate", str(folder)]) == 0
    capsys.readouterr()


def test_run_json_is_written_last_and_names_the_checkpoint_while_training(finished, tmp_path, monkeypatch,
                                                                          capsys):
    folder = tmp_path / "run"
    real_write_run, calls = runs.write_run, []

    def write_run_then_die(where, run):
        calls.append(run)
        if len(calls) == 3:  # the checkpoint and history.csv of epoch 3 are written, run.json is not
            raise KeyboardInterrupt
        real_write_run(where, run)

    monkeypatch.setattr(runs, "write_run", write_run_then_die)
    assert cli.main([*TRAIN, "--out", str(folder)]) == 130
    monkeypatch.undo()
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "training" and run["epochs_done"] == 2
    assert run["weights"] == "checkpoint.safetensors"
    assert not (folder / "model.safetensors").exists()
    assert len((folder / "history.csv").read_text().splitlines()) == 1 + 3
    assert cli.main(["evaluate", str(folder)]) == 0
    assert cli.main(["train", "--resume", str(folder)]) == 0
    assert weights(folder) == weights(finished)
    assert (folder / "history.csv").read_text() == (finished / "history.csv").read_text()
    done = json.loads((folder / "run.json").read_text())
    assert done["status"] == "done" and done["weights"] == "model.safetensors"
    assert done["test_accuracy"] == json.loads((finished / "run.json").read_text())["test_accuracy"]
    capsys.readouterr()


def test_a_kill_between_the_last_checkpoint_and_its_history_is_repaired_by_resume(finished, tmp_path,
                                                                                   monkeypatch, capsys):
    folder = tmp_path / "run"
    real_write_text, calls = runs.write_text, []

    def history_write_dies_at_the_last_epoch(path, text):
        calls.append(path.name)
        if calls.count(runs.HISTORY) == 4:
            raise KeyboardInterrupt
        real_write_text(path, text)

    monkeypatch.setattr(runs, "write_text", history_write_dies_at_the_last_epoch)
    assert cli.main([*TRAIN, "--out", str(folder)]) == 130
    monkeypatch.undo()
    assert cli.main(["train", "--resume", str(folder)]) == 0
    assert (folder / "history.csv").read_text() == (finished / "history.csv").read_text()
    assert weights(folder) == weights(finished)
    capsys.readouterr()


def test_resuming_a_finished_run_changes_nothing(finished, tmp_path, capsys):
    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    before = contents(folder)
    assert cli.main(["train", "--resume", str(folder)]) == 0
    assert "the run is complete" in capsys.readouterr().out
    assert contents(folder) == before
