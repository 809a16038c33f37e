"""record_calls: the forward ops of a block, in order, with their inputs and outputs."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import nn
from scratchnet.autograd.function import Function
from scratchnet.autograd.profiler import profile
from scratchnet.autograd.trace import record_calls
from scratchnet.functional.linear import Linear
from scratchnet.ops.elementwise import ReLU


def test_records_each_function_with_its_tensors_in_order():
    layer = nn.Linear(3, 2)
    x = sn.tensor(np.ones((4, 3), np.float32))
    with record_calls() as calls, sn.no_grad():
        h = layer(x)
        y = sn.relu(h)
    assert [type(call.op) for call in calls] == [Linear, ReLU]
    first, second = calls.calls
    assert first.inputs[0] is x and first.inputs[1] is layer.weight and first.outputs == (h,)
    assert second.inputs == (h,) and second.outputs[0] is y
    np.testing.assert_array_equal(y.array, np.maximum(x.array @ layer.weight.array.T + layer.bias.array, 0))


def test_backward_steps_are_not_recorded_and_the_call_is_restored():
    plain = Function.__call__
    x = sn.tensor([1.0, -2.0], requires_grad=True)
    with record_calls() as calls:
        (x * x).sum().backward()
    assert [type(call.op).__name__ for call in calls] == ["Mul", "Sum"]
    assert Function.__call__ is plain
    np.testing.assert_array_equal(x.grad.array, [2.0, -4.0])


def test_pause_add_nesting_and_profiles():
    x = sn.tensor([1.0, 2.0])
    with record_calls() as calls:
        calls.pause()
        y = x + 1
        calls.resume()
        calls.add("whole layer", (x,), (y,))
        with pytest.raises(RuntimeError, match="do not nest"):
            with record_calls():
                pass
        with profile() as prof:
            z = y * 2
    assert [call.op for call in calls][0] == "whole layer" and type(calls.calls[1].op).__name__ == "Mul"
    assert prof.totals()[0].name == "Mul" and z.array.tolist() == [4.0, 6.0]
    with record_calls() as again:  # usable again after the failed nesting
        sn.exp(x)
    assert len(again.calls) == 1
