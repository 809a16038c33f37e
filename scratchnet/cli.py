"""The command line: ``scratchnet train | evaluate | predict | summary | export | bench``.

``scratchnet train`` trains a seed model (the CNN on Fashion-MNIST by default) with a progress bar,
prints the test accuracy and writes a run folder holding the model (``model.safetensors``), the
history (``history.csv``), the learning curves (``learning_curve.png``) and ``run.json``.
"""

from __future__ import annotations

import argparse
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

from scratchnet.backend import xp

DATASETS = ("fashion-mnist", "mnist", "xor")
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot"]


class CommandError(Exception):
    """A problem the user can fix (missing data, bad folder); printed without a traceback."""


def load_dataset(name: str) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``((x_train, y_train), (x_test, y_test))`` as float32 inputs in [0, 1] and int64 labels."""
    from scratchnet import datasets

    if name not in DATASETS:
        raise CommandError(f"unknown data set {name!r} (known: {', '.join(DATASETS)})")
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
    """Train (or, with ``--resume``, continue) a run, evaluate on the test set and fill the run
    folder as ``scratchnet.runs`` describes; returns the run summary."""
    from scratchnet import backend, runs

    rank = _data_parallel_rank()  # under mpirun, rank 0 alone prints and writes the run folder
    settings = _resumed_settings(args) if args.resume else _new_settings(args)
    out = Path(args.resume or args.out)
    if not args.resume and runs.is_unfinished(out):
        raise CommandError(f"{out} holds an interrupted run: continue it with --resume {out}, "
                           "or choose another --out")
    if settings.get("status") == "done":
        print(f"{out}: the run is complete, nothing to resume")
        return settings
    backend.manual_seed(settings["seed"])
    (x_train, y_train), (x_test, y_test) = load_dataset(settings["dataset"])
    if settings["limit"]:
        x_train, y_train = x_train[:settings["limit"]], y_train[:settings["limit"]]
    x_train = model_inputs(settings["model"], x_train)
    x_test = model_inputs(settings["model"], x_test)
    num_classes = int(y_train.max()) + 1
    model = build_model(settings["model"], x_train.shape[1:], num_classes, settings["optimizer"],
                        settings["lr"])
    done, history = 0, {}
    if args.resume:
        model, done, history, rng = runs.load_checkpoint(out, settings["epochs"])
        backend.set_rng_state(rng)
    settings = {key: settings[key] for key in runs.SETTINGS}
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        print(f"{'resuming' if done else 'training'} {settings['model']} on {settings['dataset']}: "
              f"{len(x_train):,} samples, epochs {done + 1}-{settings['epochs']}, "
              f"batch size {settings['batch_size']}", flush=True)
    model.fit(x_train, y_train, batch_size=settings["batch_size"], epochs=settings["epochs"],
              initial_epoch=done, validation_split=settings["validation_split"],
              verbose=0 if settings["dataset"] == "xor" else 1,
              callbacks=[runs.EpochCheckpoint(out, settings, history)])  # on rank 0 only, under mpirun
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    summary = {**settings, "test_loss": float(test_loss), "test_accuracy": float(test_accuracy)}
    if rank != 0:
        return summary
    runs.write_text(out / runs.HISTORY, runs.history_csv(history))  # the last epoch's, if a kill cut it
    model.save(out / runs.MODEL)
    _plot_learning_curve(history, out / "learning_curve.png")
    runs.write_run(out, {**summary, "status": "done", "epochs_done": settings["epochs"],
                         "weights": runs.MODEL})
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


def _new_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings of a new run: the options given, the seed model's defaults for the rest."""
    from scratchnet.models import TRAINING_DEFAULTS

    defaults = TRAINING_DEFAULTS[args.model]
    return {"model": args.model, "dataset": args.dataset, "seed": args.seed,
            "epochs": args.epochs or (300 if args.dataset == "xor" else defaults["epochs"]),
            "batch_size": args.batch_size or defaults["batch_size"], "optimizer": args.optimizer,
            "lr": args.lr if args.lr is not None else (0.05 if args.dataset == "xor" else None),
            "validation_split": 0.0 if args.dataset == "xor" else args.validation_split,
            "limit": args.limit}


