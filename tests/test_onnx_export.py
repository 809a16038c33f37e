"""ONNX export checked by ONNX Runtime: for each layer and each seed model, the exported graph run
by onnxruntime on random inputs (batch sizes other than the example's) gives scratchnet's output;
the ONNX checker passes; unsupported ops, bad arguments and a missing onnx package are clear errors."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import cli, keras, nn
from scratchnet.autograd.function import Function
from scratchnet.models import MODELS, VISION_MODELS
from tests.test_models_vision import _NoDraws

onnx = pytest.importorskip("onnx", reason="ONNX export needs the onnx package (scratchnet[onnx])")
ort = pytest.importorskip("onnxruntime", reason="the exported graphs are run by onnxruntime (dev extra)")

RTOL, ATOL = 1e-4, 1e-5
rng = np.random.default_rng(0)


def run_onnx(path, **feeds):
    """The outputs of the ONNX model at ``path`` run by onnxruntime on ``feeds``."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def checked(path):
    """The ONNX model at ``path``, after the full checker passed on the file."""
    onnx.checker.check_model(str(path), full_check=True)  # the file itself, not a re-serialised copy
    return onnx.load(str(path))


def op_types(model):
    return {node.op_type for node in model.graph.node}


def randomize_batch_norms(model):
    """Running statistics and affine weights away from 0 and 1, so that inference batch norm is tested."""
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        if name.endswith("running_var"):
            tensor.array[...] = rng.uniform(0.5, 2.0, tensor.shape)
        elif name.endswith(("running_mean", "bias")) or (name.endswith("weight") and tensor.ndim == 1):
            tensor.array[...] = rng.normal(size=tensor.shape)


