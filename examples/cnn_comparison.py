"""The course's three conv-net families side by side on Fashion-MNIST: a VGG-style net
(``vgg_small``), a small GoogLeNet (``googlenet_small``) and ResNet-20 (``resnet20``), each trained
with the same augmentation, optimiser, schedule and budget as ``examples/resnet_fashion.py``.

    python examples/cnn_comparison.py [--epochs 2] [--limit N] [--models vgg googlenet resnet]
    python examples/cnn_comparison.py --quick     # one short epoch on 64 images each (the test)

Prints, per network, its parameter count, test accuracy after each epoch and the seconds each
epoch took (training and test pass, one process, ``OMP_NUM_THREADS`` as set); figure
``cnn_comparison.png`` (test accuracy per epoch); weights ``NAME_comparison.safetensors``.
"""

from __future__ import annotations

from typing import Any

from example_utils import load_image_planes, make_parser, parse, pyplot, save_figure
from resnet_fashion import fit

import scratchnet as sn
from scratchnet.models import googlenet_small, resnet20, vgg_small

MODELS = {"vgg": vgg_small, "googlenet": googlenet_small, "resnet": resnet20}
QUICK = ["--epochs", "1", "--limit", "64", "--test-limit", "50", "--batch-size", "32"]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train each chosen network in turn; print and plot their accuracies and epoch times."""
    parser = make_parser(__doc__, epochs=2, batch_size=128)
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    args = parse(parser, argv, quick=QUICK)
    train_data, test_data, normalize = load_image_planes(args)
    results = {}
    for name in args.models:
        model = MODELS[name](num_classes=10, in_channels=1)
        parameters = sum(p.numel() for p in model.parameters())
        print(f"{name}: {parameters:,} parameters", flush=True)
        history = fit(model, train_data, test_data, normalize, args)
        sn.save(model.state_dict(), args.out / f"{name}_comparison.safetensors")
        results[name] = {"parameters": parameters, "val_accuracy": history["val_accuracy"],
                         "seconds": history["seconds"]}
    figure, axis = pyplot().subplots(figsize=(5, 3.5))
    for name, result in results.items():
        accuracy = result["val_accuracy"]
        axis.plot(range(1, len(accuracy) + 1), accuracy, "o-", label=name)
    axis.set(xlabel="epoch", ylabel="test accuracy")
    axis.legend()
    return {"results": results, "figures": [save_figure(figure, args.out, "cnn_comparison.png")]}


if __name__ == "__main__":
    main()
