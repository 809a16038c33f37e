"""An AutoEncoder on Fashion-MNIST in PyTorch style (``scratchnet.nn``, ``optim``): images squeezed
through 32 numbers and rebuilt, trained on the mean squared error between input and output.

    python examples/autoencoder.py [--epochs 10] [--limit N] [--batch-size 128] [--latent 32]

The encoder: Flatten, Linear 784 → 256 → 64 (ReLU) → 32; the decoder mirrors it (Linear 32 → 64
→ 256, ReLU, → 784, a sigmoid for pixels in [0, 1], Unflatten to 1×28×28). Adam (lr 1e-3),
batch 128. The test reconstruction MSE (mean over pixels) is printed beside two references on the
same test images: every pixel set to the training images' mean image, and the best *linear* code
of the same size (the projection on the training set's first 32 principal components), which
a non-linear autoencoder should beat. Figures: ``autoencoder_reconstructions.png`` (one test image
of each class above its reconstruction) and ``autoencoder_losses.png`` (training and test MSE per
epoch).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from example_utils import load_image_planes, make_parser, parse, pyplot, save_figure
from generative_utils import fit_epochs, save_grid

import scratchnet as sn
from scratchnet import nn


def autoencoder(latent: int) -> nn.Sequential:
    """Images ``(N, 1, 28, 28)`` → codes ``(N, latent)`` (``model[0]``, the encoder) → images
    (``model[1]``, the decoder)."""
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64), nn.ReLU(),
                            nn.Linear(64, latent))
    decoder = nn.Sequential(nn.Linear(latent, 64), nn.ReLU(), nn.Linear(64, 256), nn.ReLU(),
                            nn.Linear(256, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)))
    return nn.Sequential(encoder, decoder)


def reconstruction_loss(model: nn.Module, images: Any) -> dict[str, Any]:
    """The mean squared error between the images and their reconstructions."""
    return {"mse": nn.functional.mse_loss(model(images), images)}


def pca_mse(x_train: Any, x_test: Any, components: int) -> float:
    """The test MSE of the best linear code of ``components`` numbers: each test image projected
    on the training images' first principal components (around their mean) and back."""
    train, test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    mean = train.mean(axis=0)
    centred = train - mean
    _, directions = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues: the last are kept
    basis = directions[:, ::-1][:, :components].T
    rebuilt = (test - mean) @ basis.T @ basis + mean
    return float(np.mean((rebuilt - test) ** 2))


def one_per_class(labels: Any) -> Any:
    """The index of the first image of each class present, in class order."""
    classes, first = np.unique(labels, return_index=True)
    return first[np.argsort(classes)]


def save_losses(history: dict[str, list[float]], out: Any, name: str, ylabel: str) -> Any:
    """Each training and test curve of ``history`` per epoch, as ``out/name``."""
    figure, axis = pyplot().subplots(figsize=(7, 4))
    for label, values in history.items():
        axis.plot(np.arange(1, len(values) + 1), values, marker="o", label=label)
    axis.set(xlabel="epoch", ylabel=ylabel)
    axis.legend()
    axis.grid(alpha=0.3)
    return save_figure(figure, out, name)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train the autoencoder, print the test MSE beside the baselines, save the figures."""
    parser = make_parser(__doc__, epochs=10, batch_size=128)
    parser.add_argument("--latent", type=int, default=32, help="size of the code (default 32)")
    args = parse(parser, argv,
                 quick=["--epochs", "3", "--limit", "512", "--test-limit", "200", "--batch-size", "64"])
    (x_train, _), (x_test, y_test), _ = load_image_planes(args)
    model = autoencoder(args.latent)
    history: dict[str, list[float]] = {"training MSE": [], "test MSE": []}
    for epoch, train, test in fit_epochs(model, reconstruction_loss, x_train, x_test, args):
        train_mse, test_mse = train["mse"], test["mse"]
        history["training MSE"].append(train_mse)
        history["test MSE"].append(test_mse)
        print(f"epoch {epoch}/{args.epochs}: training MSE {train_mse:.5f}, test MSE {test_mse:.5f}")
    mean_image_mse = float(np.mean((x_test - x_train.mean(axis=0)) ** 2))
    linear_mse = pca_mse(x_train, x_test, args.latent)
    print(f"test reconstruction MSE: {test_mse:.5f} (mean image {mean_image_mse:.5f}, "
          f"{args.latent} principal components {linear_mse:.5f})")
    shown = x_test[one_per_class(y_test)]
    model.eval()
    with sn.no_grad():
        rebuilt = model(sn.tensor(shown)).numpy()
    figures = [save_grid(np.concatenate([shown, rebuilt]), 2, args.out, "autoencoder_reconstructions.png",
                         f"test images (top) and their reconstructions from {args.latent} numbers (bottom)"),
               save_losses(history, args.out, "autoencoder_losses.png", "reconstruction MSE")]
    return {"history": history, "test_mse": test_mse, "mean_image_mse": mean_image_mse, "pca_mse": linear_mse,
            "figures": figures}


if __name__ == "__main__":
    main()
