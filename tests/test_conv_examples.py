"""The conv-net examples' short versions beyond ``tests/test_examples.py``: the comparison of the
three families, the ResNet's per-epoch checkpoints, Grad-CAM's hooks, the transfer-learning seeds
and the frozen features."""

import json

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import nn, optim
from scratchnet.models import resnet20
from tests.test_examples import check_figures, fashion, fashion_arrays, load_example, needs_fashion_mnist, run  # noqa: F401

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
    """After fine-tuning, every weight and buffer of the frozen part (batch norm's running
    statistics and batch counts included) is bitwise the pretrained network's, the features
    require no gradient, and the optimiser holds the new head's parameters and nothing else."""
    result, printed = example("transfer_learning", "--quick", "--seeds", "2")
    assert len(result["runs"]) == 2 and "seed 1:" in printed and "from scratch: mean" in printed
    model, pretrained = result["model"], result["pretrained"].state_dict()
    features = model.features.state_dict()
    assert set(features) == {key for key in pretrained if not key.startswith("fc.")}  # avgpool has none
    assert any(key.endswith("running_mean") for key in features)
    for key, value in features.items():
        np.testing.assert_array_equal(value.numpy(), pretrained[key].numpy(), err_msg=key)
    assert not any(p.requires_grad for p in model.features.parameters())
    held = [id(p) for group in result["optimizer"].param_groups for p in group["params"]]
    assert sorted(held) == sorted(id(p) for p in model.head.parameters())
    assert model.head.weight.shape == (5, 64 * 7 * 7)  # the last stage's maps, unpooled
    last_stage = result["runs"][-1]["last_stage_model"]
    tuned = last_stage.features.state_dict()
    for key, value in tuned.items():
        same = np.array_equal(value.numpy(), pretrained[key].numpy())
        assert same != key.startswith("layer3."), key  # the fine-tuned stage changes, the rest is frozen
    optimizer = result["runs"][-1]["last_stage_optimizer"]
    held = [id(p) for group in optimizer.param_groups for p in group["params"]]
    expected = [*last_stage.features.layer3.parameters(), *last_stage.head.parameters()]
    assert sorted(held) == sorted(id(p) for p in expected)
    check_figures(result, tmp_path, ["transfer_learning.png"])


@needs_fashion_mnist
def test_transfer_learning_head_trains_with_the_features_in_inference_mode(monkeypatch):
    """``train()`` on the wrapped network puts the head in training mode and leaves every module
    of the features in evaluation mode; a training step changes the head and no running statistic."""
    transfer_learning = load_example("transfer_learning", monkeypatch)
    network = transfer_learning.FrozenFeatures(resnet20(num_classes=5), 3, trainable=("layer3",)).train()
    stage = set(map(id, network.features.layer3.modules()))
    for module in network.features.modules():
        assert module.training == (id(module) in stage)
    network = transfer_learning.FrozenFeatures(resnet20(num_classes=5), 3).train()
    assert network.head.training and not any(module.training for module in network.features.modules())
    before = {key: value.numpy().copy() for key, value in network.features.state_dict().items()}
    head = network.head.weight.numpy().copy()
    optimizer = optim.SGD(network.head.parameters(), lr=0.1)
    nn.CrossEntropyLoss()(network(sn.randn(4, 1, 28, 28)), sn.tensor(np.array([0, 1, 2, 0]))).backward()
    optimizer.step()
    assert not np.array_equal(network.head.weight.numpy(), head)
    for key, value in network.features.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key], err_msg=key)


@needs_fashion_mnist
def test_transfer_learning_split_relabels_and_keeps_the_classes_apart(monkeypatch):
    """``subset`` keeps the first ``per_class`` images of each class, labelled by position; the
    pretraining and fine-tuning classes are disjoint and cover the ten; the docstring runs."""
    import doctest

    transfer_learning = load_example("transfer_learning", monkeypatch)
    labels = np.array([9, 3, 4, 3, 9, 6, 8, 3])
    chosen = transfer_learning.subset(np.arange(8.0), labels, transfer_learning.NEW_CLASSES, per_class=2)
    np.testing.assert_array_equal(chosen.arrays[0], [0, 1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(chosen.arrays[1], [4, 0, 1, 0, 4, 2, 3])
    assert not set(transfer_learning.PRETRAIN_CLASSES) & set(transfer_learning.NEW_CLASSES)
    assert sorted(transfer_learning.PRETRAIN_CLASSES + transfer_learning.NEW_CLASSES) == list(range(10))
    assert doctest.testmod(transfer_learning).failed == 0
