"""Transfer learning on Fashion-MNIST: pretrain ResNet-20 on five classes, freeze its features
(``requires_grad_(False)``, batch norm in inference mode), fine-tune a new head on the other five
classes with 100 labelled images per class, and compare with the same network trained from
scratch on those 500 images.

    python examples/transfer_learning.py [--epochs 3] [--head-epochs 30] [--seeds 3] [--out DIR]
    python examples/transfer_learning.py --weights DIR/transfer_pretrained.safetensors  # skip pretraining
    python examples/transfer_learning.py --quick      # tiny sizes (the test; no conclusion)

The split: pretraining on T-shirt/top, Trouser, Pullover, Sandal and Sneaker; the new task is
Dress, Coat, Shirt, Bag and Ankle boot. Both halves hold upper-body garments and footwear, so the
features learned on the first (sleeves, collars, the length of a garment, soles and shafts of
shoes) describe the second, and the new task's hard distinctions (Coat against Shirt against
Dress) are of the kind the pretraining learns (T-shirt against Pullover). The normalisation
(mean and standard deviation) is the pretraining images'; pretraining never sees an image of the
new classes.

Pretraining: every training image of the five pretraining classes, ``--epochs`` epochs of
``resnet_fashion.fit`` (``RandomCrop(28, padding=2)`` + ``RandomHorizontalFlip()``, SGD lr 0.1,
momentum 0.9, weight decay 5e-4, cosine schedule); the weights are saved as
``transfer_pretrained.safetensors``. Fine-tuning: the pretrained network with its head (the global
average pool and the last layer) replaced by ``nn.Identity`` is frozen (``requires_grad_(False)``,
kept in ``eval()`` mode so that batch norm uses its running statistics) under a new head,
``Linear(64·7·7, 5)`` on the last stage's flattened feature maps, the only parameters the optimiser
holds. The head reads the maps, not their 64 averages: pooled, the features have collapsed toward
the five pretraining classes (on the new classes' images four directions hold 90% of their variance,
and a new head on them lost to training from scratch on every seed, 0.785 against 0.858); the maps
also keep where each feature fires. A second arm fine-tunes the last stage (``layer3``, batch norm
in training mode there) with the new head, the stem and the first two stages frozen as above. The
baseline is a fresh ResNet-20 with 5 outputs. The three arms get the same recipe on the same 500
images (the first 100 training images of each new class): ``--head-epochs`` epochs of batch
``--head-batch-size``, the same augmentation, SGD (lr ``--head-lr``, momentum 0.9, weight decay
5e-4) with a cosine schedule; the baseline uses the head's learning rate (no sweep of its own). Each
seed (``--seed``, ``--seed`` + 1, ...) trains the three arms, each after seeding; the test set is
every test image of the new classes, evaluated every ``--eval-every`` epochs. Measured
figures: ``examples/README.md``. Figure: ``transfer_learning.png`` (test accuracy against epoch,
each seed's three curves).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from bn_cnn import run_epoch
from example_utils import FASHION_MNIST_CLASSES, load_image_planes, make_parser, parse, pyplot, save_figure
from resnet_fashion import fit

import scratchnet as sn
from scratchnet import data, nn, optim
from scratchnet.data import transforms
from scratchnet.models import resnet20
from scratchnet.optim.lr_scheduler import CosineAnnealingLR

PRETRAIN_CLASSES = (0, 1, 2, 5, 7)  # T-shirt/top, Trouser, Pullover, Sandal, Sneaker
NEW_CLASSES = (3, 4, 6, 8, 9)       # Dress, Coat, Shirt, Bag, Ankle boot
ARMS = {"fine_tuned": "fine-tuned head", "last_stage": "head and last stage", "scratch": "from scratch"}
"""The compared networks (see ``build``) and their names in the output."""
QUICK = ["--epochs", "1", "--head-epochs", "2", "--limit", "160", "--per-class", "8", "--test-limit", "60",
         "--batch-size", "32", "--head-batch-size", "16", "--eval-every", "1", "--seeds", "1"]


def subset(x: np.ndarray, y: np.ndarray, classes: Sequence[int],
           per_class: int | None = None) -> data.TensorDataset:
    """The images of ``classes`` (the first ``per_class`` of each), labelled by their position in
    ``classes``.

    >>> subset(np.arange(6.0), np.array([3, 4, 6, 3, 6, 9]), (3, 6), per_class=1).arrays[1].tolist()
    [0, 1]
    """
    chosen = [np.flatnonzero(y == c)[:per_class] for c in classes]
    index = np.sort(np.concatenate(chosen))
    position = np.full(int(y.max()) + 1, -1, dtype=np.int64)
    position[list(classes)] = np.arange(len(classes))
    return data.TensorDataset(x[index], position[y[index]])


class FrozenFeatures(nn.Module):
    """A pretrained ResNet as fixed features under a new trainable head:
    ``head(features(x))``, where ``features`` is the network with its head (``avgpool`` and ``fc``)
    replaced by ``nn.Identity``, so that it returns its last stage's maps flattened, its
    parameters frozen (``requires_grad_(False)``) and kept in inference mode (``train()`` leaves
    it in ``eval()``: batch norm uses its running statistics and updates nothing), and ``head``
    is a new ``Linear(channels·map_size², num_classes)``. The children of the network named in
    ``trainable`` (e.g. ``("layer3",)``) are fine-tuned with the head instead."""

    def __init__(self, pretrained: nn.Module, num_classes: int, trainable: Sequence[str] = (),
                 map_size: int = 7) -> None:
        super().__init__()
        head_inputs = pretrained.fc.in_features * map_size * map_size
        pretrained.avgpool, pretrained.fc = nn.Identity(), nn.Identity()
        self.features = pretrained.requires_grad_(False).eval()
        self.trainable = tuple(trainable)
        for name in self.trainable:
            getattr(pretrained, name).requires_grad_(True)
        self.head = nn.Linear(head_inputs, num_classes)

    def train(self, mode: bool = True) -> FrozenFeatures:
        """Training (or evaluation) mode for the head and the ``trainable`` children; the frozen
        features stay in evaluation mode."""
        super().train(mode)
        self.features.eval()
        for name in self.trainable:
            getattr(self.features, name).train(mode)
        return self

    def forward(self, x: Any) -> Any:
        """The head's logits on the frozen features of ``x``."""
        return self.head(self.features(x))


