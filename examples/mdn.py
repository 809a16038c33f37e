"""A mixture density network on Bishop's inverse problem: y ~ U(0, 1), x = y + 0.3·sin(2πy) + ε with
ε ~ N(0, 0.05²); predict y from x. For x near 0.5 three values of y fit, so a net trained on the
mean squared error predicts their average, which is on none of the branches; a mixture density
network predicts the whole conditional density p(y | x) = Σₖ πₖ(x)·N(y; μₖ(x), σₖ(x)²).

    python examples/mdn.py [--epochs 3000] [--samples 2000] [--components 5] [--out examples/output]
    python examples/mdn.py --quick        # 300 steps on 500 points (the test)

Both nets are Linear 1 → 32, tanh, Linear 32 → 32, tanh, then Linear 32 → 3K (the MDN: the mixture
logits, the means and log σ of K Gaussians) or 32 → 1 (the MSE net), trained full-batch with Adam
(lr 0.01) for ``--epochs`` steps. The MDN's loss is the mixture's negative log-likelihood through
``sn.logsumexp``: −log p(y | x) = −logsumexp_k(log πₖ + log N(y; μₖ, σₖ²)). The script prints the
final training and test NLL per point (beside the NLL of the MSE net read as one Gaussian with its
mean squared error as variance) and, on the test points with 0.35 < x < 0.65 where three branches
overlap, the share whose y lies within 0.1 of a predicted value: the MSE net's one prediction, or
any mixture mean of weight πₖ > 0.1 (the MSE net covers only the points near the branches'
average). Measured results are in examples/README.md. Figure ``mdn.png``: the data with the MSE
net's curve and samples of the mixture (left), and each component's mean with its weight as the
points' opacity (right).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from example_utils import categorical, full_batch_adam, make_parser, parse, pyplot, save_figure

import scratchnet as sn
from scratchnet import nn
from scratchnet.nn import functional as F

QUICK = ["--epochs", "300", "--samples", "500"]
HIDDEN = 32
NOISE = 0.05
BRANCHES = (0.35, 0.65)  # x range where three values of y fit
TOLERANCE, MIN_WEIGHT = 0.1, 0.1  # a y is covered by a prediction this near, of at least this weight


def inverse_problem(count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` pairs ``(x, y)`` as ``(count, 1)`` float32 columns: y ~ U(0, 1),
    x = y + 0.3·sin(2πy) + N(0, 0.05²), drawn from scratchnet's seeded generator."""
    y = sn.rand(count, 1).numpy()
    x = y + 0.3 * np.sin(2 * np.pi * y) + NOISE * sn.randn(count, 1).numpy()
    return x.astype(np.float32), y.astype(np.float32)


def coverage(y: np.ndarray, predictions: np.ndarray, weights: np.ndarray) -> float:
    """The share of rows of ``y`` ``(N, 1)`` within ``TOLERANCE`` of one of their ``predictions``
    ``(N, P)`` whose ``weights`` exceed ``MIN_WEIGHT``."""
    near = (np.abs(predictions - y) < TOLERANCE) & (weights > MIN_WEIGHT)
    return float(near.any(axis=1).mean())


def mlp(outputs: int) -> nn.Sequential:
    """Linear 1 → 32, tanh, Linear 32 → 32, tanh, Linear 32 → ``outputs``."""
    return nn.Sequential(nn.Linear(1, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, HIDDEN), nn.Tanh(),
                         nn.Linear(HIDDEN, outputs))


def mixture(output: sn.Tensor, components: int) -> tuple[sn.Tensor, sn.Tensor, sn.Tensor]:
    """The MDN's output ``(N, 3K)`` as ``(log π, μ, log σ)``, each ``(N, K)``: log π is the
    log-softmax of the first K columns."""
    k = components
    return F.log_softmax(output[:, :k], dim=1), output[:, k:2 * k], output[:, 2 * k:]


def mixture_nll(output: sn.Tensor, y: sn.Tensor, components: int) -> sn.Tensor:
    """Mean of −log Σₖ πₖ·N(y; μₖ, σₖ²) = −logsumexp_k(log πₖ − log σₖ − (y − μₖ)²/(2σₖ²) − ½log 2π)."""
    log_pi, mu, log_sigma = mixture(output, components)
    z = (y - mu) / log_sigma.exp()
    log_density = log_pi - log_sigma - 0.5 * z * z - 0.5 * math.log(2 * math.pi)
    return -sn.logsumexp(log_density, dim=1).mean()