def _resumed_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings of the run to resume (its ``run.json``); other training options are refused."""
    from scratchnet import runs
    from scratchnet.models import MODELS

    defaults = make_parser().parse_args(["train"])
    given = [f"--{name.replace('_', '-')}" for name in vars(args)
             if name not in ("command", "resume") and getattr(args, name) != getattr(defaults, name)]
    if given:
        raise CommandError(f"--resume continues a run with the settings of its run.json; "
                           f"drop {', '.join(given)}")
    run = runs.read_run(args.resume, MODELS, DATASETS)
    missing = [key for key in runs.SETTINGS if key not in run]
    if missing:
        raise CommandError(f"{Path(args.resume) / runs.RUN_FILE}: cannot resume, it lacks "
                           f"{', '.join(missing)}")
    return run


def _plot_learning_curve(history: dict[str, list[float]], path: Path) -> None:
    """The learning curves as a PNG, replaced atomically."""
    try:
        from scratchnet.serialization.atomic import atomic_write
        from scratchnet.viz import plot_history

        figure = plot_history(history)
        atomic_write(path, lambda file: figure.savefig(file, format="png", dpi=100))
        import matplotlib.pyplot

        matplotlib.pyplot.close(figure)
    except ImportError:
        print("matplotlib is not installed: no learning_curve.png (pip install 'scratchnet[plot]')")


def _load_run(folder: str) -> tuple[Any, dict[str, Any]]:
    """The model of a run folder (the weights file its ``run.json`` names) and its ``run.json``."""
    from scratchnet import keras, runs
    from scratchnet.models import MODELS

    run = runs.read_run(folder, MODELS, DATASETS)
    model_file = Path(folder) / run["weights"]
    if not model_file.is_file():
        raise CommandError(f"{folder}: run.json names {run['weights']}, which is missing")
    model = keras.load_model(model_file, compile=False)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, run


def _run_model(run: dict[str, Any], call: Any) -> Any:
    """``call()``, a refusal of the inputs by the model becoming a ``CommandError`` (the weights
    file does not match the model ``run.json`` names)."""
    try:
        return call()
    except ValueError as error:
        raise CommandError(f"the saved model does not take {run['model']} inputs of {run['dataset']} "
                           f"as run.json says ({error})") from None


def evaluate(args: argparse.Namespace) -> dict[str, float]:
    """Evaluate a trained run on its data set's test split."""
    model, run = _load_run(args.run)
    _, (x_test, y_test) = load_dataset(run["dataset"])
    loss, accuracy = _run_model(run, lambda: model.evaluate(model_inputs(run["model"], x_test), y_test,
                                                            batch_size=1000, verbose=0))
    print(f"{run['model']} on {run['dataset']} test set: loss {loss:.4f}, accuracy {accuracy:.4f}")
    return {"loss": float(loss), "accuracy": float(accuracy)}


def read_image(path: str) -> Any:
    """A 28x28 grayscale image in [0, 1] from a .npy array or a PNG file; ``CommandError`` naming
    the file for anything else. Sizes are checked in the file's header before its data is read."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise CommandError(f"{path}: not a regular file")
    except OSError as error:
        raise CommandError(f"{path}: cannot read it ({error.strerror or error})") from None
    image = _read_npy(path) if path.endswith(".npy") else _read_png(path)
    if image.shape != (28, 28):
        raise CommandError(f"{path}: expected a 28x28 grayscale image, got shape {image.shape}")
    if not xp.isfinite(image).all():
        raise CommandError(f"{path}: the image holds NaN or infinite values")
    return image


def _read_npy(path: str) -> Any:
    """A .npy image, mapped first so that its header's shape is checked before any data is read."""
    try:
        image = xp.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise CommandError(f"{path}: not a readable .npy array ({error})") from None
    if image.shape != (28, 28) or image.dtype.kind not in "biuf":
        raise CommandError(f"{path}: expected a 28x28 grayscale image, got shape {image.shape} "
                           f"of {image.dtype}")
    image = xp.array(image, dtype=xp.float32)
    return image / 255 if image.max() > 1 else image


