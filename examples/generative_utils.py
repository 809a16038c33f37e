"""What the generative examples share: one pass over a loader that trains or evaluates a model
through its loss terms and the epochs of such passes, images scaled for a tanh output, one picture
made of many generated images, the two-curve loss plot of a GAN, and the check of a
class-conditional generator by the project's own classifier (with the command line and data that
the conditional GANs share)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from example_utils import load_images, make_parser, parse, pyplot, save_figure

import scratchnet as sn
from scratchnet import data, keras, models, nn, optim


def run_epoch(model: nn.Module, loader: data.DataLoader, batch_losses: Any,
              optimizer: optim.Optimizer | None = None) -> dict[str, float]:
    """One pass over ``loader``: ``batch_losses(model, images)`` returns named loss terms whose
    first entry is the loss to minimise; with an ``optimizer`` each batch takes a step on it,
    without one the pass runs in evaluation mode and records no graph. Returns each term's mean
    per image (batches weighted by their size)."""
    model.train(optimizer is not None)
    totals: dict[str, float] = {}
    count = 0
    with sn.enable_grad() if optimizer is not None else sn.no_grad():
        for images, *_ in loader:
            terms = batch_losses(model, images)
            if optimizer is not None:
                optimizer.zero_grad()
                next(iter(terms.values())).backward()
                optimizer.step()
            for name, value in terms.items():
                totals[name] = totals.get(name, 0.0) + value.item() * len(images)
            count += len(images)
    return {name: total / count for name, total in totals.items()}


def fit_epochs(model: nn.Module, batch_losses: Any, x_train: Any, x_test: Any,
               args: argparse.Namespace) -> Iterator[tuple[int, dict[str, float], dict[str, float]]]:
    """Train ``model`` with Adam (lr 1e-3) on shuffled batches of ``args.batch_size`` images of
    ``x_train`` for ``args.epochs`` epochs; after each, yield the epoch (from 1), the training
    pass's mean terms and the test pass's over ``x_test`` (``run_epoch`` both)."""
    train_loader = data.DataLoader(data.TensorDataset(x_train), batch_size=args.batch_size, shuffle=True)
    test_loader = data.DataLoader(data.TensorDataset(x_test), batch_size=1000)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(1, args.epochs + 1):
        yield (epoch, run_epoch(model, train_loader, batch_losses, optimizer),
               run_epoch(model, test_loader, batch_losses))

def to_tanh_range(images: Any) -> Any:
    """Pixels in [0, 1] mapped to [-1, 1] (2x - 1), the range of a generator's tanh output."""
    return images * np.float32(2) - np.float32(1)


