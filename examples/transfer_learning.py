"""Transfer learning on Fashion-MNIST: pretrain ResNet-20 on five classes, freeze its features
(``requires_grad_(False)``), fine-tune a new head on the other five classes with 100 labelled
images per class, and compare with the same network trained from scratch on those 500 images.

    python examples/transfer_learning.py [--epochs 3] [--head-epochs 20] [--out examples/output]
    python examples/transfer_learning.py --quick      # tiny sizes (the test; no conclusion)

Pretraining: classes 0-4 (T-shirt/top, Trouser, Pullover, Dress, Coat), every training image of
them, SGD (lr 0.05, momentum 0.9). Fine-tuning and the from-scratch baseline: classes 5-9 (Sandal,
Shirt, Sneaker, Bag, Ankle boot), the first 100 training images of each, relabelled 0-4, the same
number of epochs and optimiser for both; the test set is every test image of classes 5-9. With
``--seeds N`` the head and the baseline are trained N times (seeds seed, seed+1, ...) on the same
pretrained features; the test accuracy is taken every ``--eval-every`` epochs. The measured
comparison (a reduced pretraining, see ``examples/README.md``) did not show the head ahead.
Figure: ``transfer_learning.png`` (test accuracy against epoch, each seed's two curves).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from bn_cnn import run_epoch
from example_utils import load_image_planes, make_parser, parse, pyplot, save_figure

import scratchnet as sn
from scratchnet import data, nn, optim
from scratchnet.models import resnet20

QUICK = ["--epochs", "1", "--head-epochs", "2", "--limit", "160", "--per-class", "8",
         "--test-limit", "60", "--batch-size", "32", "--eval-every", "1"]


def subset(x: np.ndarray, y: np.ndarray, classes: range, per_class: int | None = None) -> data.TensorDataset:
    """The images of ``classes`` (the first ``per_class`` of each), labels renumbered from 0."""
    chosen = [np.flatnonzero(y == c)[:per_class] for c in classes]
    index = np.sort(np.concatenate(chosen))
    return data.TensorDataset(x[index], (y[index] - classes.start).astype(np.int64))


def train(model: nn.Module, train_set: data.TensorDataset, test_set: data.TensorDataset, epochs: int,
          args: Any, normalize: Any) -> list[float]:
    """SGD on the parameters that still require gradients; the test accuracy after every
    ``args.eval_every``-th epoch and the last."""
    optimizer = optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05, momentum=0.9)
    loader = data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = data.DataLoader(test_set, batch_size=500)
    loss_fn = nn.CrossEntropyLoss()
    accuracies = []
    for epoch in range(1, epochs + 1):
        run_epoch(model, loader, normalize, optimizer, loss_fn)
        if epoch % args.eval_every == 0 or epoch == epochs:
            accuracies.append(run_epoch(model, test_loader, normalize, None, loss_fn)[1])
    return accuracies


def compare(pretrained: nn.Module, few: data.TensorDataset, test_new: data.TensorDataset, args: Any,
            normalize: Any) -> tuple[list[float], list[float]]:
    """Freeze ``pretrained``'s features, train a new head on ``few``; train a fresh ResNet-20 on
    ``few``. Returns both test-accuracy curves."""
    pretrained.requires_grad_(False)                        # freeze the features ...
    pretrained.fc = nn.Linear(pretrained.fc.in_features, 5)  # ... and give it a new, trainable head
    fine_tuned = train(pretrained, few, test_new, args.head_epochs, args, normalize)
    scratch = train(resnet20(num_classes=5), few, test_new, args.head_epochs, args, normalize)
    return fine_tuned, scratch


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Pretrain, freeze, fine-tune a new head; train the baseline; print and plot both."""
    parser = make_parser(__doc__, epochs=3, batch_size=128)
    parser.add_argument("--head-epochs", type=int, default=20, help="epochs on the 500 images")
    parser.add_argument("--per-class", type=int, default=100, help="labelled images per new class")
    parser.add_argument("--eval-every", type=int, default=5, help="test every N head epochs")
    parser.add_argument("--seeds", type=int, default=1,
                        help="repeat the head and the from-scratch run with seeds seed, seed+1, ...")
    args = parse(parser, argv, quick=QUICK)
    (x_train, y_train), (x_test, y_test), normalize = load_image_planes(args)
    old, new = range(0, 5), range(5, 10)
    pretrained = resnet20(num_classes=5)
    old_train, old_test = subset(x_train, y_train, old), subset(x_test, y_test, old)
    pretrain = train(pretrained, old_train, old_test, args.epochs, args, normalize)
    print(f"pretrained on classes 0-4: test accuracy {pretrain[-1]:.4f}", flush=True)
    features = pretrained.state_dict()
    few, test_new = subset(x_train, y_train, new, args.per_class), subset(x_test, y_test, new)
    runs = []
    for seed in range(args.seed, args.seed + args.seeds):
        sn.manual_seed(seed)
        pretrained.load_state_dict(features)
        model = copy.deepcopy(pretrained)
        runs.append(compare(model, few, test_new, args, normalize))
        print(f"seed {seed}: test accuracy on classes 5-9 with {len(few)} labelled images: fine-tuned "
              f"head {runs[-1][0][-1]:.4f}, from scratch {runs[-1][1][-1]:.4f}", flush=True)
    fine_tuned, scratch = runs[0]
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(5, 3.5))
    epochs = [e for e in range(1, args.head_epochs + 1) if e % args.eval_every == 0 or e == args.head_epochs]
    for index, (tuned, fresh) in enumerate(runs):
        axis.plot(epochs, tuned, "o-", color="C0", label="frozen features, new head" if index == 0 else None)
        axis.plot(epochs, fresh, "s-", color="C1", label="from scratch" if index == 0 else None)
    axis.set(xlabel="epoch", ylabel="test accuracy (classes 5-9)")
    axis.legend()
    figures = [save_figure(figure, args.out, "transfer_learning.png")]
    return {"fine_tuned": fine_tuned, "scratch": scratch, "runs": runs, "pretrain": pretrain,
            "figures": figures, "model": model, "pretrained": pretrained}


if __name__ == "__main__":
    main()
