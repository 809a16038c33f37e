"""The filters and feature maps of a trained VGG's first layers, as the seed notes show them for
VGG16: ``state_dict()['features.0.weight']`` and a forward hook (``viz.plot_feature_maps``).

    python examples/vgg_filters.py [--epochs 2] [--batch-size 128] [--out examples/output]
    python examples/vgg_filters.py --quick       # one short epoch on 128 images (the test)

The network is ``scratchnet.models.vgg_small`` (two batch-normalised 3x3 convolutions of 32, 64
and 128 channels per block, 2x2 pools, two 256-wide layers), trained with Adam (lr 1e-3).
Figures: ``vgg_filters.png`` (the 32 first-layer 3x3 kernels), ``vgg_feature_maps.png`` (the
first block's second convolution, 32 channels, after its ReLU, for one test image).
"""

from __future__ import annotations

from typing import Any

from bn_cnn import run_epoch
from example_utils import load_image_planes, make_parser, parse, save_figure

from scratchnet import data, nn, optim, viz
from scratchnet.models import vgg_small

QUICK = ["--epochs", "1", "--limit", "128", "--test-limit", "100", "--batch-size", "32"]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train the small VGG, then plot its first layer's filters and its first block's feature maps."""
    parser = make_parser(__doc__, epochs=2, batch_size=128)
    args = parse(parser, argv, quick=QUICK)
    (x_train, y_train), (x_test, y_test), normalize = load_image_planes(args)
    train_loader = data.DataLoader(data.TensorDataset(x_train, y_train), batch_size=args.batch_size,
                                   shuffle=True)
    test_loader = data.DataLoader(data.TensorDataset(x_test, y_test), batch_size=500)
    model = vgg_small(num_classes=10, in_channels=1)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(1, args.epochs + 1):
        train = run_epoch(model, train_loader, normalize, optimizer, loss_fn)
        test = run_epoch(model, test_loader, normalize, None, loss_fn)
        print(f"epoch {epoch}/{args.epochs}: loss {train[0]:.4f}, accuracy {train[1]:.4f}; "
              f"test accuracy {test[1]:.4f}")
    kernels = model.state_dict()["features.0.weight"]                     # (32, 1, 3, 3)
    print(f"features.0.weight: {tuple(kernels.shape)}")
    figures = [save_figure(viz.plot_filters(model.features[0]), args.out, "vgg_filters.png"),
               save_figure(viz.plot_feature_maps(model, "features.5", normalize(x_test[0])), args.out,
                           "vgg_feature_maps.png")]
    return {"test_accuracy": test[1], "filters": kernels, "figures": figures}


if __name__ == "__main__":
    main()
