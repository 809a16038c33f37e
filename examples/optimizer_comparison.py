"""The tutorial's optimiser comparison (seed 001) with ``scratchnet.nn`` and ``scratchnet.optim``,
PyTorch-style: SGD, Momentum, Nesterov, Adagrad, RMSprop, Adadelta and Adam on one plot.

    python examples/optimizer_comparison.py [--epochs 3] [--limit N] [--out examples/output]

Each optimiser trains the tutorial's 784-100-10 sigmoid MLP (Xavier-initialised weights, zero
biases, the same initial weights and the same mini-batches of 100 for all) with cross-entropy,
at the learning rates of the tutorial's run (``examples/classic_mlp_optimizers.py``). Expected on
Fashion-MNIST after 3 epochs (1,800 steps): every optimiser starts from a loss of about 2.5;
plain SGD ends highest (training loss about 0.41, test accuracy about 0.835), Momentum, Nesterov
and Adadelta near 0.39 / 0.84-0.85, RMSprop, Adam and Adagrad lowest (about 0.33-0.36 /
0.855-0.866). Figure: ``optimizer_comparison.png`` (training loss per step, smoothed, one curve
per optimiser).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from example_utils import accuracy, load_images, make_parser, parse, plot_smoothed_losses, save_figure

import scratchnet as sn
from scratchnet import data, nn, optim

OPTIMIZERS = {  # name: a function of the parameters giving the optimiser (the tutorial's settings)
    "SGD": lambda params: optim.SGD(params, lr=0.5),
    "Momentum": lambda params: optim.SGD(params, lr=0.05, momentum=0.9),
    "Nesterov": lambda params: optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True),
    "Adagrad": lambda params: optim.Adagrad(params, lr=0.05),
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.002, alpha=0.9),
    "Adadelta": lambda params: optim.Adadelta(params, lr=1.0),
    "Adam": lambda params: optim.Adam(params, lr=0.002),
}


def sigmoid_mlp(hidden: int = 100) -> nn.Sequential:
    """784 → Linear ``hidden`` → Sigmoid → Linear 10 (logits), Xavier weights and zero biases."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.Sigmoid(), nn.Linear(hidden, 10))
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)
    return model


def train(model: nn.Module, optimizer: optim.Optimizer, loader: data.DataLoader, epochs: int) -> list[float]:
    """The PyTorch loop: zero_grad, forward, loss, backward, step. Returns every step's loss."""
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train with every optimiser from the same start, print a table, save the loss curves."""
    args = parse(make_parser(__doc__, epochs=3, batch_size=100), argv)
    (x_train, y_train), (x_test, y_test) = load_images(args)
    initial = sigmoid_mlp().state_dict()
    curves, results = {}, {}
    print(f"{'optimizer':<10} {'first loss':>10} {'last loss':>10} {'test acc':>9}")
    for name, make_optimizer in OPTIMIZERS.items():
        sn.manual_seed(args.seed)  # the same mini-batches for every optimiser
        model = sigmoid_mlp()
        model.load_state_dict(initial)
        loader = data.DataLoader(data.TensorDataset(x_train, y_train), batch_size=args.batch_size,
                                 shuffle=True)
        curves[name] = train(model, make_optimizer(model.parameters()), loader, args.epochs)
        model.eval()
        with sn.no_grad():
            results[name] = accuracy(model(x_test).numpy(), y_test)
        last = float(np.mean(curves[name][-50:]))
        print(f"{name:<10} {curves[name][0]:>10.4f} {last:>10.4f} {results[name]:>9.4f}")
    figure = save_figure(plot_smoothed_losses(curves, 50, "step (mini-batch of 100)",
                                                  "784-100-10 sigmoid MLP: optimisers compared"),
                          args.out, "optimizer_comparison.png")
    return {"test_accuracy": results, "losses": curves, "figures": [figure]}


if __name__ == "__main__":
    main()
