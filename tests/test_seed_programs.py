"""The seed notes' TensorFlow/Keras programs (/work/shared/seeds 000, 002, 003, 004), extracted
into tests/seed_programs/ with only their imports changed (see its README), run on the local
Fashion-MNIST.

The CI shrink parameters are here and nowhere else: ``N_TRAIN``/``N_TEST`` samples of
Fashion-MNIST stand in for the seeds' MNIST (there is no MNIST copy and no internet here),
``EPOCHS`` and ``MAX_ITERATIONS`` replace the seeds' epoch and iteration counts.

Programs that fail as written because of the notes' own mistakes are first run as written, and
the test checks the exact line and error (the same a real TensorFlow gives: nothing in them is
scratchnet's doing); then they are run with the smallest repairs, listed in ``REPAIRS`` with the
reason for each.
"""

from __future__ import annotations

import runpy
import sys
import traceback
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import keras

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")

PROGRAMS = Path(__file__).parent / "seed_programs"

# ---- CI shrink parameters ---------------------------------------------------------------------
N_TRAIN, N_TEST = 2000, 500  # Fashion-MNIST samples (the seeds use all 60000 / 10000)
EPOCHS = 1  # the seeds: 5, 10, 20 or 100
MAX_ITERATIONS = 30  # seed 000's GradientTape loop: the seed runs len(train_x) = 60000 iterations


@pytest.fixture(scope="module")
def fashion_subset() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    try:
        (x_train, y_train), (x_test, y_test) = sn.datasets.load_fashion_mnist()
    except (FileNotFoundError, OSError) as error:  # CI installs dataset-fashion-mnist
        pytest.skip(f"Fashion-MNIST is not installed: {error}")
    return (x_train[:N_TRAIN], y_train[:N_TRAIN]), (x_test[:N_TEST], y_test[:N_TEST])


@pytest.fixture
def local_data(monkeypatch, fashion_subset, tmp_path):
    """``mnist.load_data`` and ``fashion_mnist.load_data`` give the Fashion-MNIST subset; the
    programs run in a temporary directory (their plots and checkpoints land there)."""
    subset = lambda: fashion_subset  # noqa: E731
    monkeypatch.setattr(keras.datasets.mnist, "load_data", subset)
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", subset)
    monkeypatch.chdir(tmp_path)
    keras.backend.clear_session()
    sn.manual_seed(0)
    yield fashion_subset
    import matplotlib.pyplot as plt

    plt.close("all")


def program_text(name: str, repairs: list[tuple[str, str, str]] = ()) -> str:
    text = (PROGRAMS / name).read_text(encoding="utf-8")
    for old, new, _reason in repairs:
        assert text.count(old) == 1, f"repair target not found once in {name}: {old!r}"
        text = text.replace(old, new)
    return text


def run(name: str, repairs: list[tuple[str, str, str]] = (), **names: Any) -> dict[str, Any]:
    """Run the program (repaired) as ``__main__`` with ``names`` preset; return its globals."""
    scope = {"__name__": "__main__", "EPOCHS": EPOCHS, "MAX_ITERATIONS": MAX_ITERATIONS, **names}
    exec(compile(program_text(name, repairs), str(PROGRAMS / name), "exec"), scope)  # noqa: S102
    return scope


def failure(name: str, **names: Any) -> tuple[BaseException, str]:
    """Run the program as written; return the exception and the program line that raised it."""
    with pytest.raises(Exception) as caught:
        run(name, **names)
    frames = [frame for frame in traceback.extract_tb(caught.value.__traceback__)
              if frame.filename == str(PROGRAMS / name)]
    return caught.value, frames[-1].line.strip()


# ---- seed 000 -----------------------------------------------------------------------------------
SEED000_TF1_REPAIRS = [
    ("optimizer = tf.train.AdamOptimizer(learning_rate=learning_rate)",
     "optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)",
     "TensorFlow 1's optimizer (TensorFlow 2 has no tf.train.*Optimizer); the replacement our error names"),
    ("optimizer.apply_gradients(grads_and_vars=zip(grads, network.variables), global_step=global_step)",
     "optimizer.apply_gradients(grads_and_vars=zip(grads, network.variables))",
     "TensorFlow 1's global_step argument (a Keras optimizer counts its own steps)"),
    ("test_accuracy = accuracy_fn(network, test_input, test_labels)",
     "test_accuracy = accuracy_fn(network, test_input, test_label)",
     "the note's typo: test_labels is never defined (test_label is the batch just read)"),
    ("for epoch in range(start_epoch, training_epochs):",
     "start_epoch, start_iteration, counter, checkpoint_prefix = 0, 0, 0, 'ckpt'\n"
     "for epoch in range(start_epoch, training_epochs):",
     "the note never defines start_epoch, start_iteration, counter, checkpoint_prefix (its repo does)"),
]

