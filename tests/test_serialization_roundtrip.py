"""sn.save / sn.load round trips: state dicts, modules, nested checkpoints, bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest
import safetensors.numpy

import scratchnet as sn
from scratchnet import nn
from scratchnet.serialization import SerializationError, load, register_module, save

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
          "uint32", "uint64", "bool"]


def assert_same(ours, theirs, where="value"):
    """Structural equality with types, and bitwise equality of arrays (dtype and shape too)."""
    assert type(ours) is type(theirs), f"{where}: {type(ours)} != {type(theirs)}"
    if isinstance(theirs, np.ndarray) or isinstance(theirs, np.generic):
        assert ours.dtype == theirs.dtype and np.shape(ours) == np.shape(theirs), where
        assert np.asarray(ours).tobytes() == np.ascontiguousarray(theirs).tobytes(), where
    elif isinstance(theirs, sn.Tensor):
        assert ours.requires_grad == theirs.requires_grad, where
        assert_same(ours.array, theirs.array, where)
    elif isinstance(theirs, dict):
        assert list(ours) == list(theirs), f"{where}: keys {list(ours)} != {list(theirs)}"
        for key in theirs:
            assert type(key) is type(next(k for k in ours if k == key)), f"{where}: key type of {key!r}"
            assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, float) and math.isnan(theirs):
        assert math.isnan(ours), where
    elif isinstance(theirs, float):
        assert ours == theirs and math.copysign(1, ours) == math.copysign(1, theirs), where
    else:
        assert ours == theirs, where


def random_array(dtype, shape, rng):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_state_dict_of_every_dtype_round_trips_bitwise(tmp_path, dtype):
    rng = np.random.default_rng(0)
    state = {"0.weight": random_array(dtype, (3, 4), rng), "0.bias": random_array(dtype, (4,), rng),
             "scalar": random_array(dtype, (), rng), "empty": random_array(dtype, (0, 5), rng)}
    save(state, tmp_path / "sd.safetensors")
    assert_same(load(tmp_path / "sd.safetensors"), state)


def test_special_floats_non_contiguous_and_big_endian_arrays(tmp_path):
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    special = np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, np.finfo(np.float32).max], np.float32)
    state = {"strided": base[:, ::2], "transposed": base.T, "big_endian": base.astype(">f8"),
             "special": special}
    save(state, tmp_path / "sd.safetensors")
    loaded = load(tmp_path / "sd.safetensors")
    for key in ("strided", "transposed"):
        assert_same(loaded[key], np.ascontiguousarray(state[key]))
    assert loaded["big_endian"].dtype == np.float64 and loaded["big_endian"].dtype.isnative
    np.testing.assert_array_equal(loaded["big_endian"], base)
    assert loaded["special"].tobytes() == special.tobytes()


def test_state_dict_file_is_plain_safetensors_named_by_keys(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    save(model.state_dict(), tmp_path / "w.safetensors")
    opened = safetensors.numpy.load_file(str(tmp_path / "w.safetensors"))
    assert set(opened) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    for key, tensor in model.state_dict().items():
        assert opened[key].tobytes() == tensor.numpy().tobytes()
    loaded = load(tmp_path / "w.safetensors")
    assert list(loaded) == list(model.state_dict())
    assert all(isinstance(value, sn.Tensor) for value in loaded.values())


def test_checkpoint_with_int_keys_tuples_big_ints_and_scalars_round_trips(tmp_path):
    sn.manual_seed(7)
    sn.randn(5)  # move the generator away from a fresh seed
    checkpoint = {
        "model": {"fc.weight": np.ones((2, 2), np.float32)},
        "optimizer": {"state": {0: {"step": 3, "exp_avg": np.full(2, 0.25)}, 1: {"step": 3}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1],
                                        "amsgrad": False, "foreach": None}]},
        "scheduler": {"last_epoch": 4, "_last_lr": [0.1, 0.01], "gamma": np.float32(0.5)},
        "epoch": 3,
        "rng": sn.get_rng_state(),
        "history": {"loss": [0.5, 0.25, float("nan")], "acc": [-0.0, float("inf"), -float("inf")]},
        "huge": 2 ** 200, "negative_huge": -(2 ** 130), "name": "ünïcode ✓ \"quoted\" \\ $dict",
        "flag": np.bool_(True), "count": np.int64(-2), "half": np.float16(0.1),
        "mixed_keys": {1: "one", "1": "string one", -5: None},
        "tensor": sn.tensor([1.0, 2.0], requires_grad=True), "ints": sn.tensor([1, 2]),
        "nested": [(1, [2, (3.5,)]), {"$dict": "not a tag"}], "empty": {}, "empty_tuple": (),
    }
    save(checkpoint, tmp_path / "ckpt.safetensors")
    loaded = load(tmp_path / "ckpt.safetensors")
    assert_same(loaded, checkpoint)
    assert max(loaded["rng"]["state"].values()) >= 2 ** 64  # PCG64 holds 128-bit integers


def test_restored_rng_state_replays_the_same_numbers(tmp_path):
    sn.manual_seed(3)
    sn.rand(10)
    save({"rng": sn.get_rng_state()}, tmp_path / "rng.safetensors")
    expected = sn.rand(4).numpy()
    sn.manual_seed(99)
    sn.set_rng_state(load(tmp_path / "rng.safetensors")["rng"])
    np.testing.assert_array_equal(sn.rand(4).numpy(), expected)


@pytest.mark.parametrize("obj", [np.arange(3.0), 5, None, "text", [1, 2], (np.zeros(2),)])
def test_top_level_values_other_than_dicts(tmp_path, obj):
    save(obj, tmp_path / "x.safetensors")
    assert_same(load(tmp_path / "x.safetensors"), obj)


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Dropout(0.25), nn.Linear(8, 3))


def bn_cnn():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 4, (3, 3), stride=1, padding="same", bias=False), nn.BatchNorm2d(4, momentum=0.2),
        nn.ReLU(), nn.Flatten(), nn.Linear(4 * 3 * 3, 5), nn.BatchNorm1d(5), nn.Tanh(), nn.Linear(5, 2))


def assert_same_module(loaded, model):
    assert type(loaded) is type(model)
    assert [(name, type(m)) for name, m in loaded.named_modules()] == \
        [(name, type(m)) for name, m in model.named_modules()]
    assert [(name, m.training) for name, m in loaded.named_modules()] == \
        [(name, m.training) for name, m in model.named_modules()]
    ours, theirs = loaded.state_dict(), model.state_dict()
    assert list(ours) == list(theirs)
    for key in theirs:
        assert_same(ours[key].numpy(), theirs[key].numpy(), key)
    assert repr(loaded) == repr(model)


def test_sequential_mlp_module_round_trips(tmp_path):
    sn.manual_seed(0)
    model = mlp()
    save(model, tmp_path / "mlp.safetensors")
    loaded = load(tmp_path / "mlp.safetensors")
    assert_same_module(loaded, model)
    x = np.random.default_rng(1).standard_normal((5, 3, 4)).astype(np.float32)
    model.eval()
    loaded.eval()
    assert model(x).numpy().tobytes() == loaded(x).numpy().tobytes()


def test_cnn_with_batchnorm_round_trips_running_stats_and_eval_mode(tmp_path):
    sn.manual_seed(1)
    model = bn_cnn()
    x = np.random.default_rng(2).standard_normal((6, 2, 6, 6)).astype(np.float32)
    for _ in range(2):
        model(x)  # training passes move the running statistics away from their initial values
    model.eval()
    assert not np.array_equal(model[1].running_mean.numpy(), np.zeros(4, np.float32))
    save(model, tmp_path / "cnn.safetensors")
    loaded = load(tmp_path / "cnn.safetensors")
    assert_same_module(loaded, model)
    assert loaded.training is False
    assert loaded(x).numpy().tobytes() == model(x).numpy().tobytes()


def test_loading_a_module_leaves_the_global_generator_untouched(tmp_path):
    save(mlp(), tmp_path / "m.safetensors")
    sn.manual_seed(5)
    load(tmp_path / "m.safetensors")
    after_load = sn.rand(3).numpy()
    sn.manual_seed(5)
    np.testing.assert_array_equal(after_load, sn.rand(3).numpy())


def test_float64_module_stays_float64(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).double()
    save(model, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert loaded[0].weight.dtype == np.float64
    assert_same_module(loaded, model)


def test_module_inside_a_checkpoint_dict(tmp_path):
    model = mlp()
    save({"model": model, "epoch": 2}, tmp_path / "c.safetensors")
    loaded = load(tmp_path / "c.safetensors")
    assert loaded["epoch"] == 2
    assert_same_module(loaded["model"], model)
    assert set(safetensors.numpy.load_file(str(tmp_path / "c.safetensors"))) == \
        {f"model.{key}" for key in model.state_dict()}


@register_module
class TwoTower(nn.Module):
    """A user-defined model: registered, so that sn.load may rebuild it."""

    def __init__(self, width, *extra, activation="relu", **options):
        super().__init__()
        self.left = nn.Linear(3, width)
        self.right = nn.ModuleList([nn.Linear(3, width) for _ in extra])
        self.activation = activation
        self.options = options

    def forward(self, x):
        return self.left(x)


def test_registered_user_module_with_var_args_round_trips(tmp_path):
    model = TwoTower(4, "a", "b", activation="tanh", scale=2.0, tags=("x", 1))
    save(model, tmp_path / "t.safetensors")
    loaded = load(tmp_path / "t.safetensors")
    assert_same_module(loaded, model)
    assert loaded.activation == "tanh" and loaded.options == {"scale": 2.0, "tags": ("x", 1)}
    assert loaded._init_args == model._init_args


def test_module_containers_nest(tmp_path):
    model = nn.Sequential(nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Sequential(nn.Linear(2, 1))}),
                          nn.ModuleList([nn.LayerNorm(2), nn.Embedding(5, 2)]))
    save(model, tmp_path / "c.safetensors")
    assert_same_module(load(tmp_path / "c.safetensors"), model)


def test_torch_model_loads_the_weights_by_name_and_gives_the_same_outputs(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch

    sn.manual_seed(4)
    model = bn_cnn()
    x = np.random.default_rng(3).standard_normal((4, 2, 6, 6)).astype(np.float32)
    model(x)
    model.eval()
    save(model.state_dict(), tmp_path / "w.safetensors")
    tnn = torch.nn
    twin = tnn.Sequential(
        tnn.Conv2d(2, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(4, 4, 3, padding="same", bias=False), tnn.BatchNorm2d(4, momentum=0.2), tnn.ReLU(),
        tnn.Flatten(), tnn.Linear(36, 5), tnn.BatchNorm1d(5), tnn.Tanh(), tnn.Linear(5, 2))
    twin.load_state_dict(safetensors.torch.load_file(str(tmp_path / "w.safetensors")), strict=True)
    twin.eval()
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_file_written_by_torch_safetensors_loads_as_a_dict_of_arrays(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch

    tensors = {"a.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.tensor([1, 2])}
    safetensors.torch.save_file(tensors, str(tmp_path / "t.safetensors"), metadata={"format": "pt"})
    loaded = load(tmp_path / "t.safetensors")
    assert set(loaded) == set(tensors)
    for key, value in tensors.items():
        assert_same(loaded[key], value.numpy())


@pytest.mark.parametrize("bad, fragment", [
    (np.array([object()], dtype=object), "dtype object"),
    (np.array(["a", "b"]), "dtype <U1"),
    (np.zeros(2, np.complex64), "dtype complex64"),
    (lambda x: x, "function"),
    ({(1, 2): 3}, "dict key of type tuple"),
    ({"ok": {1.5: 2}}, "dict key of type float"),
    ({"set": {1, 2}}, "set"),
])
def test_unsavable_values_are_refused_and_the_old_file_is_kept(tmp_path, bad, fragment):
    path = tmp_path / "keep.safetensors"
    save({"x": np.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(SerializationError, match="keep.safetensors") as error:
        save({"value": bad}, path)
    assert fragment in str(error.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.safetensors"]


class Unregistered(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)


def test_unregistered_user_module_is_refused_at_save_time(tmp_path):
    with pytest.raises(SerializationError, match="register_module"):
        save(Unregistered(), tmp_path / "u.safetensors")
    save(Unregistered().state_dict(), tmp_path / "u.safetensors")  # the weights alone are fine


def test_module_changed_after_construction_is_refused_at_save_time(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    model.add_module("2", nn.Linear(3, 1))
    with pytest.raises(SerializationError, match="constructor arguments"):
        save(model, tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


def test_public_names_are_exported_from_scratchnet():
    assert sn.save is save and sn.load is load
    assert sn.SerializationError is SerializationError and issubclass(SerializationError, ValueError)
    assert sn.register_module is register_module
