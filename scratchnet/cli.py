"""The command line: ``scratchnet train | evaluate | predict | summary | bench``.

``scratchnet train`` trains a seed model (the CNN on Fashion-MNIST by default) with a progress bar,
prints the test accuracy and writes a run folder holding the model (``model.safetensors``), the
history (``history.csv``), the learning curves (``learning_curve.png``) and ``run.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from scratchnet.backend import xp

DATASETS = ("fashion-mnist", "mnist", "xor")
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot"]


class CommandError(Exception):
    """A problem the user can fix (missing data, bad folder); printed without a traceback."""


def load_dataset(name: str) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``((x_train, y_train), (x_test, y_test))`` as float32 inputs in [0, 1] and int64 labels."""
    from scratchnet import datasets

    if name == "xor":
        x, y = datasets.xor()
        return (x, y), (x, y)
    loader = datasets.load_fashion_mnist if name == "fashion-mnist" else datasets.load_mnist
    try:
        (x_train, y_train), (x_test, y_test) = loader()
    except FileNotFoundError as error:
        raise CommandError(str(error)) from error
    return ((_scale(x_train), y_train.astype(xp.int64)), (_scale(x_test), y_test.astype(xp.int64)))


def _scale(images: Any) -> Any:
    return images.astype(xp.float32) * xp.float32(1 / 255)


def model_inputs(model_name: str, images: Any) -> Any:
    """Images shaped for the model: channels-last ``(N, H, W, 1)`` for the CNNs."""
    if model_name == "mlp":
        return images
    if images.ndim != 3:
        raise CommandError(f"the {model_name} model needs images; this data set has inputs of shape "
                           f"{images.shape[1:]}: use --model mlp")
    return images[..., None]


