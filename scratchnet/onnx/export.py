"""``export``: a model as an ONNX file, built from one recorded forward pass (as onnx-chainer did).

The model runs once in eval mode on the example inputs while ``record_calls`` records every
Function applied (layers in ``CONVERTERS``, such as ``nn.LSTM``, are recorded whole); each call is
converted to ONNX nodes, the parameters and buffers become initializers under their state-dict
names, and ``onnx.checker.check_model(full_check=True)`` checks the result before it is written.

A recorded pass sees values, not code: a value the model derives from its input outside the
recorded ops (a comparison, ``.array`` arithmetic) would be frozen as a constant, and Python
control flow on the input's values would be frozen to one branch. So the model is recorded a
second time on other input values, and export refuses a model whose nodes or constants change.
"""

from __future__ import annotations

import io
import os
from typing import Any

from scratchnet.autograd.config import no_grad
from scratchnet.autograd.tensor import Tensor
from scratchnet.autograd.trace import Call, record_calls
from scratchnet.backend import xp
from scratchnet.nn.module import Module
from scratchnet.onnx import cells, local_response_norm, recurrent, resize  # noqa: F401 - whole-layer converters
from scratchnet.onnx.converters import CONVERTERS, converter_for
from scratchnet.onnx.graph import GraphBuilder, UnsupportedOperatorError
from scratchnet.serialization.atomic import atomic_write

DEFAULT_OPSET = 17
"""The opset written when none is asked for (supported by ONNX Runtime, TensorRT and OpenVINO)."""
MIN_OPSET = 13
"""The oldest opset the converters can write (axes of Squeeze/Unsqueeze/ReduceSum as inputs)."""

DynamicAxes = dict[str, Any]


def _require_onnx() -> Any:
    try:
        import onnx
    except ImportError as error:
        raise ImportError("ONNX export needs the onnx package: pip install 'scratchnet[onnx]'") from error
    return onnx


def export(model: Module, args: Any, f: Any, input_names: list[str] | None = None,
           output_names: list[str] | None = None, dynamic_axes: DynamicAxes | None = None,
           opset_version: int | None = None) -> Any:
    """Write ``model`` as an ONNX model to ``f`` (a path or a binary file), as ``torch.onnx.export``.

    ``args`` is the example input (a Tensor or array) or a tuple of them; the model runs once on it
    in eval mode (its mode is restored afterwards). ``input_names`` / ``output_names`` name the
    graph's inputs and outputs (default ``input``/``output``, numbered when there are several);
    ``dynamic_axes`` maps such a name to the axes of variable size, ``{name: [0]}`` or
    ``{name: {0: 'batch'}}``; the other axes keep the example's sizes. Returns the checked
    ``onnx.ModelProto``. An op without a converter raises ``UnsupportedOperatorError`` naming it,
    as does a model whose graph depends on its input's values (see the module docstring).
    """
    onnx = _require_onnx()
    opset = _check_opset(onnx, DEFAULT_OPSET if opset_version is None else opset_version)
    if not isinstance(model, Module):
        raise TypeError(f"export: model must be a scratchnet Module, got {type(model).__name__}")
    arguments = _input_tensors(args)
    settings = (input_names, output_names, dynamic_axes)
    proto = _recorded_model(onnx, opset, model, arguments, *settings)
    probe = _recorded_model(onnx, opset, model, _other_values(arguments), *settings, probe=True)
    _check_values_do_not_matter(onnx, proto, probe, set(_parameter_names(model).values()))
    data = proto.SerializeToString()  # once, for the checker and the file
    onnx.checker.check_model(data, full_check=True)
    _write(data, f)
    return proto


def _recorded_model(onnx: Any, opset: int, model: Module, arguments: tuple[Any, ...],
                    input_names: list[str] | None, output_names: list[str] | None,
                    dynamic_axes: DynamicAxes | None, probe: bool = False) -> Any:
    """The ONNX model of one recorded pass of ``model`` on ``arguments``; a ``probe`` (a graph only
    compared, never run or written) holds its parameters as empty placeholders."""
    calls, outputs = _trace(model, arguments)
    inputs = _tensors(arguments)
    input_names, output_names = _io_names(input_names, output_names, len(inputs), len(outputs))
    axes = _dynamic_axes(dynamic_axes, input_names + output_names)
    return _model_proto(onnx, opset, _parameter_names(model), calls, (inputs, input_names),
                        (outputs, output_names), axes, probe)