def fine_tune(model: nn.Module, parameters: list[nn.Parameter], train_set: data.TensorDataset,
              test_set: data.TensorDataset, normalize: Any, args: Any) -> tuple[list[float], optim.SGD]:
    """Train ``parameters`` of ``model`` on augmented batches of ``train_set`` for
    ``args.head_epochs`` (SGD, lr ``args.head_lr``, momentum 0.9, weight decay 5e-4, cosine
    schedule). Returns the test accuracy after every ``args.eval_every``-th epoch and the last,
    and the optimiser."""
    augment = transforms.Compose([transforms.RandomCrop(28, padding=2), transforms.RandomHorizontalFlip(),
                                  normalize])
    loader = data.DataLoader(train_set, batch_size=args.head_batch_size, shuffle=True)
    test_loader = data.DataLoader(test_set, batch_size=500)
    optimizer = optim.SGD(parameters, lr=args.head_lr, momentum=0.9, weight_decay=5e-4)
    scheduler = CosineAnnealingLR(optimizer, T_max=args.head_epochs)
    loss_fn = nn.CrossEntropyLoss()
    accuracies = []
    for epoch in range(1, args.head_epochs + 1):
        run_epoch(model, loader, augment, optimizer, loss_fn)
        scheduler.step()
        if epoch % args.eval_every == 0 or epoch == args.head_epochs:
            accuracies.append(run_epoch(model, test_loader, normalize, None, loss_fn)[1])
    return accuracies, optimizer


def pretrain(old_train: data.TensorDataset, old_test: data.TensorDataset, normalize: Any,
             args: Any) -> nn.Module:
    """ResNet-20 trained on the pretraining classes (``resnet_fashion.fit``) and saved as
    ``transfer_pretrained.safetensors``, or loaded from ``args.weights``; prints its test accuracy."""
    model = resnet20(num_classes=len(PRETRAIN_CLASSES))
    if args.weights is not None:
        model.load_state_dict(sn.load(args.weights))
    else:
        fit(model, old_train.arrays, old_test.arrays, normalize, args,
            checkpoint=args.out / "transfer_pretrained_checkpoint")
        sn.save(model.state_dict(), args.out / "transfer_pretrained.safetensors")
    test_loader = data.DataLoader(old_test, batch_size=500)
    accuracy = run_epoch(model, test_loader, normalize, None, nn.CrossEntropyLoss())[1]
    print(f"pretrained on {names(PRETRAIN_CLASSES)}: test accuracy {accuracy:.4f}", flush=True)
    return model


def build(arm: str, pretrained: nn.Module) -> nn.Module:
    """The network of one of ``ARMS``: a new head on a copy of ``pretrained``'s frozen features
    (``"fine_tuned"``), the same with the last stage ``layer3`` fine-tuned too (``"last_stage"``),
    or a fresh ResNet-20 (``"scratch"``)."""
    if arm == "scratch":
        return resnet20(num_classes=len(NEW_CLASSES))
    trainable = ("layer3",) if arm == "last_stage" else ()
    return FrozenFeatures(copy.deepcopy(pretrained), len(NEW_CLASSES), trainable)


