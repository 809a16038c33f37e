"""Class activation maps (Zhou et al. 2016) and Grad-CAM (Selvaraju et al. 2017) on the ResNet-20
of ``examples/resnet_fashion.py``, through hooks on its last stage as a PyTorch user writes them
(``register_forward_hook`` for the feature maps, ``register_full_backward_hook`` for their
gradients): heat maps over one Fashion-MNIST test image per class.

    python examples/cam.py [--weights examples/output/resnet20.safetensors] [--out examples/output]
    python examples/cam.py --quick       # trains the short ResNet run first (the test)

CAM of class c: M_c = Σ_k w_ck F_k, with F the last stage's feature maps (64 x 7 x 7) and w the
classifier's weights; Grad-CAM: ReLU(Σ_k α_k F_k) with α_k the spatial mean of ∂y_c/∂F_k (the
stage's ``grad_output``). Behind a global average pool and one Linear layer, α_k = w_ck / 49:
Grad-CAM is ReLU(CAM) / 49. Figure: ``cam.png`` (per class: the image, its CAM, its Grad-CAM,
upsampled 4x to 28x28).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import resnet_fashion
from example_utils import FASHION_MNIST_CLASSES, load_images, make_parser, parse, pyplot, save_figure

import scratchnet as sn
from scratchnet import data, nn
from scratchnet.models import resnet20


def capture_features(model: nn.Module) -> tuple[dict[str, np.ndarray], list[Any]]:
    """Hook ``model.layer3``: its output (forward hook) and the gradient of that output (full
    backward hook) are kept in the returned dict; the handles remove the hooks."""
    captured: dict[str, np.ndarray] = {}

    def keep_features(module: nn.Module, args: Any, output: sn.Tensor) -> None:
        captured["features"] = output.detach().numpy()

    def keep_gradients(module: nn.Module, grad_input: Any, grad_output: Any) -> None:
        captured["gradients"] = grad_output[0].numpy()

    return captured, [model.layer3.register_forward_hook(keep_features),
                      model.layer3.register_full_backward_hook(keep_gradients)]


def class_maps(model: nn.Module, images: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(CAM, Grad-CAM) of ``classes[i]`` for each image, each ``(N, 7, 7)``."""
    captured, handles = capture_features(model)
    model.eval()
    try:
        logits = model(sn.tensor(images))
        logits[np.arange(len(classes)), classes].sum().backward()
    finally:
        for handle in handles:
            handle.remove()
    features, gradients = captured["features"], captured["gradients"]
    weights = model.fc.weight.numpy()[classes]                           # (N, 64)
    cam = np.einsum("nk,nkhw->nhw", weights, features)
    alphas = gradients.mean(axis=(2, 3))                                 # (N, 64)
    grad_cam = np.maximum(np.einsum("nk,nkhw->nhw", alphas, features), 0.0)
    return cam, grad_cam


def plot_maps(images: np.ndarray, cam: np.ndarray, grad_cam: np.ndarray, titles: list[str]) -> Any:
    """One column per image: the image, then CAM and Grad-CAM over it (upsampled to its size)."""
    plt = pyplot()
    figure, axes = plt.subplots(3, len(images), figsize=(1.6 * len(images), 5), squeeze=False)
    scale = images.shape[-1] // cam.shape[-1]
    for column, title in enumerate(titles):
        image = images[column, 0]
        axes[0, column].imshow(image, cmap="gray")
        axes[0, column].set_title(title, fontsize=7)
        for row, maps in ((1, cam), (2, grad_cam)):
            heat = np.kron(maps[column], np.ones((scale, scale)))
            axes[row, column].imshow(image, cmap="gray")
            axes[row, column].imshow(heat, cmap="jet", alpha=0.5)
    for axis in axes.flat:
        axis.axis("off")
    axes[1, 0].text(-4, 14, "CAM", rotation=90, va="center", fontsize=8)
    axes[2, 0].text(-4, 14, "Grad-CAM", rotation=90, va="center", fontsize=8)
    return figure


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Load (or, with ``--quick``, train) the ResNet, compute both maps per class, save the figure."""
    parser = make_parser(__doc__, epochs=0)
    parser.add_argument("--weights", default=None, help="resnet20 weights from examples/resnet_fashion.py")
    parser.add_argument("--quick", action="store_true", help="train resnet_fashion.py --quick first")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse(parser, argv)
    (x_train, _), (x_test, y_test) = load_images(args)
    if args.quick:
        trained = resnet_fashion.main(["--quick", "--out", str(args.out)])
        model, normalize = trained["model"], trained["normalize"]
    else:
        model = resnet20()
        model.load_state_dict(sn.load(args.weights or args.out / "resnet20.safetensors"))
        normalize = data.transforms.Normalize(float(x_train.mean()), float(x_train.std()))
    firsts = np.array([np.flatnonzero(y_test == c)[0] for c in range(10) if (y_test == c).any()])
    images = normalize(x_test[firsts][:, None])
    cam, grad_cam = class_maps(model, images, y_test[firsts])
    figure = plot_maps(x_test[firsts][:, None], cam, grad_cam,
                       [FASHION_MNIST_CLASSES[c] for c in y_test[firsts]])
    return {"cam": cam, "grad_cam": grad_cam, "figures": [save_figure(figure, args.out, "cam.png")],
            "model": model, "images": images, "classes": y_test[firsts]}


if __name__ == "__main__":
    main()