def build_model(model_name: str, input_shape: tuple[int, ...], num_classes: int, optimizer: str,
                lr: float | None) -> Any:
    """A compiled seed model with the seed's optimiser unless told otherwise."""
    from scratchnet import keras
    from scratchnet.models import MODELS, TRAINING_DEFAULTS

    defaults = TRAINING_DEFAULTS[model_name]
    name = optimizer or defaults["optimizer"]
    options: dict[str, Any] = {"learning_rate": lr if lr is not None else defaults["lr"]}
    if name == "sgd" and not optimizer:
        options["momentum"] = defaults.get("momentum", 0.0)
    optimizer_class = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam,
                       "adamw": keras.optimizers.AdamW, "rmsprop": keras.optimizers.RMSprop,
                       "adagrad": keras.optimizers.Adagrad, "adadelta": keras.optimizers.Adadelta}[name]
    model = MODELS[model_name](input_shape, num_classes)
    model.compile(optimizer=optimizer_class(**options), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Train, evaluate on the test set and fill the run folder; returns the run summary."""
    import scratchnet as sn
    from scratchnet.keras.callbacks import CSVLogger
    from scratchnet.models import TRAINING_DEFAULTS

    rank = _data_parallel_rank()
    sn.manual_seed(args.seed)
    defaults = TRAINING_DEFAULTS[args.model]
    epochs = args.epochs or (300 if args.dataset == "xor" else defaults["epochs"])
    batch_size = args.batch_size or defaults["batch_size"]
    (x_train, y_train), (x_test, y_test) = load_dataset(args.dataset)
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    x_train, x_test = model_inputs(args.model, x_train), model_inputs(args.model, x_test)
    num_classes = int(y_train.max()) + 1
    model = build_model(args.model, x_train.shape[1:], num_classes, args.optimizer,
                        args.lr if args.lr is not None else (0.05 if args.dataset == "xor" else None))
    out = Path(args.out)
    if rank == 0:  # under mpirun, rank 0 alone prints and writes the run folder
        out.mkdir(parents=True, exist_ok=True)
        print(f"training {args.model} on {args.dataset}: {len(x_train):,} samples, {epochs} epochs, "
              f"batch size {batch_size}", flush=True)
    validation_split = 0.0 if args.dataset == "xor" else args.validation_split
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                        validation_split=validation_split, verbose=0 if args.dataset == "xor" else 1,
                        callbacks=[CSVLogger(str(out / "history.csv"))])
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    summary = {"model": args.model, "dataset": args.dataset, "epochs": epochs, "batch_size": batch_size,
               "seed": args.seed, "test_loss": float(test_loss), "test_accuracy": float(test_accuracy)}
    if rank == 0:
        model.save(out / "model.safetensors")
        (out / "run.json").write_text(json.dumps(summary, indent=2) + "\n")
        _plot_learning_curve(history, out / "learning_curve.png")
        print(f"test accuracy: {test_accuracy:.4f} (loss {test_loss:.4f})")
        print(f"run folder: {out.resolve()}")
    return summary


def _data_parallel_rank() -> int:
    """Under ``mpirun -n W``: train data-parallel over the W ranks (each global batch split across
    them, keras.distribution.DataParallel); returns this process's rank (0 otherwise)."""
    from scratchnet.distributed import DistributedError
    from scratchnet.keras import distribution

    try:
        return distribution.from_launcher()
    except DistributedError as error:
        raise CommandError(str(error)) from error


def _plot_learning_curve(history: Any, path: Path) -> None:
    try:
        from scratchnet.viz import plot_history

        plot_history(history, str(path))
    except ImportError:
        print("matplotlib is not installed: no learning_curve.png (pip install 'scratchnet[plot]')")


def _load_run(folder: str) -> tuple[Any, dict[str, Any]]:
    from scratchnet import keras

    run_file, model_file = Path(folder) / "run.json", Path(folder) / "model.safetensors"
    if not run_file.is_file() or not model_file.is_file():
        raise CommandError(f"{folder} is not a run folder of `scratchnet train` "
                           "(it needs run.json and model.safetensors)")
    model = keras.load_model(model_file)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, json.loads(run_file.read_text())


def evaluate(args: argparse.Namespace) -> dict[str, float]:
    """Evaluate a trained run on its data set's test split."""
    model, run = _load_run(args.run)
    _, (x_test, y_test) = load_dataset(run["dataset"])
    loss, accuracy = model.evaluate(model_inputs(run["model"], x_test), y_test, batch_size=1000, verbose=0)
    print(f"{run['model']} on {run['dataset']} test set: loss {loss:.4f}, accuracy {accuracy:.4f}")
    return {"loss": float(loss), "accuracy": float(accuracy)}


def read_image(path: str) -> Any:
    """A 28x28 grayscale image in [0, 1] from a .npy array or a PNG file."""
    if path.endswith(".npy"):
        image = xp.load(path, allow_pickle=False).astype(xp.float32)
        image = image / 255 if image.max() > 1 else image
    else:
        try:
            import matplotlib.image
        except ImportError as error:
            raise CommandError("reading PNG images needs matplotlib: "
                               "pip install 'scratchnet[plot]'") from error
        image = matplotlib.image.imread(path).astype(xp.float32)
        if image.ndim == 3:
            image = image[..., :3].mean(axis=-1)
    if image.shape != (28, 28):
        raise CommandError(f"{path}: expected a 28x28 grayscale image, got shape {image.shape}")
    return image


def predict(args: argparse.Namespace) -> list[int]:
    """Print the predicted class of each image."""
    model, run = _load_run(args.run)
    images = xp.stack([read_image(path) for path in args.images])
    probabilities = model.predict(model_inputs(run["model"], images))
    classes = probabilities.argmax(axis=1)
    names = FASHION_MNIST_CLASSES if run["dataset"] == "fashion-mnist" else None
    for path, label, row in zip(args.images, classes, probabilities):
        shown = f"{label} ({names[label]})" if names else str(label)
        print(f"{path}: {shown}  p={row[label]:.3f}")
    return classes.tolist()


def summary(args: argparse.Namespace) -> None:
    """Print a seed model's Keras-style summary."""
    from scratchnet.models import MODELS

    input_shape = (28, 28) if args.model == "mlp" else (28, 28, 1)
    model = MODELS[args.model](input_shape, 10)
    model.summary()


def bench(args: argparse.Namespace, extra: list[str]) -> int:
    """Run the benchmark suite in ``benchmarks/`` (PyTorch side by side when installed)."""
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "suite.py"
    if not script.is_file():
        raise CommandError(f"the benchmark suite is not here ({script}): run from a scratchnet checkout "
                           "installed with `pip install -e .`")
    return subprocess.call([sys.executable, str(script), *extra])


def _abort_other_ranks(code: int) -> None:
    """Under mpirun, end every rank (the others may be waiting for this one in a collective)."""
    from scratchnet.distributed import abort

    abort(code)


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    from scratchnet.models import MODELS

    parser = argparse.ArgumentParser(prog="scratchnet", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    training = commands.add_parser("train", help="train a seed model and save a run folder")
    training.add_argument("--model", choices=sorted(MODELS), default="cnn")
    training.add_argument("--dataset", choices=DATASETS, default="fashion-mnist")
    training.add_argument("--epochs", type=int, default=None, help="default: the seed's")
    training.add_argument("--batch-size", type=int, default=None, help="default: the seed's")
    training.add_argument("--optimizer", choices=["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta"],
                          default=None, help="default: the seed's")
    training.add_argument("--lr", type=float, default=None, help="learning rate (default: the seed's)")
    training.add_argument("--seed", type=int, default=0)
    training.add_argument("--validation-split", type=float, default=0.1)
    training.add_argument("--limit", type=int, default=None, help="train on the first N samples only")
    training.add_argument("--out", default="runs/latest", help="run folder (default runs/latest)")
    evaluating = commands.add_parser("evaluate", help="evaluate a run folder on the test set")
    evaluating.add_argument("run")
    predicting = commands.add_parser("predict", help="classify 28x28 images (.png or .npy)")
    predicting.add_argument("run")
    predicting.add_argument("images", nargs="+")
    summarising = commands.add_parser("summary", help="print a seed model's summary")
    summarising.add_argument("--model", choices=sorted(MODELS), default="cnn")
    commands.add_parser("bench", help="run the benchmark suite (arguments go to benchmarks/suite.py)",
                        add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``scratchnet`` command."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        return bench(argparse.Namespace(), argv[1:])
    args = make_parser().parse_args(argv)
    command = {"train": train, "evaluate": evaluate, "predict": predict, "summary": summary}[args.command]
    try:
        command(args)
    except CommandError as error:
        print(f"scratchnet {args.command}: {error}", file=sys.stderr)
        _abort_other_ranks(2)
        return 2
    return 0
