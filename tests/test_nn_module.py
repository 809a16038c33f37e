"""Module machinery: registration, traversal, state dicts, hooks, modes, casting, errors."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import nn
from tests.reference import assert_close, torch_or_skip


def build_net(lib):
    """The same nested architecture in scratchnet or PyTorch (``lib`` is ``nn`` or ``torch.nn``)."""

    class Block(lib.Module):
        def __init__(self, channels):
            super().__init__()
            self.conv = lib.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn = lib.BatchNorm2d(channels)

        def forward(self, x):
            return self.bn(self.conv(x)).relu()

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.features = lib.Sequential(lib.Conv2d(1, 4, 3), lib.ReLU(), Block(4), lib.MaxPool2d(2))
            self.heads = lib.ModuleDict({"cls": lib.Linear(4 * 3 * 3, 5), "aux": lib.Linear(4 * 3 * 3, 2)})
            self.extra = lib.ModuleList([lib.LayerNorm(5), lib.BatchNorm1d(5)])

        def forward(self, x):
            h = self.features(x).flatten(1)
            return self.extra[1](self.extra[0](self.heads["cls"](h)))

    return Net()


def to_torch_state(module, torch):
    return {k: torch.tensor(np.array(v.numpy())) for k, v in module.state_dict().items()}


def test_parameter_is_slot_free_and_requires_grad():
    p = nn.Parameter(np.zeros((2, 3), dtype=np.float32))
    assert p.requires_grad and isinstance(p, sn.Tensor)
    assert not hasattr(p, "__dict__")
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(sn.zeros(2), requires_grad=False).requires_grad
    (p * 2).sum().backward()
    assert_close(p.grad, np.full((2, 3), 2.0))


def test_state_dict_keys_and_parameter_order_equal_pytorch():
    torch = torch_or_skip()
    ours, theirs = build_net(nn), build_net(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert "features.2.bn.num_batches_tracked" in ours.state_dict()


def test_loaded_weights_give_pytorch_outputs():
    torch = torch_or_skip()
    ours, theirs = build_net(nn), build_net(torch.nn)
    theirs.load_state_dict(to_torch_state(ours, torch))
    x = np.random.default_rng(0).standard_normal((3, 1, 8, 8)).astype(np.float32)
    assert_close(ours(x), theirs(torch.tensor(x)), rtol=1e-4, atol=1e-5)
    ours.eval(), theirs.eval()
    assert_close(ours(x), theirs(torch.tensor(x)), rtol=1e-4, atol=1e-5)


def test_load_state_dict_from_pytorch_numpy_values():
    torch = torch_or_skip()
    ours, theirs = build_net(nn), build_net(torch.nn)
    result = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    for key, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[key], value.numpy(), what=key)


def test_state_dict_values_share_memory():
    model = nn.Linear(3, 2)
    state = model.state_dict()
    state["weight"].array[0, 0] = 42.0
    assert model.weight.array[0, 0] == 42.0
    assert not state["weight"].requires_grad


def test_load_state_dict_reports_every_problem_and_changes_nothing():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    bad = {k: v.numpy() + 1 for k, v in model.state_dict().items()}
    bad["0.weight"] = np.zeros((3, 5), np.float32)
    bad["2.bias"] = np.zeros(7, np.float32)
    del bad["1.running_var"]
    bad["3.weight"] = np.zeros(1, np.float32)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(bad)
    message = str(info.value)
    assert message.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Missing key(s) in state_dict: "1.running_var".' in message
    assert 'Unexpected key(s) in state_dict: "3.weight".' in message
    assert "size mismatch for 0.weight: copying a param with shape (3, 5) from checkpoint, " \
           "the shape in current model is (3, 4)." in message
    assert "size mismatch for 2.bias" in message
    assert isinstance(info.value, ValueError)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key], err_msg=key)


def test_load_state_dict_size_mismatch_fails_even_when_not_strict():
    model = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        model.load_state_dict({"weight": np.zeros((3, 2))}, strict=False)


def test_load_state_dict_not_strict_returns_named_keys():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    new_weight = np.arange(4, dtype=np.float64).reshape(2, 2)
    result = model.load_state_dict({"0.weight": new_weight, "x.y": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["0.bias", "1.weight", "1.bias"]
    assert result.unexpected_keys == ["x.y"]
    assert model[0].weight.dtype == np.float32
    assert_close(model[0].weight, new_weight)


def test_parameters_are_deduplicated_and_buffers_listed():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared, nn.BatchNorm1d(2))
    assert len(list(model.parameters())) == 4
    assert len(list(model.children())) == 3
    assert [n for n, _ in model.named_buffers()] == \
        ["3.running_mean", "3.running_var", "3.num_batches_tracked"]
    assert len(list(model.parameters(recurse=False))) == 0


def test_register_buffer_non_persistent_and_attribute_rules():
    model = nn.Module()
    model.register_buffer("saved", sn.zeros(2))
    model.register_buffer("scratch", sn.ones(2), persistent=False)
    model.register_parameter("bias", None)
    assert list(model.state_dict()) == ["saved"]
    assert [n for n, _ in model.named_buffers()] == ["saved", "scratch"]
    assert model.bias is None
    with pytest.raises(TypeError):
        model.saved = 3
    with pytest.raises(TypeError, match="Parameter"):
        model.register_parameter("w", sn.zeros(2))
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = model.missing
    model.w = nn.Parameter(sn.zeros(1))
    del model.w
    assert list(model.parameters()) == []


def test_forward_hooks_and_removal():
    model = nn.Linear(2, 2)
    calls = []
    pre = model.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = model.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    x = np.ones((1, 2), np.float32)
    assert_close(model(x), model.bias.numpy()[None] + 1)
    assert calls == [(1, 2)]
    pre.remove()
    post.remove()
    post.remove()
    assert_close(model(x), x @ model.weight.numpy().T + model.bias.numpy(), rtol=1e-6)
    assert calls == [(1, 2)]


def test_train_eval_recurse_and_apply():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model[1].train(False)
    assert model.training and not model[1][0].training
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Dropout", "BatchNorm1d", "Sequential", "Sequential"]


def test_zero_grad_replaces_gradients():
    model = nn.Linear(2, 1)
    model(np.ones((3, 2))).sum().backward()
    grad = model.weight.grad
    model.zero_grad(set_to_none=False)
    assert model.weight.grad is not grad and np.all(model.weight.grad.numpy() == 0)
    assert np.any(grad.numpy() != 0)
    model.zero_grad()
    assert model.weight.grad is None


def test_repr_matches_pytorch_for_common_layers():
    torch = torch_or_skip()

    def build(lib):
        return lib.Sequential(lib.Conv2d(1, 4, (3, 5), stride=2, padding=1, bias=False), lib.BatchNorm2d(4),
                              lib.Conv2d(4, 4, 3, padding="same", dilation=2, groups=2), lib.ReLU(),
                              lib.Flatten(),
                              lib.Sequential(lib.Linear(8, 3), lib.LayerNorm(3), lib.Sigmoid()),
                              lib.ModuleDict({"gru": lib.GRU(3, 4, num_layers=2, batch_first=True),
                                              "embed": lib.Embedding(5, 2)}),
                              lib.ModuleList([lib.AdaptiveAvgPool2d(1), lib.Softmax(dim=1)]))

    assert repr(build(nn)) == repr(build(torch.nn))


def test_init_args_are_recorded_by_name():
    class Wide(nn.Linear):
        def __init__(self, features, scale=2):
            super().__init__(features, features * scale)

    assert nn.Linear(3, 4)._init_args == {"in_features": 3, "out_features": 4, "bias": True}
    assert Wide(3)._init_args == {"features": 3, "scale": 2}
    relu = nn.ReLU()
    seq = nn.Sequential(relu)
    assert seq._init_args == {"args": (relu,)}
    assert nn.Conv2d(1, 2, 3, padding="same")._init_args["padding"] == "same"
    assert nn.Module()._init_args == {}


def test_sequential_indexing_slicing_and_append():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and model[-1] is layers[2] and list(model) == layers
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    assert model.append(nn.Sigmoid()) is model and len(model) == 4
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    with pytest.raises(IndexError):
        model[4]
    x = np.ones((5, 2), np.float32)
    assert_close(model(x), layers[2](layers[1](layers[0](x))).sigmoid())


def test_module_list_and_dict():
    items = nn.ModuleList([nn.Linear(1, 1)]).append(nn.ReLU())
    items.extend([nn.Tanh()])
    assert len(items) == 3 and isinstance(items[1], nn.ReLU)
    assert list(items.state_dict()) == ["0.weight", "0.bias"]
    table = nn.ModuleDict({"a": nn.Linear(1, 2)})
    table["b"] = nn.Linear(2, 1)
    assert list(table) == ["a", "b"] and "b" in table and len(table) == 2
    assert list(table.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]


def test_input_casting_to_parameter_dtype():
    model = nn.Linear(3, 2)
    assert model(np.ones((2, 3), np.float64)).dtype == np.float32
    assert model(np.ones((2, 3), np.uint8)).dtype == np.float32
    x = sn.tensor(np.ones((2, 3)), dtype="float64", requires_grad=True)
    model(x).sum().backward()
    assert x.grad.dtype == np.float64
    assert_close(x.grad, np.tile(model.weight.numpy().sum(0), (2, 1)), rtol=1e-6)
    model.double()
    assert model(np.ones((2, 3), np.float32)).dtype == np.float64
    embedding = nn.Embedding(5, 2)
    assert embedding(np.array([1, 4])).shape == (2, 2)
    text_model = nn.Sequential(nn.Embedding(5, 2), nn.Flatten(), nn.Linear(6, 1))
    assert text_model(np.array([[1, 4, 0]])).shape == (1, 1)
    image_model = nn.Sequential(nn.Flatten(), nn.Linear(4, 1))
    pixels = np.array([[[0, 255], [128, 7]]], np.uint8)
    assert_close(image_model(pixels), pixels.reshape(1, 4) @ image_model[1].weight.numpy().T
                 + image_model[1].bias.numpy(), rtol=1e-5)


@pytest.mark.parametrize("bad", [np.array([["a", "b", "c"]]), np.ones((1, 3), complex),
                                 np.array([[1, None, 2]], dtype=object)])
def test_unusable_input_dtypes_raise_type_error(bad):
    with pytest.raises(TypeError, match=str(bad.dtype)):
        nn.Linear(3, 1)(bad)


def test_feature_shape_errors_name_the_layer():
    with pytest.raises(ValueError) as info:
        nn.Linear(784, 10)(np.zeros((64, 100)))
    assert str(info.value) == ("Linear(in_features=784, out_features=10, bias=True): "
                               "expected input (*, 784), got (64, 100)")
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8.*expected input \(N, 3, H, W\), got \(2, 1, 8, 8\)"):
        nn.Conv2d(3, 8, 3)(np.zeros((2, 1, 8, 8)))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(4.*expected input \(N, 4, H, W\), got \(2, 3, 5, 5"):
        nn.BatchNorm2d(4)(np.zeros((2, 3, 5, 5)))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4.*got \(2, 3\)"):
        nn.BatchNorm1d(4)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"LayerNorm.*expected input \(\*, 4\), got \(2, 3\)"):
        nn.LayerNorm(4)(np.zeros((2, 3)))


@pytest.mark.parametrize("make", [
    lambda: nn.Dropout(1.5), lambda: nn.Dropout(-0.1), lambda: nn.Dropout2d(2),
    lambda: nn.Linear(0, 3), lambda: nn.Linear(3, -1), lambda: nn.Conv2d(1, 2, 3, stride=0),
    lambda: nn.Conv2d(1, 2, 0), lambda: nn.Conv2d(3, 2, 3, groups=2), lambda: nn.Conv2d(1, 2, 3, padding=-1),
    lambda: nn.Conv2d(1, 2, 3, stride=2, padding="same"), lambda: nn.Conv2d(1, 2, 3, padding="full"),
    lambda: nn.MaxPool2d(2, stride=0), lambda: nn.MaxPool2d(2, padding=2), lambda: nn.AvgPool2d(0),
    lambda: nn.BatchNorm2d(0), lambda: nn.BatchNorm1d(3, momentum=2.0), lambda: nn.Embedding(0, 3),
    lambda: nn.LSTM(3, 0), lambda: nn.RNN(3, 2, nonlinearity="sigmoid"), lambda: nn.MSELoss(reduction="avg"),
    lambda: nn.GELU(approximate="fast"),
])
def test_invalid_hyper_parameters_raise(make):
    with pytest.raises(ValueError):
        make()


def test_clip_grad_norm_matches_pytorch_and_replaces_grads():
    torch = torch_or_skip()
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (4,), (2, 2, 2)]]
    for norm_type, max_norm in [(2.0, 1.0), (1.0, 2.5), (float("inf"), 0.5), (2.0, 1e3)]:
        ours = [nn.Parameter(np.zeros_like(g)) for g in grads]
        theirs = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads]
        for p, q, g in zip(ours, theirs, grads):
            p.grad = sn.tensor(g)
            q.grad = torch.tensor(g)
        held = ours[0].grad
        total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
        expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
        assert_close(total, expected, rtol=1e-5)
        for p, q in zip(ours, theirs):
            assert_close(p.grad, q.grad, rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(held.numpy(), grads[0])


def test_clip_grad_value():
    p = nn.Parameter(np.zeros(4, np.float32))
    p.grad = sn.tensor([-3.0, -0.5, 0.2, 7.0])
    nn.utils.clip_grad_value_([p], 1.0)
    assert_close(p.grad, [-1.0, -0.5, 0.2, 1.0])


def test_every_api_name_exists():
    import scratchnet.nn.functional as F

    functional_names = ("linear conv2d max_pool2d avg_pool2d dropout batch_norm layer_norm relu leaky_relu "
                        "elu gelu sigmoid tanh softmax log_softmax cross_entropy nll_loss mse_loss l1_loss "
                        "binary_cross_entropy binary_cross_entropy_with_logits pad one_hot").split()
    assert [name for name in functional_names if not callable(getattr(F, name, None))] == []
    init_names = ("xavier_uniform_ xavier_normal_ kaiming_uniform_ kaiming_normal_ normal_ uniform_ zeros_ "
                  "ones_ constant_ glorot_uniform_ glorot_normal_ he_uniform_ he_normal_ "
                  "calculate_gain").split()
    assert [name for name in init_names if not callable(getattr(nn.init, name, None))] == []
    assert callable(nn.utils.clip_grad_norm_) and callable(nn.utils.clip_grad_value_)
    assert_close(F.relu(sn.tensor([-1.0, 2.0])), [0.0, 2.0])
