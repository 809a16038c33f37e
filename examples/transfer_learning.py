"""Transfer learning on Fashion-MNIST: pretrain ResNet-20 on five classes, freeze its features
(``requires_grad_(False)``), fine-tune a new head on the other five classes with 100 labelled
images per class, and compare with the same network trained from scratch on those 500 images.

    python examples/transfer_learning.py [--epochs 3] [--head-epochs 20] [--out examples/output]
    python examples/transfer_learning.py --quick      # tiny sizes (the test; no conclusion)

Pretraining: classes 0-4 (T-shirt/top, Trouser, Pullover, Dress, Coat), every training image of
them, SGD (lr 0.05, momentum 0.9). Fine-tuning and the from-scratch baseline: classes 5-9 (Sandal,
Shirt, Sneaker, Bag, Ankle boot), the first 100 training images of each, relabelled 0-4, the same
number of epochs and optimiser for both; the test set is every test image of classes 5-9. The
comparison is not measured on the shared 2-core machine. Figure: ``transfer_learning.png``
(test accuracy per epoch, fine-tuned head against from scratch).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bn_cnn import run_epoch
from example_utils import load_image_planes, make_parser, parse, pyplot, save_figure

from scratchnet import data, nn, optim
from scratchnet.models import resnet20

QUICK = ["--epochs", "1", "--head-epochs", "2", "--limit", "160", "--per-class", "8",
         "--test-limit", "60", "--batch-size", "32"]


def subset(x: np.ndarray, y: np.ndarray, classes: range, per_class: int | None = None) -> data.TensorDataset:
    """The images of ``classes`` (the first ``per_class`` of each), labels renumbered from 0."""
    chosen = [np.flatnonzero(y == c)[:per_class] for c in classes]
    index = np.sort(np.concatenate(chosen))
    return data.TensorDataset(x[index], (y[index] - classes.start).astype(np.int64))


def train(model: nn.Module, train_set: data.TensorDataset, test_set: data.TensorDataset, epochs: int,
          args: Any, normalize: Any) -> list[float]:
    """SGD on the parameters that still require gradients; the test accuracy after each epoch."""
    optimizer = optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05, momentum=0.9)
    loader = data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = data.DataLoader(test_set, batch_size=500)
    loss_fn = nn.CrossEntropyLoss()
    accuracies = []
    for _ in range(epochs):
        run_epoch(model, loader, normalize, optimizer, loss_fn)
        accuracies.append(run_epoch(model, test_loader, normalize, None, loss_fn)[1])
    return accuracies


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Pretrain, freeze, fine-tune a new head; train the baseline; print and plot both."""
    parser = make_parser(__doc__, epochs=3, batch_size=128)
    parser.add_argument("--head-epochs", type=int, default=20, help="epochs on the 500 images")
    parser.add_argument("--per-class", type=int, default=100, help="labelled images per new class")
    args = parse(parser, argv, quick=QUICK)
    (x_train, y_train), (x_test, y_test), normalize = load_image_planes(args)
    old, new = range(0, 5), range(5, 10)
    pretrained = resnet20(num_classes=5)
    old_train, old_test = subset(x_train, y_train, old), subset(x_test, y_test, old)
    train(pretrained, old_train, old_test, args.epochs, args, normalize)
    pretrained.requires_grad_(False)                        # freeze the features ...
    pretrained.fc = nn.Linear(pretrained.fc.in_features, 5)  # ... and give it a new, trainable head
    few, test_new = subset(x_train, y_train, new, args.per_class), subset(x_test, y_test, new)
    fine_tuned = train(pretrained, few, test_new, args.head_epochs, args, normalize)
    scratch = train(resnet20(num_classes=5), few, test_new, args.head_epochs, args, normalize)
    print(f"test accuracy on classes 5-9 with {len(few)} labelled images: fine-tuned head "
          f"{fine_tuned[-1]:.4f}, from scratch {scratch[-1]:.4f}")
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(5, 3.5))
    epochs = np.arange(1, args.head_epochs + 1)
    axis.plot(epochs, fine_tuned, label="frozen features, new head")
    axis.plot(epochs, scratch, label="from scratch")
    axis.set(xlabel="epoch", ylabel="test accuracy (classes 5-9)")
    axis.legend()
    figures = [save_figure(figure, args.out, "transfer_learning.png")]
    return {"fine_tuned": fine_tuned, "scratch": scratch, "figures": figures, "model": pretrained}


if __name__ == "__main__":
    main()