def _other_values(arguments: Any) -> Any:
    """Inputs of the same shapes and dtypes with other values: standard normal floats, integers
    (indices) rolled by one place so that they stay valid."""
    if isinstance(arguments, tuple):
        return tuple(_other_values(item) for item in arguments)
    array = arguments.array
    if array.dtype.kind == "f":
        other = xp.random.default_rng(0).standard_normal(array.shape).astype(array.dtype)
    else:
        other = xp.roll(array.reshape(-1), 1).reshape(array.shape)
    return Tensor.wrap(other)


def _check_values_do_not_matter(onnx: Any, proto: Any, probe: Any, parameters: set[str]) -> None:
    """Raise unless the graph recorded on other input values (``probe``) is the same: same nodes,
    same constants other than the model's ``parameters`` (which no input changes). A constant that
    changed was computed from the input outside the recorded ops and would be frozen in the file."""
    same_nodes = [n.op_type for n in proto.graph.node] == [n.op_type for n in probe.graph.node]
    if not same_nodes or len(proto.graph.initializer) != len(probe.graph.initializer):
        raise UnsupportedOperatorError(
            "ONNX export: the model runs other ops for other input values (Python control flow on "
            "the values), which one recorded pass cannot export")
    for recorded, other in zip(proto.graph.initializer, probe.graph.initializer):
        if recorded.name in parameters and other.name == recorded.name:
            continue
        a, b = onnx.numpy_helper.to_array(recorded), onnx.numpy_helper.to_array(other)
        if not xp.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
            raise UnsupportedOperatorError(
                f"ONNX export: the constant '{recorded.name}' changes with the input's values: the model "
                "computes it from the input outside the recorded ops (a comparison, argmax or arithmetic "
                "on .array), so ONNX would freeze it")


def _check_opset(onnx: Any, opset: int) -> int:
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"export: opset_version must be an integer from {MIN_OPSET} to {newest} "
                         f"(the installed onnx's newest), got {opset!r}")
    return opset


def _input_tensors(args: Any) -> tuple[Any, ...]:
    """The example arguments (a tuple of them, or one) with every array as a Tensor; tuples
    inside (an LSTM's ``(h_0, c_0)``) are kept as tuples."""
    values = args if isinstance(args, tuple) else (args,)
    if not values:
        raise ValueError("export: args must hold at least one example input")
    return tuple(_as_input(value) for value in values)


def _as_input(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_as_input(item) for item in value)
    if isinstance(value, Tensor):
        return value
    if not isinstance(value, (xp.ndarray, list)):
        raise TypeError(f"export: each example input must be a Tensor or an array, "
                        f"got {type(value).__name__}")
    return Tensor(xp.asarray(value))


def _trace(model: Module, inputs: tuple[Any, ...]) -> tuple[list[Call], tuple[Tensor, ...]]:
    """Run ``model`` once in eval mode, recording its calls; returns them and the output Tensors.
    Each module's own mode is restored afterwards."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with record_calls() as recorder, no_grad():
            handles = _record_whole_layers(model, recorder)
            try:
                result = model(*inputs)
            finally:
                for handle in handles:
                    handle.remove()
    finally:
        for module, mode in modes:
            object.__setattr__(module, "training", mode)
    outputs = _tensors(result)
    if not outputs:
        raise ValueError(f"export: the model returned no Tensor (got {type(result).__name__})")
    return recorder.calls, outputs


def _record_whole_layers(model: Module, recorder: record_calls) -> list[Any]:
    """Hooks that record each layer with a converter of its own as one call (nothing inside it)."""
    def enter(module: Module, args: Any) -> None:
        recorder.pause()

    def leave(module: Module, args: Any, output: Any) -> None:
        recorder.resume()
        recorder.add(module, _tensors(args), _tensors(output))

    handles = []
    for module in model.modules():
        if type(module) in CONVERTERS:
            handles += [module.register_forward_pre_hook(enter), module.register_forward_hook(leave)]
    return handles


def _tensors(value: Any) -> tuple[Tensor, ...]:
    """The Tensors in ``value`` (a Tensor, or nested tuples and lists), in order."""
    if isinstance(value, Tensor):
        return (value,)
    if isinstance(value, (tuple, list)):
        return tuple(t for item in value for t in _tensors(item))
    return ()


def _io_names(input_names: list[str] | None, output_names: list[str] | None, inputs: int,
              outputs: int) -> tuple[list[str], list[str]]:
    """The graph's input and output names: given (checked) or ``input``/``output`` numbered."""
    input_names = _names(input_names, inputs, "input", "input_names")
    output_names = _names(output_names, outputs, "output", "output_names")
    if set(input_names) & set(output_names):
        raise ValueError(f"export: input and output names must differ, got {input_names} and {output_names}")
    return input_names, output_names