def sample(output: sn.Tensor, components: int) -> np.ndarray:
    """One y per row drawn from the predicted mixture (a component by its weight, then its Gaussian)."""
    log_pi, mu, log_sigma = (part.numpy() for part in mixture(output, components))
    chosen = categorical(np.exp(log_pi))[:, None]
    pick = lambda table: np.take_along_axis(table, chosen, axis=1)[:, 0]  # noqa: E731
    return pick(mu) + np.exp(pick(log_sigma)) * sn.randn(len(chosen)).numpy()


def plot(x: np.ndarray, y: np.ndarray, grid: np.ndarray, mse_curve: np.ndarray, samples: np.ndarray,
         grid_output: sn.Tensor, components: int) -> Any:
    """Left: data, MSE net, mixture samples; right: component means, opacity = weight."""
    figure, (left, right) = pyplot().subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for axis in (left, right):
        axis.scatter(x, y, s=3, color="0.7", label="data")
        axis.set(xlabel="x", ylabel="y", ylim=(-0.15, 1.15))
    left.scatter(grid, samples, s=3, color="tab:blue", label="MDN samples")
    left.plot(grid, mse_curve, color="tab:red", linewidth=2, label="MSE net")
    left.set_title("MSE net vs samples of the mixture")
    left.legend(markerscale=3)
    log_pi, mu, _ = (part.numpy() for part in mixture(grid_output, components))
    weights = np.exp(log_pi)
    for k in range(components):
        colours = np.zeros((len(grid), 4))
        colours[:, :3] = pyplot().get_cmap("tab10")(k)[:3]
        colours[:, 3] = weights[:, k]
        right.scatter(grid, mu[:, k], s=4, color=colours)
    right.set_title("component means (opacity = weight πₖ)")
    return figure


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train the MDN and the MSE net, print their NLL and coverage, save ``mdn.png``."""
    parser = make_parser(__doc__, epochs=3000, images=False)
    parser.add_argument("--samples", type=int, default=2000, help="training points (as many test points)")
    parser.add_argument("--components", type=int, default=5, help="Gaussians in the mixture")
    args = parse(parser, argv, quick=QUICK)
    x_train, y_train = inverse_problem(args.samples)
    x_test, y_test = inverse_problem(args.samples)
    k = args.components
    mdn, mse_net = mlp(3 * k), mlp(1)
    xt, yt = sn.tensor(x_train), sn.tensor(y_train)
    mdn_losses = full_batch_adam(mdn, lambda out, y: mixture_nll(out, y, k), xt, yt, args.epochs)
    mse_losses = full_batch_adam(mse_net, nn.MSELoss(), xt, yt, args.epochs)
    with sn.no_grad():
        test_output = mdn(sn.tensor(x_test))
        test_nll = mixture_nll(test_output, sn.tensor(y_test), k).item()
        mse_prediction = mse_net(sn.tensor(x_test)).numpy()
        log_pi, mu, _ = (part.numpy() for part in mixture(test_output, k))
        grid = np.linspace(x_train.min(), x_train.max(), 1000, dtype=np.float32)[:, None]
        grid_output = mdn(sn.tensor(grid))
        mse_curve = mse_net(sn.tensor(grid)).numpy()
    mse = float(np.mean((mse_prediction - y_test) ** 2))
    mse_nll = 0.5 * math.log(2 * math.pi * mse) + 0.5
    middle = (x_test[:, 0] > BRANCHES[0]) & (x_test[:, 0] < BRANCHES[1])
    covered = {"mdn": coverage(y_test[middle], mu[middle], np.exp(log_pi[middle])),
               "mse": coverage(y_test[middle], mse_prediction[middle], np.ones((middle.sum(), 1)))}
    print(f"MDN ({k} components): training NLL {mdn_losses[-1]:.4f} (first step {mdn_losses[0]:.4f}), "
          f"test NLL {test_nll:.4f}")
    print(f"MSE net: training MSE {mse_losses[-1]:.4f}, test MSE {mse:.4f}, "
          f"as one Gaussian test NLL {mse_nll:.4f}")
    print(f"test y within {TOLERANCE} of a prediction for {BRANCHES[0]} < x < {BRANCHES[1]}: "
          f"MDN {covered['mdn']:.3f}, MSE net {covered['mse']:.3f}")
    samples = sample(grid_output, k)
    figure = plot(x_train[:, 0], y_train[:, 0], grid[:, 0], mse_curve[:, 0], samples, grid_output, k)
    return {"mdn_losses": mdn_losses, "mse_losses": mse_losses, "test_nll": test_nll, "mse_nll": mse_nll,
            "coverage": covered, "figures": [save_figure(figure, args.out, "mdn.png")]}


if __name__ == "__main__":
    main()