def export_and_compare(module, example_shape, batches, tmp_path, expected_ops=(), dtype=np.float32,
                       sample=None):
    """Export ``module`` on an example of ``example_shape`` with a dynamic batch axis, then compare
    onnxruntime with scratchnet at each batch size in ``batches``; returns the checked model."""
    sample = sample or (lambda shape: rng.normal(size=shape).astype(dtype))
    path = tmp_path / "model.onnx"
    sn.onnx.export(module, sample(example_shape), path, input_names=["x"], output_names=["y"],
                   dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    model = checked(path)
    assert set(expected_ops) <= op_types(model), op_types(model)
    module.eval()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in batches:
        x = sample((batch, *example_shape[1:]))
        (got,) = session.run(None, {"x": x})
        with sn.no_grad():
            want = module(sn.Tensor(x)).array
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    return model


class Arithmetic(nn.Module):
    """Core ops between layers: transpose, concat, + - * /, matmul, reshape, indexing, reductions."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(6, 6)
        self.scale = nn.Parameter(rng.uniform(0.5, 1.5, (6,)).astype(np.float32))
        self.mix = rng.normal(size=(4, 3)).astype(np.float32)  # a constant, not a parameter

    def forward(self, x):
        y = self.linear(x)                                   # (N, 4, 6): MatMul + Add
        y = sn.concat([y * self.scale, x - 1.0], axis=-1)    # (N, 4, 12)
        y = y.transpose(1, 2) / 2.0                          # (N, 12, 4)
        y = y @ sn.Tensor(self.mix)                          # (N, 12, 3)
        y = y[:, 1:-1, ::2] + y[:, 2:, None, 0].reshape(-1, 10, 1)     # Slice, Squeeze, Unsqueeze
        z = y.reshape(y.shape[0], -1).sum(axis=1, keepdims=True)
        return sn.exp(-y.mean(axis=1)) * z + sn.clip(y.max(axis=1), -0.5, 0.5)


class Elementwise(nn.Module):
    """The elementwise ops and the remaining shape ops: split, pad, broadcast, cast, stack."""

    def __init__(self):
        super().__init__()
        self.offset = nn.Parameter(rng.normal(size=(6,)).astype(np.float32))

    def forward(self, x):
        a, b = sn.split(x, [2, 4], axis=-1)                          # (N, 3, 2), (N, 3, 4)
        a = sn.pad(a, (1, 1)) + sn.broadcast_to(self.offset[:4], (3, 4))
        y = sn.log(sn.abs(a) + 1) + sn.sin(b) * sn.cos(b) + b ** 2
        root = sn.sqrt(sn.sigmoid(y).astype(sn.float64)).astype(sn.float32)
        y = sn.maximum(y, 0.1) - sn.minimum(y, -0.1) + root
        return sn.stack([y, -y], axis=1)


LAYERS = {
    "linear": (lambda: nn.Linear(5, 3), (4, 5), ["Gemm"]),
    "linear_no_bias": (lambda: nn.Linear(5, 3, bias=False), (4, 5), ["Gemm"]),
    "linear_3d": (lambda: nn.Linear(5, 3), (4, 2, 5), ["MatMul"]),
    "conv": (lambda: nn.Conv2d(3, 4, 3, padding=1), (2, 3, 8, 8), ["Conv"]),
    "conv_strided_dilated_grouped": (
        lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(2, 1), dilation=2, groups=2, bias=False),
        (2, 4, 9, 7), ["Conv"]),
    "batch_norm_2d": (lambda: nn.BatchNorm2d(3), (2, 3, 5, 5), ["BatchNormalization"]),
    "batch_norm_1d": (lambda: nn.BatchNorm1d(4), (3, 4), ["BatchNormalization"]),
    "batch_norm_no_affine": (lambda: nn.BatchNorm2d(3, affine=False), (2, 3, 4, 4), ["BatchNormalization"]),
    "relu": (nn.ReLU, (3, 7), ["Relu"]),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), (3, 7), ["LeakyRelu"]),
    "elu": (lambda: nn.ELU(0.7), (3, 7), ["Elu"]),
    "sigmoid": (nn.Sigmoid, (3, 7), ["Sigmoid"]),
    "tanh": (nn.Tanh, (3, 7), ["Tanh"]),
    "gelu": (nn.GELU, (3, 7), ["Erf"]),
    "gelu_tanh": (lambda: nn.GELU(approximate="tanh"), (3, 7), ["Tanh"]),
    "max_pool": (lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 9, 8), ["MaxPool"]),
    "avg_pool": (lambda: nn.AvgPool2d(2), (2, 3, 8, 6), ["AveragePool"]),
    "avg_pool_padded": (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 7, 7),
                        ["AveragePool"]),
    "global_avg_pool": (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 4), ["GlobalAveragePool"]),
    "flatten": (nn.Flatten, (2, 3, 4, 5), ["Reshape"]),
    "softmax": (lambda: nn.Softmax(dim=1), (3, 5, 2), ["Softmax"]),
    "log_softmax": (lambda: nn.LogSoftmax(dim=-1), (3, 5), ["LogSoftmax"]),
    "dropout": (lambda: nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)), (3, 4), ["Gemm"]),
    "layer_norm": (lambda: nn.LayerNorm(6), (3, 6), ["ReduceMean", "Sqrt"]),
    "core_ops": (Arithmetic, (2, 4, 6), ["Concat", "Transpose", "Slice", "ReduceSum", "ReduceMax", "Clip"]),
    "elementwise_ops": (Elementwise, (2, 3, 6),
                        ["Split", "Pad", "Expand", "Cast", "Log", "Pow", "Max", "Min", "Sin", "Cos", "Abs"]),
    "identity": (nn.Identity, (3, 7), ["Identity"]),
    "local_response_norm": (lambda: nn.LocalResponseNorm(3, alpha=1.0, k=1.5), (2, 6, 4, 4), ["LRN"]),
    "local_response_norm_even_3d": (lambda: nn.LocalResponseNorm(4, alpha=2.0, beta=0.6, k=1.5), (2, 6, 5),
                                    ["Pad", "Slice", "Pow"]),
    "zero_pad": (lambda: nn.ZeroPad2d((1, 2, 0, 3)), (2, 3, 4, 4), ["Pad"]),
    "conv_transpose": (lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
                       (2, 3, 4, 5), ["ConvTranspose"]),
    "conv_transpose_grouped_dilated": (
        lambda: nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(2, 1), output_padding=(1, 2),
                                   groups=2, dilation=2, bias=False), (2, 4, 5, 4), ["ConvTranspose"]),
    "upsample_nearest": (lambda: nn.Upsample(scale_factor=2), (2, 3, 4, 5), ["Resize"]),
    "upsample_nearest_size": (lambda: nn.Upsample(size=(7, 13)), (2, 3, 4, 5), ["Resize"]),
    "upsample_bilinear_fraction": (lambda: nn.Upsample(scale_factor=(1.5, 2.3), mode="bilinear"),
                                   (2, 3, 5, 4), ["Resize"]),
    "upsample_bilinear": (lambda: nn.Upsample(size=(7, 9), mode="bilinear"), (2, 3, 4, 5), ["Resize"]),
    "upsample_bilinear_align_corners": (
        lambda: nn.Upsample(scale_factor=3, mode="bilinear", align_corners=True), (2, 3, 4, 3), ["Resize"]),
    "unflatten": (lambda: nn.Unflatten(1, (3, 4)), (2, 12), ["Reshape"]),
    "max_pool_ceil_mode": (lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True), (2, 3, 8, 7), ["MaxPool"]),
    "adaptive_avg_pool": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 7, 5), ["MatMul"]),
    "rnn_cell": (lambda: nn.RNNCell(3, 4), (2, 3), ["Gemm", "Tanh"]),
    "rnn_cell_relu_no_bias": (lambda: nn.RNNCell(3, 4, bias=False, nonlinearity="relu"), (2, 3), ["Relu"]),
    "gru_cell": (lambda: nn.GRUCell(3, 4), (2, 3), ["Gemm", "Split"]),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_onnx_runtime(name, tmp_path):
    factory, shape, expected_ops = LAYERS[name]
    module = factory()
    randomize_batch_norms(module)
    export_and_compare(module, shape, [1, 5], tmp_path, expected_ops)


def test_dropout_in_inference_is_the_identity(tmp_path):
    model = export_and_compare(nn.Sequential(nn.Dropout(0.5)), (3, 4), [2], tmp_path)
    assert op_types(model) == {"Identity"}


def test_embedding_is_a_gather(tmp_path):
    module = nn.Sequential(nn.Embedding(11, 4), nn.Tanh())
    model = export_and_compare(module, (3, 5), [1, 6], tmp_path, ["Gather"],
                               sample=lambda shape: rng.integers(0, 11, shape))
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64


def test_parameters_are_initializers_under_state_dict_names(tmp_path):
    module = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU())
    model = export_and_compare(module, (2, 1, 6, 6), [3], tmp_path)
    names = {init.name for init in model.graph.initializer}
    assert {"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"} <= names


@pytest.mark.parametrize("layer", ["RNN", "RNN_relu", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_recurrent_layers_are_onnx_recurrent_nodes(layer, batch_first, num_layers, tmp_path):
    kind = getattr(nn, layer.split("_")[0])
    extra = {"nonlinearity": "relu"} if layer == "RNN_relu" else {}
    module = kind(3, 5, num_layers=num_layers, batch_first=batch_first, **extra)
    time_axis, batch_axis = (1, 0) if batch_first else (0, 1)
    path = tmp_path / "rnn.onnx"
    state_names = ["h_n", "c_n"] if kind is nn.LSTM else ["h_n"]
    example = np.zeros((2, 4, 3) if batch_first else (4, 2, 3), np.float32)
    sn.onnx.export(module, example, path, input_names=["x"], output_names=["y", *state_names],
                   dynamic_axes={"x": {time_axis: "time", batch_axis: "batch"}, "y": {time_axis: "time",
                                 batch_axis: "batch"}, **{s: {1: "batch"} for s in state_names}})
    assert kind.__name__ in op_types(checked(path))
    for steps, batch in [(6, 1), (2, 5)]:
        x = rng.normal(size=(batch, steps, 3) if batch_first else (steps, batch, 3)).astype(np.float32)
        got = run_onnx(path, x=x)
        with sn.no_grad():
            output, states = module(sn.Tensor(x))
        want = [output, *(states if kind is nn.LSTM else (states,))]
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w.array, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", [nn.LSTM, nn.GRU])
def test_recurrent_with_initial_state_no_bias_and_unbatched_input(kind, tmp_path):
    module = kind(3, 4, num_layers=2, bias=False)
    states = 2 if kind is nn.LSTM else 1
    hx = tuple(sn.Tensor(rng.normal(size=(2, 4)).astype(np.float32)) for _ in range(states))
    x = sn.Tensor(rng.normal(size=(5, 3)).astype(np.float32))  # (T, I): no batch axis
    path = tmp_path / "rnn.onnx"
    args = (x, hx if kind is nn.LSTM else hx[0])
    sn.onnx.export(module, args, path)
    checked(path)
    feeds = {"input_0": x.array, "input_1": hx[0].array}
    if kind is nn.LSTM:
        feeds["input_2"] = hx[1].array
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, feeds)
    with sn.no_grad():
        output, final = module(*args)
    for g, w in zip(got, [output, *(final if kind is nn.LSTM else (final,))]):
        np.testing.assert_allclose(g, w.array, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_recurrent_cells_export_with_and_without_a_state(kind, tmp_path):
    """A cell without ``hx`` makes its zero state from the run's batch size (batches 1 and 5 of an
    export on 2); with a state given, unbatched ``(in,)`` inputs too."""
    cell = kind(3, 4)
    states = 2 if kind is nn.LSTMCell else 1
    names = ["h", "c"][:states]
    path = tmp_path / "cell.onnx"
    sn.onnx.export(cell, np.zeros((2, 3), np.float32), path, input_names=["x"], output_names=names,
                   dynamic_axes={name: {0: "batch"} for name in ["x", *names]})
    checked(path)
    for batch in (1, 5):
        x = rng.normal(size=(batch, 3)).astype(np.float32)
        with sn.no_grad():
            want = cell(sn.Tensor(x))
        for got, w in zip(run_onnx(path, x=x), want if states == 2 else (want,)):
            np.testing.assert_allclose(got, w.array, rtol=RTOL, atol=ATOL)
    hx = tuple(sn.Tensor(rng.normal(size=(4,)).astype(np.float32)) for _ in range(states))
    x = sn.Tensor(rng.normal(size=(3,)).astype(np.float32))
    args = (x, hx if states == 2 else hx[0])
    sn.onnx.export(cell, args, path)
    feeds = {f"input_{i}": t.array for i, t in enumerate((x, *hx))}
    with sn.no_grad():
        want = cell(*args)
    for got, w in zip(run_onnx(path, **feeds), want if states == 2 else (want,)):
        np.testing.assert_allclose(got, w.array, rtol=RTOL, atol=ATOL)


class Classifier(nn.Module):
    """An LSTM over a batch-first sequence, its last step through a linear layer (indexing)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 6, batch_first=True)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        output, _ = self.lstm(x)
        return self.head(output[:, -1])