def _names(names: list[str] | None, count: int, default: str, argument: str) -> list[str]:
    if names is None:
        return [default] if count == 1 else [f"{default}_{i}" for i in range(count)]
    names = list(names)
    if len(names) != count or len(set(names)) != count or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"export: {argument} must be {count} distinct non-empty names, got {names!r}")
    return names


def _dynamic_axes(dynamic_axes: DynamicAxes | None, known: list[str]) -> dict[str, dict[int, str]]:
    """``{name: {axis: dimension name}}`` from PyTorch's two spellings (a list of axes gets names
    ``<name>_dynamic_axes_<k>``)."""
    result: dict[str, dict[int, str]] = {}
    for name, axes in (dynamic_axes or {}).items():
        if name not in known:
            raise ValueError(f"export: dynamic_axes names {name!r}, which is not an input or output name "
                             f"(those are {known})")
        if isinstance(axes, dict):
            result[name] = {int(axis): str(label) for axis, label in axes.items()}
        else:
            result[name] = {int(axis): f"{name}_dynamic_axes_{k + 1}" for k, axis in enumerate(axes)}
    return result


def _parameter_names(model: Module) -> dict[int, str]:
    """id of every parameter and buffer (and of its array) -> its state-dict name."""
    names: dict[int, str] = {}
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        names.setdefault(id(tensor), name)
        names.setdefault(id(tensor.array), name)
    return names


def _needed(calls: list[Call], outputs: tuple[Tensor, ...]) -> list[Call]:
    """The calls the outputs depend on, in order."""
    wanted = {id(t) for t in outputs}
    kept = []
    for call in reversed(calls):
        if any(id(y) in wanted for y in call.outputs):
            kept.append(call)
            wanted.update(id(x) for x in call.inputs)
    return kept[::-1]


def _value_info(onnx: Any, name: str, tensor: Tensor, axes: dict[str, dict[int, str]]) -> Any:
    dynamic = axes.get(name, {})
    for axis in dynamic:
        if not -tensor.ndim <= axis < tensor.ndim:
            raise ValueError(f"export: dynamic axis {axis} of {name!r} is out of range for its shape "
                             f"{tensor.shape}")
    dynamic = {axis % tensor.ndim: label for axis, label in dynamic.items()}
    shape = [dynamic.get(axis, size) for axis, size in enumerate(tensor.shape)]
    return onnx.helper.make_tensor_value_info(name, onnx.helper.np_dtype_to_tensor_dtype(tensor.dtype), shape)


def _model_proto(onnx: Any, opset: int, parameter_names: dict[int, str], calls: list[Call],
                 inputs: tuple[tuple[Tensor, ...], list[str]], outputs: tuple[tuple[Tensor, ...], list[str]],
                 axes: dict[str, dict[int, str]], probe: bool = False) -> Any:
    """The ONNX model of the recorded calls, from the named inputs to the named outputs (a
    ``probe``'s parameters are empty placeholders)."""
    g = GraphBuilder(onnx, opset, parameter_names, parameter_placeholders=probe)
    for tensor, name in zip(*inputs):
        g.bind(tensor, name)
    output_of = {}  # id(output Tensor) -> graph output name, for the first call making it
    for tensor, name in zip(*outputs):
        output_of.setdefault(id(tensor), name)
        g.fresh(name)
    for call in _needed(calls, outputs[0]):
        in_names = [g.value(x) for x in call.inputs]
        out_names = [output_of.pop(id(y), None) or g.fresh(type(call.op).__name__.lower())
                     for y in call.outputs]
        converter_for(call.op)(g, call, in_names, out_names)
        for y, name in zip(call.outputs, out_names):
            g.bind(y, name)
    for tensor, name in zip(*outputs):  # outputs no node made (an input, a parameter, a repeat)
        if id(tensor) in output_of or g.value(tensor) != name:
            g.node("Identity", [g.value(tensor)], [name])
    graph = onnx.helper.make_graph(
        g.nodes, "scratchnet", [_value_info(onnx, n, t, axes) for t, n in zip(*inputs)],
        [_value_info(onnx, n, t, axes) for t, n in zip(*outputs)], g.initializers)
    opsets = [onnx.helper.make_opsetid("", opset)]
    return onnx.helper.make_model(graph, opset_imports=opsets, producer_name="scratchnet",
                                  ir_version=onnx.helper.find_min_ir_version_for(opsets, True))


def _write(data: bytes, f: Any) -> None:
    """Write the serialised model to a path (atomically: the old file stays whole if anything fails)
    or a binary file."""
    if isinstance(f, (str, os.PathLike)):
        atomic_write(f, lambda file: file.write(data))
    elif isinstance(f, io.IOBase) or hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(f"export: f must be a path or a binary file, got {type(f).__name__}")