SEED000_LOAD_REPAIR = (
    "    return train_data, train_labels, test_labels\n",
    "    return train_data, train_labels, test_data, test_labels\n",
    "the note's load_mnist returns 3 values but is unpacked into 4 (test_data is missing)")


def test_seed000_relu_as_written_stops_at_the_notes_unpacking_bug(local_data):
    error, line = failure("seed000_relu.py")
    assert isinstance(error, ValueError) and "not enough values to unpack (expected 4, got 3)" in str(error)
    assert line == "train_x, train_y, test_x, test_y = load_mnist()"


def test_seed000_relu_tf1_lines_name_their_replacement(local_data):
    error, line = failure("seed000_relu.py", repairs=[SEED000_LOAD_REPAIR])
    assert isinstance(error, AttributeError) and "tf.keras.optimizers.Adam(learning_rate=...)" in str(error)
    assert line == "optimizer = tf.train.AdamOptimizer(learning_rate=learning_rate)"
    repairs = [SEED000_LOAD_REPAIR, *SEED000_TF1_REPAIRS[:1]]
    error, line = failure("seed000_relu.py", repairs=repairs)
    assert isinstance(error, AttributeError) and "optimizer.iterations" in str(error)
    assert line == "global_step = tf.train.create_global_step()"


def test_seed000_relu_repaired_trains_with_gradient_tape_and_checkpoints(local_data, capsys):
    repairs = [SEED000_LOAD_REPAIR, *SEED000_TF1_REPAIRS,
               ("global_step = tf.train.create_global_step()", "",
                "TensorFlow 1's global step (the error names optimizer.iterations)")]
    scope = run("seed000_relu.py", repairs=repairs)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch:")]
    assert len(lines) == MAX_ITERATIONS and scope["counter"] == MAX_ITERATIONS
    assert scope["optimizer"].iterations == MAX_ITERATIONS
    first_loss = float(lines[0].split("train_loss: ")[1].split(",")[0])
    # a 784-256-256-10 MLP on raw 0-255 pixels with Adam: 30 steps bring the loss well down
    assert float(scope["train_loss"]) < first_loss and float(scope["test_accuracy"]) > 0.5
    assert (Path("ckpt-1-1")).exists() and (Path(f"ckpt-{MAX_ITERATIONS}-{MAX_ITERATIONS}")).exists()


SEED000_BN_REPAIRS = [
    ("    return train_data, test_date\n", "    return train_data, test_data\n",
     "the note's typo: test_date"),
    SEED000_LOAD_REPAIR,
    ("    return tf.keras.layers.BatchNormalilzation()", "    return tf.keras.layers.BatchNormalization()",
     "the note's typo: BatchNormalilzation"),
    *SEED000_TF1_REPAIRS,
    ("        checkpoint.save(file_prefix=checkpoint_prefix + '-{}'.format(counter))",
     "        tf.train.Checkpoint(dnn=network).save(file_prefix=checkpoint_prefix + '-{}'.format(counter))",
     "this program never creates its checkpoint (the ReLU program does: tf.train.Checkpoint(dnn=network))"),
]


def test_seed000_batchnorm_as_written_stops_at_the_notes_typo(local_data):
    error, line = failure("seed000_batchnorm.py")
    assert isinstance(error, NameError) and "test_date" in str(error)
    assert line == "return train_data, test_date"


