"""The conv-net examples' short versions beyond ``tests/test_examples.py``: the comparison of the
three families, the ResNet's per-epoch checkpoints, Grad-CAM's hooks, the transfer-learning seeds
and the frozen features."""

import json

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.models import resnet20
from tests.test_examples import check_figures, fashion, fashion_arrays, needs_fashion_mnist, run  # noqa: F401

pytestmark = pytest.mark.usefixtures("fashion")


@pytest.fixture
def example(request):
    """``tests/test_examples.py``'s ``run`` fixture: ``example(name, *argv)`` runs an example."""
    return request.getfixturevalue("run")


@needs_fashion_mnist
def test_cnn_comparison_quick_trains_the_three_families(example, tmp_path):
    result, printed = example("cnn_comparison", "--quick")
    results = result["results"]
    assert list(results) == ["vgg", "googlenet", "resnet"]
    assert results["resnet"]["parameters"] == sum(p.numel() for p in resnet20().parameters())
    for name, entry in results.items():
        assert f"{name}: {entry['parameters']:,} parameters" in printed
        assert len(entry["val_accuracy"]) == len(entry["seconds"]) == 1
        assert 0 <= entry["val_accuracy"][0] <= 1 and entry["seconds"][0] > 0
    check_figures(result, tmp_path, ["cnn_comparison.png"])


@needs_fashion_mnist
def test_resnet_fashion_leaves_a_checkpoint_after_each_epoch(example, tmp_path):
    result, _ = example("resnet_fashion", "--quick", "--epochs", "2")
    history = json.loads((tmp_path / "resnet20_checkpoint.json").read_text())
    assert len(history["val_accuracy"]) == len(history["seconds"]) == 2
    assert history["val_accuracy"] == result["history"]["val_accuracy"]
    checkpoint = resnet20()
    checkpoint.load_state_dict(sn.load(tmp_path / "resnet20_checkpoint.safetensors"))
    final = sn.load(tmp_path / "resnet20.safetensors")
    for key, value in checkpoint.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), np.asarray(final[key]), err_msg=key)


@needs_fashion_mnist
def test_grad_cam_gradients_from_the_backward_hook_equal_retain_grad(example, tmp_path):
    """cam.py reads the last stage's gradient from a full backward hook; the same gradient taken
    as a PyTorch user's other way (``retain_grad`` on the stage output) agrees."""
    result, _ = example("cam", "--quick", "--test-limit", "100")
    model, images, classes = result["model"], result["images"], result["classes"]
    import cam

    captured, handles = cam.capture_features(model)
    kept = {}
    handles.append(model.layer3.register_forward_hook(
        lambda module, args, output: kept.__setitem__("output", output) or output.retain_grad()))
    logits = model(sn.tensor(images))
    logits[np.arange(len(classes)), classes].sum().backward()
    for handle in handles:
        handle.remove()
    np.testing.assert_allclose(captured["gradients"], kept["output"].grad.numpy(), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(captured["features"], kept["output"].numpy())


@needs_fashion_mnist
def test_transfer_learning_keeps_the_features_frozen_over_seeds(example, tmp_path):
    result, printed = example("transfer_learning", "--quick", "--seeds", "2")
    assert len(result["runs"]) == 2 and "seed 1:" in printed
    tuned, pretrained = result["model"].state_dict(), result["pretrained"].state_dict()
    for key in ("conv1.weight", "layer1.0.conv1.weight", "layer3.2.conv2.weight"):
        np.testing.assert_array_equal(tuned[key].numpy(), pretrained[key].numpy(), err_msg=key)
    assert tuned["fc.weight"].shape == (5, 64)
    check_figures(result, tmp_path, ["transfer_learning.png"])