def compare(pretrained: nn.Module, few: data.TensorDataset, test_new: data.TensorDataset, normalize: Any,
            args: Any, seed: int) -> dict[str, Any]:
    """Each of ``ARMS``, built and fine-tuned on ``few`` after seeding with ``seed``: the parameters
    that require gradients are trained. Returns, per arm, its test-accuracy curve (``run[arm]``),
    network, optimiser and wall and CPU seconds (``run[arm + "_model"]``, ...)."""
    run: dict[str, Any] = {}
    for arm in ARMS:
        sn.manual_seed(seed)
        model = build(arm, pretrained)
        clock = time.perf_counter(), time.process_time()
        trained = [p for p in model.parameters() if p.requires_grad]
        run[arm], run[f"{arm}_optimizer"] = fine_tune(model, trained, few, test_new, normalize, args)
        run[f"{arm}_seconds"], run[f"{arm}_model"] = seconds(clock), model
    return run


def seconds(clock: tuple[float, float]) -> str:
    """The wall and CPU seconds since ``clock`` (``time.perf_counter()``, ``time.process_time()``)."""
    return f"{time.perf_counter() - clock[0]:.0f} s wall, {time.process_time() - clock[1]:.0f} s CPU"


def names(classes: Sequence[int]) -> str:
    """Fashion-MNIST's names of ``classes``, comma-separated."""
    return ", ".join(FASHION_MNIST_CLASSES[c] for c in classes)


def summary(label: str, finals: list[float]) -> str:
    """``label: mean M (range LO-HI) over N seeds: a, b, ...`` of the final test accuracies."""
    values = ", ".join(f"{value:.4f}" for value in finals)
    return (f"{label}: mean {np.mean(finals):.4f} (range {min(finals):.4f}-{max(finals):.4f}) "
            f"over {len(finals)} seeds: {values}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Pretrain (or load), then for each seed fine-tune a new head on the frozen features and
    train the baseline from scratch; print each seed and the summary, and plot the curves."""
    parser = make_parser(__doc__, epochs=3, batch_size=128)
    parser.add_argument("--head-epochs", type=int, default=30, help="epochs on the 500 images")
    parser.add_argument("--head-batch-size", type=int, default=50, help="batch size on the 500 images")
    parser.add_argument("--head-lr", type=float, default=0.05, help="learning rate of both arms")
    parser.add_argument("--per-class", type=int, default=100, help="labelled images per new class")
    parser.add_argument("--eval-every", type=int, default=15, help="test every N head epochs")
    parser.add_argument("--seeds", type=int, default=3,
                        help="repeat the head and the from-scratch run with seeds seed, seed+1, ...")
    parser.add_argument("--weights", type=Path, default=None,
                        help="pretrained weights (transfer_pretrained.safetensors): skip pretraining")
    args = parse(parser, argv, quick=QUICK)
    (x_train, y_train), (x_test, y_test), _ = load_image_planes(args)
    old_train, old_test = subset(x_train, y_train, PRETRAIN_CLASSES), subset(x_test, y_test, PRETRAIN_CLASSES)
    pixels = old_train.arrays[0]
    normalize = transforms.Normalize(float(pixels.mean()), float(pixels.std()))
    clock = time.perf_counter(), time.process_time()
    pretrained = pretrain(old_train, old_test, normalize, args)
    print(f"pretraining: {seconds(clock)}", flush=True)
    few = subset(x_train, y_train, NEW_CLASSES, args.per_class)
    test_new = subset(x_test, y_test, NEW_CLASSES)
    runs = []
    for seed in range(args.seed, args.seed + args.seeds):
        runs.append(compare(pretrained, few, test_new, normalize, args, seed))
        arms = "; ".join(f"{label} {runs[-1][arm][-1]:.4f} ({runs[-1][arm + '_seconds']})"
                         for arm, label in ARMS.items())
        print(f"seed {seed}: test accuracy on {names(NEW_CLASSES)} with {len(few)} labelled images: {arms}",
              flush=True)
    for arm, label in ARMS.items():
        print(summary(label, [run[arm][-1] for run in runs]))
    figures = [save_figure(plot_curves(runs, args), args.out, "transfer_learning.png")]
    return {**{arm: runs[0][arm] for arm in ARMS}, "runs": runs, "figures": figures,
            "model": runs[-1]["fine_tuned_model"], "optimizer": runs[-1]["fine_tuned_optimizer"],
            "pretrained": pretrained}


def plot_curves(runs: list[dict[str, Any]], args: Any) -> Any:
    """Each seed's test-accuracy curves of both arms against the fine-tuning epoch."""
    figure, axis = pyplot().subplots(figsize=(5, 3.5))
    epochs = [e for e in range(1, args.head_epochs + 1) if e % args.eval_every == 0 or e == args.head_epochs]
    for index, run in enumerate(runs):
        for color, (arm, label) in enumerate(ARMS.items()):
            axis.plot(epochs, run[arm], "o-", color=f"C{color}", label=None if index else label)
    axis.set(xlabel="epoch", ylabel="test accuracy (new classes)")
    axis.legend()
    return figure


if __name__ == "__main__":
    main()