def test_seed000_batchnorm_repaired_trains_the_subclassed_model(local_data, capsys):
    scope = run("seed000_batchnorm.py", repairs=SEED000_BN_REPAIRS)
    network = scope["network"]
    assert isinstance(network, keras.Model) and type(network).__name__ == "create_model"
    assert [type(layer).__name__ for layer in network.model.layers].count("BatchNormalization") == 2
    assert scope["optimizer"].iterations == MAX_ITERATIONS
    assert float(scope["test_accuracy"]) > 0.5
    assert len([line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch:")]) == 30


# ---- seed 002 -----------------------------------------------------------------------------------
def test_seed002_tensor_snippets_run_up_to_the_variable_without_initial_value(local_data):
    placeholders = {"value": [[1.0, 2.0], [3.0, 4.0]], "shape": (2, 3), "start": 1, "stop": 10, "num": 4,
                    "limit": 10, "delta": 3}
    error, line = failure("seed002_tensors.py", **placeholders)
    # the note's template passes initial_value=None, which TensorFlow rejects in the same words
    assert isinstance(error, ValueError) and "initial_value must be specified" in str(error)
    assert line == "tensor_f = tf.Variable(initial_value=None, dtype=None, name=None)"
    scope = run("seed002_tensors.py", repairs=[("initial_value=None", "initial_value=value",
                                                "the template's placeholder")], **placeholders)
    np.testing.assert_array_equal(scope["tensor_a"].numpy(), placeholders["value"])
    assert scope["tensor_b"].shape == (2, 3) and scope["tensor_b"].numpy().sum() == 0
    assert scope["tensor_c"].dtype == np.float32 and scope["tensor_c"].numpy().sum() == 6
    np.testing.assert_allclose(scope["tensor_d"].numpy(), [1, 4, 7, 10])
    np.testing.assert_array_equal(scope["tensor_e"].numpy(), [1, 4, 7])
    assert scope["tensor_f"].requires_grad


def test_seed002_dataset_and_keras_basics_run_up_to_the_notes_batching_bug(local_data):
    rng = np.random.default_rng(0)
    test_data = {"data_test": rng.random((40, 2)), "labels_test": rng.random((40, 1))}
    error, line = failure("seed002_keras_basics.py", **test_data)
    # the note batches the already batched training set again (dataset, not dataset_test): batches of
    # 32 and one of 4 cannot be stacked; TensorFlow fails there too ("Cannot batch tensors with
    # different shapes in component 0")
    assert isinstance(error, ValueError)
    assert "Cannot batch tensors with different shapes in component 0" in str(error)
    assert line == "model.evaluate(dataset_test)"
    scope = run("seed002_keras_basics.py", repairs=[(
        "dataset_test = dataset.batch(32)", "dataset_test = dataset_test.batch(32)",
        "the note's slip: it batches the training set again")], **test_data)
    model = scope["model"]
    assert model.count_params() == (2 * 10 + 10) + (10 * 10 + 10) + (10 + 1)
    assert model.history.history["loss"][0] > 0
    assert scope["predicted_labels_test"].shape == (40, 1)


def test_seed002_fashion_mnist_mlp_runs_with_the_course_helper_stubbed(local_data, monkeypatch, capsys):
    sent: list[str] = []
    elice = types.ModuleType("elice_utils")
    elice.EliceUtils = lambda: types.SimpleNamespace(send_image=sent.append)  # the course platform's helper
    monkeypatch.setitem(sys.modules, "elice_utils", elice)
    run("seed002_fashion_mlp.py")
    out = capsys.readouterr().out
    accuracy = float(out.split("TEST 정확도 :")[1].split()[0])
    assert accuracy > 0.6  # 2000 images, one epoch (PyTorch's and Keras's MLPs land near 0.7 here)
    assert sent == ["test.png"] * 3 and out.count("Prediction: ") == 3


# ---- seed 003 -----------------------------------------------------------------------------------
def test_seed003_tf2_dnn_runs_as_written(local_data, capsys):
    scope = run("seed003_tf2_mnist_dnn.py")
    loss, accuracy = scope["model"].evaluate(scope["x_test"], scope["y_test"], verbose=0)
    assert accuracy > 0.6 and np.isfinite(loss)
    assert "Epoch 1/1" in capsys.readouterr().out


# ---- seed 004 -----------------------------------------------------------------------------------
def test_seed004_as_written_stops_where_the_note_omits_its_class(local_data):
    error, line = failure("seed004_cnn.py")
    assert isinstance(error, NameError) and "ConvolutionNetwork" in str(error)
    assert line == "cn = ConvolutionNetwork(n_kernels=10,units=100,batch_size=128,learning_rate=0.01)"


def test_seed004_runs_with_the_notes_class_fragments_completed(local_data):
    network = runpy.run_path(str(PROGRAMS / "seed004_convolution_network.py"))["ConvolutionNetwork"]
    scope = run("seed004_cnn.py", ConvolutionNetwork=network)
    cn = scope["cn"]
    assert len(cn.losses) == EPOCHS and len(cn.val_losses) == EPOCHS and np.isfinite(cn.losses[0])
    assert cn.val_losses[0] < np.log(10)  # better than chance after one epoch of SGD
    assert scope["conv1"].count_params() == 100 + 196100 + 1010  # the note's summary: 197,210
    assert scope["conv2"].count_params() == 197210
    assert set(scope["history"].history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert scope["accuracy"] > 0.6


# ---- seed 003, PyTorch part ---------------------------------------------------------------------
BATCH_SIZE, MAX_STEPS = 64, 40  # seed 003's PyTorch tips: the course trains whole epochs
SEED003_PIL_REPAIR = (
    "transforms.Lambda(lambda x: x.rotate(90)),",
    "transforms.Lambda(lambda x: np.rot90(x)),",
    "torchvision hands a PIL image to the lambda (Image.rotate); scratchnet's transforms work on "
    "arrays, so the same 90° rotation is np.rot90",
)


@pytest.fixture
def local_torchvision_mnist(monkeypatch, fashion_subset, tmp_path):
    """``dset.MNIST(root, train, transform, download=True)`` gives the first N_TRAIN / N_TEST images
    of the local Fashion-MNIST through the same transforms (no MNIST copy, no internet here)."""
    data = sn.datasets.FashionMNIST

    def mnist(root, train=True, transform=None, target_transform=None, download=False):
        full = data(root=tmp_path, train=train, transform=transform, target_transform=target_transform)
        return sn.utils.data.Subset(full, range(N_TRAIN if train else N_TEST))

    monkeypatch.setattr(sn.datasets, "MNIST", mnist)
    monkeypatch.chdir(tmp_path)
    sn.manual_seed(0)


def run_seed003_pytorch(repairs=()):
    return run("seed003_pytorch_tips.py", repairs=repairs, BATCH_SIZE=BATCH_SIZE, MAX_STEPS=MAX_STEPS)


def test_seed003_pytorch_tips_as_written_stop_at_the_pil_only_rotation(local_torchvision_mnist):
    error, line = failure("seed003_pytorch_tips.py", BATCH_SIZE=BATCH_SIZE, MAX_STEPS=MAX_STEPS)
    assert isinstance(error, AttributeError) and "rotate" in str(error)
    assert line.startswith("transforms.Lambda(lambda x: x.rotate(90)),")


def test_seed003_pytorch_tips_run_and_train_the_batch_norm_cnn(local_torchvision_mnist):
    with pytest.warns(FutureWarning, match="xavier_normal_"):  # PyTorch's deprecated name, as torch warns
        scope = run_seed003_pytorch(repairs=[SEED003_PIL_REPAIR])
    # section 2: resize 34, crop 28, flip, rotate, ToTensor -> one (1, 28, 28) image in [0, 1]
    assert scope["augmented_image"].shape == (1, 28, 28) and 0 <= scope["augmented_image"].numpy().min()
    # section 3: N(0, 0.1²), then Xavier normal std √(2/(fan_in+fan_out)), then He normal std √(2/fan_in)
    fan_in, fan_out = 1 * 9, 16 * 9
    for weights, std in [("normal_weights", 0.1), ("xavier_weights", np.sqrt(2 / (fan_in + fan_out))),
                         ("kaiming_weights", np.sqrt(2 / fan_in))]:
        assert abs(scope[weights].std() / std - 1) < 0.3, weights
    # section 4: ExponentialLR after EPOCHS steps is 0.01·0.99^EPOCHS, as its formula says
    assert np.isclose(scope["exponential_lrs"][0], 0.01 * 0.99 ** EPOCHS)
    # section 7: the batch-norm CNN learns Fashion-MNIST well beyond chance in MAX_STEPS Adam steps
    assert scope["test_accuracy"] > 0.5
    # section 8: Dropout2d drops whole channels in training and none in evaluation
    train, evaluated = scope["dropout_train"].numpy(), scope["dropout_eval"].numpy()
    assert train.shape == evaluated.shape == (BATCH_SIZE, 64, 7, 7)
    assert not np.array_equal(train, evaluated)