def tile(images: Any, rows: int) -> Any:
    """``rows`` rows of images ``(N, H, W)`` (or ``(N, 1, H, W)``, ``(N, H, W, 1)``) side by side as
    one ``(rows·(H+1) - 1, columns·(W+1) - 1)`` array, a blank (NaN) pixel between neighbours."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4:
        images = images[:, 0] if images.shape[1] == 1 else images[..., 0]
    count, height, width = images.shape
    columns = -(-count // rows)
    padded = np.full((rows * columns, height + 1, width + 1), np.nan, dtype=np.float32)
    padded[:count, :height, :width] = images
    canvas = padded.reshape(rows, columns, height + 1, width + 1).transpose(0, 2, 1, 3)
    return canvas.reshape(rows * (height + 1), columns * (width + 1))[:-1, :-1]


def save_grid(images: Any, rows: int, out: Path, name: str, title: str,
              row_labels: list[str] | None = None, value_range: tuple[float, float] = (0.0, 1.0)) -> Path:
    """Write ``images`` as one ``rows``-row picture ``out/name`` (gray, ``value_range`` black to
    white), with ``title`` above and, if given, a label left of each row."""
    canvas = tile(images, rows)
    figure, axis = pyplot().subplots(figsize=(canvas.shape[1] / 40 + 1.5, canvas.shape[0] / 40 + 0.6))
    axis.imshow(canvas, cmap="gray", vmin=value_range[0], vmax=value_range[1])
    axis.set_title(title, fontsize=9)
    axis.set_xticks([])
    if row_labels:
        height = (canvas.shape[0] + 1) / rows
        axis.set_yticks((np.arange(rows) + 0.5) * height - 1, row_labels, fontsize=8)
    else:
        axis.set_yticks([])
    return save_figure(figure, out, name)


def save_gan_losses(d_losses: list[float], g_losses: list[float], out: Path, name: str) -> Path:
    """The discriminator's and the generator's loss at every step, and their moving mean over 50
    steps, as ``out/name``."""
    figure, axis = pyplot().subplots(figsize=(8, 4.5))
    for label, losses in (("discriminator", d_losses), ("generator", g_losses)):
        width = min(50, len(losses))
        line, = axis.plot(losses, alpha=0.25)
        smooth = np.convolve(losses, np.ones(width) / width, mode="valid")
        axis.plot(np.arange(width - 1, len(losses)), smooth, color=line.get_color(), label=label)
    axis.set(xlabel="step", ylabel="loss", title="GAN losses (faint: each step; solid: mean of 50)")
    axis.legend()
    axis.grid(alpha=0.3)
    return save_figure(figure, out, name)


def train_classifier(x_train: Any, y_train: Any, x_test: Any, y_test: Any, epochs: int) -> tuple[Any, float]:
    """``models.bncnn`` (seed 003's batch-norm CNN) trained with Adam(1e-3) on the real images
    ``(N, 28, 28, 1)`` in [0, 1]; returns it and its accuracy on the real test images."""
    classifier = models.bncnn()
    classifier.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                       metrics=["accuracy"])
    classifier.fit(x_train, y_train, batch_size=128, epochs=epochs, verbose=2)
    _, test_accuracy = classifier.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    print(f"classifier (models.bncnn, {epochs} epochs): real test accuracy {test_accuracy:.4f}")
    return classifier, float(test_accuracy)


def recognition(sample: Callable[[Any], Any], classifier: Any, per_class: int,
                classes: int = 10) -> tuple[float, list[float]]:
    """The fraction of generated images that ``classifier`` assigns to the class they were asked
    for, overall and per class: ``sample(labels)`` makes one image ``(28, 28, 1)`` in [0, 1] for
    each of the ``per_class`` copies of every class label."""
    labels = np.repeat(np.arange(classes), per_class)
    hits = np.argmax(classifier.predict(sample(labels), batch_size=1000, verbose=0), axis=1) == labels
    return float(hits.mean()), hits.reshape(classes, per_class).mean(axis=1).tolist()


def print_recognition(recognised: float, per_class: list[float], count: int, names: list[str] | None) -> None:
    """Print ``recognition``'s figures for ``count`` generated images, each class by its name (its
    number when ``names`` is None)."""
    names = names or [str(label) for label in range(len(per_class))]
    print("recognised as the requested class: "
          + ", ".join(f"{name} {rate:.2f}" for name, rate in zip(names, per_class)))
    print(f"recognised: {recognised:.3f} of {count} generated images")


def conditional_gan_setup(doc: str, argv: list[str] | None, epochs: int,
                          batch_size: int) -> tuple[argparse.Namespace, tuple[Any, Any], Any, float]:
    """What the class-conditional GANs share before training: their command line (the common
    options plus ``--width``, ``--classifier-epochs``, ``--per-class`` and a ``--quick`` of tiny
    sizes), the images ``(N, 28, 28, 1)`` in [0, 1] with their labels, and the judge
    (``train_classifier``). Returns the arguments, ``(x_train, y_train)``, the classifier and its
    real test accuracy."""
    parser = make_parser(doc, epochs=epochs, batch_size=batch_size)
    parser.add_argument("--width", type=int, default=32, help="the first convolution's channels (default 32)")
    parser.add_argument("--classifier-epochs", type=int, default=2)
    parser.add_argument("--per-class", type=int, default=100, help="generated images per class to classify")
    args = parse(parser, argv, quick=["--epochs", "2", "--limit", "256", "--test-limit", "200",
                                      "--batch-size", "64", "--width", "8", "--classifier-epochs", "1",
                                      "--per-class", "10"])
    (x_train, y_train), (x_test, y_test) = load_images(args, channels=True)
    classifier, accuracy = train_classifier(x_train, y_train, x_test, y_test, args.classifier_epochs)
    return args, (x_train, y_train), classifier, accuracy
