"""RNN, LSTM and GRU against torch.nn: outputs, final states, input/state/parameter gradients."""

from __future__ import annotations

import numpy as np
import pytest

import scratchnet as sn
from scratchnet import nn
from tests.reference import check_gradients, torch_or_skip
from tests.test_nn_layers import randn, run_both

CONFIGS = [
    dict(num_layers=1),
    dict(num_layers=2),
    dict(num_layers=3, batch_first=True),
    dict(num_layers=2, bias=False),
]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_recurrent_matches_pytorch(name, config):
    torch = torch_or_skip()
    ours, theirs = getattr(nn, name)(3, 5, **config), getattr(torch.nn, name)(3, 5, **config)
    x = randn(2, 4, 3) if config.get("batch_first") else randn(4, 2, 3)
    run_both(ours, theirs, x)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_recurrent_with_initial_state(name):
    torch = torch_or_skip()
    ours, theirs = getattr(nn, name)(3, 4, num_layers=2), getattr(torch.nn, name)(3, 4, num_layers=2)
    state = (randn(2, 2, 4, seed=1), randn(2, 2, 4, seed=2)) if name == "LSTM" else randn(2, 2, 4, seed=1)
    run_both(ours, theirs, randn(5, 2, 3), state)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_sequence(name):
    torch = torch_or_skip()
    run_both(getattr(nn, name)(3, 4), getattr(torch.nn, name)(3, 4), randn(6, 3))


def test_relu_rnn():
    torch = torch_or_skip()
    run_both(nn.RNN(3, 4, nonlinearity="relu", num_layers=2, batch_first=True),
             torch.nn.RNN(3, 4, nonlinearity="relu", num_layers=2, batch_first=True), randn(2, 5, 3))


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_parameter_names_and_shapes_equal_pytorch(name):
    torch = torch_or_skip()
    ours, theirs = getattr(nn, name)(3, 4, num_layers=2), getattr(torch.nn, name)(3, 4, num_layers=2)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


@pytest.mark.parametrize("name", ["GRU", "LSTM"])
def test_gradients_match_finite_differences_in_float64(name):
    layer = getattr(nn, name)(2, 3).double()

    def output_of(x, weight_hh):
        layer._parameters["weight_hh_l0"] = weight_hh  # differentiate with respect to this tensor
        out, state = layer(x)
        final = state[1] if name == "LSTM" else state
        return out.sum(axis=2) + final.sum()

    check_gradients(output_of, randn(3, 2, 2).astype(np.float64), layer.weight_hh_l0.numpy().copy())


def test_state_shape_and_input_shape_errors():
    lstm = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM\(3, 4, num_layers=2\): expected input \(T, N, 3\)"):
        lstm(np.zeros((5, 2, 4), np.float32))
    with pytest.raises(ValueError, match=r"initial state of shape \(2, 2, 4\)"):
        lstm(np.zeros((5, 2, 3), np.float32), (np.zeros((1, 2, 4)), np.zeros((1, 2, 4))))
    out, (h, c) = lstm(np.zeros((5, 2, 3)))
    assert out.shape == (5, 2, 4) and h.shape == c.shape == (2, 2, 4) and out.dtype == np.float32


def test_dropout_between_layers_only_in_training():
    gru = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = randn(4, 2, 3)
    gru.eval()
    first, _ = gru(x)
    second, _ = gru(x)
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    gru.train()
    sn.manual_seed(0)
    trained, _ = gru(x)
    assert not np.allclose(trained.numpy(), first.numpy())


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_pytorch(name, bias):
    """Outputs, input/state/parameter gradients, with and without an initial state, unbatched."""
    torch = torch_or_skip()
    ours, theirs = getattr(nn, name)(3, 5, bias=bias), getattr(torch.nn, name)(3, 5, bias=bias)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    run_both(ours, theirs, randn(4, 3))
    state = (randn(4, 5, seed=1), randn(4, 5, seed=2)) if name == "LSTMCell" else randn(4, 5, seed=1)
    run_both(ours, theirs, randn(4, 3), state)
    single = (randn(5, seed=1), randn(5, seed=2)) if name == "LSTMCell" else randn(5, seed=1)
    run_both(ours, theirs, randn(3), single)


def test_rnn_cell_relu_and_initialisation_and_bad_state():
    torch = torch_or_skip()
    run_both(nn.RNNCell(3, 4, nonlinearity="relu"), torch.nn.RNNCell(3, 4, nonlinearity="relu"), randn(2, 3))
    cell = nn.LSTMCell(3, 16)
    assert (cell.weight_ih.shape, cell.weight_hh.shape, cell.bias_hh.shape) == ((64, 3), (64, 16), (64,))
    values = np.concatenate([p.numpy().ravel() for p in cell.parameters()])
    assert np.abs(values).max() <= 0.25 and np.abs(values).max() > 0.2  # U(±1/√16)
    with pytest.raises(ValueError, match="state tensor"):
        cell(sn.tensor(randn(2, 3)), sn.tensor(randn(2, 16)))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="sigmoid")


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_multi_layer_module_equals_its_cells_unrolled(name):
    """A two-layer batch_first module computes what the matching cells compute step by step with its
    weights: the layers and the cells share one step formula."""
    layers = getattr(nn, name)(3, 4, num_layers=2, batch_first=True)
    cells = [getattr(nn, f"{name}Cell")(3 if k == 0 else 4, 4) for k in range(2)]
    for k, cell in enumerate(cells):
        cell.load_state_dict({key: getattr(layers, f"{key}_l{k}") for key in cell.state_dict()})
    x = randn(2, 5, 3)
    output, _ = layers(sn.tensor(x))
    states = [None, None]
    for t in range(5):
        step = sn.tensor(x[:, t])
        for k, cell in enumerate(cells):
            states[k] = cell(step, states[k])
            step = states[k][0] if name == "LSTM" else states[k]
        np.testing.assert_allclose(output.numpy()[:, t], step.numpy(), rtol=1e-5, atol=1e-6)