def test_lstm_classifier_takes_the_last_step(tmp_path):
    export_and_compare(Classifier(), (2, 7, 3), [1, 4], tmp_path, ["LSTM", "Slice", "Gemm"])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_seed_models_export_with_a_dynamic_batch(name, tmp_path):
    shape = (28, 28) if name == "mlp" else (28, 28, 1)
    model = MODELS[name](shape, 10)
    randomize_batch_norms(model)
    path = tmp_path / f"{name}.onnx"
    model.export(path, format="onnx")
    graph = checked(path).graph
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    for batch in (1, 9):
        x = rng.random((batch, *shape), dtype=np.float32)
        (got,) = run_onnx(path, input=x)
        np.testing.assert_allclose(got, model.predict(x), rtol=RTOL, atol=ATOL)


def benchmark_models():
    """The seed workloads written with ``scratchnet.nn`` (benchmarks/scratchnet_models.py)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "scratchnet_models.py"
    spec = importlib.util.spec_from_file_location("scratchnet_models_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["mlp", "cnn", "bncnn"])
def test_seed_workloads_in_nn_export_with_a_dynamic_batch(name, tmp_path):
    model = getattr(benchmark_models(), name)()
    randomize_batch_norms(model)
    shape = (2, 28, 28) if name == "mlp" else (2, 1, 28, 28)
    export_and_compare(model, shape, [1, 7], tmp_path, ["Gemm"],
                       sample=lambda s: rng.random(s, dtype=np.float32))


def test_keras_layers_channels_last(tmp_path):
    model = keras.Sequential([
        keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", input_shape=(9, 8, 2)),
        keras.layers.BatchNormalization(),
        keras.layers.MaxPooling2D(2, strides=1, padding="same"),
        keras.layers.AveragePooling2D(3, strides=2, padding="same"),
        keras.layers.LeakyReLU(0.1),
        keras.layers.Reshape((-1, 4)),
        keras.layers.Dense(5, activation="tanh"),
        keras.layers.GlobalAveragePooling1D() if hasattr(keras.layers, "GlobalAveragePooling1D")
        else keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.ReLU(max_value=0.5),
        keras.layers.Dense(3, activation="softmax"),
    ])
    randomize_batch_norms(model)
    path = tmp_path / "keras.onnx"
    model.export(path, format="onnx")
    expected = {"Conv", "Pad", "MaxPool", "AveragePool", "BatchNormalization", "Softmax", "Clip"}
    assert expected <= op_types(checked(path))
    for batch in (1, 6):
        x = rng.normal(size=(batch, 9, 8, 2)).astype(np.float32)
        np.testing.assert_allclose(run_onnx(path, input=x)[0], model.predict(x), rtol=RTOL, atol=ATOL)


def test_keras_global_average_pooling(tmp_path):
    model = keras.Sequential([keras.layers.Conv2D(3, 3, input_shape=(6, 6, 2)),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    model.export(tmp_path / "gap.onnx", format="onnx", input_signature=(None, 6, 6, 2))
    x = rng.normal(size=(4, 6, 6, 2)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(tmp_path / "gap.onnx", input=x)[0], model.predict(x),
                               rtol=RTOL, atol=ATOL)


def test_keras_export_errors(tmp_path):
    model = MODELS["mlp"]((28, 28), 10)
    with pytest.raises(ValueError, match="format 'tf_saved_model' is not supported"):
        model.export(tmp_path / "m")
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="has not been built"):
        unbuilt.export(tmp_path / "m.onnx", format="onnx")
    with pytest.raises(ValueError, match="input_signature"):
        unbuilt.export(tmp_path / "m.onnx", format="onnx", input_signature="bad")
    assert not (tmp_path / "m.onnx").exists()


class Custom(Function):
    """An op without an ONNX converter."""

    def forward(self, x):
        return x * 2


class UsesCustom(nn.Module):
    def forward(self, x):
        return Custom()(x)


def test_unsupported_op_is_named_and_nothing_is_written(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old")
    with pytest.raises(sn.onnx.UnsupportedOperatorError, match="'Custom'.*test_onnx_export.Custom"):
        sn.onnx.export(UsesCustom(), np.ones((2, 3), np.float32), path)
    assert path.read_bytes() == b"old"


def test_a_fused_cell_step_outside_its_layer_is_a_named_unsupported_op(tmp_path):
    """The layers export whole; their fused step Function alone has no converter."""
    from scratchnet.functional.recurrent import lstm_cell

    class Step(nn.Module):
        def forward(self, x):
            weight = sn.Tensor(np.ones((8, 2), np.float32))
            return lstm_cell(x, (x[:, :2], x[:, :2]), weight, None)[0]

    expected = r"'LSTMCell' \(scratchnet.functional.recurrent"
    with pytest.raises(sn.onnx.UnsupportedOperatorError, match=expected):
        sn.onnx.export(Step(), np.ones((2, 8), np.float32), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_values_computed_outside_recorded_ops_are_not_frozen(tmp_path):
    class Masks(nn.Module):
        def forward(self, x):
            return x * (x > 0)  # the comparison is not a recorded op

    class Branches(nn.Module):
        def forward(self, x):
            return sn.exp(x) if float(x.array.max()) == 1.0 else sn.tanh(x)  # true for the example only

    x = np.ones((2, 3), np.float32)
    with pytest.raises(sn.onnx.UnsupportedOperatorError, match="changes with the input's values"):
        sn.onnx.export(Masks(), x, tmp_path / "m.onnx")
    with pytest.raises(sn.onnx.UnsupportedOperatorError, match="other ops for other input values"):
        sn.onnx.export(Branches(), x, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_advanced_indexing_is_unsupported(tmp_path):
    class Picks(nn.Module):
        def forward(self, x):
            return x[:, [0, 2]]

    with pytest.raises(sn.onnx.UnsupportedOperatorError, match="indexing with ndarray items"):
        sn.onnx.export(Picks(), np.ones((2, 3), np.float32), tmp_path / "m.onnx")


def test_bad_arguments_are_clear_errors(tmp_path):
    module, x, path = nn.Linear(3, 2), np.ones((2, 3), np.float32), tmp_path / "m.onnx"
    with pytest.raises(ValueError, match="opset_version must be an integer from 13"):
        sn.onnx.export(module, x, path, opset_version=7)
    with pytest.raises(ValueError, match="dynamic_axes names 'z'"):
        sn.onnx.export(module, x, path, dynamic_axes={"z": [0]})
    with pytest.raises(ValueError, match="input_names must be 1 distinct"):
        sn.onnx.export(module, x, path, input_names=["a", "b"])
    with pytest.raises(ValueError, match="input and output names must differ"):
        sn.onnx.export(module, x, path, input_names=["a"], output_names=["a"])
    with pytest.raises(ValueError, match="dynamic axis 2 of 'input' is out of range"):
        sn.onnx.export(module, x, path, dynamic_axes={"input": [2]})
    with pytest.raises(TypeError, match="must be a scratchnet Module"):
        sn.onnx.export(lambda v: v, x, path)
    with pytest.raises(TypeError, match="f must be a path or a binary file"):
        sn.onnx.export(module, x, 42)
    assert not path.exists()


def test_list_dynamic_axes_file_object_opsets_and_training_mode_restored(tmp_path):
    module = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.GELU(), nn.Dropout(0.2))
    randomize_batch_norms(module)
    module.train()
    module[1].eval()  # mixed modes come back as they were
    for opset in (13, sn.onnx.DEFAULT_OPSET, 18, 20):  # Gelu is a node of its own from opset 20
        buffer = io.BytesIO()
        proto = sn.onnx.export(module, np.ones((2, 3), np.float32), buffer, dynamic_axes={"input": [0],
                               "output": [0]}, opset_version=opset)
        assert [m.training for m in module] == [True, False, True, True]
        assert proto.opset_import[0].version == opset
        path = tmp_path / f"m{opset}.onnx"
        path.write_bytes(buffer.getvalue())
        assert checked(path).graph.input[0].type.tensor_type.shape.dim[0].dim_param == "input_dynamic_axes_1"
        x = rng.normal(size=(7, 3)).astype(np.float32)
        module.eval()
        with sn.no_grad():
            want = module(sn.Tensor(x)).array
        module.train()
        module[1].eval()
        np.testing.assert_allclose(run_onnx(path, input=x)[0], want, rtol=RTOL, atol=ATOL)


def test_output_that_is_the_input_and_repeated_outputs(tmp_path):
    class Twice(nn.Module):
        def forward(self, x):
            y = sn.relu(x)
            return x, y, y

    path = tmp_path / "m.onnx"
    sn.onnx.export(Twice(), np.ones((2, 3), np.float32), path)
    x = rng.normal(size=(2, 3)).astype(np.float32)
    a, b, c = run_onnx(path, input=x)
    np.testing.assert_array_equal(a, x)
    np.testing.assert_array_equal(b, np.maximum(x, 0))
    np.testing.assert_array_equal(c, b)


def test_missing_onnx_package_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'scratchnet\[onnx\]'"):
        sn.onnx.export(nn.Linear(2, 2), np.ones((1, 2), np.float32), tmp_path / "m.onnx")


@pytest.fixture(scope="module")
def xor_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    assert cli.main(["train", "--model", "mlp", "--dataset", "xor", "--epochs", "2", "--out", str(out)]) == 0
    return out


def test_cli_export_writes_run_model_onnx(xor_run, capsys):
    assert cli.main(["export", str(xor_run), "--format", "onnx"]) == 0
    assert f"wrote {xor_run / 'model.onnx'}" in capsys.readouterr().out
    checked(xor_run / "model.onnx")
    model = keras.models.load_model(xor_run / "model.safetensors")
    x = rng.random((5, *json.loads((xor_run / "run.json").read_text()).get("input_shape", [2])),
                   dtype=np.float32)
    np.testing.assert_allclose(run_onnx(xor_run / "model.onnx", input=x)[0], model.predict(x),
                               rtol=RTOL, atol=ATOL)


def test_cli_export_errors_are_one_line(tmp_path, xor_run, monkeypatch, capsys):
    assert cli.main(["export", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("scratchnet export: ") and "\n" not in error and "not a run folder" in error
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert cli.main(["export", str(xor_run)]) == 2
    assert "pip install 'scratchnet[onnx]'" in capsys.readouterr().err


def smallest_size(model, channels, largest=224):
    """The smallest square input side ``model`` accepts (bisection on a batch-of-one forward; a
    too small input is a ValueError naming the layer)."""
    low, high = 0, largest  # low fails (or is 0), high works
    while high - low > 1:
        middle = (low + high) // 2
        try:
            with sn.no_grad():
                model(sn.zeros(1, channels, middle, middle))
            high = middle
        except ValueError:
            low = middle
    return high


def small_random_weights(model):
    """Every weight set to small random values fast: windows of one pool of normal draws (no
    138 M fresh draws for VGG16), scaled by 1/√fan_in; batch norms as ``randomize_batch_norms``."""
    pool = rng.standard_normal(1 << 20).astype(np.float32)
    for tensor in model.parameters():
        if tensor.ndim >= 2:
            fan_in = int(np.prod(tensor.shape[1:]))
            start = int(rng.integers(len(pool) // 2))
            tensor.array[...] = np.resize(pool[start:], tensor.shape) / np.float32(np.sqrt(fan_in))
    randomize_batch_norms(model)


@pytest.mark.parametrize("name", sorted(VISION_MODELS))
def test_every_vision_model_exports_with_a_dynamic_batch(name, tmp_path, monkeypatch):
    """Each of scratchnet.models' conv nets (the registry, so a new one is covered) at its default
    configuration and the smallest input it accepts: ONNX Runtime equals scratchnet at batches 1 and 3
    of an export made on a batch of 2."""
    monkeypatch.setattr(sn.backend, "generator", lambda: _NoDraws())
    model = VISION_MODELS[name]()
    monkeypatch.undo()
    small_random_weights(model)
    model.eval()
    channels = next(m for m in model.modules() if isinstance(m, nn.Conv2d)).in_channels
    size = smallest_size(model, channels)
    export_and_compare(model, (2, channels, size, size), [1, 3], tmp_path, ["Conv", "Gemm"])


def test_adaptive_pooling_to_a_size_that_does_not_divide_the_input_exports(tmp_path):
    from scratchnet.models.vgg import VGG, make_layers

    model = VGG(make_layers([4, "M"], True, 2), num_classes=3, pool_size=7, hidden=8)  # 5x5 -> 7x7
    randomize_batch_norms(model)
    export_and_compare(model, (2, 2, 10, 10), [1, 4], tmp_path, ["MatMul"])
