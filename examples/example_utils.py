"""What every example script shares: its command line, the data, where its figures go, and
full-batch training of the small regression examples.

Each example is ``python examples/NAME.py [--epochs N] [--limit N] [--out DIR]``; its ``main(argv)``
returns the numbers it printed, so that ``tests/test_examples.py`` can run it in-process on a few
samples. Figures are written as PNG files into ``--out`` (``examples/output/`` by default).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

import scratchnet as sn
from scratchnet import optim
from scratchnet.training import train_step

DEFAULT_OUT = Path(__file__).resolve().parent / "output"
DATASETS = ("fashion-mnist", "mnist")
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot"]


def make_parser(doc: str, epochs: int, images: bool = True,
                batch_size: int | None = None) -> argparse.ArgumentParser:
    """The common flags: ``--epochs``, ``--seed``, ``--out``; for examples on images also
    ``--dataset``, ``--limit`` and ``--test-limit`` (the first N training / test images); and
    ``--batch-size`` when a default is given."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=doc)
    parser.add_argument("--epochs", type=int, default=epochs, help=f"training epochs (default {epochs})")
    parser.add_argument("--seed", type=int, default=0, help="seed of scratchnet's generator")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the figures")
    if images:
        parser.add_argument("--dataset", choices=DATASETS, default="fashion-mnist",
                            help="MNIST may be missing offline; Fashion-MNIST ships with Debian")
        parser.add_argument("--limit", type=int, default=None,
                            help="use only the first N training images (for a quick run)")
        parser.add_argument("--test-limit", type=int, default=None, help="use only the first N test images")
    if batch_size is not None:
        parser.add_argument("--batch-size", type=int, default=batch_size)
    return parser


def parse(parser: argparse.ArgumentParser, argv: list[str] | None,
          quick: list[str] | None = None) -> argparse.Namespace:
    """Parse ``argv`` (the command line when None), seed scratchnet's generator and create the
    output folder. With ``quick``, the option ``--quick`` stands for those arguments (a short run,
    the one the tests make); options given after it still apply."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if quick is not None:
        parser.add_argument("--quick", action="store_true", help="a short run: " + " ".join(quick))
        if "--quick" in argv:
            argv = [*quick, *argv]
    args = parser.parse_args(argv)
    sn.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def load_image_planes(args: argparse.Namespace) -> tuple[tuple[Any, Any], tuple[Any, Any], Any]:
    """``load_images`` as NCHW planes ``(N, 1, 28, 28)`` for ``nn`` models, with the ``Normalize``
    transform of the training images' mean and standard deviation."""
    from scratchnet.data import transforms

    (x_train, y_train), (x_test, y_test) = load_images(args)
    x_train, x_test = x_train[:, None], x_test[:, None]
    normalize = transforms.Normalize(float(x_train.mean()), float(x_train.std()))
    return (x_train, y_train), (x_test, y_test), normalize


def load_images(args: argparse.Namespace, channels: bool = False) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``((x_train, y_train), (x_test, y_test))`` of ``args.dataset``: float32 images in [0, 1]
    of shape ``(N, 28, 28)`` (``(N, 28, 28, 1)`` with ``channels``, channels-last for Keras) and
    int64 labels, cut to ``args.limit`` / ``args.test_limit`` samples."""
    from scratchnet import datasets

    loader = datasets.load_fashion_mnist if args.dataset == "fashion-mnist" else datasets.load_mnist
    try:
        (x_train, y_train), (x_test, y_test) = loader()
    except FileNotFoundError as error:  # no copy on disk and no network: say where to put the files
        raise SystemExit(f"{args.dataset} is not available: {error}") from error
    x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    x_test, y_test = x_test[:args.test_limit], y_test[:args.test_limit]
    x_train, x_test = (x.astype(np.float32) * np.float32(1 / 255) for x in (x_train, x_test))
    if channels:
        x_train, x_test = x_train[..., None], x_test[..., None]
    return (x_train, y_train.astype(np.int64)), (x_test, y_test.astype(np.int64))


def class_names(args: argparse.Namespace) -> list[str] | None:
    """Fashion-MNIST's class names (None for MNIST, whose labels are the digits)."""
    return FASHION_MNIST_CLASSES if args.dataset == "fashion-mnist" else None