def _read_png(path: str) -> Any:
    """A PNG image as grayscale; its width and height (IHDR) are checked before it is decoded."""
    with open(path, "rb") as file:
        head = file.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise CommandError(f"{path}: not a PNG file (give a .png or a .npy image)")
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if (height, width) != (28, 28):
        raise CommandError(f"{path}: expected a 28x28 grayscale image, got {width}x{height}")
    try:
        import matplotlib.image
    except ImportError as error:
        raise CommandError("reading PNG images needs matplotlib: pip install 'scratchnet[plot]'") from error
    try:
        image = matplotlib.image.imread(path).astype(xp.float32)
    except Exception as error:  # whatever the image decoder raises for a file it cannot decode
        raise CommandError(f"{path}: not a readable PNG image ({error})") from None
    return image[..., :3].mean(axis=-1) if image.ndim == 3 else image


def predict(args: argparse.Namespace) -> list[int]:
    """Print the predicted class of each image."""
    model, run = _load_run(args.run)
    images = xp.stack([read_image(path) for path in args.images])
    probabilities = _run_model(run, lambda: model.predict(model_inputs(run["model"], images)))
    if probabilities.ndim != 2:
        raise CommandError(f"the saved model gives outputs of shape {probabilities.shape[1:]}, "
                           "not class scores")
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


def export_run(args: argparse.Namespace) -> Path:
    """Write a trained run's model as RUN/model.onnx (input channels-last as the model takes it,
    dynamic batch axis)."""
    from scratchnet.onnx import UnsupportedOperatorError

    model, _ = _load_run(args.run)
    path = Path(args.run) / "model.onnx"
    try:
        model.export(path, format=args.format)
    except (ImportError, OSError, UnsupportedOperatorError) as error:
        raise CommandError(str(error)) from error
    print(f"wrote {path}")
    return path


def bench(args: argparse.Namespace, extra: list[str]) -> int:
    """Run the benchmark suite in ``benchmarks/`` (PyTorch side by side when installed)."""
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "suite.py"
    if not script.is_file():
        raise CommandError(f"the benchmark suite is not here ({script}): run from a scratchnet checkout "
                           "installed with `pip install -e .`")
    return subprocess.call([sys.executable, str(script), *extra])


class _OneLineErrors(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``scratchnet train: argument --model: ...``)
    raised as ``CommandError``, so that ``main`` reports them like every other mistake."""

    def error(self, message: str) -> NoReturn:
        raise CommandError(f"{message} (see {self.prog} --help)")


def _abort_other_ranks(code: int) -> None:
    """Under mpirun, end every rank (the others may be waiting for this one in a collective)."""
    from scratchnet.distributed import abort

    abort(code)


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    from scratchnet.models import MODELS

    parser = _OneLineErrors(prog="scratchnet", description=__doc__,
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
    training.add_argument("--resume", metavar="RUN", default=None,
                          help="continue the run in folder RUN from its last checkpoint, with its settings")
    evaluating = commands.add_parser("evaluate", help="evaluate a run folder on the test set")
    evaluating.add_argument("run")
    predicting = commands.add_parser("predict", help="classify 28x28 images (.png or .npy)")
    predicting.add_argument("run")
    predicting.add_argument("images", nargs="+")
    summarising = commands.add_parser("summary", help="print a seed model's summary")
    summarising.add_argument("--model", choices=sorted(MODELS), default="cnn")
    exporting = commands.add_parser("export", help="write a run folder's model as RUN/model.onnx")
    exporting.add_argument("run")
    exporting.add_argument("--format", choices=["onnx"], default="onnx")
    commands.add_parser("bench", help="run the benchmark suite (arguments go to benchmarks/suite.py)",
                        add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``scratchnet`` command: 0 on success; 2 and one line on stderr, never a
    traceback, for a user's mistake or a bad file (options, run folders, models, images, data)."""
    from scratchnet.runs import RunFolderError
    from scratchnet.serialization import SerializationError

    argv = sys.argv[1:] if argv is None else argv
    name = argv[0] if argv else ""
    try:
        if name == "bench":
            return bench(argparse.Namespace(), argv[1:])
        args = make_parser().parse_args(argv)
        command = {"train": train, "evaluate": evaluate, "predict": predict, "summary": summary,
                   "export": export_run}[args.command]
        command(args)
    except (CommandError, RunFolderError, SerializationError, OSError, MemoryError) as error:
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"scratchnet {name}: {message}", file=sys.stderr)
        _abort_other_ranks(2)
        return 2
    except KeyboardInterrupt:
        print(f"scratchnet {name}: interrupted", file=sys.stderr)
        return 130
    return 0
