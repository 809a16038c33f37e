"""The batch-norm CNN (seed 003) in PyTorch style (``scratchnet.nn``, ``optim``, ``data``): data
augmentation and normalisation with ``data.transforms``, SGD with momentum and a learning-rate
scheduler, then the first layer's filters and feature maps.

    python examples/bn_cnn.py [--epochs 2] [--limit N] [--batch-size 128] [--out examples/output]

The network: three 3x3 convolution blocks (16, 32, 64 channels, each Conv2d → BatchNorm2d → ReLU,
max-pool 2 after the last two), then Linear 3136 → 128 → 64 with BatchNorm1d and ReLU, and
Linear 64 → 10. Training batches are augmented on the fly (``RandomCrop(28, padding=2)``,
``RandomHorizontalFlip()``, one draw per image) and standardised with ``Normalize`` by the
training set's mean and standard deviation; SGD (lr 0.01, momentum 0.9), batch 128, ``StepLR``
halving the learning rate after each epoch. Expected on Fashion-MNIST after 2 epochs: test
accuracy about 0.90 (0.863 after the first; PyTorch reaches 0.894 without augmentation or
scheduler). Figures:
``bn_cnn_history.png`` (loss and accuracy per epoch, training and test), ``bn_cnn_filters.png``
(the 16 first-layer 3x3 kernels) and ``bn_cnn_feature_maps.png`` (the 16 channels after the first
block's ReLU for one test image).
"""

from __future__ import annotations

import contextlib
from typing import Any

from example_utils import load_images, make_parser, parse, save_figure

import scratchnet as sn
from scratchnet import data, nn, optim, viz
from scratchnet.data import transforms
from scratchnet.optim.lr_scheduler import StepLR


def conv_block(in_channels: int, out_channels: int) -> list[nn.Module]:
    """Conv2d 3x3 (padding 1) → BatchNorm2d → ReLU."""
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU()]


def bn_cnn() -> nn.Sequential:
    """The seed's batch-norm CNN for ``(N, 1, 28, 28)`` images, returning logits for 10 classes."""
    return nn.Sequential(
        *conv_block(1, 16),
        *conv_block(16, 32), nn.MaxPool2d(2),
        *conv_block(32, 64), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128), nn.BatchNorm1d(128), nn.ReLU(),
        nn.Linear(128, 64), nn.BatchNorm1d(64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def run_epoch(model: nn.Module, loader: data.DataLoader, prepare: Any, optimizer: optim.Optimizer | None,
              loss_fn: nn.Module) -> tuple[float, float]:
    """One pass over ``loader`` (training when an optimizer is given, else evaluation without a
    graph); ``prepare`` transforms each input batch. Returns the mean loss and the accuracy."""
    model.train(optimizer is not None)
    total_loss, correct, count = 0.0, 0, 0
    with sn.no_grad() if optimizer is None else contextlib.nullcontext():
        for x, y in loader:
            logits = model(prepare(x))
            loss = loss_fn(logits, y)
            if optimizer is not None:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total_loss += loss.item() * len(y)
            correct += int((logits.numpy().argmax(axis=1) == y.numpy()).sum())
            count += len(y)
    return total_loss / count, correct / count


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train with augmentation and a scheduler, print each epoch, save curves, filters, feature maps."""
    args = parse(make_parser(__doc__, epochs=2, batch_size=128), argv)
    (x_train, y_train), (x_test, y_test) = load_images(args)
    x_train, x_test = x_train[:, None], x_test[:, None]  # (N, 1, 28, 28), channels first as nn.Conv2d
    normalize = transforms.Normalize(float(x_train.mean()), float(x_train.std()))
    augment = transforms.Compose([transforms.RandomCrop(28, padding=2), transforms.RandomHorizontalFlip(),
                                  normalize])
    train_loader = data.DataLoader(data.TensorDataset(x_train, y_train), batch_size=args.batch_size,
                                   shuffle=True)
    test_loader = data.DataLoader(data.TensorDataset(x_test, y_test), batch_size=1000)
    model = bn_cnn()
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()
    history: dict[str, list[float]] = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
    for epoch in range(1, args.epochs + 1):
        learning_rate = scheduler.get_last_lr()[0]
        train_loss, train_accuracy = run_epoch(model, train_loader, augment, optimizer, loss_fn)
        test_loss, test_accuracy = run_epoch(model, test_loader, normalize, None, loss_fn)
        scheduler.step()
        for key, value in zip(history, (train_loss, test_loss, train_accuracy, test_accuracy)):
            history[key].append(value)
        print(f"epoch {epoch}/{args.epochs} (lr {learning_rate:.4g}): loss {train_loss:.4f}, "
              f"accuracy {train_accuracy:.4f}; test loss {test_loss:.4f}, test accuracy {test_accuracy:.4f}")
    print(f"test accuracy: {history['val_accuracy'][-1]:.4f}")
    image = normalize(x_test[0])
    figures = [save_figure(viz.plot_history(history), args.out, "bn_cnn_history.png"),
               save_figure(viz.plot_filters(model[0]), args.out, "bn_cnn_filters.png"),
               save_figure(viz.plot_feature_maps(model, 2, image), args.out, "bn_cnn_feature_maps.png")]
    return {"test_accuracy": history["val_accuracy"][-1], "history": history, "figures": figures}


if __name__ == "__main__":
    main()