def pyplot() -> Any:
    """matplotlib.pyplot drawing off-screen (the examples only write files)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot

    return matplotlib.pyplot


def plot_smoothed_losses(curves: dict[str, list[float]], window: int, xlabel: str, title: str) -> Any:
    """The per-step training loss of each run, as a moving mean over ``window`` steps, log scale."""
    figure, axis = pyplot().subplots(figsize=(8, 4.5))
    for name, losses in curves.items():
        width = min(window, len(losses))
        smooth = np.convolve(losses, np.ones(width) / width, mode="valid")
        axis.plot(np.arange(width, len(losses) + 1), smooth, label=name)
    axis.set(xlabel=xlabel, ylabel=f"training loss (mean of {window} steps)", yscale="log", title=title)
    axis.legend()
    axis.grid(alpha=0.3)
    return figure


def save_figure(figure: Any, out: Path, name: str) -> Path:
    """Write ``figure`` as ``out/name``, close it and print where it went."""
    path = out / name
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot().close(figure)
    print(f"saved {path}")
    return path


def accuracy(probabilities: Any, labels: Any) -> float:
    """The fraction of rows of ``probabilities`` (or logits) whose argmax equals the label."""
    return float(np.mean(np.argmax(np.asarray(probabilities), axis=1) == np.asarray(labels)))


def report_classifier(model: Any, history: Any, x_test: Any, y_test: Any, args: argparse.Namespace,
                      name: str) -> dict[str, Any]:
    """Evaluate a compiled Keras classifier on the test set, print its accuracy, and save the
    learning curves (``NAME_history.png``) and 16 test images titled ``predicted/true``
    (``NAME_predictions.png``). Returns the test loss, accuracy and figure paths."""
    from scratchnet import viz

    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    print(f"test accuracy: {test_accuracy:.4f} (loss {test_loss:.4f})")
    predictions = np.argmax(model.predict(x_test[:16]), axis=1)
    images = viz.plot_images(x_test[:16], labels=y_test[:16], predictions=predictions,
                             class_names=class_names(args))
    figures = [save_figure(viz.plot_history(history), args.out, f"{name}_history.png"),
               save_figure(images, args.out, f"{name}_predictions.png")]
    return {"test_loss": float(test_loss), "test_accuracy": float(test_accuracy),
            "history": history.history, "figures": figures}


def package_data(package: str, relative: str, install: str) -> Path:
    """The data file ``relative`` inside the installed Python package ``package`` (found without
    importing it); exits with the command ``install`` that provides it when the package is missing."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    folders = (spec.submodule_search_locations or []) if spec else []
    path = Path(folders[0]) / relative if folders else None
    if path is None or not path.is_file():
        raise SystemExit(f"{relative} of the Python package {package!r} is not installed: {install}")
    return path


def categorical(probabilities: Any) -> Any:
    """One index per row of ``probabilities`` ``(N, K)`` (rows summing to 1), drawn from scratchnet's
    seeded generator: the first k with u < Σ_{j≤k} p_j for u ~ U(0, 1)."""
    cumulative = np.cumsum(np.asarray(probabilities, dtype=np.float64), axis=1)
    uniform = sn.rand(len(cumulative), 1).numpy()
    return np.minimum((uniform >= cumulative).sum(axis=1), cumulative.shape[1] - 1)


def full_batch_adam(model: Any, loss_fn: Any, inputs: Any, targets: Any, steps: int,
                    lr: float = 0.01) -> list[float]:
    """``steps`` steps of Adam (``lr``) on ``loss_fn(model(inputs), targets)`` over the whole data
    at once, each the project's one training step (``scratchnet.training.train_step``); returns
    the loss of each step."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    return [train_step(model, loss_fn, optimizer, inputs, targets)[0] for _ in range(steps)]
