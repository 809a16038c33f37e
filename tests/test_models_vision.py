"""scratchnet.models' conv nets: torchvision's state-dict keys and shapes (tests/data, made by
tests/data/make_torchvision_keys.py with torchvision itself), and the same outputs, gradients and
running statistics as PyTorch twins with the same weights by name, in float32 and float64."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import models
from tests.reference import assert_close, torch_or_skip

TORCHVISION = json.loads(
    (pathlib.Path(__file__).parent / "data" / "torchvision_state_dicts.json").read_text())


class _NoDraws:
    """A generator stand-in whose draws are the scalar 0: building VGG16 without drawing its
    138 M random weights (the keys and shapes do not depend on them)."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: 0.0


@pytest.mark.parametrize("name", sorted(TORCHVISION["models"]))
def test_state_dict_keys_and_shapes_are_torchvisions(name, monkeypatch):
    monkeypatch.setattr(sn.backend, "generator", lambda: _NoDraws())
    model = models.VISION_MODELS[name]()
    assert [[key, list(value.shape)] for key, value in model.state_dict().items()] == \
        TORCHVISION["models"][name]


@pytest.mark.parametrize("name", ["alexnet_small", "vgg_small", "googlenet_small", "resnet20"])
def test_small_variants_take_28x28_images_and_options(name):
    model = models.VISION_MODELS[name](num_classes=7, in_channels=3)
    model.eval()
    assert model(sn.rand(2, 3, 28, 28)).shape == (2, 7)
    assert models.VISION_MODELS[name]()(sn.rand(1, 1, 28, 28)).shape == (1, 10)


def test_resnet20_has_he_et_al_s_layout():
    model = models.resnet20()
    convs = [m for m in model.modules() if isinstance(m, sn.nn.Conv2d) and m.kernel_size == (3, 3)]
    assert len(convs) + 1 == 20  # 19 convolutions and the classifier
    conv = [9 * 1 * 16] + [9 * 16 * 16] * 6 + [9 * 16 * 32, 16 * 32] + [9 * 32 * 32] * 5 \
        + [9 * 32 * 64, 32 * 64] + [9 * 64 * 64] * 5
    batch_norm = 2 * (16 * 7 + 32 * 7 + 64 * 7)  # γ and β after each conv and projection
    assert sum(p.numel() for p in model.parameters()) == sum(conv) + batch_norm + 64 * 10 + 10  # 0.27 M


def _twin_pairs():
    from tests import torch_vision_twins as twins

    return {
        "resnet20": (lambda: models.resnet20(10, 1),
                     lambda: twins.ResNet(twins.BasicBlock, [3, 3, 3], 10, 1, (16, 32, 64), True),
                     (1, 28, 28)),
        "resnet_bottleneck_imagenet_stem": (
            lambda: models.ResNet(models.Bottleneck, [1, 2], 5, 3, widths=(8, 16)),
            lambda: twins.ResNet(twins.Bottleneck, [1, 2], 5, 3, (8, 16), False), (3, 32, 32)),
        "vgg_small": (lambda: models.vgg_small(10, 1, dropout=0.0),
                      lambda: twins.vgg(models.vgg.CONFIGS["small"], True, 1, 10, 3, 256, 0.0), (1, 28, 28)),
        "vgg_plain_pool_7": (
            lambda: models.VGG(models.vgg.make_layers([8, "M", 16, "M"], False, 2), 4, 0.0, 7, 32),
            lambda: twins.vgg([8, "M", 16, "M"], False, 2, 4, 7, 32, 0.0), (2, 12, 12)),
        "alexnet_small": (lambda: models.alexnet_small(10, 1, dropout=0.0),
                          lambda: twins.alexnet_small(10, 1, 0.0), (1, 28, 28)),
        "googlenet_small": (lambda: models.googlenet_small(10, 1, dropout=0.0),
                            lambda: twins.GoogLeNet(10, 1, 0.0, small=True), (1, 28, 28)),
        "googlenet": (lambda: models.googlenet(6, 3, dropout=0.0),
                      lambda: twins.GoogLeNet(6, 3, 0.0, small=False), (3, 40, 40)),
    }


TWIN_CASES = [(name, dtype) for name in ["resnet20", "resnet_bottleneck_imagenet_stem", "vgg_small",
                                         "vgg_plain_pool_7", "alexnet_small", "googlenet_small"]
              for dtype in ["float32", "float64"]] + [("googlenet", "float64")]
"""The full GoogLeNet runs in float64 only: at 40x40 its last batch norms see 3 values per channel,
which amplify float32 rounding beyond any fixed tolerance (googlenet_small covers float32)."""


@pytest.mark.parametrize(("name", "dtype"), TWIN_CASES)
def test_same_outputs_gradients_and_statistics_as_a_torch_twin(name, dtype):
    torch = torch_or_skip()
    make_ours, make_theirs, sample = _twin_pairs()[name]
    sn.manual_seed(0)
    ours, theirs = make_ours(), make_theirs()
    ours.train(), theirs.train()
    if dtype == "float64":
        ours.double(), theirs.double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(np.array(v.numpy())) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((3, *sample)).astype(dtype)
    x_ours, x_theirs = sn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
    tolerance = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-9, atol=1e-10)
    assert y_ours.dtype == np.dtype(dtype)
    assert_close(y_ours, y_theirs, **tolerance, what="logits")
    probe = np.random.default_rng(2).standard_normal(y_theirs.shape).astype(dtype)
    (y_ours * sn.tensor(probe)).sum().backward()
    (y_theirs * torch.tensor(probe)).sum().backward()
    assert_close(x_ours.grad, x_theirs.grad, **tolerance, what="input gradient")
    their_parameters = dict(theirs.named_parameters())
    for key, parameter in ours.named_parameters():
        assert_close(parameter.grad, their_parameters[key].grad, **tolerance, what=f"gradient of {key}")
    their_buffers = dict(theirs.named_buffers())
    for key, buffer in ours.named_buffers():
        assert_close(buffer, their_buffers[key], **tolerance, what=f"buffer {key}")


def test_a_torchvision_state_dict_saved_as_safetensors_loads_by_name(tmp_path):
    torch = torch_or_skip()
    safetensors_torch = pytest.importorskip("safetensors.torch")
    from tests import torch_vision_twins as twins

    theirs = twins.ResNet(twins.BasicBlock, [2, 2, 2, 2], 1000, 3, (64, 128, 256, 512), False).eval()
    theirs.apply(lambda m: m.reset_running_stats() if isinstance(m, torch.nn.BatchNorm2d) else None)
    for module in theirs.modules():  # non-trivial statistics, as a trained network has
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    path = tmp_path / "resnet18.safetensors"
    safetensors_torch.save_file(theirs.state_dict(), str(path))  # the README's one-line conversion
    ours = models.resnet18()
    ours.load_state_dict(sn.load(path))
    ours.eval()
    x = np.random.default_rng(3).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.tensor(x))
    assert_close(ours(sn.tensor(x)), expected, rtol=1e-4, atol=1e-4)
