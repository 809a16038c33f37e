"""The op profiler: what it counts, where it puts the time (checked with a fake clock, never
against real durations), and that it leaves ops untouched outside its ``with`` block."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import nn
from scratchnet.autograd import profiler
from scratchnet.autograd.function import Function
from scratchnet.autograd.profiler import profile


class FakeClock:
    """A clock that moves only when a test op says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(profiler, "_clock", fake)
    return fake


def make_slow(clock: FakeClock, forward_cost: float, backward_cost: float) -> type[Function]:
    """y = 2x, advancing the fake clock by the given costs in its forward and backward."""

    class Slow(Function):
        def forward(self, x: np.ndarray) -> np.ndarray:
            clock.now += forward_cost
            return 2 * x

        def backward(self, gy: np.ndarray) -> np.ndarray:
            clock.now += backward_cost
            return sn.exp(gy) * 0 + 2 * gy  # ops inside a backward belong to it

    return Slow


def by_name(prof: profile) -> dict[str, profiler.OpTimes]:
    return {entry.label: entry for entry in prof.totals()}


def test_each_op_is_counted_once_forward_and_once_backward() -> None:
    x, w = sn.randn(3, 4, requires_grad=True), sn.randn(4, 2, requires_grad=True)
    with profile() as prof:
        sn.relu(x @ w).sum().backward()
    ops = by_name(prof)
    assert set(ops) == {"MatMul", "ReLU", "Sum"}
    assert all((entry.calls, entry.backward_calls) == (1, 1) for entry in ops.values())


def test_time_goes_to_the_op_that_spent_it(clock: FakeClock) -> None:
    slow = make_slow(clock, forward_cost=5.0, backward_cost=7.0)
    x = sn.randn(3, requires_grad=True)
    with profile() as prof:
        slow()(x).sum().backward()
    ops = by_name(prof)
    assert (ops["Slow"].forward_seconds, ops["Slow"].backward_seconds) == (5.0, 7.0)
    assert ops["Sum"].total_seconds == 0.0
    assert set(ops) == {"Slow", "Sum"}  # the Exp, Mul and Add of Slow's backward are not rows
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 2.0, np.float32))


def test_ops_recorded_by_a_create_graph_backward_count_in_that_backward() -> None:
    x = sn.tensor([0.5, -1.0], requires_grad=True)
    with profile() as prof:
        sn.exp(x).sum().backward(create_graph=True)
    ops = by_name(prof)
    assert set(ops) == {"Exp", "Sum"}
    assert ops["Exp"].backward_calls == 1
    assert x.grad.requires_grad  # the backward was recorded all the same
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, -1.0]), rtol=1e-6)


def test_record_shapes_tells_layers_apart() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with profile(record_shapes=True) as prof:
        model(sn.randn(5, 4)).sum().backward()
    labels = {entry.label for entry in prof.totals() if entry.name == "Linear"}
    assert labels == {"Linear (5, 4) (3, 4) (3,)", "Linear (5, 3) (2, 3) (2,)"}


def test_forward_without_grad_is_timed_with_no_backward() -> None:
    model = nn.Linear(4, 3)
    with profile() as prof, sn.no_grad():
        model(sn.randn(2, 4))
    (entry,) = prof.totals()
    assert (entry.name, entry.calls, entry.backward_calls) == ("Linear", 1, 0)


def test_table_is_per_step_largest_first_with_a_total(clock: FakeClock) -> None:
    cheap, dear = make_slow(clock, 0.002, 0.004), make_slow(clock, 0.010, 0.030)
    dear.__name__ = "Dear"
    x = sn.randn(3, requires_grad=True)
    with profile() as prof:
        for _ in range(2):
            (cheap()(x) + dear()(x)).sum().backward()
    lines = prof.table(steps=2).splitlines()
    assert lines[0].split() == ["op", "calls", "forward", "ms", "backward", "ms", "total", "ms", "share"]
    assert [line.split()[0] for line in lines[1:]] == ["Dear", "Slow", "Add", "Sum", "total"]
    assert lines[1].split()[1:] == ["1", "10.000", "30.000", "40.000", "87.0%"]
    assert lines[-1].split()[1:] == ["12.000", "34.000", "46.000"]
    assert len(prof.table(row_limit=1).splitlines()) == 3  # header, the largest row, the total


def test_ops_in_the_order_they_first_ran_and_a_bad_sort_key(clock: FakeClock) -> None:
    x = sn.randn(3, requires_grad=True)
    with profile() as prof:
        sn.relu(make_slow(clock, 1.0, 1.0)()(sn.exp(x))).sum().backward()
    assert [entry.name for entry in prof.totals(sort_by=None)] == ["Exp", "Slow", "ReLU", "Sum"]
    assert [entry.name for entry in prof.totals()][0] == "Slow"
    with pytest.raises(ValueError, match="sort_by must be"):
        prof.totals(sort_by="calls")


def test_an_empty_profile_has_a_zero_total() -> None:
    with profile() as prof:
        pass
    assert prof.table().splitlines()[-1].split() == ["total", "0.000", "0.000", "0.000"]


def test_the_plain_call_is_back_after_the_block_even_after_an_error() -> None:
    plain = Function.__call__
    with pytest.raises(KeyError), profile():
        assert Function.__call__ is not plain
        raise KeyError("inside")
    assert Function.__call__ is plain and profiler.recording() is None


def test_profiles_do_not_nest() -> None:
    plain = Function.__call__
    with profile(), pytest.raises(RuntimeError, match="do not nest"), profile():
        pass
    assert Function.__call__ is plain and profiler.recording() is None
